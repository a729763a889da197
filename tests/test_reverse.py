"""The one reverse-mode generator (symrnn.codegen.reverse): every kernel's backward comes from it, and it is right.

Oracles: central finite differences (float64) and the caller's arrays read back after a backward pass.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

import symrnn
from symrnn import registry, sigmoid, tanh, trees
from symrnn.codegen import reverse
from symrnn.codegen.forward import Writer
from finite_differences import central_gradient


def _late_bare_cell():
    """A late linear stage reading one step vector through a matrix and bare: both hand it an adjoint."""
    b = symrnn.CellBuilder("late_bare")
    D, H = b.sizes("D H")
    x, h = b.input("x", D), b.state("h", H)
    r = b.let("r", sigmoid(b.param("W_r", H, D) @ x + b.param("U_r", H, H) @ h + b.param("b_r", H)))
    rh = b.let("rh", r * h)
    b.update("h", tanh(b.let("a", rh + b.param("U", H, H) @ rh + b.param("W", H, D) @ x)))
    return b.build()


def test_late_stage_with_bare_and_matrix_terms_matches_finite_differences():
    k = symrnn.compile(_late_bare_cell(), D=2, H=3)
    assert k.plan.late == ["a"]
    rng = np.random.default_rng(1)
    xs, R, h0 = rng.normal(size=(4, 2, 2)), rng.normal(size=(4, 2, 3)), rng.normal(size=(2, 3))
    out, _, tape = k.forward(xs, {"h": h0})
    grads = k.backward(tape, R)
    params = k.params
    for name, value in params.items():
        def loss():
            k.params = params
            return float((k.forward(xs, {"h": h0})[0] * R).sum())
        np.testing.assert_allclose(grads[name], central_gradient(loss, value), rtol=1e-6, atol=1e-8, err_msg=name)


def test_no_array_is_changed_through_an_alias():
    """The first contribution of an adjoint may be the caller's array; later ones must not add into it."""
    w = Writer()
    adj = reverse.Adjoints(w, {})
    adj.given("h", "_dout")
    adj.var("c")
    adj.add_source("c", "_g_h")             # c's adjoint is h's array
    adj.add_source("c", "_d_a @ _p_U", fresh=True)
    adj.add_source("c", "_d_b")
    namespace = {"_dout": np.ones(3), "_d_a": np.ones(2), "_p_U": np.ones((2, 3)), "_d_b": np.full(3, 5.0)}
    exec("\n".join(w.lines), namespace)
    assert namespace["_dout"].tolist() == [1.0, 1.0, 1.0]
    assert namespace["_g_c"].tolist() == [8.0, 8.0, 8.0]


def test_caller_adjoints_are_left_unchanged_by_every_kernel():
    rng = np.random.default_rng(0)
    # RNN kernel
    k = symrnn.compile(symrnn.cell("gru_reset_after"), D=2, H=3)
    out, _, tape = k.forward(rng.normal(size=(5, 2, 2)))
    dout, dfin = rng.normal(size=out.shape), {"h": rng.normal(size=(2, 3))}
    keep = dout.copy(), dfin["h"].copy()
    k.backward(tape, dout, dfin)
    assert np.array_equal(dout, keep[0]) and np.array_equal(dfin["h"], keep[1])
    # graph layer
    G = nx.cycle_graph(6)
    layer = symrnn.compile(registry.model("gat", heads=2), F=3, C=2)
    outs, tape = layer.forward(G, {"x": rng.normal(size=(6, 3))})
    d = {s: rng.normal(size=v.shape) for s, v in outs.items()}
    kept = {s: v.copy() for s, v in d.items()}
    layer.backward(tape, d)
    assert all(np.array_equal(d[s], kept[s]) for s in d)
    # tree model
    tk = trees.compile_tree(trees.child_sum_tree_lstm(), D=2, H=3)
    T = nx.balanced_tree(2, 2, create_using=nx.DiGraph)
    nx.set_node_attributes(T, {v: rng.normal(size=2) for v in T}, "x")
    run = tk.forward(tk.init_params(rng=0), T)
    g = {s: rng.normal(size=v.shape) for s, v in run.states.items()}
    kept = {s: v.copy() for s, v in g.items()}
    tk.backward(run, g)
    assert all(np.array_equal(g[s], kept[s]) for s in g)


@pytest.mark.parametrize("family", ["cell", "graph", "tree"])
def test_every_family_backward_is_generated_by_the_sweep(monkeypatch, family):
    """A fourth reverse-mode implementation for one family would not pass through Sweep.run."""
    calls = []
    original = reverse.Sweep.run

    def spy(self, names=None):
        calls.append(type(self).__name__)
        return original(self, names)

    monkeypatch.setattr(reverse.Sweep, "run", spy)
    rng = np.random.default_rng(0)
    if family == "cell":
        k = symrnn.compile(symrnn.cell("lstm"), D=2, H=3)
        out, _, tape = k.forward(rng.normal(size=(3, 1, 2)))
        k.backward(tape, np.ones_like(out))
    elif family == "graph":
        layer = symrnn.compile(registry.model("gcn"), F=3, G=2)
        outs, tape = layer.forward(nx.path_graph(4), {"x": rng.normal(size=(4, 3))})
        layer.backward(tape, {s: np.ones_like(v) for s, v in outs.items()})
    else:
        tk = trees.compile_tree(trees.nary_tree_lstm(2), D=2, H=3)
        T = nx.balanced_tree(2, 1, create_using=nx.DiGraph)
        nx.set_node_attributes(T, {v: rng.normal(size=2) for v in T}, "x")
        run = tk.forward(tk.init_params(rng=0), T)
        tk.backward(run, {"h": np.ones_like(run.states["h"])})
    assert calls, f"the {family} backward did not come from the sweep"


def _weighted_relu_message():
    """h = S_dstᵀ (w ⊙ S_src ReLU(W x)): the fused message's vector ReLU(W x) is read by value in reverse mode."""
    b = symrnn.GraphBuilder("weighted_relu_message")
    F, H = b.sizes("F H")
    x, w = b.node_input("x", F), b.edge_input("w", 1)
    zr = b.let("zr", symrnn.relu(b.linear(b.param("W", H, F) @ x, "z", inline=False)))
    b.output("h", b.scatter(b.let("m", w * b.linear(b.gather(zr, "src"))), "dst"))
    return b.build()


def test_a_value_read_by_a_stages_own_rule_is_taped_in_full():
    """Only values read through a step H(v) alone may be taped as signs (the edge weight's gradient reads ReLU(W x))."""
    from symrnn.codegen.layer_stages import sign_only

    desc = _weighted_relu_message()
    assert sign_only(desc, {}) == {"z"}
    layer = symrnn.compile(desc, F=3, H=2)
    G = nx.gnp_random_graph(6, 0.5, seed=3, directed=True)
    rng = np.random.default_rng(3)
    x, w = rng.normal(size=(6, 3)), rng.uniform(0.5, 2.0, size=(G.number_of_edges(), 1))
    R = rng.normal(size=(6, 2))
    outs, tape = layer.forward(G, {"x": x, "w": w})
    grads = layer.backward(tape, {"h": R})
    for name, value in (("w", w), ("x", x)):
        num = central_gradient(lambda: float((layer.forward(G, {"x": x, "w": w})[0]["h"] * R).sum()), value)
        np.testing.assert_allclose(grads[name], num, rtol=1e-6, atol=1e-8, err_msg=name)
