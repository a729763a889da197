"""Rooted trees on networkx: validation naming the node, read in one pass into parent arrays.

Conventions (the ones networkx itself uses for rooted trees):

* a directed tree is an **arborescence**: edges point **parent → child**
  (``nx.is_arborescence``, ``nx.bfs_tree``); the root is found as the only
  node without a parent (in-degree 0), or checked against ``root=``.  Trees
  stored the other way (child → parent, as dependency trees often are) are
  read with ``edges="child_to_parent"`` (a reversed view, no copy);
* an undirected tree (``nx.Graph``) needs its root: ``root=`` or the graph
  attribute ``G.graph["root"]`` (set by ``nx.random_labeled_rooted_tree``);
  edges are oriented away from it;
* node features sit on a node attribute, ``"x"`` by default;
* children are ordered by the integer edge attribute ``"position"``
  (0-based slot of an N-ary model) when every child edge of the node has
  one, else in networkx's adjacency order (the order edges were added).

A graph is read once into arrays in its node order (:func:`graph_arrays`):
each node's parent index (``-1`` for the root) and slot (its position, or
its rank in the adjacency order).  The structure checks that need the whole
tree — a cycle, two children in one slot — run on those arrays
(:func:`check_structure`, with :mod:`~symrnn.trees.layout`), for one tree
or a whole forest at once.  Levels are the node heights (leaves 0): networkx's
``topological_generations`` of the child → parent graph.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import chain
from operator import itemgetter
from typing import Hashable

import networkx as nx
import numpy as np

from ..errors import InputError
from ..numeric.params import real_array
from .layout import children, clash, heights

__all__ = ["TreeError", "RootedTree", "rooted_tree", "POSITION", "GraphArrays", "graph_arrays", "graph_features",
           "check_structure"]

POSITION = "position"
"""Edge attribute giving a child's 0-based slot in an N-ary model."""


class TreeError(InputError):
    """A graph is not a rooted tree, or its features or branching do not fit.

    ``node`` is the offending node (``None`` when no single node is to blame),
    ``tree`` the index of the tree in a forest.
    """

    def __init__(self, message: str, *, node=None, tree: int | None = None):
        where = f"tree {tree}: " if tree is not None else ""
        super().__init__(where + message)
        self.node = node
        self.tree = tree


@dataclass(frozen=True)
class RootedTree:
    """A validated rooted tree: root, each node's ordered children, features.

    Build it with :func:`rooted_tree`.  ``children[v]`` lists ``(child,
    position)`` pairs in child order (``position`` is ``None`` when the edges
    carry none); ``features`` maps node → float64 array of shape (D,).
    """

    graph: nx.Graph
    root: Hashable
    children: dict
    features: dict
    order: tuple  # nodes, children before parents (post-order)

    @property
    def size(self) -> int:
        return len(self.order)

    def parent(self) -> dict:
        """``child -> parent`` for every node except the root."""
        return {c: v for v, cs in self.children.items() for c, _ in cs}


@dataclass(frozen=True, eq=False)
class GraphArrays:
    """One tree read from networkx, in the graph's node order: ``labels[i]`` is node ``i``.

    ``parent[i]`` is the parent's index (``-1``: the root), ``slot[i]`` the
    child's slot (its ``position``, or its rank among its siblings in
    adjacency order) and ``positioned[i]`` whether the slot is a position
    given on the edge.  ``graph`` is the graph as read (edges parent → child).
    """

    graph: nx.Graph
    labels: list
    parent: np.ndarray
    slot: np.ndarray
    positioned: np.ndarray


def _name(node) -> str:
    return repr(node)


def _check_graph(G, tree):
    if not isinstance(G, nx.Graph):
        raise TreeError(f"expected a networkx Graph or DiGraph, got {type(G).__name__}", tree=tree)
    if G.is_multigraph():
        raise TreeError("a tree has no parallel edges; got a networkx multigraph", tree=tree)
    if G.number_of_nodes() == 0:
        raise TreeError("the graph has no nodes; a tree has at least its root", tree=tree)


