"""Spatial-temporal graph RNNs as descriptions: GConvGRU, GConvLSTM (Seo et al.) and DCRNN (Li et al.).

A graph-recurrent model is an RNN cell on a fixed graph whose matrix products
are graph filters: every term ``P @ v`` of the cell becomes
Σ_m P_m S_m(v), one parameter P_m per support S_m of the filter
(:mod:`symrnn.graphs.filters`: Chebyshev terms of L̃, or random-walk powers).
:func:`graph_recurrent` writes that model as a
:class:`~symrnn.spec.graph_builder.GraphBuilder` description — a per-node
input ``x``, per-node states, the supports as named linear stages written
with graph operators, the cell's pointwise stages unchanged — so its LaTeX,
parameter count, proofs and kernels are derived as for every other
description.  :func:`symrnn.compile` generates the forward and reverse mode
of ONE step; :func:`run` and :func:`backward` loop it over time, the
gradient of each step's previous states feeding the step before.

The models (Wu et al.'s survey, §7, spatial-temporal GNNs):

* :func:`gconv_gru` — the reset-before GRU (Cho et al. 2014) with Chebyshev
  filters, as PyTorch Geometric Temporal's ``GConvGRU`` implements it::

      z = σ(W_z ⋆ x + U_z ⋆ h + b_z)    r = σ(W_r ⋆ x + U_r ⋆ h + b_r)
      h̃ = tanh(W_n ⋆ x + U_n ⋆ (r ⊙ h) + b_n)    h_t = z ⊙ h + (1 − z) ⊙ h̃

  PyG-Temporal credits Seo et al., whose two GCRN models are both LSTMs:
  Model 1 puts a graph CNN before a peephole FC-LSTM, Model 2 puts graph
  convolutions in place of the LSTM's products (that is :func:`gconv_lstm`);
  GConvGRU is the same construction applied to a GRU.  PyG-Temporal gives
  each of its six ChebConvs a bias; only their sum per gate matters, so
  there is one bias per gate here.
* :func:`gconv_lstm` — Seo et al.'s Model 2: the peephole LSTM
  (w ⊙ c_{t−1} in i and f, w ⊙ c_t in o) with Chebyshev filters
  (PyG-Temporal ``GConvLSTM``; its ChebConv biases and ``b_g`` sum to one
  bias per gate).
* :func:`dcrnn` — Li et al.'s DCGRU: the reset-before GRU whose filters are
  eq. 2, Σ_{k<K} (Θ_{k,1} (D_O⁻¹W)^k + Θ_{k,2} (D_I⁻¹Wᵀ)^k) — the filter of
  the concatenation [x, h] split into one filter of x and one of h.  This
  follows the paper, not PyG-Temporal's ``DConv``: for K ≥ 2 ``DConv``
  sends x_j along each edge j → i divided by the out-degree of j (the
  transpose of D_O⁻¹W; the edge weights enter only the degrees), uses the
  recurrence T_k = 2·P·T_{k−1} − X (its ``Tx_0`` stays X: at k = 2 that is
  Chebyshev's 2P²X − X, not the power P²X; from k = 3, K ≥ 4, it is neither
  the powers P^k nor Chebyshev's 2·P·T_{k−1} − T_{k−2}), and indexes the
  in-degree normalisation by the order of ``edge_index`` (``deg_in_inv[row]``)
  while applying it to the edges of the transposed dense adjacency (in
  ``dense_to_sparse``'s order), so its output depends on the order of
  ``edge_index``, on undirected unweighted graphs too: shuffling the columns
  of ``edge_index`` of 40 random undirected unweighted graphs (8 nodes, 12
  edges, 5 shuffles each) changed ``DConv(3, 4, K)``'s output (weights drawn
  from N(0, 1)) by up to 5.8 at K = 2 and 10.4 at K = 3, and the output of
  PyG-Temporal's ``DCRNN`` cell (its default initialisation, h₀ = 0) by up
  to 0.42 and 0.51 — as large as the outputs themselves.  Its reciprocal
  degrees are unguarded, so a node with out-edges but no in-edges makes the
  output NaN.  So ``DConv`` is no oracle for K ≥ 2; for K = 1 both are
  x Θ_{0,1} + x Θ_{0,2}, and the tests compare them.  (On an undirected
  graph eq. 2's 2K supports are K: ``dcrnn_undirected_supports_collapse``.)

The Laplacian's options are part of a Chebyshev model (``gconv_gru(K,
lambda_max=…, normalization=…)``, as PyG ``ChebConv``); with ``"rw"`` L̃ is
built from I − D⁻¹A, whose transpose PyG's ChebConv applies (the two agree on
regular graphs), as everywhere in :mod:`symrnn.graphs`.

Parameters use the numeric layout of symrnn (``W @ x``, (out, in)); the
stacked layout of :mod:`symrnn.graphs.temporal` (Θ as (M, in, out)) maps to
it through :func:`~symrnn.graphs.filters.support_names`.

References
----------
Y. Seo, M. Defferrard, P. Vandergheynst and X. Bresson, "Structured Sequence Modeling with Graph
Convolutional Recurrent Networks", ICONIP 2018 (arXiv:1612.07659).
Y. Li, R. Yu, C. Shahabi and Y. Liu, "Diffusion Convolutional Recurrent Neural Network: Data-Driven Traffic
Forecasting", ICLR 2018.
K. Cho et al., "Learning Phrase Representations using RNN Encoder-Decoder for Statistical Machine
Translation", EMNLP 2014.
Z. Wu et al., "A Comprehensive Survey on Graph Neural Networks", IEEE TNNLS 32(1), 2021, §7.
"""

