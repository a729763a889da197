"""Run the ST-Conv block (:func:`symrnn.graphs.stgcn.stgcn`) over a batch of sequences, and back.

:func:`stgcn_forward` takes ``STConv``'s layout — X of shape (B, T, N, F) on one
undirected, weighted graph — and returns Y of shape (B, T − 2(Kt − 1), N, G).
The B sequences run as one graph of B·N nodes (B copies of the graph), so each
step is one call of the generated step kernel for the whole batch:

1. the entries ℓ of L̃ from the edge weights (:func:`~symrnn.graphs.stgcn.laplacian_entries`, once);
2. the block's step over time (:func:`symrnn.graphs.recurrent.run`; ℓ and the BatchNorm vectors
   are inputs constant over time, the first Kt − 1 inputs the initial delay line).

:func:`stgcn_backward` runs the generated reverse modes in the opposite order
(:func:`symrnn.graphs.recurrent.backward`, then the entries' backward on ℓ̄);
the only sums written here are the adjoints of this module's own copying — a
value given to every step, every copy of the graph or every time step of a
window is the sum of its gradients there.

References
----------
B. Yu, H. Yin and Z. Zhu, "Spatio-Temporal Graph Convolutional Networks: A Deep Learning Framework for
Traffic Forecasting", IJCAI 2018.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import InputError
from ..numeric.params import real_array
from . import recurrent
from .graph import as_graph, from_edges
from .operators import GraphOperators
from .stgcn import laplacian_entries

__all__ = ["STGCNTape", "stgcn_forward", "stgcn_backward"]

TORCH_NAMES = {"gamma": "weight", "beta": "bias", "mu": "running_mean", "sigma": "running_var"}
"""The block's BatchNorm inputs by ``BatchNorm2d``'s names (its ``state_dict`` keys)."""


@dataclass(frozen=True, eq=False)
class STGCNTape:
    """What :func:`stgcn_backward` reads: the two runs, the graph's edge rows and the input's shape."""

    entries: object       # the LayerTape of laplacian_entries on the B copies
    entries_kernel: object
    run: recurrent.RecurrentTape
    edge_index: np.ndarray  # (2, E): the edge rows of one copy (self-loops dropped)
    shape: tuple          # (B, T, N, F)
    width: int            # Kt


def _width(kernel) -> int:
    """Kt, read from the kernel's description: one delay-line state x_j per step of the window but the newest."""
    cell = getattr(kernel, "cell", None)
    if cell is None or "ell" not in {d.name for d in getattr(cell, "inputs", ())}:
        raise InputError(f"kernel must be symrnn.compile(stgcn(...), F=…, H=…, G=…), got {type(kernel).__name__}")
    return 1 + sum(1 for s in cell.state_names if s.startswith("x_"))


def _edges(graph, N):
    """One copy's edge rows without self-loops, and a weight per row (a repeated edge's copies share its weight)."""
    g = as_graph(graph).require_undirected("stgcn")
    if g.num_nodes != N:
        raise InputError(f"X has {N} nodes per step but the graph has {g.num_nodes}; expected (B, T, {g.num_nodes}, F)")
    ops = GraphOperators(g)
    keep = ops.src != ops.dst
    src, dst = ops.src[keep], ops.dst[keep]
    counts = 1.0 if g.multiplicity is None else np.asarray(g.multiplicity[dst, src]).ravel()
    w = np.asarray(g.adjacency[dst, src]).ravel() / counts
    degree = np.bincount(src, w, minlength=N)
    zero = np.flatnonzero((degree == 0) & (np.bincount(src, minlength=N) > 0))
    if zero.size:
        raise InputError(f"graph: node {g.nodes[zero[0]]!r} has edges whose weights sum to 0; L̃ = −D^(-1/2) A "
                         "D^(-1/2) needs a positive degree at every node with an edge")
    return src, dst, w


def _batch_norm(values, N, B, dtype):
    values = {} if values is None else dict(values)
    unknown = sorted(set(values) - set(TORCH_NAMES.values()))
    if unknown:
        raise InputError(f"batch_norm: unknown keys {unknown}; expected {sorted(TORCH_NAMES.values())}")
    defaults = {"weight": 1.0, "bias": 0.0, "running_mean": 0.0, "running_var": 1.0}  # a new BatchNorm2d
    out = {}
    for ours, theirs in TORCH_NAMES.items():
        v = real_array(values.get(theirs, np.full(N, defaults[theirs])), f"batch_norm[{theirs!r}]", (N,), dtype)
        if theirs == "running_var" and (v < 0).any():
            raise InputError(f"batch_norm['running_var']: node {int(np.argmax(v < 0))} has a negative variance")
        out[ours] = np.tile(np.sqrt(v) if ours == "sigma" else v, B)[:, None]  # the block reads σ = √var
    return out


