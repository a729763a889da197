"""Graph autoencoders, GraphRNN's BFS sequences and spatial-temporal graph GRUs.

Symbolic proofs through the public provers where the claim is algebra (``identity`` for the VGAE's KL,
``matrix_identity`` for the inner-product decoder and the supports of the graph filters); exhaustive
enumeration (``exhaustive``) of every BFS order of every connected graph on few nodes
(``proved_for_dims``), cross-examined on random graphs.
"""

from __future__ import annotations

import itertools
import networkx as nx
import numpy as np
import sympy as sp

from symrnn.prove import Result, Theorem, all_of, exhaustive, identity, matrix_identity, orthogonal

KIPF_VGAE = "Kipf & Welling 2016, Variational Graph Auto-Encoders (NIPS Bayesian Deep Learning Workshop)"
KINGMA = "Kingma & Welling 2014, Auto-Encoding Variational Bayes (ICLR), Appendix B"
YOU = "You et al. 2018, GraphRNN: Generating Realistic Graphs with Deep Auto-regressive Models (ICML), Proposition 1"
SEO = "Seo, Defferrard, Vandergheynst & Bresson 2018, Structured Sequence Modeling with Graph Convolutional Recurrent Networks (ICONIP)"
LI = "Li, Yu, Shahabi & Liu 2018, Diffusion Convolutional Recurrent Neural Network (ICLR), eq. 2"
WU = "Wu et al. 2021, A Comprehensive Survey on Graph Neural Networks (IEEE TNNLS), §6-7"
PYG = "PyTorch Geometric 2.x, torch_geometric.nn.models.autoencoder.VGAE.kl_loss"


# ----------------------------------------------------------------------------- VGAE
def _kl_nonnegative() -> Result:
    from symrnn.graphs.kl import kl_expression, kl_symbols

    _, mu, sigma, _ = kl_symbols()
    kl = kl_expression()
    f = sigma ** 2 / 2 - sp.log(sigma) - sp.Rational(1, 2)
    split = identity(kl, mu ** 2 / 2 + f).with_steps(
        f"KL(N(μ, σ²) ‖ N(0, 1)) = ∫ p (log p − log q) dx = {kl} (SymPy integration)",
        "KL = μ²/2 + f(σ), f(σ) = σ²/2 − log σ − 1/2:")
    crit = sp.solve(sp.diff(f, sigma), sigma)
    convex = sp.simplify(sp.diff(f, sigma, 2))
    ok = crit == [1] and bool(convex.is_positive) and f.subs(sigma, 1) == 0
    steps = [f"f'(σ) = {sp.diff(f, sigma)} vanishes only at σ = {crit} on σ > 0; f''(σ) = {convex} > 0, "
             "so f is strictly convex with its unique minimum f(1) = 0",
             "μ²/2 ≥ 0 with equality iff μ = 0; per entry KL ≥ 0 with equality iff μ = 0 and σ = 1; "
             "a sum (or mean) of entries is 0 iff every entry is"]
    calculus = Result("proved" if ok else "undecided", "SymPy: critical point, convexity", steps)
    return all_of(split, calculus, method="SymPy: decomposition (identity), critical point, convexity")


def _kl_is_pyg() -> Result:
    from symrnn.graphs.kl import kl_logstd_expression, kl_symbols

    _, mu, _, s = kl_symbols()
    pyg = -sp.Rational(1, 2) * (1 + 2 * s - mu ** 2 - sp.exp(s) ** 2)
    return identity(kl_logstd_expression(), pyg).with_steps(
        f"derived, σ = e^s: {kl_logstd_expression()}", f"PyG's typed form: {pyg}")


def _latent():
    N, L = sp.symbols("N L", integer=True, positive=True)
    return sp.MatrixSymbol("Z", N, L), sp.MatrixSymbol("Q", L, L), L


