"""Recursive networks on trees: the chain degenerate cases, child order, the per-child cell path."""

import sympy as sp

import symrnn
from symrnn.prove import Result, Theorem, all_of, equivalent
from symrnn.trees import (child_jacobian, child_sum_recursive_nn, child_sum_tree_lstm, nary_tree_lstm,
                          recursive_nn)
from symrnn.trees.expand import expand
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


# ----------------------------------------------------------------------------- tied N-ary models are Child-Sum
def _tied(cell, ties: dict):
    """``cell`` with each parameter of ``ties`` replaced by another parameter (a name) or by 0."""
    sub = {k: 0 if v == 0 else sp.MatrixSymbol(v, *cell.declared[k][1].shape) for k, v in ties.items()
           if k in cell.declared}
    return cell.substitute(sub) if sub else cell


def _nary_ties(N: int, forget: str) -> dict:
    """U_g^(l) = U_g^(1) for g = i, o, u; U_f^(kl) = U_f^(11) if k = l else 0 ("own"), or = U_f^(11) for all k, l ("all")."""
    ties = {f"U_{g}_{l}": f"U_{g}_1" for g in "iou" for l in range(2, N + 1)}
    for k in range(1, N + 1):
        for l in range(1, N + 1):
            if (k, l) != (1, 1):
                ties[f"U_f{k}_{l}"] = "U_f1_1" if forget == "all" or k == l else 0
    return ties


def _tied_is_child_sum(tied, child_sum, ties, rename, arities=(2, 3)) -> Result:
    parts = []
    for N in arities:
        for K in range(N + 1):
            a = _tied(expand(tied(N), K), ties(N))
            names = {k: v for k, v in rename.items() if k in a.declared}
            parts.append(equivalent(a, expand(child_sum(), K), rename=names).with_steps(
                f"A node with K = {K} of N = {N} slots filled (the empty slots read zero states):"))
    return all_of(*parts, method="per-unit normal forms of the node with K ≤ N children (symrnn.prove.equivalent)").with_steps(
        after=("Induction over the levels (leaves first): equal node functions of equal children's states give equal "
               "states at every node of every tree with at most N children per node, children in slots 1..K.",))


NARY_RENAME = {"U_i_1": "U_i", "U_o_1": "U_o", "U_u_1": "U_u", "U_f1_1": "U_f"}

nary_tree_lstm_tied_is_child_sum = Theorem(
    "nary_tree_lstm_tied_is_child_sum",
    "The N-ary Tree-LSTM (N = 2, 3) with U^(l)_g = U_g for every slot l (g = i, o, u) and forget matrices "
    "U_f^(kl) = U_f if k = l, 0 if k ≠ l (each child's forget gate sees only that child's h) is the Child-Sum "
    "Tree-LSTM on every tree with at most N children per node, for every size.",
    lambda: _tied_is_child_sum(nary_tree_lstm, child_sum_tree_lstm, lambda N: _nary_ties(N, "own"), NARY_RENAME),
    references=(TAI,), timeout=90,
    latex=r"\mathbf{U}^{(l)} = \mathbf{U},\ \mathbf{U}_f^{(kl)} = \delta_{kl}\mathbf{U}_f \Rightarrow \mathrm{Nary} = \mathrm{ChildSum}",
)

nary_tree_lstm_all_forget_tied_overstatement = Theorem(
    "nary_tree_lstm_all_forget_tied_overstatement",
    "Overstatement: tying every forget matrix U_f^(kl) = U_f (and U^(l) = U) makes the N-ary Tree-LSTM the Child-Sum "
    "one; it does not — child k's forget gate then reads U_f Σ_l h_l, not U_f h_k.",
    lambda: _tied_is_child_sum(nary_tree_lstm, child_sum_tree_lstm, lambda N: _nary_ties(N, "all"), NARY_RENAME,
                               arities=(2,)),
    references=(TAI,), expect="refuted", timeout=60,
)

recursive_nn_tied_is_child_sum = Theorem(
    "recursive_nn_tied_is_child_sum",
    "Socher's recursive NN with N = 2, 3 child matrices tied, U_1 = … = U_N = U, is the child-sum recursive NN "
    "h = tanh(W x + U Σ_k h_k + b) on every tree with at most N children per node, for every size.",
    lambda: _tied_is_child_sum(recursive_nn, child_sum_recursive_nn, lambda N: {f"U_{l}": "U_1" for l in range(2, N + 1)},
                               {"U_1": "U"}),
    references=(SOCHER11, SOCHER13), timeout=60,
)
