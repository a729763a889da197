"""Validation of a :class:`~symrnn.spec.cell.Cell` when it is built.

Names must be plain identifiers (they flow into generated code), every symbol
an equation reads must be declared with the shape it is used with, affine maps
must fit their targets, per-unit stages must not mix sizes, every state needs
exactly one update, and the equations must not define anything in terms of
itself.  Each failure raises the :mod:`symrnn.errors` subclass that names the
offending item.
"""

from __future__ import annotations

import sympy as sp
from sympy.matrices.expressions import MatrixSymbol

from ..errors import CyclicDefinitionError, ShapeError, SpecError, UndeclaredError, UnknownNameError
from .cell import PREV, Decl, Equation
from .linear import linear_terms
from .parse import as_sympy
from .symbols import Vec, check_name
from .tex_subset import check_latex

__all__ = ["validate"]


def _same(a, b) -> bool:
    return sp.expand(sp.sympify(a) - sp.sympify(b)) == 0


def validate(cell: "Cell") -> tuple:
    """Check a cell's names, declarations, shapes and acyclicity; return its equations in dependency order."""
    check_name(cell.name, "cell")
    for field in ("family", "reference", "summary"):  # running text of every document: escaped there, str here
        if not isinstance(getattr(cell, field), str):
            raise SpecError(f"cell {cell.name!r}: {field} must be a str, got {type(getattr(cell, field)).__name__}")
    size_syms = set()
    for s in cell.sizes:
        if not (isinstance(s, sp.Symbol) and s.is_integer and s.is_positive):
            raise SpecError(f"cell {cell.name!r}: size {s!r} must be a positive integer sympy Symbol (use symrnn.sizes)")
        check_name(s.name, "size")
        size_syms.add(s)
    declared: dict[str, Decl] = {}

    def declare(d, what):
        if not isinstance(d, Decl):
            raise SpecError(f"cell {cell.name!r}: {what} entries must be Decl, got {d!r}")
        check_name(d.name, what)
        check_latex(d.latex, f"cell {cell.name!r}: {what} {d.name!r} latex=")
        if d.name in declared:
            raise SpecError(f"cell {cell.name!r}: name {d.name!r} is declared twice")
        if len(d.shape) not in (1, 2):
            raise ShapeError(f"cell {cell.name!r}: {what} {d.name!r} has shape {d.shape}; expected (n,) or (rows, cols)")
        for s in d.shape:
            s = as_sympy(s, argument=f"cell {cell.name!r}: {what} {d.name!r} shape")
            extra = s.free_symbols - size_syms
            if extra or (s.is_number and not (s.is_integer and s.is_positive)):
                raise ShapeError(
                    f"cell {cell.name!r}: {what} {d.name!r} has size {s}, which is not a positive "
                    f"expression in the declared sizes {sorted(map(str, size_syms))}"
                )
        declared[d.name] = d

    for d in cell.inputs:
        declare(d, "input")
        if d.is_matrix:
            raise ShapeError(f"cell {cell.name!r}: input {d.name!r} must be a vector")
    for d in cell.states:
        declare(d, "state")
        if d.is_matrix:
            raise ShapeError(f"cell {cell.name!r}: state {d.name!r} must be a vector")
        declare(Decl(d.name + PREV, d.shape), "state")
    for d in cell.params:
        declare(d, "parameter")
    states = {d.name: d for d in cell.states}
    if not states:
        raise SpecError(f"cell {cell.name!r} declares no state")
    if cell.output not in states:
        raise UnknownNameError(f"cell {cell.name!r}: output {cell.output!r} is not a state; states: {', '.join(states)}")

    targets: dict[str, Equation] = {}
    for eq in cell.equations:
        if not isinstance(eq, Equation):
            raise SpecError(f"cell {cell.name!r}: equations must be Equation objects, got {eq!r}")
        check_name(eq.target, "equation target")
        check_latex(eq.latex, f"cell {cell.name!r}: equation {eq.target!r} latex=")
        if eq.target in targets:
            raise SpecError(f"cell {cell.name!r}: {eq.target!r} is defined by two equations")
        if eq.target in declared and eq.target not in states:
            raise SpecError(f"cell {cell.name!r}: equation target {eq.target!r} is already declared as an input, parameter or previous state")
        if eq.target in states and not _same(eq.size, states[eq.target].size):
            raise ShapeError(f"cell {cell.name!r}: state {eq.target!r} has size {states[eq.target].size} but its equation gives {eq.size}")
        targets[eq.target] = eq
    missing = [s for s in states if s not in targets]
    if missing:
        raise SpecError(f"cell {cell.name!r}: state(s) {missing} have no update equation")

    sizes_of = {n: d.shape for n, d in declared.items() if n not in states}
    sizes_of.update({t: (e.size,) for t, e in targets.items()})
    broadcast = any(d.space is not None for d in tuple(cell.inputs) + tuple(cell.states))  # graph cells only
    for eq in cell.equations:
        _check_equation(cell.name, eq, sizes_of, broadcast)
    return _toposort(cell.name, targets)


