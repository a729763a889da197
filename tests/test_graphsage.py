"""GraphSAGE (mean and max aggregators, root weight, normalisation) against PyG's SAGEConv, float64, 1e-10.

Outputs and every gradient (x, lin_l.weight, lin_l.bias, lin_r.weight) on random undirected, directed and
multi-edge graphs with isolated nodes; the max operator against finite differences (tie-free data) and
against torch's tie rule; bad input; the CLI; permutation equivariance.
"""

from __future__ import annotations

import subprocess
import sys

import networkx as nx
import numpy as np
import pytest

from symrnn import graphs
from symrnn.errors import InputError, SpecError, SymrnnError
from symrnn.graphs.graphsage import graphsage, graphsage_forward
from finite_differences import central_gradient

torch = pytest.importorskip("torch")
pyg_nn = pytest.importorskip("torch_geometric.nn")

TOL = 1e-10


def _edges(rng, n, kind):
    """(src, dst) of a random graph on n nodes: undirected (both directions), directed, or with repeated edges."""
    m = 3 * n
    src, dst = rng.integers(0, n - 1, m), rng.integers(0, n - 1, m)  # node n - 1 stays isolated
    keep = src != dst
    src, dst = src[keep], dst[keep]
    if kind == "undirected":
        pairs = np.unique(np.stack([np.minimum(src, dst), np.maximum(src, dst)], 1), axis=0)
        return np.r_[pairs[:, 0], pairs[:, 1]], np.r_[pairs[:, 1], pairs[:, 0]]
    if kind == "directed":
        pairs = np.unique(np.stack([src, dst], 1), axis=0)
        return pairs[:, 0], pairs[:, 1]
    return np.r_[src, src[:4]], np.r_[dst, dst[:4]]  # multi-edges: some edges listed twice


def _conv(rng, F, G, **kw):
    conv = pyg_nn.SAGEConv(F, G, **kw).double()
    with torch.no_grad():
        for p in conv.parameters():
            p.copy_(torch.tensor(rng.normal(size=tuple(p.shape))))
    return conv


def _against_pyg(rng, kind, aggr, root_weight, normalize, n=12, F=4, G=3):
    src, dst = _edges(rng, n, kind)
    X = rng.normal(size=(n, F))
    conv = _conv(rng, F, G, aggr=aggr, root_weight=root_weight, normalize=normalize)
    x = torch.tensor(X, requires_grad=True)
    out = conv(x, torch.tensor(np.stack([src, dst]), dtype=torch.int64))
    dY = rng.normal(size=(n, G))
    (out * torch.tensor(dY)).sum().backward()
    W_r = conv.lin_r.weight.detach().numpy().T if root_weight else None
    Y, call = graphsage_forward(graphs.from_edges(src, dst, n), X, conv.lin_l.weight.detach().numpy().T,
                                conv.lin_l.bias.detach().numpy(), W_r, aggr=aggr, normalize=normalize)
    grads = graphs.backward(call, dY)
    np.testing.assert_allclose(Y, out.detach().numpy(), rtol=0, atol=TOL)
    np.testing.assert_allclose(grads["X"], x.grad.numpy(), rtol=0, atol=TOL)
    np.testing.assert_allclose(grads["W_l"], conv.lin_l.weight.grad.numpy().T, rtol=0, atol=TOL)
    np.testing.assert_allclose(grads["b"], conv.lin_l.bias.grad.numpy(), rtol=0, atol=TOL)
    if root_weight:
        np.testing.assert_allclose(grads["W_r"], conv.lin_r.weight.grad.numpy().T, rtol=0, atol=TOL)
    return Y


@pytest.mark.parametrize("kind", ["undirected", "directed", "multi"])
@pytest.mark.parametrize("aggr", ["mean", "max"])
@pytest.mark.parametrize("root_weight,normalize", [(True, False), (False, False), (True, True), (False, True)])
def test_graphsage_matches_pyg(rng, kind, aggr, root_weight, normalize):
    for _ in range(3):  # several random graphs of each kind
        _against_pyg(rng, kind, aggr, root_weight, normalize)


def test_graphsage_max_ties_share_the_adjoint_as_torch_does(rng):
    """Two in-neighbours with the same value: torch's scatter_reduce("amax") gives each half; so does max_in."""
    src, dst = np.array([0, 1, 2]), np.array([3, 3, 3])
    X = np.array([[1.0, -2.0], [1.0, 5.0], [0.5, 5.0], [0.0, 0.0]])  # unit 0: nodes 0, 1 tie; unit 1: nodes 1, 2
    conv = _conv(rng, 2, 2, aggr="max")
    x = torch.tensor(X, requires_grad=True)
    dY = rng.normal(size=(4, 2))
    (conv(x, torch.tensor(np.stack([src, dst]))) * torch.tensor(dY)).sum().backward()
    Y, call = graphsage_forward(graphs.from_edges(src, dst, 4), X, conv.lin_l.weight.detach().numpy().T,
                                conv.lin_l.bias.detach().numpy(), conv.lin_r.weight.detach().numpy().T, aggr="max")
    np.testing.assert_allclose(graphs.backward(call, dY)["X"], x.grad.numpy(), rtol=0, atol=TOL)


