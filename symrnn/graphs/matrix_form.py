"""The matrix face of a graph description: one row per node (edge, pair), SymPy matrix expressions.

A graph description (:mod:`symrnn.graphs.layers`, :class:`symrnn.GraphBuilder`) holds a layer per
row: ``h = W @ gcn_norm(x) + b`` for the units of one node.  Stacking the rows of every vector of
a space into a matrix — ``X`` (N × F) for the node vector ``x`` of F units — reads the same
equation as the matrix expression ``H = Â X Wᵀ + 1 bᵀ`` the papers write.  This module
*derives* that face from the description (nothing is written per layer):

* a linear term ``c · P @ Op(v)`` becomes ``c · Op V Pᵀ``, with ``Op`` the graph matrix the
  operator names (a ``MatrixSymbol`` of shape target rows × source rows; an adjoint such as
  ``gcn_norm_T`` is the transpose of its partner, so ``Âᵀ`` and ``Â`` are one symbol);
* a vector without an index space (a bias, a parameter shared by every row) is broadcast,
  ``1 bᵀ``; ``sum_units`` (1ᵀ v in each row) is ``V 1``;
* a pointwise stage acts entry by entry: products and powers are Hadamard products and powers,
  a function of one matrix is :class:`~sympy.matrices.expressions.applyfunc.ElementwiseApplyFunction`,
  and a one-unit vector beside wider ones is broadcast along the units (``v 1ᵀ``).

An operator that is not linear (``segmax_dst``, a softmax's shift) has no matrix: asking for
the face of a description that uses it is refused, naming the equation.

Sizes: ``N`` nodes, ``E`` edges, ``P`` pairs (positive integer symbols); the ``graph`` space has
one row and the ``spectrum`` space (eigenvectors) has N.  Everything holds for every size: the
claims of :mod:`symrnn.graphs.claims` are proved on this face by
:func:`symrnn.prove.matrix_identity`, and :meth:`MatrixForm.gradient` differentiates it with
SymPy's matrix calculus — an oracle for the generated reverse mode that shares no code with it.

References
----------
T. N. Kipf and M. Welling, "Semi-Supervised Classification with Graph Convolutional Networks",
ICLR 2017 (the matrix form Â X W); K. B. Petersen and M. S. Pedersen, *The Matrix Cookbook*,
2012 (∂ tr(Δᵀ A X B)/∂X = Aᵀ Δ Bᵀ).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sympy as sp
from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction
from sympy.printing.latex import LatexPrinter

from ..errors import SpecError, UnknownNameError
from ..spec.latex import name_latex
from ..spec.operators import ANY, OPERATORS

__all__ = ["MatrixForm", "matrix_form", "SPACE_ROWS"]

_N, _E, _P = (sp.Symbol(n, integer=True, positive=True) for n in "NEP")
SPACE_ROWS = {"node": _N, "edge": _E, "pair": _P, "graph": sp.S.One, "spectrum": _N}
"""Rows of each index space's matrices: N nodes, E edges, P pairs, one graph, N eigenvectors."""


def _base(op: str) -> tuple[str, bool]:
    """``(name of the matrix, transposed?)``: an operator and its adjoint share one symbol.

    The symbol is named after the pair's member without the ``_T`` suffix (``gcn_norm`` for
    ``gcn_norm_T``), and for gather/scatter pairs after the one listed first in the table
    (the gather, E × N; a scatter is its transpose).
    """
    row = OPERATORS[op]
    adjoint = row.adjoint
    if op.endswith("_T") and adjoint == op[:-2]:
        return adjoint, True
    if adjoint.endswith("_T") and op == adjoint[:-2]:
        return op, False
    names = list(OPERATORS)
    return (op, False) if names.index(op) < names.index(adjoint) else (adjoint, True)


