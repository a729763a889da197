"""A builder for graph layers: the :class:`~symrnn.spec.builder.CellBuilder` of node and edge vectors.

A graph layer is held as a :class:`~symrnn.spec.cell.Cell` whose vectors live
in the index spaces ``"node"`` and ``"edge"``: per-row linear maps (``W @ x``),
graph operators across rows (gather from the source or target of each edge,
sum over the edges entering a node, a normalised adjacency), and per-unit
pointwise stages.  Its outputs are states that are never read as previous
values, so everything derived for cells — LaTeX, parameter counts,
substitution, per-unit normal forms, the reference evaluator — applies as it
is; :func:`symrnn.graphs.compile_layer` generates its forward and backward
kernels.

Examples
--------
GraphSAGE with the mean aggregator and a root weight (Hamilton et al. 2017):

>>> import symrnn
>>> b = symrnn.GraphBuilder("sage", reference="Hamilton, Ying & Leskovec 2017, Inductive Representation Learning on Large Graphs")
>>> F, G = b.sizes("F G")
>>> x = b.node_input("x", F)
>>> m = b.propagate("mean_in", x)                       # the mean over in-neighbours
>>> h = b.output("h", b.param("W_l", G, F) @ m + b.param("W_r", G, F) @ x + b.param("b", G))
>>> sage = b.build()
>>> sage.parameter_count(), sage.space("h")
(2*F*G + G, 'node')
"""

from __future__ import annotations

import sympy as sp
from sympy.matrices.expressions import MatAdd, MatrixExpr

from ..errors import SpecError
from .builder import CellBuilder
from .linear import linear_terms
from .operators import ANY, Apply, operator
from .latex import name_latex
from .parse import as_sympy
from .symbols import Vec, check_name

__all__ = ["GraphBuilder"]


