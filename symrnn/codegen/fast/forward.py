"""The compiled forward pass: numba source for the whole time loop of one cell, from its :class:`Plan`.

The generated ``_fwd`` runs what :mod:`symrnn.codegen.forward` runs, with no
Python per step:

1. the input projection of all T steps, one ``gemm`` per input vector into
   ``_P`` (T, B, NL); biases and bare input terms in one pass;
2. per step: one ``gemm`` per previous-state vector accumulating into its
   column block of ``_P[t]`` (``beta = 1``: no scratch buffer); each
   activation group as one in-place loop over its slots; then each fused run
   (:mod:`.layout`) of the other stages as one loop over (b, j) computing them
   in scalar locals, writing only what is read outside the run; late linear
   stages as their own ``gemm``;

A loop that stores into ``_P`` at one offset and loads it at another is not
vectorised by LLVM (it cannot rule out the overlap), and a scalar tanh costs
10-20x a vectorised one: one fused loop over an LSTM's five stages, its gates
written back to ``_P``, took 13.4 ms for T = 100, B = 64, H = 32 float32;
in-place group loops and a fused loop that only reads ``_P`` took 0.9 ms.
3. with a mask, rows past a sequence's end keep their state.

Stacked matrices and biases are built by the Python wrapper with the NumPy
path's own helpers (:func:`~symrnn.codegen.forward.source_stacks`, sigmoid rows
pre-scaled by 0.5); ``_fwd`` returns ``_P``, every state array and every taped
value, which the wrapper names as the NumPy path's tape.
"""

from __future__ import annotations

import re

from ..forward import Writer, half
from ..plan import Plan
from .layout import Layout, Sizes
from .places import Places
from .scalar import GROUP_FORM, scalar_source

WORKSPACE = ("_wi = _np.empty(6, _np.int32)", "_wf = _np.empty(2, _np.uint8)", "_ws = _np.empty(2, _K)",
             "_isz = _ws.itemsize")
"""Scratch of :func:`~symrnn.codegen.fast.blas.mm` (by-reference BLAS arguments) and the dtype's item size."""

__all__ = ["WORKSPACE", "core", "rows", "unit_loop", "step_products", "past_the_end", "forward_core", "forward_arguments", "early_sources", "vector_params", "late_matrices", "number"]


def number(x) -> str:
    """A constant in the kernel's dtype."""
    return f"_K({float(x)!r})"


def early_sources(plan: Plan, role: str) -> list:
    """(vector, lo, hi) of the stacked sources of ``role`` ("input" or "previous")."""
    return [(v, lo, hi) for v, (lo, hi, _) in plan.sources.items() if plan.cell.role(v) == role]


def vector_params(plan: Plan) -> list:
    """Per-unit parameters read by pointwise stages (peepholes), in plan order."""
    return sorted({u for parts in plan.partials.values() for u in parts if plan.role(u) == "param"})


def late_matrices(plan: Plan) -> list:
    """Matrices of the late linear stages' terms (read by per-step GEMMs)."""
    out = []
    for name in plan.late:
        for t in plan.cell.terms(name):
            if t.matrix is not None and plan.cell.role(t.vector) not in ("param", "input") and t.matrix not in out:
                out.append(t.matrix)
    return out


def forward_arguments(plan: Plan) -> list:
    """The core's parameters, in order (the wrapper passes them so)."""
    cell = plan.cell
    return (["_z"] + [f"_X_{d.name}" for d in cell.inputs] + [f"_M_{v}" for v in plan.sources] + ["_bias"]
            + [f"_p_{m}" for m in late_matrices(plan)] + [f"_p_{p}" for p in vector_params(plan)]
            + [f"_I_{s}" for s in plan.states] + ["_mask", "_hm"])


