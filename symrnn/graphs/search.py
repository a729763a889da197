"""Numeric search for counterexamples to graph claims on random graphs, with greedy shrinking.

Graphs come from :func:`symrnn.testing.graphs.random_graph` with a generator seeded from the running
theorem (:func:`symrnn.prove.context.rng`), so a search gives the same verdict on every run.  A
violation found in floating point is a counterexample only when ``exact(case)`` — the claim
evaluated again at 60 digits by code of its own — confirms it; no counterexample in n graphs is
``checked`` with n, never ``proved``.
"""

from __future__ import annotations

import networkx as nx
import numpy as np

from ..prove.numeric import find_counterexample
from ..prove.verdict import Result

__all__ = ["search", "shrink", "describe_case"]


def _draw(kw):
    from ..testing.graphs import GraphExample, random_graph

    def draw(rng):
        G = random_graph(rng, max_nodes=7, **kw)
        return GraphExample(G, rng.normal(size=(G.number_of_nodes(), 2))), int(rng.integers(1 << 31))

    return draw


def describe_case(case) -> dict:
    """A JSON-ready counterexample: edges with weights, nodes, features and the seed of the parameters."""
    ex, seed = case
    return {"edges": [list(e) for e in ex.graph.edges(data="weight")], "nodes": list(ex.graph.nodes),
            "X": ex.X, "seed": seed}


def search(property_fn, *, examples: int, method: str, steps: list, graph_kw=None, exact=None) -> Result:
    """Look for a random graph on which ``property_fn(example, seed)`` is False.

    Parameters
    ----------
    property_fn : callable
        ``(GraphExample, seed) -> bool`` in floating point (True: the claim holds).
    exact : callable
        ``(GraphExample, seed) -> str or None``: the same claim at 60 digits; a
        string (the exact difference) confirms a violation.  Required: a float
        violation without an exact confirmation is not a counterexample.
    """
    if exact is None:
        raise TypeError("search: pass exact=, the 60-digit re-check of a violation")
    kw = graph_kw or {}
    fails = lambda c: not property_fn(*c) and exact(*c) is not None  # noqa: E731
    case, n = find_counterexample(_draw(kw), fails, examples=examples, purpose=("graph search", method, str(sorted(kw.items()))))
    if case is not None:
        case = shrink(case, fails)
        ce = describe_case(case)
        ce["difference"] = exact(*case)
        return Result("refuted", method, steps + ["counterexample simplified greedily (edges, nodes, features) and "
                                                  f"re-checked at 60 digits: difference {ce['difference']}"],
                      counterexample=ce)
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
