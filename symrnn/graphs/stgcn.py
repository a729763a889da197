"""STGCN's ST-Conv block (Yu, Yin & Zhu 2018) as one graph-recurrent description, run over time.

The block, as PyTorch Geometric Temporal's ``STConv`` computes it (0.56.2)::

    u_t = ReLU(P ⊙ σ(Q) + R),  P = Σ_k W_{p,k} x_{t−Kt+1+k} + b_p  (Q, R alike)     gated temporal conv
    v_t = ReLU(Σ_{k<K} Θ_k T_k(L̃) u_t + b_Θ)                                        Chebyshev graph conv
    z_t = ReLU(P' ⊙ σ(Q') + R'),  P' = Σ_k V_{p,k} v_{t−Kt+1+k} + c_p (Q', R' alike)  gated temporal conv
    y_t = γ ⊙ (z_t − μ) / √(σ² + ε) + β                                             BatchNorm over nodes

(σ² the running variance, given per node as its square root σ).

A temporal convolution of width Kt reads a window of Kt steps; written as one
step of a recurrence, the window is a **delay line**: per-node states
``x_1 … x_{Kt−1}`` hold the last Kt − 1 inputs and ``v_1 … v_{Kt−1}`` the last
Kt − 1 graph-convolution outputs (``x_1 = x``, ``x_j = x_{j−1, t−1}``).  So the
whole block is one :class:`~symrnn.spec.graph_builder.GraphBuilder`
description (:func:`stgcn`) — LaTeX, counts, kernels and the equivariance
proof are derived from it — and :func:`stgcn_forward` runs it over time with
:func:`symrnn.graphs.recurrent.run` (each step computes one output of each
stage, nothing twice).  The first Kt − 1 inputs start the x delay line; the
first Kt − 1 outputs read a v delay line that is still filling and are
dropped, so T inputs give T − 2(Kt − 1) outputs, as ``STConv``.

L̃ = (2/λ_max) L − I with λ_max = 2 (``STConv`` never passes λ_max, so its
``ChebConv`` needs the ``"sym"`` Laplacian and takes 2) is −D^{-1/2} A D^{-1/2}:
it is held by its entries along the edges, ℓ_e = −w_e / √(d_j d_i) for the
edge e = j → i with d the weighted degree (PyG ``get_laplacian``: self-loops
dropped, degrees summed by source), a second small description
(:func:`laplacian_entries`) run once per call.  Edge weights are therefore
inputs: their gradient comes from the same generated reverse mode, chained
ℓ̄ (summed over the steps) → w̄.

BatchNorm is matched in **evaluation mode**: γ, β (trained) and the running
statistics μ, σ² (given) are per-node inputs.  In training mode BatchNorm's
statistics are means over the batch and the time steps of each node — not a
function of one step of one graph signal — and are not part of this
description; evaluate a trained ``STConv`` (``model.eval()``) to compare.
The paper's block ends in a layer normalisation instead; ``STConv``'s
BatchNorm is followed here because it is the oracle.

References
----------
B. Yu, H. Yin and Z. Zhu, "Spatio-Temporal Graph Convolutional Networks: A Deep Learning Framework for
Traffic Forecasting", IJCAI 2018 (arXiv:1709.04875).
M. Defferrard, X. Bresson and P. Vandergheynst, "Convolutional Neural Networks on Graphs with Fast Localized
Spectral Filtering", NeurIPS 2016.
"""

from __future__ import annotations

from functools import lru_cache

import sympy as sp

from ..errors import SpecError
from ..spec.graph_builder import GraphBuilder
from ..spec.symbols import relu, sigmoid

__all__ = ["stgcn", "YU"]  # laplacian_entries is public but not a catalogue model (the registry reads __all__)

YU = ("Yu, Yin & Zhu 2018, Spatio-Temporal Graph Convolutional Networks: A Deep Learning Framework for Traffic "
      "Forecasting (IJCAI)")

BATCH_NORM = (("gamma", r"\boldsymbol{\gamma}"), ("beta", r"\boldsymbol{\beta}"), ("mu", r"\boldsymbol{\mu}"),
              ("sigma", r"\boldsymbol{\sigma}"))
"""The per-node inputs of the closing BatchNorm (evaluation mode): weight, bias, running mean and running standard
deviation σ = √(running variance) (any real σ keeps σ² + ε > 0, so the step is defined for every input)."""


def _count(value, name, low):
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise SpecError(f"stgcn: {name} must be an integer >= {low}, got {value!r}")
    return value


def _gated(b, tag, window, rows, cols, weight, bias):
    """ReLU(P ⊙ σ(Q) + R) of a width-len(window) temporal convolution; window in time order, oldest first."""
    parts = {}
    for g in "pqr":
        expr = b.param(f"{bias}_{g}", rows).matrix
        for k, v in enumerate(window):
            expr = b.param(f"{weight}_{g}{k}", rows, cols) @ v.matrix + expr
        parts[g] = b.linear(expr, f"{g}{tag}", inline=False, latex=rf"\mathbf{{{g.upper()}}}_{{{tag}}}")
    return relu(parts["p"] * sigmoid(parts["q"]) + parts["r"])


def _chebyshev(b, u, K):
    """T_0(L̃) u … T_{K−1}(L̃) u (the builder's recursion) with L̃ held by its edge entries ℓ: L̃ v = scatter(ℓ ⊙ gather(v))."""
    ell = b.edge_input("ell", 1, latex=r"\boldsymbol{\ell}")

    def laplacian(v, k):
        message = b.let(f"m{k}", ell * b.linear(b.gather(v, "src")), latex=rf"\mathbf{{m}}_{{{k}}}")
        return b.scatter(message, "dst")

    return b.chebyshev(u, K, apply=laplacian)


