"""A small normal form for sums of matrix products, with the rewrite rules matrix proofs need.

SymPy keeps ``P.T*P`` as it is (it does not know P is orthogonal) and does not
commute diagonal matrices, so identities such as P Â Pᵀ P X = P Â X need a
few explicit facts.  :func:`normal_form` expands an expression into a sum of
``coefficient × (factor, factor, …)`` (distributing sums, expanding integer
powers, pushing transposes inside) and then applies, until nothing changes:

* ``cancel``: adjacent pairs (Xᵀ, X) that multiply to I (e.g. PᵀP = I for a
  permutation, UᵀU = I for an orthonormal eigenbasis);
* ``absorb``: (P, 1) → 1 and (1ᵀ, P) → 1ᵀ for a permutation P (it permutes the
  all-ones vector to itself);
* ``diagonal``: factors that are diagonal commute, so a run of them is sorted
  (justified per entry: (D₁D₂)_ii = d₁ᵢd₂ᵢ = d₂ᵢd₁ᵢ), and are symmetric (Dᵀ = D);
* equal adjacent bases merge their exponents (Λ Λ^k = Λ^{k+1}).

Two expressions with the same normal form are equal for every size.  Each rule
is an assumption the caller states; :func:`normal_form` never invents one.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp
from sympy.matrices.expressions import MatrixExpr

__all__ = ["Rules", "normal_form", "same"]


@dataclass(frozen=True)
class Rules:
    """The facts a proof may use (see the module docstring)."""

    cancel: tuple = ()  # pairs (A, B): A B = I
    absorb: tuple = ()  # pairs (A, B): A B = B (if B is a column of ones) or = A (if A is a row of ones)
    diagonal: tuple = ()  # bases known to be diagonal

    def describe(self) -> list[str]:
        out = [f"{sp.sstr(a)}·{sp.sstr(b)} = I" for a, b in self.cancel]
        out += [f"{sp.sstr(a)}·{sp.sstr(b)} = {sp.sstr(b if isinstance(b, sp.OneMatrix) else a)}"
                for a, b in self.absorb]
        if self.diagonal:
            out.append("diagonal, hence mutually commuting: " + ", ".join(map(sp.sstr, self.diagonal)))
        return out


def _base_exp(f):
    if isinstance(f, sp.MatPow):
        return f.args[0], f.args[1]
    return f, sp.S.One


def _terms(expr) -> list:
    """Expand into [(coeff, [factors])]."""
    if isinstance(expr, sp.ZeroMatrix):
        return []
    if isinstance(expr, sp.Identity):
        return [(sp.S.One, [])]
    if isinstance(expr, sp.MatAdd):
        return [t for a in expr.args for t in _terms(a)]
    if isinstance(expr, sp.MatMul):
        out = [(sp.S.One, [])]
        for a in expr.args:
            parts = _terms(a) if isinstance(a, MatrixExpr) else [(a, [])]
            out = [(c1 * c2, f1 + f2) for c1, f1 in out for c2, f2 in parts]
        return out
    if isinstance(expr, sp.MatPow) and expr.args[1].is_Integer and expr.args[1] >= 0:
        return _terms(sp.MatMul(*([expr.args[0]] * int(expr.args[1])))) if expr.args[1] else [(sp.S.One, [])]
    if isinstance(expr, sp.Transpose):
        inner = expr.args[0]
        if isinstance(inner, (sp.MatrixSymbol, sp.OneMatrix)):
            return [(sp.S.One, [expr])]
        return [(c, [_transpose(f) for f in reversed(fs)]) for c, fs in _terms(inner)]
    return [(sp.S.One, [expr])]


def _transpose(f):
    if isinstance(f, sp.Transpose):
        return f.args[0]
    if isinstance(f, sp.MatPow):
        return sp.MatPow(_transpose(f.args[0]), f.args[1])
    return sp.Transpose(f)


def _symmetric(f, diag):
    if isinstance(f, sp.Transpose) and f.args[0] in diag:
        return f.args[0]
    if isinstance(f, sp.MatPow) and isinstance(f.args[0], sp.Transpose) and f.args[0].args[0] in diag:
        return sp.MatPow(f.args[0].args[0], f.args[1])
    return f


def _simplify(fs: list, rules: Rules) -> list:
    changed = True
    diag = set(rules.diagonal)
    fs = [_symmetric(f, diag) for f in fs]  # Dᵀ = D, (Dᵀ)^k = D^k
    while changed:
        changed = False
        for i in range(len(fs) - 1):
            a, b = fs[i], fs[i + 1]
            if (a, b) in rules.cancel:
                fs = fs[:i] + fs[i + 2:]
            elif (a, b) in rules.absorb:
                fs = fs[:i] + [b if isinstance(b, sp.OneMatrix) else a] + fs[i + 2:]
            elif _base_exp(a)[0] == _base_exp(b)[0] and not isinstance(a, sp.OneMatrix):
                base = _base_exp(a)[0]
                fs = fs[:i] + [sp.MatPow(base, _base_exp(a)[1] + _base_exp(b)[1])] + fs[i + 2:]
            elif _base_exp(a)[0] in diag and _base_exp(b)[0] in diag and sp.default_sort_key(b) < sp.default_sort_key(a):
                fs = fs[:i] + [b, a] + fs[i + 2:]
            else:
                continue
            changed = True
            break
    return [f.args[0] if isinstance(f, sp.MatPow) and f.args[1] == 1 else f for f in fs]


def normal_form(expr, rules: Rules = Rules()) -> dict:
    """``{tuple(factors): coefficient}`` of ``expr`` under ``rules`` (zero coefficients dropped).

    Examples
    --------
    >>> N = sp.Symbol("N", integer=True, positive=True)
    >>> P, X = sp.MatrixSymbol("P", N, N), sp.MatrixSymbol("X", N, 2)
    >>> normal_form(P.T * P * X + X, Rules(cancel=((P.T, P),)))
    {(X,): 2}
    """
    out: dict = {}
    for c, fs in _terms(expr):
        key = tuple(_simplify(list(fs), rules))
        out[key] = sp.simplify(out.get(key, 0) + c)
    return {k: v for k, v in out.items() if v != 0}


def same(lhs, rhs, rules: Rules = Rules()) -> tuple[bool, dict, dict]:
    """Whether ``lhs`` and ``rhs`` have the same normal form; also both forms.

    Examples
    --------
    >>> N = sp.Symbol("N", integer=True, positive=True)
    >>> A, B = sp.MatrixSymbol("A", N, N), sp.MatrixSymbol("B", N, N)
    >>> same(A * B, B * A, Rules(diagonal=(A, B)))[0], same(A * B, B * A)[0]
    (True, False)
    """
    a, b = normal_form(lhs, rules), normal_form(rhs, rules)
    return a == b, a, b