from __future__ import annotations

import copy
import operator as _op
from dataclasses import dataclass
from functools import lru_cache, reduce
from typing import Mapping

import numpy as np
import sympy as sp

from ..errors import InputError, SpecError
from ..numeric.params import real_array
from ..spec.cell import PREV, Cell
from ..spec.graph_builder import GraphBuilder
from .filters import LI, basis, support_latex, support_names

__all__ = ["graph_recurrent", "gconv_gru", "gconv_lstm", "dcrnn", "MODELS", "run", "backward", "RecurrentTape",
           "compiled", "SEO", "LI"]

SEO = ("Seo, Defferrard, Vandergheynst & Bresson 2018, Structured Sequence Modeling with Graph Convolutional "
       "Recurrent Networks (ICONIP; arXiv:1612.07659)")


# ----------------------------------------------------------------------------- descriptions
def _sizes(b: GraphBuilder, cell: Cell) -> dict:
    """The cell's size symbols declared on ``b``; the input size D is called F (node features)."""
    names = {s.name for s in cell.sizes}
    first = cell.inputs[0].size
    rename = {"D": "F"} if getattr(first, "name", None) == "D" and "F" not in names else {}
    return {s: b.sizes(rename.get(s.name, s.name))[0] for s in cell.sizes}


def _linear(cell, eq, vecs, matrices, bases, b, kind, K):
    parts = []
    for t in cell.terms(eq.target):
        if t.operator is not None:
            raise SpecError(f"graph_recurrent: {cell.name!r} already applies the graph operator {t.operator} "
                            f"in stage {eq.target!r}; lift an RNN cell")
        if t.matrix is None:
            parts.append(t.coeff * vecs[t.vector].matrix)
            continue
        if t.vector not in bases:
            bases[t.vector] = basis(b, vecs[t.vector], kind, K, latex=cell.declared[t.vector][1].latex)
        parts += [t.coeff * (P @ s.matrix) for P, s in zip(matrices[t.matrix], bases[t.vector])]
    return reduce(_op.add, parts)


