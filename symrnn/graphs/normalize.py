"""The normalised operators graph layers multiply by, as scipy.sparse CSR matrices.

========================= =================================================== =====================
operator                  formula                                             used by
========================= =================================================== =====================
:func:`gcn_adjacency`     Â = D̃^{-1/2} Ã D̃^{-1/2},  Ã = A + (missing loops)    GCN (Kipf & Welling)
:func:`laplacian`         L = I − D^{-1/2} A₀ D^{-1/2},  A₀ = A without loops  spectral filters
:func:`scaled_laplacian`  L̃ = (2/λ_max) L − I                                  ChebNet
========================= =================================================== =====================

Conventions (those of PyTorch Geometric 2.x, so results match it):

* **GCN self-loops** follow ``add_remaining_self_loops``: a node that already
  has a self-loop keeps *its* weight; every other node gets weight 1 (2 with
  ``improved=True``).  Kipf & Welling's Ã = A + I instead adds 1 to an
  existing loop; the two agree on graphs without self-loops.
* **Degrees** are weighted row sums; a zero degree gives D^{-1/2} = 0, so an
  isolated node contributes nothing (its GCN output is its own feature when
  self-loops are added, the bias alone when they are not).
* **Laplacian**: existing self-loops are dropped and L_ii = 1 for *every*
  node, isolated ones included (PyG ``get_laplacian(normalization="sym")``;
  networkx's ``normalized_laplacian_matrix`` puts 0 there instead).  Its
  eigenvalues lie in [0, 2].

References
----------
T. N. Kipf and M. Welling, "Semi-Supervised Classification with Graph
Convolutional Networks", ICLR 2017.  M. Defferrard, X. Bresson and
P. Vandergheynst, "Convolutional Neural Networks on Graphs with Fast Localized
Spectral Filtering", NeurIPS 2016.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sps

from ..errors import InputError
from ._sparse import matmul, row_blocks
from .graph import as_graph

__all__ = ["gcn_adjacency", "gcn_operator", "GCNOperator", "laplacian", "scaled_laplacian", "inv_sqrt_degree", "NORMALIZATIONS"]


def inv_sqrt_degree(adjacency) -> np.ndarray:
    """D^{-1/2} as a vector: ``deg**-0.5`` with 0 where the (row-sum) degree is 0.

    Examples
    --------
    >>> import scipy.sparse as sps
    >>> inv_sqrt_degree(sps.csr_array([[0.0, 4.0], [4.0, 0.0]])).tolist()
    [0.5, 0.5]
    """
    deg = np.asarray(adjacency.sum(axis=1)).ravel()
    out = np.zeros_like(deg)
    pos = deg > 0
    out[pos] = deg[pos] ** -0.5
    return out


def _scale(adj: sps.csr_array, left: np.ndarray, right: np.ndarray) -> sps.csr_array:
    """diag(left) · adj · diag(right) without forming the diagonals."""
    out = adj.copy()
    rows = np.repeat(np.arange(adj.shape[0]), np.diff(adj.indptr))
    out.data = left[rows] * adj.data * right[adj.indices]
    return out


@dataclass(frozen=True, eq=False)
class GCNOperator:
    """Â = D̃^{-1/2} (A + diag(s)) D̃^{-1/2} kept in factors: the raw adjacency, D̃^{-1/2} and the added loops.

    ``Â @ M`` costs one sparse product with A and two row scalings — no new sparse
    matrix is built per graph, which is most of a normalisation's cost.
    Symmetric, so ``.T`` is itself.  :meth:`tocsr` materialises Â.
    """

    adjacency: sps.csr_array
    dinv: np.ndarray  # D̃^{-1/2}
    loops: np.ndarray  # weight of the added self-loop per node (0 where one exists or none is added)
    blocks: tuple = ()  # row blocks of the adjacency for threaded products (see _sparse)

    @property
    def shape(self):
        return self.adjacency.shape

    @property
    def T(self) -> "GCNOperator":
        return self

    def __matmul__(self, M):
        d = self.dinv[:, None]
        S = d * M
        out = matmul(self.adjacency, self.blocks or ((0, self.shape[0], self.adjacency),), S)
        out *= d
        S *= (self.loops * self.dinv)[:, None]  # loops·d̃⁻¹ M = loops·d̃^{-1/2} S, in place
        out += S
        return out

    def tocsr(self) -> sps.csr_array:
        adj = (self.adjacency + sps.diags_array(self.loops, format="csr")).tocsr()
        adj.sort_indices()
        return _scale(adj, self.dinv, self.dinv)


def gcn_operator(graph, *, add_self_loops: bool = True, improved: bool = False) -> GCNOperator:
    """Â of :func:`gcn_adjacency` as a :class:`GCNOperator` (what the GCN kernel multiplies by).

    Examples
    --------
    >>> import networkx as nx, numpy as np
    >>> np.round(gcn_operator(nx.path_graph(2)) @ np.eye(2), 12).tolist()
    [[0.5, 0.5], [0.5, 0.5]]
    """
    g = as_graph(graph).require_undirected("gcn")

    def build():
        adj = g.adjacency
        loops = np.zeros(g.num_nodes)
        if add_self_loops:
            rows = np.repeat(np.arange(g.num_nodes), np.diff(adj.indptr))
            has_loop = np.zeros(g.num_nodes, dtype=bool)
            has_loop[rows[adj.indices == rows]] = True
            loops[~has_loop] = 2.0 if improved else 1.0
        deg = np.asarray(adj.sum(axis=1)).ravel() + loops
        dinv = np.zeros_like(deg)
        dinv[deg > 0] = deg[deg > 0] ** -0.5
        return GCNOperator(adj, dinv, loops, row_blocks(adj))

    return g.cached(("gcn_operator", add_self_loops, improved), build)


def gcn_adjacency(graph, *, add_self_loops: bool = True, improved: bool = False) -> sps.csr_array:
    """Kipf & Welling's renormalised adjacency Â = D̃^{-1/2} Ã D̃^{-1/2} (PyG ``gcn_norm``).

    Parameters
    ----------
    graph : networkx graph or Graph
        Must be undirected.
    add_self_loops : bool
        Add a loop of weight 1 (2 if ``improved``) to every node without one.
    improved : bool
        PyG's ``improved=True`` (loop weight 2).  PyG 2.8's ``GCNConv`` silently
        ignores ``improved`` when called without ``edge_weight``; here it always applies.

    Returns
    -------
    scipy.sparse.csr_array, shape (N, N), symmetric

    Examples
    --------
    >>> import networkx as nx
    >>> gcn_adjacency(nx.path_graph(2)).toarray()
    array([[0.5, 0.5],
           [0.5, 0.5]])
    """
    g = as_graph(graph).require_undirected("gcn_adjacency")
    op = gcn_operator(g, add_self_loops=add_self_loops, improved=improved)
    return g.cached(("gcn", add_self_loops, improved), op.tocsr)


NORMALIZATIONS = ("sym", "rw", None)
"""Laplacians: ``"sym"`` I − D^{-1/2}A₀D^{-1/2}, ``"rw"`` I − D^{-1}A₀, ``None`` D − A₀ (A₀: loops dropped)."""


def laplacian(graph, normalization: str | None = "sym") -> sps.csr_array:
    """A graph Laplacian with self-loops dropped: symmetric normalised (default), random walk, or combinatorial.

    Parameters
    ----------
    graph : networkx graph or Graph
        Undirected.
    normalization : {"sym", "rw", None}
        ``"sym"``: I − D^{-1/2} A₀ D^{-1/2} (eigenvalues in [0, 2]);
        ``"rw"``: I − D^{-1} A₀ (same eigenvalues, not symmetric);
        ``None``: D − A₀ (eigenvalues in [0, 2·max degree]).
        Isolated nodes get L_ii = 1 for ``"sym"``/``"rw"`` and 0 for ``None`` (PyG).

    Examples
    --------
    >>> import networkx as nx
    >>> laplacian(nx.path_graph(2)).toarray()
    array([[ 1., -1.],
           [-1.,  1.]])
    >>> laplacian(nx.star_graph(2), "rw").toarray()
    array([[ 1. , -0.5, -0.5],
           [-1. ,  1. ,  0. ],
           [-1. ,  0. ,  1. ]])
    """
    if normalization not in NORMALIZATIONS:
        raise InputError(f"normalization must be one of {NORMALIZATIONS}, got {normalization!r}")
    g = as_graph(graph).require_undirected("laplacian")

    def build():
        adj = g.adjacency.copy()
        adj.setdiag(0.0)
        adj.eliminate_zeros()
        I = sps.identity(g.num_nodes, format="csr")
        if normalization == "sym":
            d = inv_sqrt_degree(adj)
            out = I - _scale(adj, d, d)
        elif normalization == "rw":
            d = inv_sqrt_degree(adj) ** 2
            out = I - _scale(adj, d, np.ones_like(d))
        else:
            out = sps.diags_array(np.asarray(adj.sum(axis=1)).ravel(), format="csr") - adj
        out = out.tocsr()
        out.sort_indices()
        return out

    return g.cached(("laplacian", normalization), build)


def scaled_laplacian(graph, lambda_max: float = 2.0, normalization: str | None = "sym") -> sps.csr_array:
    """ChebNet's rescaled Laplacian L̃ = (2/λ_max) L − I (PyG ``ChebConv.__norm__``).

    With λ_max = 2 (PyG's default for ``normalization="sym"``) L̃ = −D^{-1/2} A₀ D^{-1/2}.

    Examples
    --------
    >>> import networkx as nx
    >>> scaled_laplacian(nx.path_graph(2)).toarray()
    array([[ 0., -1.],
           [-1.,  0.]])
    """
    lam = _lambda_max(lambda_max)
    g = as_graph(graph)

    def build():
        out = ((2.0 / lam) * laplacian(g, normalization) - sps.identity(g.num_nodes, format="csr")).tocsr()
        out.sort_indices()
        return out

    return g.cached(("scaled", lam, normalization), build)


def _lambda_max(value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating)) \
            or not math.isfinite(value) or value <= 0:
        raise InputError(f"lambda_max must be a finite number > 0, got {value!r}")
    return float(value)
