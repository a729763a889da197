"""Graph autoencoders as descriptions: GAE and VGAE (Kipf & Welling 2016), from encoder to loss.

Each model is one :class:`~symrnn.spec.graph_builder.GraphBuilder` description
over four index spaces: the encoder's per-node stages, the inner-product
decoder's per-pair stages (the node pairs it scores, given per call as
``pairs=(2, P)``), and the losses in the graph space (one row).  LaTeX,
parameter counts, the forward pass and every gradient are derived from it
(:func:`symrnn.compile`); :mod:`symrnn.graphs.autoencoder` runs the generated
kernels in the paper's layout.

Encoder (two GCN layers, PyG ``GCNConv``, Â the renormalised adjacency)::

    h = ReLU(W_1 Â x + b_1)
    GAE:   z = W_2 Â h + b_2
    VGAE:  μ = W_μ Â h + b_μ,   s = W_σ Â h + b_σ,   log σ = s − ReLU(s − 10),   z = μ + ε ⊙ exp(log σ)

``s − ReLU(s − 10)`` is min(s, 10), PyG's ``clamp(max=MAX_LOGSTD)``, written
with the function table; its derivative 1 − H(s − 10) with H(0) = 0 passes the
gradient at s = 10 exactly as ``torch.clamp`` does (10 − ReLU(10 − s) would
not).  ε is a node input (the reparametrisation's noise, given).

Decoder and reconstruction loss, for each pair p = (u, v) with label y_p and weight w_p::

    score_p = z_u · z_v                                       (1ᵀ(Q_src z ⊙ Q_dst z))
    "pyg":   recon = Σ_p −w_p (y_p log(p_p + ε₀) + (1 − y_p) log(q_p + ε₀)),  p = σ(score), q = 1 − p, ε₀ = 10⁻¹⁵
    "kipf":  recon = Σ_p  w_p (y_p softplus(−score_p) + (1 − y_p) softplus(score_p))

PyG's ``recon_loss`` is "pyg" with the positive edges (y = 1, w = 1/P₊) and the
negative ones (y = 0, w = 1/P₋); Kipf's reference code is "kipf" over all N²
pairs with labels A + I and w = norm · (pos_weight if y else 1) / N² (its
weighted cross-entropy with logits, in the form that never overflows).

KL (VGAE): the per-unit stage is :func:`symrnn.graphs.kl.kl_logstd_expression`,
derived by SymPy from the two Gaussian densities, with μ and log σ put in; it
is summed over the units and averaged over the nodes (PyG's ``kl_loss``), and
``loss = recon + β · kl`` with β a graph input (1/N in PyG's examples and in
Kipf's code).

References
----------
T. N. Kipf and M. Welling, "Variational Graph Auto-Encoders", NIPS Workshop on
Bayesian Deep Learning, 2016 (arXiv:1611.07308).
T. N. Kipf and M. Welling, "Semi-Supervised Classification with Graph Convolutional Networks", ICLR 2017.

Examples
--------
>>> m = vgae()
>>> m.parameter_count()
F*H + 2*H*L + H + 2*L
>>> [(s.name, m.space(s.name)) for s in m.states]
[('z', 'node'), ('recon', 'graph'), ('kl', 'graph'), ('loss', 'graph')]
"""

from __future__ import annotations

import sympy as sp

from ..errors import SpecError
from ..spec.graph_builder import GraphBuilder
from ..spec.symbols import relu, sigmoid, softplus
from .kl import kl_logstd_expression, kl_symbols

__all__ = ["gae", "vgae", "gae_decoder", "edge_probability", "vgae_kl", "CONVENTIONS", "EPS", "MAX_LOGSTD",
           "KIPF_VGAE"]

KIPF_VGAE = ("Kipf & Welling 2016, Variational Graph Auto-Encoders (NIPS Workshop on Bayesian Deep Learning, "
             "arXiv:1611.07308)")
CONVENTIONS = ("pyg", "kipf")
"""Reconstruction losses: PyG's ``GAE.recon_loss`` and the weighted cross-entropy of Kipf's reference code."""
EPS = sp.Float(1e-15)
"""PyG's ``EPS`` inside the logarithms of ``recon_loss`` (the same float64; printed 10⁻¹⁵ in LaTeX)."""
MAX_LOGSTD = sp.Integer(10)
"""PyG's ``MAX_LOGSTD``: log σ is clamped at this value."""


