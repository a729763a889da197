"""Identities: of SymPy expressions, of one state's update, and of a diagonal Jacobian.

Each prover proves symbolically, per unit (hence for every size), then
cross-examines the proof numerically with the reference evaluator before
returning ``proved``; when the symbolic route does not close it searches for
a counterexample and re-checks it at 60 digits (:mod:`symrnn.prove.cellcheck`).
"""

from __future__ import annotations

import itertools

import numpy as np
import sympy as sp

from ..errors import SpecError
from ..numeric.reference import evaluate_pointwise
from ..spec.cell import PREV
from ..spec.parse import as_expr
from . import cellcheck, exact
from .context import claim, cross_examining
from .context import rng as seeded_rng
from .normal_form import NormalForm, as_cell, is_zero
from .verdict import Result, inconsistent

__all__ = ["identity", "state_identity", "independent_of", "depends_only_on", "diagonal_jacobian"]


def _parse(cell, expr, argument: str = "expression") -> sp.Expr:
    """A per-unit expression over the cell's names, as real symbols."""
    e = as_expr(expr, argument=argument)
    for s in e.free_symbols:
        cell.unit(s.name)  # raises UnknownNameError listing the names
    return e.xreplace({s: sp.Symbol(s.name, real=True) for s in e.free_symbols})


# ----------------------------------------------------------------------------- identity
GRID_LIMIT = 20000
"""Most grid points :func:`identity` enumerates; beyond, random points are drawn."""


def _grid(diff: sp.Expr, syms) -> list | None:
    """A grid on which a nonzero polynomial ``diff`` cannot vanish everywhere (None if not a polynomial).

    A polynomial of degree d_i in x_i that vanishes on {1, …, d_i + 1} for
    every i is zero (induction on the number of variables: a nonzero
    univariate polynomial of degree d has at most d roots).  For a rational
    function the numerator is used, with as many extra points as the
    denominator's degree, so that its roots cannot hide every point.
    """
    num, den = sp.fraction(sp.together(diff))
    try:
        pn = sp.Poly(num, *syms) if syms else None
        pd = sp.Poly(den, *syms) if syms else None
    except sp.PolynomialError:
        return None
    if pn is None:
        return [()]
    ranges = [[sp.Integer(v) for v in range(1, pn.degree(s) + pd.degree(s) + 2)] for s in syms]
    if np.prod([len(r) for r in ranges], dtype=float) > GRID_LIMIT:
        return None
    return list(itertools.product(*ranges))


def _random_points(syms, n: int):
    rng = seeded_rng("identity", *map(str, syms))
    for _ in range(n):
        point = []
        for s in syms:
            if s.is_integer:
                point.append(sp.Integer(int(rng.integers(1, 40))))
            else:
                v = sp.Rational(int(rng.integers(1, 400)), int(rng.integers(1, 60)))
                point.append(v if s.is_positive or s.is_nonnegative or rng.random() < 0.5 else -v)
        yield tuple(point)


def _value(expr, point: dict):
    v = expr.xreplace(point)
    if v.is_number and not v.is_Rational:
        with exact.precision():
            return sp.N(v, exact.DIGITS)
    return v


def _nonzero(value) -> bool:
    if value.is_Rational:
        return value != 0
    return value.is_finite is not False and abs(value) > exact.TIE