def stgcn(kernel_size: int = 3, K: int = 3, *, eps: float = 1e-5):
    """The ST-Conv block of STGCN (PyG-Temporal ``STConv``), one time step of its delay-line recurrence.

    Parameters
    ----------
    kernel_size : int
        Kt, the width of both temporal convolutions (``STConv(kernel_size=…)``).
    K : int
        Terms of the Chebyshev filter (PyG ``ChebConv(K=K)``; Yu et al.'s Ks).
    eps : float
        BatchNorm's ε (``BatchNorm2d(eps=1e-5)``).

    Returns
    -------
    Cell
        Per-node input ``x`` (F) — the newest step; per-edge input ``ell`` (the entries of L̃,
        :func:`laplacian_entries`); per-node inputs ``gamma, beta, mu, sigma`` (size 1, BatchNorm: weight,
        bias, running mean, √running variance);
        delay-line states ``x_1 … x_{Kt−1}`` (F), ``v_1 … v_{Kt−1}`` (H) and the output ``y`` (G).
        Parameters: the first temporal convolution ``W_p0 …`` (H, F) and ``b_p, b_q, b_r``; the graph
        convolution ``Theta_0 …`` (H, H) and ``b_theta``; the second ``V_p0 …`` (G, H) and ``c_p, c_q, c_r``.
        Tap k of a convolution is ``Conv2d.weight[:, :, 0, k]``, reading step t − Kt + 1 + k.

    Examples
    --------
    >>> d = stgcn(2, 2)
    >>> d.parameter_count(), d.state_names
    (6*F*H + 6*G*H + 3*G + 2*H**2 + 4*H, ('x_1', 'v_1', 'y'))
    >>> d.output, [p.name for p in d.params][:4]
    ('y', ['b_p', 'W_p0', 'W_p1', 'b_q'])
    """
    Kt, K = _count(kernel_size, "kernel_size", 1), _count(K, "K", 1)
    from ..numeric.params import real_number

    epsilon = sp.Rational(repr(real_number(eps, "eps")))
    if epsilon <= 0:
        raise SpecError(f"stgcn: eps must be > 0, got {eps!r}")
    b = GraphBuilder("stgcn" if (Kt, K) == (3, 3) else f"stgcn_kt{Kt}_k{K}", family="spatial-temporal", reference=YU,
                     summary=f"ST-Conv block: gated temporal conv (Kt = {Kt}), Chebyshev graph conv (K = {K}), "
                             "gated temporal conv, BatchNorm over nodes (PyG-Temporal STConv)")
    F, H, G = b.sizes("F H G")
    x = b.node_input("x", F)
    norm = {n: b.node_input(n, 1, latex=tex) for n, tex in BATCH_NORM}
    xs = [b.state(f"x_{j}", F) for j in range(1, Kt)]   # x_{j, t−1} = x_{t−j}
    vs = [b.state(f"v_{j}", H) for j in range(1, Kt)]
    u = b.let("u", _gated(b, "1", xs[::-1] + [x], H, F, "W", "b"))
    pre = b.param("b_theta", H, latex=r"\mathbf{b}_{\Theta}").matrix
    for k, t in enumerate(_chebyshev(b, u, K)):
        pre = b.param(f"Theta_{k}", H, H) @ t.matrix + pre
    v = b.update("v_1", relu(pre)) if Kt > 1 else b.let("v", relu(pre))
    z = b.let("z", _gated(b, "2", vs[::-1] + [v], G, H, "V", "c"))
    b.output("y", norm["gamma"] * (z - norm["mu"]) / sp.sqrt(norm["sigma"] ** 2 + epsilon) + norm["beta"])
    if Kt > 1:
        b.update("x_1", x)
    for j in range(2, Kt):
        b.update(f"x_{j}", xs[j - 2])
        b.update(f"v_{j}", vs[j - 2])
    return b.build(output="y")


@lru_cache(maxsize=1)
def laplacian_entries():
    """ℓ_e = −w_e / √(d_j d_i) for each edge e = j → i, d = Σ of the weights by source: L̃'s entries at λ_max = 2.

    The edge rows of the "sym" Laplacian's rescaling L̃ = L − I = −D^{-1/2} A D^{-1/2} (PyG
    ``get_laplacian`` then ``ChebConv.__norm__``; the diagonal of L̃ is 0 at λ_max = 2).  Self-loops
    must be dropped before (as PyG does); every edge's ends then have positive degree when its weight is.

    Examples
    --------
    >>> import numpy as np, symrnn
    >>> from symrnn.graphs import from_edges
    >>> k = symrnn.compile(laplacian_entries())
    >>> out, _ = k.forward(from_edges([0, 1, 1, 2], [1, 0, 2, 1], 3), {"w": np.ones((4, 1))})
    >>> out["ell"].ravel().round(4).tolist()       # path 0 - 1 - 2: degrees 1, 2, 1
    [-0.7071, -0.7071, -0.7071, -0.7071]
    """
    b = GraphBuilder("laplacian_entries", reference=YU, summary="entries of L̃ = −D^{-1/2} A D^{-1/2} along the edges")
    w = b.edge_input("w", 1)
    degree = b.linear(b.scatter(w, "src"), "d")
    ends = b.linear(b.gather(degree, "src"), "d_src"), b.linear(b.gather(degree, "dst"), "d_dst")
    b.output("ell", -w / sp.sqrt(ends[0] * ends[1]), latex=r"\boldsymbol{\ell}")
    return b.build()
