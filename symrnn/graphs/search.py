"""Numeric search for counterexamples to graph claims on random graphs, with greedy shrinking.

Graphs come from :mod:`symrnn.testing.graphs` (hypothesis, derandomised, when installed; a seeded
NumPy generator otherwise) through :func:`symrnn.prove.numeric.find_counterexample`.  No
counterexample in n graphs is ``checked`` with n — never ``proved``.
"""

from __future__ import annotations

import networkx as nx
import numpy as np

from ..prove.numeric import find_counterexample
from ..prove.verdict import Result

__all__ = ["search", "then_kernel", "shrink"]


def _with_seed(strategy):
    from hypothesis import strategies as st

    return st.tuples(strategy, st.integers(0, (1 << 31) - 1))


def _np_example(rng, random_graph, **kw):
    from ..testing.graphs import GraphExample

    G = random_graph(rng, max_nodes=7, **kw)
    return GraphExample(G, rng.normal(size=(G.number_of_nodes(), 2)))


def _describe_case(case) -> dict:
    ex, seed = case
    return {"edges": [list(e) for e in ex.graph.edges(data="weight")], "nodes": list(ex.graph.nodes),
            "X": ex.X, "seed": seed}


def search(property_fn, *, examples: int, method: str, steps: list, graph_kw=None) -> Result:
    from ..testing.graphs import graph_examples, random_graph

    kw = graph_kw or {}
    case, n = find_counterexample(
        lambda: _with_seed(graph_examples(features=2, max_nodes=7, **kw)),
        lambda rng: (_np_example(rng, random_graph, **kw), int(rng.integers(1 << 31))),
        lambda c: not property_fn(*c), examples=examples)
    if case is not None:
        case = shrink(case, lambda c: not property_fn(*c))
        return Result("refuted", method, steps + ["counterexample simplified greedily (edges, nodes, features)"],
                      counterexample=_describe_case(case))
    return Result("checked", method, steps + [f"no counterexample in {n} random graphs"], examples=n)


def shrink(case, fails):
    """Greedy simplification while ``fails`` holds: drop edges, drop the last node, round features."""
    from ..testing.graphs import GraphExample

    ex, seed = case

    def attempt(G, X):
        nonlocal ex
        trial = (GraphExample(G, X), seed)
        try:
            ok = fails(trial)
        except Exception:  # a smaller case the layer refuses is not a counterexample
            ok = False
        if ok:
            ex = trial[0]
        return ok

    for u, v in list(ex.graph.edges()):
        G = ex.graph.copy()
        G.remove_edge(u, v)
        attempt(G, ex.X)
    for node in sorted(ex.graph.nodes, reverse=True):
        if ex.graph.number_of_nodes() > 1 and node in ex.graph:
            order = sorted(ex.graph.nodes)
            G = ex.graph.copy()
            G.remove_node(node)
            G = nx.relabel_nodes(G, {u: k for k, u in enumerate(sorted(G.nodes))})
            attempt(G, np.delete(ex.X, order.index(node), axis=0))
    G = ex.graph.copy()
    nx.set_edge_attributes(G, 1.0, "weight")
    attempt(G, ex.X)
    for fn in (lambda X: np.ones_like(X), lambda X: np.round(X, 1)):
        if attempt(ex.graph, fn(ex.X)):
            break
    return ex, seed


def then_kernel(method: str, steps: list, dims: tuple, holds, *, examples: int, label: str,
                 graph_kw=None) -> Result:
    """A symbolic small-size proof, completed by a numeric check of the kernel on random graphs."""
    numeric = search(holds, examples=examples, method="numeric search on random graphs", steps=[],
                      graph_kw=graph_kw)
    if numeric.status == "refuted":
        return numeric
    return Result("proved_for_dims", method, steps + [f"{label}: {numeric.steps[-1]}"], dims=dims)
