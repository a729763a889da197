"""Benchmark: do GraphRNN's samples match their training family better than Erdős–Rényi graphs? (issue 19)

Small scale, as in You et al. 2018 §4 (their "ladder" and "grid" families
shrunk): train the full GraphRNN (:mod:`symrnn.graphs.graphrnn`) and
GraphRNN-S (:mod:`symrnn.graphs.generation`) on 2-D grids and ladders, draw
graphs from each, and report the degree and clustering MMD² (:mod:`symrnn.graphs.mmd`)
of each family of samples against held-out graphs of the training family —
beside Erdős–Rényi graphs with the family's sizes and edge density.  Lower is
better; one seed per run, ``--seeds`` repeats with others and reports each.

Run: ``python benchmarks/bench_graphrnn.py [--epochs 300] [--samples 64] [--seeds 3]``
"""

from __future__ import annotations

import argparse
import time

import networkx as nx
import numpy as np


def family():
    """Grids 2..5 × 3..6 and ladders of 3..10 rungs (connected, 6–30 nodes), split 4:1 into train and test."""
    graphs = [nx.convert_node_labels_to_integers(nx.grid_2d_graph(a, b)) for a in range(2, 6) for b in range(3, 7)]
    graphs += [nx.ladder_graph(k) for k in range(3, 11)]
    rng = np.random.default_rng(0)
    order = rng.permutation(len(graphs))
    test = [graphs[k] for k in order[: len(graphs) // 5]]
    train = [graphs[k] for k in order[len(graphs) // 5:]]
    return train, test


def run(epochs: int, samples: int, seed: int, hidden: int) -> dict:
    from symrnn.graphs.generation import erdos_renyi_like, sample_graphs, train_graphrnn
    from symrnn.graphs.graphrnn import sample_full_graphrnn, train_full_graphrnn
    from symrnn.graphs.mmd import clustering_mmd, degree_mmd

    train, test = family()
    max_nodes = max(len(G) for G in train) + 4
    out = {}
    t = time.perf_counter()
    full, losses = train_full_graphrnn(train, hidden=hidden, epochs=epochs, rng=seed)
    out["GraphRNN"] = (sample_full_graphrnn(full, samples, max_nodes=max_nodes, rng=seed), losses[-1],
                       time.perf_counter() - t)
    t = time.perf_counter()
    simple, losses = train_graphrnn(train, hidden=hidden, epochs=epochs, rng=seed)
    out["GraphRNN-S"] = (sample_graphs(simple, samples, max_nodes=max_nodes, rng=seed), losses[-1],
                         time.perf_counter() - t)
    out["Erdős–Rényi"] = (erdos_renyi_like(train, samples, rng=seed), float("nan"), 0.0)
    return {name: {"degree": degree_mmd(g, test), "clustering": clustering_mmd(g, test), "loss": loss,
                   "seconds": secs, "mean nodes": float(np.mean([len(G) for G in g]))}
            for name, (g, loss, secs) in out.items()}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=300)
    ap.add_argument("--samples", type=int, default=64)
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--hidden", type=int, default=32)
    args = ap.parse_args(argv)
    train, test = family()
    print(f"train {len(train)} graphs, test {len(test)}; {args.epochs} epochs, hidden {args.hidden}, "
          f"{args.samples} samples per model")
    print(f"{'seed':>4}  {'model':<12} {'degree MMD²':>12} {'clustering MMD²':>16} {'final loss':>10} "
          f"{'train s':>8} {'mean nodes':>10}")
    for seed in range(args.seeds):
        for name, r in run(args.epochs, args.samples, seed, args.hidden).items():
            print(f"{seed:>4}  {name:<12} {r['degree']:>12.4f} {r['clustering']:>16.4f} {r['loss']:>10.4f} "
                  f"{r['seconds']:>8.1f} {r['mean nodes']:>10.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
