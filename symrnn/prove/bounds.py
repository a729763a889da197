"""Inequalities about one unit of a cell, proved by vertex enumeration.

Method (rigorous, per unit, hence for every size):

1. Write both sides through the per-unit normal form and reduce the claim to
   goals ``g ≥ 0`` (``> 0`` if strict): ``|E| ≤ R`` becomes ``R − E ≥ 0`` and
   ``R + E ≥ 0``.
2. Replace each distinct application of a bounded function (σ ∈ (0, 1),
   tanh ∈ (−1, 1), ranges from :data:`~symrnn.spec.symbols.FUNCTIONS`) by one
   variable in its **open** interval, each assumed quantity (``|h_{t−1}| ≤ 1``)
   by one in its **closed** interval, a function bounded below by 0 only
   (ReLU, exp) by a nonnegative variable, and every other real quantity ``v``
   by ``±m`` with ``m ≥ 0`` (both sign cases).  Replacing dependent
   quantities by independent variables only enlarges the set of cases, so
   this is sound (the same σ(a) appearing as z and 1 − z stays one variable).
3. Each goal is a polynomial in the ``m``'s whose coefficients are multilinear
   in the box variables.  A multilinear polynomial on a box is a convex
   combination of its vertex values, so all vertex values ≥ 0 proves ≥ 0.
   Strictness: for every vertex of the closed variables, some vertex of the
   open variables gives a value > 0 (its weight is > 0 inside the open box).
   Coefficients of ``m^k`` (k ≥ 1) must be ≥ 0; the constant one carries the
   strictness.

A failed vertex check proves nothing; a numeric search with the reference
evaluator then looks for a concrete counterexample, re-checked at 60 digits
(a float tie is not a counterexample).  A proof is cross-examined on random
points at two sizes before it is reported.
"""

from __future__ import annotations

import itertools
from typing import Mapping

import sympy as sp

from ..errors import SpecError
from ..numeric.reference import evaluate_pointwise
from ..spec.cell import PREV
from ..spec.parse import as_expr
from ..spec.symbols import FUNCTIONS
from . import cellcheck, exact
from .context import claim
from .normal_form import NormalForm, as_cell
from .verdict import Result, inconsistent

__all__ = ["inequality", "nonnegative_on_box"]


def _parse(cell, text, argument: str = "expression") -> sp.Expr:
    e = as_expr(text, argument=argument)
    if e.has(sp.I) or e.has(sp.zoo) or e.has(sp.nan) or e.has(sp.oo):
        raise SpecError(f"{argument}: {text!r} is not a real expression; inequalities compare real numbers")
    for s in e.free_symbols:
        cell.unit(s.name)  # UnknownNameError lists the names
    return e.xreplace({s: sp.Symbol(s.name, real=True) for s in e.free_symbols})


class _Vars:
    """Box, closed and nonnegative variables introduced for one goal."""

    def __init__(self, assume):
        self.box: dict[sp.Symbol, tuple] = {}  # var -> (lo, hi, closed)
        self.origin: dict[sp.Symbol, sp.Expr] = {}
        self.by_node: dict[sp.Expr, sp.Symbol] = {}
        self.nonneg: list[sp.Symbol] = []
        self.assume = assume

    def new(self, node, lo=None, hi=None, closed=False, nonneg=False):
        if node not in self.by_node:
            k = len(self.by_node) + 1
            v = sp.Symbol(f"w{k}", real=True, nonnegative=nonneg or None)
            self.by_node[node] = v
            self.origin[v] = node
            if nonneg:
                self.nonneg.append(v)
            else:
                self.box[v] = (sp.nsimplify(lo), sp.nsimplify(hi), closed)
        return self.by_node[node]

    def abstract(self, e):
        if isinstance(e, sp.Function) and type(e) in FUNCTIONS:
            row = FUNCTIONS[type(e)]
            if row.lower is not None and row.upper is not None:
                return self.new(e, row.lower, row.upper)
            if row.lower == 0:
                return self.new(e, nonneg=True)
        if isinstance(e, sp.Symbol) and e.name in self.assume:
            lo, hi = self.assume[e.name]
            return self.new(e, lo, hi, closed=True)
        if not e.args:
            return e
        return e.func(*(self.abstract(a) for a in e.args))


