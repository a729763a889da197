"""Message passing: GCN, GAT, GraphSAGE, GIN and GGNN are one form (Gilmer et al. 2017); what the form excludes;
GraphSAGE and GIN equivariant; GraphSAGE-mean cannot tell apart every pair of neighbourhoods GIN-sum can (Xu et al.).

The form is checked on each description by :func:`symrnn.prove.message_passing` (a structural proof for every
graph and size, cross-examined by redrawing the inputs of far-away nodes); :data:`MPNN_LAYERS` is the list a new
layer joins with one line.
"""

from __future__ import annotations

import itertools

import numpy as np

from symrnn import GraphBuilder
from symrnn.graphs import layers
from symrnn.graphs.ggnn import ggnn
from symrnn.graphs.gin import XU, gin
from symrnn.graphs.graphsage import graphsage
from symrnn.prove import Theorem, all_of, exhaustive, message_passing, permutation_equivariant

GILMER = "Gilmer, Schoenholz, Riley, Vinyals & Dahl 2017, Neural Message Passing for Quantum Chemistry (ICML), §2"
LI = "Li, Tarlow, Brockschmidt & Zemel 2016, Gated Graph Sequence Neural Networks (ICLR)"
WU = "Wu et al. 2021, A Comprehensive Survey on Graph Neural Networks (IEEE TNNLS)"

MPNN_LAYERS = (
    ("GCN", layers.gcn), ("GAT (2 heads)", lambda: layers.gat(2)), ("GraphSAGE-mean", graphsage),
    ("GraphSAGE-max", lambda: graphsage(aggr="max")), ("GIN (trained ε)", lambda: gin(train_eps=True)),
    ("GGNN (one propagation step)", lambda: ggnn(steps=1)),
)
"""The layers claimed to be one round of the MPNN form: (label, factory)."""


def instances(entries, *, rounds: int = 1):
    """Each description of ``entries`` ((label, factory) pairs) is ``rounds`` rounds of the form."""
    return all_of(*(message_passing(make(), rounds=rounds).with_steps(f"{label}:") for label, make in entries),
                  method="structure of each description (message_passing)")


def _with_readout(base: str):
    """GCN or GraphSAGE-mean plus U · mean over all nodes of x: a layer that reads every node."""
    b = GraphBuilder(f"{base}_readout", summary=f"{base} plus a global mean readout")
    F, G = b.sizes("F G")
    x = b.node_input("x", F)
    r = b.linear(b.apply("mean_nodes", x), "r", latex=r"\bar{\mathbf{x}}")
    local = b.param("W", G, F) @ b.propagate("gcn_norm", x) if base == "gcn" else \
        b.param("W_l", G, F) @ b.propagate("mean_in", x) + b.param("W_r", G, F) @ x
    b.output("h", local + b.param("U", G, F) @ b.apply("spread_nodes", r) + b.param("b", G))
    return b.build()


mpnn_one_form = Theorem(
    "mpnn_one_form",
    "GCN, GAT, GraphSAGE (mean and max), GIN and one GGNN propagation step are each one round of the MPNN form "
    "m_i = ⊕_{j→i} M(h_i, h_j, e_ji), h_i' = U(h_i, m_i) (⊕ a sum, or GraphSAGE-max's maximum), for every graph and "
    "size.",
    lambda: instances(MPNN_LAYERS),
    references=(GILMER, layers.KIPF, layers.VELICKOVIC, layers.HAMILTON, XU, LI),
    latex=r"\mathbf{m}_i = \bigoplus_{j \in \mathcal{N}(i)} M(\mathbf{h}_i, \mathbf{h}_j, \mathbf{e}_{ji}),\quad "
          r"\mathbf{h}_i' = U(\mathbf{h}_i, \mathbf{m}_i)",
)

ggnn_steps_are_rounds = Theorem(
    "ggnn_steps_are_rounds",
    "GGNN with T = 3 propagation steps is 3 rounds of the MPNN form (each step one round), and ChebNet with K = 3 "
    "terms is 2 rounds, for every graph and size.",
    lambda: all_of(message_passing(ggnn(steps=3), rounds=3), message_passing(layers.cheb(3), rounds=2)),
    references=(GILMER, LI, layers.DEFFERRARD),
)

readout_is_mpnn_overstatement = Theorem(
    "readout_is_mpnn_overstatement",
    "Overstatement: a GCN or GraphSAGE layer with a global mean readout added (h = … + U mean_k x_k) is still one "
    "round of the MPNN form (it is not: the output at i reads nodes outside its neighbourhood).",
    lambda: all_of(message_passing(_with_readout("gcn")), message_passing(_with_readout("sage"))),
    references=(GILMER,), expect="refuted",
)

chebnet_one_round_overstatement = Theorem(
    "chebnet_one_round_overstatement",
    "Overstatement: ChebNet with K = 3 terms is one round of the MPNN form (it reads two hops).",
    lambda: message_passing(layers.cheb(3)), references=(GILMER, layers.DEFFERRARD), expect="refuted",
)

