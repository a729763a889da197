"""Graph claims proved symbolically for every size through the public prover
:func:`symrnn.prove.matrix_identity` (MatrixSymbols of size N under stated facts: P a permutation,
U orthogonal, diagonal matrices commute), or SymPy sums over a neighbourhood of symbolic size n.
The layers are not rewritten here: their matrices are read from the descriptions of
:mod:`symrnn.graphs.layers` by :func:`~symrnn.graphs.matrix_form.matrix_form` (Y = Â X Wᵀ + 1bᵀ).
Each check returns a :class:`~symrnn.prove.Result`; the catalogue wraps them in ``proofs/graphs.py``.
Every proof is cross-examined twice: by :func:`~symrnn.prove.matrix_identity`'s exact instances, and
by the layer's generated kernel on random graphs (``numeric=``), which shares the description but
none of the normal-form code."""

from __future__ import annotations

import sympy as sp

import numpy as np

from ..prove import all_of, diagonal, matrix_identity, orthogonal, permutation
from ..prove.verdict import Result
from . import layers
from .matrix_form import matrix_form
from .softmax_lemmas import softmax_over
from .symbolic import graph_sizes, matrices

__all__ = [
    "cheb_two_terms_first_order", "polynomial_filter_is_spatial", "filter_commutes_with_laplacian",
    "gcn_permutation_equivariant", "cheb_permutation_equivariant", "readouts_permutation_invariant",
    "gat_zero_attention_is_mean", "softmax_rules",
]


def _power_lemma(Q, M, fact) -> list:
    """(Q M Qᵀ)^k = Q M^k Qᵀ for every k ≥ 0 by induction, given QᵀQ = QQᵀ = I: the base and the step."""
    k = sp.Symbol("k", integer=True, nonnegative=True)
    N = Q.shape[0]
    base = matrix_identity(sp.Identity(N), Q * Q.T, facts=[fact])
    step = matrix_identity(Q * M * Q.T * (Q * M**k * Q.T), Q * M**(k + 1) * Q.T, facts=[fact])
    return [base.with_steps(f"lemma (QMQᵀ)^k = Q M^k Qᵀ with Q = {Q}, M = {M}, by induction on k; base k = 0:"),
            step.with_steps("step k → k+1: Q M Qᵀ · Q M^k Qᵀ = Q M^{k+1} Qᵀ:")]


def _random_case(rng, *, directed=False, features=2):
    from ..testing.graphs import random_graph

    G = random_graph(rng, min_nodes=2, max_nodes=7, directed=directed)
    return G, rng.normal(size=(G.number_of_nodes(), features))


def _permuted(G, X, perm):
    G2 = G.__class__()
    G2.add_nodes_from(range(len(perm)))
    G2.add_edges_from((int(perm[u]), int(perm[v]), d) for u, v, d in G.edges(data=True))
    X2 = np.empty_like(X)
    X2[perm] = X
    return G2, X2


def cheb_two_terms_first_order() -> Result:
    """ChebNet, K = 2, λ_max = 2, Θ₁ = −Θ₀  ⇒  Y = (I + D^{-1/2} A D^{-1/2}) X Θ₀ + 1bᵀ, every N.

    Examples
    --------
    >>> cheb_two_terms_first_order().status
    'proved'
    """
    form = matrix_form(layers.cheb(K=2))
    X, Lt, (Th0, Th1, b) = form.matrix("x"), form.matrix("cheb_lt"), (form.matrix(n) for n in ("Theta_0", "Theta_1", "b"))
    N = X.shape[0]
    S, L = sp.MatrixSymbol("S", N, N), sp.MatrixSymbol("L", N, N)  # S = D^{-1/2} A D^{-1/2}, L = I − S
    lam = sp.Symbol("lambda_max", positive=True)
    y = form.outputs["h"].xreplace({Th1: -Th0})
    y = y.xreplace({Lt: (2 / lam * L - sp.Identity(N)).xreplace({lam: 2})}).xreplace({L: sp.Identity(N) - S})
    target = (sp.Identity(N) + S) * X * Th0.T + sp.OneMatrix(N, 1) * b.T
    return matrix_identity(y, target).with_steps(
        "the description's matrix face (T₀ = I, T₁ = L̃): Y = X Θ₀ᵀ + L̃ X Θ₁ᵀ + 1bᵀ",
        "L̃ = (2/λ_max) L − I = L − I at λ_max = 2; L = I − S with S = D^{-1/2} A D^{-1/2}, so L̃ = −S",
        "Θ₁ = −Θ₀: Y = X Θ₀ᵀ + S X Θ₀ᵀ + 1bᵀ = (I + S) X Θ₀ᵀ + 1bᵀ")