@pytest.mark.parametrize("normalize", [False, True])
def test_graphsage_max_gradients_finite_differences(rng, normalize):
    src, dst = _edges(rng, 9, "directed")
    g = graphs.from_edges(src, dst, 9)
    X, W_l, W_r, b = rng.normal(size=(9, 3)), rng.normal(size=(3, 2)), rng.normal(size=(3, 2)), rng.normal(size=2)
    dY = rng.normal(size=(9, 2))
    grads = graphs.backward(graphsage_forward(g, X, W_l, b, W_r, aggr="max", normalize=normalize)[1], dY)
    for name, arr in {"X": X, "W_l": W_l, "W_r": W_r, "b": b}.items():
        f = lambda: float(np.sum(graphsage_forward(g, X, W_l, b, W_r, aggr="max", normalize=normalize)[0] * dY))  # noqa: E731
        np.testing.assert_allclose(grads[name], central_gradient(f, arr), rtol=1e-6, atol=1e-7, err_msg=name)


def test_max_in_operator_against_a_loop():
    """max_in by its definition: per node and unit the largest x_j over the edges j → i, 0 without one."""
    from symrnn.graphs.operators import GraphOperators

    rng = np.random.default_rng(3)
    src, dst = rng.integers(0, 6, 20), rng.integers(0, 6, 20)
    ops = GraphOperators(graphs.from_edges(src, dst, 7))
    V = rng.normal(size=(7, 3))
    want = np.zeros((7, 3))
    for i in range(7):
        rows = [V[s] for s, d in zip(ops.src, ops.dst) if d == i]
        if rows:
            want[i] = np.max(rows, axis=0)
    np.testing.assert_array_equal(ops.apply("max_in", V), want)


def test_sage_is_the_mean_root_weight_case():
    from symrnn.graphs import layers

    assert [(e.target, e.expr) for e in layers.sage().equations] == [(e.target, e.expr) for e in graphsage().equations]
    assert layers.sage().name == "sage" and graphsage().name == "graphsage"


BAD = [
    (lambda: graphsage(aggr="sum"), SpecError, "aggr must be one of"),
    (lambda: graphsage(normalize="yes"), InputError, "normalize"),
    (lambda: graphsage_forward(nx.path_graph(3), np.ones((2, 1)), np.ones((1, 1))), InputError, "X has 2 rows"),
    (lambda: graphsage_forward(nx.path_graph(3), np.ones((3, 2)), np.ones((3, 1))), InputError, "W_l has shape"),
    (lambda: graphsage_forward(nx.path_graph(3), np.ones((3, 1)), np.ones((1, 2)), np.ones(3)), InputError,
     "b has shape"),
    (lambda: graphsage_forward(nx.path_graph(3), np.ones((3, 1)), np.ones((1, 2)), None, np.ones((2, 2))), InputError,
     "W_r has shape"),
    (lambda: graphsage_forward(nx.path_graph(2), np.array([[1.0], [np.nan]]), np.ones((1, 1))), InputError, "node 1"),
    (lambda: graphsage_forward(nx.MultiGraph([(0, 1)]), np.ones((2, 1)), np.ones((1, 1))), InputError, "multigraph"),
    (lambda: graphs.from_edges([0, 5], [1, 0], 3), InputError, r"\[0, 3\)"),
]


@pytest.mark.parametrize("call,error,message", BAD)
def test_bad_input_is_refused_naming_the_argument(call, error, message):
    with pytest.raises(error, match=message) as info:
        call()
    assert isinstance(info.value, SymrnnError)


def test_a_non_linear_operator_is_a_stage_of_its_own():
    from symrnn import GraphBuilder

    b = GraphBuilder("bad_max")
    F, G = b.sizes("F G")
    x = b.node_input("x", F)
    with pytest.raises(SpecError, match="stage of its own"):
        b.param("W", G, F) @ b.apply("max_in", x)


def test_show_graphsage_through_the_cli():
    proc = subprocess.run([sys.executable, "-m", "symrnn.cli", "show", "graphsage"], capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    assert "Hamilton" in proc.stdout and "h = W_l*mean_in(x) + W_r*x + b" in proc.stdout
    assert "parameter count (paper): 2*F*G + G" in proc.stdout


@pytest.mark.parametrize("options", [{}, {"aggr": "max"}, {"aggr": "max", "normalize": True, "activation": "relu"}])
def test_graphsage_is_permutation_equivariant_for_every_size(options):
    from symrnn.prove import permutation_equivariant

    assert permutation_equivariant(graphsage(**options)).status == "proved"
    assert permutation_equivariant(graphsage(**options), invariant=True).status == "refuted"
