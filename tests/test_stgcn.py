"""STGCN's ST-Conv block (symrnn.graphs.stgcn) against PyTorch Geometric Temporal 0.56.2's STConv.

STConv runs in evaluation mode (its BatchNorm2d over nodes reads given running statistics; see the module
docstring for why training mode is not matched).  Every gradient is compared: every parameter of both temporal
convolutions and of the ChebConv, the input sequence, every edge weight (one per edge_index entry), and
BatchNorm's weight and bias — to 1e-10 in float64, on random undirected weighted graphs (with an isolated node,
a self-loop that ChebConv drops, unit weights), several batch sizes, kernel widths and Chebyshev orders.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
import torch

import pyg_temporal
import symrnn
from symrnn.errors import InputError, SpecError
from symrnn.graphs.stgcn import laplacian_entries, stgcn
from symrnn.graphs.stgcn_run import stgcn_backward, stgcn_forward

TORCH_DEFAULT_DTYPE = torch.float64  # set for each of this module's tests by tests/conftest.py
F, H, G = 3, 4, 2


def _graph(seed, n=7, weighted=True, self_loop=False):
    """A random undirected graph on 0..n-1 whose last node is isolated."""
    rng = np.random.default_rng(seed)
    g = nx.Graph()
    g.add_nodes_from(range(n))
    for u in range(n - 1):
        for v in range(u + 1, n - 1):
            if rng.random() < 0.45:
                g.add_edge(u, v, weight=float(rng.uniform(0.2, 2.0)) if weighted else 1.0)
    if self_loop:
        g.add_edge(0, 0, weight=0.7)
    return g


def _stconv(N, Kt, K, seed):
    """STConv in evaluation mode with random parameters and running statistics."""
    torch.manual_seed(seed)
    model = pyg_temporal.load("nn/attention/stgcn").STConv(N, F, H, G, Kt, K)
    with torch.no_grad():
        bn = model._batch_norm
        for t in (bn.weight, bn.bias, bn.running_mean):
            t.copy_(torch.randn(N))
        bn.running_var.copy_(torch.rand(N) + 0.3)
        for p in model._graph_conv.parameters():
            p.copy_(0.5 * torch.randn(p.shape))
    return model.eval()


def _params(model, Kt, K, grad=False):
    """STConv's parameters (or their gradients) under the description's names (tap k of a Conv2d: weight[:, :, 0, k])."""
    def read(t):
        return (t.grad if grad else t).detach().numpy()

    out = {}
    for conv, weight, bias in ((model._temporal_conv1, "W", "b"), (model._temporal_conv2, "V", "c")):
        for g, c in zip("pqr", (conv.conv_1, conv.conv_2, conv.conv_3)):
            out[f"{bias}_{g}"] = read(c.bias)
            out.update({f"{weight}_{g}{k}": read(c.weight)[:, :, 0, k] for k in range(Kt)})
    cheb = model._graph_conv
    out.update({f"Theta_{k}": read(cheb.lins[k].weight) for k in range(K)})
    out["b_theta"] = read(cheb.bias)
    return out


def _edge_index(g):
    pairs = [(u, v, d["weight"]) for u, v, d in g.edges(data=True)]
    pairs += [(v, u, w) for u, v, w in pairs if u != v]
    return torch.tensor([[u for u, _, _ in pairs], [v for _, v, _ in pairs]]), torch.tensor([w for *_, w in pairs])


@pytest.mark.parametrize("Kt, K, seed, B, weighted, self_loop", [
    (3, 3, 0, 2, True, False), (2, 1, 1, 1, False, False), (3, 2, 2, 3, True, True), (1, 3, 3, 2, True, False),
    (4, 2, 4, 1, True, True)])
def test_outputs_and_all_gradients_equal_pyg_temporal_stconv(Kt, K, seed, B, weighted, self_loop):
    g = _graph(seed, weighted=weighted, self_loop=self_loop)
    N, T = len(g), 2 * (Kt - 1) + 3
    model = _stconv(N, Kt, K, seed)
    kernel = symrnn.compile(stgcn(Kt, K), F=F, H=H, G=G)
    kernel.params = _params(model, Kt, K)
    rng = np.random.default_rng(seed)
    xs, w = rng.normal(size=(B, T, N, F)), rng.normal(size=(B, T - 2 * (Kt - 1), N, G))
    ei, ew = _edge_index(g)
    X, ew = torch.tensor(xs, requires_grad=True), ew.clone().requires_grad_(True)
    Y = model(X, ei, ew)
    (Y * torch.tensor(w)).sum().backward()
    bn = model._batch_norm
    ours, tape = stgcn_forward(kernel, g, xs, batch_norm={k: v.detach().numpy() for k, v in bn.state_dict().items()
                                                          if k != "num_batches_tracked"})
    assert ours.shape == Y.shape
    assert np.abs(ours - Y.detach().numpy()).max() < 1e-10
    grads = stgcn_backward(tape, w)
    want = _params(model, Kt, K, grad=True)
    want.update(x=X.grad.numpy(), weight=bn.weight.grad.numpy(), bias=bn.bias.grad.numpy())
    if ew.grad is None:  # K = 1: ChebConv never reads the graph
        ew.grad = torch.zeros_like(ew)
    row = {(int(s), int(d)): e for e, (s, d) in enumerate(tape.edge_index.T)}
    loops = ei[0] == ei[1]
    assert torch.all(ew.grad[loops] == 0)  # ChebConv drops self-loops, and so does the block
    want["edge_weight"] = np.zeros(len(row))
    for (s, d), gr in zip(ei.T[~loops].tolist(), ew.grad[~loops].numpy()):
        want["edge_weight"][row[(s, d)]] = gr
    assert set(grads) == set(want), sorted(set(grads) ^ set(want))
    for k in want:
        assert np.abs(grads[k] - want[k]).max() < 1e-10, (k, np.abs(grads[k] - want[k]).max())
    assert (np.abs(want["edge_weight"]).max() > 1e-3) == (K > 1)  # the weights matter when the filter reads L̃


def test_laplacian_entries_are_chebconv_scaled_laplacian():
    g = _graph(5)
    ops = symrnn.graphs.operators.GraphOperators(g)
    out, _ = symrnn.compile(laplacian_entries()).forward(ops, {"w": np.asarray(
        [g[s][d]["weight"] for s, d in zip(ops.src, ops.dst)])[:, None]})
    L = symrnn.graphs.scaled_laplacian(symrnn.graphs.as_graph(g), 2.0, "sym").toarray()
    assert np.abs(L[ops.dst, ops.src] - out["ell"][:, 0]).max() < 1e-14
    assert np.abs(np.diag(L)).max() < 1e-15  # λ_max = 2: the diagonal of L̃ is 0


def test_relabelled_graph_gives_relabelled_outputs_and_the_equivariance_proof():
    g = _graph(6)
    N = len(g)
    pi = np.random.default_rng(6).permutation(N)
    g2 = nx.Graph()
    g2.add_nodes_from(range(N))  # rows follow the new labels
    g2.add_edges_from((int(pi[u]), int(pi[v]), d) for u, v, d in g.edges(data=True))
    kernel = symrnn.compile(stgcn(2, 3), F=F, H=H, G=G)
    rng = np.random.default_rng(6)
    kernel.params = {k: rng.normal(size=v.shape) for k, v in kernel.params.items()}
    xs = rng.normal(size=(2, 5, N, F))
    moved = np.empty_like(xs)
    moved[:, :, pi] = xs
    Y = stgcn_forward(kernel, g, xs)[0]
    Y2 = stgcn_forward(kernel, g2, moved)[0]
    assert np.abs(Y2[:, :, pi] - Y).max() < 1e-12 and not np.allclose(Y2, Y)
    from symrnn.prove import permutation_equivariant

    assert permutation_equivariant(stgcn()).status == "proved"


def _with_ones(result):
    Y, tape = result
    return tape, np.ones_like(Y)


def test_bad_input_is_refused_naming_the_argument():
    g = _graph(0)
    kernel = symrnn.compile(stgcn(3, 2), F=F, H=H, G=G)
    xs = np.zeros((1, 5, len(g), F))
    with pytest.raises(InputError, match=r"X has T = 4 time steps; two temporal convolutions of kernel_size 3 need "
                                         r"T >= 5"):
        stgcn_forward(kernel, g, xs[:, :4])
    with pytest.raises(InputError, match="X has 6 nodes per step but the graph has 7"):
        stgcn_forward(kernel, g, xs[:, :, :6])
    with pytest.raises(InputError, match=r"X has shape \(5, 7, 3\); expected \(B, T, N, 3\)"):
        stgcn_forward(kernel, g, xs[0])
    with pytest.raises(InputError, match="X contains NaN"):
        stgcn_forward(kernel, g, np.full_like(xs, np.nan))
    with pytest.raises(InputError, match="needs an undirected graph, but edge"):
        stgcn_forward(kernel, nx.DiGraph(nx.path_graph(7).edges), xs)  # a directed graph: L̃ is not defined
    zero = nx.path_graph(7)
    zero[2][3]["weight"] = zero[3][4]["weight"] = 0.0  # node 3: two edges, both of weight 0
    with pytest.raises(InputError, match="graph: node 3 has edges whose weights sum to 0"):
        stgcn_forward(kernel, zero, xs)
    zero[3][4]["weight"] = 2.0  # now every node with an edge has a positive degree: the zero weights are fine
    assert np.isfinite(stgcn_backward(*_with_ones(stgcn_forward(kernel, zero, xs)))["edge_weight"]).all()
    with pytest.raises(InputError, match=r"batch_norm: unknown keys \['scale'\]"):
        stgcn_forward(kernel, g, xs, batch_norm={"scale": np.ones(7)})
    with pytest.raises(InputError, match=r"batch_norm\['running_var'\]: node 2 has a negative variance"):
        stgcn_forward(kernel, g, xs, batch_norm={"running_var": np.array([1, 1, -1, 1, 1, 1, 1.0])})
    with pytest.raises(InputError, match=r"batch_norm\['weight'\]"):
        stgcn_forward(kernel, g, xs, batch_norm={"weight": np.ones(6)})
    with pytest.raises(InputError, match="kernel must be symrnn.compile"):
        stgcn_forward(symrnn.compile(symrnn.graphs.layers.gcn(), F=3, G=2), g, xs)
    Y, tape = stgcn_forward(kernel, g, xs)
    with pytest.raises(InputError, match="dY"):
        stgcn_backward(tape, Y[:, :0])
    with pytest.raises(InputError, match="tape must be the STGCNTape"):
        stgcn_backward(None, Y)
    for bad, message in (({"kernel_size": 0}, "kernel_size must be an integer >= 1"), ({"K": 1.5}, "K must be"),
                         ({"eps": 0.0}, "eps must be > 0")):
        with pytest.raises(SpecError, match=message):
            stgcn(**bad)


def test_cli_show_and_derive(capsys, tmp_path):
    from symrnn.cli import main

    assert main(["show", "stgcn"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("stgcn (graph_recurrent, spatial-temporal): ST-Conv block") and "Yu, Yin & Zhu 2018" in out
    assert "m1 = a1*ell    [pointwise, per edge]" in out and "T1_u = scatter_dst(m1)    [linear, per node]" in out
    assert main(["show", "stgcn", "--option", "kernel_size=2", "--option", "K=1", "--latex"]) == 0
    assert capsys.readouterr().out.strip() == stgcn(2, 1).latex()
    path = tmp_path / "stgcn.tex"
    assert main(["derive", "stgcn", "--format", "tex", "-o", str(path)]) == 0
    from symrnn._latex_engine import compile_tex

    assert compile_tex(path.read_text()).startswith(b"%PDF")
