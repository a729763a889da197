"""Reverse mode of a graph description, derived stage by stage, and its derivation document.

A graph layer (or graph-recurrent cell) is a :class:`~symrnn.spec.cell.Cell`
over the index spaces ``node`` and ``edge``.  Stacking the rows of each vector
(one row per node or edge) into a matrix, a linear stage
``a = Σ c P Op(v) + c' b`` reads ``A = Σ c Op(V) Pᵀ + c' 1 bᵀ`` and a pointwise
stage acts unit by unit on every row.  Reverse mode is then three fixed rules
per linear term and one per pointwise partial, with ``δᵘ = ∂L/∂u`` of the
shape of ``u``:

* ``δᵛ += c Opᵀ(δᵃ) P``, ``δᴾ += c Opᵀ(δᵃ)ᵀ v``, ``δᵇ += c 1ᵀ δᵃ``;
* ``δᵘ += δʸ ⊙ ∂y/∂u`` with ∂y/∂u the per-unit partial of
  :func:`~symrnn.spec.partials.pointwise_partials` (summed over the rows,
  ``1ᵀ(δʸ ⊙ ∂y/∂p)``, for a vector parameter every row shares, and over the
  units for a one-unit vector broadcast against a wider one).

:func:`reverse_rules` applies them to a description and returns every
contribution as data (:class:`Contribution`); :func:`graph_document` prints
them.  Nothing here is written per layer.  An operator that is not linear
(a softmax's shift ``segmax_dst``) is held constant, as the description says;
``max_in`` (GraphSAGE's max) routes δ to each node's arg-max in-edge (R_maxᵀ).

References
----------
A. Griewank and A. Walther, *Evaluating Derivatives*, 2nd ed., SIAM 2008 (reverse mode);
J. Gilmer et al., "Neural Message Passing for Quantum Chemistry", ICML 2017.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from ..errors import InputError
from ..spec.cell import PREV
from ..spec.latex import cell_latex, vector_latex
from ..spec.operators import ANY, OPERATORS
from ..spec.partials import pointwise_partials
from .document import FORMATS, _aligned_rows, render
from .latexing import transpose_latex, unit_latex

__all__ = ["Contribution", "reverse_rules", "graph_blocks", "graph_document"]

ONE = r"\mathbf{1}"


@dataclass(frozen=True)
class Contribution:
    """One term of ``δ^target``, read from the adjoint of the stage ``stage``.

    ``rule`` is ``"vector"`` (c Opᵀ(δᵃ) P, ``matrix`` None for a bare vector),
    ``"matrix"`` (c Opᵀ(δᵃ)ᵀ v), ``"bias"`` (c 1ᵀ δᵃ), ``"pointwise"``
    (δʸ ⊙ ∂y/∂u), ``"shared"`` (1ᵀ(δʸ ⊙ ∂y/∂p)), ``"broadcast"``
    ((δʸ ⊙ ∂y/∂u) 1, a one-unit vector) or ``"shared_broadcast"``
    (1ᵀ(δʸ ⊙ ∂y/∂p) 1, a one-unit parameter); ``operator`` is the graph
    operator the forward term applies (its adjoint is used; ``sum_units``,
    1ᵀ v in each row, sends δ back to every unit: (δᵃ P) 1ᵀ and δᵃᵀ v 1),
    ``partial`` the per-unit partial of a pointwise rule.
    """

    target: str
    stage: str
    rule: str
    coeff: sp.Expr = sp.S.One
    matrix: str | None = None
    vector: str | None = None
    operator: str | None = None
    partial: sp.Expr | None = None

    def latex(self, cell) -> str:
        """The term in the cell's notation (the sign, if any, leads)."""
        d = _delta(cell, self.stage)
        if self.rule in ("pointwise", "shared", "broadcast", "shared_broadcast"):
            body = _times(d, cell, self.partial)
            if self.rule in ("shared", "shared_broadcast"):
                tail = f" {ONE}" if self.rule == "shared_broadcast" else ""
                return rf"{ONE}^{{\top}}\left({body}\right){tail}"
            return rf"\left({body}\right) {ONE}" if self.rule == "broadcast" else body
        if self.rule == "bias":
            return _scaled(self.coeff, rf"{ONE}^{{\top}} {d}")
        units = self.operator is not None and _over_units(self.operator)
        if self.rule == "matrix":
            if units:  # A = (V 1) Pᵀ: δP = δAᵀ V 1
                body = f"{transpose_latex(d)} {vector_latex(cell, self.vector)} {ONE}"
            else:
                adj = _adjoint_operator(self.operator)
                first = transpose_latex(d) if adj is None else rf"\left({adj} {d}\right)^{{\top}}"
                body = f"{first} {vector_latex(cell, self.vector)}"
        elif units:  # δV = (δA P) 1ᵀ: the adjoint copied to every unit
            inner = d if self.matrix is None else rf"\left({d} {vector_latex(cell, self.matrix)}\right)"
            body = rf"{inner} {ONE}^{{\top}}"
        else:
            adj = _adjoint_operator(self.operator)
            applied = d if adj is None else f"{adj} {d}"
            body = applied if self.matrix is None else f"{applied} {vector_latex(cell, self.matrix)}"
        return _scaled(self.coeff, body)


