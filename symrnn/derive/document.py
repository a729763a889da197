"""Derivation documents: equations, chain-rule steps, BPTT and gradient sums, as LaTeX or Markdown.

A document is first a list of blocks — ``("section", title)``, ``("text", s)``
(running text written here, with inline ``$…$`` math), ``("plain", s)`` (text
from the user — a cell's summary and reference — escaped entirely, so a ``$``
or ``\\input`` in it is printed, never obeyed) and ``("math", rows)`` (rows of an
``align*``/``aligned`` display) — then rendered: ``tex`` is a standalone
article for pdflatex (:func:`symrnn.spec.latex.document`), ``md`` uses ``$$``
displays with ``aligned``, which GitHub and Jupyter render.
"""

from __future__ import annotations

import sys

from ..errors import SpecError
from ..spec.cell import PREV
from ..spec.latex import cell_latex, document, tex_escape, vector_latex
from .bptt import bptt
from .flow import jacobian_bound
from .gradients import delta_latex, eps_latex
from .jacobian import as_cell, jacobian, local_partials
from .latexing import at_time, partial_latex, total_latex

__all__ = ["derivation_blocks", "derivation_document", "render", "FORMATS"]

FORMATS = ("tex", "md")
"""Text formats of :func:`derivation_document` (the CLI adds ``pdf``)."""


LONG = 140
"""A diagonal whose per-unit sum prints longer than this is broken across rows."""


def _term_rows(cell, term) -> tuple[bool, list[str]]:
    """``(negative, rows)`` of one product; a long per-unit sum in a leading Diag spans several rows."""
    from .latexing import term_latex, unit_latex
    from .structured import Diag

    neg, body = term_latex(cell, term)
    lead = term[0] if term and isinstance(term[0], Diag) else None
    if lead is None or not lead.expr.is_Add or len(body) <= LONG:
        return neg, [body]
    rest = term_latex(cell, term[1:])[1] if term[1:] else ""
    parts = []
    for k, arg in enumerate(lead.expr.args):
        minus = arg.as_coeff_Mul()[0] < 0
        text = unit_latex(cell, -arg if minus else arg)
        parts.append(("-" if minus else "") + text if k == 0 else ("- " if minus else "+ ") + text)
    rows = [r"\operatorname{diag}\Bigl(" + parts[0]] + [r"&\qquad " + p for p in parts[1:]]
    rows[-1] += r"\Bigr)" + (" " + rest if rest else "")
    return False, rows


def _rows(J, cell, lead: str) -> list[str]:
    """``lead &= term_1`` then ``&\\quad + term_k`` rows, one term (or one long sum's part) per row."""
    from .latexing import term_order

    if J.is_zero():
        return [rf"{lead} &= \mathbf{{0}}"]
    rows = []
    for k, t in enumerate(sorted(J.terms, key=lambda t: term_order(cell, t))):
        neg, body = _term_rows(cell, t)
        sign = ("-" if neg else "") if k == 0 else ("- " if neg else "+ ")
        rows.append((rf"{lead} &= " if k == 0 else r"&\quad ") + sign + body[0])
        rows += body[1:]
    return rows


def _aligned_rows(aligned: str) -> list[str]:
    """The rows of an ``aligned`` block, without the row separators."""
    return [r.rstrip().removesuffix("\\\\").rstrip() for r in aligned.splitlines()[1:-1]]


def _chain(cell, of: str, wrt: str) -> str:
    """The chain-rule step d of/d wrt = ∂of/∂wrt + Σ_u ∂of/∂u · du/dwrt over the vectors ``of``'s equation reads.

    The total derivatives (d) run through every stage of the step, the
    partials (∂) are one equation's own: the two never share a symbol.
    """
    parts = []
    defined = {e.target for e in cell.equations}
    for u in local_partials(cell, of):
        if u == wrt:
            parts.append(partial_latex(cell, of, u))
        elif u in defined and not jacobian(cell, u, wrt).is_zero():
            parts.append(partial_latex(cell, of, u) + " " + total_latex(cell, u, wrt))
    return " + ".join(parts)


