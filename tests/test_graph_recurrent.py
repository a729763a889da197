"""GConvGRU, GConvLSTM and DCRNN as descriptions (symrnn.graphs.recurrent), run over time by the generated step kernel.

Oracles: torch autograd of dense implementations of the papers' equations written here (Chebyshev T_k(L̃) and the
random-walk powers (D_O⁻¹W)^k, (D_I⁻¹Wᵀ)^k as dense matrices), PyTorch Geometric Temporal 0.56.2 (GConvGRU and
GConvLSTM for K = 1..3 and every Laplacian normalisation; DCRNN at K = 1, where its DConv is eq. 2), finite
differences, and relabelled graphs for permutation equivariance.  Every gradient is checked: parameters, the input
sequence and the initial states.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
import torch
from finite_differences import central_gradient
import pyg_temporal

import symrnn
from symrnn.errors import InputError, SpecError
from symrnn.graphs import from_edges
from symrnn.graphs.operators import GraphOperators
from symrnn.graphs.recurrent import backward, dcrnn, gconv_gru, gconv_lstm, graph_recurrent, run

TORCH_DEFAULT_DTYPE = torch.float64  # set for each of this module's tests by tests/conftest.py
MODELS = {"gconv_gru": gconv_gru, "gconv_lstm": gconv_lstm, "dcrnn": dcrnn}


# ----------------------------------------------------------------------------- graphs and dense supports
def _graph(seed, *, directed, n=7, weighted=True):
    """A random graph on 0..n-1 whose last node is isolated (zero rows of every normalised operator)."""
    rng = np.random.default_rng(seed)
    G = nx.DiGraph() if directed else nx.Graph()
    G.add_nodes_from(range(n))
    for u in range(n - 1):
        for v in range(n - 1):
            if u != v and rng.random() < 0.4 and not G.has_edge(u, v):
                G.add_edge(u, v, weight=float(rng.uniform(0.2, 2.0)) if weighted else 1.0)
    return G


def _dense(G):
    return nx.to_numpy_array(G, nodelist=range(len(G)), weight="weight")  # W[i, j]: the weight of i -> j


def _chebyshev(G, K, lambda_max=2.0):
    """T_0(L̃) … T_{K−1}(L̃), L̃ = (2/λ) (I − D^{-1/2} W D^{-1/2}) − I (ChebConv drops self-loops; D^{-1/2} of 0 is 0)."""
    W = _dense(G)
    np.fill_diagonal(W, 0.0)
    d = W.sum(1)
    s = np.divide(1.0, np.sqrt(d), out=np.zeros_like(d), where=d > 0)
    eye = np.eye(len(W))
    Lt = (2.0 / lambda_max) * (eye - s[:, None] * W * s[None, :]) - eye
    T = [eye, Lt]
    while len(T) < K:
        T.append(2 * Lt @ T[-1] - T[-2])
    return [torch.tensor(t) for t in T[:K]], [str(k) for k in range(K)]


def _diffusion(G, K):
    """Li et al. eq. 2: (D_O⁻¹W)^k then (D_I⁻¹Wᵀ)^k, k < K; a zero degree gives a zero row."""
    W = _dense(G)

    def walk(M):
        d = M.sum(1)
        return np.divide(1.0, d, out=np.zeros_like(d), where=d > 0)[:, None] * M

    PO, PI = walk(W), walk(W.T)
    powers = [np.linalg.matrix_power(PO, k) for k in range(K)] + [np.linalg.matrix_power(PI, k) for k in range(K)]
    return [torch.tensor(p) for p in powers], [f"out{k}" for k in range(K)] + [f"in{k}" for k in range(K)]


# ----------------------------------------------------------------------------- dense torch models (the papers)
def _gru(conv, P, X, state):
    h, outs = state["h"], []
    for x in X:
        r = torch.sigmoid(conv(x, "W_r") + conv(h, "U_r") + P["b_r"])
        z = torch.sigmoid(conv(x, "W_z") + conv(h, "U_z") + P["b_z"])
        n = torch.tanh(conv(x, "W_n") + conv(r * h, "U_n") + P["b_n"])
        h = z * h + (1 - z) * n
        outs.append(h)
    return torch.stack(outs), {"h": h}


def _lstm(conv, P, X, state):
    """Seo et al.'s Model 2: peepholes on c_{t−1} in i and f, on c_t in o."""
    h, c, outs = state["h"], state["c"], []
    for x in X:
        i = torch.sigmoid(conv(x, "W_i") + conv(h, "U_i") + P["p_i"] * c + P["b_i"])
        f = torch.sigmoid(conv(x, "W_f") + conv(h, "U_f") + P["p_f"] * c + P["b_f"])
        c = f * c + i * torch.tanh(conv(x, "W_g") + conv(h, "U_g") + P["b_g"])
        o = torch.sigmoid(conv(x, "W_o") + conv(h, "U_o") + P["p_o"] * c + P["b_o"])
        h = o * torch.tanh(c)
        outs.append(h)
    return torch.stack(outs), {"h": h, "c": c}