def _decoder_symmetric() -> Result:
    Z, _, _ = _latent()
    x = sp.Symbol("x", real=True)
    sig = 1 / (1 + sp.exp(-x))
    sym = matrix_identity((Z * Z.T).T, Z * Z.T).with_steps("(Z Zᵀ)ᵀ = Z Zᵀ: the logits are symmetric, for every N and L;")
    lower, upper = sig.is_positive, sp.simplify(1 - sig).is_positive
    signs = Result("proved" if lower and upper else "undecided", "sign of σ",
                   ["σ is applied entry-wise, so σ(Z Zᵀ) is symmetric",
                    f"σ(x) = 1/(1 + e^{{-x}}) > 0 and 1 − σ(x) = {sp.simplify(1 - sig)} > 0 for real x (SymPy's assumptions)",
                    "(exact reals; in floating point |z_i·z_j| > 37 rounds σ to 1.0)"])
    return all_of(sym, signs, method="matrix normal form and sign of σ")


def _decoder_rotation() -> Result:
    Z, Q, L = _latent()
    return matrix_identity((Z * Q) * (Z * Q).T, Z * Z.T, facts=[orthogonal(Q)]).with_steps(
        "(ZQ)(ZQ)ᵀ = Z Q Qᵀ Zᵀ and QQᵀ = I for orthogonal Q:",
        "so σ((ZQ)(ZQ)ᵀ) = σ(ZZᵀ) for every orthogonal Q, every N and L")


# ----------------------------------------------------------------------------- GraphRNN BFS
def _all_bfs_orders(G):
    """Every BFS order of G: any order is reproduced by ranking the neighbours by it."""
    from symrnn.graphs.generation import bfs_order

    return {tuple(bfs_order(G, start=p[0], rank={u: i for i, u in enumerate(p)})) for p in itertools.permutations(G)}


def _small_connected(max_nodes):
    return [G for G in nx.graph_atlas_g()[1:] if len(G) <= max_nodes and nx.is_connected(G)]


def _bfs_claim(claim, *, max_nodes: int, examples: int, label: str) -> Result:
    from symrnn.graphs.generation import bfs_order

    cases = ((G, list(order)) for G in _small_connected(max_nodes) for order in sorted(_all_bfs_orders(G)))

    def check(case):
        G, order = case
        return None if claim(G, order) else {"edges": [list(e) for e in G.edges], "order": order}

    def numeric(rng):
        from symrnn.testing.graphs import random_graph

        G = nx.Graph(random_graph(rng, max_nodes=7, connected=True))
        order = bfs_order(G, rng=int(rng.integers(1 << 30)))
        return None if claim(G, order) else {"edges": [list(e) for e in G.edges], "order": order}

    return exhaustive(check, cases, dims=tuple({"N": n} for n in range(1, max_nodes + 1)),
                      domain=f"{label}; every connected graph on 1..{max_nodes} nodes (networkx atlas) and every one "
                             "of its BFS orders", numeric=numeric, examples=examples,
                      method="exhaustive enumeration of BFS orders, cross-examined on random graphs")


def _roundtrip(G, order):
    from symrnn.graphs.generation import decode_bfs, encode_bfs

    S, _ = encode_bfs(G, order=order)
    H = decode_bfs(S)
    relabelled = nx.relabel_nodes(G, dict(zip(order, range(len(order)))))
    same = len(H) == len(G) and set(map(frozenset, relabelled.edges)) == set(map(frozenset, H.edges))
    return same and nx.is_isomorphic(G, H)


def _bandwidth_bound(G, order):
    from symrnn.graphs.generation import bandwidth, level_bound

    return bandwidth(G, order) <= level_bound(G, order)


def _roundtrip_check(*, max_nodes: int = 5, examples: int = 40) -> Result:
    return _bfs_claim(_roundtrip, max_nodes=max_nodes, examples=examples,
                      label="decode_bfs(encode in π) has edge (i, j) iff π(i) ~ π(j): π is an isomorphism")


def _bandwidth_check(*, max_nodes: int = 5, examples: int = 40) -> Result:
    return _bfs_claim(_bandwidth_bound, max_nodes=max_nodes, examples=examples,
                      label="max over edges of |pos(u) − pos(v)| ≤ max_k (|L_k| + |L_{k+1}|) − 1 "
                            "(BFS edges join equal or adjacent levels, and levels are contiguous in the order)")


