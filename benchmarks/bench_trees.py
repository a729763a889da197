"""Benchmark: the level-batched tree kernel against per-node recursion (issue 6).

Targets: at least 20× faster than per-node recursion at 1e5 nodes; cost
linear in the number of nodes.

Workloads, float64, D = H = 32, the same parameters and trees for both sides:

* ``random`` — one random recursive tree (each new node picks a uniformly
  random parent among the nodes with fewer than N children; N = 2 for the
  binary Tree-LSTM, 4 for Child-Sum): height O(log n);
* ``forest`` — n/50 such trees of 50 nodes each (a batch of parse-tree-sized
  trees), run at once.

Timed: the kernel's forward (``TreeKernel.forward`` on a prebuilt Forest),
forward+backward, and the per-node recursion (``symrnn.trees.reference``,
one NumPy matrix-vector product per gate and node, post-order), both on the
same validated trees; validation + level layout (``trees.forest``) is
reported on its own — it is per-node Python work shared by any method.  Runs are
interleaved (kernel, kernel forward+backward, reference, repeat) and the
median taken; the reference runs ``--repeat // 2`` times (at least once):
at 1e5 nodes it takes seconds.  Growth: the exponent of a least-squares fit of
log(time) on log(n) (1.0 = linear).

BLAS threads: ``--threads`` (default 1) sets ``OPENBLAS_NUM_THREADS`` /
``OMP_NUM_THREADS`` / ``MKL_NUM_THREADS`` before NumPy loads, for both sides.
On a small shared machine a multi-threaded OpenBLAS spends milliseconds per
call synchronising threads (measured here: a 300×32 by 32×96 GEMM took 4 ms
threaded, 0.05 ms on one thread), which swamps per-level GEMMs; pass
``--threads 0`` to leave the library default.

Run: ``python benchmarks/bench_trees.py [--nodes 1000 10000 100000] [--repeat 3] [--threads 1] [--json FILE]``
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time


def _threads_from_argv(argv) -> None:
    """Apply ``--threads N`` before NumPy is imported (BLAS reads it at load time)."""
    n = "1"
    if "--threads" in argv:
        n = argv[argv.index("--threads") + 1]
    if n != "0":
        for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ[var] = n


_threads_from_argv(sys.argv)

import networkx as nx  # noqa: E402
import numpy as np  # noqa: E402

from symrnn import trees  # noqa: E402
from symrnn._io import atomic_write  # noqa: E402

D = H = 32


def random_tree(n: int, max_children: int, rng) -> nx.DiGraph:
    parent = np.empty(n, dtype=np.int64)
    open_, kids = [0], np.zeros(n, dtype=np.int64)
    for v in range(1, n):
        k = rng.integers(len(open_))
        u = open_[k]
        parent[v] = u
        kids[u] += 1
        if kids[u] == max_children:
            open_[k] = open_[-1]
            open_.pop()
        open_.append(v)
    G = nx.DiGraph()
    G.add_nodes_from(range(n))
    G.add_edges_from(zip(parent[1:], range(1, n)))
    X = rng.normal(size=(n, D))
    nx.set_node_attributes(G, dict(enumerate(X)), "x")
    return G


def workload(kind: str, n: int, max_children: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    if kind == "random":
        return [random_tree(n, max_children, rng)]
    return [random_tree(50, max_children, rng) for _ in range(n // 50)]


def _time(fn, repeat):
    out = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return statistics.median(out)


def measure(model, kind: str, n: int, repeat: int) -> dict:
    N = model.arity or 4
    ts = workload(kind, n, N)
    t0 = time.perf_counter()
    f = trees.forest(ts)
    layout = time.perf_counter() - t0
    k = trees.compile_tree(model, D=D, H=H)
    p = k.init_params(rng=0)
    run = k.forward(p, f)  # warm-up
    grads = {s: np.ones_like(v) for s, v in run.states.items()}
    ref_repeat = max(1, repeat // 2)
    fwd, fb, ref = [], [], []
    for r in range(repeat):  # interleaved, so a change in machine load hits both sides
        fwd.append(_time(lambda: k.forward(p, f), 1))
        fb.append(_time(lambda: k.backward(k.forward(p, f), grads), 1))
        if r < ref_repeat:
            ref.append(_time(lambda: trees.reference.run_forest(model, p, f), 1))
    fwd, fb, ref = statistics.median(fwd), statistics.median(fb), statistics.median(ref)
    check = trees.reference.run_forest(model, p, f)
    err = max(float(np.max(np.abs(run.states[s] - check[s]))) for s in check)
    return {"model": model.name, "workload": kind, "nodes": f.size, "levels": f.levels, "layout_s": layout,
            "forward_s": fwd, "forward_backward_s": fb, "per_node_recursion_s": ref,
            "speedup_forward": ref / fwd, "max_abs_error": err}


def growth(rows, key):
    x = np.log([r["nodes"] for r in rows])
    y = np.log([r[key] for r in rows])
    return float(np.polyfit(x, y, 1)[0])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--nodes", type=int, nargs="+", default=[1000, 10_000, 100_000])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--threads", default="1", help="BLAS threads for both sides (0: library default)")
    ap.add_argument("--json", default=None)
    args = ap.parse_args(argv)
    rows = []
    for model in (trees.child_sum_tree_lstm(), trees.nary_tree_lstm(2)):
        for kind in ("random", "forest"):
            block = []
            for n in args.nodes:
                r = measure(model, kind, n, args.repeat)
                block.append(r)
                print(f"{r['model']:22s} {kind:7s} n={r['nodes']:>7d} levels={r['levels']:>3d} "
                      f"layout {r['layout_s']:.3f}s  fwd {r['forward_s']:.4f}s  fwd+bwd {r['forward_backward_s']:.4f}s  "
                      f"per-node {r['per_node_recursion_s']:.3f}s  speed-up {r['speedup_forward']:.1f}x  "
                      f"err {r['max_abs_error']:.1e}", flush=True)
            if len(block) > 1:
                keys = ("forward_s", "forward_backward_s", "per_node_recursion_s", "layout_s")
                g = {k: growth(block, k) for k in keys}
                top = {k: growth(block[-2:], k) for k in keys}
                print("  growth exponents (time ~ n^a), all sizes: " + ", ".join(f"{k} {v:.2f}" for k, v in g.items()))
                print("                   largest two sizes: " + ", ".join(f"{k} {v:.2f}" for k, v in top.items()))
                print("  kernel forward per node: " + ", ".join(
                    f"{r['nodes']}: {1e6 * r['forward_s'] / r['nodes']:.2f} us" for r in block))
                for r in block:
                    r["growth"] = g
            rows.extend(block)
    print(f"(float64, D = H = 32; time = median of {args.repeat} interleaved runs, "
          f"the per-node recursion {max(1, args.repeat // 2)}; "
          f"BLAS threads: {os.environ.get('OPENBLAS_NUM_THREADS', 'library default')})")
    if args.json:
        atomic_write(args.json, json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