def _self_loop(v, tree):
    return TreeError(f"node {_name(v)} has an edge to itself (a cycle)", node=v, tree=tree)


def _indices(labels, values, count):
    """Node labels as indices into ``labels`` (no lookup when the labels are 0 … n-1)."""
    if labels == list(range(len(labels))):
        return np.fromiter(values, np.int64, count=count)
    index = {v: i for i, v in enumerate(labels)}
    return np.fromiter(map(index.__getitem__, values), np.int64, count=count)


def _directed(G, root, tree):
    """Parent index, per edge (parent, child, adjacency rank) and the edges' data, from the adjacency dicts."""
    labels, succ = list(G._node), G._succ  # networkx's own dicts (its algorithms read them too)
    n = len(labels)
    deg = np.fromiter(map(len, succ.values()), np.int64, count=n)
    E = int(deg.sum())
    child = _indices(labels, chain.from_iterable(succ.values()), E)
    par_e = np.repeat(np.arange(n), deg)
    loop = np.flatnonzero(child == par_e)
    if loop.size:
        raise _self_loop(labels[child[loop[0]]], tree)
    count = np.bincount(child, minlength=n)
    two = np.flatnonzero(count > 1)
    if two.size:
        v = labels[two[0]]
        ps = list(G._pred[v])
        raise TreeError(f"node {_name(v)} has {len(ps)} parents ({', '.join(map(_name, ps[:3]))}); "
                        "a tree node has at most one (edges point parent -> child; for child -> parent edges pass "
                        "edges='child_to_parent')", node=v, tree=tree)
    roots = [labels[i] for i in np.flatnonzero(count == 0)[:5]]
    if not roots:
        cyc = nx.find_cycle(G)
        raise TreeError(f"node {_name(cyc[0][0])} lies on a cycle {' -> '.join(_name(e[0]) for e in cyc)} -> "
                        f"{_name(cyc[0][0])}; a tree has none", node=cyc[0][0], tree=tree)
    if len(roots) > 1:
        k = int(np.count_nonzero(count == 0))
        raise TreeError(f"the graph has {k} roots (nodes without a parent: "
                        f"{', '.join(map(_name, roots[:4]))}{', ...' if k > 4 else ''}); it is disconnected. "
                        "A tree has one root; pass a forest as a list of trees", node=roots[1], tree=tree)
    if root is not None and root != roots[0]:
        raise TreeError(f"root={_name(root)} has a parent; the root of this tree is {_name(roots[0])}",
                        node=root, tree=tree)
    parent = np.full(n, -1, dtype=np.int64)
    parent[child] = par_e
    rank = np.arange(E) - np.repeat(np.cumsum(deg) - deg, deg)
    data = chain.from_iterable(map(dict.values, succ.values()))
    has_data = any(chain.from_iterable(map(dict.values, succ.values())))  # empty edge dicts: no positions
    return labels, parent, (par_e, child, rank), list(data) if has_data else None


def _undirected(G, root, tree):
    """The same from a depth-first walk away from the root (rank: order among the node's neighbours)."""
    if root is None:
        root = G.graph.get("root")
    if root is None:
        raise TreeError("an undirected tree needs its root: pass root=... or set G.graph['root'] "
                        "(or give a DiGraph with edges parent -> child)", tree=tree)
    if root not in G:
        raise TreeError(f"root {_name(root)} is not a node of the graph", node=root, tree=tree)
    adj = G._adj
    for v, nbrs in adj.items():
        if v in nbrs:
            raise _self_loop(v, tree)
    parent_of, edges, stack = {root: None}, [], [root]
    while stack:
        v = stack.pop()
        rank = 0
        for u, d in adj[v].items():
            if u == parent_of[v]:
                continue
            if u in parent_of:
                raise TreeError(f"node {_name(u)} lies on a cycle (reached from {_name(v)} and "
                                f"{_name(parent_of[u])}); a tree has none", node=u, tree=tree)
            parent_of[u] = v
            edges.append((v, u, rank, d))
            rank += 1
            stack.append(u)
    labels = list(G._node)
    if len(parent_of) != len(labels):
        rest = next(v for v in labels if v not in parent_of)
        raise TreeError(f"node {_name(rest)} is not connected to the root {_name(root)}; "
                        "a tree is connected (pass a forest as a list of trees)", node=rest, tree=tree)
    E = len(edges)
    par_e = _indices(labels, map(itemgetter(0), edges), E)
    child = _indices(labels, map(itemgetter(1), edges), E)
    parent = np.full(len(labels), -1, dtype=np.int64)
    parent[child] = par_e
    rank = np.fromiter(map(itemgetter(2), edges), np.int64, count=E)
    return labels, parent, (par_e, child, rank), [e[3] for e in edges]