def _over_units(op) -> bool:
    """An operator that sums the units of each row (``sum_units``: 1ᵀ v) rather than mixing rows."""
    return OPERATORS[op].source == ANY


ROUTE = r"\mathbf{R}_{\max}^{\top}"
"""A routed operator's reverse rule (``max_in``): each node's adjoint, unit by unit, to its arg-max in-edge's source."""


def _adjoint_operator(op) -> str | None:
    if op is not None and OPERATORS[op].backward:
        return ROUTE
    return None if op is None else OPERATORS[OPERATORS[op].adjoint].latex


def _delta(cell, name: str) -> str:
    return rf"\boldsymbol{{\delta}}^{{{vector_latex(cell, name)}}}"


def _scaled(coeff, body: str) -> str:
    coeff = sp.sympify(coeff)
    if coeff == 1:
        return body
    if coeff == -1:
        return "-" + body
    return f"{sp.latex(coeff)} {body}"


def _times(d: str, cell, partial) -> str:
    """``δ ⊙ (∂)``: 1 and −1 written as the adjoint itself, a sign pulled to the front."""
    neg = sp.sympify(partial).as_coeff_Mul()[0] < 0  # −2 u, −u; never a sum such as 1 − z
    partial = -partial if neg else partial
    if partial == 1:
        return ("-" if neg else "") + d
    text = unit_latex(cell, partial)
    return ("-" if neg else "") + rf"{d} \odot " + (rf"\left({text}\right)" if isinstance(partial, sp.Add) else text)


def _held_constant(op) -> bool:
    """Not linear and without a reverse rule of its own: reverse mode holds its value constant (a softmax's shift)."""
    return not OPERATORS[op].linear and not OPERATORS[op].backward


def reverse_rules(cell) -> dict[str, list[Contribution]]:
    """Every contribution to every adjoint, stages taken from the last to the first.

    Returns ``name -> [Contribution]`` for each stage, input, previous state
    and parameter that receives a gradient (in the order reverse mode reaches
    them).  Terms through an operator that is held constant give none.

    Examples
    --------
    >>> from symrnn.graphs.layers import gcn
    >>> rules = reverse_rules(gcn())
    >>> [(c.rule, c.operator) for c in rules["x"]], [c.rule for c in rules["W"]], [c.rule for c in rules["b"]]
    ([('vector', 'gcn_norm')], ['matrix'], ['bias'])
    """
    out: dict[str, list[Contribution]] = {}
    for eq in reversed(cell.equations):
        y = eq.target
        if eq.is_linear:
            for t in cell.terms(y):
                if t.operator is not None and _held_constant(t.operator):
                    continue
                if t.matrix is None and cell.role(t.vector) == "param":
                    out.setdefault(t.vector, []).append(Contribution(t.vector, y, "bias", t.coeff, operator=t.operator))
                    continue
                out.setdefault(t.vector, []).append(Contribution(t.vector, y, "vector", t.coeff, t.matrix, t.vector,
                                                                 t.operator))
                if t.matrix is not None:
                    out.setdefault(t.matrix, []).append(Contribution(t.matrix, y, "matrix", t.coeff, t.matrix, t.vector,
                                                                     t.operator))
            continue
        width = cell.declared[y][1].size
        for u, d in pointwise_partials(cell, y).items():
            if d == 0:
                continue
            narrower = sp.simplify(cell.declared[u][1].size - width) != 0  # a one-unit vector against a wider one
            if cell.role(u) == "param":
                rule = "shared_broadcast" if narrower else "shared"
            else:
                rule = "broadcast" if narrower else "pointwise"
            out.setdefault(u, []).append(Contribution(u, y, rule, partial=d))
    return out


def _sum(cell, parts) -> str:
    text = ""
    for k, c in enumerate(parts):
        body = c.latex(cell)
        neg = body.startswith("-")
        if k == 0:
            text = body
        else:
            text += (" - " + body[1:]) if neg else (" + " + body)
    return text or r"\mathbf{0}"