def _torch(model, supports, params, xs, init, w, wf):
    """Outputs, final states and autograd gradients of Σ w ⊙ outputs + Σ_s wf_s ⊙ final_s."""
    S, suffixes = supports
    P = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
    X = torch.tensor(xs, requires_grad=True)
    start = {s: torch.tensor(v, requires_grad=True) for s, v in init.items()}

    def conv(V, M):  # Σ_m S_m V M_mᵀ, the parameter of support m named M_<suffix>
        return sum(Sm @ V @ P[f"{M}_{sfx}"].T for Sm, sfx in zip(S, suffixes))

    outs, final = (_lstm if "c" in init else _gru)(conv, P, X, start)
    loss = (outs * torch.tensor(w)).sum() + sum((final[s] * torch.tensor(wf[s])).sum() for s in wf)
    loss.backward()
    grads = {k: v.grad.numpy() for k, v in P.items()}
    grads.update(x=X.grad.numpy(), **{s: v.grad.numpy() for s, v in start.items()})
    return outs.detach().numpy(), {s: v.detach().numpy() for s, v in final.items()}, grads


# ----------------------------------------------------------------------------- symrnn
def _setup(name, K, N, seed, T=4, F=3, H=4, **graph):
    rng = np.random.default_rng(seed)
    kernel = symrnn.compile(MODELS[name](K, **graph), F=F, H=H)
    kernel.params = {n: 0.6 * rng.normal(size=v.shape) for n, v in kernel.params.items()}
    states = kernel.cell.state_names
    xs = rng.normal(size=(T, N, F))
    init = {s: rng.normal(size=(N, H)) for s in states}
    w = rng.normal(size=(T, N, H))
    wf = {s: rng.normal(size=(N, H)) for s in states}
    return kernel, xs, init, w, wf


def _ours(kernel, G, xs, init, w, wf):
    hs, final, tape = run(kernel, G, xs, init)
    return hs, final, backward(tape, w, wf)


def _agree(got, want, what):
    assert set(got) == set(want), (what, sorted(set(got) ^ set(want)))
    for k in want:
        assert np.abs(got[k] - want[k]).max() < 1e-10, (what, k, np.abs(got[k] - want[k]).max())


@pytest.mark.parametrize("name", ["gconv_gru", "gconv_lstm", "dcrnn"])
@pytest.mark.parametrize("K", [1, 2, 3])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_outputs_and_all_gradients_equal_torch_autograd_of_the_papers_equations(name, K, seed):
    directed = name == "dcrnn" and seed != 2  # DCRNN on directed graphs, and once on an undirected one
    G = _graph(seed, directed=directed, weighted=seed != 1)
    kernel, xs, init, w, wf = _setup(name, K, len(G), seed)
    hs, final, grads = _ours(kernel, G, xs, init, w, wf)
    supports = _diffusion(G, K) if name == "dcrnn" else _chebyshev(G, K)
    want_hs, want_final, want_grads = _torch(MODELS[name], supports, kernel.params, xs, init, w, wf)
    assert np.abs(hs - want_hs).max() < 1e-10
    _agree(final, want_final, "final")
    _agree(grads, want_grads, "grads")


