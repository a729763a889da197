"""Graph attention layer (GAT), forward and backward on scipy.sparse.

For each head h (z_i^h = (x_i W)^h, the h-th block of C columns):

    e_ij^h = LeakyReLU(a_src^h · z_j^h + a_dst^h · z_i^h),
    α_ij^h = exp(e_ij^h) / Σ_{k ∈ N̄(i)} exp(e_ik^h),      N̄(i) = N(i) ∪ {i},
    y_i^h  = Σ_{j ∈ N̄(i)} α_ij^h z_j^h,

then the heads are concatenated (N, H·C) or averaged (N, C) and ``b`` added —
PyG ``GATConv`` with ``add_self_loops=True``: existing self-loops are dropped
and one loop per node added, so the softmax always runs over the closed
neighbourhood (an isolated node attends only to itself: y_i = z_i + b).
Veličković et al.'s a = [a_dst ‖ a_src] splits the same way.  Edge weights are
ignored (only the pattern matters, as in ``GATConv`` without ``edge_dim``); a
directed edge j → i lets i attend to j.  An edge listed m times in an edge
list (:attr:`~symrnn.graphs.Graph.multiplicity`) is attended to m times, as
PyG does with a repeated column of ``edge_index``: its exp(e_ij) enters the
softmax m times (α_ij below is the sum over its copies).  The softmax subtracts each
neighbourhood's maximum before ``exp``, so it never overflows.

Layout: ``W`` is (F, H·C) (PyG ``lin.weight.T``), ``att_src``/``att_dst`` are
(H, C) (PyG's (1, H, C) without the 1), ``b`` is (H·C,) or (C,).

References
----------
P. Veličković, G. Cucurull, A. Casanova, A. Romero, P. Liò and Y. Bengio,
"Graph Attention Networks", ICLR 2018.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sps

from ..errors import InputError
from ..numeric.params import boolean, real_number
from .graph import Graph, as_graph, check_features, check_param, check_tape

__all__ = ["GATTape", "closed_neighbourhoods", "attention_pattern", "gat", "gat_forward", "gat_backward"]

_CHUNK = 1 << 20  # entries per block of the per-edge dot products (bounds temporary memory)


def _copies(g: Graph) -> sps.csr_array:
    """The graph's pattern, each entry the number of copies of its edge (1 unless an edge list repeats it)."""
    P = g.adjacency.copy()
    P.data = np.ones_like(P.data) if g.multiplicity is None else g.multiplicity.data.astype(np.float64)
    return P


def closed_neighbourhoods(graph) -> sps.csr_array:
    """The pattern of N̄(i) = N(i) ∪ {i}: row i lists the nodes i attends to.

    Entries are 1, or the number of copies of an edge an edge list repeats;
    existing self-loops are replaced by one loop per node (PyG's ``GATConv``).

    Examples
    --------
    >>> import networkx as nx
    >>> closed_neighbourhoods(nx.DiGraph([(0, 1)])).toarray()
    array([[1., 0.],
           [1., 1.]])
    """
    g = as_graph(graph)

    def build():
        P = _copies(g)
        P.setdiag(0.0)
        P.eliminate_zeros()
        P = (P + sps.identity(g.num_nodes, format="csr")).tocsr()
        P.sort_indices()
        return P

    return g.cached(("closed",), build)


def attention_pattern(graph, *, add_self_loops: bool = True) -> sps.csr_array:
    """Who attends to whom: :func:`closed_neighbourhoods`, or the graph's own pattern (loops as given).

    ``add_self_loops=False`` is PyG's ``GATConv(add_self_loops=False)``: existing
    self-loops stay, none are added, and a node without in-edges gets y_i = b.

    Examples
    --------
    >>> import networkx as nx
    >>> attention_pattern(nx.DiGraph([(0, 1)]), add_self_loops=False).toarray()
    array([[0., 0.],
           [1., 0.]])
    """
    if add_self_loops:
        return closed_neighbourhoods(graph)
    g = as_graph(graph)

    return g.cached(("pattern",), lambda: _copies(g))


def _segments(P):
    """Row starts of the non-empty rows of P and the mask of those rows."""
    nonempty = np.diff(P.indptr) > 0
    return P.indptr[:-1][nonempty], nonempty


