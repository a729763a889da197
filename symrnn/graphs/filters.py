"""Graph filters for spatial-temporal networks: Chebyshev and diffusion convolutions.

A :class:`GraphFilter` holds the supports of a graph convolution on a fixed
graph and applies ``Σ_k T_k(X) Θ_k``: Chebyshev terms of the scaled Laplacian
(Defferrard et al. 2016; Seo et al. 2018, GConvGRU) or random-walk powers in
both edge directions (Li et al. 2018, DCRNN, eq. 2).  The recurrent runner in
:mod:`symrnn.graphs.temporal` puts these filters in place of a cell's matrix
products.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sps

from ..errors import InputError
from .cheb import chebyshev_terms
from .graph import as_graph
from .normalize import scaled_laplacian

__all__ = ["GraphFilter", "cheb_filter", "diffusion_filter", "diffusion_supports", "diffusion_conv"]


@dataclass(frozen=True, eq=False)
class GraphFilter:
    """The supports S_m of a graph filter F(X; Θ) = Σ_m S_m X Θ_m, applied without forming them.

    ``terms(X)`` gives [S_m X], ``adjoint_terms(Y)`` gives [S_mᵀ Y].
    """

    kind: str
    num_nodes: int
    K: int
    ops: tuple

    @property
    def size(self) -> int:
        """M, the number of supports (K for Chebyshev, 2K for diffusion)."""
        return self.K if self.kind == "cheb" else 2 * self.K

    def _apply(self, X, transpose: bool):
        if self.kind == "cheb":
            L = self.ops[0].T if transpose else self.ops[0]
            return list(chebyshev_terms(L, X, self.K))
        out = []
        for P in self.ops:
            P = P.T if transpose else P
            t = X
            out.append(t)
            for _ in range(1, self.K):
                t = P @ t
                out.append(t)
        return out

    def terms(self, X):
        return self._apply(X, False)

    def adjoint_terms(self, Y):
        return self._apply(Y, True)


def _K(K) -> int:
    if isinstance(K, bool) or not isinstance(K, (int, np.integer)) or K < 1:
        raise InputError(f"K must be an integer >= 1 (number of filter terms), got {K!r}")
    return int(K)


def cheb_filter(graph, K: int, *, lambda_max: float = 2.0, normalization: str | None = "sym") -> GraphFilter:
    """Chebyshev supports T_0(L̃), …, T_{K-1}(L̃) (PyG ``ChebConv(K=K)``) of an undirected graph.

    Examples
    --------
    >>> import networkx as nx, numpy as np
    >>> f = cheb_filter(nx.path_graph(2), 2)
    >>> [t.ravel().tolist() for t in f.terms(np.array([[1.0], [3.0]]))]
    [[1.0, 3.0], [-3.0, -1.0]]
    """
    g = as_graph(graph).require_undirected("GConvGRU")
    return GraphFilter("cheb", g.num_nodes, _K(K), (scaled_laplacian(g, lambda_max, normalization),))


def diffusion_supports(graph) -> tuple:
    """(P_O, P_I) = (D_O^{-1} W, D_I^{-1} Wᵀ), W[i, j] the weight of i → j (Li et al. 2018, §2.2).

    Examples
    --------
    >>> import networkx as nx
    >>> PO, PI = diffusion_supports(nx.DiGraph([(0, 1), (0, 2)]))
    >>> PO.toarray().tolist()[0], PI.toarray().tolist()[1]
    ([0.0, 0.5, 0.5], [1.0, 0.0, 0.0])
    """
    g = as_graph(graph)
    W = sps.csr_array(g.adjacency.T)  # Graph stores target × source; the paper's W is source × target

    def rw(M):
        d = np.asarray(M.sum(axis=1)).ravel()
        inv = np.divide(1.0, d, out=np.zeros_like(d), where=d > 0)
        return sps.csr_array(sps.diags_array(inv) @ M)

    return g.cached("diffusion_supports", lambda: (rw(W), rw(sps.csr_array(W.T))))


def diffusion_filter(graph, K: int) -> GraphFilter:
    """Diffusion supports (P_O^k, k < K) then (P_I^k, k < K) of a directed weighted graph.

    Examples
    --------
    >>> import networkx as nx
    >>> diffusion_filter(nx.DiGraph([(0, 1)]), 2).size
    4
    """
    g = as_graph(graph)
    return GraphFilter("diffusion", g.num_nodes, _K(K), diffusion_supports(g))


def diffusion_conv(graph, X, Theta) -> np.ndarray:
    """Li et al.'s diffusion convolution Σ_k (P_O^k X Θ_{k,1} + P_I^k X Θ_{k,2}); ``Theta`` is (2, K, F, F').

    Examples
    --------
    >>> import networkx as nx, numpy as np
    >>> diffusion_conv(nx.DiGraph([(0, 1)]), np.ones((2, 1)), np.ones((2, 1, 1, 1))).ravel().tolist()
    [2.0, 2.0]
    """
    Theta = np.asarray(Theta, dtype=np.float64)
    if Theta.ndim != 4 or Theta.shape[0] != 2:
        raise InputError(f"Theta must have shape (2, K, F, F'), got {Theta.shape}")
    f = diffusion_filter(graph, Theta.shape[1])
    X = _features(f, X, "X")
    return sum(t @ th for t, th in zip(f.terms(X), Theta.reshape(-1, *Theta.shape[2:])))


def _features(f: GraphFilter, X, arg):
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[0] != f.num_nodes:
        raise InputError(f"{arg} has shape {X.shape} but the graph has {f.num_nodes} nodes; expected ({f.num_nodes}, F)")
    return X
