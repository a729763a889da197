"""Tree kernels against independent oracles: per-node recursion, PyTorch autograd, the chain RNN/LSTM.

float64, tolerance 1e-10, outputs and every gradient (parameters and node features).
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings

import symrnn
from symrnn import trees
from symrnn.testing.trees import tree_examples
from symrnn.trees.schedule import blocks

TOL = 1e-10
MODELS = {
    "recursive_nn2": lambda: trees.recursive_nn(2),
    "recursive_nn3_relu": lambda: trees.recursive_nn(3, "relu"),
    "child_sum_recursive_nn": trees.child_sum_recursive_nn,
    "child_sum_tree_lstm": trees.child_sum_tree_lstm,
    "nary_tree_lstm2": lambda: trees.nary_tree_lstm(2),
    "nary_tree_lstm3": lambda: trees.nary_tree_lstm(3),
}


def _features(G, D, rng):
    nx.set_node_attributes(G, {v: rng.normal(size=D) for v in G}, "x")
    return G


def _random_tree(n, max_children, rng, positions):
    G = nx.DiGraph()
    G.add_node(0)
    for v in range(1, n):
        parents = [u for u in G if G.out_degree(u) < max_children]
        u = parents[rng.integers(len(parents))]
        attrs = {}
        if positions:
            free = sorted(set(range(max_children)) - {G.edges[u, c]["position"] for c in G.successors(u)})
            attrs["position"] = int(free[rng.integers(len(free))])
        G.add_edge(u, v, **attrs)
    return G


def _forest(model, D, rng):
    N = model.arity or 4
    ts = [_random_tree(12, N, rng, model.arity is not None), _random_tree(7, N, rng, model.arity is not None),
          nx.path_graph(5, create_using=nx.DiGraph), nx.DiGraph([(0, 1)])]
    single = nx.DiGraph()
    single.add_node("only")
    ts.append(single)
    return [_features(G, D, rng) for G in ts]


# ------------------------------------------------------------- torch oracle
def _torch_step(torch, model, p, x, kids):
    """The papers' equations in plain torch (written independently of symrnn's descriptions)."""
    sig, th = torch.sigmoid, torch.tanh
    act = torch.relu if "relu" in model.summary else th
    name = model.name
    zero = torch.zeros_like(p["b_i"] if "b_i" in p else p["b"])
    if name == "child_sum_recursive_nn":
        hs = sum((s["h"] for _, s in kids), zero)
        return {"h": act(p["W"] @ x + p["U"] @ hs + p["b"])}
    if name.startswith("recursive_nn"):
        return {"h": act(p["W"] @ x + p["b"] + sum((p[f"U_{k + 1}"] @ s["h"] for k, s in kids), zero))}
    if name == "child_sum_tree_lstm":
        hs = sum((s["h"] for _, s in kids), zero)
        i = sig(p["W_i"] @ x + p["U_i"] @ hs + p["b_i"])
        o = sig(p["W_o"] @ x + p["U_o"] @ hs + p["b_o"])
        u = th(p["W_u"] @ x + p["U_u"] @ hs + p["b_u"])
        c = i * u + sum((sig(p["W_f"] @ x + p["U_f"] @ s["h"] + p["b_f"]) * s["c"] for _, s in kids), zero)
        return {"h": o * th(c), "c": c}
    N = model.arity
    h = [zero] * N
    cc = [zero] * N
    for k, s in kids:
        h[k], cc[k] = s["h"], s["c"]

    def pre(g, name):
        return p[f"W_{g}"] @ x + p[f"b_{g}"] + sum(p[f"U_{name}_{l + 1}"] @ h[l] for l in range(N))

    c = sig(pre("i", "i")) * th(pre("u", "u")) + sum(sig(pre("f", f"f{k + 1}")) * cc[k] for k in range(N))
    return {"h": sig(pre("o", "o")) * th(c), "c": c}


def _torch_run(torch, model, params, forest):
    p = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
    X = torch.tensor(forest.X, requires_grad=True)
    out = {}
    for k, t in enumerate(forest.trees):
        G = t.graph
        for v in nx.dfs_postorder_nodes(G, t.root):
            kids = [(G.edges[v, c].get("position", j), out[(k, c)]) for j, c in enumerate(G.successors(v))]
            out[(k, v)] = _torch_step(torch, model, p, X[forest.row[(k, v)]], kids)
    states = {s: torch.stack([out[kv][s] for kv in forest.nodes]) for s in model.states}
    return p, X, states


@pytest.mark.parametrize("name", sorted(MODELS))
def test_kernel_matches_torch_autograd(name, rng):
    model = MODELS[name]()
    D, H = 3, 4
    _check_against_torch(trees.compile_tree(model, D=D, H=H), trees.forest(_forest(model, D, rng)), rng)


@pytest.mark.parametrize("name", ["child_sum_tree_lstm", "nary_tree_lstm2", "child_sum_recursive_nn"])
@pytest.mark.parametrize("block_rows", [3, 4096])
def test_blocks_and_runs_of_rows_match_torch_autograd(name, block_rows, rng):
    """Many trees: levels cut into blocks of 3 rows, or whole levels whose children are long runs of rows."""
    model = MODELS[name]()
    N = model.arity or 4
    ts = [_features(_random_tree(int(rng.integers(1, 16)), N, rng, model.arity is not None), 2, rng)
          for _ in range(40)]
    k = trees.compile_tree(model, D=2, H=3, block_rows=block_rows)
    f = trees.forest(ts)
    bs = blocks(f, block_rows)
    assert sum(b.n for b in bs) == f.size and (block_rows > 3 or len(bs) > 2 * f.levels)
    assert block_rows == 3 or any(b.runs for b in bs)  # the slice path is taken
    _check_against_torch(k, f, rng)


def _check_against_torch(k, f, rng):
    torch = pytest.importorskip("torch")
    model = k.model
    params = k.init_params(rng=rng, scale=0.9)
    run = k.forward(params, f)
    p, X, states = _torch_run(torch, model, params, f)
    weights = {s: rng.normal(size=run.states[s].shape) for s in model.states}
    loss = sum((states[s] * torch.tensor(weights[s])).sum() for s in model.states)
    loss.backward()
    for s in model.states:
        assert np.max(np.abs(run.states[s] - states[s].detach().numpy())) <= TOL, s
    g = k.backward(run, weights)
    assert set(g) == set(params) | {"x"}
    for n in params:
        assert np.max(np.abs(g[n] - p[n].grad.numpy())) <= TOL, n
        assert np.any(p[n].grad.numpy() != 0), n  # every parameter is exercised
    assert np.max(np.abs(g["x"] - X.grad.numpy())) <= TOL


@pytest.mark.parametrize("name", sorted(MODELS))
@settings(max_examples=10, deadline=None)
@given(data=__import__("hypothesis").strategies.data())
def test_kernel_matches_per_node_recursion(name, data):
    model = MODELS[name]()
    ex = data.draw(tree_examples(model, max_size=3, max_nodes=9, max_trees=3))
    k = trees.compile_tree(model, **ex.sizes)
    run = k.forward(ex.params, ex.trees)
    inference = k.forward(ex.params, ex.trees, tape=False)
    ref = trees.reference.run_forest(model, ex.params, ex.trees)
    for s in model.states:
        assert np.max(np.abs(run.states[s] - ref[s])) <= TOL
        assert np.max(np.abs(inference.states[s] - ref[s])) <= TOL
    assert inference.tape is None
    with pytest.raises(symrnn.InputError, match="tape=True"):
        k.backward(inference, {})


def test_backward_matches_finite_differences_of_the_reference(rng):
    model = trees.child_sum_tree_lstm()
    k = trees.compile_tree(model, D=2, H=2)
    params = k.init_params(rng=rng, scale=1.0)
    ts = [_features(_random_tree(6, 3, rng, False), 2, rng)]
    f = trees.forest(ts)
    wh, wc = rng.normal(size=(6, 2)), rng.normal(size=(6, 2))

    def loss():
        ref = trees.reference.run_forest(model, params, f)
        return float((ref["h"] * wh).sum() + (ref["c"] * wc).sum())

    g = k.backward(k.forward(params, f), {"h": wh, "c": wc})
    base = {n: v.copy() for n, v in params.items()}
    for n in ("U_f", "W_f", "b_i", "U_u"):  # directional derivative along a random direction
        direction, eps = rng.normal(size=base[n].shape), 1e-6
        params[n] = base[n] + eps * direction
        up = loss()
        params[n] = base[n] - eps * direction
        down = loss()
        params[n] = base[n]
        assert abs((up - down) / (2 * eps) - float((g[n] * direction).sum())) < 1e-7, n


# ------------------------------------------------------ the chain, numerically
@pytest.mark.parametrize("model, chain, rename", [
    (trees.child_sum_tree_lstm(), "lstm", {"W_u": "W_g", "U_u": "U_g", "b_u": "b_g"}),
    (trees.child_sum_recursive_nn(), "rnn", {}),
    (trees.recursive_nn(1), "rnn", {"U_1": "U"}),
])
def test_path_equals_chain_from_zero_state(model, chain, rename, rng):
    T, D, H = 7, 3, 4
    k = trees.compile_tree(model, D=D, H=H)
    params = k.init_params(rng=rng, scale=0.9)
    G = nx.DiGraph([(t + 1, t) for t in range(T - 1)])  # root T-1, leaf 0: path order 0, 1, ..., T-1
    xs = rng.normal(size=(T, 1, D))
    nx.set_node_attributes(G, {t: xs[t, 0] for t in range(T)}, "x")
    run = k.forward(params, G)
    cell = symrnn.cell(chain)
    ys, _, trace = symrnn.numeric.run(cell, {rename.get(n, n): v for n, v in params.items()}, xs)
    h_tree = np.stack([run.states["h"][run.forest.row[(0, t)]] for t in range(T)])
    assert np.max(np.abs(h_tree - ys[:, 0])) <= TOL


def test_child_sum_ignores_child_order_nary_does_not(rng):
    D, H = 2, 3
    base = _features(_random_tree(9, 3, rng, False), D, rng)
    flipped = nx.DiGraph()
    flipped.add_nodes_from(base.nodes(data=True))
    for v in reversed(list(base.nodes)):
        for c in reversed(list(base.successors(v))):
            flipped.add_edge(v, c)
    m = trees.child_sum_tree_lstm()
    k = trees.compile_tree(m, D=D, H=H)
    p = k.init_params(rng=rng)
    a, b = k.forward(p, base), k.forward(p, flipped)
    assert np.max(np.abs(a.roots["h"] - b.roots["h"])) <= TOL
    n3 = trees.nary_tree_lstm(3)
    k3 = trees.compile_tree(n3, D=D, H=H)
    p3 = k3.init_params(rng=rng)
    assert np.max(np.abs(k3.forward(p3, base).roots["h"] - k3.forward(p3, flipped).roots["h"])) > 1e-6


def test_undirected_tree_with_root_attribute_equals_directed(rng):
    D, H = 2, 3
    U = nx.random_labeled_rooted_tree(15, seed=4)
    _features(U, D, rng)
    Dg = nx.bfs_tree(U, U.graph["root"])
    nx.set_node_attributes(Dg, {v: U.nodes[v]["x"] for v in U}, "x")
    k = trees.compile_tree(trees.child_sum_tree_lstm(), D=D, H=H)
    p = k.init_params(rng=rng)
    a, b = k.forward(p, U), k.forward(p, Dg)
    for v in U:
        assert np.max(np.abs(a.states["h"][a.forest.row[(0, v)]] - b.states["h"][b.forest.row[(0, v)]])) <= TOL


def test_child_to_parent_edges_read_as_the_same_tree(rng):
    G = _features(_random_tree(12, 3, rng, True), 2, rng)
    R = G.reverse(copy=True)  # edges child -> parent, position attributes kept
    k = trees.compile_tree(trees.nary_tree_lstm(3), D=2, H=3)
    p = k.init_params(rng=rng)
    a, b = k.forward(p, G), k.forward(p, trees.forest(R, edges="child_to_parent"))
    assert a.forest.nodes == b.forest.nodes and np.max(np.abs(a.states["h"] - b.states["h"])) <= TOL
    with pytest.raises(trees.TreeError, match="parents.*child_to_parent"):  # the wrong direction is caught
        trees.forest(R)
    with pytest.raises(trees.TreeError, match="edges must be"):
        trees.forest(G, edges="up")


def test_levels_are_heights_and_rows_follow_them():
    G = nx.DiGraph([("r", "a"), ("r", "b"), ("a", "c"), ("c", "d")])
    nx.set_node_attributes(G, {v: [0.0] for v in G}, "x")
    f = trees.forest(G)
    assert [f.nodes[r][1] for r in range(f.size)] == ["d", "b", "c", "a", "r"]  # by level, then by parent row
    assert f.offsets.tolist() == [0, 2, 3, 4, 5]
    gens = list(nx.topological_generations(G.reverse()))
    assert [sorted(g) for g in gens] == [["b", "d"], ["c"], ["a"], ["r"]]
    assert f.roots.tolist() == [f.size - 1]


def test_children_of_a_block_are_runs_of_rows(rng):
    """In a level, rows follow their parent's row (roots last): a block's children are one run per lower level."""
    ts = [_features(_random_tree(int(rng.integers(1, 30)), 3, rng, False), 1, rng) for _ in range(30)]
    f = trees.forest(ts)
    parent = np.full(f.size, f.size)  # roots: after every parent
    parent[f.child_rows] = f.parent_rows
    for lvl in range(f.levels):
        assert np.all(np.diff(parent[f.offsets[lvl]:f.offsets[lvl + 1]]) >= 0)
    A = rng.normal(size=(f.size, 2))
    for b in blocks(f, 7) + blocks(f, 10_000):
        assert np.array_equal(np.sort(b.children), np.sort(f.child_rows[np.isin(f.parent_rows, range(b.r0, b.r1))]))
        assert np.array_equal(parent[b.children], b.r0 + b.parent)
        if b.runs:
            assert len(b.runs) <= f.levels
        assert np.array_equal(b.gather(A), A[b.children])
        B, C = A.copy(), A.copy()
        b.scatter_add(B, A[b.children] + 1)
        C[b.children] += A[b.children] + 1
        assert np.array_equal(B, C)
    with pytest.raises(symrnn.InputError, match="block_rows"):
        trees.compile_tree(trees.child_sum_tree_lstm(), D=1, H=1, block_rows=0)


@pytest.mark.parametrize("name", ["child_sum_tree_lstm", "nary_tree_lstm2"])
def test_float32_kernel_is_float32_and_close(name, rng):
    model = MODELS[name]()
    k64 = trees.compile_tree(model, D=3, H=4)
    k32 = trees.compile_tree(model, D=3, H=4, dtype=np.float32)
    p = k64.init_params(rng=rng)
    f = trees.forest(_forest(model, 3, rng))
    r64, r32 = k64.forward(p, f), k32.forward(p, f)
    w = {s: rng.normal(size=v.shape) for s, v in r64.states.items()}
    g64, g32 = k64.backward(r64, w), k32.backward(r32, w)
    for s in r64.states:
        assert r32.states[s].dtype == np.float32 and np.max(np.abs(r32.states[s] - r64.states[s])) < 1e-5
    for n in g64:
        assert g32[n].dtype == np.float32 and np.max(np.abs(g32[n] - g64[n])) < 1e-4 * (1 + np.max(np.abs(g64[n])))
    with pytest.raises(symrnn.InputError, match="dtype"):
        trees.compile_tree(model, D=3, H=4, dtype=np.int64)