def mm_call(ta, tb, m, n, k, alpha, a, b, beta, c) -> str:
    """A :func:`~symrnn.codegen.fast.blas.mm` call; ``a``, ``b``, ``c`` are (address, leading dimension)."""
    return (f"_mm({ta}, {tb}, {m}, {n}, {k}, {alpha}, {a[0]}, {a[1]}, {b[0]}, {b[1]}, {beta}, {c[0]}, {c[1]}, "
            "_wi, _wf, _ws)")


_ROW3 = re.compile(r"(_\w+)\[(\(_t \+ 1\)|_t|_t0|_t1|_r), _b, ")
_ROW2 = re.compile(r"(_\w+)\[_b, ")


def rows(body: list) -> tuple[list, list]:
    """``body`` reading one-dimensional rows (``_w0 = _P[_t, _b]``, then ``_w0[lo + _j]``) and the row bindings.

    A row is one index per access instead of three: numba's first compile of an LSTM's
    forward took 9.0 s with ``_P[_t, _b, lo + _j]`` and 2.4 s with rows.

    Examples
    --------
    >>> rows(["_S_h[(_t + 1), _b, _j] = _P[_t, _b, _lo_a + _j] * _G_h[_b, _j]"])
    (['_w0 = _S_h[(_t + 1), _b]', '_w1 = _P[_t, _b]', '_w2 = _G_h[_b]'], ['_w0[_j] = _w1[_lo_a + _j] * _w2[_j]'])
    """
    found: dict = {}

    def row(array, step):
        return found.setdefault((array, step), f"_w{len(found)}") + "["

    out = [_ROW2.sub(lambda m: row(m.group(1), None), _ROW3.sub(lambda m: row(m.group(1), m.group(2)), line))
           for line in body]
    return [f"{v} = {a}[{t}, _b]" if t else f"{v} = {a}[_b]" for (a, t), v in found.items()], out


def unit_loop(w: Writer, n: str, body: list, *, mask_scale: bool = False):
    """``for _b: for _j in range(n): body`` over rows (:func:`rows`; ``_m`` = 1 or 0 by the mask, when asked)."""
    bindings, body = rows(body)
    w("for _b in range(_B):")
    with w.block():
        if mask_scale:
            w("_m = _K(1.0) if (not _hm or _mask[_t, _b]) else _K(0.0)")
        w(*bindings, f"for _j in range({n}):")
        with w.block():
            w(*body)


def core(plan: Plan, sizes: Sizes, fname: str, args: list, buffer: str, emit) -> str:
    """``def fname(args)``: sizes unpacked from ``_z``, T and B, the BLAS scratch, ``buffer`` (T, B, NL), then
    ``emit(body)`` (which returns the names to return), on one BLAS thread when the products of a step are small."""
    w = Writer()
    w(f"def {fname}({', '.join(args)}):")
    with w.block():
        body = Writer()
        body.level = w.level
        first = plan.cell.inputs[0].name
        at = Places(plan, sizes)
        body(f"_T, _B = _X_{first}.shape[0], _X_{first}.shape[1]", *WORKSPACE,
             f"{buffer} = _np.empty((_T, _B, {at.NL}), _K)", f"_nt = _threads(1) if {step_products(plan, at)} < _SMALL else 0")
        outs = emit(body)
        body("if _nt > 0:")
        with body.block():
            body("_threads(_nt)")
        body(f"return ({', '.join(outs)},)")
        w(*sizes.unpack())  # last: every size the body named
        w.lines.extend(body.lines)
    return w.text()


def step_products(plan: Plan, at: Places) -> str:
    """Source of the multiply-adds of a step's largest product (one BLAS thread below :data:`~.blas.SMALL`)."""
    macs = [f"_B * ({at.sizes.name('shi', v, hi)} - {at.sizes.name('slo', v, lo)}) * {at.n(v)}"
            for v, lo, hi in early_sources(plan, "previous")]
    macs += [f"_B * {at.n(t.vector)} * {at.n(name)}" for name in plan.late for t in plan.cell.terms(name)
             if t.matrix is not None and plan.cell.role(t.vector) not in ("param", "input")]
    return f"max({', '.join(macs)}, 0)" if len(macs) > 1 else (macs[0] if macs else "0")


