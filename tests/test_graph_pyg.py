"""GCN, ChebNet and GAT layers against PyTorch Geometric: outputs, gradients, attention (float64, 1e-10)."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings

from symrnn import graphs
from symrnn.interop import pyg as interop
from symrnn.testing.graphs import graph_examples

torch = pytest.importorskip("torch")
pyg_nn = pytest.importorskip("torch_geometric.nn")

TOL = 1e-10


def _graph(rng, n=9, p=0.35, weighted=True, isolated=True):
    G = nx.gnp_random_graph(n, p, seed=int(rng.integers(1 << 30)))
    if isolated:
        G.add_node(n)  # an isolated node
    if weighted:
        for u, v in G.edges():
            G[u][v]["weight"] = float(rng.uniform(0.2, 2.0))
    return G


def _torch_inputs(G, X, weighted=True):
    ei, w, _ = interop.networkx_to_edge_index(G)
    x = torch.tensor(X, dtype=torch.float64, requires_grad=True)
    return x, ei, (w if weighted else None)


def _randomise(module, rng):
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(torch.tensor(rng.normal(size=tuple(p.shape)), dtype=torch.float64))


def _check(ours_out, ours_grads, out, x, module, names, dY):
    (out * torch.tensor(dY)).sum().backward()
    np.testing.assert_allclose(ours_out, out.detach().numpy(), rtol=0, atol=TOL)
    np.testing.assert_allclose(ours_grads["X"], x.grad.numpy(), rtol=0, atol=TOL)
    for ours, theirs in names.items():
        np.testing.assert_allclose(ours_grads[ours], theirs(module), rtol=0, atol=TOL, err_msg=ours)


@pytest.mark.parametrize("weighted,improved,loops", [(True, False, True), (False, False, True),
                                                     (True, True, True), (False, True, True), (True, False, False)])
def test_gcn_matches_pyg(rng, weighted, improved, loops):
    G = _graph(rng, weighted=weighted)
    X = rng.normal(size=(G.number_of_nodes(), 4))
    conv = pyg_nn.GCNConv(4, 3, improved=improved, add_self_loops=loops).double()
    _randomise(conv, rng)
    params = interop.gcn_params(conv)
    assert np.all(params["b"] != 0)
    Y, tape = graphs.gcn_forward(G, X, params["W"], params["b"], improved=improved, add_self_loops=loops)
    dY = rng.normal(size=Y.shape)
    # PyG 2.8 ignores improved=True when edge_weight is None (its loop fill value is
    # dropped with the missing weights), so the unweighted improved case passes ones.
    x, ei, w = _torch_inputs(G, X, weighted or improved)
    out = conv(x, ei, w)
    _check(Y, graphs.backward(tape, dY), out, x, conv,
           {"W": lambda m: m.lin.weight.grad.numpy().T, "b": lambda m: m.bias.grad.numpy()}, dY)


def test_gcn_without_normalisation_matches_pyg(rng):
    G = _graph(rng)
    X = rng.normal(size=(G.number_of_nodes(), 3))
    conv = pyg_nn.GCNConv(3, 2, normalize=False).double()
    _randomise(conv, rng)
    p = interop.gcn_params(conv)
    Y, tape = graphs.gcn_forward(G, X, p["W"], p["b"], normalize=False)
    dY = rng.normal(size=Y.shape)
    x, ei, w = _torch_inputs(G, X)
    _check(Y, graphs.backward(tape, dY), conv(x, ei, w), x, conv,
           {"W": lambda m: m.lin.weight.grad.numpy().T, "b": lambda m: m.bias.grad.numpy()}, dY)


def test_gcn_existing_self_loop_keeps_its_weight(rng):
    """PyG's add_remaining_self_loops: a loop of weight 3 stays 3 (Kipf's A + I would give 4)."""
    G = _graph(rng)
    G.add_edge(0, 0, weight=3.0)
    X = rng.normal(size=(G.number_of_nodes(), 2))
    conv = pyg_nn.GCNConv(2, 2).double()
    _randomise(conv, rng)
    p = interop.gcn_params(conv)
    x, ei, w = _torch_inputs(G, X)
    np.testing.assert_allclose(graphs.gcn(G, X, p["W"], p["b"]), conv(x, ei, w).detach().numpy(), atol=TOL)
    A = graphs.gcn_adjacency(G).toarray()
    deg0 = sum(d.get("weight", 1) for u, v, d in G.edges(0, data=True) if v != 0) + 3.0
    assert A[0, 0] == pytest.approx(3.0 / deg0, abs=1e-14)


@pytest.mark.parametrize("K", [1, 2, 4])
@pytest.mark.parametrize("lambda_max", [2.0, 1.7])
def test_cheb_matches_pyg(rng, K, lambda_max):
    G = _graph(rng)
    X = rng.normal(size=(G.number_of_nodes(), 3))
    conv = pyg_nn.ChebConv(3, 2, K=K).double()
    _randomise(conv, rng)
    p = interop.cheb_params(conv)
    assert p["Theta"].shape == (K, 3, 2)
    Y, tape = graphs.cheb_forward(G, X, p["Theta"], p["b"], lambda_max=lambda_max)
    dY = rng.normal(size=Y.shape)
    x, ei, w = _torch_inputs(G, X)
    # PyG's default lambda_max (None) is 2·max(L) = 2 for normalization="sym": exercise that path too
    out = conv(x, ei, w) if lambda_max == 2.0 else conv(x, ei, w, lambda_max=lambda_max)
    grads = graphs.backward(tape, dY)
    _check(Y, grads, out, x, conv, {"b": lambda m: m.bias.grad.numpy()}, dY)
    for k, lin in enumerate(conv.lins):
        np.testing.assert_allclose(grads["Theta"][k], lin.weight.grad.numpy().T, rtol=0, atol=TOL)


def test_cheb_combinatorial_laplacian_matches_pyg(rng):
    G = _graph(rng)
    X = rng.normal(size=(G.number_of_nodes(), 3))
    conv = pyg_nn.ChebConv(3, 2, K=3, normalization=None).double()
    _randomise(conv, rng)
    p = interop.cheb_params(conv)
    lam = 2.0 * max(d for _, d in G.degree(weight="weight"))
    Y, tape = graphs.cheb_forward(G, X, p["Theta"], p["b"], lambda_max=lam, normalization=None)
    dY = rng.normal(size=Y.shape)
    x, ei, w = _torch_inputs(G, X)
    _check(Y, graphs.backward(tape, dY), conv(x, ei, w, lambda_max=lam), x, conv,
           {"b": lambda m: m.bias.grad.numpy()}, dY)


def test_cheb_random_walk_pyg_applies_the_transpose(rng):
    """PyG's ChebConv(normalization="rw") applies (I − D⁻¹A)ᵀ; ours applies I − D⁻¹A (equal on regular graphs)."""
    G = _graph(rng)
    X = rng.normal(size=(G.number_of_nodes(), 3))
    conv = pyg_nn.ChebConv(3, 2, K=3, normalization="rw").double()
    _randomise(conv, rng)
    p = interop.cheb_params(conv)
    x, ei, w = _torch_inputs(G, X)
    theirs = conv(x, ei, w, lambda_max=2.0).detach().numpy()
    Lt = graphs.scaled_laplacian(G, 2.0, "rw")
    transposed = sum(T @ p["Theta"][k] for k, T in enumerate(graphs.chebyshev_terms(Lt.T, X, 3))) + p["b"]
    np.testing.assert_allclose(theirs, transposed, rtol=0, atol=TOL)
    assert not np.allclose(graphs.cheb(G, X, p["Theta"], p["b"], normalization="rw"), theirs)
    C = nx.cycle_graph(6)  # regular: the two coincide
    Xc = rng.normal(size=(6, 3))
    xc, eic, wc = _torch_inputs(C, Xc)
    np.testing.assert_allclose(graphs.cheb(C, Xc, p["Theta"], p["b"], normalization="rw"),
                               conv(xc, eic, wc, lambda_max=2.0).detach().numpy(), rtol=0, atol=TOL)


