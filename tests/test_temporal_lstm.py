"""GConvLSTM (lstm_peephole on Chebyshev filters) against torch autograd over PyG ChebConv compositions
(PyG-temporal's GConvLSTM formula, written here), and finite differences through the generic engine."""

import networkx as nx
import numpy as np
import pytest
import symrnn
import torch
from finite_differences import central_gradient as _fd
from test_temporal import _cheb

from symrnn.graphs import temporal as tp

pytest.importorskip("torch_geometric")
TORCH_DEFAULT_DTYPE = torch.float64  # set for each of this module's tests by tests/conftest.py
LSTM = symrnn.cell("lstm_peephole")


def _torch_gconv_lstm(G, xs, p, h0, c0, w):
    ei = torch.tensor([(u, v) for u, v in G.edges] + [(v, u) for u, v in G.edges], dtype=torch.long).T
    H = h0.shape[1]
    conv = {g: (_cheb(p[f"W_{g}"], p[f"b_{g}"]), _cheb(p[f"U_{g}"], np.zeros(H))) for g in "ifgo"}
    peep = {g: torch.tensor(p[f"p_{g}"], requires_grad=True) for g in "ifo"}
    X, h, c = (torch.tensor(a, requires_grad=True) for a in (xs, h0, c0))
    starts, outs = (h, c), []
    for t in range(X.shape[0]):
        i = torch.sigmoid(conv["i"][0](X[t], ei) + conv["i"][1](h, ei) + peep["i"] * c)
        f = torch.sigmoid(conv["f"][0](X[t], ei) + conv["f"][1](h, ei) + peep["f"] * c)
        g = torch.tanh(conv["g"][0](X[t], ei) + conv["g"][1](h, ei))
        c = f * c + i * g
        o = torch.sigmoid(conv["o"][0](X[t], ei) + conv["o"][1](h, ei) + peep["o"] * c)
        h = o * torch.tanh(c)
        outs.append(h)
    hs = torch.stack(outs)
    ((hs * torch.tensor(w)).sum() + c.sum()).backward()
    grads = {"x": X.grad.numpy(), "h": starts[0].grad.numpy(), "c": starts[1].grad.numpy()}
    for g in "ifgo":
        grads[f"W_{g}"] = np.stack([lin.weight.grad.numpy().T for lin in conv[g][0].lins])
        grads[f"U_{g}"] = np.stack([lin.weight.grad.numpy().T for lin in conv[g][1].lins])
        grads[f"b_{g}"] = conv[g][0].bias.grad.numpy()
    grads.update({f"p_{g}": v.grad.numpy() for g, v in peep.items()})
    return hs.detach().numpy(), grads


@pytest.mark.parametrize("K", [1, 3])
def test_gconv_lstm_matches_pyg_chebconv(K):
    rng = np.random.default_rng(K)
    G = nx.cycle_graph(6)
    G.add_edges_from([(0, 3), (1, 4)])
    xs, h0, c0 = rng.normal(size=(4, 6, 2)), rng.normal(size=(6, 3)), rng.normal(size=(6, 3))
    p = {k: 1.5 * v for k, v in tp.graph_cell_params(LSTM, 2, 3, K, rng=K).items()}
    w = rng.normal(size=(4, 6, 3))
    hs, tape = tp.gconv_lstm_forward(G, xs, p, initial={"h": h0, "c": c0})
    want, wg = _torch_gconv_lstm(G, xs, p, h0, c0, w)
    np.testing.assert_allclose(hs, want, rtol=0, atol=1e-10)
    got = tp.graph_recurrent_backward(tape, w, d_final={"c": np.ones((6, 3))})
    assert set(got) == set(wg)
    for k in wg:
        np.testing.assert_allclose(got[k], wg[k], rtol=0, atol=1e-10, err_msg=k)


def test_gconv_lstm_finite_differences():
    rng = np.random.default_rng(4)
    f = tp.diffusion_filter(nx.DiGraph([(0, 1), (1, 2), (2, 0)]), 2)
    xs, h0, c0 = rng.normal(size=(3, 3, 2)), rng.normal(size=(3, 2)), rng.normal(size=(3, 2))
    p = tp.graph_cell_params(LSTM, 2, 2, f.size, rng=2)
    w = rng.normal(size=(3, 3, 2))

    def loss():
        hs, tape = tp.graph_recurrent_forward(LSTM, f, xs, p, initial={"h": h0, "c": c0})
        return float((hs * w).sum() + tape.steps[-1]["c"].sum())

    _, tape = tp.graph_recurrent_forward(LSTM, f, xs, p, initial={"h": h0, "c": c0})
    got = tp.graph_recurrent_backward(tape, w, d_final={"c": np.ones((3, 2))})
    for name, arr in dict(p, x=xs, h=h0, c=c0).items():
        np.testing.assert_allclose(got[name], _fd(loss, arr), atol=1e-7, err_msg=name)