def _bad_position(p) -> bool:
    return isinstance(p, bool) or not isinstance(p, (int, np.integer)) or p < 0 or p > 2 ** 62


def _slots(labels, edges, data, tree):
    """Each child's slot: the ``position`` of its edge when all its siblings' edges have one, else its rank."""
    par_e, child, rank = edges
    n = len(labels)
    slot, positioned = np.zeros(n, dtype=np.int64), np.zeros(n, dtype=bool)
    pos = None if data is None else [d.get(POSITION) for d in data]
    if pos is None or pos.count(None) == len(pos):
        slot[child] = rank
        return slot, positioned
    given = np.fromiter((p is not None for p in pos), bool, count=len(pos))
    n_given = np.bincount(par_e, weights=given, minlength=n)
    mixed = np.flatnonzero((n_given > 0) & (n_given != np.bincount(par_e, minlength=n)))
    if mixed.size:
        e = np.flatnonzero((par_e == mixed[0]) & ~given)[0]
        v, c = labels[mixed[0]], labels[child[e]]
        raise TreeError(f"node {_name(v)}: the edge to child {_name(c)} has no {POSITION!r} while its siblings' do",
                        node=v, tree=tree)
    for e in np.flatnonzero(given):
        if _bad_position(pos[e]):
            v, c = labels[par_e[e]], labels[child[e]]
            raise TreeError(f"node {_name(v)}: child {_name(c)} has {POSITION}={pos[e]!r}; expected an integer >= 0",
                            node=v, tree=tree)
    slot[child] = rank
    slot[child[given]] = np.array([pos[e] for e in np.flatnonzero(given)], dtype=np.int64)
    positioned[child[given]] = True
    return slot, positioned


EDGES = ("parent_to_child", "child_to_parent")


def graph_arrays(G: nx.Graph, *, root: Hashable | None = None, edges: str = "parent_to_child",
                 tree: int | None = None) -> GraphArrays:
    """Read one networkx tree into :class:`GraphArrays`, checking what one pass over it can check.

    A cycle not reachable from the root and two children in one slot are
    found on the arrays by :func:`check_structure`, which every caller runs.

    Examples
    --------
    >>> import networkx as nx
    >>> g = graph_arrays(nx.DiGraph([("r", "b"), ("r", "a"), ("a", "c")]))
    >>> g.labels, g.parent.tolist(), g.slot.tolist()
    (['r', 'b', 'a', 'c'], [-1, 0, 0, 2], [0, 0, 1, 0])
    """
    if edges not in EDGES:
        raise TreeError(f"edges must be one of {EDGES}, got {edges!r}")
    _check_graph(G, tree)
    if G.is_directed() and edges == "child_to_parent":
        G = G.reverse(copy=False)
    labels, parent, per_edge, data = (_directed if G.is_directed() else _undirected)(G, root, tree)
    slot, positioned = _slots(labels, per_edge, data, tree)
    return GraphArrays(G, labels, parent, slot, positioned)