@pytest.mark.parametrize("heads,concat,loops", [(1, True, True), (3, True, True), (3, False, True), (2, True, False)])
def test_gat_matches_pyg(rng, heads, concat, loops):
    G = _graph(rng, weighted=False)
    G.add_edge(1, 1)  # an existing self-loop: dropped and re-added once, as in PyG
    X = rng.normal(size=(G.number_of_nodes(), 4))
    conv = pyg_nn.GATConv(4, 2, heads=heads, concat=concat, negative_slope=0.15, add_self_loops=loops).double()
    _randomise(conv, rng)
    p = interop.gat_params(conv)
    Y, tape = graphs.gat_forward(G, X, p["W"], p["att_src"], p["att_dst"], p["b"],
                                 concat=concat, negative_slope=0.15, add_self_loops=loops)
    dY = rng.normal(size=Y.shape)
    x, ei, _ = _torch_inputs(G, X)
    out, (ei_att, alpha) = conv(x, ei, return_attention_weights=True)
    grads = graphs.backward(tape, dY)
    _check(Y, grads, out, x, conv, {
        "W": lambda m: m.lin.weight.grad.numpy().T, "b": lambda m: m.bias.grad.numpy(),
        "att_src": lambda m: m.att_src.grad.numpy()[0], "att_dst": lambda m: m.att_dst.grad.numpy()[0],
    }, dY)
    theirs = {(int(s), int(t)): a for s, t, a in zip(*ei_att.numpy(), alpha.detach().numpy())}
    ours = {(int(s), int(t)): a for s, t, a in zip(*tape.edge_index, tape.attention)}
    assert ours.keys() == theirs.keys()
    for key, a in ours.items():
        np.testing.assert_allclose(a, theirs[key], rtol=0, atol=TOL)