def _reduce(ufunc, values, segments):
    """Per-row ``ufunc.reduce`` over the edges of each row (0 for rows without edges)."""
    starts, nonempty = segments
    out = np.zeros((nonempty.size,) + values.shape[1:])
    if starts.size:
        out[nonempty] = ufunc.reduceat(values, starts, axis=0)
    return out


@dataclass(frozen=True, eq=False)
class GATTape:
    """Forward values kept for :func:`gat_backward`; also the attention weights.

    ``edge_index`` is (2, E) with rows (source j, target i), PyG's layout, and
    ``attention`` is (E, H): α_ij for that edge and head (each edge once; for
    an edge an edge list repeats, the sum over its copies, each copy α_ij / m).
    """

    graph: Graph
    pattern: sps.csr_array
    X: np.ndarray
    W: np.ndarray
    att_src: np.ndarray
    att_dst: np.ndarray
    Z: np.ndarray  # (N, H, C)
    positive: np.ndarray  # (E, H) bool: pre-activation > 0
    attention: np.ndarray  # (E, H)
    concat: bool
    negative_slope: float
    has_bias: bool

    @property
    def edge_index(self) -> np.ndarray:
        rows = np.repeat(np.arange(self.pattern.shape[0]), np.diff(self.pattern.indptr))
        return np.stack([self.pattern.indices.astype(np.int64), rows])


