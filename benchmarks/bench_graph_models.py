"""Graph models (issue 8): the GraphRNN-S generation demo and the spatial-temporal kernels' speed.

Demo: GraphRNN-S (``symrnn.graphs.train_graphrnn``) is trained on a synthetic family —
ladders ``nx.ladder_graph(n)``, n = 3..8, or 2-D grids ``nx.grid_2d_graph(a, b)``,
2 ≤ a ≤ b ≤ 4 — and ``--samples`` graphs are sampled.  The statistic is the
total-variation distance between the pooled degree distributions of the samples
and of the training graphs (``degree_distance``; 0 = identical, 1 = disjoint),
against Erdős–Rényi graphs with the training sizes and pooled edge density
(``erdos_renyi_like``).  Also reported: mean node count and the fraction of
samples isomorphic to some training graph.

GAE / VGAE (``--gae``): link prediction on Zachary's karate club (PyG's autoencoder
example in miniature): 1/7 of the edges held out with as many non-edges, a GCN encoder
(34 → 16 → 8, one-hot features) trained 200 Adam steps on the rest with fresh negative
edges each step (PyG loss convention); AUC and AP on the held-out pairs.

Speed (``--speed``): GConvGRU forward+backward (``gconv_gru_forward`` +
``graph_recurrent_backward``) against PyTorch autograd over PyG ``ChebConv`` compositions
on the same random graph, as a ratio of medians (> 1: symrnn faster).

Run: ``python benchmarks/bench_graph_models.py [--family ladder grid] [--seeds 0 1 2] [--epochs 400]
[--samples 100] [--gae] [--speed] [--json FILE]``
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import networkx as nx
import numpy as np

from symrnn.graphs import generation as gen

FAMILIES = {
    "ladder": lambda: [nx.ladder_graph(n) for n in range(3, 9)],
    "grid": lambda: [nx.convert_node_labels_to_integers(nx.grid_2d_graph(a, b))
                     for a in range(2, 5) for b in range(a, 5)],
}


def demo(family: str, seed: int, epochs: int, samples: int) -> dict:
    train = FAMILIES[family]()
    t0 = time.perf_counter()
    model, losses = gen.train_graphrnn(train, hidden=32, epochs=epochs, lr=0.01, rng=seed)
    seconds = time.perf_counter() - t0
    drawn = gen.sample_graphs(model, samples, max_nodes=3 * max(len(G) for G in train), rng=seed + 1000)
    er = gen.erdos_renyi_like(train, samples, rng=seed + 1000)
    return {
        "family": family, "seed": seed, "M": model.M, "epochs": epochs, "train_seconds": round(seconds, 2),
        "loss_first": round(losses[0], 4), "loss_last": round(losses[-1], 4),
        "degree_tv_graphrnn": round(gen.degree_distance(drawn, train), 4),
        "degree_tv_erdos_renyi": round(gen.degree_distance(er, train), 4),
        "mean_nodes_train": round(float(np.mean([len(G) for G in train])), 2),
        "mean_nodes_graphrnn": round(float(np.mean([len(G) for G in drawn])), 2),
        "isomorphic_to_a_training_graph": round(float(np.mean(
            [any(nx.is_isomorphic(G, H) for H in train) for G in drawn])), 3),
    }


def gae_demo(seed: int = 0, epochs: int = 200) -> list:
    from symrnn.experiments import Adam
    from symrnn.graphs import autoencoder as ae
    from symrnn.graphs import backward

    G = nx.karate_club_graph()
    rng = np.random.default_rng(seed)
    edges = [tuple(e) for e in rng.permutation(np.array(G.edges))]
    n_test = len(edges) // 7
    train = nx.Graph()
    train.add_nodes_from(G)
    train.add_edges_from(edges[n_test:])
    non_edges = [(u, v) for u in G for v in G if u < v and not G.has_edge(u, v)]
    test_pos = np.array(edges[:n_test]).T
    test_neg = np.array([non_edges[i] for i in rng.choice(len(non_edges), n_test, replace=False)]).T
    X, rows = np.eye(len(G)), []
    for variational in (False, True):
        p = ae.gae_params(len(G), 16, 8, variational=variational, rng=seed)
        opt = Adam(p, lr=0.01)
        for step in range(epochs):
            neg = ae.negative_edges(train, 2 * train.number_of_edges(), rng=rng)
            noise = rng.normal(size=(len(G), 8)) if variational else None
            loss, _, call = ae.gae_forward(train, X, p, neg_edges=neg, noise=noise)
            grads = backward(call)  # the generated reverse mode of the loss
            grads.pop("X")
            opt.step(grads)
        _, Z, _ = ae.gae_forward(train, X, p, neg_edges=neg)  # ε = 0: Z = μ
        auc, ap = ae.link_prediction_scores(Z, test_pos, test_neg)
        rows.append({"model": "VGAE" if variational else "GAE", "final_loss": round(loss, 4),
                     "test_auc": round(auc, 4), "test_ap": round(ap, 4), "held_out_edges": n_test})
    return rows


def speed(repeat: int = 5) -> dict:
    import torch
    from torch_geometric.nn import ChebConv

    from symrnn.graphs.temporal import gconv_gru_forward, graph_recurrent_backward, graph_gru_params

    torch.set_default_dtype(torch.float64)
    G = nx.gnm_random_graph(500, 2000, seed=0)
    T, F, H, K = 12, 8, 32, 3
    rng = np.random.default_rng(0)
    xs, p = rng.normal(size=(T, 500, F)), graph_gru_params(F, H, K)
    ei = torch.tensor([(u, v) for u, v in G.edges] + [(v, u) for u, v in G.edges]).T
    convs = {(g, s): ChebConv(F if s == "x" else H, H, K) for g in "rzn" for s in "xh"}

    def ours():
        hs, tape = gconv_gru_forward(G, xs, p)
        graph_recurrent_backward(tape, np.ones_like(hs))

    def theirs():
        X, h, out = torch.tensor(xs), torch.zeros(500, H), []
        for t in range(T):
            z = torch.sigmoid(convs["z", "x"](X[t], ei) + convs["z", "h"](h, ei))
            r = torch.sigmoid(convs["r", "x"](X[t], ei) + convs["r", "h"](h, ei))
            n = torch.tanh(convs["n", "x"](X[t], ei) + convs["n", "h"](h * r, ei))
            h = z * h + (1 - z) * n
            out.append(h)
        torch.stack(out).sum().backward()

    times = {"symrnn": [], "torch_pyg": []}
    for _ in range(repeat):
        for name, fn in (("symrnn", ours), ("torch_pyg", theirs)):
            t0 = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t0)
    med = {k: statistics.median(v) for k, v in times.items()}
    return {"workload": f"N=500, E=2000, T={T}, F={F}, H={H}, K={K}, forward+backward",
            "median_seconds": {k: round(v, 4) for k, v in med.items()},
            "speedup_vs_torch_pyg": round(med["torch_pyg"] / med["symrnn"], 2)}


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--family", nargs="+", default=["ladder", "grid"], choices=sorted(FAMILIES))
    ap.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    ap.add_argument("--epochs", type=int, default=400)
    ap.add_argument("--samples", type=int, default=100)
    ap.add_argument("--gae", action="store_true")
    ap.add_argument("--speed", action="store_true")
    ap.add_argument("--json")
    args = ap.parse_args(argv)
    out = {"demo": [demo(f, s, args.epochs, args.samples) for f in args.family for s in args.seeds]}
    for row in out["demo"]:
        print(row)
    if args.gae:
        out["gae"] = gae_demo()
        for row in out["gae"]:
            print(row)
    if args.speed:
        out["speed"] = speed()
        print(out["speed"])
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(out, fh, indent=1)
    return out


if __name__ == "__main__":
    main()