def _transpose_sum(cell, terms, index: str, sep: str = " ") -> str:
    """``Σ (ds/dw)ᵀ δ^s_index`` for ``terms = [(s, (ds/dw)ᵀ, w)]``: a one-product Jacobian written out, a sum named."""
    parts = []
    for s, JT, wrt in terms:
        body = JT.latex(cell) if len(JT.terms) == 1 else rf"\left({total_latex(cell, s, wrt)}\right)^{{\top}}"
        parts.append(f"{body} \\, {delta_latex(cell, s, index)}")
    return (sep + "+ ").join(parts) if parts else r"\mathbf{0}"


def _cell_blocks(cell, prefix: str = "") -> list:
    b = bptt(cell)
    states, inputs = cell.state_names, [d.name for d in cell.inputs]
    out = [("section", f"{prefix}Equations"),
           ("plain", f"{cell.summary or cell.name}. Reference: {cell.reference or 'user-defined cell'}."),
           ("math", _aligned_rows(cell_latex(cell)))]
    out += [("text", "As alternating linear and pointwise (per-unit) stages, the form every derivative is built from:"),
            ("math", _aligned_rows(cell_latex(cell, inline=False)))]
    out.append(("section", f"{prefix}Local partial derivatives"))
    out.append(("text", r"Pointwise stages give diagonal matrices $\operatorname{diag}(\cdot)$ of scalar derivatives "
                        r"(with $\sigma' = \sigma(1-\sigma)$ and $\tanh' = 1-\tanh^2$ written through the computed "
                        r"values); linear stages give their matrices. These hold for every size."))
    rows = []
    for eq in cell.equations:
        for u, P in local_partials(cell, eq.target).items():
            rows += _rows(P, cell, partial_latex(cell, eq.target, u))
    out.append(("math", rows))
    out.append(("section", f"{prefix}Local Jacobians"))
    out.append(("text", r"Chain rule through the stages of one step: $\frac{\mathrm{d}\,\cdot}{\mathrm{d}\,\cdot}$ is "
                        r"the total derivative through every stage, $\frac{\partial\,\cdot}{\partial\,\cdot}$ the "
                        r"direct partial of one equation (listed above); every derivative not listed is zero."))
    for s in states:
        for w in [x + PREV for x in states] + inputs:
            J = jacobian(cell, s, w)
            if J.is_zero():
                continue
            lead = total_latex(cell, s, w)
            rows = [rf"{lead} &= {_chain(cell, s, w)}"] + _rows(J, cell, "")
            out.append(("math", rows))
    out += _path_blocks(cell, b, prefix)
    out += _bptt_blocks(cell, b, prefix)
    out += _flow_blocks(cell, prefix)
    return out


def _path_blocks(cell, b, prefix):
    if not b.paths:
        return []
    out = [("section", f"{prefix}Direct state paths"),
           ("text", "The path from each state to its next value through its own update alone:")]
    rows = []
    notes = []
    for s, P in b.paths.items():
        rows += _rows(P, cell, partial_latex(cell, s, s + PREV) + r"\Big|_{\text{direct}}")
        if P.is_identity():
            notes.append(f"${vector_latex(cell, s)}$ passes the error back unchanged: the constant error carousel")
        elif P.diagonal() is not None:
            notes.append(f"the error along ${vector_latex(cell, s)}$ is scaled unit by unit, never mixed")
    out.append(("math", rows))
    if notes:
        out.append(("text", "; ".join(notes) + "."))
    return out


