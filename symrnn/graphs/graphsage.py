"""GraphSAGE (Hamilton et al. 2017): the description, and the layer in the paper's layout.

Per node i, with N(i) the sources of the edges j → i entering it (every copy
of a repeated edge counted):

    m_i = mean_{j ∈ N(i)} x_j   or   max_{j ∈ N(i)} x_j        (0 where N(i) is empty),
    h_i = f(W_l m_i + b + W_r x_i),        then optionally  h_i ← h_i / max(‖h_i‖₂, ε),

PyG ``SAGEConv(aggr=…, root_weight=…, normalize=…)`` (``lin_l`` carries the
bias, ``lin_r`` none; ε = 10⁻¹² as ``F.normalize``).  The maximum is the graph
operator ``max_in`` (:data:`symrnn.spec.operators.OPERATORS`), taken unit by
unit; its reverse mode routes each node's adjoint to the arg-max in-edge, a tie
sharing it equally as ``torch.scatter_reduce(…, "amax")`` does.  The
normalisation is written as stages of the description — s = 1ᵀ(h ⊙ h) per
node, h / √(ε² + ReLU(s − ε²)), which is h / max(‖h‖, ε) — so its gradient is
generated like every other one.  Edge weights are ignored, as by ``SAGEConv``.

References
----------
W. L. Hamilton, R. Ying and J. Leskovec, "Inductive Representation Learning on
Large Graphs", NeurIPS 2017 (Algorithm 1; the mean and pooling aggregators).
"""

from __future__ import annotations

import sympy as sp

from ..errors import SpecError
from ..spec.graph_builder import GraphBuilder
from ..spec.symbols import relu

__all__ = ["graphsage", "graphsage_forward", "AGGREGATORS", "EPS"]

AGGREGATORS = {"mean": "mean_in", "max": "max_in"}
"""GraphSAGE's aggregators and the graph operator each one is."""

EPS = sp.Float("1e-12")
"""The floor of the norm in the optional normalisation (PyG's ``F.normalize`` eps)."""



def _description(name, aggr, root_weight, normalize, bias, activation):
    from .layers import HAMILTON, _activation

    if aggr not in AGGREGATORS:
        raise SpecError(f"graphsage: aggr must be one of {sorted(AGGREGATORS)}, got {aggr!r}")
    f = _activation(activation, "graphsage")
    b = GraphBuilder(name, reference=HAMILTON, summary=f"GraphSAGE, {aggr} aggregator" +
                     (", root weight" if root_weight else "") + (", normalised" if normalize else ""))
    F, G = b.sizes("F G")
    x = b.node_input("x", F)
    m = b.propagate("mean_in", x) if aggr == "mean" else b.apply("max_in", x, name="m").matrix
    pre = b.param("W_l", G, F) @ m
    if bias:
        pre = pre + b.param("b", G)
    if root_weight:
        pre = pre + b.param("W_r", G, F) @ x
    if not normalize:
        b.output("h", f(pre))
        return b.build()
    z = b.let("z", f(pre)) if activation else b.linear(pre, "z", inline=False)
    q = b.let("q", z ** 2)
    s = b.linear(b.apply("sum_units", q), "s", inline=False, latex="s")
    b.output("h", z / sp.sqrt(EPS ** 2 + relu(s - EPS ** 2)))
    return b.build()


