"""Graph theorems: verdicts, that the symbolic checks can refute, and the kernels obey the same laws."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings

from symrnn import graphs
from symrnn.prove.matrix_form import Rules, same
from symrnn.graphs.search import search
from symrnn.graphs.small_graphs import gat_relabelling_cases, gat_symbolic, locality_cases
from symrnn.prove import run
from symrnn.prove.runner import collect
from symrnn.proofs import graphs as graph_proofs
from symrnn.testing.graphs import GraphExample, graph_examples, networkx_graphs, node_permutations

EXPECTED = {
    "cheb_two_terms_is_first_order": "proved",
    "renormalisation_gives_gcn": "proved_for_dims",
    "cheb_first_order_is_gcn_overstatement": "refuted",
    "pyg_self_loops_are_a_plus_i_overstatement": "refuted",
    "polynomial_spectral_filter_is_spatial": "proved",
    "spectral_filter_commutes_with_laplacian": "proved",
    "polynomial_filter_is_m_hop_local": "proved_for_dims",
    "gcn_permutation_equivariance": "proved",
    "cheb_permutation_equivariance": "proved",
    "gat_permutation_equivariance": "proved",
    "gat_relabelling_small_graphs": "proved_for_dims",
    "gcn_normal_form_equivariance": "proved",
    "cheb_power_lemma_equivariance": "proved",
    "sage_permutation_equivariance": "proved",
    "readout_permutation_invariance": "proved",
    "gat_zero_attention_is_mean": "proved",
    "gat_softmax_derivatives": "proved",
    "normalised_laplacian_spectrum": "proved_for_dims",
}


def test_catalogue_verdicts():
    verdicts = {v.theorem: v for v in run(collect(graph_proofs))}
    assert {k: v.status for k, v in verdicts.items()} == EXPECTED
    assert all(v.as_expected for v in verdicts.values())
    assert {"N": 4, "m": 3} in verdicts["polynomial_filter_is_m_hop_local"].result.dims
    assert verdicts["cheb_first_order_is_gcn_overstatement"].result.counterexample["edges"]


def test_normal_form_refutes_false_identities():
    N = sp.Symbol("N", integer=True, positive=True)
    P, A, X = (sp.MatrixSymbol(n, N, N) for n in "PAX")
    assert not same(P * A * P.T * P * X, P * A * X)[0]  # without PᵀP = I it must not close
    assert same(P * A * P.T * P * X, P * A * X, Rules(cancel=((P.T, P),)))[0]
    assert not same(A * X, X * A, Rules(diagonal=(A,)))[0]  # only A is known diagonal


def test_cheb_identity_fails_with_the_wrong_sign():
    from symrnn.graphs import layers
    from symrnn.graphs.matrix_form import matrix_form

    form = matrix_form(layers.cheb(K=2))
    X, Lt, (Th0, Th1, b) = form.matrix("x"), form.matrix("cheb_lt"), (form.matrix(n) for n in ("Theta_0", "Theta_1", "b"))
    N = X.shape[0]
    S = sp.MatrixSymbol("S", N, N)
    target = (sp.Identity(N) + S) * X * Th0.T + sp.OneMatrix(N, 1) * b.T
    right = form.outputs["h"].xreplace({Th1: -Th0}).xreplace({Lt: -S})
    wrong = form.outputs["h"].xreplace({Th1: Th0}).xreplace({Lt: -S})
    assert same(right, target)[0] and not same(wrong, target)[0]


def _permute(G, X, perm):
    H = G.__class__()
    H.add_nodes_from(range(len(perm)))
    H.add_edges_from((int(perm[u]), int(perm[v]), d) for u, v, d in G.edges(data=True))
    X2 = np.empty_like(X)
    X2[perm] = X
    return H, X2


@settings(max_examples=20, deadline=None)
@given(graph_examples(features=3, max_nodes=7), node_permutations(7))
def test_kernels_are_permutation_equivariant_and_readouts_invariant(ex, p7):
    n = ex.X.shape[0]
    perm = np.argsort(p7[p7 < n])  # a permutation of range(n)
    rng = np.random.default_rng(n)
    W, b = rng.normal(size=(3, 2)), rng.normal(size=2)
    T = rng.normal(size=(3, 3, 2))
    G2, X2 = _permute(ex.graph, ex.X, perm)
    for f in (lambda G, X: graphs.gcn(G, X, W, b), lambda G, X: graphs.cheb(G, X, T, b)):
        Y, Y2 = f(ex.graph, ex.X), f(G2, X2)
        np.testing.assert_allclose(Y2[perm], Y, atol=1e-10)
        np.testing.assert_allclose(Y2.sum(0), Y.sum(0), atol=1e-10)
        np.testing.assert_allclose(Y2.mean(0), Y.mean(0), atol=1e-10)


@settings(max_examples=20, deadline=None)
@given(graph_examples(features=2, max_nodes=7, directed=True, self_loops=True))
def test_gat_with_zero_attention_is_the_closed_neighbourhood_mean(ex):
    zero = np.zeros((2, 1))
    W = np.array([[1.0, 2.0], [-1.0, 0.5]])
    Y = graphs.gat(ex.graph, ex.X, W, zero, zero, concat=True)
    Z = ex.X @ W
    for i in ex.graph.nodes:
        closed = sorted(set(ex.graph.predecessors(i)) | {i})
        np.testing.assert_allclose(Y[i], Z[closed].mean(0), atol=1e-12)


@settings(max_examples=25, deadline=None)
@given(networkx_graphs(max_nodes=9, self_loops=True))
def test_laplacian_spectrum_in_0_2(G):
    ev = np.linalg.eigvalsh(graphs.laplacian(G).toarray())
    assert ev.min() >= -1e-12 and ev.max() <= 2 + 1e-12


@settings(max_examples=10, deadline=None)
@given(networkx_graphs(min_nodes=2, max_nodes=6, connected=True))
def test_connected_strategy_gives_connected_graphs(G):
    assert nx.is_connected(G)


def test_local_search_refutes_a_false_locality_claim():
    """One hop more than the degree allows: the check must find a counterexample."""
    false = lambda ex, seed: nx.number_of_edges(ex.graph) >= 1 and len(ex.graph) >= 2  # noqa: E731
    res = search(lambda ex, seed: not false(ex, seed), exact=lambda ex, seed: "an edge" if false(ex, seed) else None,
                 examples=30, method="deliberately false", steps=[])
    assert res.status == "refuted" and res.counterexample["difference"] == "an edge"
    with pytest.raises(TypeError, match="exact"):  # a float violation alone is never a counterexample
        search(lambda ex, seed: False, examples=3, method="m", steps=[])


def test_strategy_options_are_validated():
    from symrnn.errors import InputError

    with pytest.raises(InputError, match="max_nodes"):
        networkx_graphs(min_nodes=5, max_nodes=2)
    with pytest.raises(InputError, match="features"):
        graph_examples(features=0)
    assert isinstance(GraphExample(nx.Graph(), np.zeros((0, 1))), GraphExample)


def test_exhaustive_locality_refutes_one_hop_too_few():
    found, _ = locality_cases(3, 2, hops=lambda m: m - 1)
    assert found is not None and found["m"] >= 1
    assert locality_cases(3, 2)[0] is None


def test_gat_relabelling_check_refutes_an_index_dependent_layer():
    def broken(n, edges, z, a_s, a_d, s):  # attends to node 0 whatever the graph: not equivariant
        return [gat_symbolic(n, edges, z, a_s, a_d, s)[i] + z[0] for i in range(n)]

    found, _ = gat_relabelling_cases(2, outputs=broken)
    assert found is not None and found["nodes"] == 2