def _recurrent(cell) -> bool:
    return any(cell.role(d) == "previous" for eq in cell.equations for d in eq.dependencies())


def _seed(cell, state: str, recurrent: bool) -> str:
    v = vector_latex(cell, state)
    if not recurrent:
        return rf"\frac{{\partial L}}{{\partial {v}}}"
    return rf"\frac{{\partial \ell_{{t}}}}{{\partial {v}}} + \boldsymbol{{\delta}}^{{{v}}}\big|_{{t+1}}"


def _spaces_text(cell) -> str:
    rows = [f"${vector_latex(cell, name)}$ per {cell.space(name)}" for name in cell.declared
            if cell.role(name) not in ("param", "previous") and cell.space(name) is not None]
    return "Index spaces: " + ", ".join(rows) + "."


def _operator_rows(cell) -> list[str]:
    used = []
    for eq in cell.equations:
        if eq.is_linear:
            used += [t.operator for t in cell.terms(eq.target) if t.operator and t.operator not in used]
    rows = []
    for op in used:
        row = OPERATORS[op]
        if _over_units(op):
            rows.append(rf"{row.latex} &: \text{{the sum of the units of each row}}, "
                        r"&& \text{adjoint: copied to every unit}")
            continue
        adjoint = (r"\text{held constant in reverse mode}" if _held_constant(op) else
                   rf"\text{{reverse: }} {ROUTE} \text{{ (to the arg-max in-edge, ties share)}}" if row.backward
                   else rf"\text{{adjoint }} {OPERATORS[row.adjoint].latex}")
        rows.append(rf"{row.latex} &: \text{{per-{row.source} rows}} \to \text{{per-{row.target} rows}}, "
                    rf"&& {adjoint}")
    return rows


def graph_blocks(cell) -> tuple[str, list]:
    """``(title, blocks)`` of a graph description's derivation (blocks as :func:`~symrnn.derive.document.render` takes)."""
    if not getattr(cell, "is_graph", False):
        raise InputError(f"graph_blocks: expected a graph description (a Cell over node/edge spaces), got {cell!r}")
    recurrent = _recurrent(cell)
    rules = reverse_rules(cell)
    what = "graph-recurrent cell" if recurrent else "graph layer"
    blocks = [("section", "Equations"),
              ("plain", f"{cell.summary or cell.name}. Reference: {cell.reference or 'user-defined layer'}."),
              ("math", _aligned_rows(cell_latex(cell)))]
    blocks += [("text", "As linear stages over the index spaces (graph operators act across rows, parameter "
                        "matrices on each row) and per-unit pointwise stages, the form every derivative is built from:"),
               ("math", _aligned_rows(cell_latex(cell, inline=False))), ("text", _spaces_text(cell))]
    ops = _operator_rows(cell)
    if ops:
        blocks += [("text", "Graph operators of the description:"), ("math", ops)]
    blocks += [("section", "Derivative rules"),
               ("text", r"Stack the rows of each vector into a matrix (one row per node or edge): a linear stage "
                        r"$\mathbf{a} = \sum c\, \mathbf{P}\, \mathrm{Op}(\mathbf{v}) + c' \mathbf{b}$ reads "
                        r"$\mathbf{A} = \sum c\, \mathrm{Op}(\mathbf{V}) \mathbf{P}^{\top} + c' \mathbf{1} \mathbf{b}^{\top}$. "
                        r"With $\boldsymbol{\delta}^{u} = \partial L / \partial u$ (the shape of $u$), each term gives "
                        r"$\boldsymbol{\delta}^{v} \mathrel{+}= c\, \mathrm{Op}^{\top}(\boldsymbol{\delta}^{a}) \mathbf{P}$, "
                        r"$\boldsymbol{\delta}^{P} \mathrel{+}= c\, \mathrm{Op}^{\top}(\boldsymbol{\delta}^{a})^{\top} \mathbf{v}$ "
                        r"and $\boldsymbol{\delta}^{b} \mathrel{+}= c'\, \mathbf{1}^{\top} \boldsymbol{\delta}^{a}$; a "
                        r"pointwise stage $y = f(u_1, \ldots)$ gives $\boldsymbol{\delta}^{u} \mathrel{+}= "
                        r"\boldsymbol{\delta}^{y} \odot \partial y / \partial u$ unit by unit, summed over the rows "
                        r"($\mathbf{1}^{\top}(\cdot)$) for a vector parameter shared by every row. These hold for every "
                        r"number of nodes and edges and every feature size.")]
    partials = []
    for eq in cell.equations:
        if not eq.is_linear:
            for u, d in pointwise_partials(cell, eq.target).items():
                partials.append(rf"\frac{{\partial {vector_latex(cell, eq.target)}}}{{\partial {vector_latex(cell, u)}}} "
                                rf"&= {unit_latex(cell, d)}")
    if partials:
        blocks += [("section", "Per-unit partial derivatives"),
                   ("text", r"Of each pointwise stage, unit by unit (with $\sigma' = \sigma(1-\sigma)$ and "
                            r"$\tanh' = 1-\tanh^2$ written through the computed values):"),
                   ("math", partials)]
    blocks += _reverse_blocks(cell, rules, recurrent)
    return f"Derivation of the {cell.name} {what}", blocks


