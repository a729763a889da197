"""Checks behind the graph theorems of ``proofs/graphs.py``; each returns a :class:`~symrnn.prove.Result`.

Symbolic checks work on SymPy ``MatrixSymbol``s of symbolic size N, so a
``proved`` verdict holds for every number of nodes; the facts each proof uses
(PᵀP = I for a permutation, UᵀU = I for an orthonormal eigenbasis, diagonal
matrices commute) are listed in its steps and applied by
:func:`~symrnn.graphs.matalg.normal_form`.  Claims that are not reachable
symbolically here (m-hop locality, GAT equivariance, the Laplacian spectrum)
are ``checked`` on random graphs drawn with :mod:`symrnn.testing.graphs`
(hypothesis when installed), with the example count; a failure is ``refuted``
with the graph as counterexample.
"""

from __future__ import annotations

import functools

import networkx as nx
import numpy as np
import sympy as sp

from ..prove.numeric import find_counterexample
from ..prove.verdict import Result
from .describe import describe_cheb, describe_gcn
from .describe_gat import softmax_over
from .matalg import Rules, same
from .symbolic import graph_sizes, matrices

__all__ = [
    "cheb_two_terms_first_order", "renormalisation_to_gcn", "polynomial_filter_is_spatial",
    "filter_commutes_with_laplacian", "polynomial_filter_is_local", "gcn_permutation_equivariant",
    "cheb_permutation_equivariant", "gat_permutation_equivariant", "readouts_permutation_invariant",
    "gat_zero_attention_is_mean", "laplacian_spectrum_in_0_2", "cheb_first_order_equals_gcn",
    "gcn_loops_equal_a_plus_i", "softmax_rules",
]


def _verdict(ok: bool, method: str, steps: list, lhs=None, rhs=None) -> Result:
    if ok:
        return Result("proved", method, steps)
    return Result("refuted", method, steps + ["normal forms differ"], counterexample={"lhs": str(lhs), "rhs": str(rhs)})


def cheb_two_terms_first_order() -> Result:
    """ChebNet, K = 2, λ_max = 2, Θ₁ = −Θ₀  ⇒  Y = (I + D^{-1/2} A D^{-1/2}) X Θ₀ + 1bᵀ, every N.

    Examples
    --------
    >>> cheb_two_terms_first_order().status
    'proved'
    """
    layer = describe_cheb(2)
    (N, F, G), X = layer.sizes, layer.X
    Lt, L = list(layer.operators)
    S = sp.MatrixSymbol("S", N, N)  # S = D^{-1/2} A D^{-1/2}
    lam = sp.Symbol("lambda_max", positive=True)
    Th0, Th1, b = layer.params
    y = layer.pre.xreplace({Th1: -Th0})
    y = y.xreplace({Lt: (2 / lam * L - sp.Identity(N)).xreplace({lam: 2})}).xreplace({L: sp.Identity(N) - S})
    target = (sp.Identity(N) + S) * X * Th0 + sp.OneMatrix(N, 1) * b.T
    ok, a, t = same(y, target)
    steps = ["T₀ = I, T₁ = L̃; Y = X Θ₀ + L̃ X Θ₁ + 1bᵀ",
             "L̃ = (2/λ_max) L − I = L − I at λ_max = 2; L = I − S with S = D^{-1/2} A D^{-1/2}, so L̃ = −S",
             "Θ₁ = −Θ₀: Y = X Θ₀ + S X Θ₀ + 1bᵀ = (I + S) X Θ₀ + 1bᵀ",
             f"normal form of both sides: {a}"]
    return _verdict(ok, "matrix normal form (symbolic N, F, G)", steps, a, t)


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
    found, count = _sos_identities(max_nodes, renormalised=True)
    found2, _ = _sos_identities(max_nodes)
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

    return _then_kernel("degree identity + sum-of-squares identities over all small graphs", steps,
                        tuple({"N": n} for n in range(1, max_nodes + 1)), holds, examples=examples,
                        label="kernel gcn() = D̃^{-1/2}(A+I)D̃^{-1/2} X W + 1bᵀ")


def _then_kernel(method: str, steps: list, dims: tuple, holds, *, examples: int, label: str,
                 graph_kw=None) -> Result:
    """A symbolic small-size proof, completed by a numeric check of the kernel on random graphs."""
    numeric = _search(holds, examples=examples, method="numeric search on random graphs", steps=[],
                      graph_kw=graph_kw)
    if numeric.status == "refuted":
        return numeric
    return Result("proved_for_dims", method, steps + [f"{label}: {numeric.steps[-1]}"], dims=dims)


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


