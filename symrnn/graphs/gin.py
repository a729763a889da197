"""GIN, the graph isomorphism network layer (Xu et al. 2019): the description, and the layer in the paper's layout.

Per node i, with N(i) the sources of the edges j → i entering it (every copy
of a repeated edge counted, weights ignored):

    m_i = Σ_{j ∈ N(i)} x_j,    u_i = (1 + ε) x_i + m_i,    h_i = MLP(u_i),

the MLP being ``hidden`` blocks Linear → ReLU and a last Linear — PyG
``GINConv(nn=Sequential(Linear, ReLU, Linear), eps=…, train_eps=…)`` with one
hidden block.  ε is a number fixed by the description, or, with
``train_eps=True``, a parameter (one value; its gradient is generated).  The
sum is the graph operator ``sum_in`` = S_dstᵀ S_src (one sparse product, no
per-edge messages).

References
----------
K. Xu, W. Hu, J. Leskovec and S. Jegelka, "How Powerful are Graph Neural
Networks?", ICLR 2019 (eq. 4.1).
"""

from __future__ import annotations

import sympy as sp

from ..errors import SpecError
from ..spec.graph_builder import GraphBuilder
from ..spec.symbols import relu

__all__ = ["gin", "gin_forward", "XU"]

XU = "Xu, Hu, Leskovec & Jegelka 2019, How Powerful are Graph Neural Networks? (ICLR)"


def gin(*, eps: float = 0.0, train_eps: bool = False, hidden: int = 1):
    """GIN: h = MLP((1 + ε) x + Σ_{j→i} x_j), the MLP ``hidden`` × (Linear, ReLU) then Linear.

    Parameters
    ----------
    eps : float
        ε when it is fixed (``train_eps=False``); with ``train_eps`` it is the parameter ``eps``'s starting value
        (:func:`gin_forward` takes the value).
    train_eps : bool
        ε is a parameter of the layer (PyG ``train_eps=True``).
    hidden : int
        Hidden blocks of the MLP (≥ 1), widths ``H`` (one block) or ``H1, H2, …``.

    Examples
    --------
    >>> gin().parameter_count()
    F*H + G*H + G + H
    >>> gin(train_eps=True).parameter_count()
    F*H + G*H + G + H + 1
    >>> print(gin(eps=0.5).latex().splitlines()[1])
    \\mathbf{u} &= \\frac{3}{2} \\mathbf{x} + \\mathbf{S}_{\\mathrm{dst}}^{\\top}\\mathbf{S}_{\\mathrm{src}} \\mathbf{x} \\\\
    """
    from ..numeric.params import boolean, real_number

    train_eps = boolean(train_eps, "train_eps")
    if isinstance(hidden, bool) or not isinstance(hidden, int) or hidden < 1:
        raise SpecError(f"gin: hidden (the MLP's hidden blocks) must be an integer >= 1, got {hidden!r}")
    fixed = sp.Rational(repr(real_number(eps, "eps")))
    name = "gin" + ("_train_eps" if train_eps else "" if fixed == 0 else f"_eps{float(fixed):g}".replace(".", "p")
                    .replace("-", "m")) + ("" if hidden == 1 else f"_{hidden}")
    b = GraphBuilder(name, reference=XU, summary="graph isomorphism network, sum aggregation and an MLP"
                     + (", trained ε" if train_eps else ""))
    widths = b.sizes("F " + ("H" if hidden == 1 else " ".join(f"H{k}" for k in range(1, hidden + 1))) + " G")
    x = b.node_input("x", widths[0])
    m = b.propagate("sum_in", x, name="m")
    if train_eps:
        u = b.let("u", (1 + b.param("eps", 1, latex=r"\epsilon")) * x + m)
    else:
        u = b.linear((1 + fixed) * x.matrix + m.matrix, "u", inline=False)
    a = u
    for k in range(1, hidden + 1):
        z = b.linear(b.param(f"W_{k}", widths[k], widths[k - 1]) @ a + b.param(f"b_{k}", widths[k]), f"z_{k}")
        a = b.let(f"a_{k}", relu(z))
    out = hidden + 1
    b.output("h", b.param(f"W_{out}", widths[-1], widths[-2]) @ a + b.param(f"b_{out}", widths[-1]))
    return b.build()


