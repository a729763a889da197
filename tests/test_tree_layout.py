"""The array-speed forest layout and the parent-array input, against independent oracles.

* the parent-array path and the networkx path give the same forest and the same kernel outputs (hypothesis forests);
* the layout equals its definition, written here in plain Python (levels = heights, rows by parent row then slot,
  roots last by index), on drawn parent arrays whose nodes come in any order;
* bad arrays are refused before any work: the argument named, and the node for every structural error;
* no Python-level loop over nodes: the lines executed do not grow with the number of nodes;
* the benchmark's torch peer (benchmarks/tree_torch.py) agrees with symrnn and the per-node recursion.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from symrnn import trees
from symrnn.errors import InputError
from symrnn.testing.trees import tree_examples
from symrnn.trees import TreeError

TOL = 1e-10
BENCH = Path(__file__).resolve().parents[1] / "benchmarks"
MODELS = {"child_sum": trees.child_sum_tree_lstm, "nary2": lambda: trees.nary_tree_lstm(2),
          "nary3": lambda: trees.nary_tree_lstm(3)}


def _as_parents(graphs):
    """Drawn trees (nodes 0 … n-1, root 0) as one parent array, tree after tree; positions when the edges have them."""
    parents, positions, X, offset = [], [], [], 0
    for G in graphs:
        n = G.number_of_nodes()
        p, pos = np.full(n, -1), np.zeros(n, dtype=int)
        for u, v, d in G.edges(data=True):
            p[v], pos[v] = u + offset, d.get("position", 0)
        parents.append(p)
        positions.append(pos)
        X.append(np.stack([G.nodes[v]["x"] for v in range(n)]))
        offset += n
    with_pos = any("position" in d for G in graphs for _, _, d in G.edges(data=True))
    return np.concatenate(parents), (np.concatenate(positions) if with_pos else None), np.concatenate(X)


def _oracle(parent, slot):
    """The layout's definition, node by node: ``(rows in order, level offsets, edges as (parent row, child row, slot))``."""
    n = len(parent)
    kids = {v: sorted((c for c in range(n) if parent[c] == v), key=lambda c: (slot[c], c)) for v in range(n)}
    height = {}
    for v in sorted(range(n), key=lambda v: -_depth(parent, v)):  # deepest first: children before parents
        height[v] = 1 + max((height[c] for c in kids[v]), default=-1)
    top = max(height.values())
    offsets = np.cumsum([0] + [sum(1 for v in height if height[v] == lvl) for lvl in range(top + 1)])
    row = {}
    for lvl in range(top, -1, -1):
        level = [v for v in range(n) if height[v] == lvl]
        inner = sorted((v for v in level if parent[v] >= 0), key=lambda v: (row[parent[v]], slot[v], v))
        for i, v in enumerate(inner + [v for v in level if parent[v] < 0]):
            row[v] = offsets[lvl] + i
    order = sorted(range(n), key=row.get)
    edges = [(row[v], row[c], slot[c]) for v in order for c in kids[v]]
    return order, offsets.tolist(), edges


def _depth(parent, v):
    d = 0
    while parent[v] >= 0:
        v, d = parent[v], d + 1
    return d


@st.composite
def parent_arrays(draw, max_nodes=24, max_children=None, positions=False):
    """A forest as a parent array whose node numbers are shuffled (parents before or after their children)."""
    n = draw(st.integers(1, max_nodes))
    parent, slot, free = [-1], [0], {0: list(range(max_children or n))}
    for v in range(1, n):
        open_ = [u for u in range(v) if free[u]]
        u = draw(st.sampled_from(open_ + [-1]))  # -1: a new tree
        parent.append(u)
        s = free[u].pop(draw(st.integers(0, len(free[u]) - 1))) if u >= 0 else 0
        slot.append(s if positions else 0)
        free[v] = list(range(max_children or n))
    perm = draw(st.permutations(range(n)))
    P, S = np.full(n, -1), np.zeros(n, dtype=int)
    for v in range(n):
        P[perm[v]] = -1 if parent[v] < 0 else perm[parent[v]]
        S[perm[v]] = slot[v]
    return P, (S if positions else None)


def _edges(f):
    return list(zip(f.parent_rows.tolist(), f.child_rows.tolist(), f.slot.tolist()))


