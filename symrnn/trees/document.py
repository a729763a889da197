"""A derivation document for a tree model: equations, counts, the chain case, Jacobians to a child.

For a Child-Sum model the Jacobians are printed from the one-child cell
(:func:`one_child`), its time indices read as tree indices (t → node j,
t−1 → child k): the sums are linear and child k enters them alone, so
∂(node j)/∂(child k) has the same per-unit form at any number of children
(evaluated at the node's values).  For an N-ary model they are taken on the
node with all N slots filled (:func:`expand`), with respect to the child in
slot 1: the other children's forget gates read h_{j1} through U_f^{(k1)}.
:func:`~symrnn.trees.derivatives.child_jacobian` gives the same matrices as
:class:`~symrnn.derive.StructuredMatrix` values.

References
----------
Tai, Socher & Manning (2015), ACL; Goller & Küchler (1996).
"""

from __future__ import annotations

import re

import sympy as sp

from ..derive import jacobian
from ..derive.document import _rows
from ..errors import InputError
from ..spec.latex import document, tex_escape
from .expand import expand
from .models import TreeModel

__all__ = ["tree_document"]


def _indices(tex: str) -> str:
    tex = tex.replace("_{t-1}", "_{k}").replace(",t-1}", ",k}").replace(",t}", "}")
    return re.sub(r"_\{t\}", "_{j}", tex)


def tree_document(model: TreeModel, format: str = "tex") -> str:
    """The model's equations, parameter count, chain cell and child Jacobians as LaTeX or Markdown.

    Parameters
    ----------
    model : TreeModel
    format : {"tex", "md"}

    Examples
    --------
    >>> from symrnn.trees import child_sum_tree_lstm
    >>> tex = tree_document(child_sum_tree_lstm())
    >>> r"\\operatorname{diag}\\left(\\mathbf{f}_{jk}\\right)" in tex
    True
    """
    if not isinstance(model, TreeModel):
        raise InputError(f"tree_document: expected a TreeModel, got {type(model).__name__}")
    if format not in ("tex", "md"):
        raise InputError(f"tree_document: format must be 'tex' or 'md', got {format!r}")
    chain = expand(model, 1, chain=True, _tree_latex=True)
    full = chain if model.order_free else expand(model, model.arity, _tree_latex=True)
    child = "k" if model.order_free else "j1"
    jac = []
    for of in model.states:
        for wrt in model.states:
            J = jacobian(full, of, f"{wrt}_prev" if model.order_free else f"{wrt}_1")
            lhs = rf"\frac{{\mathrm{{d}} \mathbf{{{of}}}_{{j}}}}{{\mathrm{{d}} \mathbf{{{wrt}}}_{{{child}}}}}"
            jac += [_indices(row) for row in _rows(J, full, lhs)]
    where = ("child $k$ of node $j$" if model.order_free
             else f"the child in slot 1 of node $j$ (all {model.arity} slots filled)")
    count = sp.latex(model.parameter_count())
    if format == "md":
        body = [f"# {model.name}", "", f"{model.summary}. Reference: {model.reference}.", "",
                "## Equations", "", "$$" + model.latex() + "$$", "", f"Parameters: ${count}$.", "",
                "## One child per node (the chain cell)", "", "$$" + _indices(chain.latex()) + "$$", "",
                f"## Jacobians to {where}", "", "Total derivatives through every stage of the node, one term per row:", "",
                "$$\\begin{aligned}\n" + " \\\\\n".join(jac) + "\n\\end{aligned}$$", ""]
        return "\n".join(body)
    body = (f"{tex_escape(model.summary)}. Reference: {tex_escape(model.reference)}.\n\n"
            "\\section*{Equations}\nAt node $j$ with children $C(j)$ (leaves read zero child states):\n"
            f"\\[\n{model.latex()}\n\\]\nParameters: ${count}$.\n\n"
            "\\section*{One child per node}\nThe sum over one child is that child; read as the previous state "
            "it is the chain cell:\n"
            f"\\[\n{_indices(chain.latex())}\n\\]\n\n"
            f"\\section*{{Jacobians to {where}}}\n"
            "Total derivatives through every stage of the node, one term per row:\n"
            "\\begin{align*}\n" + " \\\\\n".join(jac) + "\n\\end{align*}\n")
    return document(f"symrnn: {model.name}", body)
