"""Spectral filtering g(L) X = U g(Λ) Uᵀ X, and polynomial filters Σ θ_k L^k X.

L is the symmetric normalised Laplacian of
:func:`~symrnn.graphs.normalize.laplacian` (eigenvalues in [0, 2]).
:func:`spectral_filter` diagonalises L densely (O(N³)), so it is the
definition, not a fast path, and refuses graphs above ``max_nodes``;
:func:`polynomial_filter` applies a polynomial with K sparse products and is
what a degree-m filter really costs (and why it is m-hop local).

Both maps are symmetric in the node index (g(L) = g(L)ᵀ), so each backward
pass is the same filter applied to ∂L/∂Y.

References
----------
J. Bruna, W. Zaremba, A. Szlam and Y. LeCun, "Spectral Networks and Locally
Connected Networks on Graphs", ICLR 2014.  D. K. Hammond, P. Vandergheynst and
R. Gribonval, "Wavelets on graphs via spectral graph theory", ACHA 2011.
"""

from __future__ import annotations

import numpy as np

from ..errors import InputError
from .graph import as_graph, check_features, check_param
from .normalize import laplacian

__all__ = ["spectrum", "spectral_filter", "spectral_forward", "spectral_backward", "polynomial_filter",
           "polynomial_filter_backward"]


def spectrum(graph, *, max_nodes: int = 4000):
    """Eigen-decomposition ``(lam, U)`` of L, ascending, with L = U diag(lam) Uᵀ.

    Examples
    --------
    >>> import networkx as nx, numpy as np
    >>> lam, U = spectrum(nx.path_graph(2))
    >>> np.round(lam, 12).tolist()
    [0.0, 2.0]
    """
    g = as_graph(graph)
    if g.num_nodes > max_nodes:
        raise InputError(f"graph has {g.num_nodes} nodes; spectral_filter diagonalises L densely and "
                         f"accepts at most max_nodes={max_nodes} (use polynomial_filter or cheb)")
    L = laplacian(g)
    return g.cached(("spectrum",), lambda: np.linalg.eigh(L.toarray()))


def spectral_filter(graph, X, g, *, max_nodes: int = 4000) -> np.ndarray:
    """g(L) X = U g(Λ) Uᵀ X for a vectorised response ``g`` on eigenvalues.

    Parameters
    ----------
    graph : networkx graph or Graph
        Undirected.
    X : array_like, shape (N, F)
    g : callable
        ``g(lam) -> array`` of the same shape as ``lam`` (the filter response).

    Returns
    -------
    ndarray, shape (N, F)

    Examples
    --------
    >>> import networkx as nx, numpy as np
    >>> X = np.array([[1.0], [3.0]])
    >>> np.round(spectral_filter(nx.path_graph(2), X, lambda lam: 1 - lam / 2), 12).ravel().tolist()
    [2.0, 2.0]
    """
    gr = as_graph(graph)
    X = check_features(gr, X)
    lam, U = spectrum(gr, max_nodes=max_nodes)
    if not callable(g):
        raise InputError(f"g must be a callable response g(lam) -> array, got {type(g).__name__} {g!r}")
    try:
        resp = np.asarray(g(lam), dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InputError(f"g(lam) must return numbers, one per eigenvalue; it raised {type(exc).__name__}: {exc}") from None
    if resp.shape != lam.shape or not np.all(np.isfinite(resp)):
        raise InputError(f"g must map the {lam.shape[0]} eigenvalues to as many finite numbers, got {resp.shape}")
    return U @ (resp[:, None] * (U.T @ X))


def spectral_forward(graph, X, theta, *, max_nodes: int = 4000):
    """Bruna et al.'s trainable spectral layer Y = U diag(θ) Uᵀ X, and the tape for :func:`spectral_backward`.

    ``theta`` (N,) is the filter response on the eigenvalues in ascending order
    (:func:`spectrum`); the layer is not localised and needs the dense
    eigenbasis, which is why ChebNet replaced it.

    Examples
    --------
    >>> import networkx as nx, numpy as np
    >>> Y, tape = spectral_forward(nx.path_graph(2), np.array([[1.0], [3.0]]), np.array([1.0, 0.0]))
    >>> np.round(Y, 12).ravel().tolist()
    [2.0, 2.0]
    """
    gr = as_graph(graph)
    X = check_features(gr, X)
    lam, U = spectrum(gr, max_nodes=max_nodes)
    theta = check_param(theta, (gr.num_nodes,), "theta")
    Xs = U.T @ X
    return U @ (theta[:, None] * Xs), (U, Xs, theta)


def spectral_backward(tape, dY) -> dict:
    """Gradients ``{"X", "theta"}`` of :func:`spectral_forward`: ∂θ_k = Σ_f (Uᵀ∂Y)_kf (UᵀX)_kf.

    Examples
    --------
    >>> import networkx as nx, numpy as np
    >>> Y, tape = spectral_forward(nx.path_graph(2), np.ones((2, 1)), np.ones(2))
    >>> np.round(spectral_backward(tape, np.ones((2, 1)))["theta"], 12).tolist()
    [2.0, 0.0]
    """
    U, Xs, theta = tape
    dY = check_param(dY, Xs.shape, "dY")
    G = U.T @ dY
    return {"X": U @ (theta[:, None] * G), "theta": np.einsum("kf,kf->k", G, Xs)}


def polynomial_filter(graph, X, coeffs) -> np.ndarray:
    """Σ_k θ_k L^k X with sparse products (Horner's scheme).

    Examples
    --------
    >>> import networkx as nx, numpy as np
    >>> polynomial_filter(nx.path_graph(2), np.array([[1.0], [3.0]]), [1.0, -0.5]).ravel().tolist()
    [2.0, 2.0]
    """
    gr = as_graph(graph)
    X = check_features(gr, X)
    theta = check_param(coeffs, (None,), "coeffs")
    if theta.size == 0:
        raise InputError("coeffs must hold at least one coefficient")
    L = laplacian(gr)
    out = theta[-1] * X
    for t in theta[-2::-1]:
        out = L @ out + t * X
    return out


def polynomial_filter_backward(graph, dY, coeffs) -> np.ndarray:
    """∂L/∂X of :func:`polynomial_filter`: the same filter on ∂L/∂Y (L is symmetric).

    Examples
    --------
    >>> import networkx as nx, numpy as np
    >>> polynomial_filter_backward(nx.path_graph(2), np.ones((2, 1)), [2.0]).ravel().tolist()
    [2.0, 2.0]
    """
    return polynomial_filter(graph, dY, coeffs)
