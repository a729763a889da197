"""Linear stages: affine maps ``Σ k · P @ v`` held as SymPy matrix expressions.

A linear stage is a sum of terms, each a rational coefficient times either a
vector ``v`` or a parameter matrix times a vector ``P @ v``; in a graph layer
the vector may be a graph operator applied across rows, ``P @ Op(v)``
(:class:`~symrnn.spec.operators.Apply`).  This is all the derivative rules
(d(P v)/dv = P, d(Op v)/dv = Op), the proofs (term-by-term comparison) and the
kernels (one fused GEMM per input vector) need, so it is all that is accepted.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp
from sympy.matrices.expressions import MatAdd, MatMul, MatrixExpr, MatrixSymbol, ZeroMatrix

from ..errors import SpecError

__all__ = ["LinearTerm", "linear_terms", "rebuild_linear"]


@dataclass(frozen=True)
class LinearTerm:
    """One term ``coeff * matrix @ operator(vector)``.

    ``matrix`` is None for a bare vector, ``operator`` None when no graph
    operator acts (always, in an RNN cell).
    """

    coeff: sp.Expr
    matrix: str | None
    vector: str
    operator: str | None = None


def _vector(f):
    """``(name, operator)`` of a term's vector factor, or None."""
    from .operators import Apply

    if isinstance(f, Apply):
        return f.vector.name, f.operator
    if isinstance(f, MatrixSymbol) and f.shape[1] == 1:
        return f.name, None
    return None


def _term(term: MatrixExpr, where: str) -> LinearTerm | None:
    if isinstance(term, ZeroMatrix):
        return None
    coeff, rest = sp.S.One, term
    if isinstance(term, MatMul):
        coeff, mm = term.as_coeff_mmul()
        factors = list(mm.args) if isinstance(mm, MatMul) else [mm]
        if not coeff.is_number:
            raise SpecError(
                f"{where}: coefficient {coeff} of a linear term must be a number; "
                "per-unit products belong in a pointwise stage"
            )
        if len(factors) == 1:
            rest = factors[0]
        elif len(factors) == 2 and isinstance(factors[0], MatrixSymbol) and _vector(factors[1]):
            return LinearTerm(_exact(coeff), factors[0].name, *_vector(factors[1]))
        else:
            raise SpecError(f"{where}: linear term {term} must be 'P @ v' or 'v' (one matrix times one vector)")
    if _vector(rest):
        return LinearTerm(_exact(coeff), None, *_vector(rest))
    if isinstance(rest, MatrixSymbol) and rest.shape[1] != 1:
        raise SpecError(f"{where}: {rest.name!r} is a matrix used without a vector to act on")
    if isinstance(rest, ZeroMatrix):
        return None
    raise SpecError(f"{where}: linear term {term} must be 'P @ v' or 'v' (one matrix times one vector)")


def _exact(coeff):
    """A coefficient kept exact: a Float becomes the rational its shortest repr denotes (no rounding to 1 or 1/3).

    ``nsimplify`` would turn 0.999999997 into 1 and 0.333333333333 into 1/3,
    silently changing the cell; this keeps every float exactly as typed.

    Examples
    --------
    >>> _exact(sp.Float(0.999999997232426)), _exact(sp.Integer(2))
    (499999998616213/500000000000000, 2)
    """
    coeff = sp.sympify(coeff)
    if coeff.is_Float:
        return sp.Rational(repr(float(coeff)))
    return coeff if coeff.is_Rational or not coeff.is_number else sp.nsimplify(coeff)


def linear_terms(expr: MatrixExpr, where: str = "linear stage") -> tuple[LinearTerm, ...]:
    """Split an affine matrix expression into :class:`LinearTerm` s.

    Examples
    --------
    >>> H, D = sp.symbols("H D", positive=True, integer=True)
    >>> W, x, b = sp.MatrixSymbol("W", H, D), sp.MatrixSymbol("x", D, 1), sp.MatrixSymbol("b", H, 1)
    >>> [(t.matrix, t.vector) for t in linear_terms(W @ x + b)]
    [('W', 'x'), (None, 'b')]
    """
    expr = expr.doit() if isinstance(expr, MatAdd) else expr
    args = expr.args if isinstance(expr, MatAdd) else (expr,)
    out = [t for t in (_term(a, where) for a in args) if t is not None]
    order = {}
    for t in out:  # merge repeated terms (W x + W x = 2 W x)
        key = (t.matrix, t.vector, t.operator)
        order[key] = order.get(key, 0) + t.coeff
    return tuple(LinearTerm(c, m, v, op) for (m, v, op), c in order.items() if c != 0)


def rebuild_linear(terms, matrices: dict, rows) -> MatrixExpr:
    """Inverse of :func:`linear_terms` given the MatrixSymbols by name."""
    from .operators import Apply

    parts = []
    for t in terms:
        vec = matrices[t.vector] if t.operator is None else Apply(t.operator, matrices[t.vector])
        part = matrices[t.matrix] @ vec if t.matrix else vec
        parts.append(part if t.coeff == 1 else t.coeff * part)
    if not parts:
        return ZeroMatrix(rows, 1)
    return MatAdd(*parts).doit() if len(parts) > 1 else parts[0]
