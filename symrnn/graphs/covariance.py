"""Each graph operator moves with a relabelling of the graph: Op(πG) = Π_target Op(G) Π_sourceᵀ.

Relabel the nodes by a permutation matrix P (N × N) and list the edges in
another order, Q (E × E).  By the definition of relabelling, the incidence
matrices and the edge weights become

    S_src(πG) = Q S_src Pᵀ,   S_dst(πG) = Q S_dst Pᵀ,   W_E(πG) = Q W_E Qᵀ,

and every operator of :data:`symrnn.spec.operators.OPERATORS` is built from
them.  :func:`covariance` proves, for one operator, that it is *covariant* —
node-to-node operators map to P Op Pᵀ, gathers to Q Op Pᵀ, scatters to
P Op Qᵀ — by :func:`symrnn.prove.matrix_identity` under the facts "P and Q
are permutations" and two lemmas about a permutation P and a diagonal
matrix D (both standard, taken as facts like PᵀP = I; the relabelling test of
:func:`symrnn.prove.permutation_equivariant` checks every operator numerically
on random graphs, where they would show):

* diag(P v) = P diag(v) Pᵀ (the degree matrix of the relabelled graph), and
* (P D Pᵀ)^k = P D^k Pᵀ for every real k where D^k is defined (entrywise on a
  diagonal), e.g. k = −1/2.

``segmax_dst`` is not linear: the maximum over the set of edges entering a
node does not depend on the order of the edges and moves with the node, so it
is covariant by definition.
"""

from __future__ import annotations

import sympy as sp

from ..errors import UnknownNameError
from ..spec.operators import OPERATORS
from ..prove import Result, all_of, diagonal, matrix_identity, permutation

__all__ = ["covariance", "COVARIANT_BY_DEFINITION"]

COVARIANT_BY_DEFINITION = ("gather_src", "gather_dst", "segmax_dst", "max_in")
"""Operators whose covariance is the definition of relabelling (or, for the maxima, of a maximum over a set)."""


def _symbols():
    N, E = sp.symbols("N E", integer=True, positive=True)
    P, Q = sp.MatrixSymbol("P", N, N), sp.MatrixSymbol("Q", E, E)
    S_src, S_dst = sp.MatrixSymbol("S_src", E, N), sp.MatrixSymbol("S_dst", E, N)
    W = sp.MatrixSymbol("W_E", E, E)
    return N, E, P, Q, S_src, S_dst, W


def _relabelled(expr, P, Q, S_src, S_dst, W):
    return expr.xreplace({S_src: Q * S_src * P.T, S_dst: Q * S_dst * P.T, W: Q * W * Q.T})


def _degree_normalised(power, loops: bool, transpose_adj: bool = False):
    """D^k Ã D^k with Ã = A (+ I) and D = diag(Ã 1): its relabelling equals P (D^k Ã D^k) Pᵀ."""
    N, E, P, Q, S_src, S_dst, W = _symbols()
    A = S_dst.T * W * S_src
    if transpose_adj:
        A = A.T
    At = A + sp.Identity(N) if loops else A
    one = sp.OneMatrix(N, 1)
    D = sp.MatrixSymbol("D", N, N)  # D = diag(Ã 1)
    moved = _relabelled(At, P, Q, S_src, S_dst, W)
    steps = []
    adjacency = matrix_identity(moved, P * At * P.T, facts=[permutation(P), permutation(Q)])
    steps.append(adjacency.with_steps("Ã(πG) = P Ã Pᵀ:"))
    degree = matrix_identity(moved * one, P * (At * one), facts=[permutation(P), permutation(Q)])
    steps.append(degree.with_steps("the degree vector: Ã(πG) 1 = P (Ã 1), so D(πG) = diag(P Ã 1) = P D Pᵀ "
                                   "(lemma diag(P v) = P diag(v) Pᵀ):"))
    Dk = D ** power
    lhs = (P * Dk * P.T) * (P * At * P.T) * (P * Dk * P.T)  # (P D Pᵀ)^k = P D^k Pᵀ (lemma)
    whole = matrix_identity(lhs, P * (Dk * At * Dk) * P.T, facts=[permutation(P), diagonal(D)])
    steps.append(whole.with_steps(f"D^{power} Ã D^{power} of πG is (P D^{power} Pᵀ)(P Ã Pᵀ)(P D^{power} Pᵀ) "
                                  f"(lemma (P D Pᵀ)^k = P D^k Pᵀ):"))
    return steps


