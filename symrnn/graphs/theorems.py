"""Checks behind the graph theorems of ``proofs/graphs.py``; each returns a :class:`~symrnn.prove.Result`.

Symbolic checks for every size live in :mod:`symrnn.graphs.claims` (re-exported here).  The checks
below are exhaustive exact checks over every small graph (:func:`symrnn.prove.exhaustive` with the
per-graph checks of :mod:`symrnn.graphs.small_graphs`, ``proved_for_dims``), cross-examined with the
kernels on random larger graphs, or numeric searches that are expected to refute a popular
overstatement — with a shrunk counterexample re-checked at 60 digits by a dense evaluation of the
formulas (:func:`_dense`), which shares no code with the sparse kernels.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import sympy as sp

from ..prove import all_of, exhaustive, matrix_identity
from ..prove.exact import max_difference, precision
from ..prove.numeric import _text
from ..prove.verdict import Result
from .claims import (cheb_permutation_equivariant, cheb_two_terms_first_order, filter_commutes_with_laplacian,
                     gat_zero_attention_is_mean, gcn_permutation_equivariant, polynomial_filter_is_spatial,
                     readouts_permutation_invariant, softmax_rules)
from .search import search
from .small_graphs import (directed, gat_relabelling_check, locality_check, sum_of_squares_check,
                           undirected)
from .symbolic import graph_sizes, matrices

__all__ = [
    "cheb_two_terms_first_order", "renormalisation_to_gcn", "polynomial_filter_is_spatial",
    "filter_commutes_with_laplacian", "polynomial_filter_is_local", "gcn_permutation_equivariant",
    "cheb_permutation_equivariant", "gat_permutation_equivariant", "readouts_permutation_invariant",
    "gat_zero_attention_is_mean", "laplacian_spectrum_in_0_2", "cheb_first_order_equals_gcn",
    "gcn_loops_equal_a_plus_i", "softmax_rules",
]


def _dense(G, *, loops: str = "none"):
    """The weighted adjacency of ``G`` at 60 digits (mpmath), nodes in sorted order.

    ``loops``: ``"none"`` as given, ``"plus_identity"`` A + I, ``"pyg"`` PyG's
    add_remaining_self_loops (a node without a loop gets one of weight 1).
    """
    import mpmath

    nodes = sorted(G)
    index = {u: k for k, u in enumerate(nodes)}
    n = len(nodes)
    A = mpmath.zeros(n, n)
    for u, v, w in G.edges(data="weight", default=1.0):
        A[index[u], index[v]] += mpmath.mpf(w)
        if not G.is_directed() and u != v:
            A[index[v], index[u]] += mpmath.mpf(w)
    for i in range(n):
        if loops == "plus_identity" or (loops == "pyg" and A[i, i] == 0):
            A[i, i] += 1
    return A


def _sym_normalised(A):
    """D^{-1/2} A D^{-1/2} (rows of zero degree stay zero, as PyG's gcn_norm)."""
    import mpmath

    n = A.rows
    d = [sum(A[i, j] for j in range(n)) for i in range(n)]
    r = [1 / mpmath.sqrt(x) if x > 0 else mpmath.mpf(0) for x in d]
    return mpmath.matrix([[r[i] * A[i, j] * r[j] for j in range(n)] for i in range(n)])


def _mp(a):
    import mpmath

    return mpmath.matrix(np.asarray(a, dtype=float).tolist())


def _exact_gap(left, right):
    """The difference of two mpmath matrices as text, or None if it is a tie at 60 digits."""
    L = np.array(left.tolist(), dtype=object)
    R = np.array(right.tolist(), dtype=object)
    absolute, relative = max_difference(L, R)
    return _text(absolute) if relative > 1e-40 else None


def renormalisation_to_gcn(*, max_nodes: int = 4, examples: int = 25) -> Result:
    """The renormalisation trick: I + D^{-1/2}AD^{-1/2} (spectrum in [0, 2]) becomes Â = D̃^{-1/2}ÃD̃^{-1/2} (in (−1, 1]).

    Symbolic, every N: Ã = A + I has degree vector Ã1 = A1 + 1, so D̃ = D + I.
    ``proved_for_dims``: for every graph on ≤ ``max_nodes`` nodes and every
    positive weighting, xᵀ(I − Â)x and xᵀ(I + Â)x are sums of squares, the
    latter with the strictly positive term 2Σ x_i²/d̃_i — so spec(Â) ⊂ (−1, 1];
    and I + D^{-1/2}AD^{-1/2} = 2I − L has spectrum in [0, 2] by the Laplacian
    identities.  Cross-examined: the kernel :func:`~symrnn.graphs.gcn` against
    D̃^{-1/2}(A + I)D̃^{-1/2} X W + 1bᵀ built densely on random graphs.

    Examples
    --------
    >>> renormalisation_to_gcn(max_nodes=2, examples=2).status
    'proved_for_dims'
    """
    from . import gcn

    N, = graph_sizes("N")
    A, = matrices("A", [(N, N)])
    one = sp.OneMatrix(N, 1)
    degree = matrix_identity((A + sp.Identity(N)) * one, A * one + one).with_steps(
        "(A + I)1 = A1 + 1, so the degree matrix of Ã = A + I is D̃ = D + I (symbolic, every N):")

    def numeric(rng):
        from ..testing.graphs import random_graph

        G = random_graph(rng, max_nodes=7)
        X = rng.normal(size=(len(G), 2))
        W, b = rng.normal(size=(2, 2)), rng.normal(size=2)
        Ad = nx.to_numpy_array(G, nodelist=sorted(G), weight="weight")
        At = Ad + np.eye(len(Ad))
        dt = At.sum(1) ** -0.5
        want = (dt[:, None] * At * dt[None, :]) @ X @ W + b
        got = gcn(G, X, W, b)
        return None if np.allclose(got, want, atol=1e-10) else {"edges": list(G.edges(data="weight")),
                                                                  "difference": f"{np.abs(got - want).max():.3g}"}

    def both(case):
        return sum_of_squares_check(renormalised=True)(case) or sum_of_squares_check()(case)

    squares = exhaustive(both, undirected(max_nodes), dims=tuple({"N": n} for n in range(1, max_nodes + 1)),
                         domain=f"every graph on 1..{max_nodes} nodes with symbolic positive weights: "
                                "xᵀ(I − Â)x = Σ_E w_ij (x_i/√d̃_i − x_j/√d̃_j)² ≥ 0 ⇒ λ ≤ 1; "
                                "xᵀ(I + Â)x = Σ_E w_ij (x_i/√d̃_i + x_j/√d̃_j)² + 2Σ x_i²/d̃_i > 0 ⇒ λ > −1; "
                                "and spec(2I − L) ⊂ [0, 2] from the Laplacian identities",
                         numeric=numeric, examples=examples,
                         method="sum-of-squares identities over all small graphs (symbolic weights)")
    return all_of(degree, squares, method="degree identity + sum-of-squares identities over all small graphs")


def polynomial_filter_is_local(*, degree: int = 2, examples: int = 30, max_nodes: int = 4, max_degree: int = 3) -> Result:
    """Σ_{k≤m} θ_k L^k is m-hop local: entry (i, j) vanishes when j is more than m hops from i.

    ``proved_for_dims``: for *every* graph on up to ``max_nodes`` nodes and every
    m ≤ ``max_degree``, L is given one free symbol per structurally non-zero
    entry (diagonal and edges, so every weighting is covered) and each entry of
    L^m beyond m hops expands to exactly 0.  Cross-examined on random weighted
    graphs of up to 7 nodes with the kernel :func:`~symrnn.graphs.polynomial_filter`.

    Examples
    --------
    >>> polynomial_filter_is_local(examples=3, max_nodes=3, max_degree=2).status
    'proved_for_dims'
    """
    from .spectral import polynomial_filter

    def numeric(rng):
        from ..testing.graphs import random_graph

        G = random_graph(rng, max_nodes=7)
        theta = rng.normal(size=degree + 1)
        nodes = sorted(G)
        dist = dict(nx.all_pairs_shortest_path_length(G, cutoff=degree))
        for j in nodes:
            e = np.zeros((len(nodes), 1))
            e[j] = 1.0
            col = polynomial_filter(G, e, theta)[:, 0]
            far = [i for i in nodes if i not in dist[j]]
            if far and np.abs(col[far]).max() > 0:
                return {"edges": list(G.edges(data="weight")), "node": j, "difference": f"{np.abs(col[far]).max():.3g}"}
        return None

    return exhaustive(locality_check(max_degree), undirected(max_nodes),
                      dims=tuple({"N": n, "m": m} for n in range(1, max_nodes + 1) for m in range(1, max_degree + 1)),
                      domain=f"every graph on 1..{max_nodes} nodes, m = 1..{max_degree}, one symbol per structural "
                             "entry of L: (L^k)_ij is a sum over walks of length k, every entry beyond m hops expands to 0",
                      numeric=numeric, examples=examples, method="exhaustive symbolic check over all small graphs")


def gat_permutation_equivariant(*, max_nodes: int = 4, examples: int = 25) -> Result:
    """GAT(PG, PX) = P·GAT(G, X): ``proved_for_dims`` on every directed graph up to ``max_nodes`` nodes.

    Symbolic part: for every directed graph on ≤ ``max_nodes`` nodes, one head
    and one channel with symbolic features z, attention a_src, a_dst and slope
    s, the output of node π(i) on the relabelled graph is the *same SymPy
    expression* as the output of node i (sums are canonical in SymPy), for π a
    transposition and an n-cycle — which generate every permutation, so it
    holds for all of them.  Heads and channels are independent copies of this
    computation, and concat / mean act per node.  Cross-examined with the
    kernel on random directed graphs (several heads).

    Examples
    --------
    >>> gat_permutation_equivariant(max_nodes=2, examples=2).status
    'proved_for_dims'
    """
    from ..testing.graphs import random_graph
    from .gat import gat

    def numeric(rng):
        G = random_graph(rng, max_nodes=7, directed=True)
        n = len(G)
        X = rng.normal(size=(n, 2))
        perm = rng.permutation(n)
        H, C = 2, 2
        W, a_s, a_d, b = (rng.normal(size=s) for s in ((2, H * C), (H, C), (H, C), (H * C,)))
        G2 = G.__class__()
        G2.add_nodes_from(range(n))
        G2.add_edges_from((int(perm[u]), int(perm[v])) for u, v in G.edges())
        X2 = np.empty_like(X)
        X2[perm] = X
        Y, Y2 = gat(G, X, W, a_s, a_d, b), gat(G2, X2, W, a_s, a_d, b)
        return None if np.allclose(Y2[perm], Y, atol=1e-10) else {"edges": list(G.edges()), "perm": perm.tolist(),
                                                                  "difference": f"{np.abs(Y2[perm] - Y).max():.3g}"}

    return exhaustive(gat_relabelling_check(max_nodes), directed(max_nodes),
                      dims=tuple({"N": n} for n in range(1, max_nodes + 1)),
                      domain=f"every directed graph on 1..{max_nodes} nodes, permutation generators (a transposition, "
                             "an n-cycle), symbolic features, attention and slope: identical SymPy outputs per node",
                      numeric=numeric, examples=examples,
                      method="exhaustive symbolic relabelling over all small directed graphs")


def laplacian_spectrum_in_0_2(*, max_nodes: int = 4, examples: int = 40) -> Result:
    """The eigenvalues of L = I − D^{-1/2} A D^{-1/2} lie in [0, 2] (Chung 1997, Lemma 1.7).

    ``proved_for_dims``: for every graph on ≤ ``max_nodes`` nodes and every
    positive weighting (symbols), xᵀLx and xᵀ(2I − L)x are verified to equal
    sums of squares, so L and 2I − L are positive semidefinite.  Cross-examined
    with the kernel's :func:`~symrnn.graphs.laplacian` on random weighted graphs.

    Examples
    --------
    >>> laplacian_spectrum_in_0_2(max_nodes=2, examples=2).status
    'proved_for_dims'
    """
    from .normalize import laplacian

    def numeric(rng):
        from ..testing.graphs import random_graph

        G = random_graph(rng, max_nodes=7)
        ev = np.linalg.eigvalsh(laplacian(G).toarray())
        ok = ev.min() >= -1e-12 and ev.max() <= 2 + 1e-12
        return None if ok else {"edges": list(G.edges(data="weight")), "difference": f"eigenvalues {ev.tolist()}"}

    return exhaustive(sum_of_squares_check(), undirected(max_nodes), dims=tuple({"N": n} for n in range(1, max_nodes + 1)),
                      domain=f"every graph on 1..{max_nodes} nodes with symbolic positive weights: "
                             "xᵀLx = Σ_{ij∈E} w_ij (x_i/√d_i − x_j/√d_j)² + Σ_{isolated i} x_i² ≥ 0 and "
                             "xᵀ(2I − L)x = Σ_{ij∈E} w_ij (x_i/√d_i + x_j/√d_j)² + Σ_{isolated i} x_i² ≥ 0 "
                             "(reference proof for every graph: Chung 1997, Lemma 1.7)",
                      numeric=numeric, examples=examples,
                      method="sum-of-squares identities over all small graphs (symbolic weights)")


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

    def exact(ex, seed):
        import mpmath

        with precision():
            W = _mp(np.random.default_rng(seed).normal(size=(ex.X.shape[1], 2)))
            X, n = _mp(ex.X), len(ex.graph)
            first_order = (mpmath.eye(n) + _sym_normalised(_dense(ex.graph))) * X * W
            renormalised = _sym_normalised(_dense(ex.graph, loops="pyg")) * X * W
            return _exact_gap(first_order, renormalised)

    return search(holds, examples=examples, method="numeric search on random weighted graphs", exact=exact,
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

    def exact(ex, seed):
        with precision():
            W = _mp(np.random.default_rng(seed).normal(size=(ex.X.shape[1], 2)))
            X = _mp(ex.X)
            pyg = _sym_normalised(_dense(ex.graph, loops="pyg")) * X * W
            kipf = _sym_normalised(_dense(ex.graph, loops="plus_identity")) * X * W
            return _exact_gap(pyg, kipf)

    return search(holds, examples=examples, method="numeric search on random graphs with self-loops", exact=exact,
                   steps=["compare gcn() (PyG convention) with D̃^{-1/2}(A + I)D̃^{-1/2} X W on graphs with self-loops"],
                   graph_kw={"self_loops": True})
