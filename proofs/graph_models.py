"""Graph autoencoders, GraphRNN's BFS sequences and spatial-temporal graph GRUs.

Symbolic proofs with SymPy where the claim is algebra (the VGAE's KL, the inner-product decoder,
the supports of the graph filters); exhaustive enumeration of every BFS order of every connected
graph on few nodes (``proved_for_dims``) completed by numeric searches on random graphs.
"""

from __future__ import annotations

import itertools
import networkx as nx
import numpy as np
import sympy as sp

from symrnn.prove import Result, Theorem

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
    steps = [f"KL(N(μ, σ²) ‖ N(0, 1)) = ∫ p (log p − log q) dx = {kl} (SymPy integration)"]
    ok = sp.simplify(kl - (mu ** 2 / 2 + f)) == 0
    steps.append("KL = μ²/2 + f(σ), f(σ) = σ²/2 − log σ − 1/2; μ²/2 ≥ 0 with equality iff μ = 0")
    crit = sp.solve(sp.diff(f, sigma), sigma)
    convex = sp.simplify(sp.diff(f, sigma, 2))
    ok = ok and crit == [1] and bool(convex.is_positive) and f.subs(sigma, 1) == 0
    steps.append(f"f'(σ) = {sp.diff(f, sigma)} vanishes only at σ = {crit} on σ > 0; f''(σ) = {convex} > 0, "
                 "so f is strictly convex with its unique minimum f(1) = 0")
    steps.append("per entry KL ≥ 0 with equality iff μ = 0 and σ = 1; a sum (or mean) of entries is 0 iff every entry is")
    return Result("proved" if ok else "refuted", "SymPy: decomposition, critical point, convexity", steps,
                  counterexample=None if ok else {"kl": str(kl)})


def _kl_is_pyg() -> Result:
    from symrnn.graphs.kl import kl_logstd_expression, kl_symbols

    _, mu, _, s = kl_symbols()
    pyg = -sp.Rational(1, 2) * (1 + 2 * s - mu ** 2 - sp.exp(s) ** 2)
    diff = sp.simplify(kl_logstd_expression() - pyg)
    return Result("proved" if diff == 0 else "refuted", "SymPy identity",
                  [f"derived, σ = e^s: {kl_logstd_expression()}", f"PyG's typed form: {pyg}", f"difference: {diff}"])


def _latent():
    N, L = sp.symbols("N L", integer=True, positive=True)
    return sp.MatrixSymbol("Z", N, L), sp.MatrixSymbol("Q", L, L), L


def _decoder_symmetric() -> Result:
    Z, _, _ = _latent()
    x = sp.Symbol("x", real=True)
    sig = 1 / (1 + sp.exp(-x))
    sym = sp.transpose(Z * Z.T).doit() == Z * Z.T
    lower, upper = sig.is_positive, sp.simplify(1 - sig).is_positive
    ok = sym and bool(lower) and bool(upper)
    return Result("proved" if ok else "refuted", "SymPy matrix algebra and sign of σ",
                  [f"(Z Zᵀ)ᵀ = {sp.transpose(Z * Z.T).doit()}: the logits are symmetric, for every N and L",
                   "σ is applied entry-wise, so σ(Z Zᵀ) is symmetric",
                   f"σ(x) = 1/(1 + e^{{-x}}) > 0 and 1 − σ(x) = {sp.simplify(1 - sig)} > 0 for real x",
                   "(exact reals; in floating point |z_i·z_j| > 37 rounds σ to 1.0)"])


def _decoder_rotation() -> Result:
    Z, Q, L = _latent()
    lhs = (Z * Q) * (Z * Q).T
    # QQᵀ = I for orthogonal Q: Qᵀ is Q⁻¹
    reduced = lhs.doit().subs(Q.T, Q.I).doit()
    ok = reduced == Z * Z.T
    return Result("proved" if ok else "refuted", "SymPy matrix algebra",
                  [f"(ZQ)(ZQ)ᵀ = {lhs.doit()}", f"with Qᵀ = Q⁻¹: {reduced}",
                   "so σ((ZQ)(ZQ)ᵀ) = σ(ZZᵀ) for every orthogonal Q, every N and L"])


# ----------------------------------------------------------------------------- GraphRNN BFS
def _all_bfs_orders(G):
    """Every BFS order of G: any order is reproduced by ranking the neighbours by it."""
    from symrnn.graphs.generation import bfs_order

    return {tuple(bfs_order(G, start=p[0], rank={u: i for i, u in enumerate(p)})) for p in itertools.permutations(G)}