def _power_lemma(Q, M) -> tuple[bool, list]:
    """(Q M Qᵀ)^k = Q M^k Qᵀ for every k ≥ 0 by induction, given QᵀQ = I."""
    k = sp.Symbol("k", integer=True, nonnegative=True)
    N = Q.shape[0]
    rules = Rules(cancel=((Q.T, Q),))
    base, _, _ = same(sp.Identity(N), Q * Q.T, Rules(cancel=((Q.T, Q), (Q, Q.T))))
    step, a, _ = same(Q * M * Q.T * (Q * M**k * Q.T), Q * M**(k + 1) * Q.T, rules)
    return base and step, [
        f"lemma (QMQᵀ)^k = Q M^k Qᵀ with Q = {Q}, M = {M}, by induction on k:",
        "  k = 0: I = Q Qᵀ (Q orthogonal)",
        f"  k → k+1: Q M Qᵀ · Q M^k Qᵀ = {a} using QᵀQ = I",
    ]


def polynomial_filter_is_spatial(degree: int = 4) -> Result:
    """Σ_k θ_k U Λ^k Uᵀ = Σ_k θ_k L^k for L = U Λ Uᵀ, UᵀU = I: every N and every degree (induction).

    Examples
    --------
    >>> polynomial_filter_is_spatial().status
    'proved'
    """
    N, = graph_sizes("N")
    U, Lam = matrices("U Lambda", [(N, N), (N, N)])
    ok, steps = _power_lemma(U, Lam)
    theta = sp.symbols(f"theta_0:{degree + 1}")
    lhs = U * sp.MatAdd(*(t * Lam**k for k, t in enumerate(theta))) * U.T
    rhs = sp.MatAdd(*(t * sp.MatPow(U * Lam * U.T, k) for k, t in enumerate(theta)))
    ok2, a, b = same(lhs, rhs, Rules(cancel=((U.T, U), (U, U.T))))
    steps += ["U g(Λ) Uᵀ with g(λ) = Σ θ_k λ^k is linear in g, so it equals Σ θ_k U Λ^k Uᵀ = Σ θ_k L^k",
              f"direct check at degree {degree} (UᵀU = UUᵀ = I, U square): both sides have normal form {a}"]
    return _verdict(ok and ok2, "induction on the degree + matrix normal form (symbolic N)", steps, a, b)


def filter_commutes_with_laplacian() -> Result:
    """g(L) L = L g(L) for g(L) = U g(Λ) Uᵀ, L = U Λ Uᵀ, UᵀU = I (g(Λ), Λ diagonal), every N.

    Examples
    --------
    >>> filter_commutes_with_laplacian().status
    'proved'
    """
    N, = graph_sizes("N")
    U, Lam, gL = matrices("U Lambda g_Lambda", [(N, N)] * 3)
    lam = sp.Symbol("lambda", real=True)
    g = sp.Function("g")
    per_entry = sp.simplify(g(lam) * lam - lam * g(lam)) == 0
    ok, a, _ = same(U * gL * U.T * U * Lam * U.T, U * Lam * U.T * U * gL * U.T,
                    Rules(cancel=((U.T, U),), diagonal=(Lam, gL)))
    steps = ["g(L) L = U g(Λ) UᵀU Λ Uᵀ = U g(Λ) Λ Uᵀ and L g(L) = U Λ g(Λ) Uᵀ (UᵀU = I)",
             "diagonal matrices commute, per entry: g(λ_i) λ_i − λ_i g(λ_i) = 0" + (" ✓" if per_entry else " ✗"),
             f"normal form of both sides: {a}"]
    return _verdict(ok and per_entry, "matrix normal form with diagonal commutation (symbolic N)", steps)


def _perm_rules(P):
    one = sp.OneMatrix(P.shape[0], 1)
    return Rules(cancel=((P.T, P),), absorb=((P, one), (P.T, one), (one.T, P), (one.T, P.T)))