# ----------------------------------------------------------------------------- spatial-temporal
def _per_node_filter(coefficients, label) -> Result:
    """Σ_k (c_k I) X Θ_k = X (Σ_k c_k Θ_k) for symbolic N, F, H."""
    N, F, H = sp.symbols("N F H", integer=True, positive=True)
    X = sp.MatrixSymbol("X", N, F)
    Th = [sp.MatrixSymbol(f"Theta_{k}", F, H) for k in range(len(coefficients))]
    lhs = sp.MatAdd(*[c * sp.Identity(N) * X * t for c, t in zip(coefficients, Th)])
    rhs = X * sp.MatAdd(*[c * t for c, t in zip(coefficients, Th)]) if any(coefficients) else sp.ZeroMatrix(N, H)
    return matrix_identity(lhs, rhs).with_steps(f"{label}: supports {[str(c) + '·I' for c in coefficients]}, "
                                                "Σ_k S_k X Θ_k = X Σ_k c_k Θ_k (symbolic N, F, H):")


def _kernel_pair(K, mode):
    """``pair(rng) -> (graph model's states, generated GRU kernel's states)`` on a random graph.

    GConvGRU (mode "one_term"/"edgeless") or DCGRU ("diffusion", K = 1).
    """
    import symrnn
    from symrnn.graphs.temporal import dcgru_forward, gconv_gru_forward, graph_gru_params
    from symrnn.testing.graphs import random_graph

    def pair(rng):
        seed = int(rng.integers(1 << 30))
        G = random_graph(rng, max_nodes=6, directed=mode == "diffusion")
        G = nx.empty_graph(len(G)) if mode == "edgeless" else G
        xs, h0 = rng.normal(size=(3, len(G), 2)), rng.normal(size=(len(G), 3))
        if mode == "diffusion":
            p = graph_gru_params(2, 3, 2, rng=seed)
            hs, c = dcgru_forward(nx.DiGraph(G), xs, p, initial=h0)[0], [1.0, 1.0]  # supports (P_O⁰, P_I⁰) = (I, I)
        else:
            p = graph_gru_params(2, 3, K, rng=seed)
            hs = gconv_gru_forward(nx.Graph(G), xs, p, initial=h0)[0]
            c = [float(sp.chebyshevt(k, 0)) for k in range(K)] if mode == "edgeless" else [1.0]
        kern = symrnn.compile(symrnn.cell("gru_reset_before"), input_size=2, hidden_size=3)
        for g in "rzn":
            for pre in "WU":
                kern.params[f"{pre}_{g}"][...] = sum(ck * T for ck, T in zip(c, p[f"{pre}_{g}"])).T
            kern.params[f"b_{g}"][...] = p[f"b_{g}"]
        return hs, kern.forward(xs, initial={"h": h0})[0]

    return pair


def _kernel_holds(K, mode):
    """``violation(rng)``: :func:`_kernel_pair` differing by more than 1e-12, or None."""
    pair = _kernel_pair(K, mode)

    def violation(rng):
        hs, got = pair(rng)
        d = float(np.abs(hs - got).max())
        return None if d <= 1e-12 else {"mode": mode, "K": K, "difference": f"{d:.3g}"}

    return violation


def _gconv_per_node(*, max_terms: int = 5, examples: int = 10) -> Result:
    def check(K):
        r = _per_node_filter([sp.chebyshevt(k, 0) for k in range(K)], f"edgeless, K = {K}")
        return None if r.status == "proved" else {"K": K, "difference": r.status}

    kernels = [_kernel_holds(1, "one_term"), _kernel_holds(4, "edgeless")]

    def numeric(rng):
        return kernels[int(rng.integers(2))](rng)

    one_term = _per_node_filter([1], "K = 1").with_steps(
        "K = 1: the only Chebyshev support is T_0(L̃) = I")
    edgeless = exhaustive(check, range(1, max_terms + 1), dims=tuple({"K": K} for K in range(1, max_terms + 1)),
                          domain="edgeless graph: L = I (PyG's get_laplacian keeps the diagonal of isolated nodes), so "
                                 "with λ_max = 2, L̃ = 0 and T_k(L̃) = T_k(0) I = cos(kπ/2) I; for K = 1.."
                                 f"{max_terms} the filter is per node (matrix normal form, symbolic N, F, H)",
                          numeric=numeric, examples=examples,
                          method="SymPy matrix algebra over symbolic N, F, H; kernel cross-check")
    return all_of(one_term, edgeless, method="SymPy matrix algebra over symbolic N, F, H; kernel cross-check").with_steps(
        after=("every filter F(·; Θ) of the GRU is then the per-node linear map X ↦ X Σ_k c_k Θ_k, so each node's "
               "row follows the reset-before GRU with W_g = (Σ_k c_k W_g[k])ᵀ, U_g = (Σ_k c_k U_g[k])ᵀ",))


