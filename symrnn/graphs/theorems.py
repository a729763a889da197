"""Checks behind the graph theorems of ``proofs/graphs.py``; each returns a :class:`~symrnn.prove.Result`.

Symbolic checks for every size live in :mod:`symrnn.graphs.claims` (re-exported here).  The checks
below combine an exhaustive symbolic proof over every small graph (:mod:`symrnn.graphs.small_graphs`,
``proved_for_dims``) with a numeric check of the kernels on random graphs
(:mod:`symrnn.graphs.search`), or are numeric searches that are expected to refute a popular
overstatement (with a shrunk counterexample).
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import sympy as sp

from ..prove.verdict import Result
from .claims import (cheb_permutation_equivariant, cheb_two_terms_first_order, filter_commutes_with_laplacian,
                     gat_zero_attention_is_mean, gcn_permutation_equivariant, polynomial_filter_is_spatial,
                     readouts_permutation_invariant, softmax_rules)
from .matalg import same
from .search import search, then_kernel
from .small_graphs import gat_relabelling_cases, locality_cases, sum_of_squares_cases
from .symbolic import graph_sizes, matrices

__all__ = [
    "cheb_two_terms_first_order", "renormalisation_to_gcn", "polynomial_filter_is_spatial",
    "filter_commutes_with_laplacian", "polynomial_filter_is_local", "gcn_permutation_equivariant",
    "cheb_permutation_equivariant", "gat_permutation_equivariant", "readouts_permutation_invariant",
    "gat_zero_attention_is_mean", "laplacian_spectrum_in_0_2", "cheb_first_order_equals_gcn",
    "gcn_loops_equal_a_plus_i", "softmax_rules",
]


def renormalisation_to_gcn(*, max_nodes: int = 4, examples: int = 25) -> Result:
    """The renormalisation trick: I + D^{-1/2}AD^{-1/2} (spectrum in [0, 2]) becomes Â = D̃^{-1/2}ÃD̃^{-1/2} (in (−1, 1]).

    Symbolic, every N: Ã = A + I has degree vector Ã1 = A1 + 1, so D̃ = D + I.
    ``proved_for_dims``: for every graph on ≤ ``max_nodes`` nodes and every
    positive weighting, xᵀ(I − Â)x and xᵀ(I + Â)x are sums of squares, the
    latter with the strictly positive term 2Σ x_i²/d̃_i — so spec(Â) ⊂ (−1, 1];
    and I + D^{-1/2}AD^{-1/2} = 2I − L has spectrum in [0, 2] by the Laplacian
    identities.  The kernel :func:`~symrnn.graphs.gcn` is checked against
    D̃^{-1/2}(A + I)D̃^{-1/2} X W + 1bᵀ built densely on random graphs.

    Examples
    --------
    >>> renormalisation_to_gcn(max_nodes=2, examples=2).status
    'proved_for_dims'
    """
    N, = graph_sizes("N")
    A, = matrices("A", [(N, N)])
    one = sp.OneMatrix(N, 1)
    ok, _, _ = same((A + sp.Identity(N)) * one, A * one + one)
    found, count = sum_of_squares_cases(max_nodes, renormalised=True)
    found2, _ = sum_of_squares_cases(max_nodes)
    steps = ["(A + I)1 = A1 + 1, so the degree matrix of Ã = A + I is D̃ = D + I (symbolic, every N)",
             "GCN replaces I + D^{-1/2} A D^{-1/2} = 2I − L by Â = D̃^{-1/2} Ã D̃^{-1/2}",
             "xᵀ(I − Â)x = Σ_E w_ij (x_i/√d̃_i − x_j/√d̃_j)² ≥ 0 ⇒ λ ≤ 1; "
             "xᵀ(I + Â)x = Σ_E w_ij (x_i/√d̃_i + x_j/√d̃_j)² + 2Σ x_i²/d̃_i > 0 ⇒ λ > −1",
             f"verified symbolically for every graph on 1..{max_nodes} nodes ({count} graphs), symbolic weights; "
             "spec(2I − L) ⊂ [0, 2] from the Laplacian identities"]
    if not ok or found is not None or found2 is not None:
        return Result("refuted", "sum-of-squares identities", steps, counterexample=found or found2 or {})
    from . import gcn

    def holds(ex, seed):
        rng = np.random.default_rng(seed)
        Ad = nx.to_numpy_array(ex.graph, nodelist=sorted(ex.graph), weight="weight")
        W, b = rng.normal(size=(ex.X.shape[1], 2)), rng.normal(size=2)
        At = Ad + np.eye(len(Ad))
        dt = At.sum(1) ** -0.5
        want = (dt[:, None] * At * dt[None, :]) @ ex.X @ W + b
        return np.allclose(gcn(ex.graph, ex.X, W, b), want, atol=1e-10)

    return then_kernel("degree identity + sum-of-squares identities over all small graphs", steps,
                        tuple({"N": n} for n in range(1, max_nodes + 1)), holds, examples=examples,
                        label="kernel gcn() = D̃^{-1/2}(A+I)D̃^{-1/2} X W + 1bᵀ")


def polynomial_filter_is_local(*, degree: int = 2, examples: int = 30, max_nodes: int = 4, max_degree: int = 3) -> Result:
    """Σ_{k≤m} θ_k L^k is m-hop local: entry (i, j) vanishes when j is more than m hops from i.

    ``proved_for_dims``: for *every* graph on up to ``max_nodes`` nodes and every
    m ≤ ``max_degree``, L is given one free symbol per structurally non-zero
    entry (diagonal and edges, so every weighting is covered) and each entry of
    L^m beyond m hops expands to exactly 0.  The kernel is also checked on
    random weighted graphs of up to 7 nodes (reported in the steps).

    Examples
    --------
    >>> polynomial_filter_is_local(examples=3, max_nodes=3, max_degree=2).status
    'proved_for_dims'
    """
    found, count = locality_cases(max_nodes, max_degree)
    steps = ["L_ij ≠ 0 only if i = j or i ~ j, so (L^k)_ij is a sum over walks of length k from i to j, "
             "empty when dist(i, j) > k; a degree-m polynomial adds powers k ≤ m",
             f"exhaustive symbolic check: every graph on 1..{max_nodes} nodes, m = 1..{max_degree} "
             f"({count} (graph, m) pairs), symbolic weights: every entry beyond m hops expands to 0"]
    if found is not None:
        return Result("refuted", "exhaustive symbolic check", steps, counterexample=found)
    from .spectral import polynomial_filter

    def holds(ex, seed):
        rng = np.random.default_rng(seed)
        theta = rng.normal(size=degree + 1)
        G, nodes = ex.graph, sorted(ex.graph)
        dist = dict(nx.all_pairs_shortest_path_length(G, cutoff=degree))
        for j in nodes:
            e = np.zeros((len(nodes), 1))
            e[j] = 1.0
            col = polynomial_filter(G, e, theta)[:, 0]
            far = [i for i in nodes if i not in dist[j]]
            if far and np.abs(col[far]).max() > 0:
                return False
        return True

    dims = tuple({"N": n, "m": m} for n in range(1, max_nodes + 1) for m in range(1, max_degree + 1))
    return then_kernel("exhaustive symbolic check over all small graphs", steps, dims, holds, examples=examples,
                        label=f"kernel polynomial_filter(e_j), degree {degree}, vanishes exactly outside the "
                              f"{degree}-hop ball of j")


def gat_permutation_equivariant(*, max_nodes: int = 4, examples: int = 25) -> Result:
    """GAT(PG, PX) = P·GAT(G, X): ``proved_for_dims`` on every directed graph up to ``max_nodes`` nodes.

    Symbolic part: for every directed graph on ≤ ``max_nodes`` nodes, one head
    and one channel with symbolic features z, attention a_src, a_dst and slope
    s, the output of node π(i) on the relabelled graph is the *same SymPy
    expression* as the output of node i (sums are canonical in SymPy), for π a
    transposition and an n-cycle — which generate every permutation, so it
    holds for all of them.  Heads and channels are independent copies of this
    computation, and concat / mean act per node.  The kernel is checked on
    random directed graphs (several heads) as well.

    Examples
    --------
    >>> gat_permutation_equivariant(max_nodes=2, examples=2).status
    'proved_for_dims'
    """
    from .gat import gat

    found, count = gat_relabelling_cases(max_nodes)
    steps = [f"symbolic: every directed graph on 1..{max_nodes} nodes, permutation generators (a transposition, "
             f"an n-cycle): {count} relabellings give identical SymPy outputs per node"]
    if found is not None:
        return Result("refuted", "exhaustive symbolic relabelling", steps, counterexample=found)

    def holds(ex, seed):
        rng = np.random.default_rng(seed)
        n = ex.X.shape[0]
        perm = rng.permutation(n)
        H, C = 2, 2
        W, a_s, a_d, b = (rng.normal(size=s) for s in ((2, H * C), (H, C), (H, C), (H * C,)))
        G2 = ex.graph.__class__()
        G2.add_nodes_from(range(n))
        G2.add_edges_from((int(perm[u]), int(perm[v])) for u, v in ex.graph.edges())
        X2 = np.empty_like(ex.X)
        X2[perm] = ex.X
        Y, Y2 = gat(ex.graph, ex.X, W, a_s, a_d, b), gat(G2, X2, W, a_s, a_d, b)
        return np.allclose(Y2[perm], Y, atol=1e-10)

    return then_kernel("exhaustive symbolic relabelling over all small directed graphs", steps,
                        tuple({"N": n} for n in range(1, max_nodes + 1)), holds, examples=examples,
                        label="kernel (2 heads × 2 channels, directed graphs)", graph_kw={"directed": True})


def laplacian_spectrum_in_0_2(*, max_nodes: int = 4, examples: int = 40) -> Result:
    """The eigenvalues of L = I − D^{-1/2} A D^{-1/2} lie in [0, 2] (Chung 1997, Lemma 1.7).

    ``proved_for_dims``: for every graph on ≤ ``max_nodes`` nodes and every
    positive weighting (symbols), xᵀLx and xᵀ(2I − L)x are verified to equal
    sums of squares, so L and 2I − L are positive semidefinite.  The kernel's
    :func:`~symrnn.graphs.laplacian` is also checked on random weighted graphs.

    Examples
    --------
    >>> laplacian_spectrum_in_0_2(max_nodes=2, examples=2).status
    'proved_for_dims'
    """
    from .normalize import laplacian

    found, count = sum_of_squares_cases(max_nodes)
    steps = ["xᵀLx = Σ_{ij∈E} w_ij (x_i/√d_i − x_j/√d_j)² + Σ_{isolated i} x_i² ≥ 0  ⇒  λ ≥ 0",
             "xᵀ(2I − L)x = Σ_{ij∈E} w_ij (x_i/√d_i + x_j/√d_j)² + Σ_{isolated i} x_i² ≥ 0  ⇒  λ ≤ 2",
             f"both identities verified symbolically (sympy.cancel) for every graph on 1..{max_nodes} nodes "
             f"({count} graphs) with symbolic positive weights",
             "reference proof for every graph: F. Chung, Spectral Graph Theory, 1997, Lemma 1.7"]
    if found is not None:
        return Result("refuted", "sum-of-squares identities", steps, counterexample=found)

    def holds(ex, seed):
        ev = np.linalg.eigvalsh(laplacian(ex.graph).toarray())
        return ev.min() >= -1e-12 and ev.max() <= 2 + 1e-12

    return then_kernel("sum-of-squares identities over all small graphs (symbolic weights)", steps,
                        tuple({"N": n} for n in range(1, max_nodes + 1)), holds, examples=examples,
                        label="kernel laplacian(): eigvalsh in [0, 2] (±1e-12)")


def cheb_first_order_equals_gcn(*, examples: int = 20) -> Result:
    """The overstatement "ChebNet K = 2, λ_max = 2, Θ₁ = −Θ₀ *is* GCN": refuted (it lacks the renormalisation).

    Examples
    --------
    >>> cheb_first_order_equals_gcn().status
    'refuted'
    """
    from .cheb import cheb
    from .gcn import gcn

    def holds(ex, seed):
        rng = np.random.default_rng(seed)
        W = rng.normal(size=(ex.X.shape[1], 2))
        return np.allclose(cheb(ex.graph, ex.X, np.stack([W, -W])), gcn(ex.graph, ex.X, W), atol=1e-10)

    return search(holds, examples=examples, method="numeric search on random weighted graphs",
                   steps=["compare cheb(Θ = [W, −W]) = (I + D^{-1/2}AD^{-1/2}) X W with gcn = D̃^{-1/2}(A+I)D̃^{-1/2} X W"])


def gcn_loops_equal_a_plus_i(*, examples: int = 30) -> Result:
    """The overstatement "PyG's GCN (add_remaining_self_loops) is Kipf's Ã = A + I on every graph": refuted.

    They agree on graphs without self-loops; an existing loop of weight w stays
    w in PyG (and here) but becomes w + 1 in A + I.

    Examples
    --------
    >>> gcn_loops_equal_a_plus_i().status
    'refuted'
    """
    from .gcn import gcn

    def holds(ex, seed):
        rng = np.random.default_rng(seed)
        Ad = nx.to_numpy_array(ex.graph, nodelist=sorted(ex.graph), weight="weight")
        W = rng.normal(size=(ex.X.shape[1], 2))
        At = Ad + np.eye(len(Ad))
        dt = At.sum(1) ** -0.5
        return np.allclose(gcn(ex.graph, ex.X, W), (dt[:, None] * At * dt[None, :]) @ ex.X @ W, atol=1e-10)

    return search(holds, examples=examples, method="numeric search on random graphs with self-loops",
                   steps=["compare gcn() (PyG convention) with D̃^{-1/2}(A + I)D̃^{-1/2} X W on graphs with self-loops"],
                   graph_kw={"self_loops": True})
