"""Time of one training step (forward + BPTT backward + Adam) of the generated kernels: GRU vs LSTM.

The study note's "fewer parameters, so it converges faster" has a wall-time reading; this measures
whether a GRU step is actually cheaper than an LSTM step with symrnn's kernels, as ratios measured in
the same run (models interleaved, median of repeats, BLAS threads as the environment sets them).

Usage: ``python benchmarks/bench_train_step.py [--repeats 7] [--steps 20] [--threads 1]``

BLAS threads: ``--threads`` (default 1) sets ``OPENBLAS_NUM_THREADS`` / ``OMP_NUM_THREADS`` /
``MKL_NUM_THREADS`` before NumPy loads (0 leaves the library default).  On this small shared machine
a two-threaded OpenBLAS made an LSTM step at H = 64 about ten times slower than one thread.
"""

import argparse
import os
import sys
import time

if __name__ == "__main__":
    _threads = "1"
    for i, a in enumerate(sys.argv):
        if a == "--threads" and i + 1 < len(sys.argv):
            _threads = sys.argv[i + 1]
    if _threads != "0":
        for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ.setdefault(var, _threads)

import numpy as np  # noqa: E402

import symrnn  # noqa: E402
from symrnn.experiments import Adam, Model, task  # noqa: E402

MODELS = ("lstm", "gru_reset_before", "gru_reset_after")
SIZES = ((30, 32, 16), (50, 32, 64), (50, 32, 128))  # (T, B, H); the first is the experiments' default


def step_seconds(models, batch, steps):
    out = {}
    for name, (model, opt) in models.items():
        start = time.perf_counter()
        for _ in range(steps):
            _, grads = model.loss_and_grads(*batch)
            opt.step(grads)
        out[name] = (time.perf_counter() - start) / steps
    return out


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=7)
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--threads", type=int, default=1, help="BLAS threads (0: library default)")
    args = p.parse_args(argv)
    print(f"{'T':>4} {'B':>4} {'H':>4}  " + "  ".join(f"{m:>18}" for m in MODELS) + "   (ms per step; ratio to lstm)")
    for T, B, H in SIZES:
        t = task("adding", length=T)
        models = {}
        for name in MODELS:
            m = Model(symrnn.cell(name), t, hidden=H, seed=0)
            models[name] = (m, Adam(m.params, lr=1e-4))
        batch = t.batch(0, B)
        step_seconds(models, batch, 2)  # warm-up
        runs = [step_seconds(models, batch, args.steps) for _ in range(args.repeats)]
        med = {n: float(np.median([r[n] for r in runs])) for n in MODELS}
        cells = [f"{1e3 * med[n]:8.2f} ({med[n] / med['lstm']:.2f}x)" for n in MODELS]
        print(f"{T:>4} {B:>4} {H:>4}  " + "  ".join(f"{c:>18}" for c in cells))


if __name__ == "__main__":
    main()
