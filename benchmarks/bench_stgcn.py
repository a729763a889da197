"""Benchmark: STGCN's ST-Conv block, forward + backward, symrnn against PyG-Temporal's STConv (issue 19, item 5).

Target: ≤ 1.0× STConv's time at 10⁵ nodes.  A random undirected weighted graph
(average degree 10, no self-loops), B = 1 sequence of T = 12 steps, F = 2 input,
H = 16 hidden and G = 16 output features, Kt = 3, K = 3, float64 on both sides,
the same parameters, inputs and upstream gradient; STConv in evaluation mode
(as symrnn's block, :mod:`symrnn.graphs.stgcn`).  Both sides build their graph
normalisation inside each call (STConv's ChebConv recomputes it for every time
step; symrnn builds the operators and the entries of L̃ once per call).  Each
implementation runs in its own process (PyTorch's OpenMP threads would slow
what runs next in the same process), the processes alternating for ``--rounds``
rounds; the figure is the median of every run, and the ratio is symrnn / STConv.

Run: ``python benchmarks/bench_stgcn.py [--nodes 10000 100000] [--repeat 3] [--rounds 2] [--json FILE]``
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

B, T, F, H, G, KT, K, DEGREE = 1, 12, 2, 16, 16, 3, 3, 10


def graph(n: int, seed: int = 0):
    """(src, dst, weight): an undirected random graph, both directions listed with one weight."""
    rng = np.random.default_rng(seed)
    a, b = rng.integers(0, n, n * DEGREE // 2), rng.integers(0, n, n * DEGREE // 2)
    a, b = a[a != b], b[a != b]
    key = np.unique(np.minimum(a, b) * n + np.maximum(a, b))
    w = rng.uniform(0.2, 2.0, key.size)
    lo, hi = key // n, key % n
    return np.concatenate([lo, hi]), np.concatenate([hi, lo]), np.concatenate([w, w])


def _stconv(n):
    import torch

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    import pyg_temporal

    torch.manual_seed(0)
    return pyg_temporal.load("nn/attention/stgcn").STConv(n, F, H, G, KT, K).double().eval()


def _step(impl: str, n: int):
    """One forward+backward of ``impl`` ("ours" or "stconv") at ``n`` nodes, as a function."""
    import torch

    src, dst, w = graph(n)
    rng = np.random.default_rng(1)
    X, dY = rng.normal(size=(B, T, n, F)), rng.normal(size=(B, T - 2 * (KT - 1), n, G))
    model = _stconv(n)
    if impl == "stconv":
        ei, ew = torch.from_numpy(np.stack([src, dst])), torch.tensor(w, requires_grad=True)
        x, dYt = torch.tensor(X, requires_grad=True), torch.tensor(dY)

        def step():
            x.grad = ew.grad = None
            model.zero_grad(set_to_none=True)
            model(x, ei, ew).backward(dYt)
        return step
    import symrnn
    from symrnn.graphs import from_edges
    from symrnn.graphs.stgcn import stgcn
    from symrnn.graphs.stgcn_run import stgcn_backward, stgcn_forward

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from test_stgcn import _params  # STConv's parameters under the description's names

    kernel = symrnn.compile(stgcn(KT, K), F=F, H=H, G=G)
    kernel.params = _params(model, KT, K)
    g = from_edges(src, dst, n, w)

    def step():
        g._cache.clear()
        stgcn_backward(stgcn_forward(kernel, g, X)[1], dY)
    return step


def worker(impl: str, n: int, repeat: int) -> dict:
    _step(impl, 300)()  # warm-up: lazy imports, generated kernels, thread pools
    step, times = _step(impl, n), []
    for _ in range(repeat):
        t = time.perf_counter()
        step()
        times.append(time.perf_counter() - t)
    return {"times": times}


def _own_process(impl, n, repeat) -> list:
    out = subprocess.run([sys.executable, __file__, "--worker", impl, str(n), "--repeat", str(repeat)],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])["times"]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--nodes", type=int, nargs="+", default=[10_000, 100_000])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--json")
    ap.add_argument("--worker", nargs=2, metavar=("IMPL", "N"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(args.worker[0], int(args.worker[1]), args.repeat)))
        return 0
    rows = []
    print(f"{'nodes':>7} {'symrnn s':>9} {'STConv s':>9} {'ratio':>6}")
    for n in args.nodes:
        times = {"ours": [], "stconv": []}
        for _ in range(args.rounds):  # alternate the processes so a change in load hits both
            for impl in times:
                times[impl] += _own_process(impl, n, args.repeat)
        ours, theirs = statistics.median(times["ours"]), statistics.median(times["stconv"])
        rows.append({"nodes": n, "ours_seconds": ours, "stconv_seconds": theirs, "ratio": ours / theirs})
        print(f"{n:7d} {ours:9.3f} {theirs:9.3f} {ours / theirs:6.2f}", flush=True)
    print(f"(B = {B}, T = {T}, F = {F}, H = {H}, G = {G}, Kt = {KT}, K = {K}, float64, forward+backward; "
          f"ratio = symrnn / STConv, median over {args.rounds} alternating processes × {args.repeat} runs)")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
