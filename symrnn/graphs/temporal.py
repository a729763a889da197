"""Spatial-temporal graph RNNs with stacked filter parameters: GConvGRU, GConvLSTM and DCGRU.

The models are descriptions (:mod:`symrnn.graphs.recurrent`), run by their
generated step kernels; this module keeps the stacked parameter layout of the
filters F(X; Θ) = Σ_m S_m X Θ_m — ``W_g`` (M, F, H), ``U_g`` (M, H, H), vectors
``b_g`` (H,) — and translates it to and from the descriptions' parameters
(``W_g_0`` … as (H, F), :func:`~symrnn.graphs.filters.support_names`).

* :func:`gconv_gru_forward`: GConvGRU, M = K Chebyshev terms (PyG-Temporal ``GConvGRU``);
* :func:`gconv_lstm_forward`: GConvLSTM, Seo et al.'s Model 2 (PyG-Temporal ``GConvLSTM``);
* :func:`dcgru_forward`: DCRNN's DCGRU, M = 2K random-walk powers (Li et al. 2018, eq. 2);
* :func:`graph_recurrent_forward`: any one-input symrnn cell with a :class:`GraphFilter`.

Sequences are ``(T, N, F)``, outputs ``(T, N, H)``; the backward functions return
every parameter (stacked), ``"x"`` (T, N, F) and each initial state by name.

References
----------
Y. Seo, M. Defferrard, P. Vandergheynst and X. Bresson, "Structured Sequence Modeling
with Graph Convolutional Recurrent Networks", ICONIP 2018 (arXiv:1612.07659).
Y. Li, R. Yu, C. Shahabi and Y. Liu, "Diffusion Convolutional Recurrent Neural Network:
Data-Driven Traffic Forecasting", ICLR 2018.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ..errors import InputError
from . import recurrent
from .filters import GraphFilter, cheb_filter, diffusion_conv, diffusion_filter, diffusion_supports, support_names

__all__ = ["GraphFilter", "cheb_filter", "diffusion_filter", "diffusion_supports", "diffusion_conv",
           "graph_cell_params", "graph_gru_params", "graph_recurrent_forward", "graph_recurrent_backward",
           "gconv_gru_forward", "gconv_lstm_forward", "dcgru_forward", "graph_gru_forward",
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
    """What :func:`graph_recurrent_backward` reads: the cell, its filter and the run over time."""

    cell: object
    filter: GraphFilter
    run: recurrent.RecurrentTape

    @property
    def steps(self) -> list:
        """Every value of every step, by name (one dict of (N, n) arrays per step)."""
        return self.run.values


GraphGRUTape = GraphRecurrentTape


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
    for k, w in graph_cell_params(cell, xs.shape[2], H, f.size).items():
        if P[k].shape != w.shape:
            raise InputError(f"{k} has shape {P[k].shape}; expected {w.shape} (M = {f.size} supports, "
                             f"F = {xs.shape[2]}, H = {H})")
    if initial is not None and not isinstance(initial, dict):
        initial = {cell.output: initial}
    extra = sorted(set(initial or ()) - set(cell.state_names))
    if extra:
        raise InputError(f"initial names unknown states {extra}; the cell's states are {list(cell.state_names)}")
    init = {}
    for s in (initial or {}):
        v = np.asarray(initial[s], dtype=np.float64)
        if v.shape != (f.num_nodes, H):
            raise InputError(f"initial state {s!r} has shape {v.shape}; expected ({f.num_nodes}, {H})")
        init[s] = v
    return xs, P, H, init


def _flat(cell, f: GraphFilter, P: dict) -> dict:
    """Stacked (M, in, out) filters → the description's (out, in) parameters, one per support."""
    out = {}
    for d in cell.params:
        if len(d.shape) == 2:
            out.update({n: P[d.name][m].T for m, n in enumerate(support_names(d.name, f.kind, f.K))})
        else:
            out[d.name] = P[d.name]
    return out


def _stacked(cell, f: GraphFilter, grads: dict) -> dict:
    out = {}
    for d in cell.params:
        out[d.name] = (np.stack([grads[n].T for n in support_names(d.name, f.kind, f.K)]) if len(d.shape) == 2
                       else grads[d.name])
    return out


