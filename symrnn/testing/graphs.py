"""Hypothesis strategies for graph layers: random networkx graphs with weights and node features.

In the style of :mod:`hypothesis.extra.numpy`: plain functions with
keyword-only options returning strategies; invalid options raise
:class:`~symrnn.errors.InputError` naming the option, before any drawing.
Nodes are ``0..N-1``; weights sit on the ``"weight"`` attribute.

Typical use, testing your own GCN against :func:`symrnn.graphs.gcn`::

    from hypothesis import given
    from symrnn.testing.graphs import graph_examples

    @given(graph_examples(features=3, connected=True))
    def test_my_gcn(ex):
        W = np.ones((3, 2))
        assert np.allclose(my_gcn(ex.graph, ex.X, W), symrnn.graphs.gcn(ex.graph, ex.X, W))
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx
import numpy as np

from ..errors import InputError
from ..numeric.params import as_rng, boolean
from ._strategies import _bound, _hyp, _int, public

__all__ = ["networkx_graphs", "graph_examples", "node_permutations", "GraphExample", "random_graph"]


def _connect(G: nx.Graph, weight: float | None) -> None:
    """Join the components in a chain (one edge between consecutive components)."""
    comps = [min(c) for c in (nx.weakly_connected_components(G) if G.is_directed() else nx.connected_components(G))]
    comps.sort()
    for a, b in zip(comps, comps[1:]):
        G.add_edge(a, b, **({} if weight is None else {"weight": weight}))
        if G.is_directed():
            G.add_edge(b, a, **({} if weight is None else {"weight": weight}))


def _layout(min_nodes, max_nodes, max_weight, *flags) -> tuple[int, int, float]:
    """Checked ``(min_nodes, max_nodes, max_weight)``; the flags must be bools (``directed="no"`` would be true)."""
    lo, hi = _int(min_nodes, "min_nodes", 1), _int(max_nodes, "max_nodes", 1)
    if hi < lo:
        raise InputError(f"max_nodes ({hi}) must be >= min_nodes ({lo})")
    for flag, name in zip(flags, ("directed", "connected", "weighted", "self_loops")):
        boolean(flag, name)
    return lo, hi, _bound(max_weight, "max_weight")


def _build(n, pairs, mask, weights, directed, connected, self_loops, weighted):
    G = nx.DiGraph() if directed else nx.Graph()
    G.add_nodes_from(range(n))
    for (u, v), keep, w in zip(pairs, mask, weights):
        if keep and (u != v or self_loops):
            G.add_edge(u, v, **({"weight": float(w)} if weighted else {}))
    if connected:
        _connect(G, 1.0 if weighted else None)
    return G


def _pairs(n, directed, self_loops):
    if directed:
        out = [(u, v) for u in range(n) for v in range(n) if u != v]
    else:
        out = [(u, v) for u in range(n) for v in range(u + 1, n)]
    return out + ([(u, u) for u in range(n)] if self_loops else [])


@public
def networkx_graphs(*, min_nodes: int = 1, max_nodes: int = 8, directed: bool = False, connected: bool = False,
           weighted: bool = True, self_loops: bool = False, max_weight: float = 2.0):
    """Strategy of networkx graphs on nodes ``0..N-1``.

    Parameters
    ----------
    min_nodes, max_nodes : int
        Range of N (at least 1: graph layers refuse empty graphs).
    directed : bool
        ``nx.DiGraph`` (edges drawn independently per direction) or ``nx.Graph``.
    connected : bool
        Join components by a chain of extra edges (weakly connected if directed).
    weighted : bool
        Put a weight in (0, max_weight] on every edge.
    self_loops : bool
        Allow self-loops.

    Examples
    --------
    >>> from hypothesis import given, settings
    >>> @settings(max_examples=5)
    ... @given(networkx_graphs(min_nodes=2, connected=True))
    ... def check(G):
    ...     assert nx.is_connected(G)
    >>> check()
    """
    st, _ = _hyp()
    lo, hi, wmax = _layout(min_nodes, max_nodes, max_weight, directed, connected, weighted, self_loops)

    @st.composite
    def one(draw):
        n = draw(st.integers(lo, hi))
        pairs = _pairs(n, directed, self_loops)
        mask = draw(st.lists(st.booleans(), min_size=len(pairs), max_size=len(pairs)))
        weights = draw(st.lists(st.floats(wmax / 64, wmax), min_size=len(pairs), max_size=len(pairs)))
        return _build(n, pairs, mask, weights, directed, connected, self_loops, weighted)

    return one()


@public
def random_graph(rng: np.random.Generator, *, min_nodes: int = 1, max_nodes: int = 8, p: float = 0.4,
                 directed: bool = False, connected: bool = False, weighted: bool = True,
                 self_loops: bool = False, max_weight: float = 2.0) -> nx.Graph:
    """One graph drawn with NumPy, same layout as :func:`networkx_graphs` (for use without hypothesis).

    Examples
    --------
    >>> random_graph(np.random.default_rng(0), min_nodes=3, max_nodes=3).number_of_nodes()
    3
    """
    rng = as_rng(rng)
    lo, hi, wmax = _layout(min_nodes, max_nodes, max_weight, directed, connected, weighted, self_loops)
    if isinstance(p, bool) or not isinstance(p, (int, float, np.integer, np.floating)) or not 0 <= p <= 1:
        raise InputError(f"p must be a probability in [0, 1], got {p!r}")
    n = int(rng.integers(lo, hi + 1))
    pairs = _pairs(n, directed, self_loops)
    mask = rng.random(len(pairs)) < p
    weights = rng.uniform(wmax / 64, wmax, len(pairs))
    return _build(n, pairs, mask, weights, directed, connected, self_loops, weighted)


@dataclass(frozen=True)
class GraphExample:
    """A graph and node features ``X`` of shape (N, F)."""

    graph: nx.Graph
    X: np.ndarray


@public
def graph_examples(*, features: int = 3, min_nodes: int = 1, max_nodes: int = 8, bound: float = 2.0,
                   directed: bool = False, connected: bool = False, weighted: bool = True,
                   self_loops: bool = False):
    """Strategy of :class:`GraphExample`: a graph from :func:`networkx_graphs` and features in [−bound, bound].

    Examples
    --------
    >>> from hypothesis import given, settings
    >>> @settings(max_examples=5)
    ... @given(graph_examples(features=2))
    ... def check(ex):
    ...     assert ex.X.shape == (ex.graph.number_of_nodes(), 2)
    >>> check()
    """
    st, hnp = _hyp()
    F = _int(features, "features", 1)
    b = _bound(bound, "bound")
    gs = networkx_graphs(min_nodes=min_nodes, max_nodes=max_nodes, directed=directed, connected=connected,
                weighted=weighted, self_loops=self_loops)
    elements = st.floats(-b, b, allow_nan=False, allow_infinity=False, width=64)
    return gs.flatmap(lambda G: hnp.arrays(np.float64, (G.number_of_nodes(), F), elements=elements).map(
        lambda X: GraphExample(G, X)))


@public
def node_permutations(n: int):
    """Strategy of permutations of ``range(n)`` as int arrays (``perm[i]`` = new index of node i).

    Examples
    --------
    >>> from hypothesis import given, settings
    >>> @settings(max_examples=5)
    ... @given(node_permutations(4))
    ... def check(p):
    ...     assert sorted(p.tolist()) == [0, 1, 2, 3]
    >>> check()
    """
    st, _ = _hyp()
    n = _int(n, "n", 1)
    return st.permutations(list(range(n))).map(lambda p: np.asarray(p, dtype=np.int64))