def _reverse_blocks(cell, rules, recurrent) -> list:
    states = set(cell.state_names)
    seed_text = (r"the loss $L$ reads the outputs" if not recurrent else
                 r"$\ell_t$ is the loss at step $t$ and $\boldsymbol{\delta}^{\mathbf{h}_t}|_{t+1}$ the adjoint of "
                 r"$\mathbf{h}_{t}$ computed in step $t+1$ (as its previous state; zero at $t = T$)")
    out = [("section", "Reverse mode"),
           ("text", f"From the last stage to the first, where {seed_text}:")]
    rows = []
    useful = _reaching(cell, rules)
    for eq in reversed(cell.equations):
        y = eq.target
        if y not in useful:  # its adjoint reaches no input or parameter (it sits behind a constant operator)
            continue
        parts = rules.get(y, [])
        lead = _seed(cell, y, recurrent) if y in states else ""
        body = _sum(cell, parts) if parts else ""
        if lead and body:
            text = f"{lead} - {body[1:]}" if body.startswith("-") else f"{lead} + {body}"
        else:
            text = lead or body or r"\mathbf{0}"
        rows.append(rf"{_delta(cell, y)} &= {text}")
    out.append(("math", rows))
    inputs = [d.name for d in cell.inputs] + [s + PREV for s in cell.state_names]
    rows = [rf"{_delta(cell, x)} &= {_sum(cell, rules[x])}" for x in inputs if x in rules]
    if rows:
        out += [("text", "Input gradients" + (" (and the previous states', passed to step $t-1$):" if recurrent else ":")),
                ("math", rows)]
    rows = []
    for p in cell.params:
        lead = rf"\frac{{\partial L}}{{\partial {vector_latex(cell, p.name)}}} &= "
        rows.append(lead + (r"\sum_{t=1}^{T} " if recurrent else "") + _wrap(_sum(cell, rules.get(p.name, []))))
    out += [("text", "Parameter gradients" + (", summed over the sequence:" if recurrent else ":")), ("math", rows)]
    return out


def _reaching(cell, rules) -> set:
    """The stages whose adjoint reaches an input, a previous state or a parameter."""
    leaves = {d.name for d in (*cell.inputs, *cell.params)} | {s + PREV for s in cell.state_names}
    by_stage: dict[str, set] = {}
    for contributions in rules.values():
        for c in contributions:
            by_stage.setdefault(c.stage, set()).add(c.target)
    out = set()
    for eq in cell.equations:  # dependencies come first
        if any(t in leaves or t in out for t in by_stage.get(eq.target, ())):
            out.add(eq.target)
    return out


def _wrap(text: str) -> str:
    return rf"\left({text}\right)" if (" + " in text or " - " in text) else text


def graph_document(cell, format: str = "tex") -> str:
    """The derivation of a graph description: equations, stages, operators, rules, every gradient.

    Parameters
    ----------
    cell : Cell
        A graph layer or graph-recurrent cell (vectors over ``node`` / ``edge`` spaces).
    format : {"tex", "md"}

    Examples
    --------
    >>> from symrnn.graphs.layers import gcn
    >>> md = graph_document(gcn(), "md")
    >>> print(md.splitlines()[0])
    # Derivation of the gcn graph layer
    >>> r"\\boldsymbol{\\delta}^{\\mathbf{x}} &= \\hat{\\mathbf{A}}^{\\top} \\boldsymbol{\\delta}^{\\mathbf{h}} \\mathbf{W}" in md
    True
    """
    if format not in FORMATS:
        raise InputError(f"graph_document: format must be one of {FORMATS}, got {format!r}")
    title, blocks = graph_blocks(cell)
    return render(title, blocks, format)