def past_the_end(w: Writer, lines: list):
    """``lines`` for every sequence ``_b`` whose step ``_t`` is past its length (with a mask)."""
    w("if _hm:")
    with w.block():
        w("for _b in range(_B):")
        with w.block():
            w("if not _mask[_t, _b]:")
            with w.block():
                w(*lines)


def forward_core(lay: Layout, sizes: Sizes, fname: str = "_fwd") -> str:
    """Source of the compiled forward function (see the module docstring)."""
    plan = lay.plan
    at = Places(plan, sizes)

    def emit(body):
        _input_projection(plan, at, body)
        for s in plan.states:
            rows = "2" if s in plan.rolling else "_T + 1"
            body(f"_S_{s} = _np.empty(({rows}, _B, {at.n(s)}), _K)", f"_S_{s}[0, :, :] = _I_{s}")
        for name, loc in plan.storage.items():
            if loc[0] == "tape":
                body(f"_Y_{name} = _np.empty((_T, _B, {at.n(name)}), _K)")
            elif loc[0] == "temp" and name in lay.stored:
                body(f"_Y_{name} = _np.empty((_B, {at.n(name)}), _K)")
        body("for _t in range(_T):")
        with body.block():
            _step(lay, at, body)
        return ["_P"] + [f"_S_{s}" for s in plan.states] + [f"_Y_{n}" for n, loc in plan.storage.items()
                                                            if loc[0] == "tape"]

    return core(plan, sizes, fname, forward_arguments(plan), "_P", emit)


def _input_projection(plan, at, w):
    ins = early_sources(plan, "input")
    TB = "_T * _B"
    if not ins:
        w("_P[:, :, :] = 0")
    first = max(ins, key=lambda s: s[2] - s[1]) if ins else None
    for v, lo, hi in sorted(ins, key=lambda s: s is not first):
        slo, shi = at.sizes.name("slo", v, lo), at.sizes.name("shi", v, hi)
        c = (f"_P.ctypes.data + {slo} * _isz", at.NL)
        w(mm_call(False, True, TB, f"{shi} - {slo}", at.n(v), "1.0", (f"_X_{v}.ctypes.data", at.n(v)),
                  (f"_M_{v}.ctypes.data", at.n(v)), "0.0" if (v, lo, hi) == first else "1.0", c))
        if (v, lo, hi) == first:
            if lo > 0:
                w(f"_P[:, :, :{slo}] = 0")
            if hi < plan.width:
                w(f"_P[:, :, {shi}:] = 0")
    if plan.biases:
        w("for _r in range(_T):")
        with w.block():
            unit_loop(w, at.NL, ["_P[_r, _b, _j] += _bias[_j]"])
    for eq in plan.cell.equations:  # bare input vectors in a linear stage
        if eq.is_linear:
            for t in plan.cell.terms(eq.target):
                if t.matrix is None and plan.cell.role(t.vector) == "input":
                    lo = at.sizes.name("lo", eq.target, plan.slots[eq.target][0])
                    k = number(float(t.coeff) * half(plan, plan.slots[eq.target][0]))
                    w("for _t in range(_T):")
                    with w.block():
                        unit_loop(w, at.n(t.vector), [f"_P[_t, _b, {lo} + _j] += {k} * {at.unit(t.vector)}"])