def test_gat_directed_graph_matches_pyg(rng):
    G = nx.gnp_random_graph(8, 0.3, seed=3, directed=True)
    X = rng.normal(size=(8, 3))
    conv = pyg_nn.GATConv(3, 2, heads=2).double()
    _randomise(conv, rng)
    p = interop.gat_params(conv)
    x, ei, _ = _torch_inputs(G, X)
    np.testing.assert_allclose(graphs.gat(G, X, p["W"], p["att_src"], p["att_dst"], p["b"]),
                               conv(x, ei).detach().numpy(), rtol=0, atol=TOL)


def test_edge_index_round_trip(rng):
    G = _graph(rng)
    ei, w, nodes = interop.networkx_to_edge_index(G)
    H = interop.edge_index_to_networkx(ei, len(nodes), w)
    assert isinstance(H, nx.Graph) and not H.is_directed()
    assert sorted(H.edges(data="weight")) == sorted(
        (min(u, v), max(u, v), d) for u, v, d in G.edges(data="weight"))
    D = interop.edge_index_to_networkx(torch.tensor([[0, 1], [1, 2]]))
    assert D.is_directed() and sorted(D.edges()) == [(0, 1), (1, 2)]


@settings(max_examples=15, deadline=None)
@given(graph_examples(features=3, max_nodes=6))
def test_all_layers_match_pyg_on_random_graphs(ex):
    """Random graphs from the strategies, including single nodes, isolated nodes and no edges."""
    rng = np.random.default_rng(ex.X.shape[0])
    x, ei, w = _torch_inputs(ex.graph, ex.X)
    gcn_conv, cheb_conv = pyg_nn.GCNConv(3, 2).double(), pyg_nn.ChebConv(3, 2, K=3).double()
    gat_conv = pyg_nn.GATConv(3, 2, heads=2).double()
    for conv in (gcn_conv, cheb_conv, gat_conv):
        _randomise(conv, rng)
    p = interop.gcn_params(gcn_conv)
    np.testing.assert_allclose(graphs.gcn(ex.graph, ex.X, p["W"], p["b"]),
                               gcn_conv(x, ei, w).detach().numpy(), rtol=0, atol=TOL)
    p = interop.cheb_params(cheb_conv)
    np.testing.assert_allclose(graphs.cheb(ex.graph, ex.X, p["Theta"], p["b"]),
                               cheb_conv(x, ei, w, lambda_max=2.0).detach().numpy(), rtol=0, atol=TOL)
    p = interop.gat_params(gat_conv)
    np.testing.assert_allclose(graphs.gat(ex.graph, ex.X, p["W"], p["att_src"], p["att_dst"], p["b"]),
                               gat_conv(x, ei).detach().numpy(), rtol=0, atol=TOL)