def stgcn_forward(kernel, graph, X, *, batch_norm=None):
    """Y = STConv(X) on ``graph`` (BatchNorm in evaluation mode), and the tape for :func:`stgcn_backward`.

    Parameters
    ----------
    kernel : LayerKernel
        ``symrnn.compile(stgcn(kernel_size, K), F=…, H=…, G=…)`` holding the parameters.
    graph : networkx graph or Graph
        Undirected; edge weights (attribute ``"weight"``, default 1) ≥ 0; self-loops are ignored (as PyG).
    X : array_like, shape (B, T, N, F)
        T ≥ 2(Kt − 1) + 1.
    batch_norm : dict, optional
        ``BatchNorm2d(N)``'s ``weight``, ``bias``, ``running_mean``, ``running_var`` (each (N,));
        absent ones as a new ``BatchNorm2d``.

    Returns
    -------
    Y : ndarray, shape (B, T − 2(Kt − 1), N, G)
    tape : STGCNTape

    Examples
    --------
    >>> import networkx as nx, numpy as np, symrnn
    >>> from symrnn.graphs.stgcn import stgcn
    >>> k = symrnn.compile(stgcn(2, 2), F=1, H=1, G=1)
    >>> k.params = {n: np.full(v.shape, 0.5) for n, v in k.params.items()}
    >>> Y, tape = stgcn_forward(k, nx.path_graph(3), np.ones((1, 4, 3, 1)))
    >>> Y.shape, Y[0, :, :, 0].round(4).tolist()
    ((1, 2, 3, 1), [[2.5216, 0.8112, 2.5216], [2.5216, 0.8112, 2.5216]])
    """
    Kt = _width(kernel)
    X = real_array(X, "X", None, kernel.dtype)
    F = kernel.n["x"]
    if X.ndim != 4 or X.shape[3] != F or X.shape[0] < 1:
        raise InputError(f"X has shape {X.shape}; expected (B, T, N, {F}) (batch, time steps, nodes, features)")
    B, T, N, _ = X.shape
    if T < 2 * (Kt - 1) + 1:
        raise InputError(f"X has T = {T} time steps; two temporal convolutions of kernel_size {Kt} need "
                         f"T >= {2 * (Kt - 1) + 1}")
    src, dst, w = _edges(graph, N)
    offsets = np.repeat(np.arange(B) * N, src.size)
    copies = GraphOperators(from_edges(np.tile(src, B) + offsets, np.tile(dst, B) + offsets, B * N, np.tile(w, B)))
    entries_kernel = recurrent.compiled(laplacian_entries(), dtype=kernel.dtype)
    ell, entries = entries_kernel.forward(copies, {"w": np.tile(w, B)[:, None]})
    stream = X.transpose(1, 0, 2, 3).reshape(T, B * N, F)
    initial = {f"x_{j}": stream[Kt - 1 - j] for j in range(1, Kt)}
    constants = {"ell": ell["ell"], **_batch_norm(batch_norm, N, B, kernel.dtype)}
    ys, _, run = recurrent.run(kernel, copies, stream[Kt - 1:], initial, constants=constants)
    Y = ys[Kt - 1:].reshape(T - 2 * (Kt - 1), B, N, -1).transpose(1, 0, 2, 3)
    return Y, STGCNTape(entries, entries_kernel, run, np.stack([src, dst]), X.shape, Kt)


def stgcn_backward(tape: STGCNTape, dY) -> dict:
    """Gradients of every parameter, ``"x"`` (B, T, N, F), ``"edge_weight"`` (E,) and BatchNorm's ``"weight"``, ``"bias"``.

    ``"edge_weight"`` follows the rows of ``tape.edge_index`` (each direction of an undirected edge is a row,
    as in PyG's ``edge_index``; the gradient of the undirected weight is the sum of its two rows).

    Examples
    --------
    >>> import networkx as nx, numpy as np, symrnn
    >>> from symrnn.graphs.stgcn import stgcn
    >>> k = symrnn.compile(stgcn(2, 2), F=1, H=1, G=1)
    >>> Y, tape = stgcn_forward(k, nx.path_graph(3), np.ones((2, 3, 3, 1)))
    >>> g = stgcn_backward(tape, np.ones_like(Y))
    >>> g["x"].shape, g["edge_weight"].shape, tape.edge_index.tolist()
    ((2, 3, 3, 1), (4,), [[1, 0, 2, 1], [0, 1, 1, 2]])
    """
    if not isinstance(tape, STGCNTape):
        raise InputError(f"tape must be the STGCNTape of stgcn_forward, got {type(tape).__name__}")
    B, T, N, F = tape.shape
    Kt, run = tape.width, tape.run
    T2 = T - 2 * (Kt - 1)
    dY = real_array(dY, "dY", (B, T2, N, run.kernel.n["y"]), run.kernel.dtype)
    d_outputs = np.zeros((T - Kt + 1, B * N, dY.shape[3]), run.kernel.dtype)
    d_outputs[Kt - 1:] = dY.transpose(1, 0, 2, 3).reshape(T2, B * N, -1)
    g = recurrent.backward(run, d_outputs)
    dx = np.empty((T, B * N, F), run.kernel.dtype)
    dx[Kt - 1:] = g.pop("x")
    for j in range(1, Kt):
        dx[Kt - 1 - j] = g.pop(f"x_{j}")
    dw = tape.entries_kernel.backward(tape.entries, {"ell": g.pop("ell")})["w"]
    out = {p: g[p] for p in run.kernel.params}
    out["x"] = dx.reshape(T, B, N, F).transpose(1, 0, 2, 3)
    out["edge_weight"] = dw.reshape(B, -1).sum(0)
    for ours, theirs in (("gamma", "weight"), ("beta", "bias")):
        out[theirs] = g[ours].reshape(B, N).sum(0)
    return out
