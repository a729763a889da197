"""A :class:`~symrnn.codegen.kernel.Kernel`'s compiled face: ``_forward`` / ``_backward`` with the NumPy path's signatures.

The compiled module (:mod:`.module`, loaded through :mod:`.cache`) takes
positional arrays; a small Python wrapper, generated per kernel, does what is
not per step: it reads the dicts, stacks the matrices and biases with the
NumPy path's own helpers (:func:`~symrnn.codegen.forward.source_stacks`,
``_stack_bias``), passes the sizes ``_z``, and names the results exactly as
the NumPy path does — the same tape keys, the same gradient dict — so
:class:`~symrnn.codegen.network.Network`, stacked and bidirectional layers and
every caller work unchanged.
"""

from __future__ import annotations

import numpy as np

from ..forward import Writer, half, param_lines, source_stacks
from ..plan import make_plan
from ..runtime import RUNTIME
from .backward import backward_arguments, backward_results, has_p, late_terms, step_inputs
from .cache import load
from .emit import vector_params
from .forward import forward_arguments
from .layout import Sizes, layout
from .module import module_source

__all__ = ["bind", "bind_inference"]


def _mask(mask):
    """The (T, B) bool mask the core reads, and whether there is one."""
    if mask is None:
        return np.ones((1, 1), bool), False
    return np.ascontiguousarray(mask[:, :, 0]), True


def _forward_wrapper(plan, w: Writer):
    cell = plan.cell
    first = plan.states[0]
    w("def _forward(_xs, _params, _init, _mask):")
    with w.block():
        w(*(f"_X_{d.name} = _xs[{d.name!r}]" for d in cell.inputs), *param_lines(plan),
          f"_dt = _init[{first!r}].dtype", *source_stacks(plan, scaled=True))
        if plan.biases:
            w(f"_bias = _stack_bias({plan.width}, [" + ", ".join(
                f"({lo}, {hi}, _p_{b}, {float(c) * half(plan, lo)!r})" for lo, hi, b, c in plan.biases) + "], _dt)")
        else:
            w("_bias = _np.zeros(1, _dt)")
        w(*(f"_I_{s} = _init[{s!r}]" for s in plan.states), "_mask, _hm = _mask2(_mask)")
        w(f"_r = _fwd({', '.join(forward_arguments(plan))})")
        tapes = [n for n, loc in plan.storage.items() if loc[0] == "tape"]
        w(*(f"_S_{s} = _r[{1 + i}]" for i, s in enumerate(plan.states)),
          *(f"_Y_{n} = _r[{1 + len(plan.states) + i}]" for i, n in enumerate(tapes)), "_T = _S_{}.shape[0] - 1".format(cell.output))
        tape = {f"_X_{d.name}": f"_X_{d.name}" for d in cell.inputs}
        tape.update({f"_S_{s}": f"_S_{s}" for s in plan.states if s not in plan.rolling})
        tape.update({f"_F_{s}": f"_S_{s}[{'_T % 2' if s in plan.rolling else '_T'}].copy()" for s in plan.states})
        tape.update({f"_Y_{n}": f"_Y_{n}" for n in tapes})
        if has_p(plan):
            tape["_P"] = "_r[0]"
        w("return {" + ", ".join(f"{k!r}: {v}" for k, v in tape.items()) + "}")


def _backward_wrapper(plan, w: Writer):
    cell = plan.cell
    w("def _backward(_tape, _params, _dout, _dfinal, _mask):")
    with w.block():
        w(*param_lines(plan), "_dt = _dout.dtype", "_none = _np.empty((1, 1, 1), _dt)")
        w(*(f"_X_{d.name} = _tape['_X_{d.name}']" for d in cell.inputs))
        w(*(f"_S_{s} = " + (f"_tape['_S_{s}']" if s not in plan.rolling else "_none") for s in plan.states))
        w(*(f"_Y_{n} = _tape['_Y_{n}']" for n, loc in plan.storage.items() if loc[0] == "tape"))
        w("_P = _tape['_P']" if has_p(plan) else "_P = _none", *source_stacks(plan))
        w(*(f"_F_{s} = _dfinal[{s!r}]" for s in plan.states), "_mask, _hm = _mask2(_mask)")
        w(f"{', '.join(backward_results(plan))}, = _bwd({', '.join(backward_arguments(plan))})")
        w("_grads = {}")
        done = set()
        for v, (lo, hi, blocks) in plan.sources.items():
            for b_lo, b_hi, m, c in blocks:
                part = f"_W_{v}[{b_lo - lo}:{b_hi - lo}]"
                w(f"_acc(_grads, {m!r}, {part if c == 1 else f'{float(c)!r} * {part}'})")
                done.add(m)
        for k, (name, m, v, c) in enumerate(late_terms(plan)):
            w(f"_acc(_grads, {m!r}, _L{k})")
            done.add(m)
        for lo, hi, b, c in plan.biases:
            w(f"_acc(_grads, {b!r}, {f'_cs[{lo}:{hi}]' if c == 1 else f'{float(c)!r} * _cs[{lo}:{hi}]'})")
            done.add(b)
        for p in vector_params(plan):
            w(f"_acc(_grads, {p!r}, _gp_{p})")
            done.add(p)
        for p, shape in plan.shapes.items():
            if p not in done:
                w(f"_grads[{p!r}] = _np.zeros({shape}, _dt)")
        stepped = set(step_inputs(plan))
        for d in cell.inputs:
            has = d.name in plan.sources or d.name in stepped
            w(f"_grads[{d.name!r}] = _dX_{d.name}" if has else f"_grads[{d.name!r}] = _np.zeros_like(_X_{d.name})")
        w(*(f"_grads[{s!r}] = _G_{s}" for s in plan.states), "return _grads")


def _namespace(module, z):
    ns = dict(RUNTIME)
    ns.update(_mask2=_mask, _z=z, _fwd=getattr(module, "_fwd", None), _bwd=getattr(module, "_bwd", None))
    return ns


def bind(kernel):
    """(forward, backward) callables of ``kernel`` on the compiled path; the wrapper source is ``kernel.fast_source``."""
    plan = kernel.plan
    sizes = Sizes()
    module = load(module_source(kernel.dtype, [("_fwd", layout(plan, split=True), sizes, "forward"),
                                               ("_bwd", layout(plan), sizes, "backward")]))
    w = Writer()
    _forward_wrapper(plan, w)
    w("")
    _backward_wrapper(plan, w)
    ns = _namespace(module, np.array(sizes.values(), np.int64))
    exec(compile(w.text(), f"<symrnn compiled kernel {kernel.cell.name}>", "exec"), ns)
    kernel.fast_source = module.__file__
    return ns["_forward"], ns["_backward"]


def bind_inference(kernel):
    """The compiled forward pass of ``kernel`` without a tape (the inference plan)."""
    plan = make_plan(kernel.cell, kernel.sizes, inference=True)
    sizes = Sizes()
    module = load(module_source(kernel.dtype, [("_fwd", layout(plan, inference=True, split=True), sizes, "forward")]))
    w = Writer()
    _forward_wrapper(plan, w)
    ns = _namespace(module, np.array(sizes.values(), np.int64))
    exec(compile(w.text(), f"<symrnn compiled inference kernel {kernel.cell.name}>", "exec"), ns)
    return ns["_forward"]