@dataclass(frozen=True)
class MatrixForm:
    """A graph description as matrix expressions over symbolic N, E, P and unit sizes.

    Attributes
    ----------
    cell : Cell
        The description it is read from.
    equations : dict
        Each target's matrix as written in the description (it reads earlier targets).
    outputs : dict
        Each state and the output with every intermediate substituted: in inputs, parameters
        and graph matrices only.
    latex_names : dict
        LaTeX for every matrix symbol (the operator table's own, bold capitals for vectors).

    Examples
    --------
    >>> from symrnn.graphs.layers import gcn
    >>> form = matrix_form(gcn())
    >>> form.outputs["h"]  # SymPy prints the all-ones column OneMatrix(N, 1) as 1
    gcn_norm*x*W.T + 1*b.T
    >>> form.gradient("h", "W")
    Delta_h.T*gcn_norm*x
    """

    cell: object
    equations: dict
    outputs: dict
    symbols: dict = field(repr=False)
    latex_names: dict = field(repr=False)

    def matrix(self, name: str) -> sp.MatrixExpr:
        """The matrix of a vector or parameter (``"x"`` → X, N × F), or of a graph operator."""
        if name in self.symbols:
            return self.symbols[name]
        if name in OPERATORS:
            return _operator_matrix(name, self.symbols, self.latex_names)
        known = sorted(self.symbols)
        raise UnknownNameError(f"{self.cell.name}: no vector, parameter or operator {name!r}; known: {known}")

    def upstream(self, target: str) -> sp.MatrixSymbol:
        """Δ = ∂L/∂(target), shaped like the target's matrix."""
        return sp.MatrixSymbol(f"Delta_{target}", *self._output(target).shape)

    def gradient(self, target: str, wrt: str) -> sp.MatrixExpr:
        """∂L/∂(wrt) for a loss reading ``target``: d tr(Δᵀ Y)/d(wrt) by SymPy's matrix calculus.

        Valid for every size.  A parameter vector comes back as a column, as it is declared.

        Examples
        --------
        >>> from symrnn.graphs.layers import cheb
        >>> matrix_form(cheb(K=2)).gradient("h", "x")
        Delta_h*Theta_0 + cheb_lt.T*Delta_h*Theta_1
        """
        Y, W = self._output(target), self.matrix(wrt)
        if wrt in OPERATORS or not isinstance(W, (sp.MatrixSymbol, sp.Symbol)):
            raise SpecError(f"{self.cell.name}: gradient with respect to a vector or parameter, got {wrt!r}")
        if Y.has(sp.HadamardProduct, sp.HadamardPower, ElementwiseApplyFunction):
            # SymPy's matrix calculus mis-shapes Hadamard products (∂/∂X of U((θ1ᵀ) ∘ UᵀX) comes back
            # F × N): only linear faces are differentiated here; pointwise stages are graph_document's
            raise SpecError(f"{self.cell.name}: {target!r} has pointwise stages; gradient() differentiates "
                            "linear matrix faces only (see symrnn.derive.graph_document for every stage)")
        delta = self.upstream(target)
        if isinstance(W, sp.Symbol):  # d tr(Δᵀ Y)/dθ = tr(Δᵀ ∂Y/∂θ)
            return sp.Trace(delta.T * Y.diff(W).doit())
        expr = sp.Trace(delta.T * Y).diff(W)
        return expr.T if expr.shape != W.shape else expr

    def latex(self, target: str) -> str:
        """``Y = …`` for an output, in the paper's matrix notation.

        Examples
        --------
        >>> from symrnn.graphs.layers import gcn
        >>> matrix_form(gcn()).latex("h")
        '\\\\mathbf{H} = \\\\hat{\\\\mathbf{A}} \\\\mathbf{X} \\\\mathbf{W}^{T} + \\\\mathbf{1} \\\\mathbf{b}^{T}'
        """
        Y = self._output(target)
        printer = _Printer({"symbol_names": self.latex_names})
        return f"{printer.doprint(self.symbols[target])} = {printer.doprint(Y)}"

    def _output(self, target: str) -> sp.MatrixExpr:
        if target not in self.outputs:
            raise UnknownNameError(f"{self.cell.name}: {target!r} is not a state or output; known: "
                                   f"{sorted(self.outputs)}")
        return self.outputs[target]


def _rows(cell, name) -> sp.Expr:
    space = cell.space(name)
    return SPACE_ROWS[space] if space is not None else None


def _symbol_for(cell, name, rows, symbols, latex_names):
    """The matrix of a declared or defined vector (rows × units) or parameter (as declared)."""
    if name in symbols:
        return symbols[name]
    role, decl = cell.declared[name]
    if role == "param" and decl.is_matrix:
        m = sp.MatrixSymbol(name, decl.shape[0], decl.shape[1])
        latex_names[m] = name_latex(name)
    elif rows is None and decl.shape[0] == 1:  # one shared unit (θ_k of a polynomial filter): a scalar
        m = sp.Symbol(name, real=True)
        latex_names[m] = name_latex(name)
    elif rows is None:  # a vector every row shares (a bias): a column, broadcast where it is read
        m = sp.MatrixSymbol(name, decl.shape[0], 1)
        latex_names[m] = name_latex(name)
    else:
        m = sp.MatrixSymbol(name, rows, decl.shape[0])
        latex_names[m] = _capital(name)
    symbols[name] = m
    return m


def _capital(name: str) -> str:
    """A row-stacked vector prints as a capital (x → X, z_1 → Z_1); other names keep their letter (θ)."""
    base, _, sub = name.partition("_")
    if len(base) == 1 and base.isascii() and base.isalpha():
        name = base.upper() + (f"_{sub}" if sub else "")
    return name_latex(name)


class _Printer(LatexPrinter):
    """SymPy's LaTeX with the all-ones matrix as a bold 1 (SymPy prints a bare 1)."""

    def _print_OneMatrix(self, expr):
        return r"\mathbf{1}"


def _operator_matrix(op, symbols, latex_names) -> sp.MatrixExpr:
    name, transposed = _base(op)
    base = OPERATORS[name]
    key = f"operator:{name}"
    if key not in symbols:
        m = sp.MatrixSymbol(name, SPACE_ROWS[base.target], SPACE_ROWS[base.source])
        latex_names[m] = base.latex
        symbols[key] = m
    m = symbols[key]
    return m.T if transposed else m


