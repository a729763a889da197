"""LaTeX of structured derivatives through a cell's names (bold vectors with time index)."""

from __future__ import annotations

import sympy as sp

from ..spec.latex import _CellPrinter, _with_time, name_latex, vector_latex
from .structured import Diag

__all__ = ["unit_latex", "term_latex", "term_order", "partial_latex", "total_latex", "at_time", "adjoint_latex", "transpose_latex"]


class _DerivativePrinter(_CellPrinter):
    """The cell printer, plus the rectifier's derivative as an indicator: H(a) = 1[a > 0]."""

    def _print_Heaviside(self, expr, exp=None):
        return rf"\mathbb{{1}}\left[{self._print(expr.args[0])} > 0\right]"


def unit_latex(cell, expr) -> str:
    """A per-unit expression in the cell's notation (⊙ for per-unit products).

    Examples
    --------
    >>> import symrnn
    >>> relu_rnn = symrnn.cell("rnn", activation="relu")
    >>> print(unit_latex(relu_rnn, symrnn.derive.jacobian(relu_rnn, "h", "a_h").diagonal()))
    \\mathbb{1}\\left[\\mathbf{a}_{h,t} > 0\\right]
    """
    return _DerivativePrinter(cell, inline=False)._print(sp.sympify(expr))


def _diag_latex(cell, expr) -> str:
    return rf"\operatorname{{diag}}\left({unit_latex(cell, expr)}\right)"


def term_latex(cell, term) -> tuple[bool, str]:
    """``(negative, body)`` of one product of factors; the sign is pulled out of a leading Diag."""
    if not term:
        return False, r"\mathbf{I}"
    neg = False
    parts = []
    for k, f in enumerate(term):
        if isinstance(f, Diag):
            expr = f.expr
            if k == 0 and expr.as_coeff_Mul()[0] < 0:
                neg, expr = True, -expr
            if k == 0 and expr == 1:
                continue
            parts.append(_diag_latex(cell, expr))
        else:
            body = vector_latex(cell, f.name)
            parts.append(transpose_latex(body) if f.transposed else body)
    return neg, " ".join(parts) if parts else r"\mathbf{I}"


def term_order(cell, term) -> tuple:
    """Sort key printing terms in the order the parameters are declared (pure diagonals first)."""
    rank = {p.name: k for k, p in enumerate(cell.params)}
    return tuple(rank.get(f.name, -1) for f in term if not isinstance(f, Diag))


def transpose_latex(body: str) -> str:
    """``body^⊤``, braced when ``body`` already carries a superscript or a prime."""
    return f"{{{body}}}^{{\\top}}" if ("^" in body or "'" in body) else body + r"^{\top}"


def partial_latex(cell, of: str, wrt: str) -> str:
    """``\\frac{\\partial h_t}{\\partial h_{t-1}}``."""
    return rf"\frac{{\partial {vector_latex(cell, of)}}}{{\partial {vector_latex(cell, wrt)}}}"


def total_latex(cell, of: str, wrt: str, of_index: str | None = None, wrt_index: str | None = None) -> str:
    """``\\frac{\\mathrm{d} h_t}{\\mathrm{d} h_{t-1}}``: the total derivative, through every path.

    :func:`partial_latex` is the direct partial of one equation; the two never
    share a symbol.  ``of_index`` / ``wrt_index`` print another time index
    (``T``, ``T-k``).

    Examples
    --------
    >>> import symrnn
    >>> print(total_latex(symrnn.cell("rnn"), "h", "h_prev"))
    \\frac{\\mathrm{d} \\mathbf{h}_{t}}{\\mathrm{d} \\mathbf{h}_{t-1}}
    >>> print(total_latex(symrnn.cell("rnn"), "h", "h", "T", "T-k"))
    \\frac{\\mathrm{d} \\mathbf{h}_{T}}{\\mathrm{d} \\mathbf{h}_{T-k}}
    """
    top = vector_latex(cell, of) if of_index is None else at_time(cell, of, of_index)
    bottom = vector_latex(cell, wrt) if wrt_index is None else at_time(cell, wrt, wrt_index)
    return rf"\frac{{\mathrm{{d}} {top}}}{{\mathrm{{d}} {bottom}}}"


def at_time(cell, name: str, index: str) -> str:
    """A vector's LaTeX at another time index (``h`` at ``t+1`` → ``\\mathbf{h}_{t+1}``)."""
    decl = cell.declared[name][1]
    return _with_time(decl.latex or name_latex(name), index)


def adjoint_latex(cell, name: str, index: str = "t", symbol: str = r"\boldsymbol{\delta}") -> str:
    """``δ^{h}_{t}``: the adjoint of a vector (its name without time index as superscript)."""
    head = cell.declared[name][1].latex or name_latex(name)
    return rf"{symbol}^{{{head}}}_{{{index}}}"
