"""The message-passing form (symrnn.prove.message_passing) and the theorems of proofs/mpnn.py.

Verdicts of the catalogue module; layers inside and outside the form (readouts, out-edges, two hops); the
counterexample of GraphSAGE-mean against GIN-sum and hand-written variants of that enumeration (the mutation
harness cannot mutate it).
"""

from __future__ import annotations

import pytest

from symrnn import GraphBuilder, cell
from symrnn.errors import SpecError
from symrnn.graphs import layers
from symrnn.graphs.ggnn import ggnn
from symrnn.proofs import mpnn
from symrnn.prove import exhaustive, message_passing, run
from symrnn.prove.runner import collect

EXPECTED = {
    "mpnn_one_form": "proved", "ggnn_steps_are_rounds": "proved", "readout_is_mpnn_overstatement": "refuted",
    "chebnet_one_round_overstatement": "refuted", "graphsage_permutation_equivariance": "proved",
    "gin_permutation_equivariance": "proved", "graphsage_mean_vs_gin_sum_overstatement": "refuted",
}


def test_catalogue_verdicts():
    verdicts = {v.theorem: v for v in run(collect(mpnn))}
    assert {k: v.status for k, v in verdicts.items()} == EXPECTED
    assert all(v.as_expected for v in verdicts.values())
    found = verdicts["graphsage_mean_vs_gin_sum_overstatement"].result.counterexample
    assert (found["neighbours_u"], found["neighbours_v"]) == ([1], [1, 1])  # {a} and {a, a}: one mean, two sums
    assert all(t.references for t in collect(mpnn))


def test_each_layer_of_the_list_is_one_round_and_a_new_one_joins_by_one_line():
    assert mpnn.instances(mpnn.MPNN_LAYERS).status == "proved"
    assert mpnn.instances(mpnn.MPNN_LAYERS + (("two GGNN steps", ggnn),)).status == "refuted"
    assert mpnn.instances((("two GGNN steps", ggnn),), rounds=2).status == "proved"


def _layer(op_name, *, readout=False):
    b = GraphBuilder(f"probe_{op_name}" + ("_readout" if readout else ""))
    F, G = b.sizes("F G")
    x = b.node_input("x", F)
    W = b.param("W", G, F)
    if op_name.startswith("scatter"):
        h = b.apply(op_name, b.linear(W @ b.gather(x, "dst" if op_name == "scatter_src" else "src"), "e"))
    else:
        h = W @ b.propagate(op_name, x)
    if readout:
        h = h + b.param("U", G, F) @ b.apply("spread_nodes", b.linear(b.apply("sum_nodes", x), "r"))
    b.output("h", h)
    return b.build()


@pytest.mark.parametrize("op_name,status", [("scatter_dst", "proved"), ("scatter_src", "refuted"),
                                            ("sum_in", "proved"), ("sum_in_T", "refuted"), ("mean_in_T", "refuted"),
                                            ("adjacency_T", "refuted"), ("walk_out", "refuted"), ("walk_in", "proved")])
def test_in_edges_are_the_form_out_edges_are_not(op_name, status):
    """(scatter_src of gather_src would read x_j and j's out-degree only: outside the form, undecided, not false.)"""
    result = message_passing(_layer(op_name))
    assert result.status == status, result.steps
    if status == "refuted":
        assert result.counterexample["redrawn"] and "difference" in result.counterexample


def test_a_readout_over_all_nodes_is_refuted_with_an_exact_counterexample():
    result = message_passing(_layer("scatter_dst", readout=True))
    assert result.status == "refuted" and "sum_nodes" in " ".join(result.steps)
    assert float(result.counterexample["difference"]) > 1e-6


def test_rounds_count_hops():
    assert message_passing(layers.cheb(4), rounds=3).status == "proved"
    assert message_passing(layers.cheb(4), rounds=2).status == "refuted"
    assert message_passing(layers.polynomial(1), rounds=0).status == "proved"  # θ₀ x: no neighbour read


def test_bad_arguments_are_refused():
    with pytest.raises(SpecError, match="no node or edge vectors"):
        message_passing(cell("rnn"))
    with pytest.raises(SpecError, match="rounds"):
        message_passing(layers.gcn(), rounds=-1)


def test_hand_written_variants_of_the_gin_sum_enumeration():
    """Max cannot tell {a} from {a, a} either (refuted); GIN tells apart what GIN does (holds on the domain)."""
    pairs = mpnn.neighbourhood_pairs()
    maximum = exhaustive(mpnn.distinguishes_what_gin_does(mpnn.graphsage(aggr="max")), pairs, dims=[], domain="max")
    assert maximum.status == "refuted" and maximum.counterexample["neighbours_v"] == [1, 1]
    itself = exhaustive(mpnn.distinguishes_what_gin_does(mpnn.gin()), pairs, dims=[{"max_size": 3}], domain="gin")
    assert itself.status == "proved_for_dims"
    larger = exhaustive(mpnn.distinguishes_what_gin_does(mpnn.graphsage()), mpnn.neighbourhood_pairs((2, 3), 2),
                        dims=[], domain="values 2, 3")
    assert larger.status == "refuted" and larger.counterexample["neighbours_u"] == [2]
