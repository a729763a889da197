"""Substitution: fix gates or parameters to values and simplify the cell.

This is how degenerate cases are stated: ``gru.substitute({"z": 0, "r": 1})``
replaces the gates by constants, folds the constants through every equation,
drops equations and parameters that no longer matter, and returns a new,
validated :class:`~symrnn.spec.cell.Cell`.
"""

from __future__ import annotations

import math
from typing import Callable, Mapping

import mpmath
import sympy as sp
from sympy.matrices.expressions import MatrixExpr, MatrixSymbol, ZeroMatrix

from ..errors import SpecError
from .cell import Cell, Equation
from .parse import as_expr
from .symbols import check_name

__all__ = ["substitute", "replace_function", "simplify_cell"]


def _key_name(key) -> str:
    if isinstance(key, str):
        return key
    if isinstance(key, (sp.Symbol, MatrixSymbol)):
        return key.name
    raise SpecError(f"substitute: keys must be names (str), got {key!r}")


def _value(cell: Cell, name: str, value):
    role, decl = cell._lookup(name)
    if role == "state":
        raise SpecError(f"substitute: {name!r} is a state's new value; substitute the gates or parameters it depends on")
    if isinstance(value, str) or not isinstance(value, (int, float, sp.Basic)):
        raise SpecError(f"substitute: value for {name!r} must be a number or a SymPy expression, got {value!r}")
    value = as_expr(value, argument=f"substitute[{name!r}]")
    if isinstance(value, MatrixExpr):
        if not decl.is_matrix and value.shape[1] != 1:
            raise SpecError(f"substitute: {name!r} is a vector; got matrix {value}")
        return value
    if decl.is_matrix and value != 0:
        raise SpecError(f"substitute: {name!r} is a matrix; only 0 or a matrix symbol can replace it, got {value}")
    if not value.is_number and not isinstance(value, sp.Expr):
        raise SpecError(f"substitute: cannot use {value!r} for {name!r}")
    check_scalar_value(cell, value, f"substitute[{name!r}]")
    return value


def _short(value) -> str:
    text = mpmath.nstr(mpmath.mpf(value), 15) if isinstance(value, sp.Float) else sp.sstr(value)
    return text if len(text) <= 60 else text[:40] + f"... ({len(text)} characters)"


def check_scalar_value(cell: Cell, value: sp.Expr, argument: str) -> None:
    """Refuse a per-unit value that generated code could not compute as a finite float64.

    Every constant part of ``value`` must be a finite real number whose float64
    value is finite (and not 0 unless it is 0: ``10**-400`` underflows), and every
    symbol must name one of the cell's vectors.  ``nan``, ``oo``, ``zoo``, ``I``,
    ``10**400`` and ``Float("1e400")`` are refused here, naming ``argument``.

    Examples
    --------
    >>> import sympy as sp, symrnn
    >>> check_scalar_value(symrnn.cell("gru_reset_before"), sp.oo, "substitute['z']")
    Traceback (most recent call last):
    ...
    symrnn.errors.SpecError: substitute['z']: oo is not a finite real number representable as float64 ...
    """
    expected = "expected a finite real number representable as float64, or an expression in the cell's names"
    walk = sp.preorder_traversal(value)
    for e in walk:
        if not isinstance(e, sp.Expr):
            raise SpecError(f"{argument}: {_short(e)} in {_short(value)} is not a number or an expression; {expected}")
        if e.is_number:
            walk.skip()
            why = _not_float64(e)
            if why:
                inside = "" if e == value else f" (in {_short(value)})"
                raise SpecError(f"{argument}: {_short(e)}{inside} is not a finite real number representable "
                                f"as float64 ({why}); {expected}")
        elif e.is_Symbol:
            role = cell.declared.get(e.name, (None, None))
            if role[0] is None or role[1].is_matrix:
                vectors = sorted(n for n, (_, d) in cell.declared.items() if not d.is_matrix)
                raise SpecError(f"{argument}: {_short(value)} reads {e.name!r}, which is not a vector of cell "
                                f"{cell.name!r} ({', '.join(vectors)}); {expected}")


def _not_float64(e) -> str:
    """Why the constant ``e`` is not a finite float64, or ``""``."""
    try:
        c = complex(sp.N(e, 20))
    except (TypeError, ValueError, OverflowError, ArithmeticError):
        return "it has no numeric value"
    if not (math.isfinite(c.real) and math.isfinite(c.imag)) or e.is_finite is False:
        return "it is infinite, undefined or overflows float64"
    if c.imag != 0 or e.is_extended_real is False:
        return "it is complex"
    if c.real == 0 and e.is_zero is not True:
        return "it underflows to 0 in float64"
    return ""