def _convention(convention) -> str:
    if convention not in CONVENTIONS:
        raise SpecError(f"convention must be one of {CONVENTIONS}, got {convention!r}")
    return convention


def _builder(name, convention, summary):
    suffix = "" if convention == "pyg" else f"_{convention}"
    return GraphBuilder(name + suffix, family="graph_autoencoder", reference=KIPF_VGAE, summary=summary)


def _clamp(b, s):
    """log σ = s − ReLU(s − 10) = min(s, 10), the gradient passing at s = 10 (``torch.clamp``)."""
    return b.let("logstd", s - relu(s - MAX_LOGSTD), latex=r"\log\boldsymbol{\sigma}")


def _gcn(b, name, rows, cols, v, subscript):
    W = b.param(f"W{name}", rows, cols, latex=rf"\mathbf{{W}}_{{{subscript}}}")
    return W @ b.propagate("gcn_norm", v) + b.param(f"b{name}", rows, latex=rf"\mathbf{{b}}_{{{subscript}}}")


def _encoder(b, variational):
    """The two GCN layers and, for the VGAE, the clamp and the reparametrisation; returns (z, μ, log σ)."""
    F, H, L = b.sizes("F H L")
    x = b.node_input("x", F)
    h = b.let("h", relu(_gcn(b, "1", H, F, x, "1")))
    if not variational:
        return b.output("z", _gcn(b, "2", L, H, h, "2")), None, None
    mu = b.linear(_gcn(b, "_mu", L, H, h, r"\mu"), "mu", latex=r"\boldsymbol{\mu}", inline=False)
    s = b.linear(_gcn(b, "_logstd", L, H, h, r"\sigma"), "s", inline=False)
    logstd = _clamp(b, s)
    eps = b.node_input("eps", L, latex=r"\boldsymbol{\epsilon}")
    return b.output("z", mu + eps * sp.exp(logstd)), mu, logstd


def _score(b, z):
    """score_p = z_u · z_v for every pair p = (u, v): two gathers, a product, the sum over the units."""
    zu = b.apply("gather_pair_src", z, name="z_u", latex=r"\mathbf{z}_{u}")
    zv = b.apply("gather_pair_dst", z, name="z_v", latex=r"\mathbf{z}_{v}")
    return b.linear(b.apply("sum_units", b.let("zz", zu * zv, latex=r"\mathbf{z}_{uv}")), "score",
                    latex=r"\mathbf{a}", inline=False)


def _recon(b, score, convention):
    """The reconstruction loss over the pairs (see the module docstring), a graph-space output."""
    y = b.pair_input("y", 1, latex=r"\mathbf{y}")
    w = b.pair_input("w", 1, latex=r"\mathbf{w}")
    if convention == "pyg":
        p = b.let("p", sigmoid(score))
        q = b.let("q", 1 - p)  # its own stage, as PyG computes it: SymPy would fold 1 + ε₀ into one rounded number
        per_pair = -w * (y * sp.log(p + EPS) + (1 - y) * sp.log(q + EPS))
    else:
        per_pair = w * (y * softplus(-score) + (1 - y) * softplus(score))
    return b.output("recon", b.apply("sum_pairs", b.let("l", per_pair, latex=r"\boldsymbol{\ell}")))


def _kl(b, mu, logstd):
    """PyG's ``kl_loss``: the derived KL per unit, summed over the units, averaged over the nodes."""
    _, m, _, s = kl_symbols()
    unit = b.let("kl_unit", kl_logstd_expression().xreplace({m: mu, s: logstd}), latex=r"\mathbf{d}")
    node = b.linear(b.apply("sum_units", unit), "kl_node", latex=r"\mathbf{d}_{\mathrm{node}}", inline=False)
    return b.output("kl", b.apply("mean_nodes", node), latex=r"\mathrm{KL}")