class GraphBuilder:
    """Declare node and edge vectors and parameters, then write the layer's equations.

    Parameters
    ----------
    name : str
        The layer's name (a plain identifier).
    family, reference, summary : str
        Catalogue metadata; cite the paper in ``reference``.
    **graph
        How the layer's operators read a graph, part of the model (the options of
        :class:`~symrnn.graphs.operators.GraphOperators`: ``edges="self_loops"``,
        ``add_self_loops=False``, ``lambda_max=…``, ``normalization=…``).
    """

    def __init__(self, name: str, *, family: str = "graph", reference: str = "", summary: str = "", **graph):
        self._b = CellBuilder(name, family=family, reference=reference, summary=summary)
        self.name = self._b.name
        self._outputs: list[str] = []
        from ..graphs.operators import check_options

        self._graph = check_options(graph)

    def sizes(self, names: str) -> tuple[sp.Symbol, ...]:
        """Declare size symbols (feature widths; the numbers of nodes and edges are not sizes)."""
        return self._b.sizes(names)

    def node_input(self, name: str, size, *, latex: str | None = None) -> Vec:
        """A per-node input (node features); returns its unit symbol."""
        return self._b.input(name, size, latex=latex, space="node")

    def edge_input(self, name: str, size, *, latex: str | None = None) -> Vec:
        """A per-edge input (edge features)."""
        return self._b.input(name, size, latex=latex, space="edge")

    def pair_input(self, name: str, size, *, latex: str | None = None) -> Vec:
        """A per-pair input: one row per node pair the layer scores (labels, weights of a decoder's loss)."""
        return self._b.input(name, size, latex=latex, space="pair")

    def graph_input(self, name: str, size, *, latex: str | None = None) -> Vec:
        """A per-graph input: one row for the whole graph."""
        return self._b.input(name, size, latex=latex, space="graph")

    def param(self, name: str, *shape, latex: str | None = None):
        """A parameter shared by every row: ``param("W", G, F)`` a matrix, ``param("b", G)`` a vector."""
        return self._b.param(name, *shape, latex=latex)

    def state(self, name: str, size, *, latex: str | None = None) -> Vec:
        """A per-node recurrent state (graph-recurrent cells such as GConvGRU); returns its previous value."""
        return self._b.state(name, size, latex=latex, space="node")

    def let(self, name: str, expr, *, latex: str | None = None) -> Vec:
        """Define an intermediate (pointwise or linear), as in :meth:`CellBuilder.let`."""
        return self._b.let(name, expr, latex=latex)

    def linear(self, expr, name: str | None = None, *, latex: str | None = None, inline: bool = True) -> Vec:
        """Name (or hold anonymously) an affine map of per-row vectors (``inline=False``: its own line in LaTeX)."""
        return self._b.linear(expr, name, latex=latex, inline=inline)

    def update(self, state: str, expr) -> Vec:
        """The new value of a declared state."""
        return self._b.update(state, expr)

    # ------------------------------------------------------------------ operators
    def apply(self, op: str, v, *, name: str | None = None, latex: str | None = None):
        """``Op(v)`` for a graph operator of :data:`~symrnn.spec.operators.OPERATORS`.

        ``v`` is a vector (its unit symbol), a linear expression ``Σ k P @ u``
        (the operator is applied to each vector; it commutes with ``P``), or a
        pointwise expression (held as an intermediate first).  Returns a
        matrix expression to use inside linear stages (``W @ b.gather(z)``; in a
        pointwise expression it becomes an anonymous linear stage), or, with
        ``name``, the unit symbol of a named linear stage.
        """
        row = operator(op)
        if not row.linear and (name is None or not isinstance(v, Vec)):
            raise SpecError(f"{row.name}: not linear, so it is a stage of its own: apply({row.name!r}, v, name=...) "
                            "with v a vector (its value is then used by later stages)")
        expr = self._applied(row.name, v)
        return expr if name is None else self._b.linear(expr, name, latex=latex)

    def gather(self, v, end: str = "src", **kw):
        """Per-edge: the value of ``v`` at each edge's source (``end="src"``) or target (``"dst"``)."""
        return self.apply(f"gather_{self._end(end)}", v, **kw)

    def scatter(self, e, end: str = "dst", **kw):
        """Per-node: the sum of ``e`` over the edges entering (``end="dst"``) or leaving (``"src"``) each node."""
        return self.apply(f"scatter_{self._end(end)}", e, **kw)

    def propagate(self, op: str, v, **kw):
        """A node-to-node operator (``"gcn_norm"``, ``"mean_in"``, ``"adjacency"``, ``"cheb_lt"`` …)."""
        row = operator(op)
        if (row.source, row.target) != ("node", "node"):
            raise SpecError(f"propagate: {op!r} maps {row.source} to {row.target}; use gather/scatter/apply")
        return self.apply(op, v, **kw)

    def chebyshev(self, v, K: int, *, name: str = "T", apply=None) -> list:
        """The Chebyshev basis T_0(L̃) v, …, T_{K−1}(L̃) v as named linear stages (ChebNet, GConvGRU).

        T_0 v = v, T_1 v = L̃ v, T_k v = 2 L̃ T_{k−1} v − T_{k−2} v (Defferrard et al. 2016);
        ``name`` prefixes the stages (``T1_x``, ``T2_x`` …), printed x̄_k as in the paper.  Returns their unit symbols
        (the first is ``v`` itself).  ``apply(u, k)`` gives L̃ u as a matrix expression when L̃ is not the
        ``cheb_lt`` operator (STGCN holds it by its entries along the edges); the recursion is this one.

        Examples
        --------
        >>> b = GraphBuilder("cheb3")
        >>> F, = b.sizes("F")
        >>> [t.name for t in b.chebyshev(b.node_input("x", F), 3)]
        ['x', 'T1_x', 'T2_x']
        """
        if isinstance(K, bool) or not isinstance(K, int) or K < 1:
            raise SpecError(f"chebyshev: K (the number of terms) must be an integer >= 1, got {K!r}")
        if not isinstance(v, Vec):
            raise SpecError(f"chebyshev: expected a vector (its unit symbol), got {v!r}")
        out = [v]
        for k in range(1, K):
            step = Apply("cheb_lt", out[-1].matrix) if apply is None else apply(out[-1], k)
            expr = step if k == 1 else 2 * step - out[-2].matrix
            head = (v.latex if hasattr(v, "latex") and v.latex else None) or name_latex(v.name)
            out.append(self._b.linear(expr, f"{name}{k}_{v.name}", latex=rf"\bar{{{head}}}_{{{k}}}", inline=False))
        return out

    def softmax(self, e, *, name: str, latex: str | None = None) -> Vec:
        """The softmax of per-edge scores over the edges entering each node: α = exp(e) / Σ_{edges into i} exp(e).

        Written as stages of the description: the shift m = max over the edges
        into i (``segmax_dst``, so that exp never overflows), ex = exp(e − m),
        the node sums of ``ex`` gathered back to the edges, and α = ex / sum.
        The shift cancels exactly (a common factor exp(−m_i) of numerator and
        denominator), which is why reverse mode may hold it constant.

        Examples
        --------
        >>> b = GraphBuilder("attention")
        >>> F, = b.sizes("F")
        >>> x = b.node_input("x", F)
        >>> s = b.linear(b.param("a", 1, F) @ b.gather(x, "src"), "s")
        >>> alpha = b.softmax(s, name="alpha")
        >>> alpha.size
        1
        """
        if not isinstance(e, Vec):
            raise SpecError(f"softmax: expected the unit symbol of a per-edge vector, got {e!r}")
        check_name(name, "softmax")
        shift = self._b.linear(Apply("gather_dst", self._b.linear(Apply("segmax_dst", e.matrix), f"{name}_max").matrix),
                               f"{name}_shift")
        ex = self._b.let(f"{name}_exp", sp.exp(e - shift))
        total = self._b.linear(Apply("gather_dst", self._b.linear(Apply("scatter_dst", ex.matrix), f"{name}_sum").matrix),
                               f"{name}_total")
        return self._b.let(name, ex / total, latex=latex)

    def output(self, name: str, expr, *, latex: str | None = None) -> Vec:
        """A per-node (or per-edge) output of the layer: a state that no equation reads as previous value."""
        check_name(name, "output")
        if not isinstance(expr, MatrixExpr):  # matrix sub-expressions become anonymous linear stages first
            expr = self._b._lift(as_sympy(expr, argument=f"output {name!r}"), name)
        size = self._b._size_of(expr, name)
        if isinstance(expr, MatrixExpr):
            names = {m.name for m in expr.atoms(sp.MatrixSymbol)} | {a.vector.name for a in expr.atoms(Apply)}
            names |= {"@" + a.operator for a in expr.atoms(Apply) if operator(a.operator).target != ANY}
        else:
            names = {u.name for u in expr.free_symbols}
        self._b.state(name, size, latex=latex, space=self._infer(names))
        self._outputs.append(name)
        return self._b.update(name, expr)

    def build(self, *, output: str | None = None):
        """Validate and return the layer (a :class:`~symrnn.spec.cell.Cell` over index spaces)."""
        if not self._outputs and not self._b._states:
            raise SpecError(f"graph layer {self.name!r} has no output; declare one with output(name, expr) "
                            "(or a recurrent state with state(...) and update(...))")
        first = self._outputs[0] if self._outputs else self._b._states[0].name
        return self._b.build(output=output or first, graph=self._graph)

    # ------------------------------------------------------------------ helpers
    @staticmethod
    def _end(end):
        if end not in ("src", "dst"):
            raise SpecError(f"end must be 'src' or 'dst', got {end!r}")
        return end

    def _applied(self, op, v):
        if isinstance(v, Vec):
            return Apply(op, v.matrix)
        if isinstance(v, MatrixExpr):
            symbols = {m.name: m for m in v.atoms(sp.MatrixSymbol)}
            parts = []
            for t in linear_terms(v.doit() if isinstance(v, MatAdd) else v, f"{op}(...)"):
                if t.operator is not None:
                    raise SpecError(f"{op}: compose operators through a named stage, got {t.operator}({t.vector})")
                term = Apply(op, symbols[t.vector])
                parts.append(t.coeff * (symbols[t.matrix] @ term if t.matrix else term))
            return MatAdd(*parts).doit() if len(parts) > 1 else parts[0]
        return Apply(op, self._b.let(self._fresh(), v).matrix)

    def _fresh(self) -> str:
        k = 1
        while f"v{k}" in self._b._names:
            k += 1
        return f"v{k}"

    def _infer(self, names) -> str:
        """The space of the vectors ``names`` read (the layer's own check runs again when it is built)."""
        spaces = {d.name: d.space for d in self._b._inputs + self._b._states}
        params = {d.name for d in self._b._params}
        for eq in self._b._equations:
            if eq.is_linear:
                found = {operator(t.operator).target if t.operator and operator(t.operator).target != ANY
                         else (None if t.vector in params else spaces.get(t.vector)) for t in linear_terms(eq.expr)}
            else:
                found = {spaces.get(u.name) for u in eq.expr.free_symbols if u.name not in params}
            found.discard(None)
            spaces[eq.target] = found.pop() if len(found) == 1 else None
        ops = [operator(n[1:]).target for n in sorted(names) if n.startswith("@")]
        probe = ops + [spaces.get(n) for n in sorted(names) if spaces.get(n) is not None]
        return probe[0] if probe else "node"
