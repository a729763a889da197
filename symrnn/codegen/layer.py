"""Generate the forward and backward pass of one step of a graph description (a graph layer).

A graph layer (:class:`~symrnn.spec.graph_builder.GraphBuilder`) is a cell
over index spaces: every vector is a (rows, units) array whose rows are the
nodes or the edges of the graph.  The generated code runs the equations in
order, once:

* a linear stage ``a = Σ k · P @ Op(v) + b`` is one product per term with
  the operator applied by the graph's :class:`~symrnn.graphs.operators.GraphOperators`
  (``_O.apply``); terms under one operator share a single application, and
  ``P`` is applied before the operator when it narrows the rows' width
  (``Op(v Pᵀ)``), after it otherwise (``Op(v) Pᵀ``) — the two are equal, the
  cheaper one is chosen at generation time;
* a pointwise stage is its per-unit SymPy expression printed as NumPy code
  (:mod:`symrnn.codegen.printer`).

Reverse mode reads the same description backwards, with the fixed rules of
:mod:`symrnn.spec.partials`: a pointwise stage hands ``ȳ · ∂y/∂u`` to each
``u`` (partials written through forward values); a linear stage hands
``k · Opᵀ(ā) @ P`` to ``v`` and ``k · Opᵀ(ā)ᵀ v`` to ``P`` (``Opᵀ`` is the
operator's adjoint in the table, applied once per operator), and the column
sum of ``Opᵀ(ā)`` to a bias; a size-1 vector broadcast over a stage's units
(an attention coefficient times a message) gets the sum over the units; the
one non-linear operator (``segmax_dst``, a softmax's shift) passes nothing back.  Previous states are inputs of the step, so a
graph-recurrent cell (GConvGRU) runs this step T times and its backward
step by step.  Every identifier of the generated source carries a leading
underscore (:mod:`symrnn.codegen.naming`).
"""

from __future__ import annotations

from collections import OrderedDict

import sympy as sp

from ..spec.cell import PREV
from ..spec.operators import OPERATORS
from ..spec.partials import pointwise_partials
from .forward import Writer
from .printer import _num, to_source

__all__ = ["layer_forward_source", "layer_backward_source"]


def _val(name: str) -> str:
    return f"_v_{name}"


def _coef(k) -> str:
    return "" if k == 1 else f"{_num(sp.sympify(k))} * "


def _roles(cell):
    return {n: r for n, (r, _) in cell.declared.items()}


def _rows(cell, name) -> str:
    space = cell.space(name)
    return f"_O.rows({space!r})" if space is not None else "_B"


def _narrows(shapes, matrix) -> bool:
    rows, cols = shapes[matrix]
    return rows <= cols


def _groups(cell, target, shapes):
    """Terms of a linear stage grouped by operator: ``[(op, before, after, bias)]``.

    ``before`` are the matrix terms applied before the operator (their sum goes
    through one application), ``after`` the terms applied after it, ``bias`` the
    bare parameter vectors (no operator).
    """
    roles = _roles(cell)
    groups: OrderedDict = OrderedDict()
    bias = []
    for t in cell.terms(target):
        if t.matrix is None and roles[t.vector] == "param":
            bias.append(t)
            continue
        g = groups.setdefault(t.operator, ([], []))
        if t.operator is not None and t.matrix is not None and not _narrows(shapes, t.matrix):
            g[1].append(t)
        else:
            g[0].append(t)
    return [(op, before, after) for op, (before, after) in groups.items()], bias


def _product(t) -> str:
    return f"{_coef(t.coeff)}({_val(t.vector)} @ _p_{t.matrix}.T)" if t.matrix else f"{_coef(t.coeff)}{_val(t.vector)}"


def layer_forward_source(cell, shapes: dict, n: dict) -> str:
    """Source of ``_forward(_O, _params, _xs, _init)`` → dict of every value of the step.

    ``shapes``: parameter name → concrete shape; ``n``: vector name → length.
    """
    w = Writer()
    roles = _roles(cell)
    w("def _forward(_O, _params, _xs, _init):")
    with w.block():
        w(f'"""One step of {cell.name!r}, generated from its description (values by name)."""')
        for p in shapes:
            w(f"_p_{p} = _params[{p!r}]")
        for d in cell.inputs:
            w(f"{_val(d.name)} = _xs[{d.name!r}]")
        for d in cell.states:
            w(f"{_val(d.name + PREV)} = _init[{d.name!r}]")
        first = cell.inputs[0].name if cell.inputs else cell.states[0].name + PREV
        w(f"_B = {_val(first)}.shape[0]")
        for eq in cell.equations:
            target = _val(eq.target)
            if eq.is_linear:
                groups, bias = _groups(cell, eq.target, shapes)
                parts = []
                for op, before, after in groups:
                    if before:
                        inner = " + ".join(_product(t) for t in before)
                        parts.append(f"_O.apply({op!r}, {inner})" if op else inner)
                    for t in after:
                        parts.append(f"{_coef(t.coeff)}(_O.apply({op!r}, {_val(t.vector)}) @ _p_{t.matrix}.T)")
                parts += [f"{_coef(t.coeff)}_p_{t.vector}" for t in bias]
                if not groups:  # a bias alone: broadcast over the rows
                    parts[0] = f"_np.broadcast_to({parts[0]}, ({_rows(cell, eq.target)}, {n[eq.target]}))"
                src = " + ".join(parts)
                w(f"{target} = {src}" if groups else f"{target} = ({src}).copy()")
            else:
                names = {u.name: (_val(u.name) if roles[u.name] != "param" else f"_p_{u.name}") for u in eq.expr.free_symbols}
                src = to_source(eq.expr, names)
                if not any(roles[u.name] != "param" for u in eq.expr.free_symbols):  # constant per row
                    src = f"_np.broadcast_to({src}, ({_rows(cell, eq.target)}, {n[eq.target]})).copy()"
                w(f"{target} = {src}")
        keep = [d.name for d in cell.inputs] + [d.name + PREV for d in cell.states] + [eq.target for eq in cell.equations]
        w("return {" + ", ".join(f"{k!r}: {_val(k)}" for k in keep) + "}")
    return w.text()


