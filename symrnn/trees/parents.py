"""A forest given as arrays: a parent index per node (``-1`` for roots) and node features.

The bulk input for trees that already live in arrays, the way PyTorch
Geometric users hold ``edge_index``: no networkx graph is built.  Every
check runs on whole arrays — dtype, shape and range, self-parents, cycles
(by the level peeling of :func:`~symrnn.trees.layout.heights`), two
children in one slot — and names the argument and the node.
"""

from __future__ import annotations

import numpy as np

from ..errors import InputError
from ..numeric.params import real_array
from .forest import Forest, assemble
from .tree import TreeError

__all__ = ["forest_from_parents"]


def _index_array(value, arg: str, n: int | None) -> np.ndarray:
    """``value`` as a 1-D int64 array (of length ``n`` if given), else an InputError naming ``arg``."""
    if isinstance(value, (str, bytes)):
        raise InputError(f"{arg} must be a 1-D array of integers, got {type(value).__name__} {value!r:.60}")
    try:
        arr = np.asarray(value)
    except (TypeError, ValueError):
        raise InputError(f"{arg} must be a 1-D array of integers, got {type(value).__name__} {value!r:.60}") from None
    if arr.dtype.kind not in "iu":
        hint = " (cast whole numbers with .astype(np.int64))" if arr.dtype.kind == "f" else ""
        raise InputError(f"{arg} must be a 1-D array of integers, got dtype {arr.dtype}{hint}")
    if arr.ndim != 1:
        raise InputError(f"{arg} must be 1-D (one entry per node), got shape {arr.shape}")
    if n is not None and arr.shape[0] != n:
        raise InputError(f"{arg} has {arr.shape[0]} entries for {n} nodes (parents has {n})")
    if arr.dtype.kind == "u" and arr.size and int(arr.max()) > np.iinfo(np.int64).max:
        v = int(np.argmax(arr))
        raise TreeError(f"{arg}: node {v} has {int(arr[v])}, out of range", node=v)
    return arr.astype(np.int64, copy=False)


def _parents(parents) -> np.ndarray:
    p = _index_array(parents, "parents", None)
    n = p.shape[0]
    if n == 0:
        raise InputError("parents is empty; a forest has at least one node")
    bad = np.flatnonzero((p < -1) | (p >= n))
    if bad.size:
        v = int(bad[0])
        raise TreeError(f"parents: node {v} has parent {int(p[v])}, out of range (expected -1 for a root, "
                        f"or a node 0..{n - 1})", node=v)
    own = np.flatnonzero(p == np.arange(n))
    if own.size:
        v = int(own[0])
        raise TreeError(f"parents: node {v} is its own parent (a cycle); a root has parent -1", node=v)
    return p


def _features(features, n: int) -> np.ndarray:
    X = real_array(features, "features", finite=False)
    if X.ndim != 2 or X.shape[0] != n or X.shape[1] == 0:
        raise InputError(f"features has shape {X.shape}, expected ({n}, D) with D >= 1: one row per node of parents")
    with np.errstate(over="ignore", invalid="ignore"):
        total = X.sum()  # finite unless an entry is not (or the sum overflows: then look row by row)
    if not np.isfinite(total):
        finite = np.isfinite(X).all(axis=1)
        if finite.all():
            return X
        v = int(np.flatnonzero(~finite)[0])
        raise TreeError(f"features: node {v} is not finite: {X[v]}", node=v)
    return X


def _positions(positions, parents: np.ndarray) -> np.ndarray:
    pos = _index_array(positions, "positions", parents.shape[0])
    bad = np.flatnonzero((pos < 0) & (parents >= 0))
    if bad.size:
        v = int(bad[0])
        raise TreeError(f"positions: node {v} (a child of node {int(parents[v])}) has position {int(pos[v])}; "
                        "expected an integer >= 0", node=v)
    return np.where(parents >= 0, pos, 0)


def forest_from_parents(parents, features, *, positions=None) -> Forest:
    """A :class:`~symrnn.trees.forest.Forest` from a parent array and node features, checked and laid out at array speed.

    Parameters
    ----------
    parents : array_like of int, shape (N,)
        ``parents[v]`` is node ``v``'s parent, ``-1`` for a root.  Every
        root starts a tree; tree ``k`` is the one of the ``k``-th root by index.
    features : array_like of float, shape (N, D)
        Row ``v`` is node ``v``'s feature vector.
    positions : array_like of int, shape (N,), optional
        Child slots for N-ary models: ``positions[v]`` is node ``v``'s 0-based
        slot under its parent (a root's entry is not read).  Without it, the
        children of a node take slots 0, 1, … in index order — as a networkx
        graph whose edges were added in that order.

    Returns
    -------
    Forest
        The same layout as :func:`~symrnn.trees.forest.forest` gives for the
        same trees; ``forest.nodes[r]`` is ``(tree, v)`` with ``v`` the index
        into ``parents``, and ``forest.node[r]`` is ``v`` as an array.

    Raises
    ------
    InputError
        ``parents`` or ``positions`` not a 1-D integer array of N entries, or
        ``features`` not a real (N, D) array (the message names the argument).
    TreeError
        The :class:`InputError` naming the node (``.node`` is its index): a
        parent out of range, a node its own parent, a cycle, a NaN or
        infinite feature, a negative position, two children in one slot.

    Notes
    -----
    No loop over nodes: the cycle check peels leaves level by level (a node
    on a cycle is never peeled), and the layout is :mod:`~symrnn.trees.layout`'s.

    Examples
    --------
    >>> import numpy as np
    >>> from symrnn import trees
    >>> parents = np.array([-1, 0, 0, 1, -1])  # tree 0: 0 -> 1 -> 3 and 0 -> 2; tree 1: node 4 alone
    >>> f = trees.forest_from_parents(parents, np.arange(10.0).reshape(5, 2))
    >>> f.nodes
    ((0, 3), (0, 2), (1, 4), (0, 1), (0, 0))
    >>> f.offsets.tolist(), f.X[:, 0].tolist()
    ([0, 3, 4, 5], [6.0, 4.0, 8.0, 2.0, 0.0])
    >>> trees.forest_from_parents(np.array([-1, 2, 1]), np.zeros((3, 2)))
    Traceback (most recent call last):
    ...
    symrnn.trees.tree.TreeError: parents: node 1 lies on a cycle (1, a child of 2, a child of 1); a tree has none
    """
    parents = _parents(parents)
    n = parents.shape[0]
    X = _features(features, n)
    if positions is None:
        slot, positioned = None, None  # children in index order
    else:
        slot, positioned = _positions(positions, parents), parents >= 0
    return assemble(X, parents, slot, lambda i: (int(i), None), names=("parents: ", "positions: "),
                    positioned=positioned)
