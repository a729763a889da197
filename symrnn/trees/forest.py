"""Forests: many rooted trees laid out for level-by-level batched kernels.

Nodes of all trees are ordered by level (a node's height: leaves first), so
one level of the whole forest is one contiguous block of rows and one GEMM.
Every input — networkx graphs, :class:`~symrnn.trees.tree.RootedTree` s
(:func:`forest`) or a parent array (:func:`~symrnn.trees.parents.forest_from_parents`)
— becomes one parent array over all its nodes, laid out by
:mod:`~symrnn.trees.layout` at array speed.  What names a row — its tree and
node label — and the per-tree :class:`RootedTree` s are built only when
asked for (:attr:`Forest.nodes`, :attr:`Forest.row`, :attr:`Forest.trees`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import chain
from typing import Sequence

import networkx as nx
import numpy as np

from .layout import children, layout, radix_order, row_trees
from .tree import POSITION, RootedTree, TreeError, as_rooted, check_structure, graph_arrays, graph_features

__all__ = ["Forest", "forest", "assemble"]


@dataclass(frozen=True, eq=False)
class Source:
    """What a :class:`Forest` was read from, in input order (node ``i`` of the parent array).

    ``parent[i]`` is node ``i``'s parent (``-1``: a root), ``positioned[i]``
    whether its slot is a given position; ``labels[i]`` names node ``i`` (``None``: the node is its index),
    ``starts[k]`` is tree ``k``'s first node when the trees are consecutive
    ranges (networkx input), ``graphs[k]`` its graph or given RootedTree
    (``None``: built from the arrays when asked for).
    """

    parent: np.ndarray
    positioned: np.ndarray
    labels: list | None = None
    starts: np.ndarray | None = None
    graphs: tuple | None = None


@dataclass(frozen=True, eq=False)
class Forest:
    """Many trees laid out level by level (leaves first) for batched kernels.

    Rows ``offsets[l]:offsets[l+1]`` are the nodes of level ``l`` (ordered
    by their parent's row, see :func:`forest`).  ``node[r]`` is row ``r``'s
    index in the input (the parent array, or the graphs' nodes one after
    another) and ``features`` (N, D) are in that input order, so
    ``features[node[r0:r1]]`` are the features of rows ``r0:r1`` (``X``, in
    row order, is built on first use).  ``roots`` are the root rows, one per
    tree.  For each edge ``child_rows[e]`` is the child's row,
    ``parent_rows[e]`` its parent's and ``slot[e]`` its 0-based position
    among the parent's children (the ``position`` attribute when given);
    edges are sorted by parent row.  Built on first use too: ``tree[r]``
    (row ``r``'s tree), ``nodes[r] = (tree, node)`` naming row ``r``, and
    ``row``, its inverse.  ``cache`` holds these and what kernels derive from
    the layout once (the blocks of :func:`~symrnn.trees.schedule.blocks`);
    the layout itself never changes.
    """

    features: np.ndarray
    offsets: np.ndarray
    roots: np.ndarray
    child_rows: np.ndarray
    parent_rows: np.ndarray
    slot: np.ndarray
    n_children: np.ndarray
    node: np.ndarray
    source: Source = field(repr=False)
    cache: dict = field(default_factory=dict, repr=False)

    @property
    def size(self) -> int:
        return self.features.shape[0]

    @property
    def levels(self) -> int:
        return len(self.offsets) - 1

    def _cached(self, key, make):
        if key not in self.cache:
            self.cache[key] = make()
        return self.cache[key]

    @property
    def X(self) -> np.ndarray:
        """Features in row order, (N, D)."""
        return self._cached("X", lambda: self.features[self.node])

    @property
    def tree(self) -> np.ndarray:
        """Each row's tree, (N,)."""
        return self._cached("tree", lambda: row_trees(self.offsets, self.roots, self.parent_rows, self.child_rows))

    def label(self, i: int):
        """The label of input node ``i`` (its index for a parent array)."""
        labels = self.source.labels
        return int(i) if labels is None else labels[int(i)]

    def name(self, r: int) -> tuple:
        """``(tree, node)`` of row ``r``."""
        return int(self.tree[r]), self.label(self.node[r])

    @property
    def nodes(self) -> tuple:
        """``(tree, node)`` of every row."""
        def make():
            node = self.node.tolist()
            labels = node if self.source.labels is None else map(self.source.labels.__getitem__, node)
            return tuple(zip(self.tree.tolist(), labels))

        return self._cached("nodes", make)

    @property
    def row(self) -> dict:
        """``{(tree, node): row}``."""
        return self._cached("row", lambda: dict(zip(self.nodes, range(self.size))))

    def values(self, array: np.ndarray, tree: int = 0) -> dict:
        """Rows of a per-node array (N, ...) as ``{node: row}`` for one tree."""
        rows = np.flatnonzero(self.tree == tree)
        return {self.label(self.node[r]): array[r] for r in rows.tolist()}

    @property
    def trees(self) -> tuple:
        """Each tree as a :class:`RootedTree` (the given one, or built from the arrays on first use)."""
        return self._cached("trees", lambda: _rooted_trees(self))


def _tree_graph(labels, parent, slot, positioned, X):
    """A parent array's tree as a DiGraph (edges parent → child, ``x`` and ``position`` attributes)."""
    G = nx.DiGraph()
    G.add_nodes_from((v, {"x": x}) for v, x in zip(labels, X))
    for c in np.flatnonzero(parent >= 0).tolist():
        G.add_edge(labels[parent[c]], labels[c], **({POSITION: int(slot[c])} if positioned[c] else {}))
    return G


def _rooted_trees(f: Forest) -> tuple:
    src, K, X = f.source, len(f.roots), f.features
    slots = np.zeros(f.size, dtype=np.int64)
    slots[f.node[f.child_rows]] = f.slot  # back to input order
    tree = np.empty(f.size, dtype=np.int64)
    tree[f.node] = f.tree
    order = radix_order(tree)  # each tree's nodes, in input order
    ends = np.cumsum(np.bincount(tree, minlength=K)).tolist()
    out = []
    for k in range(K):
        given = src.graphs[k] if src.graphs is not None else None
        if isinstance(given, RootedTree):
            out.append(given)
            continue
        idx = order[(ends[k - 1] if k else 0):ends[k]]
        local = np.empty(f.size, dtype=np.int64)
        local[idx] = np.arange(idx.size)
        parent = np.where(src.parent[idx] >= 0, local[np.maximum(src.parent[idx], 0)], -1)
        labels = [f.label(i) for i in idx.tolist()]
        slot, positioned = slots[idx], src.positioned[idx]
        graph = given if given is not None else _tree_graph(labels, parent, slot, positioned, X[idx])
        ptr, kids = children(parent, slot)
        out.append(as_rooted(graph, labels, parent, slot, positioned, X[idx], ptr, kids))
    return tuple(out)


def assemble(features: np.ndarray, parent: np.ndarray, slot: np.ndarray | None, where, *, names: tuple = ("", ""),
             positioned: np.ndarray | None = None, **source) -> Forest:
    """Check the structure (naming nodes by ``where(i) -> (label, tree)``) and lay it out as a :class:`Forest`.

    ``features`` are in input order; ``slot`` and ``names`` as in
    :func:`~symrnn.trees.tree.check_structure`; ``positioned`` marks the
    slots given as positions (``None``: none); ``source`` are the other
    fields of :class:`Source`.
    """
    if positioned is None:
        positioned = np.zeros(parent.size, dtype=bool)
    any_positions = bool(positioned.any())
    ptr, kids, height = check_structure(parent, slot, where, names=names, positions=any_positions)
    lay = layout(parent, slot, ptr, kids, height)
    return Forest(features, lay.offsets, lay.roots, lay.child_rows, lay.parent_rows, lay.slot, lay.n_children,
                  lay.node, Source(parent, positioned, **source))


def _rooted_arrays(t: RootedTree):
    labels = list(t.order)
    index = {v: i for i, v in enumerate(labels)}
    parent = np.full(len(labels), -1, dtype=np.int64)
    slot = np.zeros(len(labels), dtype=np.int64)
    positioned = np.zeros(len(labels), dtype=bool)
    for v, kids in t.children.items():
        for s, (c, p) in enumerate(kids):
            i = index[c]
            parent[i], slot[i], positioned[i] = index[v], s if p is None else p, p is not None
    return labels, parent, slot, positioned, np.stack([t.features[v] for v in labels])


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
    Each graph is read in one pass into a parent array
    (:func:`~symrnn.trees.tree.graph_arrays`); the arrays of all trees are
    joined and laid out at once by :mod:`~symrnn.trees.layout` (no loop over
    nodes): the levels are ``nx.topological_generations`` of the child →
    parent graph (a node's level is its height), so level ``l`` of every tree
    shares the same rows block.  Within a level, rows follow their parent's
    row (then the child order), and roots come last, by tree: the children
    of consecutive rows are then consecutive rows of each lower level, which
    a kernel copies as a few slices instead of gathering them row by row.
    Trees already held as arrays skip networkx:
    :func:`~symrnn.trees.parents.forest_from_parents`.

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
    if isinstance(trees, np.ndarray):
        raise TreeError(f"trees must be a networkx tree, a RootedTree or a sequence of them, got a {trees.dtype} array "
                        f"of shape {trees.shape}; a forest held as a parent array is read by "
                        "symrnn.trees.forest_from_parents(parents, features)")
    if isinstance(trees, (str, bytes, dict)) or not hasattr(trees, "__iter__"):
        raise TreeError(f"trees must be a networkx tree, a RootedTree or a sequence of them, got {type(trees).__name__} {trees!r}")
    trees = list(trees)
    if not trees:
        raise TreeError("a forest needs at least one tree")
    if roots is not None and len(roots) != len(trees):
        raise TreeError(f"roots has {len(roots)} entries for {len(trees)} trees")
    parts, graphs, dims = [], [], []
    for k, G in enumerate(trees):
        if isinstance(G, RootedTree):
            labels, parent, slot, positioned, X = _rooted_arrays(G)
            parts.append((labels, parent, slot, positioned, X))
            graphs.append(G)
            continue
        g = graph_arrays(G, root=None if roots is None else roots[k], edges=edges, tree=k)
        parts.append((g.labels, g.parent, g.slot, g.positioned, None))
        graphs.append(g.graph)
    X = _features([p[4] for p in parts], graphs, feature)
    sizes = np.array([len(p[0]) for p in parts], dtype=np.int64)
    starts = np.cumsum(sizes) - sizes
    parent = np.concatenate([np.where(p[1] >= 0, p[1] + s, -1) for p, s in zip(parts, starts.tolist())])
    labels = parts[0][0] if len(parts) == 1 else list(chain.from_iterable(p[0] for p in parts))

    def where(i):
        return labels[i], int(np.searchsorted(starts, i, side="right")) - 1

    return assemble(X, parent, np.concatenate([p[2] for p in parts]), where,
                    positioned=np.concatenate([p[3] for p in parts]), labels=labels, starts=starts, graphs=tuple(graphs))


def _features(given, graphs, feature):
    """Features of every tree stacked: a RootedTree's as given, a graph's read from its nodes; one D for all."""
    dim, blocks, k = None, [], 0
    while k < len(given):
        if given[k] is not None:
            X = given[k]
            if dim is not None and X.shape[1] != dim:
                v = next(iter(graphs[k].features))
                raise TreeError(f"node {v!r}: feature has shape ({X.shape[1]},), expected ({dim},)", node=v, tree=k)
            blocks.append(X)
            k += 1
        else:  # a run of graphs: read at once
            j = k
            while j < len(given) and given[j] is None:
                j += 1
            blocks.append(graph_features(graphs[k:j], feature, dim, first=k))
            k = j
        dim = blocks[-1].shape[1]
    return np.concatenate(blocks) if len(blocks) > 1 else blocks[0]