def _small_connected(max_nodes):
    return [G for G in nx.graph_atlas_g()[1:] if len(G) <= max_nodes and nx.is_connected(G)]


def _bfs_claim(claim, *, max_nodes: int, examples: int, label: str) -> Result:
    from symrnn.graphs.search import search

    count = 0
    for G in _small_connected(max_nodes):
        for order in _all_bfs_orders(G):
            count += 1
            if not claim(G, list(order)):
                return Result("refuted", "exhaustive enumeration", [label],
                              counterexample={"edges": [list(e) for e in G.edges], "order": list(order)})
    steps = [label, f"exhaustive: every connected graph on 1..{max_nodes} nodes (networkx atlas) and every one of "
                    f"its BFS orders ({count} (graph, order) pairs)"]

    def holds(ex, seed):
        G = nx.Graph(ex.graph)
        from symrnn.graphs.generation import bfs_order
        return claim(G, bfs_order(G, rng=seed))

    numeric = search(holds, examples=examples, method="random connected graphs", steps=[],
                     graph_kw={"connected": True})
    if numeric.status == "refuted":
        return numeric
    return Result("proved_for_dims", "exhaustive enumeration of BFS orders, then random graphs",
                  steps + [f"random BFS orders of random connected graphs up to 7 nodes: {numeric.steps[-1]}"],
                  dims=tuple({"N": n} for n in range(1, max_nodes + 1)))


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
def _per_node_filter(coefficients, label) -> tuple[bool, list]:
    """Σ_k (c_k I) X Θ_k = X (Σ_k c_k Θ_k) for symbolic N, F, H."""
    N, F, H = sp.symbols("N F H", integer=True, positive=True)
    X = sp.MatrixSymbol("X", N, F)
    Th = [sp.MatrixSymbol(f"Theta_{k}", F, H) for k in range(len(coefficients))]
    lhs = sp.MatAdd(*[c * sp.Identity(N) * X * t for c, t in zip(coefficients, Th)]).doit()
    rhs = (X * sp.MatAdd(*[c * t for c, t in zip(coefficients, Th)])).doit() if any(coefficients) else sp.ZeroMatrix(N, H)
    ok = sp.expand(lhs - rhs).doit() == sp.ZeroMatrix(N, H) or sp.simplify(lhs - rhs) == 0
    return ok, [f"{label}: supports {[str(c) + '·I' for c in coefficients]}, Σ_k S_k X Θ_k = {rhs} (symbolic N, F, H)"]


def _kernel_holds(K, mode):
    """GConvGRU (mode "one_term"/"edgeless") or DCGRU ("diffusion", K = 1) against the generated GRU kernel."""
    import symrnn
    from symrnn.graphs.temporal import dcgru_forward, gconv_gru_forward, graph_gru_params

    def holds(ex, seed):
        rng = np.random.default_rng(seed)
        G = nx.empty_graph(len(ex.graph)) if mode == "edgeless" else ex.graph
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
        return np.allclose(hs, kern.forward(xs, initial={"h": h0})[0], rtol=0, atol=1e-12)

    return holds


def _gconv_per_node(*, max_terms: int = 5, examples: int = 10) -> Result:
    from symrnn.graphs.search import search

    steps = ["K = 1: the only Chebyshev support is T_0(L̃) = I",
             "edgeless graph: L = I (PyG's get_laplacian keeps the diagonal of isolated nodes), so with "
             "λ_max = 2, L̃ = (2/λ_max) L − I = 0 and T_k(L̃) = T_k(0) I = cos(kπ/2) I"]
    ok, more = _per_node_filter([1], "K = 1")
    steps += more
    for K in range(1, max_terms + 1):
        c = [sp.chebyshevt(k, 0) for k in range(K)]
        good, more = _per_node_filter(c, f"edgeless, K = {K}")
        ok, steps = ok and good, steps + more
    steps.append("every filter F(·; Θ) of the GRU is then the per-node linear map X ↦ X Σ_k c_k Θ_k, so each node's "
                 "row follows the reset-before GRU with W_g = (Σ_k c_k W_g[k])ᵀ, U_g = (Σ_k c_k U_g[k])ᵀ")
    if not ok:
        return Result("refuted", "SymPy matrix algebra", steps)
    for K, edgeless in ((1, False), (4, True)):
        num = search(_kernel_holds(K, "edgeless" if edgeless else "one_term"), examples=examples, method="kernel",
                     steps=[])
        if num.status == "refuted":
            return num
        steps.append(f"kernels: gconv_gru_forward = generated symrnn gru_reset_before kernel "
                     f"({'edgeless, K = 4' if edgeless else 'K = 1'}): {num.steps[-1]}")
    return Result("proved_for_dims", "SymPy matrix algebra over symbolic N, F, H; kernel cross-check", steps,
                  dims=tuple({"K": K} for K in range(1, max_terms + 1)))