# ----------------------------------------------------------------------------- PyTorch Geometric Temporal
def _pyg_temporal(module):
    """A module of PyG-Temporal 0.56.2's nn/recurrent, loaded from its file (tests/pyg_temporal.py)."""
    return pyg_temporal.load(f"nn/recurrent/{module}")


def _edge_index(G):
    pairs = [(u, v, d["weight"]) for u, v, d in G.edges(data=True)]
    pairs += [] if G.is_directed() else [(v, u, w) for u, v, w in pairs]
    return torch.tensor([[u for u, _, _ in pairs], [v for _, v, _ in pairs]]), torch.tensor([w for *_, w in pairs])


def _load_cheb_gates(model, P, gates, K, rng):
    """Our W_g_k / U_g_k into conv_x_* / conv_h_* (Linear (out, in), as ours); each bias split across their ChebConvs."""
    for theirs, ours in gates.items():
        cx, ch = getattr(model, f"conv_x_{theirs}"), getattr(model, f"conv_h_{theirs}")
        for k in range(K):
            cx.lins[k].weight.copy_(torch.tensor(P[f"W_{ours}_{k}"]))
            ch.lins[k].weight.copy_(torch.tensor(P[f"U_{ours}_{k}"]))
        split = rng.normal(size=(2, P[f"b_{ours}"].shape[0]))
        extra = getattr(model, f"b_{theirs}", None)  # GConvLSTM's own bias: three terms sum to ours
        cx.bias.copy_(torch.tensor(P[f"b_{ours}"] - split.sum(0) if extra is not None else P[f"b_{ours}"] - split[0]))
        ch.bias.copy_(torch.tensor(split[0]))
        if extra is not None:
            extra.copy_(torch.tensor(split[1])[None])
        peep = getattr(model, f"w_c_{theirs}", None)
        if peep is not None:
            peep.copy_(torch.tensor(P[f"p_{ours}"])[None])


def _cheb_grads(model, gates, K):
    out = {}
    for theirs, ours in gates.items():
        cx, ch = getattr(model, f"conv_x_{theirs}"), getattr(model, f"conv_h_{theirs}")
        for k in range(K):
            out[f"W_{ours}_{k}"] = cx.lins[k].weight.grad.numpy()
            out[f"U_{ours}_{k}"] = ch.lins[k].weight.grad.numpy()
        out[f"b_{ours}"] = cx.bias.grad.numpy()
        if getattr(model, f"w_c_{theirs}", None) is not None:
            out[f"p_{ours}"] = getattr(model, f"w_c_{theirs}").grad.numpy().ravel()
    return out


