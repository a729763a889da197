"""Graph convolutions and attention: ChebNet → GCN, spectral = spatial, locality, equivariance, GAT."""

from symrnn.graphs import layers
from symrnn.graphs import theorems as g
from symrnn.prove import Theorem, permutation_equivariant

KIPF = "Kipf & Welling 2017, Semi-Supervised Classification with Graph Convolutional Networks (ICLR)"
DEFFERRARD = "Defferrard, Bresson & Vandergheynst 2016, Convolutional Neural Networks on Graphs with Fast Localized Spectral Filtering (NeurIPS)"
HAMMOND = "Hammond, Vandergheynst & Gribonval 2011, Wavelets on graphs via spectral graph theory (ACHA), Lemma 5.2"
VELICKOVIC = "Veličković et al. 2018, Graph Attention Networks (ICLR)"
WU = "Wu et al. 2021, A Comprehensive Survey on Graph Neural Networks (IEEE TNNLS)"
CHUNG = "Chung 1997, Spectral Graph Theory (AMS), Lemma 1.7"
GILMER = "Gilmer et al. 2017, Neural Message Passing for Quantum Chemistry (ICML)"

cheb_two_terms_is_first_order = Theorem(
    "cheb_two_terms_is_first_order",
    "ChebNet with two terms, λ_max = 2 and Θ₁ = −Θ₀ is (I + D^{-1/2} A D^{-1/2}) X Θ₀ + 1bᵀ, for every graph size.",
    g.cheb_two_terms_first_order, references=(KIPF, DEFFERRARD),
    latex=r"\sum_{k<2} T_k(\tilde L) X \Theta_k \big|_{\lambda_{\max}=2,\ \Theta_1=-\Theta_0} = (I + D^{-1/2} A D^{-1/2}) X \Theta_0",
)

renormalisation_gives_gcn = Theorem(
    "renormalisation_gives_gcn",
    "The renormalisation trick: with Ã = A + I and D̃ = D + I, D̃^{-1/2} Ã D̃^{-1/2} replaces I + D^{-1/2} A D^{-1/2} "
    "(spectrum [0, 2] → (−1, 1]), and GCN is D̃^{-1/2} Ã D̃^{-1/2} X W + 1bᵀ.",
    g.renormalisation_to_gcn, references=(KIPF,), expect="proved_for_dims", timeout=60,
)

cheb_first_order_is_gcn_overstatement = Theorem(
    "cheb_first_order_is_gcn_overstatement",
    "Overstatement: ChebNet with two terms, λ_max = 2, Θ₁ = −Θ₀ equals the GCN layer (it does not: no renormalisation).",
    g.cheb_first_order_equals_gcn, references=(KIPF,), expect="refuted", timeout=60,
)

pyg_self_loops_are_a_plus_i_overstatement = Theorem(
    "pyg_self_loops_are_a_plus_i_overstatement",
    "Overstatement: PyG's GCNConv normalisation (add_remaining_self_loops) is Kipf's Ã = A + I on every graph "
    "(it is not: an existing self-loop keeps its weight instead of gaining 1).",
    g.gcn_loops_equal_a_plus_i, references=(KIPF, "PyTorch Geometric 2.x, torch_geometric.nn.conv.gcn_conv.gcn_norm"),
    expect="refuted", timeout=60,
)

polynomial_spectral_filter_is_spatial = Theorem(
    "polynomial_spectral_filter_is_spatial",
    "A polynomial spectral filter U p(Λ) Uᵀ equals the spatial polynomial p(L), for every size and degree.",
    g.polynomial_filter_is_spatial, references=(HAMMOND, DEFFERRARD),
    latex=r"U\,p(\Lambda)\,U^\top = p(L),\quad L = U \Lambda U^\top",
)

spectral_filter_commutes_with_laplacian = Theorem(
    "spectral_filter_commutes_with_laplacian",
    "Every spectral filter g(L) = U g(Λ) Uᵀ commutes with L.",
    g.filter_commutes_with_laplacian, references=(WU,), latex=r"g(L)\,L = L\,g(L)",
)