def graph_recurrent(cell: Cell, filter: str, K: int, *, name: str | None = None, reference: str | None = None,
                    summary: str | None = None, **graph) -> Cell:
    """The RNN ``cell`` on a graph: each matrix product P v becomes the filter Σ_m P_m S_m(v).

    Parameters
    ----------
    cell : Cell
        An RNN cell with one input (:func:`symrnn.cell`, or a user's :class:`~symrnn.CellBuilder` cell).
    filter : {"cheb", "diffusion"}
        The supports S_m (:mod:`symrnn.graphs.filters`): K Chebyshev terms, or 2K random-walk powers.
    K : int
        Terms of the filter (PyG ``ChebConv(K=K)``; DCRNN's K).
    name, reference, summary : str, optional
        Catalogue metadata (default: from ``cell``).
    **graph
        How the operators read a graph, part of the model (``lambda_max=``, ``normalization=`` of
        ``cheb_lt``, as PyG ``ChebConv``; see :class:`~symrnn.graphs.operators.GraphOperators`).

    Returns
    -------
    Cell
        A graph-recurrent description: per-node input ``x`` (size F), the cell's states per node,
        parameters ``P_0 … P_{K−1}`` (Chebyshev) or ``P_out0 …, P_in0 …`` (diffusion) for each
        matrix ``P``, the cell's vector parameters unchanged.

    Raises
    ------
    SpecError
        A cell with more or fewer than one input, a cell that is already a graph description, a bad K or filter.

    Examples
    --------
    >>> import symrnn
    >>> rnn = graph_recurrent(symrnn.cell("rnn"), "cheb", 2)   # h = tanh(W_0 x + W_1 L̃x + U_0 h + U_1 L̃h + b)
    >>> rnn.parameter_count(), [p.name for p in rnn.params]
    (2*F*H + 2*H**2 + H, ['W_0', 'W_1', 'U_0', 'U_1', 'b'])
    >>> [eq.target for eq in rnn.equations]
    ['T1_h_prev', 'T1_x', 'a_h', 'h']
    """
    if not isinstance(cell, Cell) or cell.is_graph:
        raise SpecError(f"graph_recurrent: expected an RNN cell (a Cell without graph vectors), got {cell!r:.80}")
    if len(cell.inputs) != 1:
        raise SpecError(f"graph_recurrent: {cell.name!r} has {len(cell.inputs)} inputs; a graph recurrence takes one")
    support_names("P", filter, 1)  # checks the filter's name before any work
    b = GraphBuilder(name or f"{cell.name}_{filter}", family="spatial-temporal",
                     reference=cell.reference if reference is None else reference,
                     summary=summary if summary is not None else f"{cell.name} with {filter} graph filters, K = {K}",
                     **graph)
    size = _sizes(b, cell)

    def sub(e):
        return sp.sympify(e).xreplace(size)

    x = cell.inputs[0]
    vecs = {x.name: b.node_input(x.name, sub(x.size), latex=x.latex)}
    for d in cell.states:
        vecs[d.name + PREV] = b.state(d.name, sub(d.size), latex=d.latex)
    matrices = {}
    for d in cell.params:
        if len(d.shape) == 1:
            vecs[d.name] = b.param(d.name, sub(d.shape[0]), latex=d.latex)
        else:
            matrices[d.name] = [b.param(n, *map(sub, d.shape), latex=tex) for n, tex in
                                zip(support_names(d.name, filter, K), support_latex(d.name, filter, K, d.latex))]
    states, bases = set(cell.state_names), {}
    for eq in cell.equations:
        if eq.is_linear:
            expr = _linear(cell, eq, vecs, matrices, bases, b, filter, K)
            vecs[eq.target] = (b.update(eq.target, expr) if eq.target in states else
                               b.linear(expr, eq.target, latex=eq.latex, inline=eq.anonymous))
        else:
            expr = eq.expr.xreplace({u: vecs[u.name] for u in eq.expr.free_symbols})
            vecs[eq.target] = b.update(eq.target, expr) if eq.target in states else b.let(eq.target, expr, latex=eq.latex)
    # GraphBuilder.build asks for an output() (a state never read back); a graph-recurrent
    # description's outputs are its recurrent states, so the inner CellBuilder builds it.
    return b.build(output=cell.output)


