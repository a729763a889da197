"""Recurrent graph networks: GGNN's step is the catalogue GRU; GConvGRU, GConvLSTM, DCRNN and GGNN are equivariant;
DCRNN's supports on undirected graphs; Chebyshev and power bases of a graph filter.

Everything goes through the public provers: ``equivalent`` on the step read back from the GGNN description,
``permutation_equivariant`` on the descriptions, ``matrix_identity`` for the supports (symbolic N, F, H and
a symbolic power k), ``exhaustive`` and ``identity`` for the change of basis.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import sympy as sp

import symrnn
from symrnn.graphs import recurrent
from symrnn.graphs.ggnn import LI_GGNN, ggnn, propagation_step
from symrnn.prove import Result, Theorem, all_of, diagonal, equivalent, exhaustive, identity, matrix_identity
from symrnn.prove import permutation_equivariant

SEO = recurrent.SEO
LI = "Li, Yu, Shahabi & Liu 2018, Diffusion Convolutional Recurrent Neural Network (ICLR), eq. 2"
DEFFERRARD = ("Defferrard, Bresson & Vandergheynst 2016, Convolutional Neural Networks on Graphs with Fast Localized "
              "Spectral Filtering (NeurIPS)")
CHO = "Cho et al. 2014, Learning Phrase Representations using RNN Encoder-Decoder (EMNLP)"
WU = "Wu et al. 2021, A Comprehensive Survey on Graph Neural Networks (IEEE TNNLS), §7"
STEPS = 3


# ----------------------------------------------------------------------------- GGNN
def _ggnn_steps(cell_name: str, rename=None) -> Result:
    desc = ggnn(STEPS)
    parts = [equivalent(symrnn.cell(cell_name), propagation_step(desc, l), sizes={"D": "H"}, rename=rename)
             .with_steps(f"Step {l} of {desc.name}: its message m⁽{l}⁾ = S_dstᵀ(e ⊙ W_{l} S_src h⁽{l - 1}⁾) = A W_{l} "
                         f"h⁽{l - 1}⁾ read as the input x, h⁽{l - 1}⁾ as the previous state "
                         "(symrnn.graphs.ggnn.propagation_step):") for l in range(1, STEPS + 1)]
    return all_of(*parts, method="per-unit normal forms of each propagation step (symrnn.prove.equivalent)")


# ----------------------------------------------------------------------------- DCRNN's supports
def _symbols():
    N, F, H = sp.symbols("N F H", integer=True, positive=True)
    k = sp.Symbol("k", integer=True, nonnegative=True)
    return N, F, H, k


def _walks_numeric(directed: bool):
    """``numeric(rng)``: (D_I⁻¹Wᵀ V, D_O⁻¹W V) from the operators of a random weighted graph."""
    from symrnn.graphs.operators import GraphOperators
    from symrnn.testing.graphs import random_graph

    def numeric(rng):
        G = random_graph(rng, min_nodes=2, max_nodes=8, directed=directed)
        ops, V = GraphOperators(G), rng.normal(size=(G.number_of_nodes(), 3))
        return ops.apply("walk_in", V), ops.apply("walk_out", V)

    return numeric


def _collapsed_numeric(rng):
    """DCGRU (K = 2) on a random undirected graph against its collapse: Θ_out ← Θ_out + Θ_in, Θ_in ← 0."""
    from symrnn.testing.graphs import random_graph

    G = nx.Graph(random_graph(rng, min_nodes=2, max_nodes=7))
    k = recurrent.compiled(recurrent.dcrnn(2), F=2, H=3)
    params = {n: rng.normal(size=v.shape) for n, v in k.params.items()}
    xs = rng.normal(size=(3, G.number_of_nodes(), 2))
    k.params = params
    full = recurrent.run(k, G, xs)[0]
    merged = {n: v.copy() for n, v in params.items()}
    for n in params:
        if "_in" in n and n.rsplit("_in", 1)[1].isdigit():
            out = n.replace("_in", "_out")
            merged[out], merged[n] = params[out] + params[n], 0 * params[n]
    k.params = merged
    return full, recurrent.run(k, G, xs)[0]


def _dcrnn_collapse() -> Result:
    N, F, H, k = _symbols()
    B, D = sp.MatrixSymbol("B", N, N), sp.MatrixSymbol("D", N, N)
    W, P, X = B + B.T, sp.MatrixSymbol("P", N, N), sp.MatrixSymbol("X", N, F)
    T1, T2 = sp.MatrixSymbol("Theta_k1", F, H), sp.MatrixSymbol("Theta_k2", F, H)
    symmetric = matrix_identity(W.T, W).with_steps(
        "An undirected graph's weight matrix is symmetric; every symmetric W is B + Bᵀ (B = W/2). Wᵀ = W:")
    walks = matrix_identity(D.inv() * W.T, D.inv() * W, facts=[diagonal(D)], numeric=_walks_numeric(False),
                            examples=10).with_steps(
        "Hence D_I = diag(Wᵀ1) = diag(W1) = D_O =: D, and D_I⁻¹Wᵀ = D_O⁻¹W (cross-examined with the operators "
        "walk_in and walk_out on random undirected weighted graphs):")
    terms = matrix_identity(P ** k * X * T1 + P ** k * X * T2, P ** k * X * (T1 + T2), numeric=_collapsed_numeric,
                            examples=6).with_steps(
        "With P = D_O⁻¹W = D_I⁻¹Wᵀ, term k of eq. 2 for every power k (symbolic k, N, F, H):",
        after=("Summing over k < K: Σ_k P^k X Θ_k1 + P^k X Θ_k2 = Σ_k P^k X (Θ_k1 + Θ_k2), the K supports P^k with "
               "Θ_k = Θ_k1 + Θ_k2; every K-support filter is reached (Θ_k2 = 0), so the two families coincide, "
               "for every K (cross-examined: a DCGRU with K = 2 against its collapsed parameters on random "
               "undirected graphs, generated kernels)",))
    return all_of(symmetric, walks, terms, method="matrix normal forms (symbolic N, F, H, k), operator cross-checks")


def _dcrnn_directed_overstatement() -> Result:
    from symrnn.graphs.search import search
    from symrnn.prove.exact import max_difference, precision
    from symrnn.prove.numeric import _text
    from symrnn.proofs.graph_models import _random_walk_mp

    from symrnn.graphs.operators import GraphOperators

    def holds(ex, seed):
        ops = GraphOperators(nx.DiGraph(ex.graph))
        return np.allclose(ops.apply("walk_in", ex.X), ops.apply("walk_out", ex.X), atol=1e-9)

    def exact(ex, seed):
        import mpmath

        with precision():
            G, X = nx.DiGraph(ex.graph), mpmath.matrix(ex.X.tolist())
            gap = _random_walk_mp(G, True) * X - _random_walk_mp(G, False) * X
            zero = np.zeros((gap.rows, gap.cols), dtype=object) + mpmath.mpf(0)
            absolute, relative = max_difference(np.array(gap.tolist(), dtype=object), zero)
            return _text(absolute) if relative > 1e-40 else None

    return search(holds, examples=20, method="numeric search on random directed graphs, re-checked at 60 digits",
                  steps=["Claim: D_I⁻¹Wᵀ X = D_O⁻¹W X on every graph, directed ones included."],
                  graph_kw={"directed": True}, exact=exact)


# ----------------------------------------------------------------------------- Chebyshev vs powers
def _change_of_basis(K: int) -> sp.Matrix:
    """C with T_k(x) = Σ_j C[k, j] x^j, k, j < K."""
    x = sp.Symbol("x")
    return sp.Matrix(K, K, lambda k, j: sp.Poly(sp.chebyshevt(k, x), x).coeff_monomial(x ** j))


def _bases_numeric(rng):
    """Σ_k T_k(P) X θ_k (the recurrence) against Σ_j P^j X θ'_j, θ' = Cᵀθ, for a random walk matrix P."""
    from symrnn.graphs.operators import GraphOperators
    from symrnn.testing.graphs import random_graph

    G = random_graph(rng, min_nodes=2, max_nodes=8, directed=True)
    ops, K = GraphOperators(G), int(rng.integers(1, 7))
    X, theta = rng.normal(size=(G.number_of_nodes(), 2)), rng.normal(size=K)
    C = np.array(_change_of_basis(K).tolist(), dtype=float)
    T = [X, ops.apply("walk_out", X)]
    for _ in range(2, K):
        T.append(2 * ops.apply("walk_out", T[-1]) - T[-2])
    powers = [X]
    for _ in range(1, K):
        powers.append(ops.apply("walk_out", powers[-1]))
    cheb = sum(t * c for t, c in zip(T[:K], theta))
    power = sum(p * c for p, c in zip(powers, C.T @ theta))
    d = float(np.abs(cheb - power).max())
    return None if d <= 1e-9 * (1 + float(np.abs(cheb).max())) else {"K": K, "difference": f"{d:.3g}"}


def _bases_span(*, max_terms: int = 16) -> Result:
    def check(K):
        C = _change_of_basis(K)
        ok = C.is_lower and all(C[k, k] != 0 for k in range(K))
        return None if ok else {"K": K, "C": str(C.tolist()), "difference": "C is not triangular with nonzero diagonal"}

    x, k = sp.Symbol("x"), sp.Symbol("k", integer=True, positive=True)
    lead = identity(2 * x * 2 ** (k - 1) * x ** k, 2 ** k * x ** (k + 1)).with_steps(
        "Induction step on the leading term: if T_k = 2^{k−1} x^k + (degree < k) and deg T_{k−1} = k − 1, then "
        "T_{k+1} = 2x T_k − T_{k−1} = 2^k x^{k+1} + (degree ≤ k):")
    table = exhaustive(check, range(1, max_terms + 1), dims=tuple({"K": K} for K in range(1, max_terms + 1)),
                       domain=f"K = 1..{max_terms}: C[k, j] = coefficient of x^j in T_k (SymPy chebyshevt), "
                              "lower triangular with C[k, k] = 2^{max(k−1, 0)} ≠ 0, so invertible",
                       numeric=_bases_numeric, examples=10,
                       method="exact coefficient tables; kernel-free cross-check with the random-walk operator")
    return all_of(table, lead, method="exact change-of-basis tables (K ≤ 16) + the leading-term induction step").with_steps(
        after=("Σ_k θ_k T_k(P) = Σ_j (Cᵀθ)_j P^j and C is invertible, so the K Chebyshev terms and the K powers "
               "P^0 … P^{K−1} span the same filters for the same operator P (a reparametrisation θ' = Cᵀθ): "
               "DCRNN's paper (powers of D_O⁻¹W) and a Chebyshev recurrence on the same supports give the same "
               "model family; they differ when applied to different operators (PyG-Temporal's DConv: the "
               "transposed walk and the recurrence 2P·T_{k−1} − X).",))


def _bases_equal_overstatement() -> Result:
    x = sp.Symbol("x")
    theta = sp.symbols("theta0:3")
    return identity(sum(t * sp.chebyshevt(k, x) for k, t in enumerate(theta)),
                    sum(t * x ** k for k, t in enumerate(theta))).with_steps(
        "Claim: with K = 3, the Chebyshev coefficients are the power coefficients, Σ θ_k T_k(x) = Σ θ_k x^k:")


# ----------------------------------------------------------------------------- the theorems
ggnn_step_is_catalogue_gru = Theorem(
    "ggnn_step_is_catalogue_gru",
    f"Each propagation step l of GGNN (L = {STEPS}, PyG GatedGraphConv) is the catalogue GRU with the reset gate "
    "after U_n h (gru_reset_after, torch's GRUCell) at D = H, whose input is the message m⁽ˡ⁾ = A W_l h⁽ˡ⁻¹⁾ "
    "and whose previous state is h⁽ˡ⁻¹⁾, for every size H.",
    lambda: _ggnn_steps("gru_reset_after"), references=(LI_GGNN, CHO), timeout=60,
    latex=r"\mathbf{h}^{(l)} = \mathrm{GRU}_{\text{reset after}}\big(\mathbf{A}\,\mathbf{W}_l\,\mathbf{h}^{(l-1)},\ \mathbf{h}^{(l-1)}\big)",
)

ggnn_step_is_reset_before_gru_overstatement = Theorem(
    "ggnn_step_is_reset_before_gru_overstatement",
    "Overstatement: a GGNN propagation step is the reset-before GRU of Cho et al. (Ũ(r ⊙ h)); it is not — "
    "torch's GRUCell applies r to U_n h + b_hn.",
    lambda: _ggnn_steps("gru_reset_before", rename={"b_n": "b_in"}), references=(LI_GGNN, CHO),
    expect="refuted", timeout=60,
)

ggnn_permutation_equivariance = Theorem(
    "ggnn_permutation_equivariance",
    "GGNN (2 propagation steps, weighted sum over incoming edges) is permutation equivariant: relabelling the "
    "nodes (the edge weights moving with their edges) relabels the output, for every graph and size.",
    lambda: permutation_equivariant(ggnn(2)), references=(LI_GGNN, WU), timeout=60,
)

gconv_gru_permutation_equivariance = Theorem(
    "gconv_gru_permutation_equivariance",
    "GConvGRU (K = 3 Chebyshev terms) is permutation equivariant at every step, for every graph and size.",
    lambda: permutation_equivariant(recurrent.gconv_gru(3)), references=(SEO, WU), timeout=60,
)

gconv_lstm_permutation_equivariance = Theorem(
    "gconv_lstm_permutation_equivariance",
    "GConvLSTM (Seo et al.'s Model 2, K = 3) is permutation equivariant at every step, for every graph and size.",
    lambda: permutation_equivariant(recurrent.gconv_lstm(3)), references=(SEO, WU), timeout=60,
)

dcrnn_permutation_equivariance = Theorem(
    "dcrnn_permutation_equivariance",
    "DCRNN's DCGRU (K = 2, 4 random-walk supports) is permutation equivariant on directed and undirected graphs, "
    "at every step, for every graph and size.",
    lambda: permutation_equivariant(recurrent.dcrnn(2)), references=(LI, WU), timeout=60,
)

dcrnn_undirected_supports_collapse = Theorem(
    "dcrnn_undirected_supports_collapse",
    "On an undirected graph D_I⁻¹Wᵀ = D_O⁻¹W, so DCRNN's 2K supports are K: Σ_k Θ_k1 P^k X + Θ_k2 P^k X = "
    "Σ_k (Θ_k1 + Θ_k2) P^k X, the same filters as K supports, for every K, N, F, H.",
    _dcrnn_collapse, references=(LI,), timeout=90,
    latex=r"\mathbf{W} = \mathbf{W}^\top \Rightarrow \mathbf{D}_I^{-1}\mathbf{W}^\top = \mathbf{D}_O^{-1}\mathbf{W}",
)

dcrnn_walks_equal_on_directed_overstatement = Theorem(
    "dcrnn_walks_equal_on_directed_overstatement",
    "Overstatement: DCRNN's two walks coincide on every graph (D_I⁻¹Wᵀ = D_O⁻¹W); on a directed graph they do not.",
    _dcrnn_directed_overstatement, references=(LI,), expect="refuted", timeout=60,
)

chebyshev_and_power_bases_span_same_filters = Theorem(
    "chebyshev_and_power_bases_span_same_filters",
    "The K Chebyshev terms T_0(P) … T_{K−1}(P) and the K powers P^0 … P^{K−1} span the same filters: "
    "T_k = Σ_j C_kj x^j with C lower triangular and C_kk = 2^{max(k−1,0)} ≠ 0, a reparametrisation θ' = Cᵀθ "
    "(decided exactly for K = 1..16; the leading-term induction step for every k).",
    _bases_span, references=(DEFFERRARD, LI), expect="proved_for_dims", timeout=60,
)

chebyshev_coefficients_are_power_coefficients_overstatement = Theorem(
    "chebyshev_coefficients_are_power_coefficients_overstatement",
    "Overstatement: a Chebyshev filter's coefficients are those of the power basis (Σ θ_k T_k = Σ θ_k x^k); "
    "false from K = 3 (T_2 = 2x² − 1).",
    _bases_equal_overstatement, references=(DEFFERRARD,), expect="refuted",
)
