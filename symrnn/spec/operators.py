"""Graph operators: linear maps across the rows (nodes, edges) of a vector, unit by unit.

A description's vectors live in an **index space**: ``None`` (the rows of a
batch, as in every RNN cell), ``"node"`` or ``"edge"``.  A graph operator
maps the rows of one space to the rows of another and acts on every unit
alike, so it commutes with the per-row maps ``P @ v`` and with every
pointwise stage.  That is why a graph layer is held exactly like a cell:
linear stages ``Σ k · P @ Op(v)`` and per-unit pointwise stages.

In a SymPy linear stage an operator applied to a vector is the matrix
expression :class:`Apply` (``Apply("gather_src", z)``), so ``W @ Apply(…)``
is an ordinary term; :func:`~symrnn.spec.linear.linear_terms` reads it as
``LinearTerm(coeff, "W", "z", operator="gather_src")``.

The table :data:`OPERATORS` gives each operator's spaces, its adjoint (the
transpose, used by reverse mode: d(Op v)/dv = Op, so v̄ += Opᵀ ā) and its
LaTeX.  Two entries are not linear.  ``segmax_dst``, the per-node maximum that
stabilises a neighbourhood softmax: reverse mode holds it constant, which is
exact because the softmax does not depend on the shift (the proof engine
keeps it as an opaque, unsplit atom).  ``max_in``, GraphSAGE's max aggregator:
its ``backward`` names the rule of :class:`~symrnn.graphs.operators.GraphOperators`
that routes the adjoint of each node and unit to the arg-max in-edge (a tie
shares it equally, as ``torch.scatter_reduce(..., "amax")``); a non-linear
operator is always a stage of its own, ``m = max_in(x)``, never under a matrix.
Every operator here is built from the graph's incidence matrices S_src, S_dst
(E × N) and edge weights, so relabelling the nodes by P and the edges by Q maps
it to Π_target Op Π_sourceᵀ: the fact behind permutation equivariance (:mod:`symrnn.graphs.equivariance`).

References
----------
J. Gilmer et al., "Neural Message Passing for Quantum Chemistry", ICML 2017;
Z. Wu et al., "A Comprehensive Survey on Graph Neural Networks", IEEE TNNLS 2021.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp
from sympy.matrices.expressions import MatrixExpr

from ..errors import SpecError, UnknownNameError

__all__ = ["SPACES", "ANY", "Operator", "OPERATORS", "Apply", "operator"]

SPACES = ("node", "edge", "pair", "graph", "spectrum")
"""Index spaces of graph vectors (``None`` is the batch of an RNN cell): the graph's nodes, its edges, the
node pairs a decoder scores (given per call, e.g. positive and negative edges), the graph itself (one row:
a readout, a loss), and the eigenvectors of its normalised Laplacian (a spectral filter's coefficients)."""

ANY = "*"
"""The space of ``sum_units``: it sums a vector's units in every row and keeps the rows' space."""


@dataclass(frozen=True)
class Operator:
    """One graph operator: ``target`` rows ← ``source`` rows.

    ``definition`` says how it is built from the incidence matrices (E × N)
    S_src, S_dst and the diagonal of edge weights W_E; ``adjoint`` names the
    operator that is its transpose.
    """

    name: str
    source: str
    target: str
    adjoint: str
    latex: str
    definition: str
    linear: bool = True
    backward: str = ""  # a non-linear operator's reverse rule (a GraphOperators method); "" holds it constant


OPERATORS: dict[str, Operator] = {op.name: op for op in (
    Operator("gather_src", "node", "edge", "scatter_src", r"\mathbf{S}_{\mathrm{src}}",
             "S_src: row e of S_src v is v at the source j of edge e = (j → i)"),
    Operator("gather_dst", "node", "edge", "scatter_dst", r"\mathbf{S}_{\mathrm{dst}}",
             "S_dst: row e of S_dst v is v at the target i of edge e = (j → i)"),
    Operator("scatter_src", "edge", "node", "gather_src", r"\mathbf{S}_{\mathrm{src}}^{\top}",
             "S_srcᵀ: node j sums the rows of the edges leaving it"),
    Operator("scatter_dst", "edge", "node", "gather_dst", r"\mathbf{S}_{\mathrm{dst}}^{\top}",
             "S_dstᵀ: node i sums the rows of the edges entering it"),
    Operator("adjacency", "node", "node", "adjacency_T", r"\mathbf{A}",
             "A = S_dstᵀ W_E S_src: node i sums w_ji v_j over its in-neighbours j"),
    Operator("adjacency_T", "node", "node", "adjacency", r"\mathbf{A}^{\top}",
             "Aᵀ = S_srcᵀ W_E S_dst"),
    Operator("mean_in", "node", "node", "mean_in_T", r"\mathbf{D}^{-1}\mathbf{S}_{\mathrm{dst}}^{\top}\mathbf{S}_{\mathrm{src}}",
             "D⁻¹ S_dstᵀ S_src with D = diag(S_dstᵀ 1): the unweighted mean over incoming edges, each copy of a "
             "repeated edge counted (GraphSAGE, PyG's mean aggregation); zero rows stay zero"),
    Operator("mean_in_T", "node", "node", "mean_in", r"(\mathbf{D}_{\mathrm{in}}^{-1}\mathbf{A})^{\top}",
             "(D_in⁻¹ A)ᵀ"),
    Operator("sum_in", "node", "node", "sum_in_T", r"\mathbf{S}_{\mathrm{dst}}^{\top}\mathbf{S}_{\mathrm{src}}",
             "S_dstᵀ S_src: the unweighted sum over incoming edges, each copy of a repeated edge counted (GIN, PyG's "
             "add aggregation); zero rows stay zero"),
    Operator("sum_in_T", "node", "node", "sum_in", r"\mathbf{S}_{\mathrm{src}}^{\top}\mathbf{S}_{\mathrm{dst}}",
             "S_srcᵀ S_dst"),
    Operator("max_in", "node", "node", "", r"\max_{\mathrm{in}}",
             "node i, unit u: the largest v_ju over the edges j → i entering i, 0 without one (GraphSAGE's max "
             "aggregator, PyG aggr='max'); not linear: reverse mode routes the adjoint to the arg-max edge, a tie "
             "sharing it equally", linear=False, backward="max_backward"),
    Operator("gcn_norm", "node", "node", "gcn_norm_T", r"\hat{\mathbf{A}}",
             "Â = D̃^{-1/2} Ã D̃^{-1/2}, Ã = A + I where a node has no self-loop (PyG gcn_norm), D̃ = diag(Ã 1)"),
    Operator("gcn_norm_T", "node", "node", "gcn_norm", r"\hat{\mathbf{A}}^{\top}", "Âᵀ"),
    Operator("cheb_lt", "node", "node", "cheb_lt_T", r"\tilde{\mathbf{L}}",
             "L̃ = (2/λ_max) L − I, L = I − D^{-1/2} A D^{-1/2} (PyG ChebConv, sym normalisation)"),
    Operator("cheb_lt_T", "node", "node", "cheb_lt", r"\tilde{\mathbf{L}}^{\top}", "L̃ᵀ"),
    Operator("walk_out", "node", "node", "walk_out_T", r"\mathbf{D}_{O}^{-1}\mathbf{W}",
             "D_O⁻¹ W with W = Aᵀ (W[i, j] the weight of the edge i → j) and D_O = diag(W 1): node i averages v over "
             "its out-neighbours, weighted (DCRNN's forward random walk, Li et al. 2018); zero rows stay zero"),
    Operator("walk_out_T", "node", "node", "walk_out", r"(\mathbf{D}_{O}^{-1}\mathbf{W})^{\top}", "(D_O⁻¹ W)ᵀ"),
    Operator("walk_in", "node", "node", "walk_in_T", r"\mathbf{D}_{I}^{-1}\mathbf{W}^{\top}",
             "D_I⁻¹ Wᵀ with D_I = diag(Wᵀ 1): node i averages v over its in-neighbours, weighted (DCRNN's backward "
             "random walk); zero rows stay zero"),
    Operator("walk_in_T", "node", "node", "walk_in", r"(\mathbf{D}_{I}^{-1}\mathbf{W}^{\top})^{\top}", "(D_I⁻¹ Wᵀ)ᵀ"),
    Operator("gather_pair_src", "node", "pair", "scatter_pair_src", r"\mathbf{Q}_{\mathrm{src}}",
             "Q_src: row p of Q_src v is v at the first node of the pair p = (u, v)"),
    Operator("gather_pair_dst", "node", "pair", "scatter_pair_dst", r"\mathbf{Q}_{\mathrm{dst}}",
             "Q_dst: row p of Q_dst v is v at the second node of the pair p"),
    Operator("scatter_pair_src", "pair", "node", "gather_pair_src", r"\mathbf{Q}_{\mathrm{src}}^{\top}",
             "Q_srcᵀ: node u sums the pairs it opens"),
    Operator("scatter_pair_dst", "pair", "node", "gather_pair_dst", r"\mathbf{Q}_{\mathrm{dst}}^{\top}",
             "Q_dstᵀ: node v sums the pairs it closes"),
    Operator("sum_nodes", "node", "graph", "spread_nodes", r"\mathbf{1}_{N}^{\top}", "1ᵀ: the sum over the nodes (a readout)"),
    Operator("spread_nodes", "graph", "node", "sum_nodes", r"\mathbf{1}_{N}", "1: the graph's row copied to every node"),
    Operator("mean_nodes", "node", "graph", "mean_nodes_T", r"\tfrac{1}{N}\mathbf{1}_{N}^{\top}",
             "(1/N) 1ᵀ: the mean over the nodes"),
    Operator("mean_nodes_T", "graph", "node", "mean_nodes", r"\tfrac{1}{N}\mathbf{1}_{N}", "(1/N) 1"),
    Operator("sum_pairs", "pair", "graph", "spread_pairs", r"\mathbf{1}_{P}^{\top}", "1ᵀ: the sum over the pairs"),
    Operator("spread_pairs", "graph", "pair", "sum_pairs", r"\mathbf{1}_{P}", "1: the graph's row copied to every pair"),
    Operator("sum_units", ANY, ANY, "", r"\mathbf{1}^{\top}",
             "1ᵀ v: the sum of a vector's units in every row (a dot product's last step); reverse mode copies the "
             "adjoint to every unit", linear=True),
    Operator("laplacian", "node", "node", "laplacian_T", r"\mathbf{L}",
             "L = I − D^{-1/2} A₀ D^{-1/2} (self-loops dropped; an isolated node has L_ii = 1), symmetric normalised"),
    Operator("laplacian_T", "node", "node", "laplacian", r"\mathbf{L}^{\top}", "Lᵀ (= L on an undirected graph)"),
    Operator("eig_T", "node", "spectrum", "eig", r"\mathbf{U}^{\top}",
             "Uᵀ: the coefficients of a node signal in the eigenbasis of L = U Λ Uᵀ (eigenvalues ascending; dense, "
             "O(N³)); not covariant when L has a repeated eigenvalue (its eigenbasis is then not unique)"),
    Operator("eig", "spectrum", "node", "eig_T", r"\mathbf{U}", "U: a signal back from the eigenbasis"),
    Operator("segmax_dst", "edge", "node", "", r"\max_{\mathrm{dst}}",
             "node i: the largest value over the edges entering it (0 without one); not linear and held constant "
             "in reverse mode: it is only ever a shift that a neighbourhood softmax does not depend on",
             linear=False),
)}
"""Every graph operator, by name (checked at import: adjoints pair up, spaces swap)."""


def _check_table():
    for op in OPERATORS.values():
        if op.source == ANY:  # sum_units: its adjoint spreads over the units, written by the generator itself
            continue
        if not op.linear:
            if op.adjoint:
                raise ImportError(f"operator table: {op.name!r} is not linear and cannot have an adjoint")
            continue
        adj = OPERATORS.get(op.adjoint)
        if adj is None or adj.adjoint != op.name or (adj.source, adj.target) != (op.target, op.source):
            raise ImportError(f"operator table: {op.name!r} and its adjoint {op.adjoint!r} do not pair up")
        if (op.source not in SPACES or op.target not in SPACES) and op.source != ANY:
            raise ImportError(f"operator table: {op.name!r} maps {op.source!r} to {op.target!r}, not spaces of {SPACES}")


_check_table()


def operator(name) -> Operator:
    """The table row of an operator; unknown names raise, listing the known ones.

    Examples
    --------
    >>> operator("gather_src").target, operator("gather_src").adjoint
    ('edge', 'scatter_src')
    """
    row = OPERATORS.get(str(name))
    if row is None:
        raise UnknownNameError(f"unknown graph operator {name!r}; known operators: {', '.join(OPERATORS)}")
    return row


class Apply(MatrixExpr):
    """``Op(v)``: the graph operator ``Op`` applied across the rows of the vector ``v``.

    It has the per-row shape of ``v`` (its units), so ``W @ Apply("gather_src", z)``
    is a linear term of per-edge vectors.

    Examples
    --------
    >>> z = sp.MatrixSymbol("z", 3, 1)
    >>> a = Apply("gather_src", z)
    >>> a.shape, a.operator, a.vector
    ((3, 1), 'gather_src', z)
    """

    is_commutative = False

    def __new__(cls, op, v):
        row = operator(op)
        if isinstance(v, sp.ZeroMatrix) and row.linear:  # a linear operator of zero is zero (after a substitution)
            return sp.ZeroMatrix(1, 1) if row.name == "sum_units" else sp.ZeroMatrix(*v.shape)
        if isinstance(v, sp.ZeroMatrix):  # segmax of a zero vector: zero at every node (0 without an edge too)
            return sp.ZeroMatrix(*v.shape)
        if not (isinstance(v, sp.MatrixSymbol) and v.shape[1] == 1):
            raise SpecError(f"{row.name}: an operator acts on a declared or defined vector, got {v!r}")
        return sp.Basic.__new__(cls, sp.Symbol(row.name), v)

    @property
    def operator(self) -> str:
        return self.args[0].name

    @property
    def vector(self) -> sp.MatrixSymbol:
        return self.args[1]

    @property
    def shape(self):
        return (1, 1) if self.args[0].name == "sum_units" else self.args[1].shape

    def _entry(self, i, j, **kwargs):
        raise SpecError(f"{self.operator}: acts across rows; it has no entries in the per-row face")

    def _eval_transpose(self):
        return None

    def _latex(self, printer, exp=None):
        return rf"{OPERATORS[self.operator].latex} {printer._print(self.vector)}"

    def _sympystr(self, printer):
        return f"{self.operator}({printer._print(self.vector)})"