def polynomial_filter_is_spatial(degree: int = 4) -> Result:
    """Σ_k θ_k U Λ^k Uᵀ = Σ_k θ_k L^k for L = U Λ Uᵀ, UᵀU = I: every N and every degree (induction).

    Examples
    --------
    >>> polynomial_filter_is_spatial().status
    'proved'
    """
    N, = graph_sizes("N")
    U, Lam = matrices("U Lambda", [(N, N), (N, N)])
    theta = sp.symbols(f"theta_0:{degree + 1}", real=True)
    lhs = U * sp.MatAdd(*(t * Lam**k for k, t in enumerate(theta))) * U.T
    rhs = sp.MatAdd(*(t * sp.MatPow(U * Lam * U.T, k) for k, t in enumerate(theta)))
    direct = matrix_identity(lhs, rhs, facts=[orthogonal(U)]).with_steps(
        "U g(Λ) Uᵀ with g(λ) = Σ θ_k λ^k is linear in g, so it equals Σ θ_k U Λ^k Uᵀ = Σ θ_k L^k; "
        f"direct check at degree {degree}:")
    return all_of(*_power_lemma(U, Lam, orthogonal(U)), direct,
                  method="induction on the degree + matrix normal form (symbolic N)")


def filter_commutes_with_laplacian() -> Result:
    """g(L) L = L g(L) for g(L) = U g(Λ) Uᵀ, L = U Λ Uᵀ, UᵀU = I (g(Λ), Λ diagonal), every N.

    Examples
    --------
    >>> filter_commutes_with_laplacian().status
    'proved'
    """
    N, = graph_sizes("N")
    U, Lam, gL = matrices("U Lambda g_Lambda", [(N, N)] * 3)
    return matrix_identity(U * gL * U.T * U * Lam * U.T, U * Lam * U.T * U * gL * U.T,
                           facts=[orthogonal(U), diagonal(Lam, gL)]).with_steps(
        "g(L) L = U g(Λ) UᵀU Λ Uᵀ = U g(Λ) Λ Uᵀ and L g(L) = U Λ g(Λ) Uᵀ (UᵀU = I); diagonal matrices commute")


def _gcn_layer(G, X, rng):
    from .gcn import gcn

    W, b = rng.normal(size=(X.shape[1], 3)), rng.normal(size=3)
    return gcn(G, X, W, b)


def _cheb_layer(K):
    def layer(G, X, rng):
        from .cheb import cheb

        return cheb(G, X, rng.normal(size=(K, X.shape[1], 3)), rng.normal(size=3))

    return layer


def _same_params(layer):
    """Both sides of an equivariance check must use the same parameters: reseed from a shared draw."""

    def numeric(rng):
        seed = int(rng.integers(1 << 30))
        G, X = _random_case(rng)
        perm = rng.permutation(G.number_of_nodes())
        G2, X2 = _permuted(G, X, perm)
        Y = layer(G, X, np.random.default_rng(seed))
        Y2 = layer(G2, X2, np.random.default_rng(seed))
        return Y2[perm], Y

    return numeric