def _read(cell, name, rows, symbols, latex_names):
    """A vector as read in a space of ``rows`` rows: its matrix, a shared column broadcast, or a scalar."""
    m = _symbol_for(cell, name, _rows(cell, name), symbols, latex_names)
    if not isinstance(m, sp.MatrixExpr):
        return m
    if _rows(cell, name) is None:
        return sp.OneMatrix(rows, 1) * m.T
    return m


def _linear(cell, eq, rows, symbols, latex_names):
    out = []
    for t in cell.terms(eq.target):
        if t.operator is not None and not OPERATORS[t.operator].linear:
            raise SpecError(f"{cell.name}: equation {eq.target!r} applies {t.operator!r}, which is not linear "
                            "and has no matrix; the matrix face holds linear operators only")
        source_rows = rows
        if t.operator is not None and OPERATORS[t.operator].source != ANY:
            source_rows = SPACE_ROWS[OPERATORS[t.operator].source]
        V = _read(cell, t.vector, source_rows, symbols, latex_names)
        if t.operator is not None and OPERATORS[t.operator].source == ANY:
            V = V * sp.OneMatrix(V.shape[1], 1)
        elif t.operator is not None:
            V = _operator_matrix(t.operator, symbols, latex_names) * V
        if t.matrix is not None:
            V = V * _symbol_for(cell, t.matrix, None, symbols, latex_names).T
        out.append(t.coeff * V)
    return sp.MatAdd(*out).doit() if len(out) > 1 else out[0]


def _pointwise(cell, eq, rows, symbols, latex_names):
    size = eq.size

    def wide(m):  # a one-unit matrix beside wider ones: broadcast along the units
        return m * sp.OneMatrix(1, size) if m.shape[1] == 1 and size != 1 else m

    def face(e):
        if e.is_Symbol:
            m = _read(cell, e.name, rows, symbols, latex_names)
            return wide(m) if isinstance(m, sp.MatrixExpr) else m * sp.OneMatrix(rows, size)
        if e.is_Number:
            return e * sp.OneMatrix(rows, size)
        if not e.free_symbols:
            return e * sp.OneMatrix(rows, size)
        if e.is_Add:
            return sp.MatAdd(*(face(a) for a in e.args))
        if e.is_Mul:
            coeff, rest = e.as_coeff_Mul()
            args = sp.Mul.make_args(rest)
            scalars = [a for a in args if a.is_Symbol and not isinstance(_read(cell, a.name, rows, symbols,
                                                                                latex_names), sp.MatrixExpr)]
            factors = [face(a) for a in args if a not in scalars]
            coeff = sp.Mul(coeff, *(symbols[a.name] for a in scalars))
            if not factors:
                return coeff * sp.OneMatrix(rows, size)
            body = factors[0] if len(factors) == 1 else sp.HadamardProduct(*factors)
            return body if coeff == 1 else coeff * body
        if e.is_Pow and e.exp.is_Integer:
            return sp.HadamardPower(face(e.base), e.exp)
        inner = [a for a in e.args if a.free_symbols]
        if isinstance(e, sp.Function) and len(inner) == 1:
            z = sp.Dummy("z")
            return ElementwiseApplyFunction(sp.Lambda(z, e.xreplace({inner[0]: z})), face(inner[0]))
        raise SpecError(f"{cell.name}: equation {eq.target!r} has no matrix face term by term ({e}); "
                        "it holds sums, products, integer powers and functions of one vector")

    return face(eq.expr)


def matrix_form(cell) -> MatrixForm:
    """Read a graph description's matrix face (see the module docstring).

    Parameters
    ----------
    cell : Cell
        A graph description (every vector in an index space; ``cell.is_graph``).

    Raises
    ------
    SpecError
        For an RNN cell, or a description with a non-linear graph operator.

    Examples
    --------
    >>> from symrnn.graphs.layers import sage
    >>> matrix_form(sage()).outputs["h"]
    mean_in*x*W_l.T + x*W_r.T + 1*b.T
    """
    if not getattr(cell, "is_graph", False):
        raise SpecError(f"matrix_form: {getattr(cell, 'name', cell)!r} is not a graph description "
                        "(its vectors have no index space)")
    symbols, latex_names, equations = {}, {}, {}
    for eq in cell.equations:
        rows = _rows(cell, eq.target)
        if rows is None:
            raise SpecError(f"{cell.name}: equation {eq.target!r} has no index space")
        build = _linear if eq.is_linear else _pointwise
        equations[eq.target] = build(cell, eq, rows, symbols, latex_names)
        m = sp.MatrixSymbol(eq.target, rows, eq.size)
        latex_names[m] = _capital(eq.target)
        symbols[eq.target] = m
    inlined = {}
    for target, expr in equations.items():
        inlined[target] = expr.xreplace({symbols[t]: inlined[t] for t in inlined}).doit()
    kept = [d.name for d in cell.states] + ([cell.output] if getattr(cell, "output", None) else [])
    outputs = {t: inlined[t] for t in dict.fromkeys(kept) if t in inlined}
    return MatrixForm(cell, equations, outputs, symbols, latex_names)
