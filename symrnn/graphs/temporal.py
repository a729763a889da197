"""Spatial-temporal graph GRUs: GConvGRU (Seo et al.) and DCRNN's DCGRU (Li et al.), forward and backward.

Both are the reset-before GRU of ``symrnn.cell("gru_reset_before")`` with every
matrix product replaced by a graph filter F(X; Θ) = Σ_m S_m X Θ_m on a fixed graph::

    r = σ(F(X_t; W_r) + F(H; U_r) + b_r)          z = σ(F(X_t; W_z) + F(H; U_z) + b_z)
    n = tanh(F(X_t; W_n) + F(r ⊙ H; U_n) + b_n)    H_t = z ⊙ H + (1 − z) ⊙ n

* GConvGRU (Seo et al. 2018, "model 2"; PyG-temporal ``GConvGRU``): S_k = T_k(L̃),
  k < K, the Chebyshev terms of :func:`~symrnn.graphs.cheb_forward` (PyG ``ChebConv``).
  PyG-temporal gives each of the six ChebConvs its own bias; only their sum per gate
  matters, so there is one bias per gate here.
* DCGRU (Li et al. 2018, eq. 2): S = (I, P_O, …, P_O^{K-1}, I, P_I, …, P_I^{K-1}) with
  P_O = D_O^{-1} W and P_I = D_I^{-1} Wᵀ, W[i, j] the weight of the edge i → j — the
  paper's sum, with both k = 0 terms kept (so ``W_r`` has 2K slices).  A node without
  out- (in-) edges gets a zero row of P_O (P_I).

Layout: sequences ``(T, N, F)`` (nodes play the batch of the symrnn RNN kernels);
``W_g`` is (M, F, H), ``U_g`` is (M, H, H), ``b_g`` is (H,); outputs ``(T, N, H)``.
Gradients come back as a dict with every parameter, ``"x"`` (T, N, F) and ``"h"``
(the initial state), like :meth:`symrnn.codegen.Kernel.backward`.

References
----------
Y. Seo, M. Defferrard, P. Vandergheynst and X. Bresson, "Structured Sequence Modeling
with Graph Convolutional Recurrent Networks", ICONIP 2018 (arXiv:1612.07659, 2016).
Y. Li, R. Yu, C. Shahabi and Y. Liu, "Diffusion Convolutional Recurrent Neural Network:
Data-Driven Traffic Forecasting", ICLR 2018.
Z. Wu et al., "A Comprehensive Survey on Graph Neural Networks", IEEE TNNLS 32(1), 2021, §7.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sps

from ..errors import InputError
from .cheb import chebyshev_terms
from .graph import as_graph
from .normalize import scaled_laplacian

__all__ = ["GraphFilter", "cheb_filter", "diffusion_filter", "diffusion_supports", "diffusion_conv",
           "graph_gru_params", "gconv_gru_forward", "dcgru_forward", "graph_gru_forward", "graph_gru_backward",
           "GraphGRUTape", "GATES"]

GATES = ("r", "z", "n")


@dataclass(frozen=True, eq=False)
class GraphFilter:
    """The supports S_m of a graph filter F(X; Θ) = Σ_m S_m X Θ_m, applied without forming them.

    ``terms(X)`` gives [S_m X], ``adjoint_terms(Y)`` gives [S_mᵀ Y].
    """

    kind: str
    num_nodes: int
    K: int
    ops: tuple

    @property
    def size(self) -> int:
        """M, the number of supports (K for Chebyshev, 2K for diffusion)."""
        return self.K if self.kind == "cheb" else 2 * self.K

    def _apply(self, X, transpose: bool):
        if self.kind == "cheb":
            L = self.ops[0].T if transpose else self.ops[0]
            return list(chebyshev_terms(L, X, self.K))
        out = []
        for P in self.ops:
            P = P.T if transpose else P
            t = X
            out.append(t)
            for _ in range(1, self.K):
                t = P @ t
                out.append(t)
        return out

    def terms(self, X):
        return self._apply(X, False)

    def adjoint_terms(self, Y):
        return self._apply(Y, True)


def _K(K) -> int:
    if isinstance(K, bool) or not isinstance(K, (int, np.integer)) or K < 1:
        raise InputError(f"K must be an integer >= 1 (number of filter terms), got {K!r}")
    return int(K)


def cheb_filter(graph, K: int, *, lambda_max: float = 2.0, normalization: str | None = "sym") -> GraphFilter:
    """Chebyshev supports T_0(L̃), …, T_{K-1}(L̃) (PyG ``ChebConv(K=K)``) of an undirected graph.

    Examples
    --------
    >>> import networkx as nx, numpy as np
    >>> f = cheb_filter(nx.path_graph(2), 2)
    >>> [t.ravel().tolist() for t in f.terms(np.array([[1.0], [3.0]]))]
    [[1.0, 3.0], [-3.0, -1.0]]
    """
    g = as_graph(graph).require_undirected("GConvGRU")
    return GraphFilter("cheb", g.num_nodes, _K(K), (scaled_laplacian(g, lambda_max, normalization),))


def diffusion_supports(graph) -> tuple:
    """(P_O, P_I) = (D_O^{-1} W, D_I^{-1} Wᵀ), W[i, j] the weight of i → j (Li et al. 2018, §2.2).

    Examples
    --------
    >>> import networkx as nx
    >>> PO, PI = diffusion_supports(nx.DiGraph([(0, 1), (0, 2)]))
    >>> PO.toarray().tolist()[0], PI.toarray().tolist()[1]
    ([0.0, 0.5, 0.5], [1.0, 0.0, 0.0])
    """
    g = as_graph(graph)
    W = sps.csr_array(g.adjacency.T)  # Graph stores target × source; the paper's W is source × target

    def rw(M):
        d = np.asarray(M.sum(axis=1)).ravel()
        inv = np.divide(1.0, d, out=np.zeros_like(d), where=d > 0)
        return sps.csr_array(sps.diags_array(inv) @ M)

    return g.cached("diffusion_supports", lambda: (rw(W), rw(sps.csr_array(W.T))))


def diffusion_filter(graph, K: int) -> GraphFilter:
    """Diffusion supports (P_O^k, k < K) then (P_I^k, k < K) of a directed weighted graph.

    Examples
    --------
    >>> import networkx as nx
    >>> diffusion_filter(nx.DiGraph([(0, 1)]), 2).size
    4
    """
    g = as_graph(graph)
    return GraphFilter("diffusion", g.num_nodes, _K(K), diffusion_supports(g))


def diffusion_conv(graph, X, Theta) -> np.ndarray:
    """Li et al.'s diffusion convolution Σ_k (P_O^k X Θ_{k,1} + P_I^k X Θ_{k,2}); ``Theta`` is (2, K, F, F').

    Examples
    --------
    >>> import networkx as nx, numpy as np
    >>> diffusion_conv(nx.DiGraph([(0, 1)]), np.ones((2, 1)), np.ones((2, 1, 1, 1))).ravel().tolist()
    [2.0, 2.0]
    """
    Theta = np.asarray(Theta, dtype=np.float64)
    if Theta.ndim != 4 or Theta.shape[0] != 2:
        raise InputError(f"Theta must have shape (2, K, F, F'), got {Theta.shape}")
    f = diffusion_filter(graph, Theta.shape[1])
    X = _features(f, X, "X")
    return sum(t @ th for t, th in zip(f.terms(X), Theta.reshape(-1, *Theta.shape[2:])))


def _features(f: GraphFilter, X, arg):
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[0] != f.num_nodes:
        raise InputError(f"{arg} has shape {X.shape} but the graph has {f.num_nodes} nodes; expected ({f.num_nodes}, F)")
    return X


def graph_gru_params(in_features: int, hidden: int, supports: int, *, rng=0) -> dict:
    """Parameters ``W_g`` (M, F, H), ``U_g`` (M, H, H), ``b_g`` (H,) for g in r, z, n; uniform ±1/√H.

    ``supports`` is M: K for GConvGRU, 2K for DCGRU.

    Examples
    --------
    >>> {k: v.shape for k, v in graph_gru_params(2, 3, 2).items()}["U_n"]
    (2, 3, 3)
    """
    rng = np.random.default_rng(rng)
    a = 1.0 / np.sqrt(hidden)
    p = {}
    for g in GATES:
        p[f"W_{g}"] = rng.uniform(-a, a, (supports, in_features, hidden))
        p[f"U_{g}"] = rng.uniform(-a, a, (supports, hidden, hidden))
        p[f"b_{g}"] = rng.uniform(-a, a, hidden)
    return p


@dataclass(frozen=True, eq=False)
class GraphGRUTape:
    """Forward values read by :func:`graph_gru_backward`."""

    filter: GraphFilter
    params: dict
    xs: np.ndarray
    hs: np.ndarray  # (T + 1, N, H): initial state then every output
    r: np.ndarray
    z: np.ndarray
    n: np.ndarray


def _sigmoid(a):
    return 0.5 + 0.5 * np.tanh(0.5 * a)


def _stack(params, prefix, gates):
    return np.concatenate([params[f"{prefix}_{g}"] for g in gates], axis=2)


def _check(f: GraphFilter, xs, params, initial):
    xs = np.asarray(xs, dtype=np.float64)
    if xs.ndim != 3:
        raise InputError(f"xs must be 3-D (T, N, F), got shape {xs.shape}")
    if xs.shape[1] != f.num_nodes:
        raise InputError(f"xs has {xs.shape[1]} nodes per step (shape {xs.shape}) but the graph has "
                         f"{f.num_nodes} nodes; expected (T, {f.num_nodes}, F)")
    missing = [f"{p}_{g}" for p in "WUb" for g in GATES if f"{p}_{g}" not in params]
    if missing:
        raise InputError(f"params misses {missing}; expected the keys of graph_gru_params(...)")
    P = {k: np.asarray(v, dtype=np.float64) for k, v in params.items()}
    M, F, H = f.size, xs.shape[2], P["b_r"].shape[0]
    for g in GATES:
        for name, shape in ((f"W_{g}", (M, F, H)), (f"U_{g}", (M, H, H)), (f"b_{g}", (H,))):
            if P[name].shape != shape:
                raise InputError(f"{name} has shape {P[name].shape}; expected {shape} (M = {M} supports, "
                                 f"F = {F}, H = {H})")
    h0 = np.zeros((f.num_nodes, H)) if initial is None else np.asarray(initial, dtype=np.float64)
    if h0.shape != (f.num_nodes, H):
        raise InputError(f"initial has shape {h0.shape}; expected ({f.num_nodes}, {H})")
    return xs, P, h0


def _filter_all(f: GraphFilter, xs, W):
    """Σ_m S_m X_t W_m for every t at once: the T steps side by side as columns."""
    T, N, F = xs.shape
    wide = xs.transpose(1, 0, 2).reshape(N, T * F)
    out = sum(t.reshape(N, T, F) @ Wm for t, Wm in zip(f.terms(wide), W))
    return out.transpose(1, 0, 2)


def graph_gru_forward(f: GraphFilter, xs, params, *, initial=None):
    """Run the graph GRU over a (T, N, F) sequence with the supports of ``f``: ``(hs, tape)``.

    Examples
    --------
    >>> import networkx as nx, numpy as np
    >>> f = cheb_filter(nx.cycle_graph(3), 2)
    >>> hs, tape = graph_gru_forward(f, np.ones((4, 3, 2)), graph_gru_params(2, 5, f.size))
    >>> hs.shape
    (4, 3, 5)
    """
    xs, P, h0 = _check(f, xs, params, initial)
    T, N, H = xs.shape[0], f.num_nodes, h0.shape[1]
    ax = _filter_all(f, xs, _stack(P, "W", GATES))  # (T, N, 3H)
    U_rz, U_n = _stack(P, "U", "rz"), P["U_n"]
    b_rz, b_n = np.concatenate([P["b_r"], P["b_z"]]), P["b_n"]
    hs = np.empty((T + 1, N, H))
    hs[0] = h0
    r, z, n = (np.empty((T, N, H)) for _ in range(3))
    for t in range(T):
        h = hs[t]
        a = ax[t, :, :2 * H] + b_rz + sum(s @ Um for s, Um in zip(f.terms(h), U_rz))
        g = _sigmoid(a)
        r[t], z[t] = g[:, :H], g[:, H:]
        n[t] = np.tanh(ax[t, :, 2 * H:] + b_n + sum(s @ Um for s, Um in zip(f.terms(r[t] * h), U_n)))
        hs[t + 1] = n[t] + z[t] * (h - n[t])
    return hs[1:], GraphGRUTape(f, P, xs, hs, r, z, n)


def graph_gru_backward(tape: GraphGRUTape, d_outputs, d_final=None) -> dict:
    """Gradients of every parameter, ``"x"`` and the initial state ``"h"`` (back-propagation through time).

    Examples
    --------
    >>> import networkx as nx, numpy as np
    >>> f = cheb_filter(nx.path_graph(3), 2)
    >>> hs, tape = graph_gru_forward(f, np.ones((2, 3, 1)), graph_gru_params(1, 2, 2))
    >>> sorted(graph_gru_backward(tape, np.ones_like(hs)))[:3]
    ['U_n', 'U_r', 'U_z']
    """
    f, P, xs, hs = tape.filter, tape.params, tape.xs, tape.hs
    T, N, H = tape.r.shape
    dout = np.asarray(d_outputs, dtype=np.float64)
    if dout.shape != (T, N, H):
        raise InputError(f"d_outputs has shape {dout.shape}; expected {(T, N, H)}")
    dh = np.zeros((N, H)) if d_final is None else np.array(d_final, dtype=np.float64).reshape(N, H)
    U_rz, U_n = _stack(P, "U", "rz"), P["U_n"]
    dU_rz, dU_n = np.zeros_like(U_rz), np.zeros_like(U_n)
    dax = np.empty((T, N, 3 * H))
    for t in range(T - 1, -1, -1):
        h, r, z, n = hs[t], tape.r[t], tape.z[t], tape.n[t]
        dh = dh + dout[t]
        dan = dh * (1 - z) * (1 - n * n)
        daz = dh * (h - n) * z * (1 - z)
        dh = dh * z
        dhr = np.zeros((N, H))
        for m, q in enumerate(f.adjoint_terms(dan)):
            dU_n[m] += (r * h).T @ q
            dhr += q @ U_n[m].T
        dar = dhr * h * r * (1 - r)
        dh += dhr * r
        da = np.concatenate([dar, daz], axis=1)
        for m, q in enumerate(f.adjoint_terms(da)):
            dU_rz[m] += h.T @ q
            dh += q @ U_rz[m].T
        dax[t] = np.concatenate([da, dan], axis=1)
    grads = {"h": dh}
    for i, g in enumerate("rz"):
        grads[f"U_{g}"] = dU_rz[:, :, i * H:(i + 1) * H]
    grads["U_n"] = dU_n
    for i, g in enumerate(GATES):
        grads[f"b_{g}"] = dax[:, :, i * H:(i + 1) * H].sum(axis=(0, 1))
    Wx = _stack(P, "W", GATES)
    wide = dax.transpose(1, 0, 2).reshape(N, T * 3 * H)
    dx = np.zeros_like(xs)
    for m, q in enumerate(f.adjoint_terms(wide)):
        q = q.reshape(N, T, 3 * H).transpose(1, 0, 2)  # (T, N, 3H)
        dW = np.einsum("tnf,tng->fg", xs, q)
        for i, g in enumerate(GATES):
            grads.setdefault(f"W_{g}", np.zeros_like(P[f"W_{g}"]))[m] = dW[:, i * H:(i + 1) * H]
        dx += q @ Wx[m].T
    grads["x"] = dx
    return grads


def gconv_gru_forward(graph, xs, params, *, initial=None, lambda_max: float = 2.0,
                      normalization: str | None = "sym"):
    """GConvGRU over (T, N, F) on an undirected graph; K is read from ``params["W_r"].shape[0]``.

    Parameters
    ----------
    graph : networkx graph or Graph (undirected)
    xs : array_like, shape (T, N, F)
    params : dict from ``graph_gru_params(F, H, K)``
    initial : array_like, shape (N, H), optional (zeros)
    lambda_max, normalization : as in :func:`~symrnn.graphs.cheb_forward`

    Returns
    -------
    hs : ndarray, shape (T, N, H)
    tape : GraphGRUTape, for :func:`graph_gru_backward`

    Examples
    --------
    >>> import networkx as nx, numpy as np
    >>> hs, tape = gconv_gru_forward(nx.path_graph(3), np.ones((2, 3, 1)), graph_gru_params(1, 2, 3))
    >>> graph_gru_backward(tape, np.ones_like(hs))["x"].shape
    (2, 3, 1)
    """
    K = _param_count(params)
    return graph_gru_forward(cheb_filter(graph, K, lambda_max=lambda_max, normalization=normalization), xs, params,
                             initial=initial)


def dcgru_forward(graph, xs, params, *, initial=None):
    """DCRNN's DCGRU over (T, N, F) on a directed weighted graph; ``params`` from ``graph_gru_params(F, H, 2K)``.

    Examples
    --------
    >>> import networkx as nx, numpy as np
    >>> hs, _ = dcgru_forward(nx.DiGraph([(0, 1), (1, 2)]), np.ones((2, 3, 1)), graph_gru_params(1, 2, 4))
    >>> hs.shape
    (2, 3, 2)
    """
    M = _param_count(params)
    if M % 2:
        raise InputError(f"W_r has {M} slices; DCGRU needs 2K (K for P_O, K for P_I)")
    return graph_gru_forward(diffusion_filter(graph, M // 2), xs, params, initial=initial)


def _param_count(params) -> int:
    if "W_r" not in params:
        raise InputError("params misses 'W_r'; expected the keys of graph_gru_params(...)")
    W = np.asarray(params["W_r"])
    if W.ndim != 3:
        raise InputError(f"W_r must be 3-D (M, F, H), got shape {W.shape}")
    return W.shape[0]