def _diffusion_one_step(*, examples: int = 20) -> Result:
    from symrnn.graphs.temporal import diffusion_conv
    from symrnn.testing.graphs import random_graph

    N, F, H = sp.symbols("N F H", integer=True, positive=True)
    X, PO, PI = sp.MatrixSymbol("X", N, F), sp.MatrixSymbol("P_O", N, N), sp.MatrixSymbol("P_I", N, N)
    T1, T2 = sp.MatrixSymbol("Theta_01", F, H), sp.MatrixSymbol("Theta_02", F, H)
    gru = _kernel_pair(1, "diffusion")

    def numeric(rng):
        G = nx.DiGraph(random_graph(rng, max_nodes=7, directed=True))
        Xv = rng.normal(size=(len(G), 2))
        Th = rng.normal(size=(2, 1, 2, 3))
        hs, kernel = gru(rng)
        return (np.concatenate([diffusion_conv(G, Xv, Th).ravel(), hs.ravel()]),
                np.concatenate([(Xv @ (Th[0, 0] + Th[1, 0])).ravel(), kernel.ravel()]))

    return matrix_identity(PO ** 0 * X * T1 + PI ** 0 * X * T2, X * (T1 + T2), numeric=numeric, examples=examples).with_steps(
        "K = 1: P_O⁰ X Θ_01 + P_I⁰ X Θ_02 = X (Θ_01 + Θ_02), symbolic N, F, H: row i is x_i (Θ_01 + Θ_02);",
        after=("so a DCGRU with K = 1 is a reset-before GRU per node with W_g = (Θ_g[0] + Θ_g[1])ᵀ "
               "(the numeric cross-check runs diffusion_conv and dcgru_forward against the generated GRU kernel)",))


def _random_walk_mp(G, transpose: bool):
    """D_O⁻¹ W (or D_I⁻¹ Wᵀ) of a directed graph at 60 digits; rows of zero degree stay zero."""
    import mpmath

    nodes = sorted(G)
    index = {u: k for k, u in enumerate(nodes)}
    W = mpmath.zeros(len(nodes), len(nodes))
    for u, v, w in G.edges(data="weight", default=1.0):
        i, j = (index[v], index[u]) if transpose else (index[u], index[v])
        W[i, j] += mpmath.mpf(w)
    for i in range(W.rows):
        d = sum(W[i, j] for j in range(W.cols))
        for j in range(W.cols):
            W[i, j] = W[i, j] / d if d else mpmath.mpf(0)
    return W


def _diffusion_two_steps_local_overstatement(*, examples: int = 20) -> Result:
    from symrnn.graphs.search import search
    from symrnn.graphs.temporal import diffusion_conv
    from symrnn.prove.exact import max_difference, precision
    from symrnn.prove.numeric import _text

    def holds(ex, seed):
        rng = np.random.default_rng(seed)
        Th = rng.normal(size=(2, 2, ex.X.shape[1], 3))
        return np.allclose(diffusion_conv(nx.DiGraph(ex.graph), ex.X, Th), ex.X @ (Th[0, 0] + Th[1, 0]), atol=1e-9)

    def exact(ex, seed):
        import mpmath

        with precision():
            Th = np.random.default_rng(seed).normal(size=(2, 2, ex.X.shape[1], 3))
            G, X = nx.DiGraph(ex.graph), mpmath.matrix(ex.X.tolist())
            T = lambda a, b: mpmath.matrix(Th[a, b].tolist())  # noqa: E731
            gap = _random_walk_mp(G, False) * X * T(0, 1) + _random_walk_mp(G, True) * X * T(1, 1)
            zero = np.zeros((gap.rows, gap.cols), dtype=object)
            absolute, relative = max_difference(np.array(gap.tolist(), dtype=object), zero + mpmath.mpf(0))
            return _text(absolute) if relative > 1e-40 else None

    return search(holds, examples=examples, method="numeric search on random directed graphs", steps=[],
                  graph_kw={"directed": True}, exact=exact)