def nonnegative_on_box(poly: sp.Expr, box: Mapping, *, strict: bool) -> tuple[bool, str]:
    """Vertex check of a multilinear polynomial on a box; ``(holds, reason)``.

    ``box`` maps each variable to ``(lo, hi, closed)``.

    Examples
    --------
    >>> import sympy as sp
    >>> z, n, h = sp.symbols("z n h", real=True)
    >>> nonnegative_on_box(1 - z*h - (1 - z)*n, {z: (0, 1, False), n: (-1, 1, False), h: (-1, 1, True)}, strict=True)
    (True, '8 vertices, all ≥ 0, each closed vertex has a positive open vertex')
    >>> nonnegative_on_box(sp.Rational(1, 2) - n, {n: (-1, 1, False)}, strict=False)[0]
    False
    """
    poly = sp.expand(poly)
    variables = [v for v in box if poly.has(v)]
    for v in variables:
        try:
            degree = sp.degree(poly, v)
        except sp.PolynomialError:
            return False, f"not a polynomial in {v}"
        if degree > 1:
            return False, f"not multilinear in {v}"
    closed = [v for v in variables if box[v][2]]
    opened = [v for v in variables if not box[v][2]]
    count = 0
    for cv in itertools.product(*((box[v][0], box[v][1]) for v in closed)):
        part = poly.xreplace(dict(zip(closed, cv)))
        values = [part.xreplace(dict(zip(opened, ov))) for ov in itertools.product(*((box[v][0], box[v][1]) for v in opened))]
        count += len(values)
        if any(val < 0 for val in values):
            return False, f"a vertex value is negative at {dict(zip(closed, cv))}"
        if strict and not any(val > 0 for val in values):
            return False, f"no positive open vertex at {dict(zip(closed, cv))}"
    tail = ", each closed vertex has a positive open vertex" if strict else ""
    return True, f"{count} vertices, all ≥ 0{tail}"


def _goals(lhs, rhs):
    if isinstance(lhs, sp.Abs):
        return [rhs - lhs.args[0], rhs + lhs.args[0]]
    return [rhs - lhs]


def _prove_goal(goal, assume, strict, steps) -> bool:
    vs = _Vars(assume)
    g = vs.abstract(goal)
    free = sorted((s for s in g.free_symbols if s not in vs.box and s not in vs.nonneg), key=str)
    ms = {s: sp.Symbol(f"m_{k}", nonnegative=True) for k, s in enumerate(free, start=1)}
    names = ", ".join(f"{v} = {vs.origin[v]} ∈ {'[' if vs.box[v][2] else '('}{vs.box[v][0]}, {vs.box[v][1]}{']' if vs.box[v][2] else ')'}"
                      for v in vs.box)
    steps.append(f"  goal {'>' if strict else '≥'} 0: {sp.expand(g)}" + (f"   with {names}" if names else ""))
    if ms:
        steps.append("  unbounded quantities split by sign: " + ", ".join(f"{s} = ±{m}" for s, m in ms.items()))
    nonneg = list(vs.nonneg) + list(ms.values())
    for signs in itertools.product((1, -1), repeat=len(ms)):
        case = sp.expand(g.xreplace({s: sgn * m for (s, m), sgn in zip(ms.items(), signs)}))
        if case.has(sp.Abs):
            steps.append(f"  cannot handle |·| of a non-variable in {case}")
            return False
        try:
            poly = sp.Poly(case, *nonneg) if nonneg else None
        except sp.PolynomialError:
            steps.append(f"  not a polynomial in the unbounded quantities: {case}")
            return False
        coeffs = poly.terms() if poly is not None else [((), case)]
        for monom, coeff in coeffs:
            constant = not any(monom)
            ok, why = nonnegative_on_box(coeff, vs.box, strict=strict and constant)
            label = "constant term" if constant else f"coefficient of {sp.Mul(*(m**k for m, k in zip(nonneg, monom)))}"
            if not ok:
                steps.append(f"  {label} {coeff}: {why}")
                return False
            steps.append(f"  signs {signs}: {label} {coeff}: {why}" if ms else f"  {label}: {why}")
        if poly is not None and strict and all(any(m) for m, _ in coeffs):
            steps.append("  no positive constant term: strictness not shown")
            return False
    return True


