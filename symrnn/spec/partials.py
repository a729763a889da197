"""Local partial derivatives of one equation, the building block of every derivative.

* pointwise ``y = f(u_1, …, u_k)``: ∂y/∂u_j is the scalar ``diff`` of the
  per-unit expression; as a matrix it is Diag(·) (per-unit stages act on each
  unit alone), so the result holds for every size;
* linear ``a = Σ k P v``: ∂a/∂v = Σ k P (a matrix symbol), ∂a/∂P is the outer
  product rule (used by the gradient code).

Where a partial contains the equation's own function application, it is
rewritten through the computed value (tanh' = 1 - n² with n the output), via
the activation table :data:`~symrnn.spec.symbols.FUNCTIONS`, so that backward
passes reuse forward values.
"""

from __future__ import annotations

import sympy as sp

from ..errors import SpecError
from .cell import Cell
from .symbols import FUNCTIONS

__all__ = ["pointwise_partials", "linear_partials"]


def pointwise_partials(cell: Cell, target: str, *, through_output: bool = True) -> dict[str, sp.Expr]:
    """∂target/∂u per unit, for every vector or parameter ``u`` the equation reads.

    Parameters
    ----------
    cell : Cell
    target : str
        A pointwise equation's target.
    through_output : bool
        Rewrite f'(a) through the value y = f(a) when the equation is
        ``y = f(a)`` with ``f`` in the activation table (σ' = y(1 - y)).

    Examples
    --------
    >>> import symrnn
    >>> pointwise_partials(symrnn.cell("lstm"), "c")
    {'c_prev': f, 'f': c_prev, 'g': i, 'i': g}
    >>> pointwise_partials(symrnn.cell("lstm"), "i")
    {'a_i': i*(1 - i)}
    """
    eq = cell.equation(target)
    if eq.is_linear:
        raise SpecError(f"pointwise_partials: equation {target!r} is linear; use linear_partials")
    out = {}
    y = cell.unit(target)
    for name in eq.dependencies():
        u = cell.unit(name)
        d = sp.diff(eq.expr, u)
        if through_output:
            d = _through_output(eq.expr, y, d)
        out[name] = d
    return out


def _through_output(expr, y, d):
    if isinstance(expr, sp.Function) and type(expr) in FUNCTIONS and FUNCTIONS[type(expr)].arity == 1:
        row = FUNCTIONS[type(expr)]
        # f'(a) as SymPy writes it, replaced by the table's form through y
        arg = expr.args[0]
        fprime = sp.diff(expr, arg) if arg.is_Symbol else expr.fdiff(1)
        d = d.subs(fprime, row.derivative(y, arg))
        d = d.subs(expr, y)
    return sp.factor_terms(d)


def linear_partials(cell: Cell, target: str) -> dict[str, sp.MatrixExpr]:
    """∂target/∂v for every vector ``v`` of a linear equation: the matrix ``Σ k P``.

    A bare vector term (``+ v``) contributes the identity; parameters added as
    biases are not vectors of the step and are left to the gradient code.

    Examples
    --------
    >>> import symrnn
    >>> linear_partials(symrnn.cell("rnn"), "a_h")
    {'h_prev': U, 'x': W}
    """
    out: dict[str, sp.MatrixExpr] = {}
    eq = cell.equation(target)
    for t in cell.terms(target):
        if cell.role(t.vector) == "param":
            continue
        m = cell.matrix(t.matrix) if t.matrix else sp.Identity(eq.size)
        out[t.vector] = out[t.vector] + t.coeff * m if t.vector in out else (m if t.coeff == 1 else t.coeff * m)
    return out