polynomial_filter_is_m_hop_local = Theorem(
    "polynomial_filter_is_m_hop_local",
    "A degree-m polynomial filter in L is m-hop local: output i depends only on nodes within m hops of i.",
    g.polynomial_filter_is_local, references=(HAMMOND, DEFFERRARD), expect="proved_for_dims", timeout=60,
)

gcn_permutation_equivariance = Theorem(
    "gcn_permutation_equivariance",
    "The GCN layer (its description) is permutation equivariant: relabelling the nodes of any graph relabels its "
    "output, for every graph and every size.",
    lambda: permutation_equivariant(layers.gcn()), references=(KIPF, WU),
)

gcn_normal_form_equivariance = Theorem(
    "gcn_normal_form_equivariance",
    "With the renormalised adjacency moved to P Â Pᵀ, the GCN layer's matrix form satisfies "
    "GCN(PAPᵀ, PX) = P GCN(A, X), for every size.",
    g.gcn_permutation_equivariant, references=(KIPF, WU),
)

cheb_permutation_equivariance = Theorem(
    "cheb_permutation_equivariance",
    "The ChebNet layer (its description, K = 4 terms) is permutation equivariant, for every graph and size.",
    lambda: permutation_equivariant(layers.cheb(4)), references=(DEFFERRARD, WU),
)

cheb_power_lemma_equivariance = Theorem(
    "cheb_power_lemma_equivariance",
    "T_k(P L̃ Pᵀ) = P T_k(L̃) Pᵀ for every k (induction), so ChebNet's matrix form is equivariant for every K.",
    g.cheb_permutation_equivariant, references=(DEFFERRARD, WU),
)

gat_permutation_equivariance = Theorem(
    "gat_permutation_equivariance",
    "The GAT layer (its description, 2 heads, concatenated) is permutation equivariant on directed and undirected "
    "graphs, for every graph and size.",
    lambda: permutation_equivariant(layers.gat(2)), references=(VELICKOVIC, WU),
)

gat_relabelling_small_graphs = Theorem(
    "gat_relabelling_small_graphs",
    "GAT's symbolic outputs (one head, symbolic features, attention and slope) are relabelled by every relabelling "
    "of every directed graph on up to 4 nodes.",
    g.gat_permutation_equivariant, references=(VELICKOVIC, WU), expect="proved_for_dims", timeout=60,
)

sage_permutation_equivariance = Theorem(
    "sage_permutation_equivariance",
    "GraphSAGE (mean aggregator, root weight) is permutation equivariant, for every graph and size.",
    lambda: permutation_equivariant(layers.sage()), references=(layers.HAMILTON, WU),
)

readout_permutation_invariance = Theorem(
    "readout_permutation_invariance",
    "Sum and mean readouts are permutation invariant: 1ᵀ P X = 1ᵀ X.",
    g.readouts_permutation_invariant, references=(GILMER, WU),
)

gat_zero_attention_is_mean = Theorem(
    "gat_zero_attention_is_mean",
    "GAT with attention vector a = 0 is the mean of x_j W over the closed neighbourhood N(i) ∪ {i}.",
    g.gat_zero_attention_is_mean, references=(VELICKOVIC,),
)

gat_softmax_derivatives = Theorem(
    "gat_softmax_derivatives",
    "GAT's neighbourhood softmax has Jacobian ∂α_ij/∂e_il = α_ij(δ_jl − α_il) and backward rule "
    "∂L/∂e_ij = α_ij(∂L/∂α_ij − Σ_l α_il ∂L/∂α_il), for every neighbourhood size.",
    g.softmax_rules, references=(VELICKOVIC,), timeout=60,
)

normalised_laplacian_spectrum = Theorem(
    "normalised_laplacian_spectrum",
    "The eigenvalues of the normalised Laplacian I − D^{-1/2} A D^{-1/2} lie in [0, 2].",
    g.laplacian_spectrum_in_0_2, references=(CHUNG,), expect="proved_for_dims", timeout=60,
)
