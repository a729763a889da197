"""Deep recurrent networks: stacking, bidirectional layers, parameter counts."""

import symrnn
from symrnn.prove import Theorem, bi, equivalent, first, identity, last, pair, rev, same_sequences, scan, seq, snd, swap

GRAVES = "Graves, Mohamed & Hinton 2013, Speech recognition with deep recurrent neural networks"
SCHUSTER = "Schuster & Paliwal 1997, Bidirectional recurrent neural networks"
CHUNG = "Chung et al. 2014, Empirical evaluation of gated recurrent neural networks on sequence modeling"
NOTE = "the study note (../shared/study-note.md)"


def _depth_one(name):
    cell = symrnn.cell(name)
    flat = symrnn.cells.stacked(cell).cell
    rename = {n: n[len("l1_"):] for n, (role, _) in flat.declared.items() if role in ("state", "param")}
    return equivalent(flat, cell, rename=rename, sizes={"H1": "H"})


stacked_depth_one_lstm = Theorem(
    "stacked_depth_one_lstm",
    "A stack of one LSTM layer is the LSTM itself (names l1_* and size H1 renamed).",
    lambda: _depth_one("lstm"), references=(GRAVES,),
    latex=r"\mathrm{Stack}(\mathrm{LSTM}) = \mathrm{LSTM}",
)

stacked_depth_one_gru = Theorem(
    "stacked_depth_one_gru",
    "A stack of one GRU (reset after) layer is that GRU itself.",
    lambda: _depth_one("gru_reset_after"), references=(GRAVES,),
    latex=r"\mathrm{Stack}(\mathrm{GRU}) = \mathrm{GRU}",
)

x = seq("x")

bidirectional_reversal = Theorem(
    "bidirectional_reversal",
    "A bidirectional layer run on the reversed sequence gives the outputs of the layer with the two "
    "directions' parameters exchanged, time reversed and halves swapped: "
    "Bi(θf, θb)(rev x) = swap(rev(Bi(θb, θf)(x))), for every length T.",
    lambda: same_sequences(bi("θf", "θb", rev(x)), swap(rev(bi("θb", "θf", x))), cell=symrnn.cell("lstm")),
    references=(SCHUSTER,),
    latex=r"\mathrm{Bi}_{\theta_f,\theta_b}(\overleftarrow{x}) = \mathrm{swap}\,\overleftarrow{\mathrm{Bi}_{\theta_b,\theta_f}(x)}",
)

TORCH_BI = "PyTorch nn.LSTM/nn.GRU documentation (bidirectional output and h_n)"

bidirectional_backward_final_state_is_first_output = Theorem(
    "bidirectional_backward_final_state_is_first_output",
    "The backward direction's final state (PyTorch h_n[1]) is the backward half of the FIRST output step, "
    "output[0], for every length T.",
    lambda: same_sequences(snd(first(bi("θf", "θb", x))), last(scan("θb", rev(x))), cell=symrnn.cell("gru_reset_after")),
    references=(SCHUSTER, TORCH_BI),
    latex=r"\overleftarrow{\mathbf{h}}_{n} = \overleftarrow{\mathbf{y}}_{1}",
)

bidirectional_last_output_is_final_state_overstatement = Theorem(
    "bidirectional_last_output_is_final_state_overstatement",
    "(False, a common pitfall) The last output step of a bidirectional layer, output[-1], holds both "
    "directions' final states h_n.",
    lambda: same_sequences(last(bi("θf", "θb", x)), pair(last(scan("θf", x)), last(scan("θb", rev(x)))),
                           cell=symrnn.cell("gru_reset_after")),
    references=(SCHUSTER, TORCH_BI), expect="refuted",
    latex=r"\overleftarrow{\mathbf{y}}_{T} \neq \overleftarrow{\mathbf{h}}_{n}",
)

gru_three_quarters_of_lstm = Theorem(
    "gru_three_quarters_of_lstm",
    "The GRU has exactly 3/4 of the LSTM's parameters, for every D and H (paper form, one bias per gate).",
    lambda: identity(4 * symrnn.cell("gru_reset_before").parameter_count("paper"),
                     3 * symrnn.cell("lstm").parameter_count("paper")),
    references=(CHUNG, NOTE), latex=r"4\,P_{\mathrm{GRU}}(D,H) = 3\,P_{\mathrm{LSTM}}(D,H)",
)

gru_three_quarters_of_lstm_torch = Theorem(
    "gru_three_quarters_of_lstm_torch",
    "With PyTorch's two biases per gate too, nn.GRU has exactly 3/4 of nn.LSTM's parameters.",
    lambda: identity(4 * symrnn.cell("gru_reset_after").parameter_count("torch"),
                     3 * symrnn.cell("lstm").parameter_count("torch")),
    references=("PyTorch nn.GRU and nn.LSTM documentation",),
    latex=r"4\,P^{\mathrm{torch}}_{\mathrm{GRU}}(D,H) = 3\,P^{\mathrm{torch}}_{\mathrm{LSTM}}(D,H)",
)
