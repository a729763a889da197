"""ChebNet layer: Y = Σ_{k<K} T_k(L̃) X Θ_k + b, run by the kernel generated from its description.

``K`` counts **terms** (PyG ``ChebConv(K=...)``): ``K = 1`` is X Θ₀, ``K = 2``
adds L̃ X Θ₁ (Kipf & Welling's first-order model is ``K = 2``).  T₀ = I,
T₁ = L̃, T_k = 2 L̃ T_{k-1} − T_{k-2}, with the rescaled Laplacian
L̃ = (2/λ_max) L − I of :func:`~symrnn.graphs.normalize.scaled_laplacian`
(λ_max defaults to 2, PyG's value for ``normalization="sym"``).

The layer is :func:`symrnn.graphs.layers.cheb`; this module takes the paper's
layout, ``Theta`` (K, F, F′) (PyG's ``lins[k].weight`` is ``Theta[k].T``) and
``b`` (F′,), and runs the generated forward; gradients come from the generated
reverse mode (:func:`symrnn.graphs.backward`).  An isolated node has L̃ row
−e_i·(1 − 2/λ_max), so with λ_max = 2 its output is x_i Θ₀ + b.

References
----------
M. Defferrard, X. Bresson and P. Vandergheynst, "Convolutional Neural Networks
on Graphs with Fast Localized Spectral Filtering", NeurIPS 2016.
"""

from __future__ import annotations

import numpy as np

from ..errors import InputError
from . import layers
from .calls import kernel_for, run_layer
from .graph import as_graph, check_features, check_param

__all__ = ["chebyshev_terms", "cheb", "cheb_forward"]


def chebyshev_terms(operator, X: np.ndarray, K: int):
    """Yield T_0(L̃) X, …, T_{K-1}(L̃) X by the three-term recurrence.

    Examples
    --------
    >>> import numpy as np
    >>> [t.ravel().tolist() for t in chebyshev_terms(np.array([[0.5]]), np.ones((1, 1)), 3)]
    [[1.0], [0.5], [-0.5]]
    """
    t0 = X
    yield t0
    if K > 1:
        t1 = operator @ X
        yield t1
        for _ in range(2, K):
            t0, t1 = t1, 2.0 * (operator @ t1) - t0
            yield t1


def cheb_forward(graph, X, Theta, b=None, *, lambda_max: float = 2.0, normalization: str | None = "sym"):
    """Y = Σ_k T_k(L̃) X Θ_k + b and the call record for :func:`symrnn.graphs.backward`.

    Parameters
    ----------
    graph : networkx graph or Graph
        Undirected; self-loops are ignored (as in PyG's ``get_laplacian``).
    X : array_like, shape (N, F)
    Theta : array_like, shape (K, F, F')
        K ≥ 1 counts terms.
    b : array_like, shape (F',), optional
    lambda_max : float
        Largest eigenvalue used to rescale L (default 2, exact for ``"sym"``/``"rw"`` bounds).
    normalization : {"sym", "rw", None}
        The Laplacian (:func:`~symrnn.graphs.normalize.laplacian`).  ``"rw"`` applies
        I − D^{-1}A to node signals; PyG's ``ChebConv(normalization="rw")`` applies
        its transpose I − A D^{-1} (it aggregates L's entries along edge sources), so
        the two agree only on regular graphs.  ``None`` needs λ_max ≥ the largest
        eigenvalue of D − A (e.g. 2·max degree).

    Returns
    -------
    Y : ndarray, shape (N, F')
    call : LayerCall

    Examples
    --------
    >>> import networkx as nx, numpy as np
    >>> Theta = np.array([[[1.0]], [[-1.0]]])      # K = 2, Θ₁ = −Θ₀
    >>> Y, _ = cheb_forward(nx.path_graph(2), np.array([[1.0], [3.0]]), Theta)
    >>> Y.ravel().tolist()                         # (I + D^-1/2 A D^-1/2) X Θ₀
    [4.0, 4.0]
    """
    from .normalize import scaled_laplacian

    g = as_graph(graph).require_undirected("cheb")
    X = check_features(g, X)
    Theta = check_param(Theta, (None, X.shape[1], None), "Theta")
    K = Theta.shape[0]
    if K < 1:
        raise InputError("Theta must hold K >= 1 terms, got K = 0")
    bias = None if b is None else check_param(b, (Theta.shape[2],), "b")
    scaled_laplacian(g, lambda_max, normalization)  # checks lambda_max and normalization before any work
    key = (("K", K), ("bias", bias is not None), ("lambda_max", float(lambda_max)), ("normalization", normalization))
    kernel = kernel_for(layers.cheb, key, (("F", X.shape[1]), ("G", Theta.shape[2])))
    params = {f"Theta_{k}": Theta[k].T for k in range(K)}
    if bias is not None:
        params["b"] = bias

    def to_caller(grads):
        out = {"X": grads["x"], "Theta": np.stack([grads[f"Theta_{k}"].T for k in range(K)])}
        if bias is not None:
            out["b"] = grads["b"]
        return out

    return run_layer(kernel, params, g, X, (("h", Theta.shape[2]),), to_caller)


def cheb(graph, X, Theta, b=None, *, lambda_max: float = 2.0, normalization: str | None = "sym"):
    """The ChebNet layer's output (see :func:`cheb_forward`).

    Examples
    --------
    >>> import networkx as nx, numpy as np
    >>> cheb(nx.path_graph(2), np.ones((2, 1)), np.ones((1, 1, 1))).ravel().tolist()
    [1.0, 1.0]
    """
    return cheb_forward(graph, X, Theta, b, lambda_max=lambda_max, normalization=normalization)[0]
