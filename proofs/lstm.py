"""LSTM variants as the LSTM with a gate fixed, gradient paths and bounds."""

import symrnn
from symrnn import identity, tanh
from symrnn.prove import Theorem, diagonal_jacobian, equivalent, inequality

GREFF = "Greff et al. 2017, LSTM: A search space odyssey (IEEE TNNLS)"
HS = "Hochreiter & Schmidhuber 1997, Long short-term memory"
GERS = "Gers, Schmidhuber & Cummins 2000, Learning to forget"
PEEP = "Gers & Schmidhuber 2000, Recurrent nets that time and count"
NOTE = "the study note (../shared/study-note.md), LSTM section"

lstm = symrnn.cell("lstm")

lstm_forget_one_is_no_forget = Theorem(
    "lstm_forget_one_is_no_forget",
    "The LSTM with f = 1 is the LSTM without forget gate: c_t = c_{t-1} + i_t ⊙ c̃_t.",
    lambda: equivalent(lstm.substitute({"f": 1}), symrnn.cell("lstm_no_forget")),
    references=(HS, GERS, GREFF),
    latex=r"f=1:\ \mathbf{c}_t = \mathbf{c}_{t-1} + \mathbf{i}_t\odot\tilde{\mathbf{c}}_t",
)

lstm_coupled_gates = Theorem(
    "lstm_coupled_gates",
    "The LSTM with f = 1 - i is the coupled input-forget gate LSTM (CIFG).",
    lambda: equivalent(lstm.substitute({"f": 1 - lstm.unit("i")}), symrnn.cell("lstm_coupled")),
    references=(GREFF, NOTE),
    latex=r"\mathbf{f}_t = 1-\mathbf{i}_t:\ \mathbf{c}_t = (1-\mathbf{i}_t)\odot\mathbf{c}_{t-1} + \mathbf{i}_t\odot\tilde{\mathbf{c}}_t",
)

lstm_zero_peepholes_is_lstm = Theorem(
    "lstm_zero_peepholes_is_lstm",
    "The peephole LSTM with zero peephole weights p_i = p_f = p_o = 0 is the plain LSTM.",
    lambda: equivalent(symrnn.cell("lstm_peephole").substitute({"p_i": 0, "p_f": 0, "p_o": 0}), lstm),
    references=(PEEP, GREFF),
    latex=r"\mathbf{p}_i=\mathbf{p}_f=\mathbf{p}_o=0:\ \mathrm{LSTM}_{\mathrm{peephole}} = \mathrm{LSTM}",
)

lstm_input_gate_one_is_no_input_gate = Theorem(
    "lstm_input_gate_one_is_no_input_gate",
    "The LSTM with i = 1 is the LSTM without input gate (NIG).",
    lambda: equivalent(lstm.substitute({"i": 1}), symrnn.cell("lstm_no_input")),
    references=(GREFF,),
    latex=r"\mathrm{LSTM}_{i=1} = \mathrm{NIG}",
)

lstm_output_gate_one_is_no_output_gate = Theorem(
    "lstm_output_gate_one_is_no_output_gate",
    "The LSTM with o = 1 is the LSTM without output gate (NOG).",
    lambda: equivalent(lstm.substitute({"o": 1}), symrnn.cell("lstm_no_output")),
    references=(GREFF,),
    latex=r"\mathrm{LSTM}_{o=1} = \mathrm{NOG}",
)

lstm_identity_input_activation = Theorem(
    "lstm_identity_input_activation",
    "The LSTM with tanh replaced by the identity in the candidate is the no-input-activation LSTM (NIAF).",
    lambda: equivalent(lstm.replace_function("g", tanh, identity), symrnn.cell("lstm_no_input_act")),
    references=(GREFF,),
    latex=r"\tilde{\mathbf{c}}_t = \mathbf{W}_g\mathbf{x}_t + \mathbf{U}_g\mathbf{h}_{t-1} + \mathbf{b}_g:\ \mathrm{NIAF}",
)

lstm_identity_output_activation = Theorem(
    "lstm_identity_output_activation",
    "The LSTM with tanh replaced by the identity in h_t = o_t ⊙ tanh(c_t) is the no-output-activation LSTM (NOAF).",
    lambda: equivalent(lstm.replace_function("h", tanh, identity), symrnn.cell("lstm_no_output_act")),
    references=(GREFF,),
    latex=r"\mathbf{h}_t = \mathbf{o}_t\odot\mathbf{c}_t:\ \mathrm{NOAF}",
)

lstm_no_forget_cell_path_identity = Theorem(
    "lstm_no_forget_cell_path_identity",
    "Without forget gate the cell path carries gradients unchanged: ∂c_t/∂c_{t-1} = I (constant error carousel).",
    lambda: diagonal_jacobian(symrnn.cell("lstm_no_forget"), "c", "c_prev", 1),
    references=(HS, NOTE), latex=r"\partial \mathbf{c}_t / \partial \mathbf{c}_{t-1} = \mathbf{I}",
)

lstm_cell_path_forget_gate = Theorem(
    "lstm_cell_path_forget_gate",
    "In the LSTM ∂c_t/∂c_{t-1} = Diag(f_t) (with h_{t-1} held fixed: the cell path).",
    lambda: diagonal_jacobian(lstm, "c", "c_prev", "f"),
    references=(GERS, NOTE), latex=r"\partial \mathbf{c}_t / \partial \mathbf{c}_{t-1} = \operatorname{Diag}(\mathbf{f}_t)",
)

lstm_peephole_cell_path_overstatement = Theorem(
    "lstm_peephole_cell_path_overstatement",
    "(False) ∂c_t/∂c_{t-1} = Diag(f_t) also with peepholes: there i_t and f_t read c_{t-1} too.",
    lambda: diagonal_jacobian(symrnn.cell("lstm_peephole"), "c", "c_prev", "f"),
    references=(PEEP,), expect="refuted",
    latex=r"\text{peephole: } \partial \mathbf{c}_t / \partial \mathbf{c}_{t-1} \neq \operatorname{Diag}(\mathbf{f}_t)",
)

lstm_cell_growth_bounded = Theorem(
    "lstm_cell_growth_bounded",
    "The LSTM cell state grows by at most 1 per step: |c_t| <= |c_{t-1}| + 1 (so |c_t| <= |c_0| + t).",
    lambda: inequality(lstm, "Abs(c)", "Abs(c_prev) + 1"),
    references=(HS, NOTE),
    latex=r"|\mathbf{c}_t| \le |\mathbf{c}_{t-1}| + 1",
)

lstm_output_bounded = Theorem(
    "lstm_output_bounded",
    "The LSTM output is bounded: |h_t| < 1 for every t, whatever the cell state.",
    lambda: inequality(lstm, "Abs(h)", 1, strict=True),
    references=(HS, NOTE),
    latex=r"|\mathbf{h}_t| < 1",
)
