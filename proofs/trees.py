"""Recursive networks on trees: the chain degenerate cases, child order, the per-child cell path."""

import symrnn
from symrnn.prove import Result, Theorem
from symrnn.trees import (child_jacobian, child_sum_recursive_nn, child_sum_tree_lstm, nary_tree_lstm,
                          recursive_nn)
from symrnn.trees.theorems import chain_equivalence, order_invariance

SOCHER11 = "Socher, Lin, Ng & Manning 2011, Parsing natural scenes and natural language with recursive neural networks (ICML)"
SOCHER13 = "Socher et al. 2013, Recursive deep models for semantic compositionality over a sentiment treebank (EMNLP)"
TAI = "Tai, Socher & Manning 2015, Improved semantic representations from tree-structured LSTM networks (ACL)"
NOTE = "the study note (../shared/study-note.md), recursive neural networks"
LSTM_NAMES = {"W_u": "W_g", "U_u": "U_g", "b_u": "b_g"}

recursive_nn_chain_is_rnn = Theorem(
    "recursive_nn_chain_is_rnn",
    "A recursive NN in which every parent has exactly one child is the simple RNN over the path order "
    "(leaf first, from h_0 = 0): h_j = tanh(W x_j + U_1 h_child + b).",
    lambda: chain_equivalence(recursive_nn(1), symrnn.cell("rnn"), rename={"U_1": "U"}),
    references=(SOCHER11, NOTE),
    latex=r"\mathbf{h}_j = \tanh(\mathbf{W}\mathbf{x}_j + \mathbf{U}_1 \mathbf{h}_{j1} + \mathbf{b}) \text{ on a path} = \text{RNN}",
)

child_sum_recursive_nn_chain_is_rnn = Theorem(
    "child_sum_recursive_nn_chain_is_rnn",
    "The child-sum recursive NN on a path is the simple RNN over the path order from h_0 = 0 "
    "(the sum over one child is that child).",
    lambda: chain_equivalence(child_sum_recursive_nn(), symrnn.cell("rnn")),
    references=(SOCHER13, TAI, NOTE),
)

child_sum_tree_lstm_chain_is_lstm = Theorem(
    "child_sum_tree_lstm_chain_is_lstm",
    "The Child-Sum Tree-LSTM (with the W_f x term in each per-child forget gate) on a path is the LSTM run over the "
    "path order from zero state (h_0 = c_0 = 0).",
    lambda: chain_equivalence(child_sum_tree_lstm(), symrnn.cell("lstm"), rename=LSTM_NAMES),
    references=(TAI,),
    latex=r"\text{Child-Sum Tree-LSTM on a path} = \text{LSTM from } \mathbf{h}_0 = \mathbf{c}_0 = \mathbf{0}",
)

nary_tree_lstm_chain_is_lstm = Theorem(
    "nary_tree_lstm_chain_is_lstm",
    "The binary Tree-LSTM on a path whose children all sit in slot 1 is the LSTM with U = U^(1), U_f = U_f^(11), "
    "from zero state (empty slots read zero states).",
    lambda: chain_equivalence(nary_tree_lstm(2), symrnn.cell("lstm"),
                              rename={"W_u": "W_g", "b_u": "b_g", "U_u_1": "U_g", "U_i_1": "U_i", "U_o_1": "U_o", "U_f1_1": "U_f"}),
    references=(TAI,),
)

child_sum_tree_lstm_order_invariant = Theorem(
    "child_sum_tree_lstm_order_invariant",
    "The Child-Sum Tree-LSTM is invariant to the order of children: reordering the children of any node changes "
    "no node's states (it reads children only through sums).",
    lambda: order_invariance(child_sum_tree_lstm()),
    references=(TAI,), timeout=60,
)

child_sum_recursive_nn_order_invariant = Theorem(
    "child_sum_recursive_nn_order_invariant",
    "The child-sum recursive NN is invariant to the order of children.",
    lambda: order_invariance(child_sum_recursive_nn()),
    references=(SOCHER13, TAI), timeout=60,
)

nary_tree_lstm_order_overstatement = Theorem(
    "nary_tree_lstm_order_overstatement",
    "(False) The N-ary Tree-LSTM is invariant to the order of children: its matrices U^(l) are position-specific.",
    lambda: order_invariance(nary_tree_lstm(2), children=(2,)),
    references=(TAI,), expect="refuted", timeout=60,
)

recursive_nn_order_overstatement = Theorem(
    "recursive_nn_order_overstatement",
    "(False) Socher's recursive NN p = f(W[c_1; c_2] + b) is invariant to the order of children.",
    lambda: order_invariance(recursive_nn(2), children=(2,)),
    references=(SOCHER11,), expect="refuted", timeout=60,
)


def _cell_path():
    model = child_sum_tree_lstm()
    J = child_jacobian(model, "c", "c")
    if J.is_diag_of(model.edge.unit("f")):
        return Result("proved", "chain rule through the gathers (symrnn.trees.child_jacobian)",
                      ("∂c_j/∂m_sum = I (c_j = i_j ⊙ u_j + Σ_k m_k), ∂m_k/∂c_k = Diag(f_jk) (m_k = f_jk ⊙ c_k), "
                       "and no other path from c_k to c_j: the product is Diag(f_jk), for every size.",))
    return Result("refuted", "chain rule through the gathers", (f"∂c_j/∂c_k = {J}",), counterexample={"jacobian": str(J)})


child_sum_tree_lstm_cell_path = Theorem(
    "child_sum_tree_lstm_cell_path",
    "In the Child-Sum Tree-LSTM the memory path to each child is gated by that child's own forget gate: "
    "∂c_j/∂c_k = Diag(f_jk) (with h_k held fixed).",
    _cell_path, references=(TAI,),
    latex=r"\partial \mathbf{c}_j / \partial \mathbf{c}_k = \operatorname{Diag}(\mathbf{f}_{jk})",
)