@pytest.mark.parametrize("name", ["gconv_gru", "gconv_lstm"])
@pytest.mark.parametrize("K", [1, 2, 3])
@pytest.mark.parametrize("normalization, lambda_max", [("sym", 2.0), ("rw", 1.6), (None, 5.0)])
def test_gconv_gru_and_lstm_equal_pyg_temporal(name, K, normalization, lambda_max):
    """For "rw" symrnn's L̃ is built from I − D⁻¹A and PyG's ChebConv applies its transpose (tests/test_graph_pyg.py):
    they agree on a regular graph, where D⁻¹A is symmetric."""
    G = _graph(K + 10, directed=False)
    if normalization == "rw":
        G = nx.circulant_graph(7, [1, 3])
        nx.set_edge_attributes(G, 1.5, "weight")
    kernel, xs, init, w, wf = _setup(name, K, len(G), K, lambda_max=lambda_max, normalization=normalization)
    hs, final, grads = _ours(kernel, G, xs, init, w, wf)
    lstm = name == "gconv_lstm"
    cls = _pyg_temporal(name).GConvLSTM if lstm else _pyg_temporal(name).GConvGRU
    gates = {"i": "i", "f": "f", "c": "g", "o": "o"} if lstm else {"z": "z", "r": "r", "h": "n"}
    model = cls(3, 4, K, normalization=normalization)
    with torch.no_grad():
        _load_cheb_gates(model, kernel.params, gates, K, np.random.default_rng(K))
    ei, ew = _edge_index(G)
    X = torch.tensor(xs, requires_grad=True)
    start = {s: torch.tensor(v, requires_grad=True) for s, v in init.items()}
    h, c, outs = start["h"], start.get("c"), []
    for t in range(len(xs)):
        if lstm:
            h, c = model(X[t], ei, ew, h, c, lambda_max=torch.tensor(lambda_max))
        else:
            h = model(X[t], ei, ew, h, lambda_max=torch.tensor(lambda_max))
        outs.append(h)
    theirs = {"h": h, "c": c} if lstm else {"h": h}
    loss = (torch.stack(outs) * torch.tensor(w)).sum() + sum((theirs[s] * torch.tensor(wf[s])).sum() for s in wf)
    loss.backward()
    assert np.abs(hs - torch.stack(outs).detach().numpy()).max() < 1e-10
    _agree(final, {s: v.detach().numpy() for s, v in theirs.items()}, "final")
    want = _cheb_grads(model, gates, K)
    want.update(x=X.grad.numpy(), **{s: v.grad.numpy() for s, v in start.items()})
    _agree(grads, want, "grads")


def _pyg_dcrnn(kernel, K):
    """PyG-Temporal's DCRNN holding our parameters: DConv.weight[d][k] is [W_g_<d>k ; U_g_<d>k]ᵀ on [x, h]."""
    model = _pyg_temporal("dcrnn").DCRNN(3, 4, K)
    P = kernel.params
    with torch.no_grad():
        for theirs, ours in {"z": "z", "r": "r", "h": "n"}.items():
            conv = getattr(model, f"conv_x_{theirs}")
            for d, tag in enumerate(("out", "in")):
                for k in range(K):
                    conv.weight[d, k].copy_(torch.tensor(np.concatenate([P[f"W_{ours}_{tag}{k}"],
                                                                         P[f"U_{ours}_{tag}{k}"]], axis=1).T))
            conv.bias.copy_(torch.tensor(P[f"b_{ours}"]))
    return model


def _pyg_dcrnn_run(model, ei, ew, xs, h0):
    X, h = torch.tensor(xs, requires_grad=True), torch.tensor(h0, requires_grad=True)
    start, outs = h, []
    for t in range(len(xs)):
        h = model(X[t], ei, ew, h)
        outs.append(h)
    return torch.stack(outs), X, start


