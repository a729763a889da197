"""Gated graph neural networks (Li et al. 2016): message passing whose node update is the catalogue GRU.

GGNN, as PyTorch Geometric's ``GatedGraphConv(out_channels=H, num_layers=L,
aggr="add")`` computes it, runs L propagation steps from h⁽⁰⁾ = x ∥ 0 (the
node features padded with zeros to H columns)::

    m⁽ˡ⁾ = Σ_{j→i} e_ji W_l h_j⁽ˡ⁻¹⁾            (a sum over the edges entering i, weighted)
    h⁽ˡ⁾ = GRU(m⁽ˡ⁾, h⁽ˡ⁻¹⁾)                     (torch's GRUCell: the reset gate after U_n h)

one W_l per step, one GRU shared by all steps.  :func:`ggnn` writes that as
one :class:`~symrnn.spec.graph_builder.GraphBuilder` description: the message
is W_l h once per node, gathered from each edge's source, weighted by the
per-edge input ``w`` and summed at each target (S_dstᵀ diag(w) S_src = A: the
generator runs it as one weighted sparse product, no per-edge (E, H) array), and
the update is the catalogue cell ``gru_reset_after`` (:func:`symrnn.cell`),
whose equations are read and re-targeted at each step (its input x ↦ m⁽ˡ⁾, its
previous state ↦ h⁽ˡ⁻¹⁾), never written again here.  The GRU is therefore the
bridge between the two halves of the toolkit: ``proofs/graph_recurrent.py``
proves that one propagation step *is* the catalogue GRU, for every size.

The edge weight is an input (one row per edge, in the order of the
description's edge space — :attr:`~symrnn.graphs.calls.LayerCall.edge_index`),
so reverse mode gives ∂L/∂e as it gives ∂L/∂x.  :func:`ggnn_forward` takes PyG's
layout (``weight`` (L, H, H) applied as h @ weight[l], the GRUCell's stacked
r, z, n rows) and reads the weights from the graph.

References
----------
Y. Li, D. Tarlow, M. Brockschmidt and R. Zemel, "Gated Graph Sequence Neural Networks", ICLR 2016 (arXiv:1511.05493).
K. Cho et al., "Learning Phrase Representations using RNN Encoder-Decoder", EMNLP 2014 (the GRU).
"""

from __future__ import annotations

import operator as _op
from functools import reduce

import numpy as np

from ..errors import InputError, SpecError
from ..spec.cell import PREV, Cell
from ..spec.graph_builder import GraphBuilder

__all__ = ["ggnn", "ggnn_forward", "ggnn_params", "propagation_step", "GRU_CELL", "LI_GGNN"]

LI_GGNN = "Li, Tarlow, Brockschmidt & Zemel 2016, Gated Graph Sequence Neural Networks (ICLR)"
GRU_CELL = "gru_reset_after"
"""The catalogue cell of the node update (torch's GRUCell: r ⊙ (U_n h + b_hn))."""


def _tex(name: str, l: int, tex: str | None = None) -> str:
    return rf"{tex or chr(92) + 'mathbf{' + name + '}'}^{{({l})}}"


def _copy(source: Cell, equations, b, vecs: dict, name, define) -> None:
    """Re-target ``equations`` of ``source`` onto builder ``b``: each vector read through ``vecs``, each value named
    ``name(target)``; a pointwise value is defined by ``define(equation, expr)`` (a let, an output or a state update)."""
    for eq in equations:
        if eq.is_linear:
            expr = reduce(_op.add, [t.coeff * (vecs[t.matrix] @ vecs[t.vector].matrix if t.matrix else
                                               vecs[t.vector].matrix) for t in source.terms(eq.target)])
            vecs[eq.target] = b.linear(expr, name(eq.target), inline=eq.anonymous)
        else:
            vecs[eq.target] = define(eq, eq.expr.xreplace({u: vecs[u.name] for u in eq.expr.free_symbols}))


