"""Degenerate cases of the GRU, in both placements of the reset gate."""

import symrnn
from symrnn.prove import Theorem, depends_only_on, equivalent, independent_of, inequality, state_identity

CHO = "Cho et al. 2014, Learning phrase representations using RNN encoder-decoder (EMNLP)"
NOTE = "the study note (../shared/study-note.md), GRU section"
TORCH = "PyTorch nn.GRU documentation (reset gate after the recurrent product); Keras GRU(reset_after=True)"
ELMAN = "Elman 1990, Finding structure in time"

before = symrnn.cell("gru_reset_before")
after = symrnn.cell("gru_reset_after")
rnn = symrnn.cell("rnn")

gru_reset_before_z0_r1_is_rnn = Theorem(
    "gru_reset_before_z0_r1_is_rnn",
    "A GRU (reset before the product) with z = 0 and r = 1 is the simple RNN (W_n, U_n, b_n as W, U, b).",
    lambda: equivalent(before.substitute({"z": 0, "r": 1}), rnn, rename={"W_n": "W", "U_n": "U", "b_n": "b"}),
    references=(CHO, NOTE, ELMAN), latex=r"\mathrm{GRU}_{z=0,\,r=1} = \mathrm{RNN}",
)

gru_reset_after_z0_r1_is_rnn = Theorem(
    "gru_reset_after_z0_r1_is_rnn",
    "A GRU (reset after the product) with z = 0 and r = 1 is the simple RNN whose bias is b_in + b_hn.",
    lambda: equivalent(rnn, after.substitute({"z": 0, "r": 1}), rename={"W": "W_n", "U": "U_n", "b": "b_in + b_hn"}),
    references=(TORCH, NOTE, ELMAN), latex=r"\mathrm{RNN}_{\mathbf{b}=\mathbf{b}_{in}+\mathbf{b}_{hn}} = \mathrm{GRU}^{\mathrm{after}}_{z=0,\,r=1}",
)

gru_reset_before_z0_r0_reads_input_only = Theorem(
    "gru_reset_before_z0_r0_reads_input_only",
    "A GRU (reset before) with z = 0 and r = 0 computes h_t from x_t alone: h_t = tanh(W_n x_t + b_n).",
    lambda: depends_only_on(before.substitute({"z": 0, "r": 0}), "h"),
    references=(CHO, NOTE),
    latex=r"z=r=0:\ \mathbf{h}_t = \tanh(\mathbf{W}_n\mathbf{x}_t + \mathbf{b}_n)",
)

gru_reset_after_z0_r0_reads_input_only = Theorem(
    "gru_reset_after_z0_r0_reads_input_only",
    "A GRU (reset after) with z = 0 and r = 0 computes h_t from x_t alone: h_t = tanh(W_n x_t + b_in).",
    lambda: depends_only_on(after.substitute({"z": 0, "r": 0}), "h"),
    references=(TORCH, NOTE),
    latex=r"z=r=0:\ \mathbf{h}_t = \tanh(\mathbf{W}_n\mathbf{x}_t + \mathbf{b}_{in})",
)

gru_reset_before_z1_copies_state = Theorem(
    "gru_reset_before_z1_copies_state",
    "A GRU (reset before) with z = 1 copies its state: h_t = h_{t-1}, hence h_t = h_0 for every t.",
    lambda: state_identity(before.substitute({"z": 1}), "h", "h_prev"),
    references=(CHO, NOTE),
    latex=r"z=1:\ \mathbf{h}_t = \mathbf{h}_{t-1} = \dots = \mathbf{h}_0",
)

gru_reset_after_z1_copies_state = Theorem(
    "gru_reset_after_z1_copies_state",
    "A GRU (reset after) with z = 1 copies its state: h_t = h_{t-1}, hence h_t = h_0 for every t.",
    lambda: state_identity(after.substitute({"z": 1}), "h", "h_prev"),
    references=(TORCH, NOTE),
    latex=r"z=1:\ \mathbf{h}_t = \mathbf{h}_{t-1} = \dots = \mathbf{h}_0",
)

gru_reset_before_z1_ignores_input = Theorem(
    "gru_reset_before_z1_ignores_input",
    "With z = 1 the GRU (reset before) ignores the current input: h_t reads neither x_t nor any parameter.",
    lambda: independent_of(before, "h", ["x"] + [p.name for p in before.params], given={"z": 1}),
    references=(CHO, NOTE),
    latex=r"z=1:\ \partial \mathbf{h}_t / \partial \mathbf{x}_t = 0",
)

gru_reset_after_z1_ignores_input = Theorem(
    "gru_reset_after_z1_ignores_input",
    "With z = 1 the GRU (reset after) ignores the current input: h_t reads neither x_t nor any parameter.",
    lambda: independent_of(after, "h", ["x"] + [p.name for p in after.params], given={"z": 1}),
    references=(TORCH, NOTE),
    latex=r"z=1:\ \partial \mathbf{h}_t / \partial \mathbf{x}_t = 0",
)

