"""Checks of issue 15, defect 7 (no silent disagreement with Keras / PyTorch / PyG), for tests/test_hardening_round2.py.

Each check runs the library's own layer on the same data and compares values
and gradients (the library's autograd is the oracle) at 1e-10 or tighter.
"""

from __future__ import annotations

import os

import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "torch")

from symrnn import graphs  # noqa: E402
from symrnn.errors import InputError  # noqa: E402
from symrnn.interop import (edge_index_to_graph, edge_index_to_networkx, final_to_torch, from_keras,  # noqa: E402
                            from_torch, gat_params, gcn_params, cheb_params, torch_arrays)

ATOL = 1e-10


def check_keras_go_backwards(kind: str, options: dict) -> None:
    """Outputs (in processing order), final states and ∂L/∂x of a go_backwards layer equal Keras'."""
    keras = pytest.importorskip("keras")
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(7)
    B, T, D, H = 3, 6, 2, 4
    layer = getattr(keras.layers, kind)(H, return_sequences=True, return_state=True, go_backwards=True,
                                        dtype="float64", **options)
    layer.build((B, T, D))
    layer.set_weights([rng.uniform(-0.8, 0.8, w.shape) for w in layer.get_weights()])
    x = rng.standard_normal((B, T, D))
    xt = torch.tensor(x, requires_grad=True)
    ref, *states = layer(xt)
    g = rng.standard_normal((B, T, H))
    (ref * torch.from_numpy(g)).sum().backward()
    k = from_keras(layer)
    out, final, tape = k.forward(np.ascontiguousarray(x.transpose(1, 0, 2)))
    tol = 1e-6 if options.get("reset_after") is False else ATOL  # Keras' own float64 loss there (test_interop_keras)
    np.testing.assert_allclose(out.transpose(1, 0, 2), ref.detach().numpy(), rtol=0, atol=tol)
    np.testing.assert_allclose(final["h"], states[0].detach().numpy(), rtol=0, atol=tol)
    dx = k.backward(tape, np.ascontiguousarray(g.transpose(1, 0, 2)))["x"]
    np.testing.assert_allclose(dx.transpose(1, 0, 2), xt.grad.numpy(), rtol=0, atol=tol)
    with pytest.raises(InputError, match="lengths"):
        k.forward(np.zeros((T, B, D)), lengths=np.full(B, T))


def check_torch_batch_first(kind: str, layers: int, bidirectional: bool) -> None:
    """A batch_first module on (B, T, D) data: outputs, h_n, ∂L/∂x and every parameter gradient equal torch's."""
    torch = pytest.importorskip("torch")
    torch.manual_seed(3)
    module = getattr(torch.nn, kind)(3, 4, num_layers=layers, bidirectional=bidirectional, batch_first=True).double()
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 5, 3))  # (B, T, D): T != B, so a transposition cannot pass unnoticed
    xt = torch.tensor(x, requires_grad=True)
    ref, h_n = module(xt)
    net = from_torch(module)
    out, final, tape = net.forward(x)
    np.testing.assert_allclose(out, ref.detach().numpy(), rtol=0, atol=ATOL)
    h_n = h_n[0] if kind == "LSTM" else h_n
    np.testing.assert_allclose(final_to_torch(net, final, "h"), h_n.detach().numpy(), rtol=0, atol=ATOL)
    g = rng.standard_normal(out.shape)
    (ref * torch.from_numpy(g)).sum().backward()
    grads = net.backward(tape, g)
    np.testing.assert_allclose(grads[net.input_names[0]], xt.grad.numpy(), rtol=0, atol=ATOL)
    mine = torch_arrays(grads, module, gradients=True)
    for name, p in module.named_parameters():
        np.testing.assert_allclose(mine[name], p.grad.numpy(), rtol=0, atol=ATOL, err_msg=name)


