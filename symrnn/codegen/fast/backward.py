"""The compiled backward pass: reverse mode through time, the rules of :mod:`symrnn.codegen.backward`.

Per step, in reverse: the adjoints entering the step (carried from t + 1, plus
``_dout[t]`` for the output; zero past a sequence's end), then each fused run
in reverse (one loop over (b, j): a stage ``y = f(u…)`` adds ȳ·∂y/∂u, the
partials of :func:`~symrnn.spec.partials.pointwise_partials` with shared
factors, as :func:`symrnn.codegen.reverse.pointwise_terms` gives them to every
family (zero partials dropped), in scalar locals; adjoints read outside the
run are stored once at the end of the body), late linear stages as ``gemm``
(ā @ U), the recurrent adjoint as one ``gemm`` per previous-state vector
(``_dA[t][:, lo:hi] @ M``), and rows past a sequence's end keep their carried
adjoint.  After the loop: dW = dAᵀ X and dX = dA W over all T·B rows, one
``gemm`` each, and the biases' column sums.
"""

from __future__ import annotations


import sympy as sp

from ..plan import Plan, prev_name
from ..reverse import pointwise_terms
from .emit import core, early_sources, late_matrices, mm_call, number, past_the_end, unit_loop, vector_params
from .layout import Layout, Sizes
from .places import Places
from .scalar import scalar_source

__all__ = ["backward_core", "backward_arguments", "step_inputs", "backward_results", "has_p"]


def has_p(plan: Plan) -> bool:
    """Whether the backward reads slots of ``_P`` (then the tape keeps it)."""
    return any(plan.storage.get(n, ("",))[0] == "slot" for n in plan.needed)


def step_inputs(plan: Plan) -> list:
    """Inputs whose gradient gathers per-step terms (read pointwise, or bare in a linear stage)."""
    cell = plan.cell
    bare = {t.vector for eq in cell.equations if eq.is_linear for t in cell.terms(eq.target)
            if t.matrix is None and cell.role(t.vector) == "input"}
    return sorted({u for parts in plan.partials.values() for u in parts if plan.role(u) == "input"} | bare)


def backward_arguments(plan: Plan) -> list:
    cell = plan.cell
    return (["_z"] + [f"_X_{d.name}" for d in cell.inputs] + [f"_S_{s}" for s in plan.states]
            + [f"_Y_{n}" for n, loc in plan.storage.items() if loc[0] == "tape"] + ["_P"]
            + [f"_M_{v}" for v in plan.sources] + [f"_p_{m}" for m in late_matrices(plan)]
            + [f"_p_{p}" for p in vector_params(plan)] + ["_dout"] + [f"_F_{s}" for s in plan.states]
            + ["_mask", "_hm"])


def late_terms(plan: Plan) -> list:
    """(late target, matrix, vector, coeff) of every matrix term a per-step GEMM handles."""
    cell = plan.cell
    return [(name, t.matrix, t.vector, t.coeff) for name in plan.late for t in cell.terms(name)
            if t.matrix is not None and cell.role(t.vector) not in ("param", "input")]


def backward_results(plan: Plan) -> list:
    """Names of the arrays the core returns, in order."""
    out = [f"_W_{v}" for v in plan.sources]
    out += [f"_dX_{v}" for v in _gradient_inputs(plan)]
    out += [f"_L{k}" for k in range(len(late_terms(plan)))]
    out += ["_cs"] if plan.biases else []
    out += [f"_gp_{p}" for p in vector_params(plan)] + [f"_G_{s}" for s in plan.states]
    return out


def _gradient_inputs(plan):
    return [d.name for d in plan.cell.inputs if d.name in plan.sources or d.name in step_inputs(plan)]


class _Adjoints:
    """Code-time bookkeeping of one step: which memory adjoints hold a value already, where each lives."""

    def __init__(self, lay: Layout, at: Places):
        self.lay, self.at, self.plan = lay, at, lay.plan
        self.started = {u for u in self.plan.n if self.plan.role(u) in ("input", "param")}
        self.scalar_states = {s for s in self.plan.states if s not in self.plan.slots
                              and s not in lay.adjoint_in_memory}

    def memory(self, u: str) -> str:
        """The element of ``u``'s adjoint in memory at (b, j)."""
        at, plan = self.at, self.plan
        k = at.kind(u) if u not in plan.slots else "slot"
        if k == "slot":
            return f"_dA[_t, _b, {at.lo(u)} + _j]"
        if k == "previous":
            return f"_Gp_{at.prev[u]}[_b, _j]"
        if k == "input":
            return f"_dX_{u}[_t, _b, _j]"
        if k == "param":
            return f"_gp_{u}[_j]"
        if u in plan.states:
            return f"_Gi_{u}[_b, _j]"
        return f"_Gv_{u}[_b, _j]"

    def block(self, u: str) -> tuple[str, str]:
        """(address, leading dimension) of ``u``'s (B, n) adjoint (a GEMM writes it)."""
        at, plan = self.at, self.plan
        if u in plan.slots:
            return f"_dA.ctypes.data + (_t * _B * {at.NL} + {at.lo(u)}) * _isz", at.NL
        if u in at.prev:
            arr = f"_Gp_{at.prev[u]}"
        else:
            arr = f"_Gi_{u}" if u in plan.states else f"_Gv_{u}"
        return f"{arr}.ctypes.data", at.n(u)

    def incoming(self, s: str) -> str:
        extra = " + _dout[_t, _b, _j]" if s == self.plan.cell.output else ""
        return f"((_G_{s}[_b, _j]{extra}) * _m)"