graphsage_permutation_equivariance = Theorem(
    "graphsage_permutation_equivariance",
    "GraphSAGE with the max aggregator, and with the mean aggregator and L2 normalisation, is permutation "
    "equivariant, for every graph and size.",
    lambda: all_of(permutation_equivariant(graphsage(aggr="max")), permutation_equivariant(graphsage(normalize=True))),
    references=(layers.HAMILTON, WU),
)

gin_permutation_equivariance = Theorem(
    "gin_permutation_equivariance",
    "GIN (sum aggregation, trained ε, MLP) is permutation equivariant, for every graph and size.",
    lambda: permutation_equivariant(gin(train_eps=True)), references=(XU, WU),
)


# ----------------------------------------------------------------------------- GIN-sum vs GraphSAGE-mean
def neighbourhood_pairs(values=(1, 2), max_size: int = 3):
    """Every pair (A, B) of different multisets of scalar neighbour features, sizes 1..max_size."""
    sets = [c for k in range(1, max_size + 1) for c in itertools.combinations_with_replacement(values, k)]
    return [(a, b) for a, b in itertools.combinations(sets, 2)]


def _two_stars(A, B):
    """Nodes u = 0, v = 1 (x = 0) receiving from leaves carrying A and B: (graph, X)."""
    from symrnn.graphs import from_edges

    leaves = list(A) + list(B)
    src = np.arange(2, 2 + len(leaves))
    dst = np.array([0] * len(A) + [1] * len(B))
    return from_edges(src, dst, 2 + len(leaves)), np.array([[0.0], [0.0]] + [[float(x)] for x in leaves])


def _rows_agree(cell, ops, X):
    """Every operator the description applies to its input x gives equal rows at u and v (60 digits)."""
    from symrnn.prove import exact

    with exact.precision():
        for eq in cell.equations:
            for t in (cell.terms(eq.target) if eq.is_linear else ()):
                if t.operator is None:
                    continue
                if t.vector != "x":
                    return False
                rows = ops.apply(t.operator, exact.mp_array(X))
                if exact.max_difference(rows[0:1], rows[1:2])[0] > exact.TIE:
                    return False
    return True


def _gin_tells_apart(ops, X, seed):
    """GIN's outputs at u and v differ (60 digits) for seeded parameters: the difference, or None."""
    from symrnn.numeric import step
    from symrnn.numeric.params import param_shapes
    from symrnn.prove import exact

    cell = gin()
    rng = np.random.default_rng(seed)
    params = {k: rng.normal(size=v) for k, v in param_shapes(cell, {"F": 1, "H": 4, "G": 2}).items()}
    with exact.precision():
        mp = lambda d: {k: exact.mp_array(v) for k, v in d.items()}  # noqa: E731
        h = step(cell, mp(params), mp({"x": X}), {}, operators=ops)["h"]
        diff = exact.max_difference(h[0:1], h[1:2])[0]
    return f"{float(diff):.6g}" if diff > exact.TIE else None


def distinguishes_what_gin_does(layer):
    """``check((A, B))`` of the claim "``layer`` tells u and v apart whenever GIN-sum does" (None: it holds there).

    ``layer`` must apply its graph operators to its input x only: then, when each operator's rows agree at u and
    v and x_u = x_v, every stage of the layer agrees at u and v for every parameter (induction over the stages).
    """
    from symrnn.graphs.operators import GraphOperators

    def check(case):
        A, B = case
        g, X = _two_stars(A, B)
        ops = GraphOperators(g)
        gin_diff = _gin_tells_apart(ops, X, len(A) * 10 + len(B))
        if gin_diff is None or not _rows_agree(layer, ops, X):
            return None
        return {"neighbours_u": list(A), "neighbours_v": list(B), "x_u": 0, "x_v": 0,
                "layer": f"every operator of {layer.name} gives equal rows at u and v, and x_u = x_v: every stage, "
                         "for every parameter, is equal at u and v",
                "difference": f"GIN's h_u − h_v (seeded parameters, 60 digits): {gin_diff}"}

    return check


graphsage_mean_vs_gin_sum_overstatement = Theorem(
    "graphsage_mean_vs_gin_sum_overstatement",
    "Overstatement: GraphSAGE-mean distinguishes every pair of neighbourhoods that GIN-sum distinguishes (it does "
    "not: {a} and {a, a} have the same mean and different sums).",
    lambda: exhaustive(distinguishes_what_gin_does(graphsage()), neighbourhood_pairs(), dims=[{"values": 2, "max_size": 3}],
                       domain="pairs of multisets of neighbour features from {1, 2}, sizes 1..3 (two stars, x_u = x_v)"),
    references=(XU + ", Corollary 6 and Figure 3", layers.HAMILTON), expect="refuted",
)
