"""Identities: of SymPy expressions, of one state's update, and of a diagonal Jacobian."""

from __future__ import annotations

import itertools

import numpy as np
import sympy as sp

from ..errors import SpecError
from ..numeric import init_params, step
from ..numeric.params import vector_sizes
from ..spec.cell import PREV
from ..spec.parse import as_expr
from .normal_form import NormalForm, as_cell, is_zero
from .verdict import Result

__all__ = ["identity", "state_identity", "independent_of", "depends_only_on", "diagonal_jacobian"]


def _parse(cell, expr, argument: str = "expression") -> sp.Expr:
    """A per-unit expression over the cell's names, as real symbols."""
    e = as_expr(expr, argument=argument)
    for s in e.free_symbols:
        cell.unit(s.name)  # raises UnknownNameError listing the names
    return e.xreplace({s: sp.Symbol(s.name, real=True) for s in e.free_symbols})


def identity(lhs, rhs, *, search: int = 4) -> Result:
    """Prove ``lhs == rhs`` for all values of their symbols (e.g. sizes), or refute it.

    Parameters
    ----------
    lhs, rhs : SymPy expressions
    search : int
        On failure, every symbol is tried at 1..search to find a counterexample.

    Examples
    --------
    >>> import symrnn
    >>> identity(4 * symrnn.cell("gru_reset_before").parameter_count(),
    ...          3 * symrnn.cell("lstm").parameter_count()).status
    'proved'
    >>> identity(2 * symrnn.cell("rnn").parameter_count(), symrnn.cell("lstm").parameter_count()).counterexample
    {'D': 1, 'H': 1, 'lhs': 6, 'rhs': 12}
    """
    lhs, rhs = as_expr(lhs, argument="lhs"), as_expr(rhs, argument="rhs")
    steps = [f"lhs = {sp.expand(lhs)}", f"rhs = {sp.expand(rhs)}"]
    diff = sp.simplify(lhs - rhs)
    if diff == 0:
        steps.append("lhs − rhs expands to 0: the identity holds for every value of " +
                     (", ".join(sorted(map(str, (lhs - rhs).free_symbols))) or "its (no) symbols") + ".")
        return Result("proved", "polynomial identity", steps)
    steps.append(f"lhs − rhs = {diff} ≠ 0")
    syms = sorted(diff.free_symbols, key=lambda s: s.name)
    for values in itertools.product(range(1, search + 1), repeat=len(syms)):
        point = {s: sp.Integer(v) for s, v in zip(syms, values)}  # xreplace of a bare symbol by an int returns an int
        if diff.xreplace(point) != 0:
            ce = {s.name: v for s, v in point.items()}
            ce.update(lhs=int(lhs.xreplace(point)) if lhs.xreplace(point).is_Integer else str(lhs.xreplace(point)),
                      rhs=int(rhs.xreplace(point)) if rhs.xreplace(point).is_Integer else str(rhs.xreplace(point)))
            steps.append(f"At {ce}: lhs ≠ rhs.")
            return Result("refuted", "polynomial identity, then evaluation", steps, counterexample=ce)
    n = search ** len(syms)
    return Result("checked", "polynomial identity (inconclusive), then evaluation", steps, examples=n)


def _random_point(cell, seed, size=2):
    sizes = {s.name: size for s in cell.sizes}
    rng = np.random.default_rng(seed)
    params = init_params(cell, sizes, rng=rng, scale=2.0)
    n = vector_sizes(cell, sizes)
    inputs = {d.name: rng.uniform(-2, 2, (1, n[d.name])) for d in cell.inputs}
    prev = {d.name: rng.uniform(-2, 2, (1, n[d.name])) for d in cell.states}
    return sizes, params, inputs, prev