def _edge_dot(G, Z, rows, cols):
    """(E, H): G[rows[e], h] · Z[cols[e], h] over C, in bounded blocks."""
    E, (_, H, C) = rows.size, Z.shape
    out = np.empty((E, H))
    step = max(1, _CHUNK // (H * C))
    for s in range(0, E, step):
        r, c = rows[s:s + step], cols[s:s + step]
        out[s:s + step] = np.einsum("ehc,ehc->eh", G[r], Z[c])
    return out


def gat_forward(graph, X, W, att_src, att_dst, b=None, *, concat: bool = True, negative_slope: float = 0.2,
                add_self_loops: bool = True):
    """Multi-head graph attention and the tape for :func:`gat_backward`.

    Parameters
    ----------
    graph : networkx graph or Graph
    X : array_like, shape (N, F)
    W : array_like, shape (F, H*C)
    att_src, att_dst : array_like, shape (H, C)
    b : array_like, shape (H*C,) if ``concat`` else (C,), optional
    concat : bool
        Concatenate the heads (True) or average them (False).
    negative_slope : float
        LeakyReLU slope (0.2 in the paper and PyG).
    add_self_loops : bool
        Attend over the closed neighbourhood (default, as the paper and PyG);
        False attends over in-neighbours only (see :func:`attention_pattern`).

    Returns
    -------
    Y : ndarray, shape (N, H*C) or (N, C)
    tape : GATTape
        ``tape.edge_index`` and ``tape.attention`` are the attention weights.

    Examples
    --------
    >>> import networkx as nx, numpy as np
    >>> X = np.array([[1.0], [2.0], [6.0]])
    >>> zeros = np.zeros((1, 1))                    # a = 0: the closed-neighbourhood mean
    >>> Y, tape = gat_forward(nx.path_graph(3), X, np.eye(1), zeros, zeros)
    >>> Y.ravel().tolist()
    [1.5, 3.0, 4.0]
    """
    g = as_graph(graph)
    X = check_features(g, X)
    att_src = check_param(att_src, (None, None), "att_src")
    H, C = att_src.shape
    if H < 1 or C < 1:
        raise InputError(f"att_src must have shape (heads, channels) with both >= 1, got {att_src.shape}")
    att_dst = check_param(att_dst, (H, C), "att_dst")
    W = check_param(W, (X.shape[1], H * C), "W")
    bias = None if b is None else check_param(b, (H * C if concat else C,), "b")
    slope = real_number(negative_slope, "negative_slope")
    concat = boolean(concat, "concat")
    P = attention_pattern(g, add_self_loops=boolean(add_self_loops, "add_self_loops"))
    N, seg = g.num_nodes, _segments(P)
    rows = np.repeat(np.arange(N), np.diff(P.indptr))
    cols = P.indices
    Z = (X @ W).reshape(N, H, C)
    s_src = np.einsum("nhc,hc->nh", Z, att_src)
    s_dst = np.einsum("nhc,hc->nh", Z, att_dst)
    pre = s_src[cols] + s_dst[rows]
    positive = pre > 0
    e = np.where(positive, pre, slope * pre)
    e -= _reduce(np.maximum, e, seg)[rows]
    np.exp(e, out=e)
    if g.multiplicity is not None:  # an edge's copies: its exp(e) counted once per copy
        e *= P.data[:, None]
    e /= _reduce(np.add, e, seg)[rows]
    alpha = e
    out = np.empty((N, H, C))
    for h in range(H):
        out[:, h] = sps.csr_array((alpha[:, h], cols, P.indptr), shape=(N, N)) @ Z[:, h]
    Y = out.reshape(N, H * C) if concat else out.mean(axis=1)
    if bias is not None:
        Y += bias
    tape = GATTape(g, P, X, W, att_src, att_dst, Z, positive, alpha, bool(concat), slope, bias is not None)
    return Y, tape


def gat_backward(tape: GATTape, dY) -> dict:
    """Gradients ``{"X", "W", "att_src", "att_dst", "b"}`` given ∂L/∂Y.

    Softmax: ∂e_ij = α_ij (∂α_ij − Σ_k α_ik ∂α_ik); LeakyReLU: × 1 or the slope.

    Examples
    --------
    >>> import networkx as nx, numpy as np
    >>> zeros = np.zeros((1, 1))
    >>> Y, tape = gat_forward(nx.path_graph(2), np.ones((2, 1)), np.eye(1), zeros, zeros)
    >>> gat_backward(tape, np.ones_like(Y))["W"].ravel().tolist()
    [2.0]
    """
    check_tape(tape, GATTape, "gat_forward")
    N, H, C = tape.Z.shape
    dY = check_param(dY, (N, H * C if tape.concat else C), "dY")
    G = dY.reshape(N, H, C) if tape.concat else np.broadcast_to(dY[:, None, :] / H, (N, H, C))
    P, alpha = tape.pattern, tape.attention
    seg, cols = _segments(P), P.indices
    rows = np.repeat(np.arange(N), np.diff(P.indptr))
    dZ = np.empty((N, H, C))
    for h in range(H):
        dZ[:, h] = sps.csr_array((alpha[:, h], cols, P.indptr), shape=(N, N)).T @ G[:, h]
    dalpha = _edge_dot(G, tape.Z, rows, cols)
    de = alpha * (dalpha - _reduce(np.add, alpha * dalpha, seg)[rows])
    dpre = np.where(tape.positive, de, tape.negative_slope * de)
    ds_dst = _reduce(np.add, dpre, seg)
    ds_src = np.stack([np.bincount(cols, dpre[:, h], minlength=N) for h in range(H)], axis=1)
    dZ += ds_src[:, :, None] * tape.att_src + ds_dst[:, :, None] * tape.att_dst
    dZ2 = dZ.reshape(N, H * C)
    grads = {
        "X": dZ2 @ tape.W.T,
        "W": tape.X.T @ dZ2,
        "att_src": np.einsum("nh,nhc->hc", ds_src, tape.Z),
        "att_dst": np.einsum("nh,nhc->hc", ds_dst, tape.Z),
    }
    if tape.has_bias:
        grads["b"] = dY.sum(axis=0)
    return grads


def gat(graph, X, W, att_src, att_dst, b=None, *, concat: bool = True, negative_slope: float = 0.2,
        add_self_loops: bool = True):
    """The GAT layer's output (see :func:`gat_forward`).

    Examples
    --------
    >>> import networkx as nx, numpy as np
    >>> one = np.ones((1, 1))
    >>> gat(nx.empty_graph(2), np.array([[1.0], [2.0]]), one, one, one).ravel().tolist()
    [1.0, 2.0]
    """
    return gat_forward(graph, X, W, att_src, att_dst, b, concat=concat, negative_slope=negative_slope,
                       add_self_loops=add_self_loops)[0]
