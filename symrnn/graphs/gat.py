"""Graph attention layer (GAT), run by the kernel generated from its description (:func:`symrnn.graphs.layers.gat`).

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
(H, C) (PyG's (1, H, C) without the 1), ``b`` is (H·C,) or (C,).  Gradients come
from the generated reverse mode (:func:`symrnn.graphs.backward`); nothing here is
a hand-written derivative.

References
----------
P. Veličković, G. Cucurull, A. Casanova, A. Romero, P. Liò and Y. Bengio,
"Graph Attention Networks", ICLR 2018.
"""

from __future__ import annotations


import numpy as np
import scipy.sparse as sps

from ..errors import InputError
from ..numeric.params import boolean, real_number
from . import layers
from .calls import kernel_for, run_layer
from .graph import Graph, as_graph, check_features, check_param

__all__ = ["closed_neighbourhoods", "attention_pattern", "gat", "gat_forward"]


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


def gat_forward(graph, X, W, att_src, att_dst, b=None, *, concat: bool = True, negative_slope: float = 0.2,
                add_self_loops: bool = True):
    """Multi-head graph attention and the call record for :func:`symrnn.graphs.backward`.

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
    call : LayerCall
        ``call.edge_index`` and ``call.attention`` (E, H) are the attention weights, one
        row per edge the softmax runs over (every copy of a repeated edge).

    Examples
    --------
    >>> import networkx as nx, numpy as np
    >>> X = np.array([[1.0], [2.0], [6.0]])
    >>> zeros = np.zeros((1, 1))                    # a = 0: the closed-neighbourhood mean
    >>> Y, call = gat_forward(nx.path_graph(3), X, np.eye(1), zeros, zeros)
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
    concat = boolean(concat, "concat")
    bias = None if b is None else check_param(b, (H * C if concat else C,), "b")
    slope = real_number(negative_slope, "negative_slope")
    loops = boolean(add_self_loops, "add_self_loops")
    kernel = kernel_for(layers.gat, (("heads", H), ("concat", concat), ("negative_slope", slope), ("bias", bias is not None),
                                     ("add_self_loops", loops)), (("F", X.shape[1]), ("C", C)))
    params = {}
    for k in range(H):
        params[f"W_{k + 1}"] = W[:, k * C:(k + 1) * C].T
        params[f"a_src_{k + 1}"], params[f"a_dst_{k + 1}"] = att_src[k][None], att_dst[k][None]
        if bias is not None and concat:
            params[f"b_{k + 1}"] = bias[k * C:(k + 1) * C]
    if bias is not None and not concat:
        params["b"] = bias

    def to_caller(grads):
        out = {"X": grads["x"], "W": np.concatenate([grads[f"W_{k + 1}"].T for k in range(H)], axis=1),
               "att_src": np.concatenate([grads[f"a_src_{k + 1}"] for k in range(H)]),
               "att_dst": np.concatenate([grads[f"a_dst_{k + 1}"] for k in range(H)])}
        if bias is not None:
            out["b"] = np.concatenate([grads[f"b_{k + 1}"] for k in range(H)]) if concat else grads["b"]
        return out

    outputs = tuple((f"h_{k + 1}", C) for k in range(H)) if concat else (("h", C),)
    return run_layer(kernel, params, g, X, outputs, to_caller)


def gat(graph, X, W, att_src, att_dst, b=None, *, concat: bool = True, negative_slope: float = 0.2,
        add_self_loops: bool = True):
    """The GAT layer's output (see :func:`gat_forward`).

    Examples
    --------
    >>> import networkx as nx, numpy as np
    >>> zeros = np.zeros((1, 1))
    >>> gat(nx.path_graph(2), np.array([[1.0], [3.0]]), np.eye(1), zeros, zeros).ravel().tolist()
    [2.0, 2.0]
    """
    return gat_forward(graph, X, W, att_src, att_dst, b, concat=concat, negative_slope=negative_slope,
                       add_self_loops=add_self_loops)[0]