def _gru_step(b: GraphBuilder, gru: Cell, vecs: dict, l: int, last: bool):
    """The catalogue cell's equations at step ``l``: input ↦ ``vecs[x]``, previous state ↦ ``vecs[h_prev]``."""
    state = gru.state_names[0]

    def define(eq, expr):
        if eq.target == state and last:
            return b.output(state, expr, latex=_tex(state, l))
        return b.let(f"{eq.target}_{l}", expr, latex=_tex(eq.target, l, eq.latex))

    _copy(gru, gru.equations, b, vecs, lambda t: f"{t}_{l}", define)
    return vecs[state]


def propagation_step(desc: Cell, step: int = 1) -> Cell:
    """Propagation step ``step`` of a GGNN description read back as an RNN cell (input x = m⁽ˡ⁾, state h = h⁽ˡ⁾).

    The equations of that step after its message are copied from the description: the message m⁽ˡ⁾ becomes
    the input ``x`` (size H), h⁽ˡ⁻¹⁾ the previous state ``h_prev``, the step's suffix ``_l`` is dropped.  The
    theorem ``ggnn_step_is_catalogue_gru`` compares the result with :func:`symrnn.cell`'s GRU.

    Examples
    --------
    >>> step = propagation_step(ggnn(2), 2)
    >>> [eq.target for eq in step.equations], [d.name for d in step.inputs]
    (['a_r', 'r', 'a_z', 'z', 'a_xn', 'a_hn', 'n', 'h'], ['x'])
    """
    from ..spec.builder import CellBuilder

    L = sum(1 for p in desc.params if p.name.startswith("W_") and p.name[2:].isdigit())
    if not L or isinstance(step, bool) or not isinstance(step, int) or not 1 <= step <= L:
        raise SpecError(f"propagation_step: {desc.name!r} has {L} propagation steps; step must be in 1..{L}, got {step!r}")
    out, suffix = "h" if step == L else f"h_{step}", f"_{step}"
    message = {f"Wh{suffix}", f"g{suffix}", f"msg{suffix}", f"m{suffix}"}
    eqs = [eq for eq in desc.equations if (eq.target.endswith(suffix) or eq.target == out) and eq.target not in message]
    b = CellBuilder(f"{desc.name}_step{step}", family="gru", reference=desc.reference,
                    summary=f"propagation step {step} of {desc.name}: message m read as the input")
    H, = b.sizes("H")
    vecs = {f"m{suffix}": b.input("x", H), ("x" if step == 1 else f"h_{step - 1}"): b.state("h", H)}
    vecs.update({p.name: b.param(p.name, *[H if s != 1 else s for s in p.shape]) for p in desc.params
                 if not (p.name.startswith("W_") and p.name[2:].isdigit())})

    def define(eq, expr):
        return b.update("h", expr) if eq.target == out else b.let(eq.target[:-len(suffix)], expr)

    _copy(desc, eqs, b, vecs, lambda t: t[:-len(suffix)], define)
    return b.build(output="h")