class _Adj:
    """Adjoint variables: the first contribution assigns, later ones add."""

    def __init__(self, w):
        self.w, self.started = w, set()

    def add(self, name, src):
        if name in self.started:
            self.w(f"_g_{name} = _g_{name} + {src}")
        else:
            self.w(f"_g_{name} = {src}")
            self.started.add(name)


def layer_backward_source(cell, shapes: dict, n: dict) -> str:
    """Source of ``_backward(_O, _params, _tape, _dout)`` → gradients of every parameter, input and previous state.

    ``_dout`` maps output (state) names to the adjoint of their value; missing ones are zero.
    """
    w = Writer()
    roles = _roles(cell)
    w("def _backward(_O, _params, _tape, _dout):")
    with w.block():
        w(f'"""Reverse mode through one step of {cell.name!r}, from its partials and the operators\' adjoints."""')
        for p in shapes:
            w(f"_p_{p} = _params[{p!r}]")
        needed = {d.name for d in cell.inputs} | {d.name + PREV for d in cell.states}
        for eq in cell.equations:
            needed |= set(eq.dependencies())
        for name in sorted(needed | {eq.target for eq in cell.equations}):
            if roles.get(name) != "param":
                w(f"{_val(name)} = _tape[{name!r}]")
        w("_grads = {" + ", ".join(f"{p!r}: _np.zeros_like(_p_{p})" for p in shapes) + "}")
        adj = _Adj(w)
        for d in cell.states:
            w(f"if {d.name!r} in _dout:")
            with w.block():
                w(f"_g_{d.name} = _dout[{d.name!r}]")
            w("else:")
            with w.block():
                w(f"_g_{d.name} = _np.zeros_like({_val(d.name)})")
            adj.started.add(d.name)
        for k, eq in enumerate(reversed(cell.equations)):
            if eq.target not in adj.started:
                continue  # nothing reads it: no adjoint flows
            g = f"_g_{eq.target}"
            if eq.is_linear:
                groups, bias = _groups(cell, eq.target, shapes)
                for j, (op, before, after) in enumerate(groups):
                    if op is not None and not OPERATORS[op].linear:
                        continue  # a shift held constant (segmax): nothing flows back through it
                    G = g
                    if op is not None:
                        G = f"_Y_{eq.target}_{j}"
                        w(f"{G} = _O.adjoint({op!r}, {g})")
                    for t in before + after:
                        c = _coef(t.coeff)
                        if t.matrix:
                            w(f"_grads[{t.matrix!r}] += {c}({G}.T @ {_val(t.vector)})")
                            adj.add(t.vector, f"{c}({G} @ _p_{t.matrix})")
                        else:
                            adj.add(t.vector, f"{c}{G}" if c else G)
                for t in bias:
                    w(f"_grads[{t.vector!r}] += {_coef(t.coeff)}{g}.sum(axis=0)")
            else:
                parts = pointwise_partials(cell, eq.target)
                names = {u: (_val(u) if roles.get(u) != "param" else f"_p_{u}") for u in cell.declared}
                for u, d in parts.items():
                    if d == 0:
                        continue
                    term = f"{g} * ({to_source(d, names)})" if d != 1 else g
                    if n.get(u, n[eq.target]) == 1 and n[eq.target] != 1:  # a size-1 vector broadcast over the units
                        term = f"({term}).sum(axis=1, keepdims=True)"
                    if roles[u] == "param":
                        w(f"_grads[{u!r}] += ({term}).sum(axis=0)")
                    else:
                        adj.add(u, term)
        for d in cell.inputs:
            w(f"_grads[{d.name!r}] = _g_{d.name}" if d.name in adj.started else
              f"_grads[{d.name!r}] = _np.zeros_like({_val(d.name)})")
        for d in cell.states:
            p = d.name + PREV
            w(f"_grads[{p!r}] = _g_{p}" if p in adj.started else f"_grads[{p!r}] = _np.zeros_like({_val(p)})")
        w("return _grads")
    return w.text()
