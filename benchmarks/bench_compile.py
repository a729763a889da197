"""Benchmark: first compile and cached load of the compiled backend (``backend="numba"``, issue 16).

Targets: first compile ≤ 2 s per cell, a load from the disk cache ≤ 0.5 s.  For each
cell and dtype, a fresh cache directory (``SYMRNN_CACHE_DIR``) and two fresh
processes one after the other: the first compiles (numba writes its machine code
next to the generated module), the second loads it.  Each process times
``import numba`` on its own (a fixed cost of any numba user, reported apart),
:func:`symrnn.compile` with ``backend="numba"`` (numba compiles, or loads, the
forward and backward when the module is imported), and the first forward +
backward and the first tape-free forward (compiled on first use).  Not a test;
prints figures.

Run: ``python benchmarks/bench_compile.py [--cells lstm gru mgu lstm_peephole] [--dtypes float32] [--rounds 2]``
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

CELLS = ("lstm", "gru", "mgu", "lstm_peephole")


def worker(cell: str, dtype: str, H: int = 32) -> dict:
    """Seconds of each phase in this (fresh) process."""
    t0 = time.perf_counter()
    import numba  # noqa: F401
    import numpy as np

    t1 = time.perf_counter()
    import symrnn
    from symrnn.codegen.bench.configs import description

    t2 = time.perf_counter()
    k = symrnn.compile(description(cell), D=H, H=H, dtype=np.dtype(dtype), backend="numba")
    t3 = time.perf_counter()
    X = np.random.default_rng(0).normal(size=(5, 2, H)).astype(dtype)
    out, _, tape = k.forward(X)
    k.backward(tape, np.ones_like(out))
    t4 = time.perf_counter()
    k.forward(X, tape=False)
    t5 = time.perf_counter()
    return {"import_numba_s": t1 - t0, "import_symrnn_s": t2 - t1, "compile_s": t3 - t2,
            "first_call_s": t4 - t3, "first_inference_s": t5 - t4}


def _run(cell: str, dtype: str, cache: str) -> dict:
    out = subprocess.run([sys.executable, __file__, "--worker", cell, dtype], capture_output=True, text=True,
                         env=dict(os.environ, SYMRNN_CACHE_DIR=cache), check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cells", nargs="+", default=list(CELLS), choices=list(CELLS))
    ap.add_argument("--dtypes", nargs="+", default=["float32"], choices=["float32", "float64"])
    ap.add_argument("--rounds", type=int, default=2, help="fresh cache directories per cell and dtype")
    ap.add_argument("--worker", nargs=2, metavar=("CELL", "DTYPE"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(*args.worker)))
        return 0
    try:
        import numba  # noqa: F401
    except ImportError:
        print("bench_compile needs numba: pip install symrnn[fast]")
        return 1
    print(f"{'cell':14} {'dtype':8} {'first compile s':>15} {'+ first calls s':>15} {'cached load s':>13} "
          f"{'+ first calls s':>15} {'import numba s':>14}")
    for cell in args.cells:
        for dtype in args.dtypes:
            cold, warm = [], []
            for _ in range(args.rounds):
                with tempfile.TemporaryDirectory(prefix="symrnn-bench-compile-") as cache:
                    cold.append(_run(cell, dtype, cache))
                    warm.append(_run(cell, dtype, cache))
            med = lambda runs, k: statistics.median(r[k] for r in runs)  # noqa: E731
            calls = lambda runs: statistics.median(r["first_call_s"] + r["first_inference_s"] for r in runs)  # noqa: E731
            print(f"{cell:14} {dtype:8} {med(cold, 'compile_s'):15.2f} {calls(cold):15.2f} "
                  f"{med(warm, 'compile_s'):13.2f} {calls(warm):15.2f} "
                  f"{med(cold + warm, 'import_numba_s'):14.2f}", flush=True)
    print(f"(median of {args.rounds} fresh cache directories; 'first calls' = first forward+backward and first "
          "tape-free forward, T = 5, B = 2, H = D = 32)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