def gcn_permutation_equivariant() -> Result:
    """GCN(PAPᵀ, PX) = P·GCN(A, X) for every permutation matrix P and every N.

    Examples
    --------
    >>> gcn_permutation_equivariant().status
    'proved'
    """
    form = matrix_form(layers.gcn())
    X, A_hat, Y = form.matrix("x"), form.matrix("gcn_norm"), form.outputs["h"]
    P, = matrices("P", [(X.shape[0], X.shape[0])])
    moved = Y.xreplace({A_hat: P * A_hat * P.T, X: P * X})
    return matrix_identity(moved, P * Y, facts=[permutation(P)], numeric=_same_params(_gcn_layer)).with_steps(
        "operator: the degree vector of PÃPᵀ is PÃPᵀ1 = PÃ1 = P d̃ (Pᵀ1 = 1), so its degree matrix is "
        "P D̃ Pᵀ, and (P D̃ Pᵀ)^{-1/2} = P D̃^{-1/2} Pᵀ (P only permutes the diagonal); hence Â ↦ P Â Pᵀ",
        "layer: P Â Pᵀ P X Wᵀ + 1bᵀ = P Â X Wᵀ + P 1 bᵀ (PᵀP = I, P1 = 1)")


def cheb_permutation_equivariant(K: int = 4) -> Result:
    """ChebNet(PL̃Pᵀ, PX) = P·ChebNet(L̃, X) for every permutation P, every N and every K.

    Examples
    --------
    >>> cheb_permutation_equivariant().status
    'proved'
    """
    form = matrix_form(layers.cheb(K=K))
    X, Lt, Y = form.matrix("x"), form.matrix("cheb_lt"), form.outputs["h"]
    P, = matrices("P", [(X.shape[0], X.shape[0])])
    moved = Y.xreplace({Lt: P * Lt * P.T, X: P * X})
    direct = matrix_identity(moved, P * Y, facts=[permutation(P)], numeric=_same_params(_cheb_layer(K)))
    return all_of(*_power_lemma(P, Lt, permutation(P)), direct.with_steps(
        "L̃ of the permuted graph is P L̃ Pᵀ (same degree argument as for GCN); T_k is a polynomial, so "
        f"T_k(P L̃ Pᵀ) = P T_k(L̃) Pᵀ for every k, hence every K; direct check with K = {K}:"),
        method="induction + matrix normal form (symbolic N, F, G)")


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
    return all_of(matrix_identity(one.T * P * X, one.T * X, facts=[permutation(P)]).with_steps("sum: 1ᵀ P = (Pᵀ 1)ᵀ = 1ᵀ"),
                  matrix_identity(one.T * P * X / N, one.T * X / N, facts=[permutation(P)]).with_steps("mean:"),
                  method="matrix normal form (symbolic N, F)")


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
    return Result("proved" if ok else "undecided", "symbolic softmax over a neighbourhood of size n", steps)


def softmax_rules() -> Result:
    """The neighbourhood softmax's Jacobian α_j(δ_jl − α_l) and backward rule α_j(g_j − Σ_l g_l α_l), every size.

    Examples
    --------
    >>> softmax_rules().status
    'proved'
    """
    from .softmax_lemmas import neighbourhood_softmax_partial, softmax_backward

    _, _, d1 = neighbourhood_softmax_partial()
    _, _, d2 = softmax_backward()
    steps = ["α_j = exp(e_j) / Σ_{k=1}^{n} exp(e_k) over a neighbourhood of symbolic size n",
             f"sympy.diff(α_j, e_l) − α_j(δ_jl − α_l) simplifies to {d1} (1 ≤ l ≤ n)",
             f"Σ_l g_l ∂α_l/∂e_j − α_j(g_j − Σ_l g_l α_l) simplifies to {d2} (1 ≤ j ≤ n): the rule gat_backward uses"]
    ok = d1 == 0 and d2 == 0
    return Result("proved" if ok else "undecided", "symbolic differentiation of an Indexed sum (every n)", steps)