REPEATED = np.array([[0, 0, 1, 2, 2, 2, 1, 3, 3, 0],  # 0 -> 1 twice, 2 -> 1 three times, 3 -> 3 (loop) twice
                     [1, 1, 0, 1, 1, 1, 2, 3, 3, 3]])


def check_gat_repeated_edges(heads: int, concat: bool, add_self_loops: bool) -> None:
    """GAT on an edge_index with repeated edges attends to every copy, as PyG's GATConv: values and gradients."""
    torch = pytest.importorskip("torch")
    pyg = pytest.importorskip("torch_geometric.nn")
    torch.manual_seed(heads + 2 * concat + 4 * add_self_loops)
    conv = pyg.GATConv(3, 2, heads=heads, concat=concat, add_self_loops=add_self_loops).double()
    p = gat_params(conv)
    X = np.random.default_rng(5).standard_normal((4, 3))
    Xt = torch.tensor(X, requires_grad=True)
    ei = torch.from_numpy(REPEATED)
    ref = conv(Xt, ei)
    g = edge_index_to_graph(REPEATED, num_nodes=4)
    Y, tape = graphs.gat_forward(g, X, p["W"], p["att_src"], p["att_dst"], p["b"], concat=concat,
                                 add_self_loops=add_self_loops)
    np.testing.assert_allclose(Y, ref.detach().numpy(), rtol=0, atol=ATOL)
    merged = edge_index_to_graph(np.unique(REPEATED, axis=1), num_nodes=4)  # the copies matter: PyG differs here
    assert np.abs(graphs.gat(merged, X, p["W"], p["att_src"], p["att_dst"], p["b"], concat=concat,
                             add_self_loops=add_self_loops) - Y).max() > 1e-3
    dY = np.random.default_rng(6).standard_normal(Y.shape)
    (ref * torch.from_numpy(dY)).sum().backward()
    grads = graphs.backward(tape, dY)
    np.testing.assert_allclose(grads["X"], Xt.grad.numpy(), rtol=0, atol=ATOL)
    np.testing.assert_allclose(grads["W"], conv.lin.weight.grad.numpy().T, rtol=0, atol=ATOL)
    np.testing.assert_allclose(grads["att_src"], conv.att_src.grad.numpy()[0], rtol=0, atol=ATOL)


def check_gcn_cheb_repeated_edges() -> None:
    """GCN and ChebNet count each copy's weight, as PyG's scatter-add does."""
    torch = pytest.importorskip("torch")
    pyg = pytest.importorskip("torch_geometric.nn")
    torch.manual_seed(1)
    ei = np.array([[0, 1, 0, 1, 1, 2], [1, 0, 1, 0, 2, 1]])  # 0 - 1 listed twice each way
    X = np.random.default_rng(2).standard_normal((3, 3))
    g = edge_index_to_graph(ei, num_nodes=3)
    gcn, cheb = pyg.GCNConv(3, 2).double(), pyg.ChebConv(3, 2, K=3).double()
    p, q = gcn_params(gcn), cheb_params(cheb)
    Xt, et = torch.from_numpy(X), torch.from_numpy(ei)
    np.testing.assert_allclose(graphs.gcn(g, X, p["W"], p["b"]), gcn(Xt, et).detach().numpy(), rtol=0, atol=ATOL)
    np.testing.assert_allclose(graphs.cheb(g, X, q["Theta"], q["b"]), cheb(Xt, et).detach().numpy(), rtol=0, atol=ATOL)


def check_repeated_edges_are_not_merged_silently() -> None:
    """edge_index_to_networkx would merge copies; it refuses, and as_graph's multigraph advice is right for GAT."""
    import networkx as nx

    with pytest.raises(InputError, match="edge_index_to_graph"):
        edge_index_to_networkx(REPEATED, num_nodes=4)
    with pytest.raises(InputError) as info:
        graphs.as_graph(nx.MultiGraph([(0, 1), (0, 1)]))
    assert "GAT attends to every copy" in str(info.value) and "sum their weights) first" not in str(info.value)
