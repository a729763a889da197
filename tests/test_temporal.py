"""GConvGRU against torch autograd over PyG ChebConv compositions (PyG-temporal's formula written here),
DCGRU against a dense torch reference of Li et al.'s eq. 2, finite differences for both, and the
degenerate cases against the generated symrnn GRU kernel."""

import networkx as nx
import numpy as np
import pytest
import torch
from finite_differences import central_gradient as _fd

import symrnn
from symrnn.errors import InputError
from symrnn.graphs import temporal as tp

pytest.importorskip("torch_geometric")
from torch_geometric.nn import ChebConv  # noqa: E402

TORCH_DEFAULT_DTYPE = torch.float64  # set for each of this module's tests by tests/conftest.py


def _params(F, H, M, seed):
    p = tp.graph_gru_params(F, H, M, rng=seed)
    return {k: v * 1.5 for k, v in p.items()}


def _cheb(Theta, b):
    c = ChebConv(Theta.shape[1], Theta.shape[2], K=Theta.shape[0], normalization="sym")
    with torch.no_grad():
        for k, lin in enumerate(c.lins):
            lin.weight.copy_(torch.tensor(Theta[k].T))
        c.bias.copy_(torch.tensor(b))
    return c


def _gconv_gru_torch(G, xs, p, h0):
    """PyG-temporal GConvGRU: six ChebConvs, each with its own bias (x-bias + h-bias = b_g)."""
    ei = torch.tensor([(u, v) for u, v in G.edges] + [(v, u) for u, v in G.edges], dtype=torch.long).T
    ew = torch.tensor([G[u][v].get("weight", 1.0) for u, v in G.edges] * 2)
    H = p["b_r"].shape[0]
    conv = {g: (_cheb(p[f"W_{g}"], p[f"b_{g}"] - 0.25), _cheb(p[f"U_{g}"], np.full(H, 0.25))) for g in "rzn"}
    X = torch.tensor(xs, requires_grad=True)
    h = torch.tensor(h0, requires_grad=True)
    h_start, outs = h, []
    for t in range(X.shape[0]):
        z = torch.sigmoid(conv["z"][0](X[t], ei, ew) + conv["z"][1](h, ei, ew))
        r = torch.sigmoid(conv["r"][0](X[t], ei, ew) + conv["r"][1](h, ei, ew))
        n = torch.tanh(conv["n"][0](X[t], ei, ew) + conv["n"][1](h * r, ei, ew))
        h = z * h + (1 - z) * n
        outs.append(h)
    hs = torch.stack(outs)
    w = torch.tensor(np.random.default_rng(5).normal(size=hs.shape))
    (hs * w).sum().backward()
    grads = {"x": X.grad.numpy(), "h": h_start.grad.numpy()}
    for g in "rzn":
        cx, ch = conv[g]
        grads[f"W_{g}"] = np.stack([lin.weight.grad.numpy().T for lin in cx.lins])
        grads[f"U_{g}"] = np.stack([lin.weight.grad.numpy().T for lin in ch.lins])
        grads[f"b_{g}"] = cx.bias.grad.numpy()
    return hs.detach().numpy(), w.numpy(), grads


def _connected(seed, n=6, weighted=False):
    G = nx.gnp_random_graph(n, 0.4, seed=seed)
    G.add_edges_from((i, i + 1) for i in range(n - 1))
    if weighted:  # ChebConv's edge_weight; the sym Laplacian uses the weighted degrees
        rng = np.random.default_rng(seed + 100)
        for u, v in G.edges:
            G[u][v]["weight"] = rng.uniform(0.3, 2.0)
    return G