def gae(convention: str = "pyg"):
    """The graph autoencoder: GCN encoder, inner-product decoder, reconstruction loss (Kipf & Welling 2016).

    Inputs: ``x`` (node features), the pairs' labels ``y`` and weights ``w``;
    outputs: the latent ``z`` (node) and ``recon`` (graph).  ``W_1`` (H, F),
    ``W_2`` (L, H) are PyG's ``GCNConv.lin.weight``.

    Parameters
    ----------
    convention : {"pyg", "kipf"}
        The reconstruction loss (module docstring).

    Returns
    -------
    Cell
        A graph description; :func:`symrnn.compile` ``(…, F=, H=, L=)`` gives its kernel.

    Examples
    --------
    >>> gae().parameter_count()
    F*H + H*L + H + L
    >>> print(gae().latex().splitlines()[1])
    \\mathbf{h} &= \\operatorname{ReLU}\\left(\\mathbf{W}_{1} \\hat{\\mathbf{A}} \\mathbf{x} + \\mathbf{b}_{1}\\right) \\\\
    """
    convention = _convention(convention)
    b = _builder("gae", convention, f"graph autoencoder, {convention} reconstruction loss")
    z, _, _ = _encoder(b, variational=False)
    _recon(b, _score(b, z), convention)
    return b.build()


def vgae(convention: str = "pyg"):
    """The variational graph autoencoder: μ and log σ heads, clamp, reparametrisation, decoder, losses.

    Inputs: ``x``, the noise ``eps`` (node), ``y``, ``w`` (pair), ``beta``
    (graph: the KL's weight); outputs: ``z``, ``recon``, ``kl`` (PyG's
    ``kl_loss``) and ``loss = recon + beta · kl``.

    Parameters
    ----------
    convention : {"pyg", "kipf"}
        The reconstruction loss (module docstring).

    Returns
    -------
    Cell

    Examples
    --------
    >>> [d.name for d in vgae().inputs]
    ['x', 'eps', 'y', 'w', 'beta']
    >>> print(vgae().latex().splitlines()[4])
    \\log\\boldsymbol{\\sigma} &= \\mathbf{s} - \\operatorname{ReLU}\\left(-10 + \\mathbf{s}\\right) \\\\
    """
    convention = _convention(convention)
    b = _builder("vgae", convention, f"variational graph autoencoder, {convention} reconstruction loss")
    z, mu, logstd = _encoder(b, variational=True)
    recon = _recon(b, _score(b, z), convention)
    kl = _kl(b, mu, logstd)
    b.output("loss", recon + b.graph_input("beta", 1, latex=r"\beta") * kl)
    return b.build()


def gae_decoder(convention: str = "pyg"):
    """The inner-product decoder and its reconstruction loss alone: ``z`` (node input) → ``recon`` (graph).

    Examples
    --------
    >>> gae_decoder("kipf").parameter_count()
    0
    """
    convention = _convention(convention)
    b = _builder("gae_decoder", convention, f"inner-product decoder, {convention} reconstruction loss")
    L, = b.sizes("L")
    _recon(b, _score(b, b.node_input("z", L)), convention)
    return b.build()


def edge_probability():
    """σ(z_u · z_v) for every pair (u, v): the inner-product decoder's output ``p`` (pair space).

    Examples
    --------
    >>> edge_probability().space("p")
    'pair'
    """
    b = GraphBuilder("edge_probability", family="graph_autoencoder", reference=KIPF_VGAE,
                     summary="inner-product decoder: edge probabilities of node pairs")
    L, = b.sizes("L")
    b.output("p", sigmoid(_score(b, b.node_input("z", L))))
    return b.build()


def vgae_kl():
    """PyG's ``kl_loss(mu, logstd)`` alone: node inputs ``mu`` and ``s`` (clamped at 10 first) → ``kl`` (graph).

    Examples
    --------
    >>> [d.name for d in vgae_kl().inputs]
    ['mu', 's']
    """
    b = GraphBuilder("vgae_kl", family="graph_autoencoder", reference=KIPF_VGAE,
                     summary="KL(N(mu, sigma^2) || N(0, 1)) summed over units, averaged over nodes")
    L, = b.sizes("L")
    mu = b.node_input("mu", L, latex=r"\boldsymbol{\mu}")
    _kl(b, mu, _clamp(b, b.node_input("s", L)))
    return b.build()