# ------------------------------------------------------------- equal paths
@pytest.mark.parametrize("name", sorted(MODELS))
@settings(max_examples=15, deadline=None)
@given(data=st.data())
def test_parent_array_and_networkx_give_the_same_forest_and_outputs(name, data):
    model = MODELS[name]()
    ex = data.draw(tree_examples(model, max_size=3, max_nodes=10, max_trees=4))
    parents, positions, X = _as_parents(ex.trees)
    a, b = trees.forest(ex.trees), trees.forest_from_parents(parents, X, positions=positions)
    for field in ("offsets", "roots", "child_rows", "parent_rows", "slot", "n_children", "node", "X", "features"):
        assert np.array_equal(getattr(a, field), getattr(b, field)), field
    starts = np.cumsum([0] + [G.number_of_nodes() for G in ex.trees])
    assert b.nodes == tuple((k, int(starts[k]) + v) for k, v in a.nodes)  # (tree, node): the index in parents
    k = trees.compile_tree(model, **ex.sizes)
    ra, rb = k.forward(ex.params, a), k.forward(ex.params, b)
    ref = trees.reference.run_forest(model, ex.params, b)  # the recursion on the parent path's own RootedTrees
    w = {s: np.linspace(-1, 1, v.size).reshape(v.shape) for s, v in ra.states.items()}
    ga, gb = k.backward(ra, w), k.backward(rb, w)
    for s in model.states:
        assert np.array_equal(ra.states[s], rb.states[s])
        assert np.max(np.abs(rb.states[s] - ref[s])) <= TOL
    assert all(np.array_equal(ga[n], gb[n]) for n in ga)


@pytest.mark.parametrize("max_children, positions", [(None, False), (2, True), (3, False)])
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_layout_is_its_definition_for_nodes_in_any_order(max_children, positions, data):
    parents, pos = data.draw(parent_arrays(max_children=max_children, positions=positions))
    n = parents.size
    f = trees.forest_from_parents(parents, np.arange(2.0 * n).reshape(n, 2), positions=pos)
    slot = pos if pos is not None else np.zeros(n, dtype=int)  # without positions: index order among siblings
    order, offsets, edges = _oracle(parents.tolist(), slot.tolist())
    assert f.node.tolist() == order and f.offsets.tolist() == offsets
    ranks = [(p, c, s if pos is not None else None) for p, c, s in edges]
    got = [(p, c, s if pos is not None else None) for p, c, s in _edges(f)]
    assert got == ranks
    if pos is None:  # the k-th child of a row has slot k
        for r in range(n):
            assert [s for p, _, s in _edges(f) if p == r] == list(range(int(f.n_children[r])))
    assert np.array_equal(f.X, np.arange(2.0 * n).reshape(n, 2)[order])
    roots = [v for v in range(n) if parents[v] < 0]
    assert [f.node[r] for r in f.roots] == roots and f.tree[f.roots].tolist() == list(range(len(roots)))
    # each tree in networkx (edges added in index order of the children) gives the same rows
    graphs = []
    for root in roots:
        G = nx.DiGraph()
        members = sorted(v for v in range(n) if _root(parents, v) == root)
        G.add_nodes_from((v, {"x": np.array([2.0 * v, 2.0 * v + 1])}) for v in members)
        G.add_edges_from((int(parents[v]), v, {} if pos is None else {"position": int(pos[v])})
                         for v in members if parents[v] >= 0)
        graphs.append(G)
    g = trees.forest(graphs)
    assert [v for _, v in g.nodes] == order and [t for t, _ in g.nodes] == f.tree.tolist()
    assert _edges(g) == _edges(f)


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_networkx_children_follow_adjacency_order_whatever_the_labels(data):
    """Edges added in any order, nodes labelled by text: children in the order their edges were added."""
    parents, _ = data.draw(parent_arrays())
    n = parents.size
    edges = data.draw(st.permutations([v for v in range(n) if parents[v] >= 0]))
    slot, seen = [0] * n, {}
    for c in edges:
        slot[c] = seen.get(parents[c], 0)
        seen[parents[c]] = slot[c] + 1
    order = _oracle(parents.tolist(), slot)[0]
    name = [f"n{v}" for v in range(n)]
    graphs = []
    for root in (v for v in range(n) if parents[v] < 0):
        G = nx.DiGraph()
        G.add_nodes_from((name[v], {"x": [float(v)]}) for v in range(n) if _root(parents, v) == root)
        G.add_edges_from((name[parents[c]], name[c]) for c in edges if _root(parents, c) == root)
        graphs.append(G)
    f = trees.forest(graphs)
    assert [v for _, v in f.nodes] == [name[v] for v in order]
    assert f.X[:, 0].tolist() == [float(v) for v in order]
    for t, G in zip(f.trees, graphs):  # the rebuilt RootedTrees keep networkx's adjacency order
        assert all([c for c, _ in t.children[v]] == list(G.successors(v)) for v in G)