def _check_equation(cname: str, eq: Equation, shapes: dict, broadcast: bool = False) -> None:
    where = f"cell {cname!r}, equation {eq.target!r}"
    if eq.is_linear:
        for m in eq.expr.atoms(MatrixSymbol):
            if m.name not in shapes:
                raise UndeclaredError(f"{where}: {m.name!r} is not declared")
            want = shapes[m.name] if len(shapes[m.name]) == 2 else (shapes[m.name][0], 1)
            if not (_same(m.shape[0], want[0]) and _same(m.shape[1], want[1])):
                raise ShapeError(f"{where}: {m.name!r} is used with shape {m.shape} but declared {want}")
        if not (_same(eq.expr.shape[0], eq.size) and eq.expr.shape[1] == 1):
            raise ShapeError(f"{where}: the affine map has shape {eq.expr.shape}, expected ({eq.size}, 1)")
        for term in linear_terms(eq.expr, where):  # SymPy's MatAdd does not check symbolic shapes: (H,1) + (D,1) passes
            vec = shapes.get(term.vector)
            if vec is None:
                raise UndeclaredError(f"{where}: {term.vector!r} is not declared")
            vec_rows = vec[0] if len(vec) == 1 else None
            if term.operator == "sum_units":  # 1ᵀ v: one unit per row
                if term.matrix is not None:
                    raise SpecError(f"{where}: {term.matrix!r} @ sum_units({term.vector!r}): a unit sum does not commute "
                                    "with a matrix; make the sum its own stage first")
                vec_rows = 1 if vec_rows is not None else None
            if term.matrix is None:
                if vec_rows is None or not _same(vec_rows, eq.size):
                    raise ShapeError(f"{where}: the term {term.vector!r} has size {vec_rows if vec_rows is not None else vec}, "
                                     f"expected {eq.size}")
                continue
            rows, cols = shapes[term.matrix]
            if vec_rows is None or not _same(cols, vec_rows):
                raise ShapeError(f"{where}: {term.matrix!r} @ {term.vector!r}: {term.matrix!r} has {cols} columns "
                                 f"but {term.vector!r} has size {vec_rows if vec_rows is not None else vec}")
            if not _same(rows, eq.size):
                raise ShapeError(f"{where}: the term {term.matrix!r} @ {term.vector!r} has {rows} rows, expected {eq.size}")
        return
    if not isinstance(eq.expr, sp.Expr):
        raise SpecError(f"{where}: expression {eq.expr!r} is neither a scalar nor a matrix SymPy expression")
    for s in eq.expr.free_symbols:
        if s.name not in shapes:
            raise UndeclaredError(f"{where}: symbol {s.name!r} is not declared")
        shape = shapes[s.name]
        if len(shape) == 2:
            raise ShapeError(f"{where}: matrix {s.name!r} used in a pointwise (per-unit) expression")
        if not _same(shape[0], eq.size) and not (broadcast and _same(shape[0], 1)):
            raise ShapeError(
                f"{where}: pointwise operation mixes {s.name!r} of size {shape[0]} into a vector of size {eq.size}"
            )
        if isinstance(s, Vec) and not _same(s.size, shape[0]):
            raise ShapeError(f"{where}: {s.name!r} is used with size {s.size} but declared {shape[0]}")
    if eq.expr.atoms(MatrixSymbol):
        raise SpecError(f"{where}: a matrix expression inside a pointwise expression; make it its own linear stage")


def _toposort(cname: str, targets: dict[str, Equation]) -> tuple:
    order: list[Equation] = []
    state: dict[str, int] = {}

    def visit(name, path):
        if state.get(name) == 2:
            return
        if state.get(name) == 1:
            cycle = " -> ".join(path[path.index(name):] + [name])
            raise CyclicDefinitionError(f"cell {cname!r}: cyclic definition {cycle}")
        state[name] = 1
        for dep in targets[name].dependencies():
            if dep in targets:
                visit(dep, path + [name])
        state[name] = 2
        order.append(targets[name])

    for name in targets:  # keep the given order where dependencies allow
        visit(name, [])
    return tuple(order)
