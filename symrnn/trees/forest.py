"""Forests: many rooted trees laid out for level-by-level batched kernels.

Nodes of all trees are ordered by level (a node's height: leaves first), so
one level of the whole forest is one contiguous block of rows and one GEMM.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import networkx as nx
import numpy as np

from .tree import RootedTree, TreeError, rooted_tree

__all__ = ["Forest", "forest"]


@dataclass(frozen=True)
class Forest:
    """Many trees laid out level by level (leaves first) for batched kernels.

    Rows ``offsets[l]:offsets[l+1]`` are the nodes of level ``l`` (ordered
    by their parent's row, see :func:`forest`); ``X`` is
    (N, D).  ``nodes[r] = (tree, node)`` names row ``r``; ``row`` is its
    inverse; ``roots`` are the root rows, one per tree.  For each edge
    ``child_rows[e]`` is the child's row, ``parent_rows[e]`` its parent's and
    ``slot[e]`` its 0-based position among the parent's children (the
    ``position`` attribute when given); edges are sorted by parent row.
    ``cache`` holds what kernels derive from the layout once (the blocks of
    :func:`~symrnn.trees.schedule.blocks`); the layout itself never changes.
    """

    trees: tuple
    X: np.ndarray
    offsets: np.ndarray
    nodes: tuple
    row: dict
    roots: np.ndarray
    child_rows: np.ndarray
    parent_rows: np.ndarray
    slot: np.ndarray
    n_children: np.ndarray
    cache: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def size(self) -> int:
        return self.X.shape[0]

    @property
    def levels(self) -> int:
        return len(self.offsets) - 1

    def values(self, array: np.ndarray, tree: int = 0) -> dict:
        """Rows of a per-node array (N, ...) as ``{node: row}`` for one tree."""
        return {v: array[r] for (t, v), r in self.row.items() if t == tree}


def _levels(t: RootedTree) -> dict:
    height = {}
    for v in t.order:  # children come first
        height[v] = 1 + max((height[c] for c, _ in t.children[v]), default=-1)
    return height


def _rows(rooted) -> tuple:
    """Rows level by level (leaves first); in a level by parent row, then child order; roots last, by tree.

    Placed top-down: a level's rows are known before its children are
    placed.  Children arrive in (parent row, child order) order from each
    parent level, and parent levels with lower rows come first: only the
    parent levels of a level are sorted, not its nodes.
    """
    heights = [_levels(t) for t in rooted]
    top = max(h[t.root] for h, t in zip(heights, rooted))
    offsets = np.zeros(top + 2, dtype=np.int64)
    for h in heights:
        np.add.at(offsets, np.fromiter(h.values(), dtype=np.int64, count=len(h)) + 1, 1)
    offsets = np.cumsum(offsets)
    by_parent = [{} for _ in range(top + 1)]  # [level][parent's level] -> [(tree, node)]
    for k, (h, t) in enumerate(zip(heights, rooted)):
        by_parent[h[t.root]].setdefault(top + 1, []).append((k, t.root))  # roots: after every parent level
    nodes, row = [None] * int(offsets[-1]), {}
    for lvl in range(top, -1, -1):
        r = int(offsets[lvl])
        for src in sorted(by_parent[lvl]):
            for k, v in by_parent[lvl][src]:
                row[(k, v)] = r
                nodes[r] = (k, v)
                r += 1
                h = heights[k]
                for c, _ in rooted[k].children[v]:
                    by_parent[h[c]].setdefault(lvl, []).append((k, c))
        by_parent[lvl] = None
    return tuple(nodes), row, offsets


def forest(trees, *, feature: str = "x", roots: Sequence | None = None, edges: str = "parent_to_child") -> Forest:
    """Validate trees and lay them out level by level as one :class:`Forest`.

    Parameters
    ----------
    trees : networkx graph, RootedTree, or a sequence of them
        Each a tree as accepted by :func:`rooted_tree`.
    feature : str
        Node attribute with the features; every tree must have the same D.
    roots : sequence, optional
        Roots of undirected trees (``None`` entries: found or read from the graph).
    edges : {"parent_to_child", "child_to_parent"}
        Direction of the DiGraphs' edges.

    Returns
    -------
    Forest

    Raises
    ------
    TreeError
        As :func:`rooted_tree`, with the tree's index in the message.

    Notes
    -----
    The levels are ``nx.topological_generations`` of the child → parent
    graph (a node's level is its height), computed per tree by one post-order
    pass and merged across trees, so level ``l`` of every tree shares the
    same rows block.  Within a level, rows follow their parent's row (then
    the child order), and roots come last: the children of consecutive rows
    are then consecutive rows of each lower level, which a kernel copies as a
    few slices instead of gathering them row by row.

    Examples
    --------
    >>> import networkx as nx
    >>> a = nx.DiGraph([(0, 1), (0, 2)]); b = nx.path_graph(3, create_using=nx.DiGraph)
    >>> for G in (a, b): nx.set_node_attributes(G, {v: [float(v)] for v in G}, "x")
    >>> f = forest([a, b])
    >>> f.offsets.tolist(), [f.nodes[r] for r in f.roots]
    ([0, 3, 5, 6], [(0, 0), (1, 0)])
    """
    if isinstance(trees, (nx.Graph, RootedTree)):
        trees = [trees]
    if isinstance(trees, (str, bytes, dict)) or not hasattr(trees, "__iter__"):
        raise TreeError(f"trees must be a networkx tree, a RootedTree or a sequence of them, got {type(trees).__name__} {trees!r}")
    trees = list(trees)
    if not trees:
        raise TreeError("a forest needs at least one tree")
    if roots is not None and len(roots) != len(trees):
        raise TreeError(f"roots has {len(roots)} entries for {len(trees)} trees")
    rooted, dim = [], None
    for k, G in enumerate(trees):
        if isinstance(G, RootedTree):
            t = G
            if dim is not None and next(iter(t.features.values())).shape[0] != dim:
                v = next(iter(t.features))
                raise TreeError(f"node {_name(v)}: feature has shape {t.features[v].shape}, expected ({dim},)",
                                node=v, tree=k)
        else:
            t = rooted_tree(G, root=None if roots is None else roots[k], feature=feature, dim=dim, edges=edges,
                            _tree=k)
        dim = next(iter(t.features.values())).shape[0]
        rooted.append(t)
    nodes, row, offsets = _rows(rooted)
    X = np.stack([rooted[k].features[v] for k, v in nodes])
    child, parent, slot = [], [], []
    n_children = np.zeros(len(nodes), dtype=np.int64)
    for r, (k, v) in enumerate(nodes):
        kids = rooted[k].children[v]
        n_children[r] = len(kids)
        for s, (c, p) in enumerate(kids):
            child.append(row[(k, c)])
            parent.append(r)
            slot.append(s if p is None else p)
    roots_ = np.array([row[(k, t.root)] for k, t in enumerate(rooted)], dtype=np.int64)
    as_int = lambda a: np.asarray(a, dtype=np.int64)  # noqa: E731
    return Forest(tuple(rooted), X, as_int(offsets), nodes, row, roots_, as_int(child), as_int(parent),
                  as_int(slot), n_children)
