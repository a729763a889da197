"""Benchmark: build and render every catalogue entry (issue: foundation).

Target: under 2 s in total, and independent of the hidden size.  Descriptions
are symbolic in the sizes, so the hidden size enters only when concrete shapes
are asked for; the second table times that step for growing H.

Run: ``python benchmarks/bench_catalogue.py``
"""

from __future__ import annotations

import time

import symrnn
from symrnn.cells import _build
from symrnn.numeric import param_shapes


def build_and_render() -> float:
    _build.cache_clear()  # measure real construction, not the catalogue cache
    start = time.perf_counter()
    for name in symrnn.cells.names():
        desc = symrnn.cell(name)
        desc.latex()
        desc.parameter_count("paper")
        desc.parameter_count("torch")
    return time.perf_counter() - start


def shapes_at(hidden: int) -> float:
    start = time.perf_counter()
    for name in symrnn.cells.names():
        desc = symrnn.cell(name)
        cells = [desc.forward, desc.backward] if hasattr(desc, "forward") else [desc]
        for c in cells:
            sizes = {s.name: hidden for s in c.sizes}
            param_shapes(c, sizes)
            int(c.parameter_count().xreplace({s: hidden for s in c.sizes}))
    return time.perf_counter() - start


def main() -> None:
    runs = [build_and_render() for _ in range(3)]
    print(f"build + LaTeX + counts, all {len(symrnn.cells.names())} entries: "
          f"best {min(runs):.3f} s, worst {max(runs):.3f} s (target < 2 s)")
    print("concrete shapes and counts for every entry at hidden size H:")
    base = None
    for hidden in (8, 128, 4096, 10**6):
        t = min(shapes_at(hidden) for _ in range(3))
        base = base or t
        print(f"  H = {hidden:>8}: {t * 1e3:7.1f} ms  (ratio to H=8: {t / base:.2f})")


if __name__ == "__main__":
    main()
