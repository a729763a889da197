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

Reverse mode is the one reverse-mode generator's (:class:`~symrnn.codegen.reverse.Sweep`,
shared with the RNN and tree kernels), with the graph's operators: it reads
the same description backwards, with the fixed rules of :mod:`symrnn.spec.partials`: a pointwise stage hands ``ȳ · ∂y/∂u`` to each
``u`` (partials written through forward values); a linear stage hands
``k · Opᵀ(ā) @ P`` to ``v`` and ``k · Opᵀ(ā)ᵀ v`` to ``P`` (``Opᵀ`` is the
operator's adjoint in the table, applied once per operator), and the column
sum of ``Opᵀ(ā)`` to a bias; a size-1 vector broadcast over a stage's units
(an attention coefficient times a message) gets the sum over the units; the
non-linear ``segmax_dst`` (a softmax's shift) passes nothing back, and ``m = max_in(v)`` hands ``m̄`` to
the arg-max in-edges by its operator's rule (``_O.max_backward``).  Previous states are inputs of the step, so a
graph-recurrent cell (GConvGRU) runs this step T times and its backward
step by step.  Every identifier of the generated source carries a leading
underscore (:mod:`symrnn.codegen.naming`).
"""

from __future__ import annotations

from collections import OrderedDict

from ..spec.cell import PREV
from .forward import Writer
from ..spec.operators import OPERATORS
from .layer_stages import (_consumers, _fusions, _last_uses, _projections, _roles, _softmaxes, _useful, owned,
                           routed, sign_only, tape_keys)
from .printer import emit_into, to_source
from .reverse import Sweep, coefficient

__all__ = ["layer_forward_source", "layer_backward_source"]


def _val(name: str) -> str:
    return f"_v_{name}"


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
    return f"{coefficient(t.coeff)}({_val(t.vector)} @ _p_{t.matrix}.T)" if t.matrix else f"{coefficient(t.coeff)}{_val(t.vector)}"


def layer_forward_source(cell, shapes: dict, n: dict, *, inplace: bool = True) -> str:
    """Source of ``_forward(_O, _params, _xs, _init)`` → dict of every value of the step.

    ``shapes``: parameter name → concrete shape; ``n``: vector name → length.  With ``inplace``,
    a pointwise stage writes its result into the memory of an operand it reads for the last time
    (one the step owns, :func:`~symrnn.codegen.layer_stages.owned`): at 10⁵ nodes each new
    (N, 64) float64 array costs its page faults, and GGNN's forward makes a third fewer of them.
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
        fused, soft = _fusions(cell), _softmaxes(cell)
        skipped = {name for f in fused.values() for name in f[5:]} | {n for _, inner in soft.values() for n in inner}
        projected = {t: (v, rows) for v, rows in _projections(cell, shapes).items() for t, *_ in rows}
        keep = tape_keys(cell, shapes) | set(cell.state_names)
        frees: dict = {}
        mine = owned(cell, shapes) if inplace else set()
        for name, at in _last_uses(cell, skipped).items():
            if name not in keep and roles.get(name) in ("intermediate", "input", "previous") and \
                    not any(name == p for p, _ in projected.values()):
                frees.setdefault(at, []).append(name)
        done = set()
        for eq in cell.equations:
            target = _val(eq.target)
            if eq.target in skipped:
                continue
            if eq.target in projected:
                v, rows = projected[eq.target]
                if v not in done:  # the first stage of the group computes every member
                    stack = ", ".join(f"_p_{m}" for _, m, _, _ in rows)
                    w(f"_Y_proj_{v} = {_val(v)} @ _np.concatenate([{stack}]).T")
                    for t, _, lo, hi in rows:
                        w(f"{_val(t)} = _Y_proj_{v}[:, {lo}:{hi}]")
                    done.add(v)
                continue
            if eq.target in fused:
                k, scatter, gather, alpha, z, _, _ = fused[eq.target]
                w(f"{target} = {coefficient(k)}_O.weighted({scatter!r}, {gather!r}, {_val(alpha)}, {_val(z)})")
                continue
            if eq.target in soft:
                e = soft[eq.target][0]
                w(f"{target} = _O.softmax({_val(e)})")
                if e not in keep and roles.get(e) == "intermediate" and _consumers(cell).get(e) == [soft[eq.target][1][0]]:
                    w(f"del {_val(e)}")
                continue
            if eq.is_linear:
                groups, bias = _groups(cell, eq.target, shapes)
                parts = []
                for op, before, after in groups:
                    if before:
                        inner = " + ".join(_product(t) for t in before)
                        parts.append(f"_O.apply({op!r}, {inner})" if op else inner)
                    for t in after:
                        parts.append(f"{coefficient(t.coeff)}(_O.apply({op!r}, {_val(t.vector)}) @ _p_{t.matrix}.T)")
                parts += [f"{coefficient(t.coeff)}_p_{t.vector}" for t in bias]
                if not groups:  # a bias alone: broadcast over the rows
                    parts[0] = f"_np.broadcast_to({parts[0]}, ({_rows(cell, eq.target)}, {n[eq.target]}))"
                src = " + ".join(parts)
                w(f"{target} = {src}" if groups else f"{target} = ({src}).copy()")
            else:
                names = {u.name: (_val(u.name) if roles[u.name] != "param" else f"_p_{u.name}") for u in eq.expr.free_symbols}
                src = to_source(eq.expr, names)
                spare = [u.name for u in sorted(eq.expr.free_symbols, key=lambda u: u.name)
                         if u.name in mine and u.name in frees.get(eq.target, ()) and
                         cell.space(u.name) == cell.space(eq.target) and n[u.name] == n[eq.target]]
                if not any(roles[u.name] != "param" for u in eq.expr.free_symbols):  # constant per row
                    src = f"_np.broadcast_to({src}, ({_rows(cell, eq.target)}, {n[eq.target]})).copy()"
                    w(f"{target} = {src}")
                elif spare:  # an operand read for the last time: the result goes into its memory
                    w(*emit_into(eq.expr, _val(spare[0]), names, alias=spare[0]), f"{target} = {_val(spare[0])}")
                else:
                    w(f"{target} = {src}")
            for name in frees.get(eq.target, ()):  # no later stage and no backward reads it: free it now
                if name in (d.name for d in cell.inputs) or name.endswith(PREV):
                    continue  # the caller's arrays stay the caller's
                w(f"del {_val(name)}")
        kept = [d.name for d in cell.inputs] + [d.name + PREV for d in cell.states] + \
            [eq.target for eq in cell.equations if eq.target not in skipped and eq.target in keep]
        signs = sign_only(cell, shapes)
        w("return {" + ", ".join(f"{k!r}: {_val(k)} > 0" if k in signs else f"{k!r}: {_val(k)}" for k in kept) + "}")
    return w.text()


class _LayerSweep(Sweep):
    """Reverse mode through one step of a graph layer: the graph's operators, fused message passing and softmaxes."""

    def __init__(self, cell, w, shapes, n, without=frozenset()):
        roles = _roles(cell)
        names = {u: (_val(u) if roles.get(u) != "param" else f"_p_{u}") for u in cell.declared}
        super().__init__(cell, w, names, n)
        self.fused, self.soft = _fusions(cell), _softmaxes(cell)
        self.skipped = {name for f in self.fused.values() for name in f[5:]} | \
            {name for _, inner in self.soft.values() for name in inner}
        self.useful = _useful(cell, without)
        groups = _projections(cell, shapes)
        self.projected = {t: (v, rows) for v, rows in groups.items() for t, *_ in rows}
        self.first = {v: rows[0][0] for v, rows in groups.items()}
        self.temps = []

    def wanted(self, u):
        return u in self.useful

    def special(self, t):
        w, adj = self.w, self.adj
        if t in self.projected:
            v, rows = self.projected[t]
            if t == self.first[v] and any(r in adj.started for r, *_ in rows):
                # the group is handled once, at its first stage (every member's adjoint is complete)
                parts = ", ".join(f"_g_{r}" if r in adj.started else f"_np.zeros_like({_val(r)})" for r, *_ in rows)
                w(f"_Y_gproj_{v} = _np.concatenate([{parts}], axis=1)")
                w(f"_Y_dproj_{v} = _Y_gproj_{v}.T @ {_val(v)}")
                for _, m, lo, hi in rows:
                    w(f"_grads[{m!r}] += _Y_dproj_{v}[{lo}:{hi}]")
                if v in self.useful:
                    stack = ", ".join(f"_p_{m}" for _, m, _, _ in rows)
                    adj.add_source(v, f"_Y_gproj_{v} @ _np.concatenate([{stack}])", fresh=True)
            return True
        if t in self.skipped or t not in adj.started:
            return t in self.skipped
        g = adj.ref(t)
        if t in self.soft:
            e = self.soft[t][0]
            if e in self.useful:
                adj.add_source(e, f"_O.softmax_backward({_val(t)}, {g})", fresh=True)
        elif t in self.fused:
            k, scatter, gather, alpha, z, _, _ = self.fused[t]
            c = coefficient(k)
            if z in self.useful:
                adj.add_source(z, f"{c}_O.weighted({scatter!r}, {gather!r}, {_val(alpha)}, {g}, transpose=True)",
                               fresh=True)
            if alpha in self.useful:
                adj.add_source(alpha, f"{c}_O.edge_dot({scatter!r}, {g}, {gather!r}, {_val(z)})", fresh=True)
        elif routed(self.cell, t) is not None:  # m = max_in(v): the operator's own rule routes m̄ to v
            v, op = routed(self.cell, t), self.cell.terms(t)[0].operator
            if v in self.useful:
                adj.add_source(v, f"_O.{OPERATORS[op].backward}({op!r}, {_val(v)}, {_val(t)}, {g})", fresh=True)
        else:
            return False
        self.done(t)
        return True

    def operator_adjoint(self, op, g, target, j):
        if op is None or op == "sum_units":
            return g
        G = f"_Y_{target}_{j}"
        self.w(f"{G} = _O.adjoint({op!r}, {g})")
        self.temps.append(G)
        return G

    def term_adjoint(self, term, G, g):
        if term.operator == "sum_units":  # 1ᵀ v: every unit of v receives the row's adjoint
            return f"_np.broadcast_to({g}, ({g}.shape[0], {self.n[term.vector]}))"
        return G

    def factors(self, temps, terms):
        self.temps += [sym.name for sym, _ in temps]
        return super().factors(temps, terms)

    def done(self, target):
        if target not in self.cell.state_names:  # its consumers are all done: free the adjoint
            self.w(f"del _g_{target}")
        if self.temps:
            self.w("del " + ", ".join(self.temps))
            self.temps = []


def layer_backward_source(cell, shapes: dict, n: dict, without=frozenset()) -> str:
    """Source of ``_backward(_O, _params, _tape, _dout)`` → gradients of every parameter, input and previous state.

    ``_dout`` maps output (state) names to the adjoint of their value; missing ones are zero.
    The sweep is :class:`symrnn.codegen.reverse.Sweep`'s, with the graph's operators.
    Inputs and previous states named in ``without`` get no gradient: no key in the result, and
    no statement computes an adjoint that only they would read (GGNN's edge weights cost two
    per-edge dot products per step).
    """
    w = Writer()
    roles = _roles(cell)
    w("def _backward(_O, _params, _tape, _dout):")
    with w.block():
        w(f'"""Reverse mode through one step of {cell.name!r}, from its partials and the operators\' adjoints."""')
        for p in shapes:
            w(f"_p_{p} = _params[{p!r}]")
        sweep = _LayerSweep(cell, w, shapes, n, without)
        needed = {d.name for d in cell.inputs} | {d.name + PREV for d in cell.states}
        for eq in cell.equations:
            needed |= set(eq.dependencies())
        available = tape_keys(cell, shapes) | set(cell.state_names) | {d.name for d in cell.inputs} | \
            {d.name + PREV for d in cell.states}
        for name in sorted((needed | {eq.target for eq in cell.equations}) & available - sweep.skipped):
            if roles.get(name) != "param":
                w(f"{_val(name)} = _tape[{name!r}]")
        w("_grads = {" + ", ".join(f"{p!r}: _np.zeros_like(_p_{p})" for p in shapes) + "}")
        adj = sweep.adj
        for d in cell.states:
            w(f"_g_{d.name} = _dout[{d.name!r}] if {d.name!r} in _dout else _np.zeros_like({_val(d.name)})")
            adj.var(d.name)
            adj.started[d.name] = "alias"
        for eq in cell.equations:
            if eq.target not in adj.loc:
                adj.var(eq.target)
        for name in [d.name for d in cell.inputs] + [d.name + PREV for d in cell.states]:
            adj.var(name)
        sweep.run()
        for name in [d.name for d in cell.inputs] + [d.name + PREV for d in cell.states]:
            if name not in without:
                w(f"_grads[{name!r}] = _g_{name}" if name in adj.started else
                  f"_grads[{name!r}] = _np.zeros_like({_val(name)})")
        w("return _grads")
    return w.text()
