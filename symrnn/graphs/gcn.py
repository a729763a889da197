"""Spatial GCN layer (Kipf & Welling): Y = Â X W + b, forward and backward on scipy.sparse.

Layout: ``X`` is (N, F), ``W`` is (F, F') as in the paper (PyG's
``GCNConv.lin.weight`` is ``W.T``), ``b`` is (F',).  Â is
:func:`~symrnn.graphs.normalize.gcn_adjacency` (PyG ``gcn_norm``; an existing
self-loop keeps its weight), applied in factors by
:func:`~symrnn.graphs.normalize.gcn_operator` (D̃^{-1/2}·A·D̃^{-1/2} plus the
added loops, the sparse product split across threads).  An isolated node's output is ``x_i W + b`` with
self-loops and ``b`` without.

The backward pass uses Â = Âᵀ (the graph is undirected): with P = Â·∂L/∂Y,
∂L/∂W = Xᵀ P, ∂L/∂X = P Wᵀ, ∂L/∂b = 1ᵀ ∂L/∂Y — one sparse product forward,
one backward, never an (E × F) message array.

References
----------
T. N. Kipf and M. Welling, "Semi-Supervised Classification with Graph
Convolutional Networks", ICLR 2017.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..numeric.params import boolean
from .graph import Graph, as_graph, check_features, check_param, check_tape
from .normalize import gcn_operator

__all__ = ["GCNTape", "gcn", "gcn_forward", "gcn_backward"]


@dataclass(frozen=True, eq=False)
class GCNTape:
    """What :func:`gcn_backward` needs from the forward pass."""

    graph: Graph
    operator: object  # Â (GCNOperator) or A (csr)
    X: np.ndarray
    W: np.ndarray
    has_bias: bool


def gcn_forward(graph, X, W, b=None, *, add_self_loops: bool = True, improved: bool = False,
                normalize: bool = True):
    """Y = Â X W + b and the tape for :func:`gcn_backward`.

    Parameters
    ----------
    graph : networkx graph or Graph
        Undirected, weighted by the ``"weight"`` attribute.
    X : array_like, shape (N, F)
    W : array_like, shape (F, F')
    b : array_like, shape (F',), optional
    add_self_loops, improved : bool
        As PyG's ``GCNConv``.
    normalize : bool
        False multiplies by the weighted adjacency A itself (PyG ``normalize=False``:
        no self-loops added, no degree scaling; ``add_self_loops``/``improved`` unused).

    Returns
    -------
    Y : ndarray, shape (N, F')
    tape : GCNTape

    Examples
    --------
    >>> import networkx as nx, numpy as np
    >>> Y, tape = gcn_forward(nx.path_graph(2), np.eye(2), np.ones((2, 1)), np.array([0.5]))
    >>> np.round(Y.ravel(), 12).tolist()
    [1.5, 1.5]
    """
    g = as_graph(graph).require_undirected("gcn")
    add_self_loops, improved = boolean(add_self_loops, "add_self_loops"), boolean(improved, "improved")
    normalize = boolean(normalize, "normalize")
    X = check_features(g, X)
    W = check_param(W, (X.shape[1], None), "W")
    bias = None if b is None else check_param(b, (W.shape[1],), "b")
    A = gcn_operator(g, add_self_loops=add_self_loops, improved=improved) if normalize else g.adjacency
    Y = A @ (X @ W) if W.shape[1] <= W.shape[0] else (A @ X) @ W
    if bias is not None:
        Y += bias
    return Y, GCNTape(g, A, X, W, bias is not None)


def gcn_backward(tape: GCNTape, dY) -> dict:
    """Gradients ``{"X", "W", "b"}`` of a loss given ∂L/∂Y (``"b"`` only with a bias).

    Examples
    --------
    >>> import networkx as nx, numpy as np
    >>> Y, tape = gcn_forward(nx.path_graph(2), np.eye(2), np.ones((2, 1)))
    >>> np.round(gcn_backward(tape, np.ones_like(Y))["W"].ravel(), 12).tolist()
    [1.0, 1.0]
    """
    check_tape(tape, GCNTape, "gcn_forward")
    dY = check_param(dY, (tape.X.shape[0], tape.W.shape[1]), "dY")
    P = tape.operator @ dY
    grads = {"X": P @ tape.W.T, "W": tape.X.T @ P}
    if tape.has_bias:
        grads["b"] = dY.sum(axis=0)
    return grads


def gcn(graph, X, W, b=None, *, add_self_loops: bool = True, improved: bool = False,
        normalize: bool = True) -> np.ndarray:
    """The GCN layer's output Â X W + b (see :func:`gcn_forward`).

    Examples
    --------
    >>> import networkx as nx, numpy as np
    >>> gcn(nx.empty_graph(2), np.array([[1.0], [2.0]]), np.array([[3.0]])).ravel().tolist()
    [3.0, 6.0]
    """
    return gcn_forward(graph, X, W, b, add_self_loops=add_self_loops, improved=improved, normalize=normalize)[0]
