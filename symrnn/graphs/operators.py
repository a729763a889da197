"""The graph operators of :data:`symrnn.spec.operators.OPERATORS` as numbers, for one graph.

:class:`GraphOperators` builds, once per graph, the edge list (every copy of a
repeated edge is its own row, as PyG's ``edge_index`` is) and the sparse
matrices the operators stand for, and applies them to (rows, units) arrays:

* ``gather_src`` / ``gather_dst``: ``V[src]`` / ``V[dst]`` (an index, no product);
* ``scatter_src`` / ``scatter_dst``: a CSR product with S_srcᵀ / S_dstᵀ (N × E),
  split across threads for large products (:mod:`symrnn.graphs._sparse`);
* node-to-node operators (``gcn_norm``, ``adjacency``, ``mean_in``,
  ``cheb_lt`` and their transposes) from :mod:`symrnn.graphs.normalize`;
  DCRNN's random walks ``walk_out`` / ``walk_in`` (and transposes) from
  :func:`symrnn.graphs.filters.diffusion_supports`.

``edges`` chooses the edge space: ``"as_given"`` (the graph's edges),
``"self_loops"`` (GAT: loops removed, then one per node, PyG
``add_self_loops=True``).  Every operator is applied by name, and its adjoint
(``OPERATORS[name].adjoint``) is the transpose, so reverse mode is
``v̄ += apply(adjoint, ā)``.

Examples
--------
>>> import networkx as nx, numpy as np
>>> ops = GraphOperators(nx.DiGraph([(0, 1), (2, 1)]))
>>> ops.rows("edge"), ops.apply("scatter_dst", np.ones((2, 1))).ravel().tolist()
(2, [0.0, 2.0, 0.0])
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sps

from ..errors import InputError
from ..spec.operators import OPERATORS, operator
from . import _edge_kernels
from ._sparse import matmul, row_blocks
from .readouts import READOUTS as _READOUTS, check_pairs as _pairs
from .graph import as_graph

__all__ = ["GraphOperators", "EDGE_SETS", "OPTIONS", "check_options"]

EDGE_SETS = ("as_given", "self_loops")

OPTIONS = {"edges": "as_given", "add_self_loops": True, "improved": False, "lambda_max": 2.0, "normalization": "sym"}
# (``pairs``, the node pairs of the "pair" space, is given per call, never fixed by a description)
"""The options of :class:`GraphOperators` and their defaults (a graph layer's description may fix them)."""


def _gather(V: np.ndarray, index: np.ndarray) -> np.ndarray:
    """``V[index]`` along the rows: ``take`` of a contiguous array (2.5x faster than indexing a column block
    of a wider array, measured at 10⁶ edges × 8 units); object arrays (60-digit re-checks) are indexed."""
    if V.dtype == object:
        return V[index]
    return np.ascontiguousarray(V).take(index, axis=0)


def check_options(options) -> tuple:
    """``options`` as a sorted tuple of (name, value), unknown names refused.

    Examples
    --------
    >>> check_options({"edges": "self_loops"})
    (('edges', 'self_loops'),)
    """
    unknown = sorted(set(options) - set(OPTIONS))
    if unknown:
        raise InputError(f"graph options {unknown} are unknown; known: {sorted(OPTIONS)}")
    if "edges" in options and options["edges"] not in EDGE_SETS:
        raise InputError(f"edges must be one of {EDGE_SETS}, got {options['edges']!r}")
    return tuple(sorted(options.items()))


class GraphOperators:
    """The operators of one graph: ``apply(name, V)`` and ``rows(space)``.

    Parameters
    ----------
    graph : networkx graph or :class:`~symrnn.graphs.graph.Graph`
    edges : {"as_given", "self_loops"}
        The edge space (see the module docstring).
    add_self_loops, improved : bool
        ``gcn_norm``'s options (PyG ``GCNConv``).
    lambda_max, normalization
        ``cheb_lt``'s λ_max and Laplacian (PyG ``ChebConv``; 2 and ``"sym"`` by default).
    """

    def __init__(self, graph, *, edges: str = "as_given", add_self_loops: bool = True, improved: bool = False,
                 lambda_max: float = 2.0, normalization: str | None = "sym", pairs=None, max_nodes: int = 4000):
        from ..numeric.params import boolean

        if edges not in EDGE_SETS:
            raise InputError(f"edges must be one of {EDGE_SETS}, got {edges!r}")
        self.graph = as_graph(graph)
        self.edges = edges
        self.add_self_loops, self.improved = boolean(add_self_loops, "add_self_loops"), boolean(improved, "improved")
        self.lambda_max, self.normalization = lambda_max, normalization
        self.src, self.dst = self._edge_list()
        self.pairs = None if pairs is None else _pairs(pairs, self.graph.num_nodes)
        self.max_nodes = max_nodes  # the dense eigenbasis of the spectral operators refuses larger graphs
        self._built: dict = {}

    def _edge_list(self):
        g = self.graph
        A = g.adjacency
        counts = np.ones(A.nnz, dtype=np.int64) if g.multiplicity is None else \
            np.asarray(g.multiplicity.tocsr()[A.nonzero()]).ravel().astype(np.int64)
        dst = np.repeat(np.arange(g.num_nodes), np.diff(A.indptr))
        src = A.indices.astype(np.int64)
        if g.multiplicity is not None:
            src, dst = np.repeat(src, counts), np.repeat(dst, counts)
        if self.edges == "self_loops":
            keep = src != dst
            loops = np.arange(g.num_nodes)
            src, dst = np.concatenate([src[keep], loops]), np.concatenate([dst[keep], loops])
        return src, dst

    def rows(self, space: str | None) -> int:
        """Rows of a space: N for ``"node"``, E for ``"edge"``, the pairs given for ``"pair"``, 1 for ``"graph"``."""
        if space == "node":
            return self.graph.num_nodes
        if space == "edge":
            return len(self.src)
        if space == "pair":
            if self.pairs is None:
                raise InputError("pairs: this layer scores node pairs; pass pairs=(2, P) node indices")
            return self.pairs.shape[1]
        if space == "graph":
            return 1
        if space == "spectrum":
            return self.graph.num_nodes
        raise InputError(f"rows: space must be 'node', 'edge', 'pair', 'graph' or 'spectrum', got {space!r}")

    def _matrix(self, name):
        if name in self._built:
            return self._built[name]
        from . import normalize as nz

        g, N, E = self.graph, self.graph.num_nodes, len(self.src)
        if name in ("scatter_src", "scatter_dst"):
            index = self.src if name == "scatter_src" else self.dst
            M = sps.csr_array((np.ones(E), (index, np.arange(E))), shape=(N, E))
        elif name in ("adjacency", "adjacency_T"):
            M = g.adjacency if name == "adjacency" else g.adjacency.T.tocsr()
        elif name in ("mean_in", "mean_in_T", "sum_in", "sum_in_T"):  # unweighted: every edge (copy) counts once
            M = sps.csr_array((np.ones(E), (self.dst, self.src)), shape=(N, N))  # PyG's add / mean aggregation
            if name.startswith("mean"):
                deg = np.asarray(M.sum(axis=1)).ravel()
                M = sps.diags_array(np.divide(1.0, deg, out=np.zeros_like(deg), where=deg > 0)) @ M
            M = (M.T if name.endswith("_T") else M).tocsr()
        elif name in ("gcn_norm", "gcn_norm_T"):
            M = nz.gcn_operator(g.require_undirected("gcn"), add_self_loops=self.add_self_loops,
                                improved=self.improved)
        elif name in ("laplacian", "laplacian_T"):
            M = nz.laplacian(g.require_undirected("laplacian"))
        elif name in ("eig", "eig_T"):
            from .spectral import spectrum

            U = spectrum(g.require_undirected("spectral"), max_nodes=self.max_nodes)[1]
            M = U if name == "eig" else np.ascontiguousarray(U.T)
            self._built[name] = (M, None)
            return self._built[name]
        elif name in ("cheb_lt", "cheb_lt_T"):
            M = nz.scaled_laplacian(g.require_undirected("cheb"), self.lambda_max, self.normalization)
            M = M if name == "cheb_lt" else M.T.tocsr()  # "rw" is not symmetric: the adjoint is the transpose
        elif name in ("walk_out", "walk_out_T", "walk_in", "walk_in_T"):  # weighted, directed; zero rows stay zero
            from .filters import diffusion_supports

            M = diffusion_supports(g)[name.startswith("walk_in")]
            M = (M.T if name.endswith("_T") else M).tocsr()
        else:
            raise InputError(f"{name}: not a matrix operator")
        blocks = getattr(M, "blocks", None) if not sps.issparse(M) else row_blocks(M)
        self._built[name] = (M, blocks)
        return self._built[name]

    def apply(self, name: str, V: np.ndarray) -> np.ndarray:
        """``Op @ V`` for the operator ``name`` (V has the rows of its source space)."""
        row = operator(name)
        if name == "sum_units":
            return V.sum(axis=1, keepdims=True)
        if V.shape[0] != self.rows(row.source):
            raise InputError(f"{name}: expected {self.rows(row.source)} rows (one per {row.source}), got {V.shape[0]}")
        if name in _READOUTS:
            return _READOUTS[name](self, V)
        if name in ("gather_src", "gather_dst"):
            return _gather(V, self.src if name == "gather_src" else self.dst)
        if name == "segmax_dst":
            return self._segmax(V)
        if name == "max_in":
            return self._max_in(V)
        if V.dtype == object and name in ("scatter_src", "scatter_dst"):  # 60 digits: the same sums, exactly
            out = np.zeros((self.graph.num_nodes,) + V.shape[1:], dtype=object)
            out[...] = 0
            np.add.at(out, self.src if name == "scatter_src" else self.dst, V)
            return out
        if V.dtype == object:  # a 60-digit re-check: the operator built in mpmath from the graph itself
            return self._dense_mp(name) @ V
        M, blocks = self._matrix(name)
        if sps.issparse(M):
            return matmul(M, blocks, V)
        return M @ V  # a dense eigenbasis, or a factored operator (Â)

    def _dense_mp(self, name):
        """The operator as a dense object array of mpmath numbers, built from the graph's weights at 60 digits.

        Degrees, square roots and quotients are computed in mpmath (a float64 matrix of 1/3 or 2^{-1/2}
        would be off by round-off, and a 60-digit re-check would report that as a difference).
        """
        import mpmath

        key = ("mp", name, mpmath.mp.dps)
        if key in self._built:
            return self._built[key]
        g, N = self.graph, self.graph.num_nodes
        base = name[:-2] if name.endswith("_T") else name
        A = np.empty((N, N), dtype=object)  # A[i, j]: weight of j → i, exact (a float64 is a dyadic rational)
        A[:] = mpmath.mpf(0)
        coo = g.adjacency.tocoo()
        for i, j, w in zip(coo.row, coo.col, coo.data):
            A[i, j] = A[i, j] + mpmath.mpf(float(w))
        zero, one = mpmath.mpf(0), mpmath.mpf(1)

        def scale_rows(M, d):
            return np.array([[d[i] * M[i, j] for j in range(N)] for i in range(N)], dtype=object)

        def inv(x, power=1):
            return one / (x ** power) if x != 0 else zero

        if base == "adjacency":
            M = A
        elif base in ("mean_in", "sum_in"):
            C = np.empty((N, N), dtype=object)
            C[:] = zero
            for e_src, e_dst in zip(self.src, self.dst):
                C[e_dst, e_src] = C[e_dst, e_src] + one
            M = scale_rows(C, [inv(sum(C[i])) for i in range(N)]) if base == "mean_in" else C
        elif base == "gcn_norm":
            At = A.copy()
            if self.add_self_loops:
                for i in range(N):
                    if At[i, i] == 0 and g.adjacency[i, i] == 0:
                        At[i, i] = mpmath.mpf(2 if self.improved else 1)
            d = [sum(At[i]) for i in range(N)]
            r = [inv(mpmath.sqrt(x)) for x in d]
            M = np.array([[r[i] * At[i, j] * r[j] for j in range(N)] for i in range(N)], dtype=object)
        elif base == "cheb_lt":
            A0 = A.copy()
            for i in range(N):
                A0[i, i] = zero
            d = [sum(A0[i]) for i in range(N)]
            I = np.array([[one if i == j else zero for j in range(N)] for i in range(N)], dtype=object)
            if self.normalization == "sym":
                r = [inv(mpmath.sqrt(x)) for x in d]
                L = I - np.array([[r[i] * A0[i, j] * r[j] for j in range(N)] for i in range(N)], dtype=object)
            elif self.normalization == "rw":
                L = I - scale_rows(A0, [inv(x) for x in d])
            else:
                L = np.array([[d[i] if i == j else zero for j in range(N)] for i in range(N)], dtype=object) - A0
            M = (2 / mpmath.mpf(float(self.lambda_max))) * L - I
        elif base == "laplacian":
            A0 = A.copy()
            for i in range(N):
                A0[i, i] = zero
            d = [sum(A0[i]) for i in range(N)]
            r = [inv(mpmath.sqrt(x)) for x in d]
            M = np.array([[(one if i == j else zero) - r[i] * A0[i, j] * r[j] for j in range(N)] for i in range(N)],
                         dtype=object)
        elif base == "eig":  # the eigenbasis at 60 digits (mpmath's symmetric eigensolver)
            Lm = mpmath.matrix(self._dense_mp("laplacian").tolist())
            lam, U = mpmath.eigsy(Lm)
            order = sorted(range(N), key=lambda k: lam[k])
            M = np.array([[U[i, k] for k in order] for i in range(N)], dtype=object)
            if name == "eig_T":
                M = M.T.copy()
            self._built[key] = M
            return M
        elif base in ("walk_out", "walk_in"):
            W = A.T if base == "walk_out" else A  # walk_out: W[i, j] the weight of i → j
            M = scale_rows(W, [inv(sum(W[i])) for i in range(N)])
        else:
            raise InputError(f"{name}: no 60-digit form")
        M = M.T.copy() if name.endswith("_T") else M
        self._built[key] = M
        return M

    def _segments(self):
        """The edges sorted by target: ``(order, starts, nodes)``, one segment per node with an in-edge."""
        if "segmax" not in self._built:
            order = np.argsort(self.dst, kind="stable")
            starts = np.flatnonzero(np.r_[True, np.diff(self.dst[order]) != 0]) if len(order) else np.zeros(0, int)
            self._built["segmax"] = (order, starts, self.dst[order][starts] if len(order) else starts)
        return self._built["segmax"]

    def _segmax(self, V):
        """Per node, the largest row of ``V`` over its incoming edges (0 for a node without one)."""
        order, starts, nodes = self._segments()
        out = np.zeros((self.graph.num_nodes,) + V.shape[1:], V.dtype)
        if V.dtype == object:  # mpmath entries: the same maximum, one segment at a time
            out[...] = 0
            for k, lo in enumerate(starts):
                hi = starts[k + 1] if k + 1 < len(starts) else len(order)
                rows = V[order[lo:hi]]
                out[nodes[k]] = [max(col) for col in rows.T]
            return out
        if len(order):
            out[nodes] = np.maximum.reduceat(V[order], starts, axis=0)
        return out

    def _max_in(self, V):
        """``max_in``: per node and unit, the largest ``V[j]`` over the edges j → i (0 without one)."""
        return self._segmax(_gather(V, self.src))

    def max_backward(self, name: str, V: np.ndarray, M: np.ndarray, G: np.ndarray) -> np.ndarray:
        """V̄ of ``M = max_in(V)`` given M̄ = ``G``: each node's adjoint goes to the source of its arg-max edge.

        Per node i and unit u, the in-edges whose value equals the maximum share ``G[i, u]`` equally (the rule
        of ``torch.scatter_reduce(..., "amax")``, so two copies of a repeated edge pass it on whole); a node
        without in-edges passes nothing.
        """
        if name != "max_in":
            raise InputError(f"{name}: no routing rule (only max_in has one)")
        order, starts, nodes = self._segments()
        if not len(order):
            return np.zeros_like(V)
        edge_src = self.src[order]
        per_edge = np.repeat(np.arange(len(starts)), np.diff(np.r_[starts, len(order)]))  # segment of each edge
        hit = _gather(V, edge_src) == _gather(M, nodes)[per_edge]  # (E, units): an arg-max edge
        if V.dtype == object:  # a 60-digit re-check: the same rule on mpmath entries
            hit = hit.astype(object)
            ends = np.r_[starts[1:], len(order)]
            count = np.array([hit[lo:hi].sum(axis=0) for lo, hi in zip(starts, ends)], dtype=object)
            out = np.zeros(V.shape, dtype=object)
            out[...] = 0
            np.add.at(out, edge_src, hit * (_gather(G, nodes) / count)[per_edge])
            return out
        count = np.add.reduceat(hit.astype(V.dtype), starts, axis=0)
        routed = hit * (_gather(G, nodes) / count)[per_edge]
        S = sps.csr_array((np.ones(len(order)), (edge_src, np.arange(len(order)))),
                          shape=(self.graph.num_nodes, len(order))).tocsr()
        return matmul(S, row_blocks(S), routed)

    def _ends(self, scatter: str, gather: str):
        rows = self.dst if scatter == "scatter_dst" else self.src
        cols = self.src if gather == "gather_src" else self.dst
        return rows, cols

    def _weighted_pattern(self, scatter: str, gather: str, transpose: bool):
        """CSR structure of S_scatterᵀ diag(w) S_gather (or its transpose) and the edge order of its entries."""
        key = ("weighted", scatter, gather, transpose)
        if key not in self._built:
            rows, cols = self._ends(scatter, gather)
            if transpose:
                rows, cols = cols, rows
            order = np.argsort(rows, kind="stable")
            indptr = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=self.graph.num_nodes))])
            self._built[key] = (order, cols[order].astype(np.int32), indptr.astype(np.int32))
        return self._built[key]

    def weighted(self, scatter: str, gather: str, w: np.ndarray, V: np.ndarray, *, transpose: bool = False):
        """``scatter(w ⊙ gather(V))`` without the per-edge messages: (S_scatterᵀ diag(w) S_gather) V as one sparse product.

        ``w`` is a per-edge (E, 1) weight (an attention coefficient); ``transpose`` applies the transposed
        matrix (reverse mode).  Repeated edges stay separate entries, as in the unfused stages.
        """
        order, indices, indptr = self._weighted_pattern(scatter, gather, transpose)
        N = self.graph.num_nodes
        if V.dtype == object:
            rows, cols = self._ends(scatter, gather)
            if transpose:
                rows, cols = cols, rows
            out = np.zeros((N,) + V.shape[1:], dtype=object)
            for e in range(len(rows)):
                out[rows[e]] = out[rows[e]] + w[e, 0] * V[cols[e]]
            return out
        if _edge_kernels.enabled(w, V):  # a compiled loop over the pattern (the fast extra)
            return _edge_kernels.weighted(indptr, indices, order, w[:, 0], V)
        M = sps.csr_array((np.ascontiguousarray(w[order, 0]), indices, indptr), shape=(N, N))
        return matmul(M, row_blocks(M), V)

    def edge_dot(self, scatter: str, G: np.ndarray, gather: str, V: np.ndarray, *, chunk: int = 1 << 16):
        """Per edge e: Σ_units G[row(e)] ⊙ V[col(e)] as an (E, 1) array, in chunks (no (E, units) array is kept)."""
        rows, cols = self._ends(scatter, gather)
        if _edge_kernels.enabled(G, V):  # a compiled loop over the edges (the fast extra)
            return _edge_kernels.edge_dot(rows, cols, G, V)
        out = np.empty((len(rows), 1), dtype=np.result_type(G.dtype, V.dtype))
        if G.dtype != object:  # one contiguous copy of each (a head's column block), then row gathers
            G, V = np.ascontiguousarray(G), np.ascontiguousarray(V)
        for lo in range(0, len(rows), chunk):
            hi = lo + chunk
            out[lo:hi, 0] = np.einsum("ij,ij->i", _gather(G, rows[lo:hi]), _gather(V, cols[lo:hi])) \
                if G.dtype != object else (G[rows[lo:hi]] * V[cols[lo:hi]]).sum(axis=1)
        return out

    def softmax(self, e: np.ndarray) -> np.ndarray:
        """α = exp(e − m) / Σ_{edges into the same node} exp(e − m), m the per-node maximum (never overflows)."""
        if _edge_kernels.enabled(e):  # one compiled pass per node (the fast extra)
            order, _, indptr = self._weighted_pattern("scatter_dst", "gather_src", False)
            return _edge_kernels.softmax(indptr, order, e)
        ex = e - self.apply("gather_dst", self._segmax(e))
        if ex.dtype == object:  # a 60-digit re-check
            import mpmath

            ex = np.vectorize(mpmath.exp, otypes=[object])(ex)
        else:
            np.exp(ex, out=ex)
        total = self.apply("gather_dst", self.apply("scatter_dst", ex))
        ex /= total
        return ex

    def softmax_backward(self, alpha: np.ndarray, G: np.ndarray) -> np.ndarray:
        """ē = α ⊙ (ᾱ − gather_dst(scatter_dst(α ⊙ ᾱ))): the softmax rule (theorem ``gat_softmax_derivatives``)."""
        if _edge_kernels.enabled(alpha, G):
            order, _, indptr = self._weighted_pattern("scatter_dst", "gather_src", False)
            return _edge_kernels.softmax_backward(indptr, order, alpha, G)
        ag = alpha * G
        return ag - alpha * self.apply("gather_dst", self.apply("scatter_dst", ag))

    def adjoint(self, name: str, G: np.ndarray) -> np.ndarray:
        """``Opᵀ @ G``: the transpose of ``name`` applied (reverse mode)."""
        row = OPERATORS[name]
        if not row.linear:
            raise InputError(f"{name} is not linear: it has no adjoint (reverse mode holds it constant)")
        return self.apply(row.adjoint, G)
