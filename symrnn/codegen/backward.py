"""Generate the backward pass (reverse mode through time) from a :class:`Plan`.

Per step, the one reverse-mode generator (:class:`symrnn.codegen.reverse.Sweep`,
shared with the graph and tree kernels) reads the equations backwards and
accumulates the adjoint of every value from its consumers: a pointwise stage ``y = f(u…)`` adds
``ȳ · ∂y/∂u`` with the partials of
:func:`~symrnn.spec.partials.pointwise_partials` (written through forward
values, so σ' = y(1 − y) reads the stored gate); a linear stage hands
``ā @ P`` to the vectors it reads.  The adjoints of all pre-activations are
written into one buffer ``_dA`` (T, B, NL) in the plan's slot layout, so that

* activation groups are one call per group (``_dA = _dY · F'(y)``),
* the recurrent adjoint is one GEMM per previous-state vector and step,
* after the loop, every stacked matrix gets its gradient in one GEMM over all
  T·B rows (dW = _dAᵀ X), the inputs theirs in one GEMM (dX = _dA W) and the
  biases a column sum.

Adjoints are ``_g_<name>`` (a value) and ``_d_<name>`` (a slot's view of
``_dA``): like every identifier of the generated code they carry a leading
underscore, so no user name reaches them (:mod:`symrnn.codegen.naming`).
"""

from __future__ import annotations

import sympy as sp

from ..spec.symbols import FUNCTIONS
from .forward import Writer, cols, param_lines, prune, source_stacks, step_bindings, value_names
from .plan import Plan, prev_name
from .printer import to_source
from .reverse import Sweep

__all__ = ["backward_source"]


def _derivative_through_output(fname):
    y, a = sp.Symbol("y"), sp.Symbol("a")
    row = next(r for r in FUNCTIONS.values() if r.name == fname)
    return sp.Heaviside(y, 0) if fname == "relu" else row.derivative(y, a)


def backward_source(plan: Plan, fname: str = "_backward") -> str:
    """Python source of the backward function (see the module docstring)."""
    cell = plan.cell
    names = value_names(plan)
    w = Writer()
    inputs = [d.name for d in cell.inputs]
    has_p = any(plan.storage.get(n, ("",))[0] == "slot" for n in plan.needed)
    w(f"def {fname}(_tape, _params, _dout, _dfinal, _mask):")
    with w.block():
        w(f'"""Backward pass of cell {cell.name!r}, generated from its description and its partials.', "")
        w("Parameters", "----------", "_tape : dict", "    as returned by the forward pass.", "_params : dict",
          "    " + ", ".join(f"{p}: {s}" for p, s in plan.shapes.items()),
          f"_dout : (T, B, {plan.n[cell.output]})", f"    gradient of the loss w.r.t. the outputs ({cell.output}).",
          "_dfinal : dict", "    gradient w.r.t. the final states " + ", ".join(f"{s}: (B, {plan.n[s]})" for s in plan.states),
          "_mask : (T, B, 1) bool array or None", "", "Returns", "-------", "grads : dict",
          "    every parameter, every input (T, B, n) and every initial state (B, n), by name.", '"""')
        for n in inputs:
            w(f"_X_{n} = _tape['_X_{n}']")
        w(*param_lines(plan))
        w(f"_T = _X_{inputs[0]}.shape[0]", "_B = _dout.shape[1]", "_dt = _dout.dtype")
        for s in plan.states:
            if s not in plan.rolling:
                w(f"_S_{s} = _tape['_S_{s}']")
        for n, loc in plan.storage.items():
            if loc[0] == "tape":
                w(f"_Y_{n} = _tape['_Y_{n}']")
        if has_p:
            w("_P = _tape['_P']")
        w(*source_stacks(plan))
        w(f"_dA = _np.empty((_T, _B, {plan.width}), _dt)")
        if plan.groups:
            w(f"_dY = _np.empty((_B, {plan.width}), _dt)")
        vec_params = sorted({u for parts in plan.partials.values() for u in parts if plan.role(u) == "param"})
        for p in vec_params:
            w(f"_gp_{p} = _np.zeros({plan.shapes[p]}, _dt)")
        step_inputs = sorted({u for parts in plan.partials.values() for u in parts if plan.role(u) == "input"}
                             | _bare(plan, "input"))
        for n in step_inputs:
            w(f"_dX_{n} = _np.zeros_like(_X_{n})")
        for s in plan.states:
            w(f"_g_{s} = _dfinal[{s!r}]")
        w("_keep = None if _mask is None else ~_mask")
        w("for _t in _range(_T - 1, -1, -1):")
        with w.block():
            body = Writer()
            _step(plan, body, names, has_p, step_inputs)
            w(*prune(body.lines))
        _finish(plan, w, step_inputs, vec_params)
    return w.text()


