"""The neighbourhood softmax's derivative rules, derived for every neighbourhood size.

A graph attention layer (GAT, Veličković et al. 2018) normalises its edge scores over the
edges entering each node: α_j = exp(e_j) / Σ_{k=1}^{n} exp(e_k) over a neighbourhood of n
edges.  Its Jacobian ∂α_j/∂e_l = α_j(δ_jl − α_l) and the backward rule
Σ_l g_l ∂α_l/∂e_j = α_j(g_j − Σ_l g_l α_l) are *derived* here by ``sympy.diff`` on an
``Indexed`` sum of symbolic length, so they hold for every n; the generated reverse mode
(:mod:`symrnn.codegen.layer`) applies the second as one fused stage, and the catalogue's
``gat_softmax_derivatives`` states both (:func:`symrnn.graphs.claims.softmax_rules`).

References
----------
P. Veličković et al., "Graph Attention Networks", ICLR 2018.
"""

from __future__ import annotations

import sympy as sp

__all__ = ["softmax_over", "neighbourhood_softmax_partial", "softmax_backward"]


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
    This is the rule the generated reverse mode applies to a neighbourhood softmax
    (:mod:`symrnn.codegen.layer`: ē = α ⊙ (ᾱ − gather(scatter(α ⊙ ᾱ)))).

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