def _root(parents, v):
    while parents[v] >= 0:
        v = parents[v]
    return v


def test_levels_are_networkx_topological_generations_of_child_to_parent(rng):
    n = 400
    parents = np.array([-1] + [int(rng.integers(0, v)) for v in range(1, n)])
    f = trees.forest_from_parents(parents, rng.normal(size=(n, 1)))
    up = nx.DiGraph((int(v), int(parents[v])) for v in range(1, n))
    gens = [sorted(g) for g in nx.topological_generations(up)]
    assert [sorted(f.node[f.offsets[l]:f.offsets[l + 1]].tolist()) for l in range(f.levels)] == gens


def test_lazy_views_name_nodes_and_rebuild_trees():
    parents = np.array([3, -1, 3, 1, 1])  # tree 0: 1 -> 3 -> {0, 2}, 1 -> 4
    X = np.arange(10.0).reshape(5, 2)
    f = trees.forest_from_parents(parents, X)
    (t,) = f.trees
    assert t.root == 1 and [c for c, _ in t.children[1]] == [3, 4] and [c for c, _ in t.children[3]] == [0, 2]
    assert t.order == (0, 2, 3, 4, 1) and np.array_equal(t.features[2], [4.0, 5.0])
    assert sorted(t.graph.edges) == [(1, 3), (1, 4), (3, 0), (3, 2)]
    assert f.values(np.arange(5) * 10) == {f.node[r]: 10 * r for r in range(5)}
    assert f.row[(0, 3)] == f.node.tolist().index(3)


# ------------------------------------------------------------- bad input
def _bad(fn, cls=TreeError, *words, node="unset"):
    with pytest.raises(cls) as exc:
        fn()
    for w in words:
        assert w in str(exc.value), (w, str(exc.value))
    if node != "unset":
        assert exc.value.node == node, (exc.value.node, str(exc.value))
    return exc.value


@pytest.mark.parametrize("parents, words", [
    (np.array([-1.0, 0.0]), ["parents", "integers", "float64"]),
    (np.array([True, False]), ["parents", "bool"]),
    (["-1", "0"], ["parents", "integers"]),
    ([-1, None], ["parents", "integers"]),
    ("-1 0", ["parents", "integers"]),
    (np.array([[-1, 0]]), ["parents", "1-D", "(1, 2)"]),
    (np.zeros(0, dtype=int), ["parents", "empty"]),
    ({"a": -1}, ["parents", "integers"]),
])
def test_parents_of_wrong_type_shape_or_dtype_name_the_argument(parents, words):
    _bad(lambda: trees.forest_from_parents(parents, np.zeros((2, 1))), InputError, *words)


def test_structural_errors_name_the_node():
    X = np.zeros((6, 2))
    _bad(lambda: trees.forest_from_parents([-1, 0, 6, 0, 0, 0], X), TreeError, "parents", "node 2", "out of range", node=2)
    _bad(lambda: trees.forest_from_parents([-1, 0, 0, -2, 0, 0], X), TreeError, "node 3", "-2", node=3)
    big = np.array([1, 0, 2 ** 63 + 5], dtype=np.uint64)  # unsigned: no roots, and a parent beyond int64
    _bad(lambda: trees.forest_from_parents(big, X[:3]), TreeError, "parents", "node 2", "out of range", node=2)
    _bad(lambda: trees.forest_from_parents([-1, 0, 2, 0, 0, 0], X), TreeError, "node 2", "its own parent", node=2)
    e = _bad(lambda: trees.forest_from_parents([-1, 0, 3, 4, 2, 4], X), TreeError, "parents", "cycle")
    assert e.node in (2, 3, 4)  # 5 hangs from the cycle: not on it
    e = _bad(lambda: trees.forest_from_parents([1, 0], X[:2]), TreeError, "cycle")
    assert e.node in (0, 1)
    long = np.roll(np.arange(50), 1)  # one cycle through all 50 nodes, no root
    _bad(lambda: trees.forest_from_parents(long, np.zeros((50, 1))), TreeError, "cycle", "...", node=0)


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_any_cycle_is_found_and_the_named_node_is_on_it(data):
    parents, _ = data.draw(parent_arrays())
    n = parents.size
    v = data.draw(st.integers(0, n - 1))
    parents = parents.copy()
    parents[_root(parents, v)] = v  # the root's new parent is one of its descendants (or itself: a self-parent)
    e = _bad(lambda: trees.forest_from_parents(parents, np.zeros((n, 1))), TreeError, "parents: node")
    u, steps = parents[e.node], 0
    while u != e.node and steps <= n:
        u, steps = parents[u], steps + 1
    assert u == e.node  # following parents from the named node comes back to it


