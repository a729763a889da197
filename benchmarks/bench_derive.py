"""Benchmark: derivations (issue 3).  Not a test; prints figures.

Targets: all local Jacobians and the BPTT recursion of one cell in under
0.5 s, not growing with the hidden size; every catalogue entry's documents
(tex and md) in under 30 s, excluding the TeX run.

The catalogue cells are symbolic in H, so one derivation serves every size.
To show that the work does not depend on H, the second table derives an LSTM
written with a *concrete* hidden size (4 … 4096): the time stays flat because
nothing is unrolled.  The third table is the contrast the design brief
measured: differentiating an explicitly unrolled LSTM grows with H.

Run: ``python benchmarks/bench_derive.py``
"""

from __future__ import annotations

import time

import sympy as sp

import symrnn
from symrnn.cells import _build
from symrnn.derive import bptt, derivation_document, jacobian
from symrnn.derive import gradients as _gradients


def clear_caches():
    import sys

    mod = sys.modules["symrnn.derive.jacobian"]
    for fn in (mod._sweep, mod._linear, mod._pointwise, _gradients._gradient):
        fn.cache_clear()
    _build.cache_clear()


def derive_all(cell) -> float:
    clear_caches()
    start = time.perf_counter()
    for of in cell.state_names:
        for wrt in [s + "_prev" for s in cell.state_names] + [d.name for d in cell.inputs]:
            jacobian(cell, of, wrt)
    bptt(cell)
    return time.perf_counter() - start


def lstm_with(hidden: int, inputs: int = 8):
    """An LSTM whose sizes are numbers, not symbols."""
    b = symrnn.CellBuilder(f"lstm{hidden}")
    x, h, c = b.input("x", inputs), b.state("h", hidden), b.state("c", hidden)

    def pre(k):
        return b.param(f"W_{k}", hidden, inputs) @ x + b.param(f"U_{k}", hidden, hidden) @ h + b.param(f"b_{k}", hidden)

    i, f, o = (b.let(k, symrnn.sigmoid(pre(k))) for k in "ifo")
    g = b.let("g", symrnn.tanh(pre("g")))
    cn = b.update("c", f * c + i * g)
    b.update("h", o * symrnn.tanh(cn))
    return b.build(output="h")


def unrolled_lstm_jacobian(hidden: int, inputs: int = 2) -> float:
    """The approach the design avoids: scalar symbols for every unit, then sympy's jacobian."""
    start = time.perf_counter()
    x = sp.Matrix(sp.symbols(f"x:{inputs}"))
    h = sp.Matrix(sp.symbols(f"h:{hidden}"))
    c = sp.Matrix(sp.symbols(f"c:{hidden}"))
    gate = {}
    for k in "ifgo":
        W = sp.Matrix(hidden, inputs, lambda r, q: sp.Symbol(f"W{k}{r}_{q}"))
        U = sp.Matrix(hidden, hidden, lambda r, q: sp.Symbol(f"U{k}{r}_{q}"))
        a = W * x + U * h
        fn = sp.tanh if k == "g" else symrnn.sigmoid
        gate[k] = a.applyfunc(fn)
    cn = gate["f"].multiply_elementwise(c) + gate["i"].multiply_elementwise(gate["g"])
    hn = gate["o"].multiply_elementwise(cn.applyfunc(sp.tanh))
    hn.jacobian(h)
    return time.perf_counter() - start


def main():
    print("derive all local Jacobians + BPTT recursion, per catalogue cell (symbolic H, valid for every size)")
    worst = 0.0
    for name in symrnn.cells.names():
        desc = symrnn.cell(name)
        cells = [desc.forward, desc.backward] if isinstance(desc, symrnn.Bidirectional) else [getattr(desc, "cell", desc)]
        for cell in cells:
            first = derive_all(cell)  # SymPy's own cache cold for this cell
            t = min(derive_all(cell) for _ in range(3))
            worst = max(worst, first)
            print(f"  {cell.name:24s} first {first * 1000:8.1f} ms   best of 3 {t * 1000:8.1f} ms")
    print(f"  worst first run: {worst * 1000:.1f} ms (target < 500 ms)")

    print("\nsame derivation for an LSTM written with a concrete hidden size")
    base = None
    for hidden in (4, 64, 1024, 4096):
        cell = lstm_with(hidden)
        t = min(derive_all(cell) for _ in range(3))
        base = base or t
        print(f"  H={hidden:5d} {t * 1000:8.1f} ms   ratio to H=4: {t / base:5.2f}")

    print("\ncontrast: explicitly unrolled LSTM, sympy jacobian dh/dh_prev (grows with H)")
    for hidden in (2, 4, 8):
        print(f"  H={hidden:5d} {unrolled_lstm_jacobian(hidden) * 1000:8.1f} ms")

    print("\nwhole catalogue: tex and md derivation documents (no TeX run)")
    clear_caches()
    start = time.perf_counter()
    pages = 0
    for name in symrnn.cells.names():
        for fmt in ("tex", "md"):
            pages += len(derivation_document(symrnn.cell(name), fmt))
    total = time.perf_counter() - start
    print(f"  {len(symrnn.cells.names())} cells x 2 formats: {total:.2f} s ({pages / 1e3:.0f} k characters; target < 30 s)")


if __name__ == "__main__":
    main()