def _features_slow(G, feature, dim, tree):
    for v, data in G.nodes(data=True):
        if feature not in data:
            raise TreeError(f"node {_name(v)} has no feature {feature!r} (a node attribute)", node=v, tree=tree)
        try:  # text and complex numbers are refused, not parsed or cast
            x = real_array(data[feature], f"feature {feature!r}", finite=False)
        except InputError:
            raise TreeError(f"node {_name(v)}: feature {feature!r} is not numeric (an array of real numbers expected): "
                            f"{data[feature]!r:.60}", node=v, tree=tree) from None
        if dim is None:
            dim = x.shape[0] if x.ndim == 1 and x.shape[0] > 0 else None
        if x.ndim != 1 or dim is None or x.shape[0] != dim:
            want = f"({dim},)" if dim is not None else "(D,) with D >= 1"
            raise TreeError(f"node {_name(v)}: feature {feature!r} has shape {x.shape}, expected {want}",
                            node=v, tree=tree)
        if not np.all(np.isfinite(x)):
            raise TreeError(f"node {_name(v)}: feature {feature!r} is not finite: {x}", node=v, tree=tree)
    raise TreeError(f"features {feature!r} could not be stacked", tree=tree)  # pragma: no cover - found above


def graph_features(graphs, feature: str = "x", dim: int | None = None, *, first: int | None = 0) -> np.ndarray:
    """The features of every node of ``graphs`` (in order, each in node order), stacked: (N, D).

    All at once when they stack; else graph by graph, to name the node and
    the tree (``first`` is the first graph's index in the forest; ``None``: a
    lone tree, not named): missing, not numeric, not finite, or not of the
    first tree's shape.

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.DiGraph([(0, 1)]); nx.set_node_attributes(G, {0: [1.0, 2.0], 1: [3.0, 4.0]}, "x")
    >>> graph_features([G, G]).tolist()
    [[1.0, 2.0], [3.0, 4.0], [1.0, 2.0], [3.0, 4.0]]
    """
    get = itemgetter(feature)
    try:
        X = real_array(list(chain.from_iterable(map(get, G._node.values()) for G in graphs)), "features")
        if X.ndim == 2 and X.shape[1] > 0 and (dim is None or X.shape[1] == dim):
            return X
    except (KeyError, InputError):
        pass
    for k, G in enumerate(graphs):  # a problem: find and name it
        try:
            X = real_array(list(map(get, G._node.values())), "features")
            ok = X.ndim == 2 and X.shape[1] > 0 and (dim is None or X.shape[1] == dim)
        except (KeyError, InputError):
            ok = False
        if not ok:
            _features_slow(G, feature, dim, None if first is None else first + k)
        dim = X.shape[1]
    raise TreeError(f"features {feature!r} could not be stacked")  # pragma: no cover - found above


def _cycle(parent, v, where, arg):
    label, tree = where(v)
    path, u = [label], int(parent[v])
    while u != v and len(path) < 6:
        path.append(where(u)[0])
        u = int(parent[u])
    chain_ = ", a child of ".join(map(_name, path)) + (f", a child of {_name(label)}" if u == v else ", ...")
    return TreeError(f"{arg}node {_name(label)} lies on a cycle ({chain_}); a tree has none", node=label, tree=tree)


def check_structure(parent: np.ndarray, slot: np.ndarray | None, where, *, names: tuple = ("", ""),
                    positions: bool = True) -> tuple:
    """Children, heights, or the :class:`TreeError` naming a node on a cycle or a parent with two children in one slot.

    ``slot`` are the children's slots (``None``: by index, see
    :func:`~symrnn.trees.layout.children`); ``positions=False`` says that
    none is a given position (each a rank among siblings: none can clash).
    ``where(i)`` gives node ``i``'s ``(label, tree)``; ``names`` prefix the
    messages of a cycle and of a shared slot (the arguments' names).  Returns
    ``(ptr, kids, height)`` of :func:`~symrnn.trees.layout.children` and
    :func:`~symrnn.trees.layout.heights`.

    Examples
    --------
    >>> check_structure(np.array([1, 0]), None, lambda i: ("ab"[i], None))
    Traceback (most recent call last):
    ...
    symrnn.trees.tree.TreeError: node 'a' lies on a cycle ('a', a child of 'b', a child of 'a'); a tree has none
    """
    given = slot is not None and positions
    ptr, kids = children(parent, slot)
    height = heights(parent, np.diff(ptr))
    on_cycle = np.flatnonzero(height < 0)
    if on_cycle.size:
        raise _cycle(parent, int(on_cycle[0]), where, names[0])
    c = clash(parent, slot, kids) if given else None
    if c is not None:
        p = int(parent[c])
        sibs = kids[ptr[p]:ptr[p + 1]]
        a = int(sibs[np.flatnonzero(slot[sibs] == slot[c])[0]])
        (label, tree), first, second = where(p), where(a)[0], where(c)[0]
        raise TreeError(f"{names[1]}node {_name(label)}: two children ({_name(first)}, {_name(second)}) share a "
                        f"{POSITION} ({int(slot[c])})", node=label, tree=tree)
    return ptr, kids, height


