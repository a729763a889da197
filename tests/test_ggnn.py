"""GGNN (Li et al. 2016) held as a description: against PyG's GatedGraphConv, values and every gradient."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
import torch

import symrnn
from symrnn.errors import InputError, SpecError
from symrnn.graphs import backward
from symrnn.graphs.ggnn import ggnn, ggnn_forward, ggnn_params
from symrnn.prove import permutation_equivariant
from symrnn.testing.graphs import random_graph

TORCH_DEFAULT_DTYPE = torch.float64  # set for each of this module's tests by tests/conftest.py

CASES = [  # (seed, directed, weighted, features, hidden, steps)
    (0, True, True, 3, 4, 3),
    (1, False, True, 2, 5, 2),
    (2, True, False, 4, 4, 1),
    (3, False, False, 1, 3, 2),
    (4, True, True, 5, 6, 2),
]


def _pyg(G, H, L, rng):
    from torch_geometric.nn import GatedGraphConv

    conv = GatedGraphConv(H, L)
    with torch.no_grad():
        for p in conv.parameters():
            p.copy_(torch.tensor(rng.normal(size=tuple(p.shape))))
    directed = G.is_directed()
    edges = [(u, v, d.get("weight", 1.0)) for u, v, d in G.edges(data=True)]
    if not directed:
        edges += [(v, u, w) for u, v, w in edges if u != v]
    src, dst, w = zip(*edges)
    return conv, torch.tensor([src, dst]), torch.tensor(w, requires_grad=True)


@pytest.mark.parametrize("seed, directed, weighted, F, H, L", CASES)
def test_ggnn_equals_pyg_gated_graph_conv_values_and_every_gradient(seed, directed, weighted, F, H, L):
    rng = np.random.default_rng(seed)
    G = random_graph(rng, min_nodes=4, max_nodes=9, directed=directed, weighted=weighted, p=0.45)
    G.add_node(G.number_of_nodes())  # an isolated node: its message is zero
    if G.number_of_edges() == 0:
        G.add_edge(0, 1, weight=1.5)
    N = G.number_of_nodes()
    conv, edge_index, ew = _pyg(G, H, L, rng)
    X, R = rng.normal(size=(N, F)), rng.normal(size=(N, H))
    Xt = torch.tensor(X, requires_grad=True)
    y = conv(Xt, edge_index, ew)
    (y * torch.tensor(R)).sum().backward()

    sd = {k: v.detach().numpy() for k, v in conv.state_dict().items()}
    params = ggnn_params(sd["weight"], sd["rnn.weight_ih"], sd["rnn.weight_hh"], sd["rnn.bias_ih"], sd["rnn.bias_hh"])
    Y, call = ggnn_forward(G, X, params)  # the edge weights read from the graph
    g = backward(call, R)
    assert np.abs(Y - y.detach().numpy()).max() < 1e-10
    assert np.abs(g["X"] - Xt.grad.numpy()).max() < 1e-10
    row = {(int(s), int(d)): k for k, (s, d) in enumerate(edge_index.T.tolist())}
    order = [row[(int(s), int(d))] for s, d in call.edge_index.T]
    assert np.abs(g["edge_weight"] - ew.grad.numpy()[order]).max() < 1e-10
    gw = conv.weight.grad.numpy()
    for l in range(L):
        assert np.abs(g[f"W_{l + 1}"] - gw[l].T).max() < 1e-10, l
    gi, gh = conv.rnn.weight_ih.grad.numpy(), conv.rnn.weight_hh.grad.numpy()
    bi, bh = conv.rnn.bias_ih.grad.numpy(), conv.rnn.bias_hh.grad.numpy()
    for k, gate in enumerate("rzn"):
        rows = slice(k * H, (k + 1) * H)
        assert np.abs(g[f"W_{gate}"] - gi[rows]).max() < 1e-10, gate
        assert np.abs(g[f"U_{gate}"] - gh[rows]).max() < 1e-10, gate
    for k, gate in enumerate("rz"):  # merged biases: the gradient of b_r is that of b_ir and of b_hr
        rows = slice(k * H, (k + 1) * H)
        assert np.abs(g[f"b_{gate}"] - bi[rows]).max() < 1e-10 and np.abs(g[f"b_{gate}"] - bh[rows]).max() < 1e-10
    assert np.abs(g["b_in"] - bi[2 * H:]).max() < 1e-10 and np.abs(g["b_hn"] - bh[2 * H:]).max() < 1e-10


def test_explicit_edge_weights_follow_the_call_edge_index():
    rng = np.random.default_rng(7)
    G = nx.DiGraph([(0, 1), (1, 2), (2, 0), (3, 1)])
    k = symrnn.compile(ggnn(2), H=3)
    params = {n: rng.normal(size=v.shape) for n, v in k.params.items()}
    X, w = rng.normal(size=(4, 2)), rng.uniform(-1, 2, size=4)
    Y, call = ggnn_forward(G, X, params, edge_weight=w)
    from torch_geometric.nn import GatedGraphConv

    conv = GatedGraphConv(3, 2)
    with torch.no_grad():
        conv.weight.copy_(torch.tensor(np.stack([params["W_1"].T, params["W_2"].T])))
        conv.rnn.weight_ih.copy_(torch.tensor(np.concatenate([params["W_r"], params["W_z"], params["W_n"]])))
        conv.rnn.weight_hh.copy_(torch.tensor(np.concatenate([params["U_r"], params["U_z"], params["U_n"]])))
        conv.rnn.bias_ih.copy_(torch.tensor(np.concatenate([params["b_r"], params["b_z"], params["b_in"]])))
        conv.rnn.bias_hh.copy_(torch.tensor(np.concatenate([0 * params["b_r"], 0 * params["b_z"], params["b_hn"]])))
    y = conv(torch.tensor(X), torch.tensor(call.edge_index), torch.tensor(w))
    assert np.abs(Y - y.detach().numpy()).max() < 1e-12


def test_bad_input_is_refused_naming_the_argument_node_or_edge():
    p = ggnn_params(np.ones((1, 2, 2)), np.zeros((6, 2)), np.zeros((6, 2)), np.zeros(6), np.zeros(6))
    G = nx.path_graph(2)
    with pytest.raises(InputError, match=r"X has 3 features .* F <= H"):
        ggnn_forward(G, np.ones((2, 3)), p)
    with pytest.raises(InputError, match=r"X has a non-finite entry at \(1, 0\) \(node 1\)"):
        ggnn_forward(G, np.array([[1.0], [np.inf]]), p)
    with pytest.raises(InputError, match=r"edge_weight has a non-finite entry nan at row 1 \(the edge 0 -> 1\)"):
        ggnn_forward(G, np.ones((2, 1)), p, edge_weight=[1.0, np.nan])
    with pytest.raises(InputError, match=r"edge_weight has shape \(1,\), expected \(2,\)"):
        ggnn_forward(G, np.ones((2, 1)), p, edge_weight=[1.0])
    with pytest.raises(InputError, match="weight_ih has shape"):
        ggnn_params(np.ones((1, 2, 2)), np.zeros((5, 2)), np.zeros((6, 2)), np.zeros(6), np.zeros(6))
    with pytest.raises(SpecError, match="steps .* must be an integer >= 1, got 0"):
        ggnn(0)
    with pytest.raises(SpecError, match="aggr must be 'add'.*got 'max'"):
        ggnn(2, aggr="max")


def test_ggnn_is_permutation_equivariant_for_every_graph_and_the_invariant_claim_is_refuted():
    assert permutation_equivariant(ggnn(2)).status == "proved"
    assert permutation_equivariant(ggnn(1), invariant=True).status == "refuted"


def test_registry_show_and_derive_reach_ggnn(capsys):
    from symrnn.cli import main

    assert symrnn.registry.kind_of("ggnn") == "graph"
    assert main(["show", "ggnn"]) == 0
    out = capsys.readouterr().out
    assert "m_1 = scatter_dst(msg_1)" in out and "parameter count (paper): 8*H**2 + 4*H" in out
    assert main(["derive", "ggnn", "--format", "tex"]) == 0
    assert r"\mathbf{m}^{(1)} &= \mathbf{S}_{\mathrm{dst}}^{\top} \boldsymbol{\mu}^{(1)}" in capsys.readouterr().out
