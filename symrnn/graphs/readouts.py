"""The graph operators that are an index or a sum, not a matrix: node pairs and readouts.

:class:`~symrnn.graphs.operators.GraphOperators` applies them by name
(``READOUTS[name](ops, V)``, ``ops`` the operators of one graph).

Examples
--------
>>> check_pairs([[0, 1], [1, 2]], 3).tolist()
[[0, 1], [1, 2]]
"""

from __future__ import annotations

import numpy as np

from ..errors import InputError

__all__ = ["READOUTS", "check_pairs"]


def check_pairs(pairs, n) -> np.ndarray:
    """Node pairs as a (2, P) int64 array of indices in range, else an InputError naming ``pairs``."""
    try:
        arr = np.asarray(pairs)
    except Exception:  # ragged nesting
        raise InputError("pairs must be a (2, P) array of node indices") from None
    if arr.ndim != 2 or arr.shape[0] != 2 or arr.dtype.kind not in "iu":
        raise InputError(f"pairs must be a (2, P) integer array of node indices, got shape {arr.shape} and dtype {arr.dtype}")
    if arr.size and (arr.min() < 0 or arr.max() >= n):
        bad = int(arr[(arr < 0) | (arr >= n)][0])
        raise InputError(f"pairs: node index {bad} is out of range for a graph of {n} nodes")
    return arr.astype(np.int64)


def _gather_pairs(k):
    return lambda ops, V: V[ops.pairs[k]]


def _scatter_pairs(k):
    def scatter(ops, V):
        out = np.zeros((ops.graph.num_nodes,) + V.shape[1:], V.dtype)
        np.add.at(out, ops.pairs[k], V)
        return out

    return scatter


READOUTS = {
    "gather_pair_src": _gather_pairs(0), "gather_pair_dst": _gather_pairs(1),
    "scatter_pair_src": _scatter_pairs(0), "scatter_pair_dst": _scatter_pairs(1),
    "sum_nodes": lambda ops, V: V.sum(axis=0, keepdims=True), "sum_pairs": lambda ops, V: V.sum(axis=0, keepdims=True),
    "mean_nodes": lambda ops, V: V.sum(axis=0, keepdims=True) / V.shape[0],
    "spread_nodes": lambda ops, V: np.repeat(V, ops.graph.num_nodes, axis=0),
    "spread_pairs": lambda ops, V: np.repeat(V, ops.rows("pair"), axis=0),
    "mean_nodes_T": lambda ops, V: np.repeat(V, ops.graph.num_nodes, axis=0) / ops.graph.num_nodes,
}
"""Operators on pairs and readouts: an index or a sum, no matrix."""