@claim("inequality")
def inequality(cell, lhs, rhs, *, strict: bool = False, assume: Mapping | None = None,
               examples: int = 200) -> Result:
    """Prove ``lhs ≤ rhs`` (``<`` if strict) per unit, for every size.

    Parameters
    ----------
    cell : Cell
    lhs, rhs : str or SymPy expression
        Over the cell's names (``"Abs(h)"``, ``"Abs(c_prev) + 1"``); a state's
        name means its new value.  ``lhs`` may be ``Abs(E)``.
    strict : bool
    assume : dict, optional
        ``name -> (lo, hi)``: closed ranges assumed for inputs or previous
        states (``{"h_prev": (-1, 1)}``).  If the conclusion bounds a state
        inside the range assumed for its previous value, the bound holds for
        every t by induction (stated in the steps).
    examples : int
        Numeric examples tried when the vertex check fails.

    Examples
    --------
    >>> import symrnn
    >>> gru = symrnn.cell("gru_reset_before")
    >>> inequality(gru, "Abs(h)", 1, strict=True, assume={"h_prev": (-1, 1)}).status
    'proved'
    >>> inequality(gru, "Abs(h)", "1/2", assume={"h_prev": (-1, 1)}).status
    'refuted'
    """
    cell = as_cell(cell)
    assume = {k: tuple(v) for k, v in dict(assume or {}).items()}
    for k, (lo, hi) in assume.items():
        role = cell.role(k)  # UnknownNameError if unknown
        if role not in ("input", "previous"):
            raise SpecError(f"inequality: assume names inputs or previous states, {k!r} is a {role}")
        if not lo <= hi:
            raise SpecError(f"inequality: assumed range of {k!r} is empty: {(lo, hi)}")
    L, R = _parse(cell, lhs, "lhs"), _parse(cell, rhs, "rhs")
    nf = NormalForm(cell)
    flat = lambda e: e.xreplace({s: nf.of(s.name) for s in e.free_symbols})  # noqa: E731
    rel = "<" if strict else "≤"
    steps = [f"Claim per unit: {L} {rel} {R}" + (f", assuming {', '.join(f'{k} ∈ [{lo}, {hi}]' for k, (lo, hi) in assume.items())}" if assume else "")]
    goals = [flat(g) for g in _goals(L, R)]
    ok = True
    for goal in goals:
        if not _prove_goal(goal, assume, strict, steps):
            ok = False
            break
    if ok:
        steps.append("Every goal holds on its box (vertex form of multilinear polynomials): the bound holds per unit, for every size.")
        steps += _induction(L, R, strict, assume)
        found, line = cellcheck.cross_examine(cell, _violation(cell, L, R, strict), assume=assume,
                                              purpose=("inequality", str(L), str(R), strict),
                                              what=f"{L} {rel} {R}")
        if found is not None:
            return inconsistent(steps, found)
        return Result("proved", "per-unit vertex bound (multilinear polynomials on a box)", steps, cross_examination=line)
    return _search(cell, L, R, strict, assume, steps, examples)


def _induction(L, R, strict, assume):
    if isinstance(L, sp.Abs) and isinstance(L.args[0], sp.Symbol) and R.is_number:
        prev = L.args[0].name + PREV
        if prev in assume and -assume[prev][0] >= R and assume[prev][1] >= R and assume[prev][0] == -assume[prev][1]:
            return [f"Induction over time: the conclusion |{L.args[0]}_t| {'<' if strict else '≤'} {R} implies the assumption "
                    f"on {prev} for the next step, so the bound holds for every t ≥ 1 when the initial state lies in "
                    f"[{assume[prev][0]}, {assume[prev][1]}]."]
    return []


def _violation(cell, L, R, strict):
    """``violation(case, precise)`` for ``L ≤ R`` (``<`` if strict) per unit.

    Only ``L > R`` by more than round-off (float64) or a tie (60 digits) is a
    violation: a float tie such as σ(40) == 1.0 is not a counterexample to
    σ < 1, and at 60 digits 1 − σ(40) ≈ 4e−18 is plainly positive.  (A
    strict claim violated only by equality cannot be confirmed numerically;
    such a search ends ``checked``.)
    """
    names = sorted(L.free_symbols | R.free_symbols, key=str)

    def violation(case, precise):
        vals = cellcheck.values(cell, case, precise=precise)
        missing = [s.name for s in names if s.name not in vals]
        if missing:
            raise SpecError(f"inequality: {missing} are not vectors of one step of {cell.name!r} "
                            f"(use inputs, states, previous states and gates: {sorted(vals)})")
        like = vals[names[0].name] if names else next(iter(vals.values()))
        left, right = evaluate_pointwise(L, vals, like), evaluate_pointwise(R, vals, like)
        excess = left - right
        worst = max(excess.flat) if excess.size else 0
        scale = 1 + max(abs(v) for v in right.flat) if right.size else 1
        if not (worst / scale <= (exact.TIE if precise else cellcheck.CANDIDATE)):
            return {"lhs": left, "rhs": right, "difference": worst}
        return None

    return violation


def _search(cell, L, R, strict, assume, steps, examples) -> Result:
    found, n = cellcheck.search(cell, _violation(cell, L, R, strict), examples=examples, assume=assume,
                                purpose=("inequality", str(L), str(R), strict), sizes=(2,))
    if found is not None:
        steps.append(f"Reference evaluator at sizes {found['sizes']}, re-checked at {exact.DIGITS} digits: "
                     f"{L} exceeds {R} by {found['difference']}.")
        return Result("refuted", "vertex bound (failed), then numeric counterexample", steps, counterexample=found)
    steps.append(f"The vertex check did not close and {n} numeric examples found no violation (confirmed at "
                 f"{exact.DIGITS} digits): checked, not proved.")
    return Result("checked", "vertex bound (inconclusive), then numeric search", steps, examples=n)
