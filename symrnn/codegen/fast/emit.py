"""Pieces every compiled-kernel emitter uses: the function frame, loops over rows, BLAS calls, plan queries.

The frame (:func:`core`) unpacks the sizes, allocates the BLAS scratch and the
(T, B, NL) buffer, runs on one BLAS thread when a step's products are small
(:func:`step_products`), and returns what the body names.  Loops over units
are written over one-dimensional rows (:func:`rows`, :func:`unit_loop`).
"""

from __future__ import annotations

import re

from ..forward import Writer
from ..plan import Plan
from .layout import Sizes
from .places import Places

__all__ = ["WORKSPACE", "number", "early_sources", "vector_params", "late_matrices", "mm_call", "rows", "unit_loop",
           "core", "step_products", "past_the_end"]

WORKSPACE = ("_wi = _np.empty(6, _np.int32)", "_wf = _np.empty(2, _np.uint8)", "_ws = _np.empty(2, _K)",
             "_isz = _ws.itemsize")
"""Scratch of :func:`~symrnn.codegen.fast.blas.mm` (by-reference BLAS arguments) and the dtype's item size."""



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