def graph_recurrent_forward(cell, f: GraphFilter, xs, params, *, initial=None):
    """Run any single-input symrnn cell on a graph, its matrix products replaced by the filter ``f``.

    The cell is lifted to a description (:func:`~symrnn.graphs.recurrent.graph_recurrent`)
    and run by its generated step kernel (:func:`~symrnn.graphs.recurrent.run`).

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
    xs, P, H, init = _check(cell, f, xs, params, initial)
    if len(cell.inputs) != 1:
        raise InputError(f"cell: {cell.name!r} has {len(cell.inputs)} inputs; a graph recurrence takes one")
    graph = (("lambda_max", f.lambda_max), ("normalization", f.normalization)) if f.kind == "cheb" else ()
    desc = _lifted(cell, f.kind, f.K, graph)
    sizes = {str(desc.inputs[0].size): xs.shape[2], str(desc.declared[desc.output][1].size): H}
    kernel = recurrent.compiled(desc, _flat(cell, f, P), **sizes)
    hs, _, tape = recurrent.run(kernel, f.graph, xs, init)
    return hs, GraphRecurrentTape(cell, f, tape)


@lru_cache(maxsize=64)
def _lifted(cell, kind, K, graph):
    """The catalogue model (GConvGRU, DCRNN, GConvLSTM) when ``cell`` is its catalogue cell, else the lifted cell."""
    import symrnn

    models = {("gru_reset_before", "cheb"): recurrent.gconv_gru, ("gru_reset_before", "diffusion"): recurrent.dcrnn,
              ("lstm_peephole", "cheb"): recurrent.gconv_lstm}
    model = models.get((cell.name, kind))
    if model is not None and cell == symrnn.cell(cell.name):
        return model(K, **dict(graph))
    return recurrent.graph_recurrent(cell, kind, K, **dict(graph))


def graph_recurrent_backward(tape: GraphRecurrentTape, d_outputs, d_final=None) -> dict:
    """Gradients of every parameter (stacked), the input (by the cell's input name) and each initial state.

    The generated step backward runs from the last step to the first
    (:func:`~symrnn.graphs.recurrent.backward`).

    Examples
    --------
    >>> import networkx as nx, numpy as np
    >>> f = cheb_filter(nx.path_graph(3), 2)
    >>> hs, tape = graph_gru_forward(f, np.ones((2, 3, 1)), graph_gru_params(1, 2, 2))
    >>> sorted(graph_recurrent_backward(tape, np.ones_like(hs)))[:3]
    ['U_n', 'U_r', 'U_z']
    """
    if not isinstance(tape, GraphRecurrentTape):
        raise InputError(f"tape must be the GraphRecurrentTape of graph_recurrent_forward, got {type(tape).__name__}")
    cell = tape.cell
    if d_final is not None and not isinstance(d_final, dict):
        d_final = {cell.output: d_final}
    N = tape.filter.num_nodes
    if d_final is not None:
        d_final = {s: np.asarray(v, dtype=np.float64).reshape(N, -1) for s, v in d_final.items()}
    grads = recurrent.backward(tape.run, d_outputs, d_final)
    out = _stacked(cell, tape.filter, grads)
    out[cell.inputs[0].name] = grads[cell.inputs[0].name]
    out.update({s: grads[s] for s in cell.state_names})
    return out


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



def gconv_gru_forward(graph, xs, params, *, initial=None, lambda_max: float = 2.0,
                      normalization: str | None = "sym"):
    """GConvGRU over (T, N, F) on an undirected graph; K is read from ``params["W_r"].shape[0]``.

    Parameters
    ----------
    graph : networkx graph or Graph (undirected)
    xs : array_like, shape (T, N, F)
    params : dict from ``graph_gru_params(F, H, K)``
    initial : array_like, shape (N, H), optional (zeros)
    lambda_max, normalization : as in PyG ``ChebConv``

    Returns
    -------
    hs : ndarray, shape (T, N, H)
    tape : GraphRecurrentTape, for :func:`graph_recurrent_backward`

    Examples
    --------
    >>> import networkx as nx, numpy as np
    >>> hs, tape = gconv_gru_forward(nx.path_graph(3), np.ones((2, 3, 1)), graph_gru_params(1, 2, 3))
    >>> graph_recurrent_backward(tape, np.ones_like(hs))["x"].shape
    (2, 3, 1)
    """
    K = _param_count(params)
    return graph_gru_forward(cheb_filter(graph, K, lambda_max=lambda_max, normalization=normalization), xs, params,
                             initial=initial)


def gconv_lstm_forward(graph, xs, params, *, initial=None, lambda_max: float = 2.0,
                       normalization: str | None = "sym"):
    """GConvLSTM (Seo et al.'s Model 2, PyG-Temporal ``GConvLSTM``): ``lstm_peephole`` with Chebyshev filters.

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
