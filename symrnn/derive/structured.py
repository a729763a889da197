"""A small structured matrix algebra: sums of products of Diag(·), parameter matrices and I.

Every derivative of a description is such a sum.  A pointwise stage
contributes ``Diag(d)`` where ``d`` is a per-unit SymPy expression (one unit
of each vector, see :class:`~symrnn.spec.symbols.Vec`); a linear stage
contributes its parameter matrices (d(U x)/dx = U).  Nothing is unrolled into
scalars, so every result holds for every size.

Canonical form: a term is a tuple of factors with no two adjacent ``Diag``
(they multiply per unit) and no ``Diag(1)``; terms that differ only in their
leading ``Diag`` are merged by adding the per-unit expressions
(``Diag(a) U + Diag(b) U = Diag(a + b) U``).  Equality (``==``) compares this
canonical form with the per-unit expressions expanded; :meth:`StructuredMatrix.equals`
also simplifies them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import sympy as sp

from ..errors import ShapeError
from ..spec.parse import as_sympy

__all__ = ["Diag", "Mat", "StructuredMatrix", "diag", "identity", "matrix", "zero"]


@dataclass(frozen=True)
class Diag:
    """The diagonal matrix whose unit ``k`` is the per-unit expression ``expr`` at unit k."""

    expr: sp.Expr
    size: sp.Expr


@dataclass(frozen=True)
class Mat:
    """A parameter matrix (or its transpose) of declared shape ``rows x cols``."""

    name: str
    rows: sp.Expr
    cols: sp.Expr
    transposed: bool = False

    @property
    def shape(self):
        return (self.cols, self.rows) if self.transposed else (self.rows, self.cols)

    def T(self) -> "Mat":
        return Mat(self.name, self.rows, self.cols, not self.transposed)


def _same(a, b) -> bool:
    return sp.expand(sp.sympify(a) - sp.sympify(b)) == 0


def _normal_term(factors) -> tuple | None:
    """Merge adjacent diagonals, drop Diag(1); None for a zero term."""
    out: list = []
    for f in factors:
        if isinstance(f, Diag):
            if f.expr == 0:
                return None
            if out and isinstance(out[-1], Diag):
                merged = out[-1].expr * f.expr
                out[-1] = Diag(merged, f.size)
                continue
        out.append(f)
    out = [f for f in out if not (isinstance(f, Diag) and f.expr == 1)]
    return tuple(out)


def _split(term):
    if term and isinstance(term[0], Diag):
        return term[0].expr, term[1:]
    return sp.S.One, term


class StructuredMatrix:
    """``Σ_k F_k1 F_k2 …`` with factors :class:`Diag`, :class:`Mat`; the empty product is I.

    Build with :func:`diag`, :func:`identity`, :func:`matrix`, :func:`zero` and
    combine with ``+``, ``-``, ``@``, scalar ``*`` and :meth:`T`.

    Parameters
    ----------
    rows, cols : sympy expressions
        The shape, in the cell's size symbols.
    terms : iterable of tuples of factors

    Examples
    --------
    >>> import symrnn
    >>> H = symrnn.sizes("H")[0]
    >>> f, g = symrnn.Vec("f", H), symrnn.Vec("g", H)
    >>> U = matrix("U", H, H)
    >>> (diag(f, H) @ U + diag(g, H) @ U) == diag(f + g, H) @ U
    True
    >>> (diag(f, H) @ diag(1 / f, H)).is_identity()
    True
    >>> (diag(f, H) @ U).T().terms
    ((Mat(name='U', rows=H, cols=H, transposed=True), Diag(expr=f, size=H)),)
    """

    __slots__ = ("rows", "cols", "terms", "_canon")

    def __init__(self, rows, cols, terms=()):
        self.rows, self.cols = sp.sympify(rows), sp.sympify(cols)
        merged: dict[tuple, sp.Expr] = {}
        for t in terms:
            t = _normal_term(t)
            if t is None:
                continue
            lead, rest = _split(t)
            merged[rest] = merged.get(rest, 0) + lead
        out = []
        for rest, lead in merged.items():
            if lead == 0:
                continue
            size = self.rows
            t = _normal_term((Diag(lead, size),) + rest)
            if t is not None:
                out.append(t)
        self.terms = tuple(out)
        self._canon = None

    # ---------------------------------------------------------------- algebra
    def _check(self, other, op):
        if not isinstance(other, StructuredMatrix):
            return NotImplemented
        if op == "@" and not _same(self.cols, other.rows):
            raise ShapeError(f"cannot multiply {self.shape} by {other.shape}")
        if op == "+" and not (_same(self.rows, other.rows) and _same(self.cols, other.cols)):
            raise ShapeError(f"cannot add {self.shape} and {other.shape}")
        return None

    @property
    def shape(self):
        return (self.rows, self.cols)

    def __add__(self, other):
        if (bad := self._check(other, "+")) is not None:
            return bad
        return StructuredMatrix(self.rows, self.cols, self.terms + other.terms)

    def __neg__(self):
        return self * -1

    def __sub__(self, other):
        return self + (-other)

    def __mul__(self, k):
        k = sp.sympify(k)
        return StructuredMatrix(self.rows, self.cols, [(Diag(k, self.rows),) + t for t in self.terms])

    __rmul__ = __mul__

    def __matmul__(self, other):
        if (bad := self._check(other, "@")) is not None:
            return bad
        return StructuredMatrix(self.rows, other.cols, [a + b for a in self.terms for b in other.terms])

    def T(self) -> "StructuredMatrix":
        """The transpose: factors reversed, matrices transposed, diagonals unchanged."""
        terms = [tuple(f.T() if isinstance(f, Mat) else f for f in reversed(t)) for t in self.terms]
        return StructuredMatrix(self.cols, self.rows, terms)

    # ---------------------------------------------------------- comparisons
    def canonical(self) -> frozenset:
        """The canonical form: a set of terms with expanded per-unit expressions."""
        if self._canon is None:
            self._canon = frozenset(
                tuple(Diag(sp.expand(f.expr), f.size) if isinstance(f, Diag) else f for f in t) for t in self.terms
            )
        return self._canon

    def __eq__(self, other):
        if not isinstance(other, StructuredMatrix):
            return NotImplemented
        return _same(self.rows, other.rows) and _same(self.cols, other.cols) and self.canonical() == other.canonical()

    def __hash__(self):
        return hash(self.canonical())

    def equals(self, other: "StructuredMatrix") -> bool:
        """Equality up to simplification of the per-unit expressions (slower than ``==``)."""
        if self == other:
            return True
        diff = self - other
        return all(any(isinstance(f, Diag) and sp.simplify(f.expr) == 0 for f in t) for t in diff.terms)

    def is_zero(self) -> bool:
        return not self.terms

    def is_identity(self) -> bool:
        return self.diagonal() == 1

    def diagonal(self):
        """The per-unit expression ``d`` if the matrix is ``Diag(d)`` (0 for zero, 1 for I), else None."""
        if not self.terms:
            return sp.S.Zero
        if len(self.terms) != 1 or any(not isinstance(f, Diag) for f in self.terms[0]):
            return None
        return self.terms[0][0].expr if self.terms[0] else sp.S.One

    def is_diag_of(self, expr) -> bool:
        """Whether this is ``Diag(expr)`` (``expr`` a per-unit expression; 1 means I).

        Examples
        --------
        >>> import symrnn
        >>> from symrnn.derive import jacobian
        >>> lstm = symrnn.cell("lstm")
        >>> jacobian(lstm, "c", "c_prev").is_diag_of(lstm.unit("f"))
        True
        """
        d = self.diagonal()
        return d is not None and sp.simplify(d - as_sympy(expr, argument="expr")) == 0

    # ------------------------------------------------------------- display
    def __repr__(self):
        if not self.terms:
            return "0"
        parts = []
        for t in self.terms:
            if not t:
                parts.append("I")
                continue
            parts.append(" @ ".join(f"Diag({f.expr})" if isinstance(f, Diag) else f.name + (".T" if f.transposed else "")
                                    for f in t))
        return " + ".join(parts)

    def latex(self, cell, *, sep: str = " ") -> str:
        """LaTeX through the cell's names; ``sep`` goes before each ``+``/``-`` of a term after the first.

        Examples
        --------
        >>> import symrnn
        >>> from symrnn.derive import jacobian
        >>> print(jacobian(symrnn.cell("rnn"), "h", "h_prev").latex(symrnn.cell("rnn")))
        \\operatorname{diag}\\left(1 - \\mathbf{h}_{t}^{2}\\right) \\mathbf{U}
        """
        from .latexing import term_latex, term_order

        if not self.terms:
            return r"\mathbf{0}"
        out = ""
        for k, t in enumerate(sorted(self.terms, key=lambda t: term_order(cell, t))):
            neg, body = term_latex(cell, t)
            if k == 0:
                out = ("-" if neg else "") + body
            else:
                out += f"{sep}{'-' if neg else '+'} {body}"
        return out

    # ------------------------------------------------------------- numbers
    def evaluate(self, values, sizes) -> np.ndarray:
        """The matrix as a float64 array.

        Parameters
        ----------
        values : dict
            Name -> array: every vector (1-D, one sample) the per-unit
            expressions read, and the parameter matrices.
        sizes : dict
            Size symbol -> int (see :func:`symrnn.derive.numeric.size_map`).
        """
        from ..numeric.reference import evaluate_pointwise

        rows, cols = int(self.rows.xreplace(sizes)), int(self.cols.xreplace(sizes))
        total = np.zeros((rows, cols))
        for t in self.terms:
            acc = None
            for f in t:
                if isinstance(f, Diag):
                    n = int(f.size.xreplace(sizes))
                    d = evaluate_pointwise(f.expr, values, np.empty(n))
                    acc = np.diag(d) if acc is None else acc * d[None, :]
                else:
                    m = np.asarray(values[f.name], dtype=float)
                    m = m.T if f.transposed else m
                    acc = m if acc is None else acc @ m
            total += np.eye(rows) if acc is None else acc
        return total


def diag(expr, size) -> StructuredMatrix:
    """``Diag(expr)`` of size ``size`` (``expr`` a per-unit expression)."""
    return StructuredMatrix(size, size, [(Diag(sp.sympify(expr), sp.sympify(size)),)])


def identity(size) -> StructuredMatrix:
    """The identity of size ``size``."""
    return StructuredMatrix(size, size, [()])


def zero(rows, cols) -> StructuredMatrix:
    """The zero matrix."""
    return StructuredMatrix(rows, cols, [])


def matrix(name: str, rows, cols) -> StructuredMatrix:
    """A parameter matrix by name and declared shape."""
    return StructuredMatrix(rows, cols, [(Mat(name, sp.sympify(rows), sp.sympify(cols)),)])