def _bare(plan, role):
    """Vectors of ``role`` added without a matrix in some linear stage."""
    cell = plan.cell
    return {t.vector for eq in cell.equations if eq.is_linear for t in cell.terms(eq.target)
            if t.matrix is None and cell.role(t.vector) == role}


class _StepSweep(Sweep):
    """One step of the RNN's reverse loop: linear stages' adjoints in the step's slice of ``_dA``.

    Early linear stages are not swept: their adjoint is their slot, and their
    matrices' and inputs' gradients are GEMMs over all T·B rows after the loop;
    late ones hand their adjoint to the step's vectors here (their matrix
    gradients also come after the loop).  Activation groups are one call each,
    after the sweep; shared factors that are a slot's whole adjoint are computed
    straight into the slot.
    """

    def __init__(self, plan, w, names):
        super().__init__(plan.cell, w, names, plan.n)
        self.plan = plan
        self.grouped = [y for _, _, _, ys in plan.groups for y in ys]

    def role(self, name):
        return self.plan.role(name)

    def partials(self, name):
        return self.plan.partials[name]

    def special(self, name):
        plan = self.plan
        if name in plan.aux or name in self.grouped or (name in plan.slots and name not in plan.late):
            return True
        if name in plan.late:
            self.adj.ensure(name, self.like)
        return False

    def deferred(self, target, term):
        return self.cell.role(term.vector) in ("param", "input")

    def matrix_grad(self, term, src):
        """After the loop, over all T·B rows (:func:`_finish`)."""

    def param_grad(self, name, src):
        self.w(f"_gp_{name} += {src}")

    def input_grad(self, name, src):
        self.w(f"_dX_{name}[_t] += {src}")

    def factors(self, temps, terms):
        adj = self.adj
        made = {sym for sym, _ in temps}
        direct = {e: u for u, e in terms if e in made and adj.loc.get(u, ("",))[0] == "buf" and u not in adj.started}
        for sym, value in temps:  # shared factors, e.g. ȳ·F'(y) of y = F(…)
            if sym in direct:  # computed straight into the adjoint buffer that needs it
                adj.add_expr(direct[sym], value)
                self.names[sym.name] = adj.ref(direct[sym])
            else:
                self.w(f"{sym.name} = {to_source(value, self.names)}")
                self.names[sym.name] = sym.name
        return {u for u, e in terms if direct.get(e) == u}


def _step(plan, w, names, has_p, step_inputs):
    cell = plan.cell
    if has_p:
        w("_Pt = _P[_t]")
    w(*(line for line in step_bindings(plan) if has_p or "_Pt" not in line))
    w("_dAt = _dA[_t]")
    sweep = _StepSweep(plan, w, names)
    adj = sweep.adj
    sweep.like = f"_g_{plan.states[0]}"
    for name, (lo, hi) in plan.slots.items():
        adj.buffer(name, f"_d_{name}")
        w(f"_d_{name} = {cols('_dAt', lo, hi, plan.width)}")
    for y in sweep.grouped:
        lo, hi = plan.storage[y][1:]
        adj.buffer(y, f"_d_{y}")
        w(f"_d_{y} = {cols('_dY', lo, hi, plan.width)}")
    for name in plan.order:
        if name not in adj.loc and name not in plan.aux:
            adj.var(name)
    for s in plan.states:
        adj.var(prev_name(s))
    # adjoints entering the step: carried from t+1, plus _dout for the output
    w("if _mask is not None:")
    with w.block():
        for s in plan.states:
            w(f"_k_{s} = _g_{s} * _keep[_t]", f"_g_{s} = _g_{s} * _mask[_t]")
        w(f"_g_{cell.output} = _g_{cell.output} + _dout[_t] * _mask[_t]")
    w("else:")
    with w.block():
        w(f"_g_{cell.output} = _g_{cell.output} + _dout[_t]")
    for s in plan.states:
        if s in plan.slots:
            adj.add_source(s, f"_g_{s}")
        else:
            adj.started[s] = "fresh" if s == cell.output else "alias"
    sweep.run(plan.order)
    for f, lo, hi, ys in plan.groups:
        for y in ys:
            adj.ensure(y, sweep.like)
        deriv = _derivative_through_output(f)
        sweep.names["_grp"] = cols("_Pt", lo, hi, plan.width)
        src = to_source(deriv.xreplace({sp.Symbol("y"): sp.Symbol("_grp")}), sweep.names)
        w(f"_np.multiply({cols('_dY', lo, hi, plan.width)}, {src}, out={cols('_dAt', lo, hi, plan.width)})")
        for y in ys:
            adj.started[cell.equation(y).expr.args[0].name] = "fresh"
    for name in plan.slots:
        if name not in plan.late:
            adj.ensure(name, sweep.like)
    for eq in cell.equations:  # bare previous-state vectors in early linear stages
        if eq.is_linear and eq.target not in plan.late:
            for t in cell.terms(eq.target):
                if t.matrix is None and cell.role(t.vector) == "previous":
                    adj.add_source(t.vector, f"{float(t.coeff)!r} * _d_{eq.target}", fresh=True)
    for v, (lo, hi, _) in plan.sources.items():
        if cell.role(v) == "previous":
            d = cols("_dAt", lo, hi, plan.width)
            adj.add_source(v, f"{d} @ _M_{v}", fresh=True, matmul=(d, f"_M_{v}"))
    for s in plan.states:
        p = prev_name(s)
        src = adj.ref(p) if p in adj.started else f"_np.zeros_like(_g_{s})"
        w(f"_g_{s} = {src}")
        w("if _mask is not None:")
        with w.block():
            w(f"_g_{s} = _g_{s} + _k_{s}")


