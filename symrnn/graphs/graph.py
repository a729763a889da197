"""Graphs as validated sparse adjacency matrices.

Every layer in :mod:`symrnn.graphs` reads a graph through :func:`as_graph`,
which turns a networkx graph into an immutable :class:`Graph`: the node order,
and a ``scipy.sparse`` CSR adjacency ``A`` (float64, ``A[i, j]`` the weight of
the edge ``j → i``, the PyG *source → target* flow).  An undirected edge gives
both entries.  All checks happen here, once, before any computation:

* an empty graph (no nodes) is refused;
* edge weights must be finite and non-negative (zero is allowed: a zero weight
  keeps the edge in the attention pattern of GAT but adds nothing to a degree);
* self-loops are kept with their weight (GCN keeps them, like PyG's
  ``add_remaining_self_loops``; the Laplacian and GAT drop them, like PyG);
* an edge listed more than once in an edge list (:func:`from_edges`, PyG's
  ``edge_index``) is one entry of ``adjacency`` holding the sum of its copies'
  weights — what PyG's scatter-add gives GCN and ChebConv — and
  :attr:`Graph.multiplicity` counts its copies, which GAT attends to one by
  one, as PyG's ``GATConv`` does.  networkx multigraphs are refused (pass
  their edge list to :func:`from_edges`).

Layers that need an undirected graph call :meth:`Graph.require_undirected`,
which names a non-reciprocated edge.  A ``DiGraph`` whose weighted adjacency
is symmetric counts as undirected (that is what PyG's ``is_undirected`` says).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import networkx as nx
import numpy as np
import scipy.sparse as sps

from ..errors import InputError
from ..numeric.params import real_array

__all__ = ["Graph", "as_graph", "from_edges", "check_features", "check_param", "check_tape"]


@dataclass(frozen=True, eq=False)
class Graph:
    """A validated graph: node order and weighted CSR adjacency (target × source).

    Build one with :func:`as_graph`; the constructor does not re-validate.

    Attributes
    ----------
    nodes : tuple
        Node labels; row/column ``i`` of every matrix is ``nodes[i]``.
    adjacency : scipy.sparse.csr_array, shape (N, N)
        ``adjacency[i, j]`` is the weight of the edge ``j → i``.
    symmetric : bool
        Whether ``adjacency`` equals its transpose (the graph is undirected).
    multiplicity : scipy.sparse.csr_array or None
        The number of copies of each edge, with the pattern of ``adjacency``,
        when an edge list repeats an edge; ``None`` when every edge is listed once.

    Examples
    --------
    >>> import networkx as nx
    >>> g = as_graph(nx.path_graph(3))
    >>> g.num_nodes, g.num_edges, g.symmetric
    (3, 4, True)
    """

    nodes: tuple
    adjacency: sps.csr_array
    symmetric: bool
    multiplicity: sps.csr_array | None = None
    _cache: dict = field(default_factory=dict, repr=False)

    @property
    def num_nodes(self) -> int:
        """N, the number of nodes."""
        return len(self.nodes)

    @property
    def num_edges(self) -> int:
        """Stored directed entries (an undirected edge counts twice, a self-loop once)."""
        return int(self.adjacency.nnz)

    def require_undirected(self, model: str) -> "Graph":
        """Return ``self`` if undirected, else raise :class:`InputError` naming an edge.

        Examples
        --------
        >>> import networkx as nx
        >>> as_graph(nx.DiGraph([(0, 1)])).require_undirected("gcn")
        Traceback (most recent call last):
        ...
        symrnn.errors.InputError: graph: gcn needs an undirected graph, but edge 0 -> 1 (weight 1.0) has no reverse edge of equal weight; pass G.to_undirected()
        """
        if self.symmetric:
            return self
        diff = (self.adjacency - self.adjacency.T).tocoo()
        k = int(np.argmax(np.abs(diff.data)))
        i, j = int(diff.row[k]), int(diff.col[k])
        if diff.data[k] < 0:
            i, j = j, i
        w = float(self.adjacency[i, j])
        raise InputError(
            f"graph: {model} needs an undirected graph, but edge {self.nodes[j]!r} -> {self.nodes[i]!r} "
            f"(weight {w}) has no reverse edge of equal weight; pass G.to_undirected()"
        )

    def cached(self, key, build):
        """Memoise a derived operator (normalised adjacency, Laplacian) on this graph."""
        if key not in self._cache:
            self._cache[key] = build()
        return self._cache[key]


def _weight_of(data: dict, weight: str | None, u, v) -> float:
    if weight is None or weight not in data:
        return 1.0
    w = data[weight]
    if isinstance(w, float) or (isinstance(w, int) and not isinstance(w, bool)):  # the common case, fast
        w = float(w)
    else:  # text, complex and NumPy complex scalars are refused, not parsed or cast
        arr = real_array(w, f"graph: edge {u!r} - {v!r} weight", (), finite=False)
        w = float(arr)
    if math.isnan(w) or math.isinf(w) or w < 0:
        raise InputError(f"graph: edge {u!r} - {v!r} has weight {w}; expected a finite number >= 0")
    return w


def as_graph(graph, *, weight: str | None = "weight") -> Graph:
    """Validate a networkx graph and return its :class:`Graph` (a ``Graph`` passes through).

    Parameters
    ----------
    graph : networkx.Graph or networkx.DiGraph or Graph
        Nodes in ``graph.nodes`` order.  Multigraphs are refused (sum parallel
        edges first).  A directed edge ``u → v`` means *v receives from u*.
    weight : str or None
        Edge attribute holding the weight; missing attributes and ``None``
        give weight 1.

    Returns
    -------
    Graph

    Raises
    ------
    InputError
        Not a graph, a multigraph, no nodes, or a negative / NaN / infinite weight
        (the message names the edge).

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.Graph(); G.add_edge("a", "b", weight=2.5); G.add_node("c")
    >>> g = as_graph(G)
    >>> g.adjacency.toarray()
    array([[0. , 2.5, 0. ],
           [2.5, 0. , 0. ],
           [0. , 0. , 0. ]])
    >>> as_graph(nx.Graph())
    Traceback (most recent call last):
    ...
    symrnn.errors.InputError: graph: has no nodes; a graph layer needs at least one node
    """
    if isinstance(graph, Graph):
        return graph
    if not isinstance(graph, nx.Graph):
        raise InputError(f"graph must be a networkx Graph or DiGraph, got {type(graph).__name__}")
    if graph.is_multigraph():
        raise InputError("graph: networkx multigraphs are not supported; pass their edge list to "
                         "symrnn.graphs.from_edges (or interop.edge_index_to_graph), which keeps repeated edges "
                         "as PyG does: GCN and ChebNet sum their weights, GAT attends to every copy")
    if graph.number_of_nodes() == 0:
        raise InputError("graph: has no nodes; a graph layer needs at least one node")
    nodes = tuple(graph.nodes)
    index = {u: i for i, u in enumerate(nodes)}
    rows, cols, vals = [], [], []
    directed = graph.is_directed()
    for u, v, data in graph.edges(data=True):
        w = _weight_of(data, weight, u, v)
        iu, iv = index[u], index[v]
        rows.append(iv)
        cols.append(iu)  # u -> v: v (row, target) receives from u (column, source)
        vals.append(w)
        if not directed and iu != iv:
            rows.append(iu)
            cols.append(iv)
            vals.append(w)
    n = len(nodes)
    adj = _canonical(sps.csr_array((np.asarray(vals, dtype=np.float64), (np.asarray(rows, dtype=np.int64),
                                    np.asarray(cols, dtype=np.int64))), shape=(n, n)))
    symmetric = (not directed) or (adj != adj.T).nnz == 0
    return Graph(nodes, adj, bool(symmetric))


def check_features(graph: Graph, X, arg: str = "X", *, columns: int | None = None) -> np.ndarray:
    """Return ``X`` as a float64 array of shape ``(N, F)`` or raise naming ``arg``.

    Examples
    --------
    >>> import networkx as nx
    >>> check_features(as_graph(nx.path_graph(2)), [[1.0], [2.0], [3.0]])
    Traceback (most recent call last):
    ...
    symrnn.errors.InputError: X has 3 rows but the graph has 2 nodes; expected shape (2, F)
    """
    arr = real_array(X, arg, finite=False)
    if arr.ndim != 2:
        raise InputError(f"{arg} must be 2-D (nodes, features), got shape {arr.shape}")
    if arr.shape[0] != graph.num_nodes:
        raise InputError(
            f"{arg} has {arr.shape[0]} rows but the graph has {graph.num_nodes} nodes; "
            f"expected shape ({graph.num_nodes}, F)"
        )
    if columns is not None and arr.shape[1] != columns:
        raise InputError(f"{arg} has {arr.shape[1]} columns, expected {columns}")
    if not np.all(np.isfinite(arr)):
        bad = tuple(int(i) for i in np.argwhere(~np.isfinite(arr))[0])
        raise InputError(f"{arg} has a non-finite entry at {bad} (node {graph.nodes[bad[0]]!r})")
    return arr


MAX_NODES = 1 << 28
"""Most nodes :func:`from_edges` accepts (index arrays of 2 GiB)."""


def from_edges(sources, targets, num_nodes: int, weights=None) -> Graph:
    """A :class:`Graph` from edge arrays (the PyG ``edge_index`` rows), nodes ``0..N-1``.

    Parameters
    ----------
    sources, targets : array_like of int, shape (E,)
        Edge ``sources[e] → targets[e]``; list both directions for an undirected edge.
    num_nodes : int
        N (isolated nodes have no edges).
    weights : array_like of float, shape (E,), optional
        Finite, non-negative edge weights (default 1).  A repeated edge is one
        entry of ``adjacency`` with the sum of its copies' weights, and
        :attr:`Graph.multiplicity` counts the copies (GAT attends to each).

    Examples
    --------
    >>> g = from_edges([0, 1], [1, 0], 3)
    >>> g.symmetric, g.num_edges, g.multiplicity
    (True, 2, None)
    >>> from_edges([0, 0], [1, 1], 2).multiplicity.toarray()
    array([[0., 0.],
           [2., 0.]])
    """
    if isinstance(num_nodes, bool) or not isinstance(num_nodes, (int, np.integer)) or num_nodes < 1:
        raise InputError(f"num_nodes must be an integer >= 1, got {num_nodes!r}")
    if num_nodes > MAX_NODES:
        raise InputError(f"num_nodes={num_nodes} is larger than {MAX_NODES} (the sparse index arrays would not fit in memory)")
    src = np.asarray(sources)
    dst = np.asarray(targets)
    if src.ndim != 1 or dst.shape != src.shape or (src.size and not np.issubdtype(src.dtype, np.integer)) \
            or (dst.size and not np.issubdtype(dst.dtype, np.integer)):
        raise InputError(f"sources and targets must be 1-D integer arrays of equal length, got "
                         f"{src.dtype}{src.shape} and {dst.dtype}{dst.shape}")
    if src.size and (min(src.min(), dst.min()) < 0 or max(src.max(), dst.max()) >= num_nodes):
        raise InputError(f"edge endpoints must lie in [0, {num_nodes}), got range "
                         f"[{min(src.min(), dst.min())}, {max(src.max(), dst.max())}]")
    if weights is None:
        w = np.ones(src.shape, dtype=np.float64)
    else:
        w = real_array(weights, "weights", finite=False)
        if w.shape != src.shape:
            raise InputError(f"weights must have shape {src.shape}, got {w.shape}")
        bad = ~np.isfinite(w) | (w < 0)
        if bad.any():
            e = int(np.argmax(bad))
            raise InputError(f"weights: edge {int(src[e])} -> {int(dst[e])} has weight {w[e]}; "
                             "expected a finite number >= 0")
    n = int(num_nodes)
    coords = (dst.astype(np.int64), src.astype(np.int64))
    adj = _canonical(sps.csr_array((w, coords), shape=(n, n)))
    counts = None
    if adj.nnz < src.size:  # some edge is listed more than once: count the copies (same pattern as adj)
        counts = _canonical(sps.csr_array((np.ones(src.size), coords), shape=(n, n)))
    symmetric = (adj != adj.T).nnz == 0
    return Graph(tuple(range(n)), adj, bool(symmetric), counts)


def _canonical(m: sps.csr_array) -> sps.csr_array:
    m.sum_duplicates()
    m.sort_indices()
    return m


def check_param(value, shape: tuple, arg: str) -> np.ndarray:
    """Return a parameter as float64 of ``shape`` (``None`` = any length) or raise naming ``arg``.

    Examples
    --------
    >>> check_param([[1.0, 2.0]], (1, 2), "W").shape
    (1, 2)
    """
    arr = real_array(value, arg, finite=False)
    want = tuple(shape)
    if arr.ndim != len(want) or any(w is not None and a != w for a, w in zip(arr.shape, want)):
        shown = "(" + ", ".join("any" if w is None else str(w) for w in want) + ("," if len(want) == 1 else "") + ")"
        raise InputError(f"{arg} has shape {arr.shape}, expected {shown}")
    if not np.all(np.isfinite(arr)):
        raise InputError(f"{arg} has a non-finite entry")
    return arr


def check_tape(tape, kind: type, forward: str) -> None:
    """Raise naming ``tape`` unless it is the ``kind`` a forward pass returned.

    Examples
    --------
    >>> check_tape(None, Graph, "gcn_forward")
    Traceback (most recent call last):
    ...
    symrnn.errors.InputError: tape must be the Graph returned by gcn_forward(), got NoneType
    """
    if not isinstance(tape, kind):
        raise InputError(f"tape must be the {kind.__name__} returned by {forward}(), got {type(tape).__name__}")