@claim("identity")
def identity(lhs, rhs, *, search: int = 40) -> Result:
    """Prove ``lhs == rhs`` for all values of their symbols (e.g. sizes), or refute it exactly.

    When the difference does not simplify to 0: a polynomial (or rational
    function) difference is evaluated exactly on a grid that a nonzero
    polynomial cannot vanish on (:func:`_grid`), so the verdict is
    ``refuted`` with an exact counterexample — a decision, not a search;
    any other difference is evaluated at ``search`` random rational points
    at 60 digits.  A proof is cross-examined at random integer points.

    Parameters
    ----------
    lhs, rhs : SymPy expressions
    search : int
        Random points tried when the difference is not a rational function.

    Examples
    --------
    >>> import symrnn
    >>> identity(4 * symrnn.cell("gru_reset_before").parameter_count(),
    ...          3 * symrnn.cell("lstm").parameter_count()).status
    'proved'
    >>> r = identity(2 * symrnn.cell("rnn").parameter_count(), symrnn.cell("lstm").parameter_count())
    >>> r.counterexample
    {'D': 1, 'H': 1, 'lhs': '6', 'rhs': '12', 'difference': '-6'}
    >>> D = symrnn.sizes("D")[0]
    >>> identity((D - 1) * (D - 2) * (D - 3) * (D - 4), 0).status     # zero on 1..4, not zero
    'refuted'
    """
    lhs, rhs = as_expr(lhs, argument="lhs"), as_expr(rhs, argument="rhs")
    steps = [f"lhs = {sp.expand(lhs)}", f"rhs = {sp.expand(rhs)}"]
    syms = sorted((lhs - rhs).free_symbols, key=lambda s: s.name)
    diff = sp.simplify(lhs - rhs)
    if diff == 0:
        steps.append("lhs − rhs expands to 0: the identity holds for every value of " +
                     (", ".join(map(str, syms)) or "its (no) symbols") + ".")
        with cross_examining():
            bad = next((dict(zip(syms, p)) for p in _random_points(syms, 5)
                        if _nonzero(_value(lhs - rhs, dict(zip(syms, p))))), None)
        if bad is not None:
            return inconsistent(steps, {**{s.name: str(v) for s, v in bad.items()}, "difference": str(_value(lhs - rhs, bad))},
                                "exact evaluation")
        return Result("proved", "polynomial identity", steps,
                      cross_examination="cross-examined by exact evaluation at 5 random points: both sides agree")
    steps.append(f"lhs − rhs = {diff} ≠ 0")
    grid = _grid(diff, syms)
    points = grid if grid is not None else list(_random_points(syms, search))
    for point in points:
        at = dict(zip(syms, point))
        d = _value(lhs - rhs, at)
        if d.is_finite is not False and _nonzero(d):
            ce = {s.name: (int(v) if v.is_Integer else str(v)) for s, v in at.items()}
            ce.update(lhs=str(_value(lhs, at)), rhs=str(_value(rhs, at)), difference=str(d))
            steps.append(f"At {', '.join(f'{k} = {v}' for k, v in ce.items() if k not in ('lhs', 'rhs', 'difference'))}: "
                         f"lhs − rhs = {d} ≠ 0 (exact).")
            return Result("refuted", "polynomial identity, then exact evaluation", steps, counterexample=ce)
    if grid is not None:  # cannot happen for a nonzero rational function; say so rather than guess
        steps.append(f"The difference vanishes on the whole grid of {len(points)} points, which a nonzero "
                     "polynomial cannot: the simplification above is incomplete.")
        return Result("undecided", "polynomial identity (grid exhausted)", steps)
    return Result("checked", "identity (inconclusive), then evaluation at random points", steps, examples=len(points))


# ----------------------------------------------------------------------------- one state's update
def _claim_violation(cell, target, expected):
    """``violation(case, precise)`` for "target_t = expected" per unit."""

    def violation(case, precise):
        vals = cellcheck.values(cell, case, precise=precise)
        got = vals[target]
        want = evaluate_pointwise(expected, vals, got)
        absolute, relative = cellcheck.gap(got, want, precise)
        if cellcheck.exceeds(relative, precise):
            return {target: got, "claimed": want, "difference": absolute}
        return None

    return violation