def test_features_are_refused_naming_the_argument_or_the_node():
    p = [-1, 0, 0, 1]
    _bad(lambda: trees.forest_from_parents(p, np.zeros(4)), InputError, "features", "(4,)", "(4, D)")
    _bad(lambda: trees.forest_from_parents(p, np.zeros((5, 2))), InputError, "features", "(5, 2)")
    _bad(lambda: trees.forest_from_parents(p, np.zeros((4, 0))), InputError, "features", "D >= 1")
    _bad(lambda: trees.forest_from_parents(p, np.zeros((4, 2), complex)), InputError, "features", "real")
    _bad(lambda: trees.forest_from_parents(p, [["a", "b"]] * 4), InputError, "features", "real")
    X = np.zeros((4, 2))
    X[3, 1] = np.nan
    _bad(lambda: trees.forest_from_parents(p, X), TreeError, "features", "node 3", "not finite", node=3)
    X[2, 1] = X[3, 1] = 1e308  # finite values whose sum overflows are accepted
    assert trees.forest_from_parents(p, X).features[3, 1] == 1e308


def test_positions_are_checked():
    p, X = [-1, 0, 0, 1], np.zeros((4, 2))
    _bad(lambda: trees.forest_from_parents(p, X, positions=[0, 0.0, 1, 0]), InputError, "positions", "integers")
    _bad(lambda: trees.forest_from_parents(p, X, positions=[0, 1, 0]), InputError, "positions", "3 entries", "4 nodes")
    _bad(lambda: trees.forest_from_parents(p, X, positions=[0, 1, -1, 0]), TreeError, "positions", "node 2",
         "child of node 0", ">= 0", node=2)
    e = _bad(lambda: trees.forest_from_parents(p, X, positions=[0, 1, 1, 0]), TreeError, "positions", "node 0",
             "(1, 2) share a position (1)", node=0)
    assert e.tree is None
    f = trees.forest_from_parents(p, X, positions=[-7, 1, 0, 0])  # a root's entry is not read
    assert f.slot.tolist() == [0, 0, 1] and f.node[f.child_rows].tolist() == [3, 2, 1]
    k = trees.compile_tree(trees.nary_tree_lstm(2), D=2, H=2)
    params = k.init_params(rng=0)
    _bad(lambda: k.forward(params, trees.forest_from_parents([-1, 0, 0, 0], X)), TreeError,
         "node 0 has 3 children", "at most 2", node=0)
    _bad(lambda: k.forward(params, trees.forest_from_parents(p, X, positions=[0, 2, 0, 0])), TreeError,
         "node 0", "position 2", node=0)


def test_a_parent_array_given_as_trees_points_to_forest_from_parents():
    k = trees.compile_tree(trees.child_sum_tree_lstm(), D=1, H=1)
    _bad(lambda: k.forward(k.init_params(rng=0), np.array([-1, 0])), TreeError, "int64 array", "forest_from_parents")


def test_errors_come_before_the_layout(monkeypatch):
    forest_module = importlib.import_module("symrnn.trees.forest")  # trees.forest is the function

    def fail(*args):
        raise AssertionError("layout reached")

    monkeypatch.setattr(forest_module, "layout", fail)
    X = np.zeros((3, 1))
    for bad in ([-1, 2, 1], [-1, 0, 3], [-1, 1, 0]):
        with pytest.raises(TreeError):
            trees.forest_from_parents(bad, X)
    with pytest.raises(TreeError):
        trees.forest_from_parents([-1, 0, 0], X, positions=[0, 1, 1])
    G = nx.DiGraph([(0, 1, {"position": 0}), (0, 2, {"position": 0})])
    nx.set_node_attributes(G, {v: [0.0] for v in G}, "x")
    with pytest.raises(TreeError, match="share a position"):  # the networkx path goes through the same checks
        trees.forest(G)
    with pytest.raises(AssertionError, match="layout reached"):
        trees.forest_from_parents([-1, 0, 0], X)


