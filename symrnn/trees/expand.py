"""A tree model's node with exactly K children, as one plain :class:`symrnn.Cell`.

The gathers of a :class:`~symrnn.trees.models.TreeModel` are substituted
mechanically: a ``sum`` becomes the sum over the K children, a ``slot`` the
child in that slot or zero, and the edge cell is copied once per child.  With
one child read as the previous state this is the chain cell of the
degenerate case (:func:`one_child`), which the theorems compare with the
chain RNN / LSTM.

References
----------
Tai, Socher & Manning (2015), ACL; Socher et al. (2011), ICML.
"""

from __future__ import annotations

import sympy as sp
from sympy.matrices.expressions import MatrixSymbol

from ..errors import SpecError
from ..spec.cell import PREV, Cell, Decl, Equation
from ..spec.linear import LinearTerm, linear_terms, rebuild_linear
from ..spec.symbols import Vec
from .models import TreeModel

__all__ = ["expand", "one_child"]


def _shapes(*cells) -> dict:
    out = {}
    for c in cells:
        for n, (role, d) in c.declared.items():
            out.setdefault(n, d.shape)
    return out


def _rewrite(eq: Equation, target: str, repl: dict, shapes: dict, anonymous=None) -> Equation:
    """``eq`` with each vector name replaced by a sum of names (``[]`` = zero)."""
    if eq.is_linear:
        terms = []
        for t in linear_terms(eq.expr):
            for v in repl.get(t.vector, [t.vector]):
                terms.append(LinearTerm(t.coeff, t.matrix, v))
        mats = {}
        for t in terms:
            s = shapes[t.vector]
            mats[t.vector] = MatrixSymbol(t.vector, s[0], 1)
            if t.matrix:
                mats[t.matrix] = MatrixSymbol(t.matrix, *shapes[t.matrix])
        expr = rebuild_linear(terms, mats, eq.size)
    else:
        sub = {}
        for s in eq.expr.free_symbols:
            if s.name in repl:
                sub[s] = sp.Add(*(Vec(n, s.size) for n in repl[s.name]))
        expr = eq.expr.xreplace(sub)
    return Equation(target, expr, eq.size, eq.anonymous if anonymous is None else anonymous, eq.latex)


def expand(m: TreeModel, children: int, *, chain: bool = False, name: str | None = None,
           _tree_latex: bool = False) -> Cell:
    """The node of ``m`` with exactly ``children`` children, as one plain :class:`Cell`.

    Child ``j`` (1-based, in slot order) has states ``h_j``, ``c_j`` (inputs of
    the cell); a ``sum`` gather becomes the sum over the children, a ``slot``
    gather the child in that slot or zero; the edge cell is copied once per
    child.  With ``chain=True`` (one child) the child's states are read as the
    cell's previous states ``h_prev``, ``c_prev``: the chain cell.

    Examples
    --------
    >>> from symrnn.trees import child_sum_tree_lstm, nary_tree_lstm
    >>> cell = expand(child_sum_tree_lstm(), 1, chain=True)
    >>> sorted(n for n, (r, _) in cell.declared.items() if r in ("input", "previous"))
    ['c_prev', 'h_prev', 'x']
    >>> expand(nary_tree_lstm(2), 1).declared["h_1"][0]
    'input'
    """
    if isinstance(children, bool) or not isinstance(children, int) or children < 0:
        raise SpecError(f"expand: children must be an integer >= 0, got {children!r}")
    if chain and children != 1:
        raise SpecError(f"expand: chain=True needs exactly one child, got children={children}")
    if m.arity is not None and children > m.arity:
        raise SpecError(f"expand: {m.name!r} takes at most {m.arity} children, got {children}")
    shapes = _shapes(*m.cells)
    H = shapes["h"][0]
    child_state = {s: (lambda j, s=s: f"{s}{PREV}" if chain else f"{s}_{j}") for s in m.states}
    extra_inputs, equations = [], []
    edge_value = {}
    for j in range(1, children + 1):
        for s in m.states:
            n = child_state[s](j)
            shapes[n] = (H,)
            if not chain:
                extra_inputs.append(Decl(n, (H,), rf"\mathbf{{{s}}}_{{j{j}}}"))
        if m.edge is not None:
            suffix = "" if chain else f"_{j}"
            repl = {f"{s}_k": [child_state[s](j)] for s in m.states if f"{s}_k" in m.edge.declared}
            for eq in m.edge.equations:
                repl[eq.target] = [eq.target + suffix]
            for eq in m.edge.equations:
                shapes[eq.target + suffix] = (eq.size,)
                eq = Equation(eq.target, eq.expr, eq.size, eq.anonymous, None if chain and not _tree_latex else eq.latex)
                equations.append(_rewrite(eq, eq.target + suffix, repl, shapes))
            edge_value[j] = {eq.target: eq.target + suffix for eq in m.edge.equations}
    repl = {}
    for g in m.gathers:
        def value(j, g=g):
            return edge_value[j][g.source] if g.edge else child_state[g.source](j)
        if g.op == "sum":
            repl[g.target] = [value(j) for j in range(1, children + 1)]
        else:
            repl[g.target] = [value(g.slot + 1)] if g.slot < children else []
    for eq in m.node.equations:
        equations.append(_rewrite(eq, eq.target, repl, shapes))
    gathered = {g.target for g in m.gathers}
    inputs = [d for d in m.node.inputs if d.name not in gathered] + extra_inputs
    return _assemble(name or f"{m.name}_{'chain' if chain else f'{children}_children'}", m, inputs, equations)


def _assemble(name, m, inputs, equations) -> Cell:
    """A Cell from the equations that the states need, with the declarations they use."""
    by_target = {eq.target: eq for eq in equations}
    keep, stack = set(), list(m.states)
    while stack:
        t = stack.pop()
        if t in keep or t not in by_target:
            continue
        keep.add(t)
        stack.extend(by_target[t].dependencies())
    eqs = tuple(eq for eq in equations if eq.target in keep)
    used = set().union(*(eq.dependencies() for eq in eqs))
    params = tuple(p for p in m.params if p.name in used)
    inputs = tuple(d for d in inputs if d.name in used or d.name == "x")
    return Cell(name, m.node.sizes, inputs, m.node.states, params, eqs, output=m.output, family=m.node.family,
                reference=m.reference, summary=f"{m.summary}: node with its children substituted")


def one_child(m: TreeModel, *, name: str | None = None) -> Cell:
    """The chain cell: ``m`` at a node with exactly one child, the child read as the previous state.

    For a Child-Sum model the sum over one child is that child; for an N-ary
    model the child sits in slot 0 and the other slots are zero.

    Examples
    --------
    >>> from symrnn.trees import child_sum_recursive_nn
    >>> print(one_child(child_sum_recursive_nn()).latex())
    \\begin{aligned}
    \\mathbf{h}_{t} &= \\tanh\\left(\\mathbf{W} \\mathbf{x}_{t} + \\mathbf{U} \\mathbf{h}_{t-1} + \\mathbf{b}\\right)
    \\end{aligned}
    """
    return expand(m, 1, chain=True, name=name)
