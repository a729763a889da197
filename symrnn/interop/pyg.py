"""PyTorch Geometric interop: ``edge_index`` ↔ networkx / :class:`~symrnn.graphs.Graph`, layer weights.

PyG stores a graph as ``edge_index`` (2, E) of (source, target) rows, an
undirected edge as both directions, and layer weights in ``torch.nn.Linear``
layout (out, in).  :mod:`symrnn.graphs` uses the papers' layout (in, out);
the ``*_params`` functions transpose.  torch is imported only inside the
functions that need it (it is a test extra, never a runtime dependency).

References
----------
M. Fey and J. E. Lenssen, "Fast Graph Representation Learning with PyTorch
Geometric", ICLR Workshop 2019.
"""

from __future__ import annotations

import networkx as nx
import numpy as np

from ..errors import InputError
from ..graphs.graph import Graph, as_graph, from_edges

__all__ = [
    "edge_index_to_networkx", "edge_index_to_graph", "networkx_to_edge_index",
    "gcn_params", "cheb_params", "gat_params",
]


def _numpy(value, arg):
    if hasattr(value, "detach"):
        value = value.detach().cpu().numpy()
    try:
        out = np.asarray(value)
    except Exception:
        raise InputError(f"{arg} must be a tensor or array, got {type(value).__name__}") from None
    if out.dtype.kind not in "biuf":
        raise InputError(f"{arg} must hold real numbers, got an array of dtype {out.dtype} ({type(value).__name__} {value!r:.60})")
    return out


def _edges(edge_index, edge_weight, num_nodes):
    ei = _numpy(edge_index, "edge_index")
    if ei.ndim != 2 or ei.shape[0] != 2 or (ei.size and not np.issubdtype(ei.dtype, np.integer)):
        raise InputError(f"edge_index must be an integer array of shape (2, E), got {ei.dtype}{ei.shape}")
    if num_nodes is None:
        if ei.size == 0:
            raise InputError("num_nodes is required when edge_index has no edges")
        num_nodes = int(ei.max()) + 1
    w = None if edge_weight is None else _numpy(edge_weight, "edge_weight").astype(np.float64)
    if w is not None and w.shape != (ei.shape[1],):
        raise InputError(f"edge_weight must have shape ({ei.shape[1]},), one weight per edge, got {w.shape}")
    return ei, w, num_nodes


def edge_index_to_graph(edge_index, num_nodes: int | None = None, edge_weight=None) -> Graph:
    """A validated :class:`~symrnn.graphs.Graph` straight from PyG arrays (nodes ``0..N-1``).

    Examples
    --------
    >>> g = edge_index_to_graph([[0, 1], [1, 0]], num_nodes=3)
    >>> g.num_nodes, g.symmetric
    (3, True)
    """
    ei, w, n = _edges(edge_index, edge_weight, num_nodes)
    return from_edges(ei[0], ei[1], n, w)


def edge_index_to_networkx(edge_index, num_nodes: int | None = None, edge_weight=None,
                           *, directed: bool | None = None) -> nx.Graph:
    """A networkx graph from ``edge_index`` (and optional ``edge_weight`` as attribute ``"weight"``).

    ``directed=None`` gives an ``nx.Graph`` when every edge has its reverse with
    equal weight (PyG's ``is_undirected``) and an ``nx.DiGraph`` otherwise.
    ``directed=False`` on an asymmetric edge set raises :class:`InputError`, and
    so does an ``edge_index`` that lists an edge twice: a networkx graph holds
    it once, while PyG's GAT attends to each copy (and GCN counts each copy's
    weight); :func:`edge_index_to_graph` keeps the copies.

    Examples
    --------
    >>> G = edge_index_to_networkx([[0, 1, 1, 2], [1, 0, 2, 1]])
    >>> type(G).__name__, sorted(G.edges())
    ('Graph', [(0, 1), (1, 2)])
    """
    g = edge_index_to_graph(edge_index, num_nodes, edge_weight)
    if g.multiplicity is not None:
        coo = g.multiplicity.tocoo()
        k = int(np.argmax(coo.data))
        raise InputError(f"edge_index lists the edge {int(coo.col[k])} -> {int(coo.row[k])} {int(coo.data[k])} times; "
                         "a networkx graph would hold it once (PyG's GAT attends to every copy): use "
                         "edge_index_to_graph, which keeps the copies, or remove the repeats first")
    if directed is False:
        g.require_undirected("edge_index_to_networkx(directed=False)")
    und = g.symmetric if directed is None else not directed
    G = nx.Graph() if und else nx.DiGraph()
    G.add_nodes_from(range(g.num_nodes))
    coo = g.adjacency.tocoo()
    keep = coo.row >= coo.col if und else np.ones(coo.nnz, dtype=bool)
    weighted = edge_weight is not None
    for i, j, w in zip(coo.row[keep].tolist(), coo.col[keep].tolist(), coo.data[keep].tolist()):
        G.add_edge(j, i, **({"weight": w} if weighted else {}))  # column j is the source
    return G