def graphsage(*, aggr: str = "mean", root_weight: bool = True, normalize: bool = False, bias: bool = True,
              activation: str | None = None):
    """GraphSAGE: h = f(W_l AGG_{j→i} x_j + b + W_r x), AGG the mean or the maximum (PyG ``SAGEConv``).

    Parameters
    ----------
    aggr : {"mean", "max"}
        The aggregator over the in-neighbours (``max`` is unit by unit; 0 for a node without in-edges).
    root_weight : bool
        Add W_r x_i (PyG ``root_weight``).
    normalize : bool
        Divide each output row by max(‖h_i‖₂, 10⁻¹²) (PyG ``normalize``, ``F.normalize``).
    bias : bool
        The bias b (PyG ``lin_l.bias``).
    activation : str or None
        f, a row of the function table (Hamilton's σ; PyG applies none), before the normalisation.

    Examples
    --------
    >>> graphsage().parameter_count()
    2*F*G + G
    >>> print(graphsage(aggr="max").latex().splitlines()[1])
    \\mathbf{h} &= \\mathbf{W}_{l} \\max_{\\mathrm{in}} \\mathbf{x} + \\mathbf{W}_{r} \\mathbf{x} + \\mathbf{b}
    >>> [eq.target for eq in graphsage(aggr="max", normalize=True).equations]
    ['m', 'z', 'q', 's', 'h']
    """
    from ..numeric.params import boolean

    root_weight, normalize, bias = (boolean(v, k) for v, k in ((root_weight, "root_weight"),
                                                                (normalize, "normalize"), (bias, "bias")))
    name = "graphsage" + ("" if aggr == "mean" else f"_{aggr}") + ("" if root_weight else "_no_root") + \
        ("_normalize" if normalize else "") + ("" if bias else "_no_bias")
    return _description(name, aggr, root_weight, normalize, bias, activation)


def graphsage_forward(graph, X, W_l, b=None, W_r=None, *, aggr: str = "mean", normalize: bool = False):
    """Y = AGG(X) W_l + b + X W_r (rows normalised if asked) and the call record for :func:`symrnn.graphs.backward`.

    Parameters
    ----------
    graph : networkx graph or Graph
        Directed or undirected; an edge u → v means v aggregates x_u; weights are ignored.
    X : array_like, shape (N, F)
    W_l : array_like, shape (F, G)
        PyG's ``lin_l.weight.T``.
    b : array_like, shape (G,), optional
        PyG's ``lin_l.bias``.
    W_r : array_like, shape (F, G), optional
        PyG's ``lin_r.weight.T``; None: no root weight.
    aggr : {"mean", "max"}
    normalize : bool

    Returns
    -------
    Y : ndarray, shape (N, G)
    call : LayerCall
        Gradients ``X``, ``W_l``, ``b``, ``W_r`` from :func:`symrnn.graphs.backward`.

    Examples
    --------
    >>> import networkx as nx, numpy as np
    >>> G = nx.DiGraph()
    >>> G.add_nodes_from(range(3)); G.add_edges_from([(0, 2), (1, 2)])
    >>> Y, call = graphsage_forward(G, np.array([[1.0], [3.0], [5.0]]), np.eye(1), aggr="max")
    >>> Y.ravel().tolist()
    [0.0, 0.0, 3.0]
    >>> from symrnn.graphs import backward
    >>> backward(call, np.ones((3, 1)))["X"].ravel().tolist()
    [0.0, 1.0, 0.0]
    """
    from ..numeric.params import boolean
    from .calls import kernel_for, run_layer
    from .graph import as_graph, check_features, check_param

    g = as_graph(graph)
    X = check_features(g, X)
    W_l = check_param(W_l, (X.shape[1], None), "W_l")
    bias = None if b is None else check_param(b, (W_l.shape[1],), "b")
    W_r = None if W_r is None else check_param(W_r, W_l.shape, "W_r")
    normalize = boolean(normalize, "normalize")
    key = (("aggr", aggr), ("bias", bias is not None), ("normalize", normalize), ("root_weight", W_r is not None))
    kernel = kernel_for(graphsage, key, (("F", X.shape[1]), ("G", W_l.shape[1])))
    params = {"W_l": W_l.T}
    if bias is not None:
        params["b"] = bias
    if W_r is not None:
        params["W_r"] = W_r.T

    def to_caller(grads):
        out = {"X": grads["x"], "W_l": grads["W_l"].T}
        out.update({"b": grads["b"]} if bias is not None else {})
        out.update({"W_r": grads["W_r"].T} if W_r is not None else {})
        return out

    return run_layer(kernel, params, g, X, (("h", W_l.shape[1]),), to_caller)
