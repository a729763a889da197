"""``graphs.backward(call, dY, skip=...)``: gradients nobody asked for are neither computed nor returned.

Oracles: PyTorch Geometric run with the same inputs *not* requiring grad (what a PyG user
writes), and our own full backward; the generated source shows the skipped work is gone.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
import torch

from symrnn.errors import InputError
from symrnn.graphs import backward, gat_forward, gcn_forward
from symrnn.graphs.ggnn import ggnn_forward, ggnn_params
from symrnn.testing.graphs import random_graph

TORCH_DEFAULT_DTYPE = torch.float64  # set for each of this module's tests by tests/conftest.py


def _ggnn_case(seed, H=4, L=2):
    rng = np.random.default_rng(seed)
    G = random_graph(rng, min_nodes=5, max_nodes=9, directed=True, weighted=True, p=0.5)
    if G.number_of_edges() == 0:
        G.add_edge(0, 1, weight=0.7)
    p = ggnn_params(rng.normal(size=(L, H, H)), rng.normal(size=(3 * H, H)), rng.normal(size=(3 * H, H)),
                    rng.normal(size=3 * H), rng.normal(size=3 * H))
    N = G.number_of_nodes()
    return G, p, rng.normal(size=(N, 3)), rng.normal(size=(N, H))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_ggnn_without_the_edge_weight_gradient_equals_pyg_with_weights_not_requiring_grad(seed):
    from torch_geometric.nn import GatedGraphConv

    G, p, X, R = _ggnn_case(seed)
    Y, call = ggnn_forward(G, X, p)
    g = backward(call, R, skip=["edge_weight"])
    assert "edge_weight" not in g
    H, L = p["W_1"].shape[0], sum(k.startswith("W_") and k[2:].isdigit() for k in p)
    conv = GatedGraphConv(H, L)
    with torch.no_grad():
        conv.weight.copy_(torch.tensor(np.stack([p[f"W_{l + 1}"].T for l in range(L)])))
        conv.rnn.weight_ih.copy_(torch.tensor(np.concatenate([p["W_r"], p["W_z"], p["W_n"]])))
        conv.rnn.weight_hh.copy_(torch.tensor(np.concatenate([p["U_r"], p["U_z"], p["U_n"]])))
        conv.rnn.bias_ih.copy_(torch.tensor(np.concatenate([p["b_r"], p["b_z"], p["b_in"]])))
        conv.rnn.bias_hh.copy_(torch.tensor(np.concatenate([0 * p["b_r"], 0 * p["b_z"], p["b_hn"]])))
    w = torch.tensor(np.array([G.edges[int(s), int(d)]["weight"] for s, d in call.edge_index.T]))  # no grad
    Xt = torch.tensor(X, requires_grad=True)
    y = conv(Xt, torch.tensor(call.edge_index), w)
    (y * torch.tensor(R)).sum().backward()
    assert np.abs(Y - y.detach().numpy()).max() < 1e-10
    assert np.abs(g["X"] - Xt.grad.numpy()).max() < 1e-10
    for l in range(L):
        assert np.abs(g[f"W_{l + 1}"] - conv.weight.grad.numpy()[l].T).max() < 1e-10
    assert np.abs(g["U_n"] - conv.rnn.weight_hh.grad.numpy()[2 * H:]).max() < 1e-10
    full = backward(call, R)
    assert all(np.array_equal(full[k], g[k]) for k in g)  # the same statements, minus the skipped ones


def test_the_skipped_backward_has_no_statement_for_the_skipped_gradient():
    G, p, X, R = _ggnn_case(3)
    Y, call = ggnn_forward(G, X, p)
    backward(call, R, skip=["edge_weight"])
    backward(call, R, skip=["edge_weight", "X"])
    kernel = call.kernel
    from symrnn.codegen.layer import layer_backward_source

    full = layer_backward_source(kernel.cell, kernel.shapes, kernel.n)
    no_w = layer_backward_source(kernel.cell, kernel.shapes, kernel.n, frozenset({"w"}))
    no_wx = layer_backward_source(kernel.cell, kernel.shapes, kernel.n, frozenset({"w", "x"}))
    assert full.count("_O.edge_dot(") == 2 and "_O.edge_dot(" not in no_w
    assert "_grads['w']" in full and "_grads['w']" not in no_w
    # without x: no adjoint of x, so the first step's products x̄ = Σ ā U are gone too
    assert "_g_x" in no_w and "_g_x" not in no_wx and "_grads['x']" not in no_wx
    assert no_wx.count(" @ ") < no_w.count(" @ ") <= full.count(" @ ")
    assert set(kernel._backwards) == {frozenset(), frozenset({"w"}), frozenset({"w", "x"})}  # compiled once each


def test_gcn_and_gat_skip_x_keep_every_parameter_gradient():
    rng = np.random.default_rng(4)
    G = nx.gnp_random_graph(7, 0.5, seed=4)
    X, W, b = rng.normal(size=(7, 3)), rng.normal(size=(3, 2)), rng.normal(size=2)
    Y, call = gcn_forward(G, X, W, b)
    dY = rng.normal(size=Y.shape)
    full, part = backward(call, dY), backward(call, dY, skip=("X",))
    assert sorted(part) == ["W", "b"] and all(np.array_equal(full[k], part[k]) for k in part)
    a_s, a_d = rng.normal(size=(2, 2)), rng.normal(size=(2, 2))
    Y, call = gat_forward(G, X, rng.normal(size=(3, 4)), a_s, a_d)
    dY = rng.normal(size=Y.shape)
    full, part = backward(call, dY), backward(call, dY, skip={"X"})
    assert "X" not in part and set(part) == set(full) - {"X"}
    assert all(np.allclose(full[k], part[k], rtol=0, atol=1e-14) for k in part)


def test_bad_skip_is_refused_naming_the_argument():
    G, p, X, R = _ggnn_case(5)
    Y, call = ggnn_forward(G, X, p)
    with pytest.raises(InputError, match=r"skip: \['W_1'\] are not inputs of 'ggnn2'; it takes \['X', 'edge_weight'\]"):
        backward(call, R, skip=["W_1"])
    with pytest.raises(InputError, match="skip must be a list of input names"):
        backward(call, R, skip="X")
    with pytest.raises(InputError, match=r"without: \['q'\] are not inputs or previous states"):
        call.kernel.backward(call.tape, {"h": R}, without=["q"])