def ggnn(steps: int = 2, *, aggr: str = "add") -> Cell:
    """GGNN: ``steps`` propagation steps m⁽ˡ⁾ = A W_l h⁽ˡ⁻¹⁾, h⁽ˡ⁾ = GRU(m⁽ˡ⁾, h⁽ˡ⁻¹⁾) (PyG ``GatedGraphConv``).

    Parameters
    ----------
    steps : int
        L, the number of propagation steps (PyG ``num_layers``), each with its own W_l.
    aggr : {"add"}
        The aggregation over incoming edges (PyG's default; the weighted sum, A = S_dstᵀ diag(w) S_src).

    Returns
    -------
    Cell
        A graph description with per-node input ``x`` (h⁽⁰⁾, size H: features padded with zeros), per-edge
        input ``w`` (the edge weight e_ji, size 1), parameters ``W_1 … W_L`` (H, H) and the catalogue GRU's
        (``W_r, W_z, W_n, U_r, U_z, U_n, b_r, b_z, b_in, b_hn``, shared by the steps), output ``h`` = h⁽ᴸ⁾.

    Raises
    ------
    SpecError
        ``steps`` not an integer >= 1, or an aggregation other than ``"add"``.

    References
    ----------
    Li, Tarlow, Brockschmidt & Zemel, "Gated Graph Sequence Neural Networks", ICLR 2016, eq. 1-6.

    Examples
    --------
    >>> d = ggnn(2)
    >>> d.parameter_count(), [p.name for p in d.params][:3]
    (8*H**2 + 4*H, ['W_1', 'W_2', 'W_r'])
    >>> [eq.target for eq in d.equations][:4]
    ['Wh_1', 'g_1', 'msg_1', 'm_1']
    """
    from .. import cells

    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 1:
        raise SpecError(f"ggnn: steps (PyG's num_layers) must be an integer >= 1, got {steps!r}")
    if aggr != "add":
        raise SpecError(f"ggnn: aggr must be 'add' (the weighted sum over incoming edges), got {aggr!r}")
    gru = cells.cell(GRU_CELL)
    b = GraphBuilder(f"ggnn{int(steps)}", family="gated-graph", reference=LI_GGNN,
                     summary=f"gated graph network: {int(steps)} propagation step(s), node update {GRU_CELL}")
    H, = b.sizes("H")
    h = b.node_input("x", H, latex=_tex("h", 0))
    w = b.edge_input("w", 1, latex=r"\mathbf{e}")
    W = [b.param(f"W_{l}", H, H) for l in range(1, int(steps) + 1)]
    shared = {}
    for d in gru.params:
        size = [H if s != 1 else s for s in d.shape]
        shared[d.name] = b.param(d.name, *size, latex=d.latex)
    x_name, h_prev = gru.inputs[0].name, gru.state_names[0] + PREV
    for l in range(1, int(steps) + 1):
        z = b.linear(W[l - 1] @ h, f"Wh_{l}", latex=_tex("u", l), inline=False)  # W_l h once per node, then
        msg = b.let(f"msg_{l}", w * b.linear(b.gather(z, "src"), f"g_{l}"),     # gathered: a fused message
                    latex=_tex("mu", l, r"\boldsymbol{\mu}"))
        m = b.linear(b.scatter(msg, "dst"), f"m_{l}", latex=_tex("m", l), inline=False)
        h = _gru_step(b, gru, {**shared, x_name: m, h_prev: h}, l, l == steps)
    return b.build()


# ----------------------------------------------------------------------------- PyG's layout
def ggnn_params(weight, weight_ih, weight_hh, bias_ih, bias_hh) -> dict:
    """The description's parameters from PyG ``GatedGraphConv``'s: ``weight`` (L, H, H), ``rnn.*`` (GRUCell).

    W_l = weight[l−1]ᵀ (PyG multiplies h @ weight[l]); the GRUCell's rows are r, z, n; the reset and update
    biases merge (b_r = b_ir + b_hr), b_in and b_hn stay apart (the reset gate multiplies b_hn).

    Examples
    --------
    >>> import numpy as np
    >>> p = ggnn_params(np.zeros((1, 2, 2)), np.ones((6, 2)), np.ones((6, 2)), np.arange(6.0), np.arange(6.0))
    >>> p["b_r"].tolist(), p["b_in"].tolist(), p["b_hn"].tolist(), sorted(p)[:2]
    ([0.0, 2.0], [4.0, 5.0], [4.0, 5.0], ['U_n', 'U_r'])
    """
    from .graph import check_param

    weight = check_param(weight, (None, None, None), "weight")
    L, H, H2 = weight.shape
    if H != H2:
        raise InputError(f"weight must have shape (L, H, H), got {weight.shape}")
    Wi, Wh = check_param(weight_ih, (3 * H, H), "weight_ih"), check_param(weight_hh, (3 * H, H), "weight_hh")
    bi, bh = check_param(bias_ih, (3 * H,), "bias_ih"), check_param(bias_hh, (3 * H,), "bias_hh")
    out = {f"W_{l + 1}": weight[l].T.copy() for l in range(L)}
    for k, g in enumerate("rzn"):
        rows = slice(k * H, (k + 1) * H)
        out[f"W_{g}"], out[f"U_{g}"] = Wi[rows].copy(), Wh[rows].copy()
    out["b_r"], out["b_z"] = bi[:H] + bh[:H], bi[H:2 * H] + bh[H:2 * H]
    out["b_in"], out["b_hn"] = bi[2 * H:].copy(), bh[2 * H:].copy()
    return out