def state_identity(cell, target: str, rhs, *, examples: int = 20) -> Result:
    """Prove that a state's new value equals ``rhs`` per unit, e.g. ``h = h_prev``.

    Examples
    --------
    >>> import symrnn
    >>> state_identity(symrnn.cell("gru_reset_after").substitute({"z": 1}), "h", "h_prev").status
    'proved'
    """
    cell = as_cell(cell)
    if target not in cell.state_names:
        raise SpecError(f"state_identity: {target!r} is not a state of {cell.name!r}; states: {list(cell.state_names)}")
    expected = _parse(cell, rhs, "rhs")
    nf = NormalForm(cell)
    got = nf.of(target)
    want = expected.xreplace({s: nf.of(s.name) for s in expected.free_symbols})
    steps = [f"Per-unit normal form: {target}_t = {got}", f"Claimed: {target}_t = {want}"]
    if is_zero(got - want) is True:
        steps.append("The difference simplifies to 0 per unit, hence for every size.")
        if expected == sp.Symbol(target + PREV, real=True):
            steps.append(f"Induction over time: {target}_t = {target}_(t-1) at every step, so {target}_t = {target}_0 for every t.")
        return Result("proved", "per-unit normal form", steps)
    steps.append(f"The difference is not identically 0: {sp.factor_terms(sp.expand(got - want))}")
    fn = sp.lambdify(sorted(expected.free_symbols, key=str), expected, "numpy")
    for seed in range(examples):
        sizes, params, inputs, prev = _random_point(cell, seed)
        vals = step(cell, params, inputs, prev)
        claim = fn(*(vals[s.name] for s in sorted(expected.free_symbols, key=str)))
        if not np.allclose(vals[target], claim, atol=1e-9):
            ce = {"sizes": sizes, "seed": seed, "params": params, "inputs": inputs,
                  "previous": prev, target: vals[target], "claimed": np.broadcast_to(claim, vals[target].shape)}
            steps.append(f"Reference evaluator at sizes {sizes} (seed {seed}): {target}_t differs from the claim.")
            return Result("refuted", "per-unit normal form, then numeric counterexample", steps, counterexample=ce)
    return Result("checked", "per-unit normal form (inconclusive), then numeric search", steps, examples=examples)