def _diffusion_one_step(*, examples: int = 20) -> Result:
    from symrnn.graphs.search import search
    from symrnn.graphs.temporal import diffusion_conv

    N, F, H = sp.symbols("N F H", integer=True, positive=True)
    X, PO, PI = sp.MatrixSymbol("X", N, F), sp.MatrixSymbol("P_O", N, N), sp.MatrixSymbol("P_I", N, N)
    T1, T2 = sp.MatrixSymbol("Theta_01", F, H), sp.MatrixSymbol("Theta_02", F, H)
    lhs = (PO ** 0 * X * T1 + PI ** 0 * X * T2).doit()
    ok = sp.expand((lhs - X * (T1 + T2)).doit()) == sp.ZeroMatrix(N, H) or lhs == sp.expand(X * (T1 + T2))
    steps = [f"K = 1: P_O⁰ X Θ_01 + P_I⁰ X Θ_02 = {lhs} = X (Θ_01 + Θ_02), symbolic N, F, H: row i is x_i (Θ_01 + Θ_02)"]
    if not ok:
        return Result("refuted", "SymPy matrix algebra", steps)

    def holds(ex, seed):
        rng = np.random.default_rng(seed)
        G = nx.DiGraph(ex.graph)
        Th = rng.normal(size=(2, 1, ex.X.shape[1], 3))
        return np.allclose(diffusion_conv(G, ex.X, Th), ex.X @ (Th[0, 0] + Th[1, 0]), rtol=0, atol=1e-12)

    num = search(holds, examples=examples, method="kernel", steps=[], graph_kw={"directed": True})
    if num.status == "refuted":
        return num
    gru = search(_kernel_holds(1, "diffusion"), examples=max(1, examples // 2), method="kernel", steps=[],
                 graph_kw={"directed": True})
    if gru.status == "refuted":
        return gru
    return Result("proved", "SymPy matrix algebra (every N, F, H); kernel cross-check",
                  steps + ["so a DCGRU with K = 1 is a reset-before GRU per node with W_g = (Θ_g[0] + Θ_g[1])ᵀ",
                           f"kernel diffusion_conv(K = 1) on random directed graphs: {num.steps[-1]}",
                           f"kernel dcgru_forward(K = 1) = generated gru_reset_before kernel: {gru.steps[-1]}"])


def _diffusion_two_steps_local_overstatement(*, examples: int = 20) -> Result:
    from symrnn.graphs.search import search
    from symrnn.graphs.temporal import diffusion_conv

    def holds(ex, seed):
        rng = np.random.default_rng(seed)
        Th = rng.normal(size=(2, 2, ex.X.shape[1], 3))
        return np.allclose(diffusion_conv(nx.DiGraph(ex.graph), ex.X, Th), ex.X @ (Th[0, 0] + Th[1, 0]), atol=1e-9)

    return search(holds, examples=examples, method="numeric search on random directed graphs", steps=[],
                  graph_kw={"directed": True})


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
    _roundtrip_check, references=(YOU,), timeout=30,
)

bfs_bandwidth_level_bound = Theorem(
    "bfs_bandwidth_level_bound",
    "In a BFS order every edge spans at most max_k (|L_k| + |L_{k+1}|) − 1 positions (L_k the BFS levels), "
    "so that M suffices for GraphRNN's sequences.",
    _bandwidth_check, references=(YOU,), timeout=30,
)

gconv_gru_per_node_gru = Theorem(
    "gconv_gru_per_node_gru",
    "GConvGRU with one Chebyshev term, or on an edgeless graph (λ_max = 2), is an independent reset-before GRU "
    "per node, with W_g = (Σ_k T_k(0) W_g[k])ᵀ on the edgeless graph.",
    _gconv_per_node, references=(SEO,), timeout=30,
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
