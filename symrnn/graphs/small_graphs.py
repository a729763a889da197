"""Exhaustive symbolic checks over every small graph (``proved_for_dims``).

:func:`undirected` and :func:`directed` enumerate every graph on up to ``max_nodes`` nodes; the
``*_check`` functions decide a claim on one of them exactly with SymPy (weights or structural entries
are free symbols, so a pass holds for every weighting) and return ``None`` or a counterexample; they
are what :func:`symrnn.prove.exhaustive` runs.  The ``*_cases`` functions run a check over the whole
enumeration and return ``(counterexample or None, number of cases checked)``.
"""

from __future__ import annotations

import functools
import itertools

import networkx as nx
import sympy as sp

__all__ = ["undirected", "directed", "locality_check", "gat_relabelling_check", "sum_of_squares_check",
           "locality_cases", "gat_relabelling_cases", "gat_symbolic", "sum_of_squares_cases"]


def undirected(max_nodes: int):
    """Every undirected graph on 1..max_nodes nodes, as ``(n, edges)`` (edges (i, j) with i < j)."""
    for n in range(1, max_nodes + 1):
        pairs = list(itertools.combinations(range(n), 2))
        for mask in itertools.product((0, 1), repeat=len(pairs)):
            yield n, [p for p, keep in zip(pairs, mask) if keep]


def directed(max_nodes: int):
    """Every directed graph without self-loops on 1..max_nodes nodes, as ``(n, edges)``."""
    for n in range(1, max_nodes + 1):
        pairs = [(u, v) for u in range(n) for v in range(n) if u != v]
        for mask in itertools.product((0, 1), repeat=len(pairs)):
            yield n, [p for p, keep in zip(pairs, mask) if keep]


def _run(check, cases, per_case=1):
    count = 0
    for case in cases:
        found = check(case)
        if found is not None:
            return found, count
        count += per_case
    return None, count


def locality_check(max_degree: int, hops=lambda m: m):
    """``check((n, edges))``: with one symbol per structural entry of L, (L^m)_ij ≡ 0 beyond hops(m), m ≤ max_degree."""

    def check(case):
        n, E = case
        G = nx.Graph()
        G.add_nodes_from(range(n))
        G.add_edges_from(E)
        L = sp.Matrix(n, n, lambda i, j: sp.Symbol(f"l_{min(i, j)}_{max(i, j)}") if i == j or G.has_edge(i, j) else 0)
        dist = dict(nx.all_pairs_shortest_path_length(G))
        power = sp.eye(n)
        for m in range(1, max_degree + 1):
            power = (power * L).expand()
            for i, j in itertools.product(range(n), repeat=2):
                if dist[i].get(j, n + 1) > hops(m) and power[i, j] != 0:
                    return {"nodes": n, "edges": sorted(G.edges()), "m": m, "entry": (i, j),
                            "difference": f"(L^{m})_{i}{j} = {power[i, j]}"}
        return None

    return check


def locality_cases(max_nodes: int, max_degree: int, hops=lambda m: m):
    """Every graph on ≤ max_nodes nodes, L with one symbol per structural entry: (L^m)_ij ≡ 0 beyond hops(m)."""
    return _run(locality_check(max_degree, hops), undirected(max_nodes), per_case=max_degree)


def gat_symbolic(n, edges, z, a_src, a_dst, slope):
    """One head, one channel: y_i = Σ_{j∈N̄(i)} softmax_j(LeakyReLU(a_src z_j + a_dst z_i)) z_j, as SymPy."""
    from .symbolic import leaky_relu

    out = []
    for i in range(n):
        nb = sorted({j for j, k in edges if k == i and j != i} | {i})
        e = {j: sp.exp(leaky_relu(a_src * z[j] + a_dst * z[i], slope)) for j in nb}
        den = sp.Add(*e.values())
        out.append(sp.Add(*(e[j] / den * z[j] for j in nb)))
    return out


def gat_relabelling_check(max_nodes: int, outputs=None):
    """``check((n, edges))``: relabelling by a transposition and an n-cycle permutes GAT's symbolic outputs."""
    outputs = outputs or gat_symbolic
    a_s, a_d = sp.symbols("a_src a_dst", real=True)
    slope = sp.Symbol("s", positive=True)
    z = sp.symbols(f"z0:{max_nodes}", real=True)

    def check(case):
        n, E = case
        gens = [tuple(range(n))] if n == 1 else [(1, 0, *range(2, n)), (*range(1, n), 0)]
        Y = outputs(n, E, z[:n], a_s, a_d, slope)
        for perm in gens:
            z2 = [None] * n
            for i in range(n):
                z2[perm[i]] = z[i]
            Y2 = outputs(n, [(perm[u], perm[v]) for u, v in E], z2, a_s, a_d, slope)
            bad = [i for i in range(n) if Y2[perm[i]] != Y[i]]
            if bad:
                return {"nodes": n, "edges": E, "perm": perm, "difference": f"node {bad[0]}: {Y2[perm[bad[0]]] - Y[bad[0]]}"}
        return None

    return check


def gat_relabelling_cases(max_nodes: int, outputs=None):
    return _run(gat_relabelling_check(max_nodes, outputs), directed(max_nodes), per_case=1)


def sum_of_squares_check(renormalised: bool = False):
    """``check((n, edges))`` with symbolic positive weights: the sums of squares below hold exactly.

    Plain (L = I − S, S = D^{-1/2} A D^{-1/2}), with c_i = 1 for isolated nodes, else 0:

        xᵀ L x        = Σ_{ij∈E} w_ij (x_i/√d_i − x_j/√d_j)² + Σ c_i x_i²,
        xᵀ (2I − L) x = Σ_{ij∈E} w_ij (x_i/√d_i + x_j/√d_j)² + Σ c_i x_i².

    Renormalised (Â = D̃^{-1/2}(A + I)D̃^{-1/2}, d̃ = d + 1):

        xᵀ (I − Â) x = Σ_{ij∈E} w_ij (x_i/√d̃_i − x_j/√d̃_j)²,
        xᵀ (I + Â) x = Σ_{ij∈E} w_ij (x_i/√d̃_i + x_j/√d̃_j)² + 2 Σ_i x_i²/d̃_i.
    """

    def check(case):
        n, E = case
        x = sp.symbols(f"x0:{n}", real=True)
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
                return {"nodes": n, "edges": E, "residual": str(residual), "difference": str(residual)}
        return None

    return check


@functools.lru_cache(maxsize=None)
def sum_of_squares_cases(max_nodes: int, renormalised: bool = False):
    """For every graph on ≤ max_nodes nodes with symbolic positive weights, verify the sums of squares."""
    return _run(sum_of_squares_check(renormalised), undirected(max_nodes))