gru_reset_after_r0_drops_recurrent_bias = Theorem(
    "gru_reset_after_r0_drops_recurrent_bias",
    "With r = 0 the reset-after GRU's candidate drops both U_n h_{t-1} and the recurrent bias b_hn.",
    lambda: independent_of(after, "h", ["U_n", "b_hn"], given={"r": 0}),
    references=(TORCH,),
    latex=r"r=0:\ \tilde{\mathbf{h}}_t = \tanh(\mathbf{W}_n\mathbf{x}_t + \mathbf{b}_{in})",
)

gru_reset_before_r0_keeps_bias = Theorem(
    "gru_reset_before_r0_keeps_bias",
    "With r = 0 both placements give a candidate without U_n h_{t-1}: reset-before keeps its bias b_n, "
    "reset-after keeps b_in (b_hn is gone), and the two GRUs agree with b_n = b_in.",
    lambda: equivalent(before.substitute({"r": 0}), after.substitute({"r": 0}), rename={"b_n": "b_in"}),
    references=(CHO, TORCH),
    latex=r"r=0:\ \tilde{\mathbf{h}}_t = \tanh(\mathbf{W}_n\mathbf{x}_t + \mathbf{b}_n)",
)

gru_placements_agree_r1 = Theorem(
    "gru_placements_agree_r1",
    "Reset-before and reset-after GRUs agree when r = 1, after merging the biases b_n = b_in + b_hn.",
    lambda: equivalent(before.substitute({"r": 1}), after.substitute({"r": 1}), rename={"b_n": "b_in + b_hn"}),
    references=(CHO, TORCH),
    latex=r"r=1:\ \mathbf{U}_n(\mathbf{r}_t\odot\mathbf{h}_{t-1}) + \mathbf{b}_n = \mathbf{r}_t\odot(\mathbf{U}_n\mathbf{h}_{t-1} + \mathbf{b}_{hn}) + \mathbf{b}_{in}",
)

gru_placements_agree_always_overstatement = Theorem(
    "gru_placements_agree_always_overstatement",
    "(False) The two reset placements are the same cell for every r once biases are merged: "
    "r ⊙ (U_n h + b_hn) is not U_n (r ⊙ h) + b_hn.",
    lambda: equivalent(before, after, rename={"b_n": "b_in + b_hn"}),
    references=(CHO, TORCH), expect="refuted",
    latex=r"\mathbf{U}_n(\mathbf{r}_t\odot\mathbf{h}_{t-1}) \neq \mathbf{r}_t\odot(\mathbf{U}_n\mathbf{h}_{t-1}) \text{ in general}",
)

gru_reset_after_biases_merge_overstatement = Theorem(
    "gru_reset_after_biases_merge_overstatement",
    "(False, a common pitfall) In the reset-after GRU the recurrent bias b_hn can be merged into b_in "
    "like the other PyTorch bias pairs; it cannot, because r_t scales it (tests with zero biases hide this).",
    lambda: equivalent(after.substitute({"b_hn": 0}), after, rename={"b_in": "b_in + b_hn"}),
    references=(TORCH,), expect="refuted",
    latex=r"\mathbf{r}_t\odot(\mathbf{U}_n\mathbf{h}_{t-1} + \mathbf{b}_{hn}) \neq \mathbf{r}_t\odot\mathbf{U}_n\mathbf{h}_{t-1} + \mathbf{b}_{hn}",
)

gru_reset_one_is_rnn_overstatement = Theorem(
    "gru_reset_one_is_rnn_overstatement",
    "(False, popular overstatement) A GRU whose reset gate is 1 is a simple RNN. It also needs z = 0.",
    lambda: equivalent(before.substitute({"r": 1}), rnn, rename={"W_n": "W", "U_n": "U", "b_n": "b"}),
    references=(CHO, NOTE), expect="refuted",
    latex=r"\mathrm{GRU}_{r=1} \neq \mathrm{RNN} \quad(\text{needs } z=0)",
)

gru_reset_before_state_bounded = Theorem(
    "gru_reset_before_state_bounded",
    "A GRU (reset before) started with |h_0| <= 1 keeps |h_t| < 1 for every t >= 1.",
    lambda: inequality(before, "Abs(h)", 1, strict=True, assume={"h_prev": (-1, 1)}),
    references=(CHO, NOTE),
    latex=r"|\mathbf{h}_0| \le 1 \;\Rightarrow\; |\mathbf{h}_t| < 1 \ \ \forall t \ge 1",
)

gru_reset_after_state_bounded = Theorem(
    "gru_reset_after_state_bounded",
    "A GRU (reset after) started with |h_0| <= 1 keeps |h_t| < 1 for every t >= 1.",
    lambda: inequality(after, "Abs(h)", 1, strict=True, assume={"h_prev": (-1, 1)}),
    references=(TORCH, NOTE),
    latex=r"|\mathbf{h}_0| \le 1 \;\Rightarrow\; |\mathbf{h}_t| < 1 \ \ \forall t \ge 1",
)
