"""Identities of matrix expressions for every size, under stated facts (graph operators, spectra).

:func:`matrix_identity` proves ``lhs = rhs`` for SymPy matrix expressions
with symbolic sizes (``MatrixSymbol("X", N, F)``): both sides go to the
normal form of :mod:`symrnn.prove.matrix_form` under the rewrite rules the
stated facts justify — :func:`permutation` (PᵀP = PPᵀ = I, P1 = 1),
:func:`orthogonal` (UᵀU = UUᵀ = I) and :func:`diagonal` (diagonal matrices
commute).  Equal normal forms prove the identity for every size: each rule
is an identity of matrices valid for every N, applied to whole factors.

Nothing else is assumed, and every verdict is checked by an evaluation that
shares nothing with the normal form: each size symbol is set to 2 and then
to 5, each matrix is instantiated with exact random rationals that satisfy
its facts (a random permutation, a Cayley-transform orthogonal matrix
(I − S)(I + S)⁻¹ of a rational skew S, a positive rational diagonal), and both sides
are evaluated by a plain interpreter at 60 digits (a difference above 1e−40
relative is real, below it a tie).  A proof that this contradicts is an ``error``;
when the normal forms differ, such an exact instance is the counterexample
(``refuted``), and if every instance agrees the verdict is ``checked``.
``numeric=`` adds a cross-examination through code of the caller's own,
typically the layer's kernel on random graphs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable

import numpy as np
import sympy as sp

from ..errors import SpecError
from .context import claim, cross_examining
from .context import rng as seeded_rng
from .matrix_form import Rules, normal_form
from .numeric import _text
from .verdict import Result, inconsistent

__all__ = ["Fact", "permutation", "orthogonal", "diagonal", "matrix_identity", "rules_of"]


@dataclass(frozen=True)
class Fact:
    """An assumption about matrices: ``kind`` in {"permutation", "orthogonal", "diagonal"}."""

    kind: str
    matrices: tuple

    def describe(self) -> str:
        names = ", ".join(sp.sstr(m) for m in self.matrices)
        return {"permutation": f"{names} a permutation matrix: PᵀP = PPᵀ = I, P1 = 1, 1ᵀP = 1ᵀ",
                "orthogonal": f"{names} orthogonal: UᵀU = UUᵀ = I",
                "diagonal": f"{names} diagonal, hence mutually commuting"}[self.kind]


def _square(kind, M):
    if not isinstance(M, sp.MatrixSymbol) or M.shape[0] != M.shape[1]:
        raise SpecError(f"{kind}: expected a square MatrixSymbol, got {M!r}")
    return M


def permutation(P) -> Fact:
    """``P`` is a permutation matrix (of any size N).

    Examples
    --------
    >>> N = sp.Symbol("N", integer=True, positive=True)
    >>> permutation(sp.MatrixSymbol("P", N, N)).kind
    'permutation'
    """
    return Fact("permutation", (_square("permutation", P),))


def orthogonal(U) -> Fact:
    """``U`` is an orthogonal matrix (UᵀU = UUᵀ = I), e.g. an eigenbasis of a symmetric L."""
    return Fact("orthogonal", (_square("orthogonal", U),))


def diagonal(*Ds) -> Fact:
    """The matrices ``Ds`` are diagonal (so they commute with each other)."""
    if not Ds:
        raise SpecError("diagonal: name at least one matrix")
    return Fact("diagonal", tuple(_square("diagonal", D) for D in Ds))


def rules_of(facts: Iterable[Fact]) -> Rules:
    """The rewrite rules justified by ``facts``."""
    cancel, absorb, diag = [], [], []
    for f in facts:
        if not isinstance(f, Fact):
            raise SpecError(f"facts: expected permutation(P), orthogonal(U) or diagonal(D), got {f!r}")
        for M in f.matrices:
            if f.kind in ("permutation", "orthogonal"):
                cancel += [(M.T, M), (M, M.T)]
            if f.kind == "permutation":
                one = sp.OneMatrix(M.shape[0], 1)
                absorb += [(M, one), (M.T, one), (one.T, M), (one.T, M.T)]
            if f.kind == "diagonal":
                diag.append(M)
    return Rules(cancel=tuple(cancel), absorb=tuple(absorb), diagonal=tuple(diag))


# ----------------------------------------------------------------------------- exact instances
def _rational(rng, lo=-3, hi=3):
    return sp.Rational(int(rng.integers(lo * 8, hi * 8 + 1)), 8)


def _instance(lhs, rhs, facts, size: int, rng):
    """Random values making both sides explicit: sizes, scalars, then every matrix (exact rationals)."""
    syms = set()
    for e in (lhs, rhs):
        syms |= {s for s in e.free_symbols if not isinstance(s, sp.MatrixSymbol)}
        for M in e.atoms(sp.MatrixSymbol):
            syms |= set().union(*(sp.sympify(d).free_symbols for d in M.shape))
        syms |= set().union(*(sp.sympify(d).free_symbols for d in e.shape))
    kinds = {M.name: f.kind for f in facts for M in f.matrices}
    subs = {}
    for s in sorted(syms, key=lambda s: s.name):
        if s.is_integer and s.is_positive:
            subs[s] = sp.Integer(size)
        elif s.is_integer:
            subs[s] = sp.Integer(int(rng.integers(0, 4)))
        else:
            v = _rational(rng)
            subs[s] = abs(v) + sp.Rational(1, 8) if s.is_positive else v
    powered = {p.args[0] for e in (lhs, rhs) for p in e.atoms(sp.MatPow)
               if isinstance(p.args[0], sp.MatrixSymbol) and not sp.sympify(p.args[1]).is_integer}
    mats = {}
    for M in sorted(set().union(*(e.atoms(sp.MatrixSymbol) for e in (lhs, rhs))), key=lambda m: m.name):
        r, c = (int(sp.sympify(d).xreplace(subs)) for d in M.shape)
        kind = kinds.get(M.name)
        if kind == "permutation":
            value = sp.eye(r)[list(rng.permutation(r)), :]
        elif kind == "orthogonal":
            S = sp.zeros(r, r)
            for i in range(r):
                for j in range(i + 1, r):
                    S[i, j] = _rational(rng, -1, 1)
                    S[j, i] = -S[i, j]
            value = (sp.eye(r) - S) * (sp.eye(r) + S).inv()
        elif kind == "diagonal":
            value = sp.diag(*[sp.Rational(int(rng.integers(1, 33)), 8) for _ in range(r)])
        elif M in powered:  # under a fractional power: symmetric positive definite, B Bᵀ + I
            B = sp.Matrix(r, r, [_rational(rng, -1, 1) for _ in range(r * r)])
            value = B * B.T + sp.eye(r)
        else:
            value = sp.Matrix(r, c, [_rational(rng) for _ in range(r * c)])
        mats[M] = value
    return subs, mats


def _mp_matrix(value):
    import mpmath

    return mpmath.matrix([[mpmath.mpf(v.p) / v.q if v.is_Rational else mpmath.mpf(str(sp.N(v, 70)))
                           for v in row] for row in value.tolist()])


def _evaluate(e, subs, mats):
    """A matrix expression at 60 digits (mpmath), from the values of its symbols.

    A plain recursive interpreter of MatAdd, MatMul, MatPow, Transpose, Inverse
    and the constant matrices: it shares nothing with the normal form.
    """
    import mpmath

    ev = lambda a: _evaluate(a, subs, mats)  # noqa: E731
    if isinstance(e, sp.MatrixSymbol):
        return _mp_matrix(mats[e])
    if isinstance(e, (sp.Identity, sp.ZeroMatrix, sp.OneMatrix)):
        r, c = (int(sp.sympify(d).xreplace(subs)) for d in e.shape)
        return (mpmath.eye(r) if isinstance(e, sp.Identity) else
                mpmath.zeros(r, c) if isinstance(e, sp.ZeroMatrix) else mpmath.ones(r, c))
    if isinstance(e, sp.MatAdd):
        out = ev(e.args[0])
        for a in e.args[1:]:
            out = out + ev(a)
        return out
    if isinstance(e, sp.MatMul):
        scalar, out = mpmath.mpf(1), None
        for a in e.args:
            if getattr(a, "is_Matrix", False):
                out = ev(a) if out is None else out * ev(a)
            else:
                scalar *= _scalar(a, subs)
        return out * scalar
    if isinstance(e, sp.MatPow):
        base, k = ev(e.args[0]), sp.sympify(e.args[1]).xreplace(subs)
        if k.is_Integer and k >= 0:
            out = mpmath.eye(base.rows)
            for _ in range(int(k)):
                out = out * base
            return out
        return _diagonal_power(base, k)
    if isinstance(e, sp.Transpose):
        return ev(e.args[0]).T
    if isinstance(e, sp.Inverse):
        return mpmath.inverse(ev(e.args[0]))
    if isinstance(e, sp.MatrixBase):
        return _mp_matrix(sp.Matrix(e).xreplace(subs))
    raise SpecError(f"matrix_identity: cannot evaluate {type(e).__name__} {e}")


def _scalar(a, subs):
    import mpmath

    v = sp.sympify(a).xreplace(subs)
    return mpmath.mpf(v.p) / v.q if v.is_Rational else mpmath.mpf(str(sp.N(v, 70)))


def _diagonal_power(base, k):
    """A non-integer power of a symmetric positive definite matrix (D^{-1/2}): V Λ^k Vᵀ."""
    import mpmath

    if any(base[i, j] != base[j, i] for i in range(base.rows) for j in range(i)):
        raise SpecError("matrix_identity: a non-integer power is evaluated for symmetric positive definite matrices "
                        "only (state diagonal(D) for a degree matrix)")
    lam, V = mpmath.eigsy(base)
    return V * mpmath.diag([v ** _scalar(k, {}) for v in lam]) * V.T


def _exact_difference(lhs, rhs, facts, sizes, purpose):
    """The first random instance where the sides differ at 60 digits: a counterexample dict, or None; and the count."""
    from .exact import TIE, max_difference, precision

    rng = seeded_rng("matrix_identity", *purpose)
    n = 0
    with precision():
        for size in sizes:
            for _ in range(2):
                subs, mats = _instance(lhs, rhs, facts, size, rng)
                L, R = _evaluate(lhs, subs, mats), _evaluate(rhs, subs, mats)
                n += 1
                absolute, relative = max_difference(np.array(L.tolist(), dtype=object), np.array(R.tolist(), dtype=object))
                if relative > TIE:
                    return {"sizes": {str(k): str(v) for k, v in subs.items()},
                            "matrices": {m.name: str(v.tolist()) for m, v in mats.items()},
                            "lhs": str(L.tolist()), "rhs": str(R.tolist()), "difference": _text(absolute)}, n
    return None, n


@claim("matrix_identity")
def matrix_identity(lhs, rhs, *, facts=(), numeric: Callable | None = None, examples: int = 5,
                    sizes=(2, 5)) -> Result:
    """Prove ``lhs = rhs`` for matrix expressions of symbolic size, under ``facts``.

    Parameters
    ----------
    lhs, rhs : SymPy matrix expressions
        Of equal shape, e.g. ``P * A * P.T * P * X`` and ``P * A * X``.
    facts : sequence of Fact
        :func:`permutation`, :func:`orthogonal`, :func:`diagonal`: the only
        assumptions the proof may use.
    numeric : callable, optional
        ``numeric(rng) -> (lhs_value, rhs_value)`` (float arrays): the same
        claim computed by other code (e.g. a kernel on a random graph);
        called ``examples`` times before a proof is reported, and a
        disagreement beyond 1e-9 makes the verdict ``error``.
    sizes : tuple of int
        Values of the size symbols in the exact instances.

    Returns
    -------
    Result
        ``proved`` (every size), ``refuted`` with an exact instance, or
        ``checked`` when the normal forms differ but every exact instance
        agrees.

    Examples
    --------
    >>> N, F = sp.symbols("N F", integer=True, positive=True)
    >>> P, A, X = sp.MatrixSymbol("P", N, N), sp.MatrixSymbol("A", N, N), sp.MatrixSymbol("X", N, F)
    >>> matrix_identity(P * A * P.T * P * X, P * A * X, facts=[permutation(P)]).status
    'proved'
    >>> r = matrix_identity(P * A * P.T * P * X, A * P * X, facts=[permutation(P)])
    >>> r.status, r.counterexample["sizes"]
    ('refuted', {'F': '2', 'N': '2'})
    """
    lhs, rhs = sp.sympify(lhs), sp.sympify(rhs)
    if not (getattr(lhs, "is_Matrix", False) and getattr(rhs, "is_Matrix", False)):
        raise SpecError(f"matrix_identity: both sides must be matrix expressions, got {type(lhs).__name__} and "
                        f"{type(rhs).__name__}")
    if sp.simplify(sp.Matrix(lhs.shape) - sp.Matrix(rhs.shape)) != sp.zeros(2, 1):
        raise SpecError(f"matrix_identity: shapes differ: {lhs.shape} vs {rhs.shape}")
    facts = tuple(facts)
    rules = rules_of(facts)
    a, b = normal_form(lhs, rules), normal_form(rhs, rules)
    steps = [f"lhs = {sp.sstr(lhs)}", f"rhs = {sp.sstr(rhs)}"]
    if facts:
        steps.append("facts: " + "; ".join(f.describe() for f in facts))
    steps.append(f"normal form of lhs: {_show(a)}")
    steps.append(f"normal form of rhs: {_show(b)}")
    purpose = (sp.srepr(lhs), sp.srepr(rhs))
    with cross_examining():  # a cross-examination when the forms agree, the search for a counterexample otherwise
        found, n = _exact_difference(lhs, rhs, facts, sizes, purpose)
    if a == b:
        steps.append("The normal forms coincide: every rewrite is a matrix identity valid for every size, so "
                     "lhs = rhs for every size.")
        if found is not None:
            return inconsistent(steps, found, "exact evaluation at random instances")
        lines = [f"cross-examined by exact evaluation: {n} random instances satisfying the facts "
                 f"(sizes {' and '.join(map(str, sizes))}), both sides equal"]
        if numeric is not None:
            with cross_examining():
                bad, line = _numeric(numeric, examples, purpose)
            if bad is not None:
                return inconsistent(steps, bad, "the numeric cross-check")
            lines.append(line)
        return Result("proved", "matrix normal form under stated facts", steps, cross_examination="; ".join(lines))
    steps.append("The normal forms differ; evaluate exact instances.")
    if found is not None:
        steps.append(f"At sizes {found['sizes']} with exact random matrices satisfying the facts, lhs − rhs has an "
                     f"entry of size {found['difference']}.")
        return Result("refuted", "matrix normal form, then exact instance", steps, counterexample=found)
    steps.append(f"All {n} exact instances agree: checked, not proved (the normal form lacks a rule that holds here).")
    return Result("checked", "matrix normal form (inconclusive), then exact instances", steps, examples=n)


def _show(form: dict) -> str:
    if not form:
        return "0"
    return " + ".join(f"{sp.sstr(c)}·{'·'.join(sp.sstr(f) for f in fs) or 'I'}" for fs, c in form.items())


def _numeric(numeric, examples, purpose):
    rng = seeded_rng("matrix_identity.numeric", *purpose)
    worst = 0.0
    for _ in range(examples):
        left, right = (np.asarray(v, dtype=float) for v in numeric(rng))
        d = float(np.max(np.abs(left - right))) if left.size else 0.0
        if left.shape != right.shape or not d <= 1e-9 * (1 + float(np.max(np.abs(right)) if right.size else 0)):
            return {"lhs": left, "rhs": right, "difference": f"{d:.6g}"}, ""
        worst = max(worst, d)
    return None, f"numeric cross-check on {examples} random cases: largest difference {worst:.1e}"
