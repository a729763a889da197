"""Spectral filtering g(L) X = U g(Λ) Uᵀ X, and polynomial filters Σ θ_k L^k X, run by generated kernels.

L is the symmetric normalised Laplacian of
:func:`~symrnn.graphs.normalize.laplacian` (eigenvalues in [0, 2]).
:func:`spectral_filter` diagonalises L densely (O(N³)), so it is the
definition, not a fast path, and refuses graphs above ``max_nodes``;
:func:`polynomial_filter` applies a polynomial with K sparse products and is
what a degree-m filter really costs (and why it is m-hop local).

Both are descriptions (:func:`symrnn.graphs.layers.spectral`,
:func:`~symrnn.graphs.layers.polynomial`): their gradients come from the
generated reverse mode (:func:`symrnn.graphs.backward`), none is written here.

References
----------
J. Bruna, W. Zaremba, A. Szlam and Y. LeCun, "Spectral Networks and Locally
Connected Networks on Graphs", ICLR 2014.  D. K. Hammond, P. Vandergheynst and
R. Gribonval, "Wavelets on graphs via spectral graph theory", ACHA 2011.
"""

from __future__ import annotations

import numpy as np

from ..errors import InputError
from . import layers
from .calls import kernel_for, run_layer
from .graph import as_graph, check_features, check_param
from .normalize import laplacian

__all__ = ["spectrum", "spectral_filter", "spectral_forward", "polynomial_filter"]


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
    return spectral_forward(gr, X, resp, max_nodes=max_nodes)[0]


def spectral_forward(graph, X, theta, *, max_nodes: int = 4000):
    """Bruna et al.'s trainable spectral layer Y = U diag(θ) Uᵀ X, and the call for :func:`symrnn.graphs.backward`.

    ``theta`` (N,) is the filter response on the eigenvalues in ascending order
    (:func:`spectrum`); the layer is not localised and needs the dense
    eigenbasis, which is why ChebNet replaced it.  Gradients: ``{"X", "theta"}``.

    Examples
    --------
    >>> import networkx as nx, numpy as np
    >>> Y, call = spectral_forward(nx.path_graph(2), np.array([[1.0], [3.0]]), np.array([1.0, 0.0]))
    >>> np.round(Y, 12).ravel().tolist()
    [2.0, 2.0]
    """
    gr = as_graph(graph).require_undirected("spectral")
    X = check_features(gr, X)
    spectrum(gr, max_nodes=max_nodes)  # refuses a graph too large for the dense eigenbasis, naming max_nodes
    theta = check_param(theta, (gr.num_nodes,), "theta")
    kernel = kernel_for(layers.spectral, (), (("F", X.shape[1]),))
    kernel.params = {}
    out, tape = kernel.forward(gr, {"x": X, "theta": theta[:, None]}, max_nodes=max_nodes)
    from .calls import LayerCall

    def to_caller(grads):
        return {"X": grads["x"], "theta": grads["theta"][:, 0]}

    return out["h"], LayerCall(kernel, tape, {}, (("h", X.shape[1]),), to_caller)


def polynomial_filter(graph, X, coeffs) -> np.ndarray:
    """Σ_k θ_k L^k X with sparse products (the description :func:`symrnn.graphs.layers.polynomial`).

    Examples
    --------
    >>> import networkx as nx, numpy as np
    >>> polynomial_filter(nx.path_graph(2), np.array([[1.0], [3.0]]), [1.0, -0.5]).ravel().tolist()
    [2.0, 2.0]
    """
    gr = as_graph(graph).require_undirected("polynomial_filter")
    X = check_features(gr, X)
    theta = check_param(coeffs, (None,), "coeffs")
    if theta.size == 0:
        raise InputError("coeffs must hold at least one coefficient")
    kernel = kernel_for(layers.polynomial, (("K", theta.size),), (("F", X.shape[1]),))
    params = {f"theta_{k}": theta[k:k + 1] for k in range(theta.size)}
    return run_layer(kernel, params, gr, X, (("h", X.shape[1]),), lambda grads: {"X": grads["x"]})[0]
