"""Numeric extremes: saturated gates, zeros, very long sequences, large attention logits, isolated nodes.

Every test runs with RuntimeWarnings as errors; outputs and gradients must be
finite, and where the function is smooth the gradients are checked against
central finite differences (an oracle this package did not write).
"""

from __future__ import annotations

import warnings

import networkx as nx
import numpy as np
import pytest

import symrnn
from symrnn import graphs
from symrnn.numeric import init_params, stable_sigmoid

CELLS = ["rnn", "lstm", "gru_reset_after", "gru_reset_before", "lstm_peephole"]


@pytest.fixture(autouse=True)
def _warnings_are_errors():
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        yield


def _finite(d):
    return all(np.isfinite(v).all() for v in d.values() if isinstance(v, np.ndarray))


def _kernel(name, D, H, scale, dtype=np.float64, seed=0, backend="numpy"):
    cell = symrnn.cell(name)
    params = init_params(cell, {"D": D, "H": H}, rng=seed, scale=scale, dtype=dtype)
    return symrnn.compile(cell, D=D, H=H, dtype=dtype, params=params, backend=backend)


def _loss_and_grads(k, xs, R):
    outputs, final, tape = k.forward(xs)
    return float(np.sum(outputs * R)), k.backward(tape, R)


def _gradcheck(k, xs, *, entries=6, eps=1e-6, rtol=1e-5, atol=1e-8, seed=0):
    rng = np.random.default_rng(seed)
    outputs, _, _ = k.forward(xs)
    R = rng.normal(size=outputs.shape)
    _, grads = _loss_and_grads(k, xs, R)
    for name, value in k.params.items():
        for _ in range(entries):
            idx = tuple(rng.integers(0, s) for s in value.shape)
            old = value[idx]
            value[idx] = old + eps
            up = _loss_and_grads(k, xs, R)[0]
            value[idx] = old - eps
            down = _loss_and_grads(k, xs, R)[0]
            value[idx] = old
            assert np.isclose(grads[name][idx], (up - down) / (2 * eps), rtol=rtol, atol=atol), (name, idx)
    for _ in range(entries):
        idx = tuple(rng.integers(0, s) for s in xs.shape)
        x2 = xs.copy()
        x2[idx] += eps
        up = _loss_and_grads(k, x2, R)[0]
        x2[idx] -= 2 * eps
        down = _loss_and_grads(k, x2, R)[0]
        assert np.isclose(grads["x"][idx], (up - down) / (2 * eps), rtol=rtol, atol=atol), ("x", idx)


def test_stable_sigmoid_at_the_extremes():
    a = np.array([-1e4, -745.0, -50.0, 0.0, 50.0, 745.0, 1e4, -np.finfo(np.float64).max, np.finfo(np.float64).max])
    y = stable_sigmoid(a)
    assert np.isfinite(y).all() and y[0] == 0.0 and y[3] == 0.5 and y[6] == 1.0
    y32 = stable_sigmoid(a[:7].astype(np.float32))
    assert np.isfinite(y32).all() and y32.dtype == np.float32


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("sign", [1.0, -1.0])
@pytest.mark.parametrize("name", CELLS)
def test_pre_activations_of_1e4(name, sign, dtype, backend):
    """Weights of 1e3 on inputs of ±10 drive every pre-activation to about ±1e4 (saturated gates)."""
    k = _kernel(name, 3, 4, scale=1e3, dtype=dtype, backend=backend)
    for p in k.params.values():
        p[...] = np.abs(p) * sign + sign * 1e3
    xs = np.full((5, 2, 3), 10.0, dtype=dtype)
    outputs, final, tape = k.forward(xs)
    assert np.isfinite(outputs).all() and _finite(final)
    assert np.abs(outputs).max() <= 1e4 * 1.0001 or name == "rnn"
    grads = k.backward(tape, np.ones_like(outputs))
    assert _finite(grads)


@pytest.mark.parametrize("name", CELLS)
def test_all_zero_inputs_and_states_with_a_gradient_check(name):
    k = _kernel(name, 3, 4, scale=0.5)
    xs = np.zeros((4, 2, 3))
    outputs, final, tape = k.forward(xs)
    assert np.isfinite(outputs).all()
    assert _finite(k.backward(tape, np.ones_like(outputs)))
    _gradcheck(k, xs)


@pytest.mark.parametrize("name", ["lstm", "gru_reset_after"])
def test_all_zero_parameters(name):
    k = _kernel(name, 2, 3, scale=1.0)
    for p in k.params.values():
        p[...] = 0.0
    outputs, _, tape = k.forward(np.zeros((3, 1, 2)))
    assert np.isfinite(outputs).all() and not outputs.any()
    assert _finite(k.backward(tape, np.ones_like(outputs)))


@pytest.mark.parametrize("name", ["lstm", "gru_reset_after"])
def test_gradient_check_at_large_but_unsaturated_pre_activations(name):
    """Pre-activations of order 10 (σ' ≈ 4.5e-5): still smooth, still checkable in float64."""
    k = _kernel(name, 2, 3, scale=3.0, seed=1)
    xs = np.random.default_rng(1).uniform(-3, 3, size=(3, 2, 2))
    _gradcheck(k, xs, eps=1e-5, rtol=1e-4, atol=1e-9)