MODELS = {
    "gconv_gru": ("gru_reset_before", "cheb", SEO, "GRU (reset before) with Chebyshev graph filters, K = {K} "
                  "(PyG-Temporal GConvGRU)"),
    "gconv_lstm": ("lstm_peephole", "cheb", SEO, "peephole LSTM with Chebyshev graph filters, K = {K} "
                   "(Seo et al.'s Model 2)"),
    "dcrnn": ("gru_reset_before", "diffusion", LI, "DCGRU: GRU (reset before) with diffusion convolutions, "
              "K = {K} (Li et al. eq. 2)"),
}
"""Each catalogue model: (catalogue cell, filter, reference, summary)."""


@lru_cache(maxsize=96)
def _model(name: str, K, graph: tuple = ()) -> Cell:
    from .. import cells

    if isinstance(K, bool) or not isinstance(K, (int, np.integer)) or K < 1:
        raise SpecError(f"{name}: K (the number of filter terms) must be an integer >= 1, got {K!r}")
    cell, kind, reference, summary = MODELS[name]
    return graph_recurrent(cells.cell(cell), kind, int(K), name=name, reference=reference, summary=summary.format(K=K),
                           **dict(graph))


def gconv_gru(K: int = 2, *, lambda_max: float = 2.0, normalization: str | None = "sym") -> Cell:
    """GConvGRU: the reset-before GRU with K-term Chebyshev filters (PyG-Temporal ``GConvGRU``; after Seo et al.).

    ``lambda_max`` and ``normalization`` define L̃ as in PyG ``ChebConv`` (part of the model).

    Examples
    --------
    >>> d = gconv_gru(2)
    >>> d.parameter_count(), [p.name for p in d.params][:3]
    (6*F*H + 6*H**2 + 3*H, ['W_r_0', 'W_r_1', 'W_z_0'])
    """
    return _model("gconv_gru", K, (("lambda_max", lambda_max), ("normalization", normalization)))


def gconv_lstm(K: int = 2, *, lambda_max: float = 2.0, normalization: str | None = "sym") -> Cell:
    """GConvLSTM, Seo et al.'s Model 2: the peephole LSTM with K-term Chebyshev filters (PyG-Temporal ``GConvLSTM``).

    ``lambda_max`` and ``normalization`` define L̃ as in PyG ``ChebConv`` (part of the model).

    Examples
    --------
    >>> d = gconv_lstm(1)
    >>> d.parameter_count(), d.state_names
    (4*F*H + 4*H**2 + 7*H, ('h', 'c'))
    """
    return _model("gconv_lstm", K, (("lambda_max", lambda_max), ("normalization", normalization)))


def dcrnn(K: int = 2) -> Cell:
    """DCRNN's DCGRU: the reset-before GRU with Li et al.'s eq. 2 filters, 2K random-walk supports.

    Examples
    --------
    >>> d = dcrnn(2)
    >>> d.parameter_count(), [p.name for p in d.params][:4]
    (12*F*H + 12*H**2 + 3*H, ['W_r_out0', 'W_r_out1', 'W_r_in0', 'W_r_in1'])
    """
    return _model("dcrnn", K)


# ----------------------------------------------------------------------------- kernels
@lru_cache(maxsize=64)
def _template(desc, sizes: tuple, dtype):
    from ..codegen import compile

    return compile(desc, sizes=dict(sizes), dtype=dtype)


def compiled(desc: Cell, params: Mapping | None = None, *, dtype=np.float64, **sizes):
    """A :class:`~symrnn.codegen.layer_kernel.LayerKernel` of ``desc`` holding ``params``, its source generated once.

    Each call returns a kernel of its own (a copy sharing the generated code), so
    setting its parameters never changes another kernel's tapes.

    Examples
    --------
    >>> k = compiled(gconv_gru(1), F=2, H=3)
    >>> k is compiled(gconv_gru(1), F=2, H=3), k.source == compiled(gconv_gru(1), F=2, H=3).source
    (False, True)
    """
    kernel = copy.copy(_template(desc, tuple(sorted(sizes.items())), np.dtype(dtype)))
    if params is not None:
        kernel.params = params
    return kernel


