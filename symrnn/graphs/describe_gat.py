"""Symbolic description of a GAT layer: linear stages, per-edge scalar stages, their partials.

Linear stages (matrix expressions, any size): Z = X W, s^src = Z_h a_src^h,
s^dst = Z_h a_dst^h per head h.  Per-edge scalar stages (one edge j → i):

    p_ij = s_j^src + s_i^dst,   e_ij = LeakyReLU_s(p_ij),
    α_ij = exp(e_ij) / Σ_{k ∈ N̄(i)} exp(e_ik),   y_i = Σ_{j ∈ N̄(i)} α_ij z_j.

The softmax partial ∂α_ij/∂e_il = α_ij (δ_jl − α_il) is *derived* by
``sympy.diff`` on the softmax over a neighbourhood of symbolic size n (an
``Indexed`` sum), so it holds for every neighbourhood size.

References
----------
P. Veličković et al., "Graph Attention Networks", ICLR 2018.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import sympy as sp

from ..errors import SpecError
from .symbolic import graph_sizes, latex_of, leaky_relu, matrices

__all__ = ["GATDescription", "describe_gat", "softmax_over", "neighbourhood_softmax_partial", "softmax_backward"]


class _NbSum(sp.Function):
    """Σ_{k ∈ N̄(i)} body — display only (the derivative uses an explicit finite sum)."""

    def _latex(self, printer, exp=None):
        body, k, i = (printer._print(a) for a in self.args)
        return rf"\sum_{{{k} \in \bar{{\mathcal{{N}}}}({i})}} {body}"


def softmax_over(e: sp.IndexedBase, j, n):
    """exp(e_j) / Σ_{k=1}^{n} exp(e_k) and the summation index k.

    Examples
    --------
    >>> e = sp.IndexedBase("e"); j, n = sp.symbols("j n", integer=True, positive=True)
    >>> softmax_over(e, j, n)[0]
    exp(e[j])/Sum(exp(e[k]), (k, 1, n))
    """
    k = sp.Symbol("k", integer=True, positive=True)
    return sp.exp(e[j]) / sp.Sum(sp.exp(e[k]), (k, 1, n)), k


def neighbourhood_softmax_partial():
    """∂α_j/∂e_l of the softmax over n neighbours, derived, and the closed form α_j(δ_jl − α_l).

    Returns ``(derived, closed, difference)``; the difference simplifies to 0 for
    every n ≥ 1 and 1 ≤ l ≤ n (written n = l + m with l ≥ 1, m ≥ 0, so both
    bounds hold by construction).

    Examples
    --------
    >>> neighbourhood_softmax_partial()[2]
    0
    """
    l, j = sp.symbols("l j", integer=True, positive=True)
    m = sp.Symbol("m", integer=True, nonnegative=True)
    e = sp.IndexedBase("e")
    n = l + m
    alpha, _ = softmax_over(e, j, n)
    alpha_l, _ = softmax_over(e, l, n)
    derived = sp.diff(alpha, e[l]).doit()
    closed = alpha * (sp.KroneckerDelta(j, l) - alpha_l)
    return derived, closed, sp.simplify(derived - closed)


def softmax_backward():
    """The softmax's backward rule, derived: Σ_l g_l ∂α_l/∂e_j = α_j (g_j − Σ_l g_l α_l).

    ``g_l`` = ∂L/∂α_l.  Returns ``(derived, closed, difference)``; the
    difference simplifies to 0 for every neighbourhood size n ≥ j (n = j + m).
    This is the rule :func:`~symrnn.graphs.gat_backward` applies per edge.

    Examples
    --------
    >>> softmax_backward()[2]
    0
    """
    j = sp.Symbol("j", integer=True, positive=True)
    m = sp.Symbol("m", integer=True, nonnegative=True)
    l = sp.Symbol("l", integer=True, positive=True)
    n = j + m
    e, g = sp.IndexedBase("e"), sp.IndexedBase("g")
    alpha_l, _ = softmax_over(e, l, n)
    alpha_j, _ = softmax_over(e, j, n)
    derived = sp.Sum(g[l] * sp.diff(alpha_l, e[j]), (l, 1, n))
    closed = alpha_j * (g[j] - sp.Sum(g[l] * alpha_l, (l, 1, n)))
    return derived, closed, sp.simplify((derived - closed).doit())


@dataclass(frozen=True)
class GATDescription:
    """GAT with ``heads`` heads, ``concat`` or mean, LeakyReLU slope ``slope`` (a symbol by default).

    Examples
    --------
    >>> d = describe_gat(heads=2)
    >>> d.parameter_count()
    2*C*F + 6*C
    """

    heads: int
    concat: bool
    slope: sp.Expr

    @cached_property
    def sizes(self):
        return graph_sizes("N F C")

    @cached_property
    def linear(self) -> dict:
        """Name → matrix expression: Z = X W, per-head scores s^src, s^dst."""
        N, F, C = self.sizes
        H = self.heads
        X, W = matrices("X W", [(N, F), (F, H * C)])
        out = {"Z": X * W}
        for h in range(H):
            Zh = sp.MatrixSymbol(f"Z_{h}", N, C)
            a_s, a_d = matrices(f"a_src{h} a_dst{h}", [(C, 1), (C, 1)])
            out[f"s_src{h}"] = Zh * a_s
            out[f"s_dst{h}"] = Zh * a_d
        return out

    @cached_property
    def scalars(self) -> dict:
        """The per-edge scalar symbols: p, e, α and the score inputs."""
        return {n: sp.Symbol(n, real=True) for n in ("s_j", "s_i", "p_ij", "e_ij")}

    def edge_stages(self) -> dict:
        """Per-edge scalar stages (one head): p_ij and e_ij as SymPy expressions."""
        s = self.scalars
        return {"p_ij": s["s_j"] + s["s_i"], "e_ij": leaky_relu(s["p_ij"], self.slope)}

    def partials(self) -> dict:
        """Per-edge partial derivatives by ``sympy.diff``: ∂p/∂s_j, ∂p/∂s_i, ∂e/∂p, ∂α_ij/∂e_il."""
        s, st = self.scalars, self.edge_stages()
        derived, closed, _ = neighbourhood_softmax_partial()
        return {
            ("p_ij", "s_j"): sp.diff(st["p_ij"], s["s_j"]),
            ("p_ij", "s_i"): sp.diff(st["p_ij"], s["s_i"]),
            ("e_ij", "p_ij"): sp.diff(st["e_ij"], s["p_ij"]),
            ("alpha_ij", "e_il"): closed,
        }

    def parameter_count(self) -> sp.Expr:
        N, F, C = self.sizes
        H = self.heads
        return F * H * C + 2 * H * C + (H * C if self.concat else C)

    def latex(self) -> str:
        """``align*`` block: the layer (per head) and its partial derivatives."""
        i, j, k, h = sp.symbols("i j k h")
        st = self.edge_stages()
        e_ik = sp.Symbol("e_{ik}^{h}")
        lines = [
            rf"\mathbf{{Z}} &= {latex_of(self.linear['Z'])}",
            r"p_{ij}^{h} &= \mathbf{a}_{src}^{h\top} \mathbf{z}_{j}^{h} + \mathbf{a}_{dst}^{h\top} \mathbf{z}_{i}^{h}",
            rf"e_{{ij}}^{{h}} &= {sp.latex(st['e_ij'].subs(self.scalars['p_ij'], sp.Symbol('p_{ij}^{h}')))}",
            r"\alpha_{ij}^{h} &= \frac{\exp e_{ij}^{h}}" + rf"{{{sp.latex(_NbSum(sp.exp(e_ik), k, i))}}}",
            r"\mathbf{y}_{i}^{h} &= " + sp.latex(_NbSum(sp.Symbol(r"\alpha_{ij}^{h} \mathbf{z}_{j}^{h}"), j, i)),
            r"\mathbf{y}_{i} &= " + (r"\big\Vert_{h=1}^{H} \mathbf{y}_{i}^{h} + \mathbf{b}" if self.concat
                                     else r"\frac{1}{H} \sum_{h=1}^{H} \mathbf{y}_{i}^{h} + \mathbf{b}"),
            r"\frac{\partial e_{ij}}{\partial p_{ij}} &= "
            + sp.latex(self.partials()[("e_ij", "p_ij")].subs(self.scalars["p_ij"], sp.Symbol("p_{ij}"))),
            r"\frac{\partial \alpha_{ij}}{\partial e_{il}} &= \alpha_{ij} \left(\delta_{jl} - \alpha_{il}\right)",
            r"\frac{\partial \mathcal{L}}{\partial e_{ij}} &= \alpha_{ij} \left(\frac{\partial \mathcal{L}}"
            r"{\partial \alpha_{ij}} - \sum_{l \in \bar{\mathcal{N}}(i)} \alpha_{il} "
            r"\frac{\partial \mathcal{L}}{\partial \alpha_{il}}\right)",
        ]
        return "\\begin{align*}\n" + "\\\\\n".join(lines) + "\n\\end{align*}"


def describe_gat(*, heads: int = 1, concat: bool = True, slope=None) -> GATDescription:
    """A GAT layer description (slope defaults to the symbol s; PyG's value is 0.2).

    Examples
    --------
    >>> describe_gat().partials()[("e_ij", "p_ij")]
    s + (1 - s)*Heaviside(p_ij, 0)
    """
    if isinstance(heads, bool) or not isinstance(heads, int) or heads < 1:
        raise SpecError(f"describe_gat: heads must be an integer >= 1, got {heads!r}")
    s = sp.Symbol("s", positive=True) if slope is None else sp.nsimplify(slope)
    return GATDescription(heads, bool(concat), s)