@pytest.mark.parametrize("name", ["lstm", "gru_reset_after"])
def test_ten_thousand_steps_in_float32(name, backend):
    k = _kernel(name, 2, 4, scale=1.0, dtype=np.float32, backend=backend)
    xs = np.random.default_rng(0).normal(size=(10_000, 2, 2)).astype(np.float32) * 3
    outputs, final, tape = k.forward(xs)
    assert outputs.dtype == np.float32 and outputs.shape[0] == 10_000
    assert np.isfinite(outputs).all() and _finite(final)
    assert np.abs(outputs).max() <= 1.0 + 1e-6  # tanh-bounded outputs of both cells
    grads = k.backward(tape, np.ones_like(outputs))
    assert _finite(grads)
    assert all(g.dtype == np.float32 for g in grads.values())


def _gat_inputs(N=5, F=3, heads=2, C=2, logit_scale=1e4, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(N, F))
    W = rng.normal(size=(F, heads * C))
    return X, W, rng.normal(size=(heads, C)) * logit_scale, rng.normal(size=(heads, C)) * logit_scale


@pytest.mark.parametrize("concat", [True, False])
def test_large_gat_logits(concat):
    G = nx.cycle_graph(5)
    X, W, a_s, a_d = _gat_inputs()
    Y, tape = graphs.gat_forward(G, X, W, a_s, a_d, concat=concat)
    assert np.isfinite(Y).all()
    att = tape.attention
    assert np.isfinite(att).all() and (att >= 0).all()
    dst = np.asarray(tape.edge_index)[1]
    for h in range(att.shape[1] if att.ndim == 2 else 1):
        col = att[:, h] if att.ndim == 2 else att
        assert np.allclose(np.bincount(dst, weights=col, minlength=5), 1.0)
    assert _finite(graphs.backward(tape, np.ones_like(Y)))


def test_gat_gradient_check_with_sharp_but_smooth_logits():
    """Logits of order 10–100: the softmax is sharp but smooth; gradients still match differences."""
    G = nx.path_graph(4)
    X, W, a_s, a_d = _gat_inputs(N=4, F=2, heads=1, C=2, logit_scale=10.0, seed=3)
    rng = np.random.default_rng(0)
    Y, tape = graphs.gat_forward(G, X, W, a_s, a_d)
    R = rng.normal(size=Y.shape)
    grads = graphs.backward(tape, R)
    loss = lambda **kw: float(np.sum(graphs.gat_forward(G, kw.get("X", X), kw.get("W", W), kw.get("a_s", a_s), a_d)[0] * R))  # noqa: E731
    eps = 1e-6
    for key, arr, gname in (("X", X, "X"), ("W", W, "W"), ("a_s", a_s, "att_src")):
        for idx in np.ndindex(arr.shape):
            up, down = arr.copy(), arr.copy()
            up[idx] += eps
            down[idx] -= eps
            fd = (loss(**{key: up}) - loss(**{key: down})) / (2 * eps)
            assert np.isclose(grads[gname][idx], fd, rtol=1e-5, atol=1e-7), (gname, idx)


def _graph_with_isolated_nodes(directed=False):
    G = nx.DiGraph() if directed else nx.Graph()
    G.add_nodes_from(range(5))
    G.add_edges_from([(0, 1), (1, 2)])
    return G  # nodes 3 and 4 have degree 0 (and in a DiGraph, node 0 has in-degree 0)


@pytest.mark.parametrize("self_loops", [True, False])
def test_zero_degree_nodes_in_gcn(self_loops):
    G = _graph_with_isolated_nodes()  # GCN needs an undirected graph (a DiGraph is refused with InputError)
    X = np.random.default_rng(0).normal(size=(5, 3))
    W = np.random.default_rng(1).normal(size=(3, 2))
    Y, tape = graphs.gcn_forward(G, X, W, np.ones(2), add_self_loops=self_loops)
    assert np.isfinite(Y).all()
    expected_isolated = X[3] @ W + 1 if self_loops else np.ones(2)  # Â = I on an isolated node; no loop: only the bias
    assert np.allclose(Y[3], expected_isolated)
    assert _finite(graphs.backward(tape, np.ones_like(Y)))


@pytest.mark.parametrize("directed", [False, True])
@pytest.mark.parametrize("self_loops", [True, False])
def test_zero_degree_nodes_in_gat(directed, self_loops):
    G = _graph_with_isolated_nodes(directed)
    X, W, a_s, a_d = _gat_inputs(N=5, logit_scale=1e4)
    Y, tape = graphs.gat_forward(G, X, W, a_s, a_d, add_self_loops=self_loops)
    assert np.isfinite(Y).all()
    if self_loops:
        assert np.allclose(Y[3], X[3] @ W)  # the closed neighbourhood of an isolated node is itself
    else:
        assert np.allclose(Y[3], 0.0)  # nothing to attend to: an empty sum, as in PyG
    assert _finite(graphs.backward(tape, np.ones_like(Y)))


def test_zero_degree_nodes_in_chebnet_and_the_laplacian():
    G = _graph_with_isolated_nodes()
    L = graphs.scaled_laplacian(G)
    assert np.isfinite(L.toarray()).all()
    X = np.random.default_rng(0).normal(size=(5, 2))
    Y, tape = graphs.cheb_forward(G, X, np.random.default_rng(1).normal(size=(3, 2, 2)))
    assert np.isfinite(Y).all()
    assert _finite(graphs.backward(tape, np.ones_like(Y)))


def test_a_graph_with_no_edges_at_all():
    G = nx.empty_graph(3)
    X = np.ones((3, 2))
    Y, tape = graphs.gcn_forward(G, X, np.eye(2))
    assert np.allclose(Y, X)
    Y, tape = graphs.gat_forward(G, X, np.eye(2), np.ones((1, 2)) * 1e4, np.ones((1, 2)))
    assert np.allclose(Y, X)