def gcn_permutation_equivariant() -> Result:
    """GCN(PAPᵀ, PX) = P·GCN(A, X) for every permutation matrix P and every N.

    Examples
    --------
    >>> gcn_permutation_equivariant().status
    'proved'
    """
    layer = describe_gcn()
    (N, F, G), X = layer.sizes, layer.X
    A_hat = next(iter(layer.operators))
    P, = matrices("P", [(N, N)])
    moved = layer.pre.xreplace({A_hat: P * A_hat * P.T, X: P * X})
    ok, a, _ = same(moved, P * layer.pre, _perm_rules(P))
    steps = ["operator: the degree vector of PÃPᵀ is PÃPᵀ1 = PÃ1 = P d̃ (Pᵀ1 = 1), so its degree matrix is "
             "P D̃ Pᵀ, and (P D̃ Pᵀ)^{-1/2} = P D̃^{-1/2} Pᵀ (P only permutes the diagonal); hence Â ↦ P Â Pᵀ",
             "layer: P Â Pᵀ P X W + 1bᵀ = P Â X W + P 1 bᵀ (PᵀP = I, P1 = 1)",
             f"normal form of both sides: {a}"]
    return _verdict(ok, "matrix normal form (symbolic N, F, G), permutation facts as rewrite rules", steps)


def cheb_permutation_equivariant(K: int = 4) -> Result:
    """ChebNet(PL̃Pᵀ, PX) = P·ChebNet(L̃, X) for every permutation P, every N and every K.

    Examples
    --------
    >>> cheb_permutation_equivariant().status
    'proved'
    """
    layer = describe_cheb(K)
    N, X = layer.sizes[0], layer.X
    Lt = next(iter(layer.operators))
    P, = matrices("P", [(N, N)])
    ok, steps = _power_lemma(P, Lt)
    moved = layer.pre.xreplace({Lt: P * Lt * P.T, X: P * X})
    ok2, a, _ = same(moved, P * layer.pre, _perm_rules(P))
    steps = ["L̃ of the permuted graph is P L̃ Pᵀ (same degree argument as for GCN)"] + steps + [
        "T_k is a polynomial, so T_k(P L̃ Pᵀ) = P T_k(L̃) Pᵀ for every k, hence every K",
        f"direct check with K = {K}: {len(a)} terms agree"]
    return _verdict(ok and ok2, "induction + matrix normal form (symbolic N, F, G)", steps)


def readouts_permutation_invariant() -> Result:
    """Sum readout 1ᵀX and mean readout (1/N) 1ᵀX are unchanged by X ↦ PX, every N.

    Examples
    --------
    >>> readouts_permutation_invariant().status
    'proved'
    """
    N, F = graph_sizes("N F")
    P, X = matrices("P X", [(N, N), (N, F)])
    one = sp.OneMatrix(N, 1)
    ok1, a, _ = same(one.T * P * X, one.T * X, _perm_rules(P))
    ok2, _, _ = same(one.T * P * X / N, one.T * X / N, _perm_rules(P))
    return _verdict(ok1 and ok2, "matrix normal form (symbolic N, F)",
                    ["1ᵀ P = (Pᵀ 1)ᵀ = 1ᵀ for a permutation", f"sum: 1ᵀ P X → {a}", "mean: divide both by N"])


def gat_zero_attention_is_mean() -> Result:
    """With a_src = a_dst = 0, α_ij = 1/|N̄(i)|: GAT is the mean over the closed neighbourhood, every size.

    Examples
    --------
    >>> gat_zero_attention_is_mean().status
    'proved'
    """
    n, j = sp.symbols("n j", integer=True, positive=True)
    e = sp.IndexedBase("e")
    alpha, k = softmax_over(e, j, n)
    at_zero = sp.simplify(alpha.replace(lambda x: isinstance(x, sp.Indexed), lambda x: sp.S.Zero).doit())
    ok = sp.simplify(at_zero - 1 / n) == 0
    steps = ["a = 0 ⇒ p_ij = 0 ⇒ e_ij = LeakyReLU(0) = 0 for every edge of N̄(i)",
             f"α_ij = exp(0) / Σ_{{k=1}}^{{n}} exp(0) = {at_zero} with n = |N̄(i)| (symbolic n)",
             "y_i = Σ_{j ∈ N̄(i)} (1/n) z_j: the mean of z_j = x_j W over the closed neighbourhood, per head"]
    return Result("proved" if ok else "refuted", "symbolic softmax over a neighbourhood of size n", steps)