def _bptt_blocks(cell, b, prefix):
    states = cell.state_names
    out = [("section", f"{prefix}Backpropagation through time"),
           ("text", r"Loss $L = \sum_{t=1}^{T} \ell_t$ with $\ell_t$ depending on the states at step $t$. "
                    r"Let $\boldsymbol{\delta}^{s}_{t}$ be the gradient of $L$ with respect to state $s_t$ through the "
                    r"losses from step $t$ on and the later steps (paths from $s_t$ to other states of the same step "
                    r"are inside the local Jacobians). Backward recursion, from $t = T$ down to $1$, with "
                    r"$\boldsymbol{\delta}_{T+1} = \mathbf{0}$:")]
    rows = []
    for s in states:
        lead = delta_latex(cell, s, "t-1")
        first = rf"\frac{{\partial \ell_{{t-1}}}}{{\partial {at_time(cell, s, 't-1')}}}"
        rows.append(rf"{lead} &= {first}")
        for s2, JT in b.recursion[s]:
            rows.append(r"&\quad + " + _transpose_sum(cell, [(s2, JT, s + PREV)], "t"))
    out.append(("math", rows))
    out.append(("text", r"The initial-state gradients are the same sums without the loss term, at $t = 1$. "
                        r"Adjoints of the stages of step $t$ (the stage held as an independent variable):"))
    rows = []
    for st, adj in b.adjoints.items():
        rows.append(rf"{eps_latex(cell, st)} &= " + _adjoint_latex(cell, adj))
    out.append(("math", rows))
    out.append(("text", "Total parameter gradients, summed over the sequence:"))
    rows = [rf"\frac{{\partial L}}{{\partial {vector_latex(cell, p)}}} &= \sum_{{t=1}}^{{T}} " + g.latex(cell)
            for p, g in b.gradients.items()]
    out.append(("math", rows))
    out.append(("text", "Input gradients:"))
    rows = [rf"\frac{{\partial L}}{{\partial {vector_latex(cell, x)}}} &= " + _adjoint_latex(cell, adj)
            for x, adj in b.inputs.items()]
    out.append(("math", rows))
    return out


def _adjoint_latex(cell, adj) -> str:
    """``Σ_s (ds_t/dname)ᵀ δ^s_t`` of a :class:`~symrnn.derive.gradients.Adjoint`, one state per row."""
    return _transpose_sum(cell, [(s, JT, adj.name) for s, JT in adj.terms], "t", r" \\ &\quad ")


def _flow_blocks(cell, prefix):
    h = cell.output
    hT, hk = at_time(cell, h, "T"), at_time(cell, h, "T-k")
    out = [("section", f"{prefix}Gradient flow")]
    total = total_latex(cell, h, h, "T", "T-k")
    if len(cell.state_names) == 1:
        out.append(("math", [rf"{total} &= \prod_{{j=0}}^{{k-1}} {total_latex(cell, h, h, 'T-j', 'T-j-1')}"]))
    else:
        names = ", ".join(f"${vector_latex(cell, s)}$" for s in cell.state_names)
        out.append(("text", rf"With the state $\mathbf{{S}}_t$ = ({names}) and the block Jacobian "
                            r"$\mathbf{J}_t = \left[\mathrm{d} \mathbf{S}_t / \mathrm{d} \mathbf{S}_{t-1}\right]$ "
                            r"of the local Jacobians above:"))
        out.append(("math", [r"\frac{\mathrm{d} \mathbf{S}_{T}}{\mathrm{d} \mathbf{S}_{T-k}} &= "
                             r"\mathbf{J}_{T} \mathbf{J}_{T-1} \cdots \mathbf{J}_{T-k+1}",
                             rf"{total} &= \text{{its }}({hT}, {hk})\text{{ block (rows of }}{hT}"
                             rf"\text{{, columns of }}{hk}\text{{)}}"]))
    bound = jacobian_bound(cell)
    if bound is not None:
        norms = " + ".join(rf"\|{vector_latex(cell, p)}\|" if s == 1 else rf"{s} \|{vector_latex(cell, p)}\|"
                           for _, s, p in bound.terms)
        out.append(("text", "A bound derived from the closed form (submultiplicativity and the activation's range):"))
        out.append(("math", bound.latex(cell)
                    + [rf"\Rightarrow \left\|{total}\right\| &\le \left({norms}\right)^{{k}}"]))
        out.append(("text", "so the gradient vanishes geometrically in k when the bracket is below 1."))
    return out