def backward_core(lay: Layout, sizes: Sizes, fname: str = "_bwd") -> str:
    """Source of the compiled backward function (see the module docstring)."""
    plan = lay.plan
    at = Places(plan, sizes)
    adj = _Adjoints(lay, at)

    def emit(body):
        for s in plan.states:
            body(f"_G_{s} = _F_{s}.copy()", f"_Gp_{s} = _np.empty((_B, {at.n(s)}), _K)")
        for u in sorted(lay.adjoint_in_memory):
            body(f"_G{'i' if u in plan.states else 'v'}_{u} = _np.empty((_B, {at.n(u)}), _K)")
        for p in vector_params(plan):
            body(f"_gp_{p} = _np.zeros({at.n(p)}, _K)")
        for u in step_inputs(plan):
            body(f"_dX_{u} = _np.zeros((_T, _B, {at.n(u)}), _K)")
        body("for _t in range(_T - 1, -1, -1):")
        with body.block():
            _step(lay, at, adj, body)
        _finish(plan, at, body)
        return backward_results(plan)

    return core(plan, sizes, fname, backward_arguments(plan), "_dA", emit)


def _step(lay, at, adj, w):
    plan = lay.plan
    cell = plan.cell
    adj.started = {u for u in plan.n if plan.role(u) in ("input", "param")}
    for s in plan.states:  # adjoints entering the step, in memory when read outside the state's run
        if s not in adj.scalar_states:
            unit_loop(w, at.n(s), [f"{adj.memory(s)} = {adj.incoming(s)}"], mask_scale=True)
            adj.started.add(s)
    for item in reversed(lay.items):
        if isinstance(item, str):
            _late(plan, at, adj, w, item)
        else:
            _run(lay, at, adj, w, item)
    for name in plan.slots:
        if name not in adj.started:
            unit_loop(w, at.n(name), [f"{adj.memory(name)} = 0"])
            adj.started.add(name)
    for eq in cell.equations:  # bare previous-state vectors in early linear stages
        if eq.is_linear and eq.target not in plan.late:
            for t in cell.terms(eq.target):
                if t.matrix is None and cell.role(t.vector) == "previous":
                    _accumulate(adj, w, t.vector, f"{number(t.coeff)} * {adj.memory(eq.target)}")
    for v, lo, hi in early_sources(plan, "previous"):
        slo, shi = at.sizes.name("slo", v, lo), at.sizes.name("shi", v, hi)
        a = (f"_dA.ctypes.data + (_t * _B * {at.NL} + {slo}) * _isz", at.NL)
        beta = "1.0" if v in adj.started else "0.0"
        w(mm_call(False, False, "_B", at.n(v), f"{shi} - {slo}", "1.0", a, (f"_M_{v}.ctypes.data", at.n(v)),
                  beta, adj.block(v)))
        adj.started.add(v)
    for s in plan.states:
        if prev_name(s) not in adj.started:
            unit_loop(w, at.n(s), [f"_Gp_{s}[_b, _j] = 0"])
    past_the_end(w, [line for s in plan.states for line in (  # the carried adjoint
        f"for _j in range({at.n(s)}):", f"    _Gp_{s}[_b, _j] = _G_{s}[_b, _j]")])
    for s in plan.states:
        w(f"_G_{s}, _Gp_{s} = _Gp_{s}, _G_{s}")


def _accumulate(adj, w, u, src):
    """``adjoint(u) += src`` over (b, j) in memory (a loop of its own)."""
    first = u not in adj.started
    unit_loop(w, adj.at.n(u), [f"{adj.memory(u)} {'=' if first else '+='} {src}"])
    adj.started.add(u)