# ----------------------------------------------------------------------------- the theorems
vgae_kl_nonnegative = Theorem(
    "vgae_kl_nonnegative",
    "The VGAE's KL(N(μ, σ²) ‖ N(0, 1)), derived by integrating the log-density ratio, is ≥ 0 with equality "
    "iff μ = 0 and σ = 1.",
    _kl_nonnegative, references=(KIPF_VGAE, KINGMA), timeout=30,
    latex=r"\mathrm{KL} = \tfrac12(\mu^2 + \sigma^2 - 1) - \log\sigma \ge 0",
)

vgae_kl_is_pyg_kl_loss = Theorem(
    "vgae_kl_is_pyg_kl_loss",
    "The derived KL with σ = e^s equals PyG's kl_loss integrand −½(1 + 2s − μ² − e^{2s}).",
    _kl_is_pyg, references=(KIPF_VGAE, PYG), timeout=30,
)

inner_product_decoder_symmetric_in_unit_interval = Theorem(
    "inner_product_decoder_symmetric_in_unit_interval",
    "The inner-product decoder σ(Z Zᵀ) is symmetric with entries in (0, 1), for every N and L.",
    _decoder_symmetric, references=(KIPF_VGAE, WU),
)

inner_product_decoder_rotation_invariance = Theorem(
    "inner_product_decoder_rotation_invariance",
    "The inner-product decoder is invariant under Z → ZQ for orthogonal Q: σ((ZQ)(ZQ)ᵀ) = σ(ZZᵀ).",
    _decoder_rotation, references=(KIPF_VGAE,),
)

bfs_decode_encode_isomorphic = Theorem(
    "bfs_decode_encode_isomorphic",
    "Decoding the BFS adjacency sequence of a connected graph gives a graph isomorphic to it (π is the isomorphism).",
    _roundtrip_check, references=(YOU,), expect="proved_for_dims", timeout=30,
)

bfs_bandwidth_level_bound = Theorem(
    "bfs_bandwidth_level_bound",
    "In a BFS order every edge spans at most max_k (|L_k| + |L_{k+1}|) − 1 positions (L_k the BFS levels), "
    "so that M suffices for GraphRNN's sequences.",
    _bandwidth_check, references=(YOU,), expect="proved_for_dims", timeout=30,
)

gconv_gru_per_node_gru = Theorem(
    "gconv_gru_per_node_gru",
    "GConvGRU with one Chebyshev term, or on an edgeless graph (λ_max = 2), is an independent reset-before GRU "
    "per node, with W_g = (Σ_k T_k(0) W_g[k])ᵀ on the edgeless graph.",
    _gconv_per_node, references=(SEO,), expect="proved_for_dims", timeout=30,
)

diffusion_one_step_per_node_linear = Theorem(
    "diffusion_one_step_per_node_linear",
    "A one-term (K = 1) diffusion convolution is the per-node linear map X (Θ_01 + Θ_02), so a one-term DCGRU "
    "is a reset-before GRU per node.",
    _diffusion_one_step, references=(LI,), timeout=30,
)

diffusion_two_terms_per_node_overstatement = Theorem(
    "diffusion_two_terms_per_node_overstatement",
    "Overstatement: a two-term (K = 2) diffusion convolution is still a per-node linear map "
    "(it is not: P_O X and P_I X mix neighbours).",
    _diffusion_two_steps_local_overstatement, references=(LI,), expect="refuted", timeout=30,
)