@claim("state_identity")
def state_identity(cell, target: str, rhs, *, examples: int = 20) -> Result:
    """Prove that a state's new value equals ``rhs`` per unit, e.g. ``h = h_prev``.

    Examples
    --------
    >>> import symrnn
    >>> state_identity(symrnn.cell("gru_reset_after").substitute({"z": 1}), "h", "h_prev").status
    'proved'
    >>> state_identity(symrnn.cell("gru_reset_after").substitute({"z": 1}), "h", "2*h_prev").status
    'refuted'
    """
    cell = as_cell(cell)
    if target not in cell.state_names:
        raise SpecError(f"state_identity: {target!r} is not a state of {cell.name!r}; states: {list(cell.state_names)}")
    expected = _parse(cell, rhs, "rhs")
    nf = NormalForm(cell)
    got = nf.of(target)
    want = expected.xreplace({s: nf.of(s.name) for s in expected.free_symbols})
    steps = [f"Per-unit normal form: {target}_t = {got}", f"Claimed: {target}_t = {want}"]
    violation = _claim_violation(cell, target, expected)
    if is_zero(got - want) is True:
        steps.append("The difference simplifies to 0 per unit, hence for every size.")
        if expected == sp.Symbol(target + PREV, real=True):
            steps.append(f"Induction over time: {target}_t = {target}_(t-1) at every step, so {target}_t = {target}_0 for every t.")
        found, line = cellcheck.cross_examine(cell, violation, purpose=("state_identity", target, str(expected)),
                                              what=f"{target}_t = {expected}")
        if found is not None:
            return inconsistent(steps, found)
        return Result("proved", "per-unit normal form", steps, cross_examination=line)
    steps.append(f"The difference is not identically 0: {sp.factor_terms(sp.expand(got - want))}")
    found, n = cellcheck.search(cell, violation, examples=examples, purpose=("state_identity", target, str(expected)))
    if found is not None:
        steps.append(f"Reference evaluator at sizes {found['sizes']}, re-checked at {exact.DIGITS} digits: {target}_t "
                     f"differs from the claim by {found['difference']}.")
        return Result("refuted", "per-unit normal form, then numeric counterexample", steps, counterexample=found)
    return Result("checked", "per-unit normal form (inconclusive), then numeric search", steps, examples=n)


# ----------------------------------------------------------------------------- dependencies
def _given_values(cell, given) -> dict:
    out = {}
    for k, v in dict(given or {}).items():
        v = as_expr(v, argument=f"given[{k!r}]")
        out[k] = v.xreplace({u: cell.unit(u.name) for u in v.free_symbols})
    return out


def _dependence_violation(cell, target, names, given):
    """``violation(case, precise)`` for "target reads none of names": shift them and compare."""
    names = set(names)

    def violation(case, precise):
        sizes, params, inputs, prev = case
        rng = np.random.default_rng(20170)  # the same shifts for the same case: verdicts repeat
        shift = lambda d, key: {k: (v + rng.uniform(0.5, 1.5, np.shape(v)) if key(k) in names else v)  # noqa: E731
                                for k, v in d.items()}
        moved = (sizes, shift(params, lambda k: k), shift(inputs, lambda k: k), shift(prev, lambda k: k + PREV))
        before = cellcheck.values(cell, case, precise=precise, given=given)[target]
        after = cellcheck.values(cell, moved, precise=precise, given=given)[target]
        absolute, relative = cellcheck.gap(before, after, precise)
        if cellcheck.exceeds(relative, precise):
            return {"changed": sorted(names), "before": before, "after": after, "difference": absolute}
        return None

    return violation


