"""Spatial-temporal graph RNNs: GConvGRU, GConvLSTM (Seo et al.) and DCRNN's DCGRU (Li et al.).

Any single-input symrnn cell runs on a fixed graph with every matrix product
replaced by a graph filter F(X; Θ) = Σ_m S_m X Θ_m (:func:`graph_recurrent_forward`;
the pointwise stages and their partials come from the cell's SymPy description).
GConvGRU and DCGRU are ``symrnn.cell("gru_reset_before")`` so::

    r = σ(F(X_t; W_r) + F(H; U_r) + b_r)          z = σ(F(X_t; W_z) + F(H; U_z) + b_z)
    n = tanh(F(X_t; W_n) + F(r ⊙ H; U_n) + b_n)    H_t = z ⊙ H + (1 − z) ⊙ n

* GConvGRU (Seo et al. 2018, "model 2"; PyG-temporal ``GConvGRU``): S_k = T_k(L̃),
  k < K, the Chebyshev terms of :func:`~symrnn.graphs.cheb_forward` (PyG ``ChebConv``).
  PyG-temporal gives each of the six ChebConvs its own bias; only their sum per gate
  matters, so there is one bias per gate here.
* GConvLSTM (PyG-temporal ``GConvLSTM``): ``symrnn.cell("lstm_peephole")`` with the
  Chebyshev supports (peepholes w ⊙ c_{t-1} in i and f, w ⊙ c_t in o).
* DCGRU (Li et al. 2018, eq. 2): S = (I, P_O, …, P_O^{K-1}, I, P_I, …, P_I^{K-1}) with
  P_O = D_O^{-1} W and P_I = D_I^{-1} Wᵀ, W[i, j] the weight of the edge i → j — the
  paper's sum, with both k = 0 terms kept (so ``W_r`` has 2K slices).  A node without
  out- (in-) edges gets a zero row of P_O (P_I).  PyTorch Geometric Temporal's ``DConv``
  (read for comparison, version of 2024) is not this formula: for k ≥ 2 it uses a
  Chebyshev-style recurrence 2·P·T_{k-1} − T_{k-2} instead of the powers P^k, its messages
  are not multiplied by the edge weights (these enter only the degrees), and each message
  is divided by the degree of its source node; so it is tested against nothing here, the
  oracle being a dense reference of eq. 2 (``tests/test_temporal.py``).

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
from functools import lru_cache

import numpy as np

from ..errors import InputError
from ..numeric.reference import evaluate_pointwise
from ..spec.partials import pointwise_partials
from .filters import GraphFilter, cheb_filter, diffusion_conv, diffusion_filter, diffusion_supports

__all__ = ["GraphFilter", "cheb_filter", "diffusion_filter", "diffusion_supports", "diffusion_conv",
           "graph_cell_params", "graph_gru_params", "graph_recurrent_forward", "graph_recurrent_backward",
           "gconv_gru_forward", "gconv_lstm_forward", "dcgru_forward", "graph_gru_forward", "graph_gru_backward",
           "GraphRecurrentTape", "GraphGRUTape"]


def graph_cell_params(cell, in_features: int, hidden: int, supports: int, *, rng=0) -> dict:
    """Parameters of ``cell`` on a graph: each matrix P (rows, cols) becomes a filter Θ_P (M, cols, rows).

    Vector parameters (biases, peepholes) keep their shape; values uniform in ±1/√H.

    Examples
    --------
    >>> import symrnn
    >>> graph_cell_params(symrnn.cell("lstm_peephole"), 2, 3, 4)["W_i"].shape
    (4, 2, 3)
    """
    from ..numeric import param_shapes

    sizes = {str(cell.inputs[0].size): in_features, str(cell.declared[cell.output][1].size): hidden}
    rng = np.random.default_rng(rng)
    a = 1.0 / np.sqrt(hidden)
    return {k: rng.uniform(-a, a, (supports, shape[1], shape[0]) if len(shape) == 2 else shape)
            for k, shape in param_shapes(cell, sizes).items()}


def graph_gru_params(in_features: int, hidden: int, supports: int, *, rng=0) -> dict:
    """:func:`graph_cell_params` of ``gru_reset_before``: ``W_g`` (M, F, H), ``U_g`` (M, H, H), ``b_g`` (H,).

    ``supports`` is M: K for GConvGRU, 2K for DCGRU.

    Examples
    --------
    >>> {k: v.shape for k, v in graph_gru_params(2, 3, 2).items()}["U_n"]
    (2, 3, 3)
    """
    import symrnn

    return graph_cell_params(symrnn.cell("gru_reset_before"), in_features, hidden, supports, rng=rng)


@dataclass(frozen=True, eq=False)
class GraphRecurrentTape:
    """Forward values read by :func:`graph_recurrent_backward` (one dict of (N, n) arrays per step)."""

    cell: object
    filter: GraphFilter
    params: dict
    xs: np.ndarray
    steps: list


@lru_cache(maxsize=256)
def _partials(cell, target):
    return pointwise_partials(cell, target)


@lru_cache(maxsize=256)
def _terms(cell, target):
    return tuple(cell.terms(target))


def _check(cell, f: GraphFilter, xs, params, initial):
    xs = np.asarray(xs, dtype=np.float64)
    if xs.ndim != 3:
        raise InputError(f"xs must be 3-D (T, N, F), got shape {xs.shape}")
    if xs.shape[1] != f.num_nodes:
        raise InputError(f"xs has {xs.shape[1]} nodes per step (shape {xs.shape}) but the graph has "
                         f"{f.num_nodes} nodes; expected (T, {f.num_nodes}, F)")
    names = [d.name for d in cell.params]
    missing = [k for k in names if k not in params]
    if missing:
        raise InputError(f"params misses {missing}; expected the keys of graph_cell_params(cell, ...)")
    P = {k: np.asarray(params[k], dtype=np.float64) for k in names}
    out = cell.declared[cell.output][1].size
    H = next(P[d.name].shape[-1] for d in cell.params if len(d.shape) == 2 and d.shape[0] == out)
    want = graph_cell_params(cell, xs.shape[2], H, f.size)
    for k, w in want.items():
        if P[k].shape != w.shape:
            raise InputError(f"{k} has shape {P[k].shape}; expected {w.shape} (M = {f.size} supports, "
                             f"F = {xs.shape[2]}, H = {H})")
    states = [d.name for d in cell.states]
    if initial is not None and not isinstance(initial, dict):
        initial = {cell.output: initial}
    init = {}
    for d in cell.states:
        v = np.zeros((f.num_nodes, H)) if not initial or d.name not in initial else np.asarray(initial[d.name], float)
        if v.shape != (f.num_nodes, H):
            raise InputError(f"initial state {d.name!r} has shape {v.shape}; expected ({f.num_nodes}, {H})")
        init[d.name] = v
    extra = sorted(set(initial or ()) - set(states))
    if extra:
        raise InputError(f"initial names unknown states {extra}; the cell's states are {states}")
    return xs, P, init


def _filter_all(f: GraphFilter, xs, W):
    """Σ_m S_m X_t W_m for every t at once: the T steps side by side as columns."""
    T, N, F = xs.shape
    wide = xs.transpose(1, 0, 2).reshape(N, T * F)
    out = sum(t.reshape(N, T, F) @ Wm for t, Wm in zip(f.terms(wide), W))
    return out.transpose(1, 0, 2)


def _input_name(cell):
    if len(cell.inputs) != 1:
        raise InputError(f"cell: {cell.name!r} has {len(cell.inputs)} inputs; a graph recurrence takes one")
    return cell.inputs[0].name


def graph_recurrent_forward(cell, f: GraphFilter, xs, params, *, initial=None):
    """Run any single-input symrnn cell on a graph, matrix products replaced by the filter ``f``.

    Linear stages Σ k P v become Σ k Σ_m S_m V Θ_P[m]; pointwise stages are the cell's
    per-unit SymPy expressions evaluated on (N, n) arrays.

    Parameters
    ----------
    cell : symrnn Cell (one input)
    f : GraphFilter (:func:`cheb_filter`, :func:`diffusion_filter`)
    xs : array_like, shape (T, N, F)
    params : dict from :func:`graph_cell_params`
    initial : dict state -> (N, H), or an (N, H) array for the output state; zeros by default

    Returns
    -------
    outputs : ndarray (T, N, H), the cell's output state at every step
    tape : GraphRecurrentTape

    Examples
    --------
    >>> import networkx as nx, numpy as np, symrnn
    >>> lstm, f = symrnn.cell("lstm_peephole"), cheb_filter(nx.cycle_graph(3), 2)
    >>> hs, tape = graph_recurrent_forward(lstm, f, np.ones((4, 3, 2)), graph_cell_params(lstm, 2, 5, 2))
    >>> hs.shape, sorted(graph_recurrent_backward(tape, np.ones_like(hs)))[:2]
    ((4, 3, 5), ['U_f', 'U_g'])
    """
    xs, P, state = _check(cell, f, xs, params, initial)
    xname = _input_name(cell)
    pre = {}
    for eq in cell.equations:
        if eq.is_linear:
            for t in _terms(cell, eq.target):
                if t.matrix and t.vector == xname:
                    pre[eq.target] = pre.get(eq.target, 0) + float(t.coeff) * _filter_all(f, xs, P[t.matrix])
    steps = []
    for t in range(xs.shape[0]):
        values = {k: v for k, v in P.items() if v.ndim == 1}
        values.update({s + "_prev": v for s, v in state.items()})
        for eq in cell.equations:
            if eq.is_linear:
                acc = pre[eq.target][t].copy() if eq.target in pre else 0.0
                for term in _terms(cell, eq.target):
                    c = float(term.coeff)
                    if term.matrix and term.vector != xname:
                        acc = acc + c * sum(s @ Th for s, Th in zip(f.terms(values[term.vector]), P[term.matrix]))
                    elif not term.matrix:
                        acc = acc + c * (xs[t] if term.vector == xname else values[term.vector])
                values[eq.target] = acc
            else:
                like = next(values[d] for d in eq.dependencies() if np.ndim(values[d]) == 2)
                values[eq.target] = evaluate_pointwise(eq.expr, values, like)
        state = {s: values[s] for s in state}
        steps.append(values)
    return np.stack([v[cell.output] for v in steps]), GraphRecurrentTape(cell, f, P, xs, steps)


def graph_recurrent_backward(tape: GraphRecurrentTape, d_outputs, d_final=None) -> dict:
    """Gradients of every parameter, the input (by the cell's input name) and each initial state (by state name).

    Pointwise stages go back through :func:`symrnn.spec.partials.pointwise_partials`; linear
    stages through the adjoint supports S_mᵀ.

    Examples
    --------
    >>> import networkx as nx, numpy as np
    >>> f = cheb_filter(nx.path_graph(3), 2)
    >>> hs, tape = graph_gru_forward(f, np.ones((2, 3, 1)), graph_gru_params(1, 2, 2))
    >>> sorted(graph_gru_backward(tape, np.ones_like(hs)))[:3]
    ['U_n', 'U_r', 'U_z']
    """
    cell, f, P, xs = tape.cell, tape.filter, tape.params, tape.xs
    T, N = xs.shape[:2]
    xname = _input_name(cell)
    dout = np.asarray(d_outputs, dtype=np.float64)
    H = tape.steps[0][cell.output].shape[1]
    if dout.shape != (T, N, H):
        raise InputError(f"d_outputs has shape {dout.shape}; expected {(T, N, H)}")
    if d_final is not None and not isinstance(d_final, dict):
        d_final = {cell.output: d_final}
    carry = {d.name: np.zeros((N, H)) for d in cell.states}
    for k, v in (d_final or {}).items():
        carry[k] = carry[k] + np.asarray(v, dtype=np.float64).reshape(N, H)
    grads = {k: np.zeros_like(v) for k, v in P.items()}
    d_in = {}  # linear target -> (T, N, n) adjoint, for the batched input terms
    dx = np.zeros_like(xs)
    for t in range(T - 1, -1, -1):
        values = tape.steps[t]
        d = dict(carry)
        d[cell.output] = d[cell.output] + dout[t]
        for eq in reversed(cell.equations):
            g = d.pop(eq.target, None)
            if g is None:
                continue
            if not eq.is_linear:
                for name, expr in _partials(cell, eq.target).items():
                    part = g * evaluate_pointwise(expr, values, g)
                    if name in grads:
                        grads[name] += part.sum(axis=0)
                    else:
                        d[name] = d[name] + part if name in d else part
                continue
            for term in _terms(cell, eq.target):
                c = float(term.coeff)
                if term.matrix and term.vector == xname:
                    d_in.setdefault(eq.target, np.zeros((T, N, g.shape[1])))[t] = g
                elif term.matrix:
                    v, Th, dTh = values[term.vector], P[term.matrix], grads[term.matrix]
                    back = 0.0
                    for m, q in enumerate(f.adjoint_terms(c * g)):
                        dTh[m] += v.T @ q
                        back = back + q @ Th[m].T
                    d[term.vector] = d[term.vector] + back if term.vector in d else back
                elif term.vector in grads:
                    grads[term.vector] += c * g.sum(axis=0)
                elif term.vector == xname:
                    dx[t] += c * g
                else:
                    d[term.vector] = d[term.vector] + c * g if term.vector in d else c * g
        carry = {s: d.get(s + "_prev", np.zeros((N, H))) for s in carry}
    for eq in cell.equations:
        if eq.target not in d_in:
            continue
        wide = d_in[eq.target].transpose(1, 0, 2).reshape(N, -1)
        for term in _terms(cell, eq.target):
            if term.matrix and term.vector == xname:
                Th, dTh = P[term.matrix], grads[term.matrix]
                for m, q in enumerate(f.adjoint_terms(float(term.coeff) * wide)):
                    q = q.reshape(N, T, -1).transpose(1, 0, 2)
                    dTh[m] += np.einsum("tnf,tng->fg", xs, q)
                    dx += q @ Th[m].T
    grads[xname] = dx
    grads.update(carry)
    return grads


def graph_gru_forward(f: GraphFilter, xs, params, *, initial=None):
    """:func:`graph_recurrent_forward` with ``symrnn.cell("gru_reset_before")``: ``(hs, tape)``.

    Examples
    --------
    >>> import networkx as nx, numpy as np
    >>> f = cheb_filter(nx.cycle_graph(3), 2)
    >>> hs, tape = graph_gru_forward(f, np.ones((4, 3, 2)), graph_gru_params(2, 5, f.size))
    >>> hs.shape
    (4, 3, 5)
    """
    import symrnn

    return graph_recurrent_forward(symrnn.cell("gru_reset_before"), f, xs, params, initial=initial)


graph_gru_backward = graph_recurrent_backward
GraphGRUTape = GraphRecurrentTape


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
    tape : GraphRecurrentTape, for :func:`graph_gru_backward`

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


def gconv_lstm_forward(graph, xs, params, *, initial=None, lambda_max: float = 2.0,
                       normalization: str | None = "sym"):
    """GConvLSTM (Seo et al., PyG-temporal ``GConvLSTM``): ``lstm_peephole`` with Chebyshev filters.

    ``params`` from ``graph_cell_params(symrnn.cell("lstm_peephole"), F, H, K)``; ``initial``
    a dict with ``"h"`` and/or ``"c"``.  Returns ``(hs, tape)``.

    Examples
    --------
    >>> import networkx as nx, numpy as np, symrnn
    >>> p = graph_cell_params(symrnn.cell("lstm_peephole"), 1, 2, 3)
    >>> gconv_lstm_forward(nx.path_graph(3), np.ones((2, 3, 1)), p)[0].shape
    (2, 3, 2)
    """
    import symrnn

    f = cheb_filter(graph, _param_count(params, "W_i"), lambda_max=lambda_max, normalization=normalization)
    return graph_recurrent_forward(symrnn.cell("lstm_peephole"), f, xs, params, initial=initial)


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


def _param_count(params, name: str = "W_r") -> int:
    if name not in params:
        raise InputError(f"params misses {name!r}; expected the keys of graph_cell_params(...)")
    W = np.asarray(params[name])
    if W.ndim != 3:
        raise InputError(f"{name} must be 3-D (M, F, H), got shape {W.shape}")
    return W.shape[0]
