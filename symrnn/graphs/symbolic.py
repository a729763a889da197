"""Small SymPy helpers shared by the graph descriptions and theorems: sizes, matrices, LaTeX."""

from __future__ import annotations

import sympy as sp

from ..spec.latex import name_latex
from ..spec.symbols import leaky_relu  # noqa: F401  (one function table: the class lives there)
from ..spec.symbols import check_name

__all__ = ["graph_sizes", "matrices", "one_bias", "latex_of", "leaky_relu"]


def graph_sizes(names: str) -> tuple:
    """Positive-integer size symbols (N nodes, F features, …).

    Examples
    --------
    >>> graph_sizes("N F")[0].is_positive
    True
    """
    return tuple(sp.Symbol(check_name(n, "size"), integer=True, positive=True) for n in names.split())


def matrices(names: str, shapes) -> tuple:
    """``MatrixSymbol``s with the given shapes, e.g. ``matrices("A X", [(N, N), (N, F)])``.

    Examples
    --------
    >>> matrices("A", [(2, 2)])[0].shape
    (2, 2)
    """
    return tuple(sp.MatrixSymbol(check_name(n, "matrix"), *s) for n, s in zip(names.split(), shapes))


def one_bias(N, G) -> tuple:
    """The bias column b (G × 1) and its broadcast over the nodes, 1 bᵀ (N × G).

    Examples
    --------
    >>> one_bias(3, 2)[1].shape
    (3, 2)
    """
    b = sp.MatrixSymbol("b", G, 1)
    return b, sp.OneMatrix(N, 1) * b.T


def _default_names(expr) -> dict:
    out = {}
    for s in expr.atoms(sp.MatrixSymbol):
        base, _, sub = s.name.partition("_")
        if base in ("Delta", "Lambda", "Theta"):
            out[s] = rf"\boldsymbol{{\{base}}}" + (f"_{{{sub}}}" if sub else "")
        elif sub in ("tilde", "hat"):
            out[s] = rf"\{sub}{{\mathbf{{{base}}}}}"
        else:
            out[s] = name_latex(s.name)
    return out


def latex_of(expr, names: dict | None = None) -> str:
    """LaTeX with bold matrices (``W``, ``Θ_k``, ``Â``) and 1 for the all-ones column.

    Examples
    --------
    >>> A, X = matrices("A_hat X", [(3, 3), (3, 2)])
    >>> latex_of(A * X)
    '\\\\hat{\\\\mathbf{A}} \\\\mathbf{X}'
    """
    table = _default_names(expr)
    table.update(names or {})
    text = sp.latex(expr, symbol_names=table, mat_symbol_style="bold")
    return text.replace(r"\mathbb{1}", r"\mathbf{1}")