@claim("independent_of")
def independent_of(cell, target: str, names, *, given=None, examples: int = 20) -> Result:
    """Prove that ``target`` reads none of ``names`` (inputs, parameters, previous states).

    The per-unit normal form of ``target`` is searched for symbols, looking
    through every matrix-vector atom at the matrix and the vector it
    multiplies; if none of ``names`` appears, ``target`` does not depend on
    them, for every size.  Otherwise the names are perturbed numerically.
    ``given`` fixes gates inside the normal form (``{"r": 0}``) while every
    parameter stays declared, so the claim is about the original names (the
    reference evaluator fixes the same gates: :func:`symrnn.numeric.step`'s
    ``given``).

    Examples
    --------
    >>> import symrnn
    >>> g = symrnn.cell("gru_reset_after")
    >>> independent_of(g, "h", ["U_n", "b_hn"], given={"r": 0}).status
    'proved'
    >>> independent_of(g, "h", ["U_n", "b_hn"]).status
    'refuted'
    """
    cell = as_cell(cell)
    if isinstance(names, str):
        names = [names]
    for n in names:
        if cell.role(n) not in ("input", "param", "previous"):
            raise SpecError(f"independent_of: {n!r} is a {cell.role(n)}; name inputs, parameters or previous states")
    nf = NormalForm(cell, given=given)
    expr = sp.expand(nf.of(target))  # cancels what cancels; full simplify is slow and rarely needed
    read = nf.atoms.symbols_read(expr) | nf.atoms.matrices_read(expr)
    bad = sorted(set(names) & read)
    steps = ([f"Fix {', '.join(f'{k} = {v}' for k, v in given.items())} per unit."] if given else []) + [
             f"Per-unit normal form: {target}_t = {expr}",
             f"Names read (through every matrix-vector product): {sorted(read)}"]
    values = _given_values(cell, given)
    purpose = ("independent_of", target, *sorted(names), *sorted(f"{k}={v}" for k, v in values.items()))
    if not bad:
        steps.append(f"None of {sorted(names)} is read: {target}_t does not depend on them, for every size.")
        found, line = cellcheck.cross_examine(cell, _dependence_violation(cell, target, names, values), purpose=purpose,
                                              what=f"shifting {sorted(names)} leaves {target}_t unchanged")
        if found is not None:
            return inconsistent(steps, found)
        return Result("proved", "per-unit normal form, dependency closure", steps, cross_examination=line)
    steps.append(f"It reads {bad}; shift them with everything else fixed:")
    found, n = cellcheck.search(cell, _dependence_violation(cell, target, bad, values), examples=examples, purpose=purpose)
    if found is not None:
        steps.append(f"At sizes {found['sizes']} shifting {bad} changes {target}_t by {found['difference']} "
                     f"(re-checked at {exact.DIGITS} digits).")
        return Result("refuted", "per-unit normal form, then numeric counterexample", steps, counterexample=found)
    return Result("checked", "dependency closure (inconclusive), then numeric search", steps, examples=n)


@claim("depends_only_on")
def depends_only_on(cell, target: str, roles=("input", "param"), *, examples: int = 20) -> Result:
    """Prove that ``target`` reads only names of the given roles (e.g. no previous state).

    Examples
    --------
    >>> import symrnn
    >>> g = symrnn.cell("gru_reset_before").substitute({"z": 0, "r": 0})
    >>> depends_only_on(g, "h").status
    'proved'
    >>> depends_only_on(symrnn.cell("gru_reset_before").substitute({"z": 0}), "h").status
    'refuted'
    """
    cell = as_cell(cell)
    others = [n for n, (r, d) in cell.declared.items() if r in ("input", "param", "previous") and r not in roles]
    result = independent_of(cell, target, others, examples=examples)
    return result.with_steps(f"Claim: {target}_t reads only names of role {' or '.join(roles)}, none of {sorted(others)}.")


# ----------------------------------------------------------------------------- diagonal Jacobians
def _derived_diagonal(cell, of, wrt, steps):
    """The per-unit diagonal of ∂of/∂wrt from :func:`symrnn.derive.jacobian`, or None if not diagonal."""
    from ..derive import jacobian

    J = jacobian(cell, of, wrt)
    steps.append(f"symrnn.derive.jacobian (every in-step path, from the spec's partials): ∂{of}/∂{wrt} = {J!r}")
    return J.diagonal()


def _jacobian_violation(cell, of, wrt, expected):
    """``violation(case, precise)`` for ∂of/∂wrt = Diag(expected), by central differences.

    Float64 uses ε = 1e-6 (error ~1e-9, tolerance 1e-5); 60 digits use
    ε = 1e-25 (error ~1e-50), so a confirmed difference is not truncation.
    """
    state = wrt[: -len(PREV)]

    def violation(case, precise):
        sizes, params, inputs, prev = case
        eps = 1e-25 if precise else 1e-6
        base = cellcheck.values(cell, case, precise=precise)
        claim_diag = evaluate_pointwise(expected, base, base[of])
        H = prev[state].shape[1]
        worst, where = 0, None
        with exact.precision():
            for j in range(H):
                up, dn = dict(prev), dict(prev)
                col = np.zeros_like(prev[state], dtype=float)
                col[:, j] = 1.0
                if precise:
                    p0 = exact.mp_array(prev[state])
                    up[state], dn[state] = p0 + exact.mp_array(col) * eps, p0 - exact.mp_array(col) * eps
                else:
                    up[state], dn[state] = prev[state] + eps * col, prev[state] - eps * col
                fu = cellcheck.values(cell, (sizes, params, inputs, up), precise=precise)[of]
                fd = cellcheck.values(cell, (sizes, params, inputs, dn), precise=precise)[of]
                column = (fu - fd) / (2 * eps)
                want = np.zeros_like(column)
                want[:, j] = claim_diag[:, j]
                d = max(abs(u - w) for u, w in zip(column.flat, want.flat))
                if d > worst:
                    worst, where = d, j
        tolerance = 1e-20 if precise else 1e-5
        if worst > tolerance:
            return {"column": where, "difference": worst}
        return None

    return violation