# ----------------------------------------------------------------------------- over time
@dataclass(frozen=True, eq=False)
class RecurrentTape:
    """What :func:`backward` reads: the kernel, its parameters at forward time and one step tape per time step."""

    kernel: object
    params: dict
    steps: tuple
    shape: tuple
    constants: tuple = ()  # the names of the inputs held fixed over time (run's ``constants``)

    @property
    def values(self) -> list:
        """Every value of every step, by name (one dict of (rows, n) arrays per step)."""
        return [s.values for s in self.steps]


def _layer_kernel(kernel, constants=()):
    from ..codegen.layer_kernel import LayerKernel

    if not isinstance(kernel, LayerKernel):
        raise InputError(f"kernel must be the LayerKernel of a graph-recurrent description (symrnn.compile(gconv_gru(K), "
                         f"F=…, H=…)), got {type(kernel).__name__}")
    cell = kernel.cell
    sequence = [d.name for d in cell.inputs if d.name not in constants]
    if len(sequence) != 1 or cell.space(sequence[0]) != "node" or not cell.states or \
            any(cell.space(s) != "node" for s in cell.state_names):
        raise InputError(f"kernel: {cell.name!r} is not graph-recurrent; run() needs one per-node input besides the "
                         f"constants {sorted(constants)} and per-node states (inputs {[d.name for d in cell.inputs]}, "
                         f"states {list(cell.state_names)})")
    return kernel, cell, sequence[0]


def _states(kernel, values, what, rows):
    """``values`` (None, a dict state -> (N, n), or one array when the description has one state) as a dict."""
    names = list(kernel.cell.state_names)
    if values is None:
        return {}
    if isinstance(values, np.ndarray) and len(names) == 1:
        values = {names[0]: values}
    if not isinstance(values, Mapping):
        raise InputError(f"{what} must be a dict state name -> ({rows}, n) array, got {type(values).__name__}")
    extra = sorted(set(map(str, values)) - set(names))
    if extra:
        raise InputError(f"{what}: unexpected states {extra}; the states of {kernel.cell.name!r} are {names}")
    return {s: real_array(values[s], f"{what}[{s!r}]", (rows, kernel.n[s]), kernel.dtype) for s in values}


def run(kernel, graph, xs, initial=None, *, constants=None, **options):
    """Run a graph-recurrent kernel over a sequence: ``(outputs, final, tape)``.

    The graph's operators are built once; each step calls the generated step kernel.

    Parameters
    ----------
    kernel : LayerKernel
        ``symrnn.compile(description, F=…, H=…)`` of a graph-recurrent description
        (:func:`gconv_gru`, :func:`gconv_lstm`, :func:`dcrnn`, :func:`graph_recurrent`).
    graph : networkx graph, Graph or GraphOperators
        The fixed graph (undirected for Chebyshev filters); rows follow its node order.
    xs : array_like, shape (T, N, F)
    initial : dict state -> (N, n), optional
        Initial states (zeros where absent); one array is read as the state of a one-state description.
    constants : dict input -> (rows, n), optional
        The description's other inputs, the same at every step (per-edge weights, per-node
        statistics); :func:`backward` sums their gradients over the steps.
    **options
        :class:`~symrnn.graphs.operators.GraphOperators` options the description leaves open (it may fix them).

    Returns
    -------
    outputs : ndarray, shape (T, N, H)
        The description's output state at every step.
    final : dict state -> (N, n)
    tape : RecurrentTape, for :func:`backward`

    Examples
    --------
    >>> import networkx as nx, numpy as np
    >>> k = compiled(gconv_gru(2), F=1, H=1)
    >>> k.params = {n: np.full(v.shape, 0.5) for n, v in k.params.items()}
    >>> hs, final, tape = run(k, nx.path_graph(3), np.ones((2, 3, 1)))
    >>> hs[:, :, 0].round(4).tolist()   # step 1, node 0: z = σ(0.5 − 0.5/√2 + 0.5), h = (1 − z) tanh(same)
    [[0.1957, 0.1217, 0.1957], [0.3287, 0.17, 0.3287]]
    """
    constants = {} if constants is None else dict(constants)
    kernel, cell, name = _layer_kernel(kernel, constants)
    ops = kernel.operators(graph, **options)
    N, F = ops.rows("node"), kernel.n[name]
    xs = real_array(xs, "xs", None, kernel.dtype)
    if xs.ndim != 3 or xs.shape[0] < 1 or xs.shape[1:] != (N, F):
        raise InputError(f"xs has shape {xs.shape} but the graph has {N} nodes and {cell.name!r} {F} input features; "
                         f"expected (T, {N}, {F}) with T >= 1")
    state = _states(kernel, initial, "initial", N)
    outputs, steps = np.empty((xs.shape[0], N, kernel.n[cell.output]), kernel.dtype), []
    for t in range(xs.shape[0]):
        state, tape = kernel.forward(ops, {**constants, name: xs[t]}, state)
        outputs[t] = state[cell.output]
        steps.append(tape)
    return outputs, state, RecurrentTape(kernel, kernel.params, tuple(steps), xs.shape, tuple(constants))