def _matrix_face(cell_shapes: dict, name: str, value):
    """What a substituted vector or matrix becomes inside a linear stage."""
    shape = cell_shapes[name]
    rows, cols = shape if len(shape) == 2 else (shape[0], 1)
    if isinstance(value, MatrixExpr):
        return value
    if value == 0:
        return ZeroMatrix(rows, cols)
    if isinstance(value, sp.Symbol):
        return MatrixSymbol(value.name, rows, cols)
    return None  # cannot be inlined into an affine map


def _rebuild(cell: Cell, equations, params, name, summary) -> Cell:
    return Cell(
        name, cell.sizes, cell.inputs, cell.states, tuple(params), tuple(equations),
        output=cell.output, family=cell.family, reference=cell.reference, summary=summary, graph=cell.graph,
    )


def simplify_cell(cell: Cell, values: Mapping[str, sp.Basic], *, name: str, summary: str = "") -> Cell:
    """Fold ``values`` (name -> constant/alias/expression) through the equations and prune."""
    shapes = {n: d.shape for n, (r, d) in cell.declared.items()}
    values = dict(values)
    equations = list(cell.equations)
    states = set(cell.state_names)
    while True:
        # replace an intermediate's equation by its assigned value
        new_eqs = []
        for eq in equations:
            if eq.target in values and eq.target not in states:
                val = values[eq.target]
                pointwise_users = all(not e.is_linear for e in equations if eq.target in e.dependencies())
                if isinstance(val, MatrixExpr) or _is_foldable(val) or pointwise_users:
                    continue  # folded into its users below
                new_eqs.append(Equation(eq.target, val, eq.size, False, eq.latex))
                del values[eq.target]
            else:
                new_eqs.append(eq)
        equations = []
        for eq in new_eqs:
            equations.append(_apply(eq, values, shapes))
        # constants and aliases among intermediates are folded into their users
        folded = {}
        for eq in equations:
            if eq.target in states or eq.is_linear:
                continue
            if _is_foldable(eq.expr) and _matrix_face(shapes, eq.target, eq.expr) is not None:
                folded[eq.target] = eq.expr
        for eq in equations:
            if eq.is_linear and eq.target not in states and isinstance(eq.expr, ZeroMatrix):
                folded[eq.target] = sp.S.Zero
        if not folded:
            break
        values = folded
        equations = [eq for eq in equations if eq.target not in folded]
    equations = _inline_state_aliases(equations, states)
    # drop what no longer matters
    while True:
        used = {d for eq in equations for d in eq.dependencies()}
        keep = [eq for eq in equations if eq.target in states or eq.target in used]
        if len(keep) == len(equations):
            break
        equations = keep
    used = {d for eq in equations for d in eq.dependencies()}
    params = [p for p in cell.params if p.name in used]
    return _rebuild(cell, equations, params, name, summary)


def _inline_state_aliases(equations, states):
    """``h = n`` with ``n = f(...)`` used nowhere else becomes ``h = f(...)``."""
    out = list(equations)
    changed = True
    while changed:
        changed = False
        by_target = {e.target: e for e in out}
        for k, eq in enumerate(out):
            if eq.target not in states or eq.is_linear or not isinstance(eq.expr, sp.Symbol):
                continue
            src = by_target.get(eq.expr.name)
            if src is None or src.is_linear or src.target in states:
                continue
            if sum(1 for e in out if src.target in e.dependencies()) == 1:
                out[k] = Equation(eq.target, src.expr, eq.size, eq.anonymous, eq.latex)
                out = [e for e in out if e.target != src.target]
                changed = True
                break
    return out


def _is_foldable(val) -> bool:
    return isinstance(val, sp.Basic) and not isinstance(val, MatrixExpr) and (val.is_number or isinstance(val, sp.Symbol))