def independent_of(cell, target: str, names, *, given=None, examples: int = 20) -> Result:
    """Prove that ``target`` reads none of ``names`` (inputs, parameters, previous states).

    The per-unit normal form of ``target`` is searched for symbols, looking
    through every matrix-vector atom at the matrix and the vector it
    multiplies; if none of ``names`` appears, ``target`` does not depend on
    them, for every size.  Otherwise the names are perturbed numerically.
    ``given`` fixes gates inside the normal form (``{"r": 0}``) while every
    parameter stays declared, so the claim is about the original names.

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
    if not bad:
        steps.append(f"None of {sorted(names)} is read: {target}_t does not depend on them, for every size.")
        return Result("proved", "per-unit normal form, dependency closure", steps)
    steps.append(f"It reads {bad}; vary them with everything else fixed:")
    if given:
        from ..spec.substitute import substitute

        values = {}
        for k, v in given.items():
            v = as_expr(v, argument=f"given[{k!r}]")
            values[k] = v.xreplace({u: cell.unit(u.name) for u in v.free_symbols})
        cell = substitute(cell, values, name=f"{cell.name}_given")
        bad = [n for n in bad if n in cell.declared]
    for seed in range(examples):
        sizes, params, inputs, prev = _random_point(cell, seed)
        other = {k: (v + 1.0 if k + PREV in bad else v) for k, v in prev.items()}
        x2 = {k: (v + 1.0 if k in bad else v) for k, v in inputs.items()}
        p2 = {k: (v + 1.0 if k in bad else v) for k, v in params.items()}
        v1, v2 = step(cell, params, inputs, prev)[target], step(cell, p2, x2, other)[target]
        if not np.allclose(v1, v2, atol=1e-12):
            ce = {"sizes": sizes, "seed": seed, "changed": bad, "before": v1, "after": v2}
            steps.append(f"At sizes {sizes} (seed {seed}) shifting {bad} by 1 changes {target}_t.")
            return Result("refuted", "per-unit normal form, then numeric counterexample", steps, counterexample=ce)
    return Result("checked", "dependency closure (inconclusive), then numeric search", steps, examples=examples)


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


def _derived_diagonal(cell, of, wrt, steps):
    """The per-unit diagonal of ∂of/∂wrt from :func:`symrnn.derive.jacobian`, or None if not diagonal."""
    from ..derive import jacobian

    J = jacobian(cell, of, wrt)
    steps.append(f"symrnn.derive.jacobian (every in-step path, from the spec's partials): ∂{of}/∂{wrt} = {J!r}")
    return J.diagonal()


def diagonal_jacobian(cell, of: str, wrt: str, diag, *, examples: int = 5) -> Result:
    """Prove ∂of/∂wrt = Diag(diag) for every size (e.g. ∂c_t/∂c_{t−1} = Diag(f_t)).

    The Jacobian within one step comes from :func:`symrnn.derive.jacobian`
    (a sum of products of Diag(·) and parameter matrices, built from the
    spec's partials, valid for every size).  When it is a single diagonal
    whose per-unit entry equals ``diag`` (normal forms, simplified), the
    claim is proved; otherwise central differences on the reference
    evaluator look for a counterexample.

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
    steps = [f"{of}_t = {cell.equation(of).expr}"]
    got = _derived_diagonal(cell, of, wrt, steps)
    if got is None:
        steps.append("It is not a single diagonal matrix.")
        return _jacobian_numeric(cell, of, wrt, expected, steps, examples)
    nf = NormalForm(cell)
    flat = lambda e: e.xreplace({s: nf.of(s.name) for s in e.free_symbols})  # noqa: E731
    if is_zero(flat(got) - flat(expected)) is True:
        steps.append(f"Diag({got}) = Diag({expected}): the per-unit entries agree (normal forms), for every size.")
        return Result("proved", "structured Jacobian (Diag/matrix products) + per-unit comparison", steps)
    steps.append(f"Diag({got}) ≠ Diag({expected}) as per-unit expressions.")
    return _jacobian_numeric(cell, of, wrt, expected, steps, examples)


def _jacobian_numeric(cell, of, wrt, expected, steps, examples) -> Result:
    names = sorted(expected.free_symbols, key=str)
    fn = sp.lambdify(names, expected, "numpy")
    state = wrt[: -len(PREV)] if wrt.endswith(PREV) else None
    if state not in cell.state_names:
        raise SpecError(f"diagonal_jacobian: numeric check needs wrt to be a previous state, got {wrt!r}")
    for seed in range(examples):
        sizes, params, inputs, prev = _random_point(cell, seed)
        vals = step(cell, params, inputs, prev)
        H = prev[state].shape[1]
        J, eps = np.zeros((vals[of].shape[1], H)), 1e-6
        for j in range(H):
            up, dn = dict(prev), dict(prev)
            up[state] = prev[state].copy(); up[state][0, j] += eps
            dn[state] = prev[state].copy(); dn[state][0, j] -= eps
            J[:, j] = (step(cell, params, inputs, up)[of] - step(cell, params, inputs, dn)[of])[0] / (2 * eps)
        claim = np.diag(np.broadcast_to(fn(*(vals[s.name] for s in names)), vals[of].shape)[0])
        if np.max(np.abs(J - claim)) > 1e-5:
            steps.append(f"Central differences at sizes {sizes} (seed {seed}) differ from Diag({expected}).")
            ce = {"sizes": sizes, "seed": seed, "jacobian": J, "claimed": claim}
            return Result("refuted", "structured Jacobian, then finite differences", steps, counterexample=ce)
    steps.append(f"Central differences agree at {examples} random points; checked, not proved.")
    return Result("checked", "finite differences", steps, examples=examples)