@claim("diagonal_jacobian")
def diagonal_jacobian(cell, of: str, wrt: str, diag, *, examples: int = 5) -> Result:
    """Prove ∂of/∂wrt = Diag(diag) for every size (e.g. ∂c_t/∂c_{t−1} = Diag(f_t)).

    The Jacobian within one step comes from :func:`symrnn.derive.jacobian`
    (a sum of products of Diag(·) and parameter matrices, built from the
    spec's partials, valid for every size).  When it is a single diagonal
    whose per-unit entry equals ``diag`` (normal forms, simplified), the
    claim is proved and cross-examined by central differences on the
    reference evaluator; otherwise central differences look for a
    counterexample, confirmed at 60 digits with ε = 1e-25.

    Examples
    --------
    >>> import symrnn
    >>> diagonal_jacobian(symrnn.cell("lstm"), "c", "c_prev", "f").status
    'proved'
    >>> diagonal_jacobian(symrnn.cell("lstm_peephole"), "c", "c_prev", "f").status
    'refuted'
    """
    cell = as_cell(cell)
    expected = _parse(cell, diag, "diag")
    if cell.equation(of).is_linear:
        raise SpecError(f"diagonal_jacobian: {of!r} is a linear stage; its Jacobian is a matrix, not a diagonal")
    state = wrt[: -len(PREV)] if wrt.endswith(PREV) else None
    if state not in cell.state_names:
        raise SpecError(f"diagonal_jacobian: wrt must be a previous state ({[s + PREV for s in cell.state_names]}), got {wrt!r}")
    steps = [f"{of}_t = {cell.equation(of).expr}"]
    violation = _jacobian_violation(cell, of, wrt, expected)
    purpose = ("diagonal_jacobian", of, wrt, str(expected))
    got = _derived_diagonal(cell, of, wrt, steps)
    if got is not None:
        nf = NormalForm(cell)
        flat = lambda e: e.xreplace({s: nf.of(s.name) for s in e.free_symbols})  # noqa: E731
        if is_zero(flat(got) - flat(expected)) is True:
            steps.append(f"Diag({got}) = Diag({expected}): the per-unit entries agree (normal forms), for every size.")
            found, line = cellcheck.cross_examine(cell, violation, purpose=purpose, seeds=2,
                                                  what=f"central differences of {of} in {wrt} = Diag({expected})")
            if found is not None:
                return inconsistent(steps, found, "central differences")
            return Result("proved", "structured Jacobian (Diag/matrix products) + per-unit comparison", steps,
                          cross_examination=line)
        steps.append(f"Diag({got}) ≠ Diag({expected}) as per-unit expressions.")
    else:
        steps.append("It is not a single diagonal matrix.")
    found, n = cellcheck.search(cell, violation, examples=examples, purpose=purpose, sizes=(2, 3))
    if found is not None:
        steps.append(f"Central differences at sizes {found['sizes']} differ from Diag({expected}) in column "
                     f"{found['column']} by {found['difference']} (ε = 1e-25 at {exact.DIGITS} digits).")
        return Result("refuted", "structured Jacobian, then finite differences", steps, counterexample=found)
    steps.append(f"Central differences agree at {n} random points; checked, not proved.")
    return Result("checked", "finite differences", steps, examples=n)