def _apply(eq: Equation, values: dict, shapes: dict) -> Equation:
    if not values:
        return eq
    if eq.is_linear:
        repl = {}
        for m in eq.expr.atoms(MatrixSymbol):
            if m.name in values:
                face = _matrix_face(shapes, m.name, values[m.name])
                if face is None:
                    raise SpecError(
                        f"substitute: {m.name!r} = {values[m.name]} cannot be placed inside the affine map "
                        f"of {eq.target!r}; only 0, a vector or a matrix of the same shape can"
                    )
                repl[m] = face
        if not repl:
            return eq
        expr = eq.expr.xreplace(repl).doit()
        if isinstance(expr, ZeroMatrix):
            return Equation(eq.target, expr, eq.size, eq.anonymous, eq.latex)
        return Equation(eq.target, expr, eq.size, eq.anonymous, eq.latex)
    repl = {s: values[s.name] for s in eq.expr.free_symbols if s.name in values}
    if not repl:
        return eq
    for s, v in repl.items():
        if isinstance(v, MatrixExpr):
            raise SpecError(f"substitute: {s.name!r} is used per unit in {eq.target!r}; it needs a scalar value, got {v}")
    return Equation(eq.target, eq.expr.xreplace(repl), eq.size, eq.anonymous, eq.latex)


def substitute(cell: Cell, mapping: Mapping, *, name: str | None = None) -> Cell:
    """Replace gates, parameters or inputs by values and simplify.

    Parameters
    ----------
    cell : Cell
    mapping : dict
        ``name -> value``.  Keys name an intermediate (a gate), a parameter, an
        input or a previous state.  Values are numbers, SymPy expressions in
        the cell's unit symbols (``1 - cell.unit("i")``), ``0`` for a matrix,
        or a vector/matrix symbol of the same shape (a renaming).
    name : str, optional
        Name of the new cell (default ``<name>_sub``).

    Returns
    -------
    Cell
        Constants and aliases are folded into the equations that use them;
        equations and parameters that no longer affect any state are dropped.

    Examples
    --------
    The study note: a GRU with z = 0 and r = 1 is a simple RNN.

    >>> import symrnn
    >>> g = symrnn.cell("gru_reset_before").substitute({"z": 0, "r": 1})
    >>> [(e.target, str(e.expr)) for e in g.equations]
    [('a_n', 'U_n*h_prev + W_n*x + b_n'), ('h', 'tanh(a_n)')]
    """
    if not isinstance(cell, Cell):
        raise SpecError(f"substitute: cell must be a Cell, got {type(cell).__name__}")
    if not isinstance(mapping, Mapping) or not mapping:
        raise SpecError(f"substitute: mapping must be a non-empty dict of name -> value, got {mapping!r}")
    values = {}
    for key, value in mapping.items():
        n = _key_name(key)
        values[n] = _value(cell, n, value)
    label = ", ".join(f"{k}={v}" for k, v in values.items())
    new_name = check_name(name, "cell") if name is not None else f"{cell.name}_sub"
    return simplify_cell(cell, values, name=new_name, summary=f"{cell.name} with {label}")


def replace_function(cell: Cell, target: str, old, new: Callable, *, name: str | None = None) -> Cell:
    """Replace a pointwise function in one equation, e.g. drop an activation.

    Examples
    --------
    Greff et al.'s "no output activation" LSTM is the LSTM with tanh removed
    from the output equation:

    >>> import symrnn
    >>> from symrnn import tanh, identity
    >>> c = symrnn.cell("lstm").replace_function("h", tanh, identity)
    >>> str(c.equation("h").expr)
    'c*o'
    """
    eq = cell.equation(target)
    if eq.is_linear:
        raise SpecError(f"replace_function: equation {target!r} is linear; it applies no function")
    if not (isinstance(old, type) and issubclass(old, sp.Function)):
        raise SpecError(f"replace_function: old must be a SymPy function class such as tanh, got {old!r}")
    if not eq.expr.has(old):
        raise SpecError(f"replace_function: equation {target!r} does not apply {old.__name__}")
    if not callable(new):
        raise SpecError(f"replace_function: new must be callable, got {new!r}")
    expr = eq.expr.replace(old, new)
    check_scalar_value(cell, expr, f"replace_function({target!r}, new={getattr(new, '__name__', new)!r})")
    equations = [Equation(e.target, expr, e.size, e.anonymous, e.latex) if e is eq else e for e in cell.equations]
    new_name = check_name(name, "cell") if name is not None else f"{cell.name}_sub"
    base = _rebuild(cell, equations, cell.params, new_name, f"{cell.name} with {old.__name__} removed from {target}")
    return simplify_cell(base, {}, name=new_name, summary=base.summary)
