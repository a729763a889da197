"""A forest's layout from a parent array, at array speed: children, heights, rows and edges.

Input: ``parent`` (N,) int64 (``-1`` for a root) and ``slot`` (N,) int64
(a child's place among its siblings: the ``position`` of an N-ary model, or
its rank in the input's child order; a root's entry is unused).  Output: a
:class:`Layout` whose rows follow :func:`symrnn.trees.forest`'s order —

* rows by level, a node's level being its height (leaves 0), so one level
  is one contiguous block of rows;
* inside a level, by the parent's row, then by slot; roots last, by index
  (tree ``k`` is the ``k``-th root by index).

Every step is a NumPy/SciPy array operation over all nodes, or over one
level's nodes in a loop over levels (never a loop over nodes): children are
grouped by parent with a counting sort (:func:`group`, SciPy's COO → CSR;
by slot first with a radix sort, :func:`radix_order`); heights come from
peeling leaves level by level (:func:`heights`: a node's last child to
finish releases it; nodes on a cycle are never released, which is how
cycles are found); rows are placed top-down, one level at a time
(:func:`layout`): a level's children, read from the CSR in row order, are
already in (parent row, slot) order, so splitting them by their own level
(a radix sort on small keys) places the lower levels without sorting by
row.  The work is linear in N, plus a few NumPy calls per level.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sps

__all__ = ["Layout", "radix_order", "group", "children", "heights", "clash", "layout", "row_trees"]

_DIGIT = 16  # bits per radix pass: NumPy's stable sort of uint16 keys is a counting (radix) sort


def radix_order(keys: np.ndarray) -> np.ndarray:
    """The stable sorting permutation of non-negative integer ``keys``, in linear time.

    A least-significant-digit radix sort: one NumPy stable argsort of 16-bit
    digits per 16 bits of ``keys.max()`` (NumPy sorts ``uint16`` by counting).

    Examples
    --------
    >>> radix_order(np.array([70000, 3, 70000, 0, 3])).tolist()
    [3, 1, 4, 0, 2]
    """
    keys = np.asarray(keys, dtype=np.int64)
    order = np.argsort((keys & 0xFFFF).astype(np.uint16), kind="stable")
    top = int(keys.max()) >> _DIGIT if keys.size else 0
    shift = _DIGIT
    while top:
        digit = ((keys[order] >> shift) & 0xFFFF).astype(np.uint16)
        order = order[np.argsort(digit, kind="stable")]
        shift, top = shift + _DIGIT, top >> _DIGIT
    return order


def children(parent: np.ndarray, slot: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Children grouped by parent, each group by slot (ties, or no ``slot``: by index): ``(ptr, kids)``, CSR style.

    The children of node ``p`` are ``kids[ptr[p]:ptr[p + 1]]``.

    Examples
    --------
    >>> ptr, kids = children(np.array([-1, 0, 0, 1]), np.array([0, 1, 0, 0]))
    >>> ptr.tolist(), kids.tolist()
    ([0, 2, 3, 3, 3], [2, 1, 3])
    >>> children(np.array([-1, 0, 0, 1]))[1].tolist()
    [1, 2, 3]
    """
    nonroot = np.flatnonzero(parent >= 0)
    by_slot = nonroot if slot is None else nonroot[radix_order(slot[nonroot])]
    return group(parent[by_slot], parent.size, by_slot)