def covariance(name: str) -> Result:
    """Prove that the operator ``name`` moves with a relabelling of the graph (see the module docstring).

    Examples
    --------
    >>> covariance("gcn_norm").status, covariance("scatter_dst").status
    ('proved', 'proved')
    """
    if name not in OPERATORS:
        raise UnknownNameError(f"unknown graph operator {name!r}; known operators: {', '.join(OPERATORS)}")
    op = OPERATORS[name]
    N, E, P, Q, S_src, S_dst, W = _symbols()
    if name in COVARIANT_BY_DEFINITION:
        why = ("the maximum over the set of edges entering a node does not depend on their order and moves with the node"
               if name in ("segmax_dst", "max_in") else f"the definition of relabelling: {name}(πG) = Q {name}(G) Pᵀ")
        return Result("proved", "definition", [f"{name}: {why}."],
                      cross_examination="covariant by definition (checked numerically with the layers that use it)")
    if name == "sum_units":
        return Result("proved", "per-row map", ["sum_units: 1ᵀ v sums the units of each row alone, so it commutes with "
                                                "every permutation of the rows (of any space)."],
                      cross_examination="a per-row map (checked numerically with the layers that use it)")
    if name in ("scatter_src", "scatter_dst"):
        S = S_src if name == "scatter_src" else S_dst
        return matrix_identity(_relabelled(S.T, P, Q, S_src, S_dst, W), P * S.T * Q.T,
                               facts=[permutation(P), permutation(Q)]).with_steps(
            f"{name} = S{'_src' if S is S_src else '_dst'}ᵀ; relabelled: (Q S Pᵀ)ᵀ = P Sᵀ Qᵀ:")
    if name in ("adjacency", "adjacency_T", "sum_in", "sum_in_T"):
        A = S_dst.T * W * S_src if name.startswith("adjacency") else S_dst.T * S_src
        A = A.T if name.endswith("_T") else A
        return matrix_identity(_relabelled(A, P, Q, S_src, S_dst, W), P * A * P.T,
                               facts=[permutation(P), permutation(Q)]).with_steps(
            "A = S_dstᵀ W_E S_src:" if name.startswith("adjacency") else "S_dstᵀ S_src (every edge counted once):")
    if name in ("gcn_norm", "gcn_norm_T"):
        return all_of(*_degree_normalised(sp.Rational(-1, 2), loops=True, transpose_adj=name.endswith("_T")),
                      method="matrix normal form under permutation facts and the degree lemmas")
    if name in ("mean_in", "mean_in_T"):
        parts = _degree_normalised(-1, loops=False)  # D⁻¹ A D⁻¹ covers the left factor; the mean is D⁻¹ A
        D = sp.MatrixSymbol("D", N, N)
        A = S_dst.T * S_src
        mean = matrix_identity((P * D ** -1 * P.T) * _relabelled(A, P, Q, S_src, S_dst, W), P * (D ** -1 * A) * P.T,
                               facts=[permutation(P), permutation(Q), diagonal(D)])
        return all_of(parts[1], mean.with_steps("D⁻¹ S_dstᵀ S_src of πG, with D(πG) = P D Pᵀ:"),
                      method="matrix normal form under permutation facts and the degree lemma")
    if name in ("laplacian", "laplacian_T"):
        parts = _degree_normalised(sp.Rational(-1, 2), loops=False)
        S = sp.MatrixSymbol("S", N, N)
        last = matrix_identity((sp.Identity(N) - S).xreplace({S: P * S * P.T}), P * (sp.Identity(N) - S) * P.T,
                               facts=[permutation(P)])
        return all_of(*parts, last.with_steps("L = I − S with S = D^{-1/2} A D^{-1/2} ↦ P S Pᵀ:"),
                      method="matrix normal form under permutation facts and the degree lemmas")
    if name in ("eig", "eig_T"):
        return Result("undecided", "no covariance lemma", [
            f"{name}: the eigenbasis of L is unique only up to signs and, for a repeated eigenvalue, a rotation "
            "inside its eigenspace; a filter with different responses inside one eigenspace depends on that "
            "choice, so relabelling need not move it with the nodes"])
    if name in ("cheb_lt", "cheb_lt_T"):
        parts = _degree_normalised(sp.Rational(-1, 2), loops=False)
        lam = sp.Symbol("lambda_max", positive=True)
        S = sp.MatrixSymbol("S", N, N)  # S = D^{-1/2} A D^{-1/2}, shown covariant above
        Lt = (2 / lam) * (sp.Identity(N) - S) - sp.Identity(N)
        last = matrix_identity(Lt.xreplace({S: P * S * P.T}), P * Lt * P.T, facts=[permutation(P)])
        return all_of(*parts, last.with_steps("L̃ = (2/λ_max)(I − S) − I with S = D^{-1/2} A D^{-1/2} ↦ P S Pᵀ:"),
                      method="matrix normal form under permutation facts and the degree lemmas")
    if name in ("walk_out", "walk_out_T", "walk_in", "walk_in_T"):
        # W (i, j) = weight of i → j = S_srcᵀ W_E S_dst; walk_out = D_O⁻¹ W, walk_in = D_I⁻¹ Wᵀ, D = diag(row sums)
        D = sp.MatrixSymbol("D", N, N)
        Wn = S_src.T * W * S_dst if name.startswith("walk_out") else S_dst.T * W * S_src
        one = sp.OneMatrix(N, 1)
        moved = _relabelled(Wn, P, Q, S_src, S_dst, W)
        degree = matrix_identity(moved * one, P * (Wn * one), facts=[permutation(P), permutation(Q)]).with_steps(
            "the degree vector of πG is P (W 1), so D(πG) = P D Pᵀ (lemma diag(P v) = P diag(v) Pᵀ):")
        walk = D ** -1 * Wn
        lhs = (P * D ** -1 * P.T) * moved
        body = matrix_identity(lhs if not name.endswith("_T") else lhs.T, P * (walk if not name.endswith("_T") else walk.T) * P.T,
                               facts=[permutation(P), permutation(Q), diagonal(D)]).with_steps(
            f"{name}: D⁻¹ W of πG is (P D⁻¹ Pᵀ)(P W Pᵀ):")
        return all_of(degree, body, method="matrix normal form under permutation facts and the degree lemma")
    return Result("undecided", "no covariance lemma", [f"{name}: {op.definition}; no lemma is written for it yet"])
