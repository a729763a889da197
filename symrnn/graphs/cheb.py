"""ChebNet layer: Y = Σ_{k<K} T_k(L̃) X Θ_k + b, forward and backward on scipy.sparse.

``K`` counts **terms** (PyG ``ChebConv(K=...)``): ``K = 1`` is X Θ₀, ``K = 2``
adds L̃ X Θ₁ (Kipf & Welling's first-order model is ``K = 2``).  T₀ = I,
T₁ = L̃, T_k = 2 L̃ T_{k-1} − T_{k-2}, with the rescaled Laplacian
L̃ = (2/λ_max) L − I of :func:`~symrnn.graphs.normalize.scaled_laplacian`
(λ_max defaults to 2, PyG's value for ``normalization="sym"``).

Layout: ``Theta`` is (K, F, F') (PyG's ``lins[k].weight`` is ``Theta[k].T``),
``b`` is (F',).  An isolated node has L̃ row −e_i·(1 − 2/λ_max), so with
λ_max = 2 its output is x_i Θ₀ + b.

Backward: T_k(L̃)ᵀ = T_k(L̃ᵀ), so with S_k = T_k(L̃ᵀ) ∂L/∂Y (the same
recurrence on L̃ᵀ, which is L̃ itself for the symmetric Laplacians),
∂L/∂Θ_k = Xᵀ S_k and ∂L/∂X = Σ_k S_k Θ_kᵀ; the tape keeps only X.

References
----------
M. Defferrard, X. Bresson and P. Vandergheynst, "Convolutional Neural Networks
on Graphs with Fast Localized Spectral Filtering", NeurIPS 2016.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import InputError
from .graph import Graph, as_graph, check_features, check_param, check_tape
from .normalize import scaled_laplacian

__all__ = ["ChebTape", "chebyshev_terms", "cheb", "cheb_forward", "cheb_backward"]


@dataclass(frozen=True, eq=False)
class ChebTape:
    """What :func:`cheb_backward` needs from the forward pass."""

    graph: Graph
    operator: object  # L̃, csr
    X: np.ndarray
    Theta: np.ndarray
    has_bias: bool


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
    """Y = Σ_k T_k(L̃) X Θ_k + b and the tape for :func:`cheb_backward`.

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
    tape : ChebTape

    Examples
    --------
    >>> import networkx as nx, numpy as np
    >>> Theta = np.array([[[1.0]], [[-1.0]]])      # K = 2, Θ₁ = −Θ₀
    >>> Y, _ = cheb_forward(nx.path_graph(2), np.array([[1.0], [3.0]]), Theta)
    >>> Y.ravel().tolist()                         # (I + D^-1/2 A D^-1/2) X Θ₀
    [4.0, 4.0]
    """
    g = as_graph(graph).require_undirected("cheb")
    X = check_features(g, X)
    Theta = check_param(Theta, (None, X.shape[1], None), "Theta")
    if Theta.shape[0] < 1:
        raise InputError("Theta must hold K >= 1 terms, got K = 0")
    bias = None if b is None else check_param(b, (Theta.shape[2],), "b")
    L = scaled_laplacian(g, lambda_max, normalization)
    Y = np.zeros((g.num_nodes, Theta.shape[2]))
    for k, T in enumerate(chebyshev_terms(L, X, Theta.shape[0])):
        Y += T @ Theta[k]
    if bias is not None:
        Y += bias
    return Y, ChebTape(g, L, X, Theta, bias is not None)


def cheb_backward(tape: ChebTape, dY) -> dict:
    """Gradients ``{"X", "Theta", "b"}`` given ∂L/∂Y (``"b"`` only with a bias).

    Examples
    --------
    >>> import networkx as nx, numpy as np
    >>> Y, tape = cheb_forward(nx.path_graph(2), np.ones((2, 1)), np.ones((2, 1, 1)))
    >>> cheb_backward(tape, np.ones_like(Y))["Theta"].ravel().tolist()
    [2.0, -2.0]
    """
    check_tape(tape, ChebTape, "cheb_forward")
    dY = check_param(dY, (tape.X.shape[0], tape.Theta.shape[2]), "dY")
    dTheta = np.empty_like(tape.Theta)
    dX = np.zeros_like(tape.X)
    for k, S in enumerate(chebyshev_terms(tape.operator.T, dY, tape.Theta.shape[0])):  # T_k(L̃)ᵀ = T_k(L̃ᵀ)
        dTheta[k] = tape.X.T @ S
        dX += S @ tape.Theta[k].T
    grads = {"X": dX, "Theta": dTheta}
    if tape.has_bias:
        grads["b"] = dY.sum(axis=0)
    return grads


def cheb(graph, X, Theta, b=None, *, lambda_max: float = 2.0, normalization: str | None = "sym") -> np.ndarray:
    """The ChebNet layer's output (see :func:`cheb_forward`).

    Examples
    --------
    >>> import networkx as nx, numpy as np
    >>> cheb(nx.path_graph(3), np.eye(3), np.ones((1, 3, 1))).ravel().tolist()
    [1.0, 1.0, 1.0]
    """
    return cheb_forward(graph, X, Theta, b, lambda_max=lambda_max, normalization=normalization)[0]
