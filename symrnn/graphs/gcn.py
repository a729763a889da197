"""Spatial GCN layer (Kipf & Welling): Y = Â X W + b, run by the kernel generated from its description.

The layer is :func:`symrnn.graphs.layers.gcn` (h = W Â x + b per node, held
once as a description); this module only takes the paper's layout, ``X`` (N, F),
``W`` (F, F′) (PyG's ``GCNConv.lin.weight`` is ``W.T``), ``b`` (F′,), and runs the
generated forward.  Gradients come from the generated reverse mode:
:func:`symrnn.graphs.backward` (with Â = Âᵀ on an undirected graph,
∂L/∂W = Xᵀ Â ∂L/∂Y, ∂L/∂X = Â ∂L/∂Y Wᵀ, ∂L/∂b = 1ᵀ ∂L/∂Y — derived, not written).
Â is PyG's ``gcn_norm`` (an existing self-loop keeps its weight); an isolated
node's output is ``x_i W + b`` with self-loops and ``b`` without.

References
----------
T. N. Kipf and M. Welling, "Semi-Supervised Classification with Graph
Convolutional Networks", ICLR 2017.
"""

from __future__ import annotations

from ..numeric.params import boolean
from . import layers
from .calls import kernel_for, run_layer
from .graph import as_graph, check_features, check_param

__all__ = ["gcn", "gcn_forward"]


def gcn_forward(graph, X, W, b=None, *, add_self_loops: bool = True, improved: bool = False,
                normalize: bool = True):
    """Y = Â X W + b and the call record for :func:`symrnn.graphs.backward`.

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
    call : LayerCall

    Examples
    --------
    >>> import networkx as nx, numpy as np
    >>> Y, call = gcn_forward(nx.path_graph(2), np.eye(2), np.ones((2, 1)), np.array([0.5]))
    >>> np.round(Y.ravel(), 12).tolist()
    [1.5, 1.5]
    """
    g = as_graph(graph).require_undirected("gcn")
    add_self_loops, improved = boolean(add_self_loops, "add_self_loops"), boolean(improved, "improved")
    normalize = boolean(normalize, "normalize")
    X = check_features(g, X)
    W = check_param(W, (X.shape[1], None), "W")
    bias = None if b is None else check_param(b, (W.shape[1],), "b")
    options = (("add_self_loops", add_self_loops), ("improved", improved)) if normalize else ()
    kernel = kernel_for(layers.gcn, (("bias", bias is not None), ("normalize", normalize)) + options,
                        (("F", X.shape[1]), ("G", W.shape[1])))
    params = {"W": W.T} if bias is None else {"W": W.T, "b": bias}

    def to_caller(grads):
        out = {"X": grads["x"], "W": grads["W"].T}
        if bias is not None:
            out["b"] = grads["b"]
        return out

    return run_layer(kernel, params, g, X, (("h", W.shape[1]),), to_caller)


def gcn(graph, X, W, b=None, *, add_self_loops: bool = True, improved: bool = False,
        normalize: bool = True):
    """The GCN layer's output Â X W + b (see :func:`gcn_forward`).

    Examples
    --------
    >>> import networkx as nx, numpy as np
    >>> gcn(nx.empty_graph(2), np.array([[1.0], [2.0]]), np.array([[3.0]])).ravel().tolist()
    [3.0, 6.0]
    """
    return gcn_forward(graph, X, W, b, add_self_loops=add_self_loops, improved=improved, normalize=normalize)[0]