def as_rooted(graph, labels, parent, slot, positioned, X, ptr, kids) -> RootedTree:
    """A checked tree's arrays (one root) as a :class:`RootedTree` of per-node dicts (children in slot order)."""
    kid_labels = [labels[i] for i in kids.tolist()]
    pos = [s if p else None for s, p in zip(slot[kids].tolist(), positioned[kids].tolist())]
    bounds = ptr.tolist()
    children_ = {v: list(zip(kid_labels[bounds[i]:bounds[i + 1]], pos[bounds[i]:bounds[i + 1]]))
                 for i, v in enumerate(labels)}
    root = labels[int(np.flatnonzero(parent < 0)[0])]
    order, stack = [], [(root, False)]
    while stack:  # iterative post-order: deep chains need no recursion
        v, done = stack.pop()
        if done:
            order.append(v)
            continue
        stack.append((v, True))
        stack.extend((c, False) for c, _ in reversed(children_[v]))
    return RootedTree(graph, root, children_, dict(zip(labels, X)), tuple(order))


def rooted_tree(G: nx.Graph, *, root: Hashable | None = None, feature: str = "x", dim: int | None = None,
                edges: str = "parent_to_child") -> RootedTree:
    """Validate a networkx tree and orient it from its root.

    Parameters
    ----------
    G : networkx.DiGraph or networkx.Graph
        A DiGraph with edges parent → child (an arborescence), or an
        undirected tree with ``root=`` or ``G.graph["root"]``.
    root : node, optional
        The root; for a DiGraph it must be the node without a parent.
    feature : str
        Node attribute holding the feature vector (shape (D,)).
    dim : int, optional
        Required feature length D.
    edges : {"parent_to_child", "child_to_parent"}
        Direction of a DiGraph's edges (ignored for undirected trees).

    Returns
    -------
    RootedTree

    Raises
    ------
    TreeError
        Not a tree (a cycle, a node with two parents, several roots,
        disconnected, no root for an undirected graph), a missing, non-numeric
        or wrongly sized feature, or inconsistent ``position`` attributes;
        the message and ``.node`` name the node.

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.DiGraph([("r", "a"), ("r", "b"), ("a", "c")])
    >>> nx.set_node_attributes(G, {v: [1.0, 0.0] for v in G}, "x")
    >>> t = rooted_tree(G)
    >>> t.root, [c for c, _ in t.children["r"]], t.order
    ('r', ['a', 'b'], ('c', 'a', 'b', 'r'))
    >>> G.add_edge("b", "c")
    >>> rooted_tree(G)
    Traceback (most recent call last):
    ...
    symrnn.trees.tree.TreeError: node 'c' has 2 parents ('a', 'b'); a tree node has at most one (edges point parent -> child; for child -> parent edges pass edges='child_to_parent')
    """
    g = graph_arrays(G, root=root, edges=edges)
    X = graph_features([g.graph], feature, dim, first=None)
    ptr, kids, _ = check_structure(g.parent, g.slot, lambda i: (g.labels[i], None), positions=g.positioned.any())
    return as_rooted(g.graph, g.labels, g.parent, g.slot, g.positioned, X, ptr, kids)