def test_dcrnn_with_one_term_equals_pyg_temporal_dcrnn_and_dconv_is_not_eq_2_for_two():
    G = _graph(4, directed=True)
    ei, ew = _edge_index(G)
    kernel, xs, init, w, wf = _setup("dcrnn", 1, len(G), 4)
    hs, _, grads = _ours(kernel, G, xs, init, w, {})
    model = _pyg_dcrnn(kernel, 1)
    outs, X, h0 = _pyg_dcrnn_run(model, ei, ew, xs, init["h"])
    (outs * torch.tensor(w)).sum().backward()
    assert np.abs(hs - outs.detach().numpy()).max() < 1e-10
    want = {"x": X.grad.numpy(), "h": h0.grad.numpy()}
    for theirs, ours in {"z": "z", "r": "r", "h": "n"}.items():
        conv = getattr(model, f"conv_x_{theirs}")
        for d, tag in enumerate(("out", "in")):
            want[f"W_{ours}_{tag}0"] = conv.weight.grad[d, 0, :3].numpy().T
            want[f"U_{ours}_{tag}0"] = conv.weight.grad[d, 0, 3:].numpy().T
        want[f"b_{ours}"] = conv.bias.grad.numpy()
    _agree(grads, want, "grads")
    # K = 2 (the facts in symrnn.graphs.recurrent): DConv gives NaN when a node has out-edges but no in-edges, is not
    # eq. 2 and depends on the order of edge_index; ours equals eq. 2 (test above) and reads a graph, not an edge order
    kernel, xs, init, *_ = _setup("dcrnn", 2, len(G), 5)
    model = _pyg_dcrnn(kernel, 2)
    source = nx.DiGraph()
    source.add_weighted_edges_from([(0, 1, 1.0), (1, 2, 1.0), (2, 0, 1.0), (3, 0, 1.0)])  # node 3: no in-edge
    with torch.no_grad():
        assert np.isnan(_pyg_dcrnn_run(model, *_edge_index(source), xs[:, :4], init["h"][:4])[0].numpy()).any()
    assert np.isfinite(run(kernel, source, xs[:, :4], {"h": init["h"][:4]})[0]).all()
    G = _graph(4, directed=True, n=len(G))
    nx.add_cycle(G, range(len(G)), weight=0.8)  # every node has in- and out-edges
    ei, ew = _edge_index(G)
    hs = run(kernel, G, xs, init)[0]
    order = torch.randperm(ei.shape[1], generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        theirs = _pyg_dcrnn_run(model, ei, ew, xs, init["h"])[0].numpy()
        shuffled = _pyg_dcrnn_run(model, ei[:, order], ew[order], xs, init["h"])[0].numpy()
    assert np.abs(hs - theirs).max() > 1e-2
    assert np.abs(theirs - shuffled).max() > 1e-6
    same = from_edges(ei[0, order].numpy(), ei[1, order].numpy(), len(G), ew[order].numpy())
    assert np.abs(run(kernel, same, xs, init)[0] - hs).max() < 1e-13


# ----------------------------------------------------------------------------- finite differences, equivariance
@pytest.mark.parametrize("name", ["gconv_gru", "gconv_lstm", "dcrnn"])
def test_finite_differences(name):
    G = _graph(3, directed=name == "dcrnn", n=4)
    kernel, xs, init, w, wf = _setup(name, 2, 4, 7, T=3, F=2, H=2)
    P = {k: v.copy() for k, v in kernel.params.items()}

    def loss():
        kernel.params = P
        hs, final, _ = run(kernel, G, xs, init)
        return float((hs * w).sum() + sum((final[s] * wf[s]).sum() for s in wf))

    loss()
    grads = _ours(kernel, G, xs, init, w, wf)[2]
    for arrays in (P, {"x": xs}, init):
        for k, arr in arrays.items():
            assert np.abs(central_gradient(loss, arr) - grads[k]).max() < 1e-7, k


@pytest.mark.parametrize("name", ["gconv_gru", "gconv_lstm", "dcrnn"])
def test_relabelled_graph_and_features_give_relabelled_outputs_and_gradients(name):
    G = _graph(6, directed=name == "dcrnn")
    N = len(G)
    pi = np.random.default_rng(6).permutation(N)
    G2 = G.__class__()
    G2.add_nodes_from(range(N))
    G2.add_edges_from((int(pi[u]), int(pi[v]), d) for u, v, d in G.edges(data=True))
    kernel, xs, init, w, wf = _setup(name, 3, N, 6)

    def moved(a):  # row i of a becomes row π(i)
        out = np.empty_like(a)
        out[..., pi, :] = a
        return out

    hs, final, grads = _ours(kernel, G, xs, init, w, wf)
    hs2, final2, grads2 = _ours(kernel, G2, moved(xs), {s: moved(v) for s, v in init.items()}, moved(w),
                                {s: moved(v) for s, v in wf.items()})
    assert np.abs(hs2 - moved(hs)).max() < 1e-12
    assert not np.allclose(hs2, hs)  # the relabelling moved something
    for s in final:
        assert np.abs(final2[s] - moved(final[s])).max() < 1e-12
    for k in grads:
        want = moved(grads[k]) if k in ("x", *final) else grads[k]
        assert np.abs(grads2[k] - want).max() < 1e-11, k


# ----------------------------------------------------------------------------- the walk operators, LaTeX, bad input
def test_walk_operators_are_the_random_walk_matrices_and_their_transposes():
    G = _graph(8, directed=True)
    G.add_edge(0, 0, weight=0.7)  # a self-loop is an edge of W (the paper's W is any weighted adjacency)
    W = _dense(G)
    ops = GraphOperators(G)
    V, U = np.random.default_rng(8).normal(size=(2, len(G), 3))
    dO, dI = W.sum(1), W.sum(0)
    PO = np.divide(W, dO[:, None], out=np.zeros_like(W), where=dO[:, None] > 0)
    PI = np.divide(W.T, dI[:, None], out=np.zeros_like(W), where=dI[:, None] > 0)
    for name, M in (("walk_out", PO), ("walk_in", PI)):
        assert np.abs(ops.apply(name, V) - M @ V).max() < 1e-14
        assert np.abs(ops.apply(name + "_T", U) - M.T @ U).max() < 1e-14
    assert np.all(ops.apply("walk_out", V)[-1] == 0) and np.all(ops.apply("walk_in", V)[-1] == 0)  # isolated node


def test_dcrnn_and_gconv_lstm_latex_compiles():
    from symrnn._latex_engine import compile_tex
    from symrnn.spec.latex import document

    body = "\n".join(rf"\[{d.latex()}\]" for d in (dcrnn(2), gconv_lstm(2), gconv_gru(3)))
    assert compile_tex(document("graph-recurrent models", body)).startswith(b"%PDF")


def test_bad_input_is_refused_naming_the_argument():
    G = _graph(0, directed=False)
    kernel, xs, init, w, _ = _setup("gconv_gru", 2, len(G), 0)
    with pytest.raises(InputError, match=r"xs has shape \(4, 6, 3\) but the graph has 7 nodes"):
        run(kernel, G, xs[:, :6], init)
    with pytest.raises(InputError, match="xs contains NaN"):
        run(kernel, G, np.where(xs > 1, np.nan, xs), init)
    with pytest.raises(InputError, match="kernel must be the LayerKernel"):
        run("gconv_gru", G, xs)
    b = symrnn.GraphBuilder("two_inputs")
    F, H = b.sizes("F H")
    u, v = b.node_input("u", F), b.node_input("v", F)
    b.output("y", b.param("A", H, F) @ b.propagate("adjacency", u) + b.param("B", H, F) @ v)
    with pytest.raises(InputError, match="is not graph-recurrent"):
        run(symrnn.compile(b.build(), F=3, H=4), G, xs)
    with pytest.raises(InputError, match=r"initial: unexpected states \['c'\]"):
        run(kernel, G, xs, {"c": init["h"]})
    with pytest.raises(InputError, match=r"initial\['h'\]"):
        run(kernel, G, xs, {"h": init["h"][:3]})
    with pytest.raises(InputError, match="fixes the graph options lambda_max=2.0"):
        run(kernel, G, xs, init, lambda_max=1.5)
    with pytest.raises(InputError, match="needs an undirected graph, but edge 0 -> 1"):
        run(kernel, nx.DiGraph([(0, 1), (1, 2)]), xs[:, :3])
    hs, _, tape = run(kernel, G, xs, init)
    with pytest.raises(InputError, match="d_outputs"):
        backward(tape, w[:2])
    kernel.params = dict(kernel.params)
    with pytest.raises(InputError, match="params were replaced after run"):
        backward(tape, w)
    with pytest.raises(SpecError, match="2 inputs"):
        b = symrnn.CellBuilder("two")
        D, H = b.sizes("D H")
        x, y, h = b.input("x", D), b.input("y", D), b.state("h", H)
        b.update("h", symrnn.tanh(b.param("W", H, D) @ x + b.param("V", H, D) @ y))
        graph_recurrent(b.build(), "cheb", 2)
    with pytest.raises(SpecError, match="filter must be one of"):
        graph_recurrent(symrnn.cell("rnn"), "fourier", 2)
    with pytest.raises(SpecError, match="dcrnn: K"):
        dcrnn(0)