def _step(lay, at, w):
    plan = lay.plan
    cell = plan.cell
    if plan.rolling:
        w("_t0 = _t % 2", "_t1 = 1 - _t0")
    for v, lo, hi in early_sources(plan, "previous"):
        slo, shi = at.sizes.name("slo", v, lo), at.sizes.name("shi", v, hi)
        c = (f"_P.ctypes.data + (_t * _B * {at.NL} + {slo}) * _isz", at.NL)
        w(mm_call(False, True, "_B", f"{shi} - {slo}", at.n(v), "1.0", at.block(v),
                  (f"_M_{v}.ctypes.data", at.n(v)), "1.0", c))
    for eq in cell.equations:  # bare previous-state vectors in an early linear stage
        if eq.is_linear and eq.target not in plan.late:
            for t in cell.terms(eq.target):
                if t.matrix is None and cell.role(t.vector) == "previous":
                    k = number(float(t.coeff) * half(plan, plan.slots[eq.target][0]))
                    unit_loop(w, at.n(t.vector), [f"_P[_t, _b, {at.lo(eq.target)} + _j] += {k} * {at.unit(t.vector)}"])
    _groups(plan, at, w)
    for item in lay.items:
        if isinstance(item, str):
            _late(plan, at, w, item)
        else:
            _run(lay, at, w, item)
    past_the_end(w, [f"_S_{s}[{at.state_row(s, False)}, _b, :] = _S_{s}[{at.state_row(s, True)}, _b, :]"
                     for s in plan.states])


def _groups(plan, at, w):
    """Each activation group in place; adjacent σ and tanh groups share one tanh loop (σ = ½ + ½ tanh(a/2)).

    Every inlined tanh costs numba ~1.5 s of first compile, so the LSTM's σ and tanh groups are one tanh
    pass over their slots and a ½ + ½ y pass over the σ slots.
    """
    spans = []  # (F, lo, hi) with adjacent tanh-based groups merged
    for f, lo, hi, _ in plan.groups:
        if spans and f in ("sigmoid", "tanh") and spans[-1][0] == "tanh" and spans[-1][2] == lo:
            spans[-1] = ("tanh", spans[-1][1], hi)
        else:
            spans.append(("tanh" if f in ("sigmoid", "tanh") else f, lo, hi))
    loops = [(GROUP_FORM[f], lo, hi) for f, lo, hi in spans]
    loops += [("_K(0.5) + _K(0.5) * {}", lo, hi) for f, lo, hi, _ in plan.groups if f == "sigmoid"]
    for form, lo, hi in loops:
        glo, gn = at.sizes.name("glo", str(lo), lo), at.sizes.name("gn", f"{lo}_{hi}", hi - lo)
        unit = f"_P[_t, _b, {glo} + _j]"
        unit_loop(w, gn, [f"{unit} = {form.format(unit)}"])


def _run(lay, at, w, stages):
    local: dict[str, str] = {}
    lines = []
    for st in stages:
        if st.kind == "group":  # computed in place by its group's loop
            continue
        names = {u: local.get(u) or at.unit(u) for u in st.reads}
        if st.kind == "copy":
            src = f"_P[_t, _b, {at.lo(st.name)} + _j]"
        else:
            src = scalar_source(st.expr, names)
        lines.append(f"_v_{st.name} = {src}")
        local[st.name] = f"_v_{st.name}"
        if st.name in lay.stored:
            lines.append(f"{at.unit(st.name)} = _v_{st.name}")
    if lines:
        unit_loop(w, at.n(stages[0].name), lines)


def _late(plan, at, w, name):
    """A linear stage reading values of the same step: a GEMM per matrix term into its slot of ``_P[t]``."""
    cell = plan.cell
    c = (f"_P.ctypes.data + (_t * _B * {at.NL} + {at.lo(name)}) * _isz", at.NL)
    for t in cell.terms(name):
        if cell.role(t.vector) in ("param", "input"):
            continue
        if t.matrix is None:
            unit_loop(w, at.n(name), [f"_P[_t, _b, {at.lo(name)} + _j] += {number(t.coeff)} * {at.unit(t.vector)}"])
        else:
            w(mm_call(False, True, "_B", at.n(name), at.n(t.vector), number(t.coeff), at.block(t.vector),
                      (f"_p_{t.matrix}.ctypes.data", at.n(t.vector)), "1.0", c))