def gin_forward(graph, X, weights, biases, *, eps=0.0, train_eps: bool = False):
    """Y = MLP((1 + ε) X + S_dstᵀ S_src X) and the call record for :func:`symrnn.graphs.backward`.

    Parameters
    ----------
    graph : networkx graph or Graph
        Directed or undirected; an edge u → v means v sums x_u; weights are ignored.
    X : array_like, shape (N, F)
    weights : sequence of array_like
        The MLP's Linear weights in the paper's layout, (F, H), …, (H, G) (PyG's ``nn[k].weight.T``).
    biases : sequence of array_like
        Their biases, (H,), …, (G,).
    eps : float
        ε (a fixed number, or the value of the parameter when ``train_eps``).
    train_eps : bool
        ε is a parameter: :func:`symrnn.graphs.backward` returns its gradient ``"eps"``, shape (1,).

    Returns
    -------
    Y : ndarray, shape (N, G)
    call : LayerCall
        Gradients ``X``, ``W_1`` … (paper layout), ``b_1`` … and ``eps`` (when trained).

    Examples
    --------
    >>> import networkx as nx, numpy as np
    >>> Y, call = gin_forward(nx.path_graph(3), np.ones((3, 1)), [np.ones((1, 2)), np.ones((2, 1))],
    ...                       [np.zeros(2), np.zeros(1)], eps=0.5, train_eps=True)
    >>> Y.ravel().tolist()
    [5.0, 7.0, 5.0]
    >>> from symrnn.graphs import backward
    >>> backward(call, np.ones((3, 1)))["eps"].tolist()
    [6.0]
    """
    from ..numeric.params import boolean, real_number
    from .calls import kernel_for, run_layer
    from .graph import as_graph, check_features, check_param

    g = as_graph(graph)
    X = check_features(g, X)
    train_eps = boolean(train_eps, "train_eps")
    eps = real_number(eps, "eps")
    if not isinstance(weights, (list, tuple)) or len(weights) < 2:
        raise SpecError(f"weights: expected a list of at least two MLP weights, got {type(weights).__name__}")
    if not isinstance(biases, (list, tuple)) or len(biases) != len(weights):
        raise SpecError(f"biases: expected {len(weights)} biases (one per weight), got {biases!r:.60}")
    Ws, cols = [], X.shape[1]
    for k, W in enumerate(weights, start=1):
        Ws.append(check_param(W, (cols, None), f"weights[{k - 1}]"))
        cols = Ws[-1].shape[1]
    bs = [check_param(bk, (W.shape[1],), f"biases[{k}]") for k, (W, bk) in enumerate(zip(Ws, biases))]
    sizes = (("F", X.shape[1]),) + (((("H", Ws[0].shape[1]),) if len(Ws) == 2 else
                                    tuple((f"H{k}", W.shape[1]) for k, W in enumerate(Ws[:-1], start=1))) +
                                    (("G", Ws[-1].shape[1]),))
    key = (("eps", 0.0 if train_eps else eps), ("hidden", len(Ws) - 1), ("train_eps", train_eps))
    kernel = kernel_for(gin, key, sizes)
    params = {f"W_{k}": W.T for k, W in enumerate(Ws, start=1)} | {f"b_{k}": bk for k, bk in enumerate(bs, start=1)}
    if train_eps:
        params["eps"] = [eps]

    def to_caller(grads):
        out = {"X": grads["x"]} | {f"W_{k}": grads[f"W_{k}"].T for k in range(1, len(Ws) + 1)}
        out |= {f"b_{k}": grads[f"b_{k}"] for k in range(1, len(Ws) + 1)}
        return out | ({"eps": grads["eps"]} if train_eps else {})

    return run_layer(kernel, params, g, X, (("h", Ws[-1].shape[1]),), to_caller)
