"""GraphRNN: You et al.'s Proposition 1 as quoted, the property that makes M-bounded sequences work, and node order.

The statement of Proposition 1 below is quoted from memory of the ICML paper (§2.3.4); no copy was
at hand to check the wording, so the verdict is about the statement as quoted here.

Exhaustive enumeration of every BFS order of every connected graph on few
nodes (``proved_for_dims``, cross-examined on random graphs) for the BFS
claims; the likelihood of the full GraphRNN (:mod:`symrnn.graphs.graphrnn`,
its generated kernels) for the claim about node order.
"""

from __future__ import annotations

import networkx as nx

from symrnn.prove import Result, Theorem
from symrnn.proofs.graph_models import _bfs_claim

YOU = "You et al. 2018, GraphRNN: Generating Realistic Graphs with Deep Auto-regressive Models (ICML), §2.3.4, Proposition 1"
YOU_MODEL = "You et al. 2018, GraphRNN: Generating Realistic Graphs with Deep Auto-regressive Models (ICML), §2.2–2.3"


def _edges(G, order):
    pos = {v: k for k, v in enumerate(order, start=1)}
    return {frozenset((pos[u], pos[v])) for u, v in G.edges}


def _proposition_as_printed(G, order) -> bool:
    """(v_i, v_{j−1}) ∈ E, (v_i, v_j) ∉ E, i < j ≤ n  ⇒  (v_i', v_j') ∉ E for 1 ≤ i' ≤ i, j ≤ j' < n."""
    E, n = _edges(G, order), len(order)
    for i in range(1, n + 1):
        for j in range(i + 1, n + 1):
            if frozenset((i, j - 1)) in E and frozenset((i, j)) not in E:
                if any(frozenset((a, b)) in E for a in range(1, i + 1) for b in range(j, n)):
                    return False
    return True


def _earliest_neighbour_monotone(G, order) -> bool:
    """If v_j has no neighbour among v_1 … v_i (i < j), no later node v_j' (j' ≥ j) has one either."""
    E, n = _edges(G, order), len(order)
    for j in range(1, n + 1):
        for i in range(1, j):
            if not any(frozenset((a, j)) in E for a in range(1, i + 1)):
                if any(frozenset((a, b)) in E for a in range(1, i + 1) for b in range(j + 1, n + 1)):
                    return False
    return True


def _enumerated(claim, label):
    """``check()``: ``claim(G, order)`` on every BFS order of every connected graph on ≤ 5 nodes (cross-examined)."""
    return lambda *, max_nodes=5, examples=20: _bfs_claim(claim, max_nodes=max_nodes, examples=examples, label=label)


_printed_check = _enumerated(_proposition_as_printed, "Proposition 1 as quoted (positions 1..n in the BFS order)")
_monotone_check = _enumerated(_earliest_neighbour_monotone,
                              "a node's earliest neighbour never comes before the earliest neighbour of the node "
                              "before it (BFS parents are non-decreasing)")


def _order_check() -> Result:
    """Two BFS orders of one graph, two likelihoods under one GraphRNN (seeded, untrained)."""
    from symrnn.graphs.generation import encode_bfs
    from symrnn.graphs.graphrnn import full_graph_rnn, graphrnn_nll

    G = nx.Graph([(0, 1), (0, 2), (1, 3), (2, 3), (3, 4)])
    model = full_graph_rnn(3, 4, rng=1)
    nll = {}
    for start in (0, 4):
        S, order = encode_bfs(G, 3, start=start)
        nll[start] = (graphrnn_nll(model, [S], reduce="sum")[0], [int(v) for v in order])
    gap = abs(nll[0][0] - nll[4][0])
    if gap < 1e-6:  # float64 rounding of a sum of 30 terms is ~1e-14
        return Result("undecided", "two BFS orders", [f"−log p agree to {gap:.1e} on the example"])
    return Result("refuted", "two BFS orders of one graph under a seeded GraphRNN",
                  [f"graph {sorted(map(tuple, G.edges))}: BFS from node 0 gives order {nll[0][1]}, "
                   f"from node 4 order {nll[4][1]}",
                   f"−log p = {nll[0][0]:.6f} and {nll[4][0]:.6f} (generated kernels, float64; rounding ~1e-14)",
                   "p(S^π) depends on π: GraphRNN models p(G) = Σ_π p(S^π) and trains on random BFS orders"],
                  counterexample={"edges": [list(e) for e in G.edges], "orders": [nll[0][1], nll[4][1]],
                                  "nll": [nll[0][0], nll[4][0]], "difference": f"{gap:.6f}"})


graphrnn_proposition_1_as_printed = Theorem(
    "graphrnn_proposition_1_as_printed",
    "You et al.'s Proposition 1 as quoted here (from memory of the paper): in a BFS order v_1 … v_n, "
    "if (v_i, v_{j−1}) ∈ E but (v_i, v_j) ∉ E "
    "for some i < j ≤ n, then (v_i', v_j') ∉ E for all 1 ≤ i' ≤ i and j ≤ j' < n. False: an edge between two "
    "siblings (children of one node) ends the run of the second one's neighbours while their parent still "
    "has later children.",
    _printed_check, references=(YOU,), expect="refuted", timeout=30,
)

bfs_earliest_neighbour_monotone = Theorem(
    "bfs_earliest_neighbour_monotone",
    "What Proposition 1 is used for, stated so that it holds: in a BFS order, if v_j has no neighbour among "
    "v_1 … v_i (i < j), then no v_j' with j' ≥ j has one — the BFS parents are non-decreasing, so the "
    "adjacency vector of v_j needs only the nodes after its parent (GraphRNN's bound M).",
    _monotone_check, references=(YOU,), expect="proved_for_dims", timeout=30,
)

graphrnn_likelihood_node_order_independent = Theorem(
    "graphrnn_likelihood_node_order_independent",
    "Popular but false: GraphRNN's likelihood p(S^π) of a graph's sequence does not depend on the node order π.",
    _order_check, references=(YOU_MODEL,), expect="refuted", timeout=60,
)