def _sequence(plan, v):
    """Source of the (T, B, n) sequence of vector ``v`` over all steps."""
    cell = plan.cell
    role = cell.role(v)
    if role == "input":
        return f"_X_{v}"
    if role == "previous":
        return f"_S_{v[: -len('_prev')]}[:_T]"
    if role == "state":
        return f"_S_{v}[1:]"
    loc = plan.storage[v]
    return f"_Y_{v}" if loc[0] == "tape" else f"_P[:, :, {loc[1]}:{loc[2]}]"


def _finish(plan, w, step_inputs, vec_params):
    cell = plan.cell
    w("_grads = {}", f"_dA2 = _dA.reshape(_T * _B, {plan.width})")
    done = set(vec_params)
    for v, (lo, hi, blocks) in plan.sources.items():
        seq = _sequence(plan, v)
        w(f"_G = _dA2[:, {lo}:{hi}].T @ {seq}.reshape(_T * _B, {plan.n[v]})")
        for b_lo, b_hi, m, c in blocks:
            part = f"_G[{b_lo - lo}:{b_hi - lo}]"
            w(f"_acc(_grads, {m!r}, {part if c == 1 else f'{float(c)!r} * {part}'})")
            done.add(m)
        if cell.role(v) == "input":
            op = "+=" if v in step_inputs else "="
            w(f"_dX_{v} {op} (_dA2[:, {lo}:{hi}] @ _M_{v}).reshape(_T, _B, {plan.n[v]})")
    for name in plan.late:
        lo, hi = plan.slots[name]
        for t in cell.terms(name):
            if t.matrix is None or cell.role(t.vector) == "input":
                continue
            seq = _sequence(plan, t.vector)
            part = f"_dA2[:, {lo}:{hi}].T @ {seq}.reshape(_T * _B, {plan.n[t.vector]})"
            w(f"_acc(_grads, {t.matrix!r}, {part if t.coeff == 1 else f'{float(t.coeff)!r} * ({part})'})")
            done.add(t.matrix)
    for eq in cell.equations:
        if eq.is_linear:
            lo, hi = plan.slots[eq.target]
            for t in cell.terms(eq.target):
                if t.matrix is None and cell.role(t.vector) == "input":
                    w(f"_dX_{t.vector} += {float(t.coeff)!r} * _dA[:, :, {lo}:{hi}]")
    if plan.biases:
        w("_colsum = _dA2.sum(0)")
        for lo, hi, b, c in plan.biases:
            part = f"_colsum[{lo}:{hi}]"
            w(f"_acc(_grads, {b!r}, {part if c == 1 else f'{float(c)!r} * {part}'})")
            done.add(b)
    for p in vec_params:
        w(f"_acc(_grads, {p!r}, _gp_{p})")
    for p, shape in plan.shapes.items():
        if p not in done:  # a parameter no equation reads
            w(f"_grads[{p!r}] = _np.zeros({shape}, _dt)")
    for d in cell.inputs:
        has = d.name in plan.sources or d.name in step_inputs
        w(f"_grads[{d.name!r}] = _dX_{d.name}" if has else f"_grads[{d.name!r}] = _np.zeros_like(_X_{d.name})")
    for s in plan.states:
        w(f"_grads[{s!r}] = _g_{s}")
    w("return _grads")