def ggnn_forward(graph, X, params: dict, *, edge_weight=None):
    """GGNN's output h⁽ᴸ⁾ (N, H) and the call record for :func:`symrnn.graphs.backward`.

    Parameters
    ----------
    graph : networkx graph or Graph
        Directed or undirected (each undirected edge is two directed ones); weighted by ``"weight"``.
    X : array_like, shape (N, F), F <= H
        Node features, padded with zeros to H columns (PyG does the same).
    params : dict
        The description's parameters (:func:`ggnn_params` from PyG's); L is the number of ``W_l``.
    edge_weight : array_like, shape (E,), optional
        One weight per row of the edge space (``call.edge_index``); the graph's weights by default.

    Returns
    -------
    Y : ndarray, shape (N, H)
    call : LayerCall
        ``backward(call, dY)`` gives ``"X"`` (N, F), ``"edge_weight"`` (E,) and every parameter.

    Examples
    --------
    >>> import networkx as nx, numpy as np
    >>> from symrnn.graphs import backward
    >>> p = ggnn_params(np.ones((1, 2, 2)), np.zeros((6, 2)), np.zeros((6, 2)), np.zeros(6), np.zeros(6))
    >>> Y, call = ggnn_forward(nx.path_graph(2), np.ones((2, 1)), p)   # z = ½: h = ½ x∥0 + ½ tanh(0)
    >>> Y.tolist(), backward(call, np.ones_like(Y))["edge_weight"].tolist()
    ([[0.5, 0.0], [0.5, 0.0]], [0.0, 0.0])
    """
    from ..numeric.params import real_array
    from .calls import LayerCall, kernel_for
    from .graph import as_graph, check_features, check_param

    g = as_graph(graph)
    X = check_features(g, X)
    steps = sum(1 for k in params if k.startswith("W_") and k[2:].isdigit())
    if steps < 1:
        raise InputError(f"params: expected W_1 … W_L (one per propagation step), got {sorted(params)}")
    H, F = check_param(params["W_1"], (None, None), "params['W_1']").shape[0], X.shape[1]
    if F > H:
        raise InputError(f"X has {F} features but the hidden size (rows of W_1) is {H}; GGNN pads x to H, so F <= H")
    kernel = kernel_for(ggnn, (("steps", steps),), (("H", H),))
    ops = kernel.operators(g)
    w = _edge_weights(g, ops) if edge_weight is None else real_array(edge_weight, "edge_weight", (len(ops.src),),
                                                                     finite=False)
    if not np.all(np.isfinite(w)):
        e = int(np.argwhere(~np.isfinite(w))[0, 0])
        j, i = g.nodes[ops.src[e]], g.nodes[ops.dst[e]]
        raise InputError(f"edge_weight has a non-finite entry {w[e]} at row {e} (the edge {j!r} -> {i!r})")
    padded = np.zeros((X.shape[0], H))
    padded[:, :F] = X

    def to_caller(grads):
        out = {k: v for k, v in grads.items() if k not in ("x", "w", "h" + PREV)}
        out["X"] = None if grads["x"] is None else grads["x"][:, :F]
        out["edge_weight"] = None if grads["w"] is None else grads["w"][:, 0]
        return out

    kernel.params = params
    out, tape = kernel.forward(ops, {"x": padded, "w": w.reshape(-1, 1)})
    return out["h"], LayerCall(kernel, tape, kernel.params, (("h", H),), to_caller, (("X", "x"), ("edge_weight", "w")))


def _edge_weights(g, ops) -> np.ndarray:
    """The weight of each row of the edge space (a repeated edge's copies share its summed weight equally)."""
    A = g.adjacency  # CSR, row i: the edges j -> i; the edge space lists them in this order
    if g.multiplicity is None and A.nnz == len(ops.src):
        return np.asarray(A.data, dtype=float).copy()
    w = np.asarray(A[ops.dst, ops.src], dtype=float).ravel()
    if g.multiplicity is not None:
        w = w / np.asarray(g.multiplicity.tocsr()[ops.dst, ops.src], dtype=float).ravel()
    return w