@pytest.mark.parametrize("K", [1, 2, 3])
@pytest.mark.parametrize("seed", [0, 1])
def test_gconv_gru_matches_pyg_chebconv(K, seed):
    G = _connected(seed, weighted=seed == 1)
    rng = np.random.default_rng(seed)
    xs, h0 = rng.normal(size=(4, 6, 3)), rng.normal(size=(6, 2))
    p = _params(3, 2, K, seed)
    hs, tape = tp.gconv_gru_forward(G, xs, p, initial=h0)
    want, w, wg = _gconv_gru_torch(G, xs, p, h0)
    np.testing.assert_allclose(hs, want, rtol=0, atol=1e-10)
    got = tp.graph_recurrent_backward(tape, w)
    assert set(got) == set(wg)
    for k in wg:
        np.testing.assert_allclose(got[k], wg[k], rtol=0, atol=1e-10, err_msg=k)


def _dense_dcgru_torch(G, xs, p, h0, K):
    """Li et al. 2018 eq. 2 written densely: Σ_k (D_O^{-1}W)^k X Θ_{k,1} + (D_I^{-1}Wᵀ)^k X Θ_{k,2}."""
    W = torch.tensor(nx.to_numpy_array(G, nodelist=range(len(G)), weight="weight"))  # W[i, j]: i -> j
    dO, dI = W.sum(1), W.sum(0)
    PO = torch.where(dO > 0, 1 / dO, torch.zeros_like(dO))[:, None] * W
    PI = torch.where(dI > 0, 1 / dI, torch.zeros_like(dI))[:, None] * W.T
    powers = [torch.linalg.matrix_power(PO, k) for k in range(K)] + [torch.linalg.matrix_power(PI, k) for k in range(K)]
    P = {k: torch.tensor(v, requires_grad=True) for k, v in p.items()}
    X = torch.tensor(xs, requires_grad=True)
    h = torch.tensor(h0, requires_grad=True)

    def conv(V, Th):
        return sum(S @ V @ Th[m] for m, S in enumerate(powers))

    h_start, outs = h, []
    for t in range(X.shape[0]):
        r = torch.sigmoid(conv(X[t], P["W_r"]) + conv(h, P["U_r"]) + P["b_r"])
        z = torch.sigmoid(conv(X[t], P["W_z"]) + conv(h, P["U_z"]) + P["b_z"])
        n = torch.tanh(conv(X[t], P["W_n"]) + conv(r * h, P["U_n"]) + P["b_n"])
        h = z * h + (1 - z) * n
        outs.append(h)
    hs = torch.stack(outs)
    w = torch.tensor(np.random.default_rng(6).normal(size=hs.shape))
    (hs * w).sum().backward()
    grads = {k: v.grad.numpy() for k, v in P.items()}
    grads.update(x=X.grad.numpy(), h=h_start.grad.numpy())
    return hs.detach().numpy(), w.numpy(), grads


@pytest.mark.parametrize("K", [1, 2, 3])
def test_dcgru_matches_dense_paper_formula(K):
    rng = np.random.default_rng(K)
    G = nx.gnp_random_graph(6, 0.35, seed=K, directed=True)
    for u, v in G.edges:
        G[u][v]["weight"] = rng.uniform(0.2, 2.0)
    G.add_node(6)  # isolated: zero rows of P_O and P_I
    xs, h0 = rng.normal(size=(3, 7, 2)), rng.normal(size=(7, 3))
    p = _params(2, 3, 2 * K, K)
    hs, tape = tp.dcgru_forward(G, xs, p, initial=h0)
    want, w, wg = _dense_dcgru_torch(G, xs, p, h0, K)
    np.testing.assert_allclose(hs, want, rtol=0, atol=1e-10)
    got = tp.graph_recurrent_backward(tape, w)
    for k in wg:
        np.testing.assert_allclose(got[k], wg[k], rtol=0, atol=1e-10, err_msg=k)