# ------------------------------------------------------------- linear: counted
def _lines(fn) -> int:
    """Python lines executed in symrnn/trees while ``fn`` runs."""
    where = str(Path(trees.__file__).parent)
    count = [0]

    def tracer(frame, event, arg):
        if frame.f_code.co_filename.startswith(where):
            if event == "line":
                count[0] += 1
            return tracer
        return None

    sys.settrace(tracer)
    try:
        fn()
    finally:
        sys.settrace(None)
    return count[0]


def _copies(parents, k):
    """``k`` copies of one tree's parent array, one after another."""
    n = parents.size
    return np.concatenate([np.where(parents >= 0, parents + i * n, -1) for i in range(k)])


def test_no_python_loop_over_nodes():
    """The same levels with 100 times the nodes execute the same Python lines (the work is in NumPy)."""
    tree = np.array([-1, 0, 0, 1, 1, 2, 3])  # 4 levels
    counts = []
    for k in (3, 300):
        parents = _copies(tree, k)
        X = np.ones((parents.size, 2))
        pos = np.tile([0, 0, 1, 0, 1, 0, 0], k)
        counts.append((_lines(lambda: trees.forest_from_parents(parents, X)),
                       _lines(lambda: trees.forest_from_parents(parents, X, positions=pos))))
    assert counts[0] == counts[1]
    # one tree: a star with 10 or 10000 leaves, from networkx — one graph read without a line per node
    stars = []
    for n in (10, 10_000):
        G = nx.star_graph(n, create_using=nx.DiGraph)
        nx.set_node_attributes(G, {v: [1.0] for v in G}, "x")
        stars.append(_lines(lambda: trees.forest(G)))
    assert stars[0] == stars[1]


def test_lines_grow_with_levels_not_nodes():
    """A path of n nodes has n levels: there the loop over levels is the only growth, a few lines per level."""
    per = []
    for n in (20, 40):
        parents = np.arange(-1, n - 1)
        per.append(_lines(lambda: trees.forest_from_parents(parents, np.ones((n, 1)))))
    extra = per[1] - per[0]
    assert 0 < extra <= 40 * 20  # 20 more levels: at most 40 lines each


# ------------------------------------------------------------- the benchmark's torch peer
def _peer():
    if "tree_torch" not in sys.modules:
        spec = importlib.util.spec_from_file_location("tree_torch", BENCH / "tree_torch.py")
        sys.modules["tree_torch"] = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(sys.modules["tree_torch"])
    return sys.modules["tree_torch"]


@pytest.mark.parametrize("name", sorted(MODELS))
@settings(max_examples=8, deadline=None)
@given(data=st.data())
def test_torch_peer_matches_symrnn_outputs_and_gradients(name, data):
    pytest.importorskip("torch")
    tt, model = _peer(), MODELS[name]()
    ex = data.draw(tree_examples(model, max_size=3, max_nodes=12, max_trees=4))
    parents, positions, X = _as_parents(ex.trees)
    k = trees.compile_tree(model, **ex.sizes)
    f = trees.forest_from_parents(parents, X, positions=positions)
    R = np.cos(np.arange(f.size * ex.sizes["H"])).reshape(f.size, -1)
    run = k.forward(ex.params, f)
    g = k.backward(run, {"h": R[f.node]})
    lv, hs, cs, leaves = tt.run(parents, X, ex.params, arity=model.arity, positions=positions, R=R)
    ref = trees.reference.run_forest(model, ex.params, f)
    for s, per_level in (("h", hs), ("c", cs)):
        peer = tt.input_order(lv, per_level).detach().numpy()[f.node]  # row order
        assert np.max(np.abs(peer - run.states[s])) <= TOL and np.max(np.abs(peer - ref[s])) <= TOL
    for n in ex.params:  # a parameter no node reads (U without any edge) has no torch gradient: zero
        peer = np.zeros_like(g[n]) if leaves[n].grad is None else leaves[n].grad.numpy()
        assert np.max(np.abs(peer - g[n])) <= TOL, n
    assert np.max(np.abs(leaves["x"].grad.numpy()[f.node] - g["x"])) <= TOL


def test_benchmark_checks_the_peer_in_processes_of_their_own(tmp_path):
    pytest.importorskip("torch")
    sys.path.insert(0, str(BENCH))
    try:
        import bench_trees
    finally:
        sys.path.remove(str(BENCH))
    worst = bench_trees.check(["nary2"], ["forest"], tmp_path, "1")
    assert worst["nary2/forest"]["max_abs_error"] <= TOL and worst["nary2/forest"]["levels"] >= 2