def backward(tape: RecurrentTape, d_outputs, d_final=None) -> dict:
    """Gradients of every parameter, the input sequence and the initial states, given ∂L/∂outputs (and ∂L/∂final).

    Runs the generated step backward from the last step to the first; each step's
    gradient of its previous states (``h_prev`` …) is the next one's ∂L/∂(state).

    Parameters
    ----------
    tape : RecurrentTape from :func:`run`
    d_outputs : array_like, shape (T, N, H)
    d_final : dict state -> (N, n), optional
        Gradients with respect to the final states (one array for a one-state description).

    Returns
    -------
    dict
        Every parameter (its shape), the input by name (T, N, F), every constant input (summed over the
        steps) and every state's initial value (N, n).

    Examples
    --------
    The gradient of the final cell state of a one-term GConvLSTM with respect to the initial one:

    >>> import networkx as nx, numpy as np
    >>> k = compiled(gconv_lstm(1), F=1, H=1)
    >>> hs, final, tape = run(k, nx.star_graph(2), np.ones((3, 3, 1)), {"c": np.ones((3, 1))})
    >>> g = backward(tape, np.zeros_like(hs), {"c": np.ones((3, 1))})
    >>> sorted(g)[-6:], g["c"].ravel().round(4).tolist(), g["x"].shape
    (['c', 'h', 'p_f', 'p_i', 'p_o', 'x'], [0.4791, 0.4791, 0.4791], (3, 3, 1))
    """
    if not isinstance(tape, RecurrentTape):
        raise InputError(f"backward: pass the tape returned by run(), got {type(tape).__name__}")
    kernel, cell, name = _layer_kernel(tape.kernel, tape.constants)
    if kernel.params is not tape.params:
        raise InputError("backward: the kernel's params were replaced after run(); run it again with these params")
    T, N, _ = tape.shape
    dout = real_array(d_outputs, "d_outputs", (T, N, kernel.n[cell.output]), kernel.dtype)
    carry = {s: np.zeros((N, kernel.n[s]), kernel.dtype) for s in cell.state_names}
    carry.update(_states(kernel, d_final, "d_final", N))
    grads = {p: np.zeros_like(v) for p, v in kernel.params.items()}
    grads.update({c: 0.0 for c in tape.constants})
    dx = np.empty(tape.shape, kernel.dtype)
    for t in range(T - 1, -1, -1):
        d = dict(carry)
        d[cell.output] = d[cell.output] + dout[t]
        g = kernel.backward(tape.steps[t], d)
        for p in grads:
            grads[p] += g[p]
        dx[t] = g[name]
        carry = {s: g[s + PREV] for s in cell.state_names}
    grads[name] = dx
    grads.update(carry)
    return grads