def derivation_blocks(desc) -> tuple[str, list]:
    """``(title, blocks)`` of the derivation; a bidirectional layer gives both directions."""
    if isinstance(desc, str):
        from ..cells import cell

        desc = cell(desc)
    cells = [("", desc)]
    if hasattr(desc, "forward") and hasattr(desc, "backward") and not hasattr(desc, "equations"):
        cells = [("Forward direction: ", desc.forward), ("Backward direction: ", desc.backward)]
    blocks = []
    for prefix, c in cells:
        if prefix.startswith("Backward"):
            blocks.append(("section", "Backward direction"))
            blocks.append(("text", "This cell runs from $t = T$ down to $1$: in its formulas read the index "
                                   "$t-1$ as $t+1$ (the step processed before $t$), and sums over $t$ are "
                                   "unchanged."))
        blocks += _cell_blocks(as_cell(c), prefix)
    name = getattr(desc, "name", None) or as_cell(cells[0][1]).name
    return f"Derivation of the {name} cell", blocks


def render(title: str, blocks: list, format: str) -> str:
    """Render blocks as a standalone LaTeX article (``tex``) or Markdown (``md``)."""
    out = []
    for kind, body in blocks:
        if kind == "section":
            out.append(rf"\section{{{tex_escape(body)}}}" if format == "tex" else f"## {body}")
        elif kind == "text":
            out.append(_tex_text_inline(body) if format == "tex" else body)
        elif kind == "plain":
            out.append(tex_escape(body) if format == "tex" else _md_escape(body))
        elif body:
            rows = " \\\\\n".join(body)
            out.append(f"\\begin{{align*}}\n{rows}\n\\end{{align*}}" if format == "tex"
                       else f"$$\n\\begin{{aligned}}\n{rows}\n\\end{{aligned}}\n$$")
    if format == "tex":
        return document(title, "\n\n".join(out))
    return f"# {title}\n\n" + "\n\n".join(out) + "\n"


def _md_escape(s: str) -> str:
    """User text for Markdown: backslashes and dollars escaped, so MathJax / KaTeX read no math in it."""
    return s.replace("\\", "\\\\").replace("$", "\\$")


def _tex_text_inline(s: str) -> str:
    parts = s.split("$")
    return "".join(f"${p}$" if k % 2 else tex_escape(p) for k, p in enumerate(parts))


def derivation_document(desc, format: str = "tex") -> str:
    """The derivation of a model as a document: equations, partials, Jacobians, BPTT, gradient sums, flow.

    A tree model gets :func:`~symrnn.trees.document.tree_document`, a graph
    layer or graph-recurrent cell :func:`~symrnn.derive.graph_document.graph_document`
    (its reverse mode stage by stage); a name is looked up in :mod:`symrnn.registry`.

    Parameters
    ----------
    desc : Cell, Stacked, Bidirectional, TreeModel or str
    format : {"tex", "md"}
        ``tex``: a standalone article that compiles with latexmk/pdflatex;
        ``md``: Markdown with ``$$`` math (GitHub, Jupyter).

    Raises
    ------
    SpecError
        Unknown format.

    Examples
    --------
    >>> import symrnn
    >>> md = derivation_document(symrnn.cell("rnn"), "md")
    >>> print(md.splitlines()[0])
    # Derivation of the rnn cell
    >>> r"\\operatorname{diag}\\left(1 - \\mathbf{h}_{t}^{2}\\right) \\mathbf{U}" in md
    True
    """
    if format not in FORMATS:
        raise SpecError(f"derivation_document: format must be one of {FORMATS}, got {format!r}")
    if isinstance(desc, str):
        from ..registry import model

        desc = model(desc)
    trees = sys.modules.get("symrnn.trees.models")  # not imported: desc cannot be a tree model
    if trees is not None and isinstance(desc, trees.TreeModel):
        from ..trees.document import tree_document

        return tree_document(desc, format)
    if getattr(desc, "is_graph", False):
        from .graph_document import graph_document

        return graph_document(desc, format)
    title, blocks = derivation_blocks(desc)
    return render(title, blocks, format)
