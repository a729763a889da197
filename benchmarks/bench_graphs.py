"""Benchmark: GCN, GAT, GraphSAGE, GIN and GGNN layers, forward + backward, against PyTorch Geometric on the CPU (issues 7, 19).

Targets: ≤ 1.2× PyG's time for forward+backward; memory linear in the number
of edges.  Random undirected graphs (no self-loops), average degree 10, 64
input and 64 output features (GAT: 8 heads × 8 channels, concatenated; GraphSAGE:
mean aggregator with root weight, PyG ``SAGEConv``; GIN: ε = 0, MLP 64 → 64 → 64, PyG ``GINConv``;
GGNN: 2 propagation steps, PyG ``GatedGraphConv``; its edge weights' gradient is skipped, as PyG computes none),
float64 on both sides, the same edges, features and upstream gradients.

Memory: each (implementation, layer, size) runs in its own process; after a
small warm-up (lazy imports, thread pools) the peak RSS is reset
(``/proc/self/clear_refs``) and one forward+backward is measured as peak RSS
minus the RSS before it (``MALLOC_MMAP_THRESHOLD_`` is fixed so large buffers
go back to the OS on both sides).  Time: each implementation in its own
process (PyTorch's OpenMP threads spin after each op and would slow whatever
runs next in the same process), processes alternating for ``--rounds`` rounds so
a change in machine load hits both; median of all runs, each process's first
step at the measured size untimed on both sides (until 2026-12-01 it was timed:
the first touch of a fresh process's memory cost symrnn's GGNN 4.3 s against
2.2-2.6 s for the steps after it, PyTorch's first step no more than its others).  Both redo their graph
normalisation every call (PyG's default ``cached=False``; our per-graph
operator cache is cleared).  Our sparse products use ``SYMRNN_THREADS`` threads
(default: the CPU count), PyTorch its default thread count.

Run: ``python benchmarks/bench_graphs.py [--nodes 10000 100000] [--repeat 5] [--json FILE]``
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import numpy as np

DEGREE, FEATURES, HEADS, GGNN_STEPS = 10, 64, 8, 2
LAYERS = ("gcn", "gat", "graphsage", "gin", "ggnn")


def edges(n: int, seed: int = 0):
    """Undirected random graph, both directions listed, no self-loops or duplicates."""
    rng = np.random.default_rng(seed)
    m = n * DEGREE // 2
    a, b = rng.integers(0, n, m), rng.integers(0, n, m)
    keep = a != b
    a, b = a[keep], b[keep]
    key = np.unique(np.concatenate([a * n + b, b * n + a]))
    return key // n, key % n


def _rss(field: str) -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field):
                return int(line.split()[1]) * 1024
    return 0


def _reset_peak() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


def _ours(layer, n, src, dst, X, dY, rng):
    from symrnn import graphs
    from symrnn.graphs.ggnn import ggnn_forward, ggnn_params
    from symrnn.graphs.gin import gin_forward
    from symrnn.graphs.graphsage import graphsage_forward

    g = graphs.from_edges(src, dst, n)
    W, b = rng.normal(size=(FEATURES, FEATURES)), rng.normal(size=FEATURES)
    if layer == "gcn":
        run = lambda: graphs.gcn_forward(g, X, W, b)  # noqa: E731
    elif layer == "gat":
        C = FEATURES // HEADS
        a_s, a_d = rng.normal(size=(HEADS, C)), rng.normal(size=(HEADS, C))
        run = lambda: graphs.gat_forward(g, X, W, a_s, a_d, b)  # noqa: E731
    elif layer == "graphsage":  # mean aggregator, root weight
        W_r = rng.normal(size=(FEATURES, FEATURES))
        run = lambda: graphsage_forward(g, X, W, b, W_r)  # noqa: E731
    elif layer == "gin":  # MLP Linear(F, F) → ReLU → Linear(F, F), ε = 0
        Ws, bs = [W, rng.normal(size=(FEATURES, FEATURES))], [b, rng.normal(size=FEATURES)]
        run = lambda: gin_forward(g, X, Ws, bs)  # noqa: E731
    else:  # ggnn: GGNN_STEPS propagation steps, H = F
        H = FEATURES
        p = ggnn_params(rng.normal(size=(GGNN_STEPS, H, H)) / H, rng.normal(size=(3 * H, H)) / H,
                        rng.normal(size=(3 * H, H)) / H, rng.normal(size=3 * H), rng.normal(size=3 * H))
        run = lambda: ggnn_forward(g, X, p)  # noqa: E731

    skip = ["edge_weight"] if layer == "ggnn" else []  # PyG's GatedGraphConv has no edge-weight gradient

    def step():
        g._cache.clear()
        Y, tape = run()
        return graphs.backward(tape, dY, skip=skip)
    return step


def _pyg(layer, n, src, dst, X, dY, rng):
    import torch
    from torch_geometric.nn import GATConv, GatedGraphConv, GCNConv, GINConv, SAGEConv

    ei = torch.from_numpy(np.stack([src, dst]).astype(np.int64))
    F = FEATURES
    conv = {"gcn": lambda: GCNConv(F, F), "gat": lambda: GATConv(F, F // HEADS, heads=HEADS),
            "graphsage": lambda: SAGEConv(F, F),
            "gin": lambda: GINConv(torch.nn.Sequential(torch.nn.Linear(F, F), torch.nn.ReLU(), torch.nn.Linear(F, F))),
            "ggnn": lambda: GatedGraphConv(F, num_layers=GGNN_STEPS)}
    conv = conv[layer]().double()
    x = torch.tensor(X, requires_grad=True)
    dYt = torch.tensor(dY)

    def step():
        x.grad = None
        conv.zero_grad(set_to_none=True)
        conv(x, ei).backward(dYt)
        return x.grad
    return step


def _setup(impl, layer, n, rng):
    make = _ours if impl == "ours" else _pyg
    small = edges(200)
    make(layer, 200, *small, rng.normal(size=(200, FEATURES)), rng.normal(size=(200, FEATURES)), rng)()  # warm-up
    src, dst = edges(n)
    X, dY = np.random.default_rng(2).normal(size=(2, n, FEATURES))
    return make(layer, n, src, dst, X, dY, rng), int(src.size)


def memory_worker(impl: str, layer: str, n: int) -> dict:
    """Peak RSS of one forward+backward above the RSS before it (own process, inputs already built)."""
    step, E = _setup(impl, layer, n, np.random.default_rng(1))
    ok = _reset_peak()
    base = _rss("VmRSS")
    step()
    return {"impl": impl, "peak_bytes": _rss("VmHWM") - base if ok else -1, "edges": E}


def time_worker(impl: str, layer: str, n: int, repeat: int) -> dict:
    """Seconds of ``repeat`` forward+backward runs of one implementation (own process)."""
    step, _ = _setup(impl, layer, n, np.random.default_rng(1))
    step()  # one untimed step at the measured size: a fresh process's first touch of its memory is not a step
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        step()
        times.append(time.perf_counter() - t)
    threads = None
    if impl == "pyg":
        import torch

        threads = torch.get_num_threads()
    return {"times": times, "torch_threads": threads}


def _sub(args, env=None) -> dict:
    out = subprocess.run([sys.executable, __file__, *map(str, args)], capture_output=True, text=True,
                         env=dict(os.environ, **(env or {})), check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def run_one(layer, n, repeat, rounds) -> dict:
    mem = {impl: _sub(["--memory", impl, layer, n], {"MALLOC_MMAP_THRESHOLD_": "131072"}) for impl in ("ours", "pyg")}
    times = {"ours": [], "pyg": []}
    threads = None
    for _ in range(rounds):  # alternate processes so a change in machine load hits both alike
        for impl in ("ours", "pyg"):
            t = _sub(["--time", impl, layer, n, "--repeat", repeat])
            times[impl] += t["times"]
            threads = t["torch_threads"] or threads
    return {"layer": layer, "nodes": n, "edges": mem["ours"]["edges"],
            "ours_seconds": statistics.median(times["ours"]), "pyg_seconds": statistics.median(times["pyg"]),
            "ours_peak_bytes": mem["ours"]["peak_bytes"], "pyg_peak_bytes": mem["pyg"]["peak_bytes"],
            "torch_threads": threads}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--nodes", type=int, nargs="+", default=[10_000, 100_000])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--layers", nargs="+", default=list(LAYERS), choices=list(LAYERS))
    ap.add_argument("--json")
    ap.add_argument("--memory", nargs=3, metavar=("IMPL", "LAYER", "N"), help=argparse.SUPPRESS)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--time", nargs=3, metavar=("IMPL", "LAYER", "N"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.memory:
        impl, layer, n = args.memory
        print(json.dumps(memory_worker(impl, layer, int(n))))
        return 0
    if args.time:
        print(json.dumps(time_worker(args.time[0], args.time[1], int(args.time[2]), args.repeat)))
        return 0
    try:
        import torch_geometric  # noqa: F401
    except ImportError:
        print("bench_graphs needs the bench extras (torch, torch_geometric): pip install symrnn[bench]")
        return 1
    rows = []
    print(f"{'layer':9} {'nodes':>7} {'edges':>8} {'ours s':>8} {'PyG s':>8} {'time ×':>7} "
          f"{'ours MB':>8} {'PyG MB':>8} {'mem ×':>6} {'ours B/edge':>11}")
    for layer in args.layers:
        for n in args.nodes:
            r = run_one(layer, n, args.repeat, args.rounds)
            rows.append(r)
            print(f"{layer:9} {n:7d} {r['edges']:8d} {r['ours_seconds']:8.3f} {r['pyg_seconds']:8.3f} "
                  f"{r['ours_seconds'] / r['pyg_seconds']:7.2f} {r['ours_peak_bytes'] / 2**20:8.1f} "
                  f"{r['pyg_peak_bytes'] / 2**20:8.1f} {r['ours_peak_bytes'] / max(r['pyg_peak_bytes'], 1):6.2f} "
                  f"{r['ours_peak_bytes'] / r['edges']:11.1f}", flush=True)
    print(f"(torch threads: {rows[0]['torch_threads']}; float64; forward+backward incl. normalisation; "
          f"time = median over {args.rounds} alternating processes × {args.repeat} runs)")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(rows, fh, indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