def _search(property_fn, *, examples: int, method: str, steps: list, graph_kw=None) -> Result:
    from ..testing.graphs import graph_examples, random_graph

    kw = graph_kw or {}
    case, n = find_counterexample(
        lambda: _with_seed(graph_examples(features=2, max_nodes=7, **kw)),
        lambda rng: (_np_example(rng, random_graph, **kw), int(rng.integers(1 << 31))),
        lambda c: not property_fn(*c), examples=examples)
    if case is not None:
        case = _shrink(case, lambda c: not property_fn(*c))
        return Result("refuted", method, steps + ["counterexample simplified greedily (edges, nodes, features)"],
                      counterexample=_describe_case(case))
    return Result("checked", method, steps + [f"no counterexample in {n} random graphs"], examples=n)


def _shrink(case, fails):
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


def _exhaustive_locality(max_nodes: int, max_degree: int, hops=lambda m: m):
    """Every graph on ≤ max_nodes nodes, L with one symbol per structural entry: (L^m)_ij ≡ 0 beyond hops(m)."""
    import itertools

    count = 0
    for n in range(1, max_nodes + 1):
        pairs = list(itertools.combinations(range(n), 2))
        for mask in itertools.product((0, 1), repeat=len(pairs)):
            G = nx.Graph()
            G.add_nodes_from(range(n))
            G.add_edges_from(p for p, keep in zip(pairs, mask) if keep)
            L = sp.Matrix(n, n, lambda i, j: sp.Symbol(f"l_{min(i, j)}_{max(i, j)}")
                          if i == j or G.has_edge(i, j) else 0)
            dist = dict(nx.all_pairs_shortest_path_length(G))
            power = sp.eye(n)
            for m in range(1, max_degree + 1):
                power = (power * L).expand()
                for i, j in itertools.product(range(n), repeat=2):
                    if dist[i].get(j, n + 1) > hops(m) and power[i, j] != 0:
                        return {"nodes": n, "edges": sorted(G.edges()), "m": m, "entry": (i, j)}, count
                count += 1
    return None, count


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
    found, count = _exhaustive_locality(max_nodes, max_degree)
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
    return _then_kernel("exhaustive symbolic check over all small graphs", steps, dims, holds, examples=examples,
                        label=f"kernel polynomial_filter(e_j), degree {degree}, vanishes exactly outside the "
                              f"{degree}-hop ball of j")


def _gat_symbolic(n, edges, z, a_src, a_dst, slope):
    """One head, one channel: y_i = Σ_{j∈N̄(i)} softmax_j(LeakyReLU(a_src z_j + a_dst z_i)) z_j, as SymPy."""
    from .symbolic import leaky_relu

    out = []
    for i in range(n):
        nb = sorted({j for j, k in edges if k == i and j != i} | {i})
        e = {j: sp.exp(leaky_relu(a_src * z[j] + a_dst * z[i], slope)) for j in nb}
        den = sp.Add(*e.values())
        out.append(sp.Add(*(e[j] / den * z[j] for j in nb)))
    return out


def _gat_exhaustive(max_nodes: int, outputs=None):
    import itertools

    outputs = outputs or _gat_symbolic
    a_s, a_d = sp.symbols("a_src a_dst", real=True)
    slope = sp.Symbol("s", positive=True)
    z = sp.symbols(f"z0:{max_nodes}", real=True)
    count = 0
    for n in range(1, max_nodes + 1):
        gens = [tuple(range(n))] if n == 1 else [(1, 0, *range(2, n)), (*range(1, n), 0)]
        pairs = [(u, v) for u in range(n) for v in range(n) if u != v]
        for mask in itertools.product((0, 1), repeat=len(pairs)):
            E = [p for p, keep in zip(pairs, mask) if keep]
            Y = outputs(n, E, z[:n], a_s, a_d, slope)
            for perm in gens:
                z2 = [None] * n
                for i in range(n):
                    z2[perm[i]] = z[i]
                Y2 = outputs(n, [(perm[u], perm[v]) for u, v in E], z2, a_s, a_d, slope)
                if any(Y2[perm[i]] != Y[i] for i in range(n)):
                    return {"nodes": n, "edges": E, "perm": perm}, count
                count += 1
    return None, count


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

    found, count = _gat_exhaustive(max_nodes)
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

    return _then_kernel("exhaustive symbolic relabelling over all small directed graphs", steps,
                        tuple({"N": n} for n in range(1, max_nodes + 1)), holds, examples=examples,
                        label="kernel (2 heads × 2 channels, directed graphs)", graph_kw={"directed": True})