def _run(lay, at, adj, w, stages):
    plan = lay.plan
    produced = {st.name for st in stages if st.kind != "copy"}
    local: dict[str, str] = {}
    lines = []

    def add(u, src):
        if u in local:
            lines.append(f"_g_{u} += {src}")
            return
        start = adj.memory(u) if u in adj.started else None
        lines.append(f"_g_{u} = {start} + {src}" if start else f"_g_{u} = {src}")
        local[u] = f"_g_{u}"

    for st in stages:  # the adjoint entering the step, once per unit
        if st.name in adj.scalar_states:
            lines.append(f"_g_{st.name} = {adj.incoming(st.name)}")
            local[st.name] = f"_g_{st.name}"
    for st in reversed(stages):
        y = st.name
        if st.kind == "copy":
            continue
        if y in local:
            g = local[y]
        elif y in adj.started:
            g = adj.memory(y)
        else:
            continue  # no consumer: zero adjoint, nothing to propagate
        parts = plan.partials[y]
        names = {s.name: at.unit(s.name) for e in parts.values() for s in e.free_symbols}
        names[f"_g_{y}"] = g
        temps, terms = pointwise_terms(parts, sp.Symbol(f"_g_{y}"), y)  # the one pointwise rule (codegen.reverse)
        for sym, value in temps:
            lines.append(f"{sym.name} = {scalar_source(value, names, collect=False)}")
            names[sym.name] = sym.name
        for u, e in terms:
            add(u, scalar_source(e, names, collect=False))
    for u in local:
        if u not in produced:
            lines.append(f"{adj.memory(u)} = _g_{u}")
            adj.started.add(u)
    if lines:
        unit_loop(w, at.n(stages[0].name), lines, mask_scale=any(s.name in adj.scalar_states for s in stages))


def _late(plan, at, adj, w, name):
    cell = plan.cell
    if name not in adj.started:
        unit_loop(w, at.n(name), [f"{adj.memory(name)} = 0"])
        adj.started.add(name)
    d = adj.block(name)
    for t in cell.terms(name):
        role = cell.role(t.vector)
        if role in ("param", "input"):
            continue
        if t.matrix is None:
            _accumulate(adj, w, t.vector, f"{number(t.coeff)} * {adj.memory(name)}")
        else:
            beta = "1.0" if t.vector in adj.started else "0.0"
            w(mm_call(False, False, "_B", at.n(t.vector), at.n(name), number(t.coeff), d,
                      (f"_p_{t.matrix}.ctypes.data", at.n(t.vector)), beta, adj.block(t.vector)))
            adj.started.add(t.vector)


def _finish(plan, at, w):
    cell = plan.cell
    TB, dA = "_T * _B", "_dA.ctypes.data"
    for v, (lo, hi, _) in plan.sources.items():
        slo, shi = at.sizes.name("slo", v, lo), at.sizes.name("shi", v, hi)
        a = (f"{dA} + {slo} * _isz", at.NL)
        w(f"_W_{v} = _np.empty(({shi} - {slo}, {at.n(v)}), _K)")
        w(mm_call(True, False, f"{shi} - {slo}", at.n(v), TB, "1.0", a, at.sequence(v), "0.0",
                  (f"_W_{v}.ctypes.data", at.n(v))))
        if cell.role(v) == "input":
            stepped = v in step_inputs(plan)
            if not stepped:
                w(f"_dX_{v} = _np.empty((_T, _B, {at.n(v)}), _K)")
            w(mm_call(False, False, TB, at.n(v), f"{shi} - {slo}", "1.0", a, (f"_M_{v}.ctypes.data", at.n(v)),
                      "1.0" if stepped else "0.0", (f"_dX_{v}.ctypes.data", at.n(v))))
    for k, (name, m, v, c) in enumerate(late_terms(plan)):
        lo = at.sizes.name("lo", name, plan.slots[name][0])
        w(f"_L{k} = _np.empty(({at.n(name)}, {at.n(v)}), _K)")
        w(mm_call(True, False, at.n(name), at.n(v), TB, number(c), (f"{dA} + {lo} * _isz", at.NL), at.sequence(v),
                  "0.0", (f"_L{k}.ctypes.data", at.n(v))))
    for eq in cell.equations:  # bare input vectors in linear stages
        if eq.is_linear:
            for t in cell.terms(eq.target):
                if t.matrix is None and cell.role(t.vector) == "input":
                    lo = at.sizes.name("lo", eq.target, plan.slots[eq.target][0])
                    w("for _t in range(_T):")
                    with w.block():
                        unit_loop(w, at.n(t.vector), [f"_dX_{t.vector}[_t, _b, _j] += {number(t.coeff)} * _dA[_t, _b, {lo} + _j]"])
    if plan.biases:
        w(f"_cs = _np.zeros({at.NL}, _K)", "for _t in range(_T):")
        with w.block():
            unit_loop(w, at.NL, ["_cs[_j] += _dA[_t, _b, _j]"])