@pytest.mark.parametrize("kind", ["cheb", "diffusion"])
def test_finite_differences(kind):
    rng = np.random.default_rng(11)
    G = nx.DiGraph([(0, 1), (1, 2), (2, 0), (2, 3)]) if kind == "diffusion" else nx.path_graph(4)
    f = tp.diffusion_filter(G, 2) if kind == "diffusion" else tp.cheb_filter(G, 3)
    xs, h0 = rng.normal(size=(3, 4, 2)), rng.normal(size=(4, 2))
    p = _params(2, 2, f.size, 3)
    w, wf = rng.normal(size=(3, 4, 2)), rng.normal(size=(4, 2))

    def loss():
        hs, _ = tp.graph_gru_forward(f, xs, p, initial=h0)
        return float((hs * w).sum() + (hs[-1] * wf).sum())

    hs, tape = tp.graph_gru_forward(f, xs, p, initial=h0)
    got = tp.graph_recurrent_backward(tape, w, d_final=wf)
    arrays = dict(p, x=xs, h=h0)
    for name, arr in arrays.items():
        fd = _fd(loss, arr)
        np.testing.assert_allclose(got[name], fd, atol=1e-7, err_msg=name)


def _kernel_run(xs, p, h0, W):
    """The generated symrnn reset-before GRU with W_g = (Σ_m c_m W_g[m])ᵀ, nodes as the batch."""
    k = symrnn.compile(symrnn.cell("gru_reset_before"), input_size=xs.shape[2], hidden_size=h0.shape[1])
    for g in "rzn":
        k.params[f"W_{g}"][...] = W(p[f"W_{g}"]).T
        k.params[f"U_{g}"][...] = W(p[f"U_{g}"]).T
        k.params[f"b_{g}"][...] = p[f"b_{g}"]
    out, _, _ = k.forward(xs, initial={"h": h0})
    return out


def test_one_term_and_edgeless_equal_per_node_gru_kernel():
    rng = np.random.default_rng(2)
    xs, h0 = rng.normal(size=(5, 6, 3)), rng.normal(size=(6, 4))
    p1 = _params(3, 4, 1, 0)
    hs, _ = tp.gconv_gru_forward(_connected(3), xs, p1, initial=h0)
    np.testing.assert_allclose(hs, _kernel_run(xs, p1, h0, lambda T: T[0]), rtol=0, atol=1e-12)
    p4 = _params(3, 4, 4, 1)
    G = nx.empty_graph(6)
    hs, _ = tp.gconv_gru_forward(G, xs, p4, initial=h0)  # L̃ = 0: T_k(0) = 1, 0, −1, 0
    np.testing.assert_allclose(hs, _kernel_run(xs, p4, h0, lambda T: T[0] - T[2]), rtol=0, atol=1e-12)


def test_one_step_diffusion_conv_is_per_node_linear():
    rng = np.random.default_rng(0)
    G = nx.gnp_random_graph(5, 0.5, seed=1, directed=True)
    X, Th = rng.normal(size=(5, 3)), rng.normal(size=(2, 1, 3, 2))
    np.testing.assert_allclose(tp.diffusion_conv(G, X, Th), X @ (Th[0, 0] + Th[1, 0]), rtol=0, atol=1e-12)
    Th2 = rng.normal(size=(2, 2, 3, 2))  # two steps mixes neighbours
    assert np.abs(tp.diffusion_conv(G, X, Th2) - X @ (Th2[0, 0] + Th2[1, 0])).max() > 1e-3


def test_bad_input():
    G = nx.path_graph(3)
    p = tp.graph_gru_params(2, 2, 2)
    with pytest.raises(InputError, match="xs has 4 nodes per step .* graph has 3 nodes"):
        tp.gconv_gru_forward(G, np.ones((2, 4, 2)), p)
    with pytest.raises(InputError, match="W_r has shape"):
        tp.gconv_gru_forward(G, np.ones((2, 3, 5)), p)
    with pytest.raises(InputError, match="initial state 'h' has shape"):
        tp.gconv_gru_forward(G, np.ones((2, 3, 2)), p, initial=np.ones((2, 2)))
    with pytest.raises(InputError, match="needs an undirected graph"):
        tp.gconv_gru_forward(nx.DiGraph([(0, 1), (1, 2)]), np.ones((2, 3, 2)), p)
    with pytest.raises(InputError, match="2K"):
        tp.dcgru_forward(G, np.ones((2, 3, 2)), tp.graph_gru_params(2, 2, 3))