@functools.lru_cache(maxsize=None)
def _sos_identities(max_nodes: int, renormalised: bool = False):
    """For every graph on ≤ max_nodes nodes with symbolic positive weights, verify sums of squares.

    Plain (L = I − S, S = D^{-1/2} A D^{-1/2}), with c_i = 1 for isolated nodes, else 0:

        xᵀ L x        = Σ_{ij∈E} w_ij (x_i/√d_i − x_j/√d_j)² + Σ c_i x_i²,
        xᵀ (2I − L) x = Σ_{ij∈E} w_ij (x_i/√d_i + x_j/√d_j)² + Σ c_i x_i².

    Renormalised (Â = D̃^{-1/2}(A + I)D̃^{-1/2}, d̃ = d + 1):

        xᵀ (I − Â) x = Σ_{ij∈E} w_ij (x_i/√d̃_i − x_j/√d̃_j)²,
        xᵀ (I + Â) x = Σ_{ij∈E} w_ij (x_i/√d̃_i + x_j/√d̃_j)² + 2 Σ_i x_i²/d̃_i.
    """
    import itertools

    count = 0
    for n in range(1, max_nodes + 1):
        pairs = list(itertools.combinations(range(n), 2))
        x = sp.symbols(f"x0:{n}", real=True)
        for mask in itertools.product((0, 1), repeat=len(pairs)):
            E = [p for p, keep in zip(pairs, mask) if keep]
            w = {e: sp.Symbol(f"w_{e[0]}_{e[1]}", positive=True) for e in E}
            d = [sp.Add(*(w[e] for e in E if i in e)) + (1 if renormalised else 0) for i in range(n)]
            r = [sp.sqrt(di) for di in d]
            norm = sp.Add(*(xi**2 for xi in x))
            off = 2 * sp.Add(*(w[(i, j)] * x[i] * x[j] / (r[i] * r[j]) for i, j in E))
            minus = sp.Add(*(w[(i, j)] * (x[i] / r[i] - x[j] / r[j]) ** 2 for i, j in E))
            plus = sp.Add(*(w[(i, j)] * (x[i] / r[i] + x[j] / r[j]) ** 2 for i, j in E))
            if renormalised:
                quad = sp.Add(*(x[i] ** 2 / d[i] for i in range(n))) + off  # xᵀ Â x
                pairs_ = [(norm - quad, minus), (norm + quad, plus + 2 * sp.Add(*(x[i] ** 2 / d[i] for i in range(n))))]
            else:
                iso = sp.Add(*(x[i] ** 2 for i in range(n) if d[i] == 0))
                quad = norm - off  # xᵀ L x
                pairs_ = [(quad, minus + iso), (2 * norm - quad, plus + iso)]
            for lhs, rhs in pairs_:
                residual = sp.cancel(sp.expand(lhs - rhs))
                if residual != 0:
                    return {"nodes": n, "edges": E, "residual": str(residual)}, count
            count += 1
    return None, count


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

    found, count = _sos_identities(max_nodes)
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

    return _then_kernel("sum-of-squares identities over all small graphs (symbolic weights)", steps,
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

    return _search(holds, examples=examples, method="numeric search on random weighted graphs",
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

    return _search(holds, examples=examples, method="numeric search on random graphs with self-loops",
                   steps=["compare gcn() (PyG convention) with D̃^{-1/2}(A + I)D̃^{-1/2} X W on graphs with self-loops"],
                   graph_kw={"self_loops": True})


def softmax_rules() -> Result:
    """The neighbourhood softmax's Jacobian α_j(δ_jl − α_l) and backward rule α_j(g_j − Σ_l g_l α_l), every size.

    Examples
    --------
    >>> softmax_rules().status
    'proved'
    """
    from .describe_gat import neighbourhood_softmax_partial, softmax_backward

    _, _, d1 = neighbourhood_softmax_partial()
    _, _, d2 = softmax_backward()
    steps = ["α_j = exp(e_j) / Σ_{k=1}^{n} exp(e_k) over a neighbourhood of symbolic size n",
             f"sympy.diff(α_j, e_l) − α_j(δ_jl − α_l) simplifies to {d1} (1 ≤ l ≤ n)",
             f"Σ_l g_l ∂α_l/∂e_j − α_j(g_j − Σ_l g_l α_l) simplifies to {d2} (1 ≤ j ≤ n): the rule gat_backward uses"]
    ok = d1 == 0 and d2 == 0
    return Result("proved" if ok else "refuted", "symbolic differentiation of an Indexed sum (every n)", steps)