def group(keys: np.ndarray, n_keys: int, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``values`` grouped by ``keys`` (in ``0 … n_keys-1``), each group in input order: ``(ptr, grouped)``.

    A counting sort: SciPy's COO → CSR conversion, with the input positions
    as column indices so that a row sorted by column is in input order.

    Examples
    --------
    >>> ptr, grouped = group(np.array([2, 0, 2, 0]), 3, np.array([10, 11, 12, 13]))
    >>> ptr.tolist(), grouped.tolist()
    ([0, 2, 2, 4], [11, 13, 10, 12])
    """
    m = sps.csr_matrix((values, (keys, np.arange(keys.size))), shape=(n_keys, keys.size))  # distinct columns: none summed
    m.sort_indices()  # each row by column, i.e. in input order (a no-op check when COO → CSR kept that order)
    return m.indptr.astype(np.int64, copy=False), m.data


def heights(parent: np.ndarray, n_children: np.ndarray) -> np.ndarray:
    """Each node's height (leaves 0, a parent one above its highest child); ``-1`` for nodes on a cycle.

    Leaves are peeled level by level: a node joins the next level when its
    last child is done.  A node on a cycle waits for its own descendant
    forever, so it keeps ``-1`` (with one parent per node, only nodes on a
    cycle do: every other node's parent chain ends at a root).

    Examples
    --------
    >>> parent = np.array([-1, 0, 1, 0, 5, 4])  # a path 0-1-2 and leaf 3; 4 and 5 are each other's parent
    >>> heights(parent, np.bincount(parent[parent >= 0], minlength=6)).tolist()
    [2, 1, 0, 0, -1, -1]
    """
    height = np.full(parent.size, -1, dtype=np.int64)
    waiting = n_children.astype(np.int64, copy=True)  # children not done yet
    level, frontier = 0, np.flatnonzero(waiting == 0)
    while frontier.size:
        height[frontier] = level
        up = parent[frontier]
        up = up[up >= 0]
        np.subtract.at(waiting, up, 1)
        up = up[waiting[up] == 0]  # released: listed once per child done at this level
        mark = -1 - np.arange(up.size)  # keep each node once: the last of its entries to write its mark
        waiting[up] = mark
        frontier = up[waiting[up] == mark]
        level += 1
    return height


def clash(parent: np.ndarray, slot: np.ndarray, kids: np.ndarray) -> int | None:
    """The first child (in ``kids`` order) sharing its parent and slot with the sibling before it, else ``None``.

    Examples
    --------
    >>> parent, slot = np.array([-1, 0, 0]), np.array([0, 1, 1])
    >>> clash(parent, slot, children(parent, slot)[1])
    2
    """
    p, s = parent[kids], slot[kids]
    same = np.flatnonzero((p[1:] == p[:-1]) & (s[1:] == s[:-1]))
    return int(kids[same[0] + 1]) if same.size else None


@dataclass(frozen=True, eq=False)
class Layout:
    """Rows of a forest (see the module docstring); ``node[r]`` is row ``r``'s input node, ``row`` its inverse.

    ``offsets[l]:offsets[l+1]`` are the rows of level ``l``; ``roots`` the
    roots' rows in tree order (:func:`row_trees` gives each row's tree).  Edges are
    sorted by parent row, then slot: ``parent_rows[e]``, ``child_rows[e]``,
    ``slot[e]``; ``n_children[r]`` counts row ``r``'s children.
    """

    node: np.ndarray
    row: np.ndarray
    offsets: np.ndarray
    roots: np.ndarray
    parent_rows: np.ndarray
    child_rows: np.ndarray
    slot: np.ndarray
    n_children: np.ndarray


def _place(parent, ptr, kids, height, offsets):
    """Rows top-down, one level at a time: each row's node, and each edge's child node (edges by parent row).

    A level's rows are known before its children are placed.  Its nodes'
    children, read from the CSR in row order, are the level's edges in
    (parent row, slot) order; split by the children's level (a stable sort
    on small keys), they are the next pieces of the lower levels.  A level
    is its pieces from the nearest parent level up (lower parent rows first),
    then its roots by index.
    """
    n_levels = offsets.size - 1
    roots = np.flatnonzero(parent < 0)
    roots = roots[radix_order(height[roots])]  # by level, each level in index order
    root_ends = np.cumsum(np.bincount(height[roots], minlength=n_levels)).tolist()
    deg_all = np.diff(ptr)
    edge_ends = np.cumsum(np.bincount(height, weights=deg_all, minlength=n_levels)).astype(np.int64).tolist()
    node, child = np.empty(parent.size, dtype=np.int64), np.empty(kids.size, dtype=np.int64)
    pieces = [[] for _ in range(n_levels)]  # pieces[l]: children at level l, from the highest parent level down
    for lvl in range(n_levels - 1, -1, -1):
        nodes = pieces[lvl][::-1] + [roots[(root_ends[lvl - 1] if lvl else 0):root_ends[lvl]]]
        pieces[lvl] = None
        node[offsets[lvl]:offsets[lvl + 1]] = np.concatenate(nodes) if len(nodes) > 1 else nodes[0]
        e0, e1 = (edge_ends[lvl - 1] if lvl else 0), edge_ends[lvl]
        if e1 == e0:
            continue
        nodes = node[offsets[lvl]:offsets[lvl + 1]]
        deg = deg_all[nodes]
        kid = kids[np.arange(e1 - e0) + np.repeat(ptr[nodes] - (np.cumsum(deg) - deg), deg)]  # the runs in row order
        child[e0:e1] = kid
        h = height[kid]
        kid = kid[radix_order(h)]
        ends = np.cumsum(np.bincount(h, minlength=lvl))
        for l in np.flatnonzero(ends - np.concatenate(([0], ends[:-1]))).tolist():
            pieces[l].append(kid[(ends[l - 1] if l else 0):ends[l]])
    return node, child


def layout(parent: np.ndarray, slot: np.ndarray | None, ptr: np.ndarray, kids: np.ndarray,
           height: np.ndarray) -> Layout:
    """The :class:`Layout` of a validated forest (no cycles), from :func:`children` and :func:`heights`.

    ``slot=None``: each child's slot is its rank among its siblings by index.

    Examples
    --------
    >>> parent = np.array([-1, 0, 0, 1, -1])      # tree 0: 0 -> 1 -> 3 and 0 -> 2; tree 1: node 4 alone
    >>> ptr, kids = children(parent)
    >>> lay = layout(parent, None, ptr, kids, heights(parent, np.diff(ptr)))
    >>> lay.node.tolist(), lay.offsets.tolist(), lay.roots.tolist()
    ([3, 2, 4, 1, 0], [0, 3, 4, 5], [4, 2])
    >>> lay.parent_rows.tolist(), lay.child_rows.tolist(), lay.slot.tolist()
    ([3, 4, 4], [0, 3, 1], [0, 0, 1])
    """
    n = parent.size
    offsets = np.zeros(int(height.max()) + 2, dtype=np.int64)
    np.cumsum(np.bincount(height), out=offsets[1:])
    node, child = _place(parent, ptr, kids, height, offsets)
    row = np.empty(n, dtype=np.int64)
    row[node] = np.arange(n)
    n_children = np.diff(ptr)[node]
    if slot is None:  # edges of a row are consecutive, in slot order: the rank is the offset in the row's run
        slot_e = np.arange(child.size) - np.repeat(np.cumsum(n_children) - n_children, n_children)
    else:
        slot_e = slot[child]
    roots = row[np.flatnonzero(parent < 0)]
    parent_rows = np.repeat(np.arange(n), n_children)
    return Layout(node, row, offsets, roots, parent_rows, row[child], slot_e, n_children)


def row_trees(offsets: np.ndarray, roots: np.ndarray, parent_rows: np.ndarray, child_rows: np.ndarray) -> np.ndarray:
    """Each row's tree (tree ``k`` is the one of ``roots[k]``), handed down level by level in row space.

    Examples
    --------
    >>> lay = layout(*_example())
    >>> row_trees(lay.offsets, lay.roots, lay.parent_rows, lay.child_rows).tolist()
    [0, 0, 1, 0, 0]
    """
    up = np.full(offsets[-1], -1, dtype=np.int64)
    up[child_rows] = parent_rows
    tree = np.empty(offsets[-1], dtype=np.int64)
    tree[roots] = np.arange(roots.size)
    for lvl in range(offsets.size - 2, -1, -1):
        rows = np.arange(offsets[lvl], offsets[lvl + 1])
        rows = rows[up[rows] >= 0]
        tree[rows] = tree[up[rows]]
    return tree


def _example():
    """The forest of the examples: tree 0 is 0 -> 1 -> 3 and 0 -> 2, tree 1 is node 4 alone."""
    parent = np.array([-1, 0, 0, 1, -1])
    ptr, kids = children(parent)
    return parent, None, ptr, kids, heights(parent, np.diff(ptr))
