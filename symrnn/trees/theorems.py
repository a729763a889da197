"""Checks behind the tree theorems of ``proofs/trees.py``: chains and child order.

* :func:`chain_equivalence` — a tree model on a path is a chain RNN: the node
  with one child, the child read as the previous state (:func:`one_child`),
  is proved equal to the chain cell by :func:`symrnn.prove.equivalent`
  (per-unit normal forms, every size); induction over the path order does
  the rest (a leaf reads zero child states = the chain's zero initial state).
* :func:`order_invariance` — a structural proof for models whose children
  are read only through sums, confirmed on the expanded node with 2 and 3
  children by :func:`symrnn.prove.equivalent` (the node against itself with
  its children permuted); otherwise that same public prover refutes it with
  a concrete node whose children's states are given — evaluated from the
  description, whatever the model is called.

References
----------
Tai, Socher & Manning (2015), ACL; Socher et al. (2011), ICML.
"""

from __future__ import annotations

from itertools import permutations

from ..prove import Result, equivalent
from .expand import expand, one_child
from .models import TreeModel

__all__ = ["chain_equivalence", "order_invariance", "PATH_INDUCTION"]

PATH_INDUCTION = (
    "Lemma (induction over the path): let v_1 → v_2 → … → v_T be a path tree listed leaf first (edge v_t → v_{t+1} "
    "child → parent; the root is v_T). Base: the leaf v_1 has no child, so it reads zero child states — the chain's "
    "initial state s_0 = 0 — and computes s_1 = F(0, x_1). Step: v_t has exactly the one child v_{t-1}, so it computes "
    "the one-child cell F(s_{t-1}, x_t), which equals the chain step. Hence every node's states equal the chain's "
    "states at the same position, for every path length T."
)


def chain_equivalence(model: TreeModel, chain_cell, *, rename=None) -> Result:
    """Prove that ``model`` on a path equals ``chain_cell`` run from zero state over the path order.

    Examples
    --------
    >>> import symrnn
    >>> from symrnn.trees import child_sum_recursive_nn
    >>> chain_equivalence(child_sum_recursive_nn(), symrnn.cell("rnn")).status
    'proved'
    """
    step = one_child(model)
    how = ("sum over the single child = that child" if model.order_free
           else "the single child in slot 0, the other slots empty (zero)")
    r = equivalent(step, chain_cell, rename=rename)
    first = f"The node of {model.name} with exactly one child ({how}), the child's states read as previous states: {step.name}."
    after = (PATH_INDUCTION,) if r.status == "proved" else ()
    return r.with_steps(first, after=after)


def _swap_map(model, perm):
    """Child j's states are renamed to child perm[j]'s: a bijection of the expanded node's inputs."""
    return {f"{s}_{j + 1}": f"{s}_{perm[j] + 1}" for j in range(len(perm)) for s in model.states}


def order_invariance(model: TreeModel, *, children=(2, 3)) -> Result:
    """Prove that ``model``'s states do not depend on the order of children, or refute it.

    Examples
    --------
    >>> from symrnn.trees import child_sum_tree_lstm, nary_tree_lstm
    >>> order_invariance(child_sum_tree_lstm(), children=(2,)).status
    'proved'
    >>> order_invariance(nary_tree_lstm(2), children=(2,)).status
    'refuted'
    """
    steps = []
    if model.order_free:
        edge_inputs = set() if model.edge is None else {d.name for d in model.edge.inputs}
        node_inputs = {d.name for d in model.node.inputs}
        gathered = {g.target for g in model.gathers}
        allowed_edge = {"x"} | {f"{s}_k" for s in model.states}
        if not edge_inputs <= allowed_edge or not node_inputs <= gathered | {"x"}:
            return Result("error", message=f"{model.name}: the cells read vectors other than x, the gathers and one child's states")
        steps.append(f"Structure of {model.name}: the node cell reads x_j and the gathered inputs "
                     f"{sorted(gathered)} only; every gather is a sum over the children C(j) of a child state"
                     + (f" or of the per-child message of the edge cell, which reads only x_j and that child's states "
                        f"{sorted(edge_inputs - {'x'})} with parameters shared by all children" if model.edge else "")
                     + ".")
        steps.append("Lemma: a finite sum Σ_{k∈C(j)} g(x_j, s_k) in R^H does not depend on the order in which C(j) "
                      "is enumerated (addition is commutative and associative, unit by unit).")
        steps.append("Hence each node's states are a symmetric function of its children's states; by induction over "
                     "the levels (leaves first) every node's states are unchanged when the children of any nodes are "
                     "reordered, for every tree and every size.")
    for K in children:
        cell = expand(model, K)
        perms = [p for p in permutations(range(K)) if p != tuple(range(K))]
        for perm in perms:
            r = equivalent(cell, cell, rename=_swap_map(model, perm))
            if r.status == "proved":
                continue
            steps.append(f"The expanded node with {K} children ({cell.name}) against itself with the children "
                         f"permuted by {perm} (symrnn.prove.equivalent):")
            if r.status == "refuted":
                return r.with_steps(*steps)
            return r.with_steps(*steps, after=("The per-unit normal forms differ under a permutation of the children, "
                                               "but no counterexample was found.",))
        steps.append(f"symrnn.prove.equivalent: the node with {K} children equals itself with its children permuted, "
                     f"for all {len(perms)} non-trivial permutations (states and output, every size; cross-examined "
                     "with the reference evaluator).")
    if model.order_free:
        return Result("proved", "structure (gathers are sums) + symmetric per-unit normal forms", steps,
                      cross_examination="each permutation's equivalence was cross-examined with symrnn.numeric.run")
    return Result("checked", "normal forms unchanged at the tried child counts", steps, examples=len(children))
