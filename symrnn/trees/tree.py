"""Rooted trees on networkx: validation, the root, child order, levels and forests.

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

Levels are networkx's ``topological_generations`` of the *reversed* graph
(edges child → parent): level 0 holds the leaves, and every node sits one
level above its highest child, so all children of a level are finished
before it.  A :class:`Forest` lays many trees out level by level: rows of
one level are contiguous, which is what lets a kernel run one GEMM per level.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Hashable

import networkx as nx
import numpy as np

from ..errors import InputError
from ..numeric.params import real_array

__all__ = ["TreeError", "RootedTree", "rooted_tree", "POSITION"]

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


def _name(node) -> str:
    return repr(node)


def _check_graph(G, tree):
    if not isinstance(G, nx.Graph):
        raise TreeError(f"expected a networkx Graph or DiGraph, got {type(G).__name__}", tree=tree)
    if G.is_multigraph():
        raise TreeError("a tree has no parallel edges; got a networkx multigraph", tree=tree)
    if G.number_of_nodes() == 0:
        raise TreeError("the graph has no nodes; a tree has at least its root", tree=tree)
    for u, v in nx.selfloop_edges(G):
        raise TreeError(f"node {_name(u)} has an edge to itself (a cycle)", node=u, tree=tree)


def _directed_children(G, root, tree):
    pred = G._pred  # networkx's own dicts (its algorithms read them too): no view objects per node
    for v, ps in pred.items():
        if len(ps) > 1:
            ps = list(ps)
            raise TreeError(f"node {_name(v)} has {len(ps)} parents ({', '.join(map(_name, ps[:3]))}); "
                            "a tree node has at most one (edges point parent -> child; for child -> parent edges pass "
                            "edges='child_to_parent')", node=v, tree=tree)
    roots = [v for v, ps in pred.items() if not ps]
    if not roots:
        cyc = nx.find_cycle(G)
        raise TreeError(f"node {_name(cyc[0][0])} lies on a cycle {' -> '.join(_name(e[0]) for e in cyc)} -> "
                        f"{_name(cyc[0][0])}; a tree has none", node=cyc[0][0], tree=tree)
    if len(roots) > 1:
        raise TreeError(f"the graph has {len(roots)} roots (nodes without a parent: "
                        f"{', '.join(map(_name, roots[:4]))}{', ...' if len(roots) > 4 else ''}); it is disconnected. "
                        "A tree has one root; pass a forest as a list of trees", node=roots[1], tree=tree)
    if root is not None and root != roots[0]:
        raise TreeError(f"root={_name(root)} has a parent; the root of this tree is {_name(roots[0])}",
                        node=root, tree=tree)
    # one root and at most one parent each: the nodes the root does not reach lie on cycles (found by the post-order pass of rooted_tree)
    return roots[0], {v: list(cs) for v, cs in G._succ.items()}


def _unreached(G, root, reached, tree):
    rest = next(v for v in G.nodes if v not in reached)
    if G.is_directed():
        cyc = nx.find_cycle(G, rest)
        raise TreeError(f"node {_name(cyc[0][0])} lies on a cycle not reachable from the root {_name(root)}; "
                        "a tree has none", node=cyc[0][0], tree=tree)
    raise TreeError(f"node {_name(rest)} is not connected to the root {_name(root)}; "
                    "a tree is connected (pass a forest as a list of trees)", node=rest, tree=tree)


def _undirected_children(G, root, tree):
    if root is None:
        root = G.graph.get("root")
    if root is None:
        raise TreeError("an undirected tree needs its root: pass root=... or set G.graph['root'] "
                        "(or give a DiGraph with edges parent -> child)", tree=tree)
    if root not in G:
        raise TreeError(f"root {_name(root)} is not a node of the graph", node=root, tree=tree)
    children, parent = {root: []}, {root: None}
    stack = [root]
    while stack:
        v = stack.pop()
        for u in G.neighbors(v):
            if u == parent[v]:
                continue
            if u in parent:
                raise TreeError(f"node {_name(u)} lies on a cycle (reached from {_name(v)} and "
                                f"{_name(parent[u])}); a tree has none", node=u, tree=tree)
            parent[u], children[u] = v, []
            children[v].append(u)
            stack.append(u)
    if len(parent) != G.number_of_nodes():
        _unreached(G, root, parent, tree)
    return root, children


def _positions(G, v, kids, tree):
    if not kids:
        return []
    edges = G._adj[v]
    pos = [edges[c].get(POSITION) for c in kids]
    if all(p is None for p in pos):
        return [(c, None) for c in kids]
    if any(p is None for p in pos):
        c = kids[pos.index(None)]
        raise TreeError(f"node {_name(v)}: the edge to child {_name(c)} has no {POSITION!r} while its siblings' do",
                        node=v, tree=tree)
    for c, p in zip(kids, pos):
        if isinstance(p, bool) or not isinstance(p, (int, np.integer)) or p < 0:
            raise TreeError(f"node {_name(v)}: child {_name(c)} has {POSITION}={p!r}; expected an integer >= 0",
                            node=v, tree=tree)
    if len(set(pos)) != len(pos):
        raise TreeError(f"node {_name(v)}: two children share a {POSITION} ({sorted(pos)})", node=v, tree=tree)
    return sorted(zip(kids, (int(p) for p in pos)), key=lambda cp: cp[1])


def _features(G, feature, dim, tree):
    """Fast path: stack every feature at once; on any problem, find and name the node."""
    data = G._node
    try:
        X = real_array([d[feature] for d in data.values()], "features")
        ok = X.ndim == 2 and X.shape[1] > 0 and (dim is None or X.shape[1] == dim)
    except (KeyError, InputError):
        ok = False
    if ok:
        return dict(zip(data, X))
    return _features_slow(G, feature, dim, tree)


def _features_slow(G, feature, dim, tree):
    out = {}
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
        out[v] = x
    raise TreeError(f"features {feature!r} could not be stacked", tree=tree)  # pragma: no cover - found above


EDGES = ("parent_to_child", "child_to_parent")


def rooted_tree(G: nx.Graph, *, root: Hashable | None = None, feature: str = "x", dim: int | None = None,
                edges: str = "parent_to_child", _tree: int | None = None) -> RootedTree:
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
    if edges not in EDGES:
        raise TreeError(f"edges must be one of {EDGES}, got {edges!r}")
    _check_graph(G, _tree)
    if G.is_directed() and edges == "child_to_parent":
        G = G.reverse(copy=False)
    if G.is_directed():
        root, kids = _directed_children(G, root, _tree)
    else:
        root, kids = _undirected_children(G, root, _tree)
    children = {v: _positions(G, v, ks, _tree) for v, ks in kids.items()}
    feats = _features(G, feature, dim, _tree)
    order, stack = [], [(root, False)]
    while stack:  # iterative post-order: deep chains need no recursion
        v, done = stack.pop()
        if done:
            order.append(v)
            continue
        stack.append((v, True))
        stack.extend((c, False) for c, _ in reversed(children[v]))
    if len(order) != G.number_of_nodes():
        _unreached(G, root, set(order), _tree)
    return RootedTree(G, root, children, feats, tuple(order))

