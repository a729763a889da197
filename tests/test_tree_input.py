"""Bad trees, features, branching and arrays: a symrnn error naming the node, before any computation."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

from symrnn import trees
from symrnn.errors import InputError, SymrnnError
from symrnn.trees import TreeError


def _tree(edges, D=2, directed=True, nodes=()):
    G = (nx.DiGraph if directed else nx.Graph)(edges)
    G.add_nodes_from(nodes)
    nx.set_node_attributes(G, {v: np.ones(D) for v in G}, "x")
    return G


def _raises(fn, *words, node=None):
    with pytest.raises(TreeError) as exc:
        fn()
    assert isinstance(exc.value, SymrnnError) and isinstance(exc.value, ValueError)
    for w in words:
        assert w in str(exc.value), (w, str(exc.value))
    if node is not None:
        assert exc.value.node == node
    return exc.value


def test_cycle_names_a_node_on_it():
    _raises(lambda: trees.rooted_tree(_tree([("a", "b"), ("b", "c"), ("c", "a")])), "cycle", "'a'")
    # a root plus a separate cycle: every node has at most one parent
    e = _raises(lambda: trees.rooted_tree(_tree([("r", "s"), ("p", "q"), ("q", "p")])), "cycle")
    assert e.node in ("p", "q")
    _raises(lambda: trees.rooted_tree(_tree([("a", "a")], nodes=["b"])), "itself", node="a")
    U = _tree([(0, 1), (1, 2), (2, 0)], directed=False)
    _raises(lambda: trees.rooted_tree(U, root=0), "cycle")


def test_two_parents_several_roots_disconnected():
    _raises(lambda: trees.rooted_tree(_tree([("a", "c"), ("b", "c")])), "node 'c' has 2 parents", node="c")
    _raises(lambda: trees.rooted_tree(_tree([("a", "b"), ("c", "d")])), "2 roots", "'a'", "'c'", "forest")
    U = _tree([(0, 1), (2, 3)], directed=False)
    _raises(lambda: trees.rooted_tree(U, root=0), "node 2 is not connected to the root 0", node=2)
    _raises(lambda: trees.rooted_tree(_tree([(0, 1)]), root=1), "root=1 has a parent", node=1)


def test_undirected_root_and_empty_graph():
    _raises(lambda: trees.rooted_tree(_tree([(0, 1)], directed=False)), "root")
    _raises(lambda: trees.rooted_tree(_tree([(0, 1)], directed=False), root=7), "root 7 is not a node", node=7)
    _raises(lambda: trees.rooted_tree(nx.DiGraph()), "no nodes")
    _raises(lambda: trees.rooted_tree(nx.MultiDiGraph([(0, 1)])), "multigraph")
    _raises(lambda: trees.rooted_tree([(0, 1)]), "networkx")


def test_features_missing_wrong_size_non_numeric():
    G = _tree([("r", "a"), ("r", "b")])
    del G.nodes["b"]["x"]
    _raises(lambda: trees.rooted_tree(G), "node 'b' has no feature 'x'", node="b")
    G = _tree([("r", "a"), ("r", "b")])
    G.nodes["a"]["x"] = np.ones(3)
    e = _raises(lambda: trees.rooted_tree(G), "feature 'x' has shape (3,), expected (2,)")
    assert e.node in ("a", "r")
    G = _tree([("r", "a")])
    G.nodes["a"]["x"] = "word"
    _raises(lambda: trees.rooted_tree(G), "not numeric", node="a")
    G = _tree([("r", "a")])
    G.nodes["a"]["x"] = [np.nan, 0.0]
    _raises(lambda: trees.rooted_tree(G), "not finite", node="a")
    _raises(lambda: trees.rooted_tree(_tree([("r", "a")]), dim=5), "expected (5,)")
    # a forest whose trees disagree on D names the tree and the node
    e = _raises(lambda: trees.forest([_tree([(0, 1)], D=2), _tree([(5, 6)], D=3)]), "tree 1", "expected (2,)")
    assert e.tree == 1
    k = trees.compile_tree(trees.child_sum_recursive_nn(), D=4, H=2)
    _raises(lambda: k.forward(k.init_params(rng=0), _tree([("r", "a")])), "node", "expected (4,)")


def test_nary_branching_and_positions():
    k = trees.compile_tree(trees.nary_tree_lstm(2), D=2, H=2)
    p = k.init_params(rng=0)
    _raises(lambda: k.forward(p, _tree([("r", "a"), ("r", "b"), ("r", "c")])),
            "node 'r' has 3 children", "at most 2", node="r")
    G = _tree([("r", "a")])
    G.edges["r", "a"]["position"] = 2
    _raises(lambda: k.forward(p, G), "node 'r'", "position 2", node="r")
    G = _tree([("r", "a"), ("r", "b")])
    G.edges["r", "a"]["position"] = G.edges["r", "b"]["position"] = 0
    _raises(lambda: trees.rooted_tree(G), "share a position", node="r")
    G = _tree([("r", "a"), ("r", "b")])
    G.edges["r", "a"]["position"] = 0
    _raises(lambda: trees.rooted_tree(G), "no 'position'", node="r")
    G.edges["r", "b"]["position"] = -1
    _raises(lambda: trees.rooted_tree(G), "integer >= 0", node="r")
    # a Child-Sum model takes any number of children
    k2 = trees.compile_tree(trees.child_sum_tree_lstm(), D=2, H=2)
    star = _tree([("r", i) for i in range(6)])
    assert k2.forward(k2.init_params(rng=0), star).roots["h"].shape == (1, 2)


def test_params_and_grads_checked():
    k = trees.compile_tree(trees.child_sum_tree_lstm(), D=2, H=3)
    p = k.init_params(rng=0)
    G = _tree([("r", "a")])
    with pytest.raises(InputError, match="missing"):
        k.forward({n: v for n, v in p.items() if n != "U_f"}, G)
    with pytest.raises(InputError, match=r"'W_i' has shape \(2, 3\), expected \(3, 2\)"):
        k.forward({**p, "W_i": p["W_i"].T}, G)
    with pytest.raises(InputError, match="unknown"):
        k.forward({**p, "V": np.ones(2)}, G)
    run = k.forward(p, G)
    with pytest.raises(InputError, match=r"grads\['h'\] has shape"):
        k.backward(run, {"h": np.ones((3, 3))})
    with pytest.raises(InputError, match="unknown states"):
        k.backward(run, {"z": np.ones((2, 3))})
    with pytest.raises(InputError, match="size 'H'|sizes"):
        trees.compile_tree(trees.child_sum_tree_lstm(), D=2)
    with pytest.raises(InputError, match="TreeModel"):
        trees.compile_tree("child_sum_tree_lstm", D=2, H=2)


def test_errors_come_before_any_work(monkeypatch):
    k = trees.compile_tree(trees.nary_tree_lstm(2), D=2, H=2)
    calls = []
    monkeypatch.setattr(k.node, "forward", lambda *a, **kw: calls.append(1))
    with pytest.raises(TreeError):
        k.forward(k.init_params(rng=0), _tree([("r", "a"), ("r", "b"), ("r", "c")]))
    assert calls == []