def networkx_to_edge_index(graph, *, weight: str | None = "weight", as_tensor: bool = True):
    """``(edge_index, edge_weight, nodes)`` for PyG from a networkx graph or Graph.

    Undirected edges appear in both directions; ``nodes[i]`` is the label of
    index ``i``.  With ``as_tensor`` the arrays are ``torch`` tensors (int64,
    float64), otherwise NumPy arrays.

    Examples
    --------
    >>> import networkx as nx
    >>> ei, w, nodes = networkx_to_edge_index(nx.path_graph(2), as_tensor=False)
    >>> ei.tolist(), w.tolist(), nodes
    ([[0, 1], [1, 0]], [1.0, 1.0], (0, 1))
    """
    g = as_graph(graph, weight=weight)
    coo = g.adjacency.tocoo()
    order = np.lexsort((coo.row, coo.col))
    ei = np.stack([coo.col[order], coo.row[order]]).astype(np.int64)
    w = coo.data[order].astype(np.float64)
    if as_tensor:
        import torch

        return torch.from_numpy(ei), torch.from_numpy(w), g.nodes
    return ei, w, g.nodes


def _t(p):
    return p.detach().cpu().double().numpy().copy()


def gcn_params(conv) -> dict:
    """``{"W", "b"}`` from a PyG ``GCNConv`` (W = ``lin.weight.T``), float64 NumPy.

    Examples
    --------
    >>> from torch_geometric.nn import GCNConv
    >>> {k: v.shape for k, v in gcn_params(GCNConv(4, 3)).items()}
    {'W': (4, 3), 'b': (3,)}
    """
    out = {"W": _t(conv.lin.weight).T.copy()}
    if conv.bias is not None:
        out["b"] = _t(conv.bias)
    return out


def cheb_params(conv) -> dict:
    """``{"Theta", "b"}`` from a PyG ``ChebConv`` (Θ_k = ``lins[k].weight.T``, K terms).

    Examples
    --------
    >>> from torch_geometric.nn import ChebConv
    >>> cheb_params(ChebConv(4, 3, K=2))["Theta"].shape     # K counts terms
    (2, 4, 3)
    """
    out = {"Theta": np.stack([_t(lin.weight).T for lin in conv.lins])}
    if conv.bias is not None:
        out["b"] = _t(conv.bias)
    return out


def gat_params(conv) -> dict:
    """``{"W", "att_src", "att_dst", "b"}`` from a PyG ``GATConv`` (single shared ``lin``).

    Examples
    --------
    >>> from torch_geometric.nn import GATConv
    >>> {k: v.shape for k, v in gat_params(GATConv(4, 2, heads=3, concat=False)).items()}
    {'W': (4, 6), 'att_src': (3, 2), 'att_dst': (3, 2), 'b': (2,)}
    """
    if getattr(conv, "lin", None) is None or getattr(conv, "lin_edge", None) is not None:
        raise InputError("gat_params: only GATConv with integer in_channels and no edge_dim is supported")
    out = {"W": _t(conv.lin.weight).T.copy(), "att_src": _t(conv.att_src)[0], "att_dst": _t(conv.att_dst)[0]}
    if conv.bias is not None:
        out["b"] = _t(conv.bias)
    return out
