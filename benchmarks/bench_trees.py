"""Benchmark: symrnn's tree kernels end to end against a level-batched PyTorch Tree-LSTM (issue 21).

Every figure comes from a fresh process (``benchmarks/tree_worker.py``), one
per implementation, workload and repeat; the order of the implementations
alternates between repeats.  This parent process imports neither torch nor
symrnn's kernels and times nothing itself.

Implementations, all from the same bulk input (a parent array, ``-1`` for
roots; features (N, D); child positions for the N-ary model):

* ``symrnn`` — ``trees.forest_from_parents`` (validation + layout), the
  kernel's forward and backward;
* ``torch`` — the peer of ``benchmarks/tree_torch.py``: its own levels with
  torch ops, then a level-batched Tree-LSTM (index_select / index_add /
  index_put, one matmul per weight group and level) and autograd;
* ``networkx`` — ``trees.forest`` on the same trees held as networkx
  graphs (layout only: what networkx input costs);
* ``recursion`` — symrnn's per-node recursion (forward only), at most
  ``--recursion-max`` nodes.

Before any timing, the outputs (h, c of every node) and every gradient
(parameters and features) of symrnn and the torch peer are compared at small
sizes for each model and workload: max |a − b| ≤ 1e-10 (float64), else the
run stops.

Workloads, float64, D = H = 32: ``tree`` — one random recursive tree (each
new node picks a uniformly random parent among the nodes with fewer than N
children; N = 2 for the binary N-ary Tree-LSTM, which gets a random free
position per child, 4 for Child-Sum); ``forest`` — n/50 such trees of 50
nodes.  Loss: Σ h ⊙ R over all nodes (R fixed, random).

Reported: per phase (layout, forward, backward) the median over processes of
each process's median; end to end (layout + forward + backward) and the ratio
symrnn / torch (median of the per-repeat ratios); layout alone and the growth
exponent of a least-squares fit of log(time) on log(n) (1.0 = linear), over
all sizes and over the largest two; forward speed-up over the per-node
recursion; each process's peak resident memory (VmHWM), symrnn / torch.

BLAS threads: ``--threads`` (default 1) sets ``OPENBLAS_NUM_THREADS`` /
``OMP_NUM_THREADS`` / ``MKL_NUM_THREADS`` for every worker and
``torch.set_num_threads`` for the torch one (on a small shared machine,
multi-threaded BLAS spends milliseconds per call synchronising threads on
per-level GEMMs); ``--threads 0`` leaves the library defaults.

Run: ``python benchmarks/bench_trees.py [--nodes 10000 100000 1000000] [--repeat 3] [--threads 1]
[--models child_sum nary2] [--workloads tree forest] [--json FILE]``
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
WORKER = HERE / "tree_worker.py"
D = H = 32
TOLERANCE = 1e-10
FOREST_TREE = 50
CHECK_SIZES = {"tree": 300, "forest": 6 * FOREST_TREE}


def random_parents(n: int, max_children: int, rng, *, positions: bool = False):
    """A random recursive tree on nodes 0 … n-1 (root 0): parents (and a random free slot per child)."""
    parent = np.full(n, -1, dtype=np.int64)
    slot = np.zeros(n, dtype=np.int64)
    open_, kids = [0], [0] * n
    free = {0: list(range(max_children))}
    u = rng.random((n, 2))
    for v in range(1, n):
        k = int(u[v, 0] * len(open_))
        p = open_[k]
        parent[v] = p
        if positions:
            slots = free[p]
            slot[v] = slots.pop(int(u[v, 1] * len(slots)))
            free[v] = list(range(max_children))
        kids[p] += 1
        if kids[p] == max_children:
            open_[k] = open_[-1]
            open_.pop()
        open_.append(v)
    return parent, slot


def workload(model: str, kind: str, n: int, seed: int = 0) -> dict:
    """Arrays of one workload: parents, positions (N-ary), X (n, D), R (n, H)."""
    rng = np.random.default_rng(seed)
    N = 4 if model == "child_sum" else int(model[4:])
    sizes = [n] if kind == "tree" else [FOREST_TREE] * (n // FOREST_TREE)
    parents, slots, start = [], [], 0
    for m in sizes:
        p, s = random_parents(m, N, rng, positions=model != "child_sum")
        parents.append(np.where(p >= 0, p + start, -1))
        slots.append(s)
        start += m
    out = {"parents": np.concatenate(parents), "X": rng.normal(size=(start, D)), "R": rng.normal(size=(start, H))}
    if model != "child_sum":
        out["positions"] = np.concatenate(slots)
    return out


def _env(threads: str) -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), str(HERE)] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    if threads != "0":
        for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            env[var] = threads
    return env


def spawn(spec: dict, threads: str = "1") -> dict:
    """One worker in a fresh process; its JSON answer plus ``process_s``."""
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, str(WORKER), json.dumps(spec)], capture_output=True, text=True,
                          env=_env(threads), check=False)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f"tree worker {spec['impl']} ({spec['mode']}) failed with exit code {proc.returncode}:\n"
                           f"{proc.stderr[-3000:]}")
    return json.loads(lines[-1]) | {"process_s": time.perf_counter() - t0}


def _save(tmp: Path, name: str, arrays: dict) -> str:
    path = tmp / f"{name}.npz"
    if not path.exists():
        np.savez(path, **arrays)
    return str(path)


def max_error(a: dict, b: dict) -> dict:
    """Per output and gradient of ``a``: max |a − b| (``inf`` where ``b`` lacks it or its shape differs)."""
    out = {}
    for group in ("states", "grads"):
        for k, v in a[group].items():
            x, y = np.asarray(v), np.asarray(b[group].get(k, np.nan))
            out[f"{group}.{k}"] = float(np.max(np.abs(x - y))) if x.shape == y.shape else float("inf")
    return out


def check(models, kinds, tmp: Path, threads: str) -> dict:
    """symrnn and the torch peer on small workloads: every output and gradient within :data:`TOLERANCE`."""
    worst = {}
    for m in models:
        for kind in kinds:
            path = _save(tmp, f"check-{m}-{kind}", workload(m, kind, CHECK_SIZES[kind], seed=7))
            spec = {"mode": "check", "model": m, "D": D, "H": H, "seed": 7, "data": path, "threads": threads}
            a, b = (spawn(spec | {"impl": impl}, threads) for impl in ("symrnn", "torch"))
            errs = max_error(a, b)
            key = max(errs, key=errs.get)
            worst[f"{m}/{kind}"] = {"max_abs_error": errs[key], "where": key, "levels": a["levels"]}
            if not errs[key] <= TOLERANCE:
                raise RuntimeError(f"bench_trees: the torch peer disagrees with symrnn on {m}/{kind}: "
                                   f"{key} differs by {errs[key]:.3g} (tolerance {TOLERANCE})")
    return worst


def growth(ns, ts) -> float:
    return float(np.polyfit(np.log(ns), np.log(ts), 1)[0])


def _median(xs):
    return float(np.median(xs)) if xs else None


def measure(m, kind, n, args, tmp: Path) -> dict:
    path = _save(tmp, f"{m}-{kind}-{n}", workload(m, kind, n))
    base = {"mode": "time", "model": m, "D": D, "H": H, "seed": 0, "data": path, "threads": args.threads,
            "budget_s": args.budget}
    impls = ["symrnn", "torch"] + ([] if args.no_networkx else ["networkx"])
    runs = {i: [] for i in impls + ["recursion"]}
    for r in range(args.repeat):
        for impl in impls if r % 2 == 0 else impls[::-1]:
            runs[impl].append(spawn(base | {"impl": impl}, args.threads))
        if n <= args.recursion_max and r < max(1, args.repeat // 2):
            runs["recursion"].append(spawn(base | {"impl": "recursion", "warmup": 0}, args.threads))
    phase = lambda impl, ph: _median([w["phases"][ph]["median_s"] for w in runs[impl]])  # noqa: E731
    row = {"model": m, "workload": kind, "nodes": n, "runs": runs}
    for impl in impls:
        row[impl] = {ph: phase(impl, ph) for ph in ("layout", "forward", "backward", "total")}
        row[impl]["peak_rss_mb"] = _median([w["peak_rss_mb"] for w in runs[impl] if w["peak_rss_mb"] is not None])
    pairs = [a["phases"]["total"]["median_s"] / b["phases"]["total"]["median_s"]
             for a, b in zip(runs["symrnn"], runs["torch"])]
    row["ratio_end_to_end"] = _median(pairs)
    row["recursion_forward_s"] = phase("recursion", "forward") if runs["recursion"] else None
    if row["recursion_forward_s"] is not None:
        row["speedup_forward"] = row["recursion_forward_s"] / row["symrnn"]["forward"]
    return row


def _print_row(r):
    s, t = r["symrnn"], r["torch"]
    nxl = f"  networkx layout {r['networkx']['layout']:.3f}s" if "networkx" in r else ""
    rec = f"  fwd speed-up over recursion {r['speedup_forward']:.1f}x" if r.get("speedup_forward") else ""
    print(f"{r['model']:9s} {r['workload']:6s} n={r['nodes']:>8d}  symrnn {s['total']:.4f}s "
          f"(layout {s['layout']:.4f} fwd {s['forward']:.4f} bwd {s['backward']:.4f})  torch {t['total']:.4f}s "
          f"(layout {t['layout']:.4f} fwd {t['forward']:.4f} bwd {t['backward']:.4f})  "
          f"symrnn/torch {r['ratio_end_to_end']:.2f}  peak memory {s['peak_rss_mb']:.0f} / {t['peak_rss_mb']:.0f} MB"
          f"{nxl}{rec}", flush=True)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--nodes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    ap.add_argument("--repeat", type=int, default=3, help="processes per implementation and workload")
    ap.add_argument("--threads", default="1", help="BLAS / torch threads of every worker (0: library default)")
    ap.add_argument("--models", nargs="+", default=["child_sum", "nary2"])
    ap.add_argument("--workloads", nargs="+", default=["tree", "forest"], choices=["tree", "forest"])
    ap.add_argument("--recursion-max", type=int, default=100_000, help="largest n timed with the per-node recursion")
    ap.add_argument("--no-networkx", action="store_true", help="skip the networkx-input layout")
    ap.add_argument("--budget", type=float, default=3.0, help="seconds of timed calls per process (3 to 10 calls)")
    ap.add_argument("--json", default=None, help="write every figure (and each worker's answer) to FILE")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench_trees_") as tmp:
        tmp = Path(tmp)
        agreement = check(args.models, args.workloads, tmp, args.threads)
        print("check before timing (symrnn vs torch peer, every output and gradient, float64): " + ", ".join(
            f"{k} {v['max_abs_error']:.1e}" for k, v in agreement.items()), flush=True)
        rows = []
        for m in args.models:
            for kind in args.workloads:
                block = [measure(m, kind, n, args, tmp) for n in args.nodes]
                for r in block:
                    _print_row(r)
                if len(block) > 1:
                    ns, lay = [r["nodes"] for r in block], [r["symrnn"]["layout"] for r in block]
                    g = {"all": growth(ns, lay), "largest_two": growth(ns[-2:], lay[-2:])}
                    print(f"  symrnn layout growth exponent: all sizes {g['all']:.2f}, largest two {g['largest_two']:.2f}")
                    for r in block:
                        r["layout_growth"] = g
                rows.extend(block)
    print(f"(float64, D = H = {D}; each figure: median over {args.repeat} processes of each process's median; "
          f"threads: {args.threads}; wall {time.perf_counter() - t0:.0f} s)")
    if args.json:
        sys.path.insert(0, str(ROOT))
        from symrnn._io import atomic_write

        atomic_write(args.json, json.dumps({"check": agreement, "rows": rows}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
