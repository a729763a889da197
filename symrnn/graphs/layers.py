"""The catalogue of graph layers, each one description (:class:`~symrnn.spec.graph_builder.GraphBuilder`).

Everything else — LaTeX, parameter counts, the generated forward and backward
(:func:`symrnn.compile`), the reference evaluator, proofs — is derived from
these few lines per layer.  Parameters use the numeric layout of symrnn,
``W @ x`` (PyTorch's ``Linear.weight``, (out, in)), so PyG's weights load as
they are: ``GCNConv.lin.weight`` is ``W``, ``ChebConv.lins[k].weight`` is
``Theta_k``, ``SAGEConv.lin_l.weight`` / ``lin_r.weight`` are ``W_l`` / ``W_r``.

Examples
--------
>>> gcn().parameter_count()
F*G + G
>>> [eq.target for eq in cheb(3).equations]
['T1_x', 'T2_x', 'h']
"""

from __future__ import annotations

from ..errors import SpecError
from ..spec.graph_builder import GraphBuilder
import sympy as sp

from ..spec.symbols import FUNCTIONS, leaky_relu

__all__ = ["gcn", "cheb", "sage", "graphsage", "gin", "gat", "spectral", "polynomial", "KIPF", "DEFFERRARD", "HAMILTON",
           "VELICKOVIC", "BRUNA", "HAMMOND"]

KIPF = "Kipf & Welling 2017, Semi-Supervised Classification with Graph Convolutional Networks (ICLR)"
DEFFERRARD = ("Defferrard, Bresson & Vandergheynst 2016, Convolutional Neural Networks on Graphs with Fast Localized "
              "Spectral Filtering (NeurIPS)")
HAMILTON = "Hamilton, Ying & Leskovec 2017, Inductive Representation Learning on Large Graphs (NeurIPS)"
VELICKOVIC = "Veličković et al. 2018, Graph Attention Networks (ICLR)"
BRUNA = "Bruna, Zaremba, Szlam & LeCun 2014, Spectral Networks and Locally Connected Networks on Graphs (ICLR)"
HAMMOND = "Hammond, Vandergheynst & Gribonval 2011, Wavelets on graphs via spectral graph theory (ACHA)"


def _activation(activation, name):
    if activation is None:
        return lambda z: z
    rows = {row.name: row.function for row in FUNCTIONS.values()}
    if activation not in rows:
        raise SpecError(f"{name}: activation must be None or one of {sorted(rows)}, got {activation!r}")
    return rows[activation]


def gcn(*, bias: bool = True, normalize: bool = True, add_self_loops: bool = True, improved: bool = False,
        activation: str | None = None):
    """Kipf & Welling's GCN layer: h = f(W Â x + b), Â = D̃^{-1/2}(A + I)D̃^{-1/2} (PyG ``GCNConv``).

    ``normalize=False`` multiplies by the weighted adjacency A instead (PyG ``normalize=False``);
    ``add_self_loops`` and ``improved`` are PyG's (the description fixes them).

    Examples
    --------
    >>> print(gcn().latex())
    \\begin{aligned}
    \\mathbf{h} &= \\mathbf{W} \\hat{\\mathbf{A}} \\mathbf{x} + \\mathbf{b}
    \\end{aligned}
    """
    f = _activation(activation, "gcn")
    options = {"add_self_loops": add_self_loops, "improved": improved} if normalize else {}
    b = GraphBuilder("gcn" if normalize else "gcn_unnormalised", reference=KIPF,
                     summary="spatial GCN with the renormalisation trick" if normalize else "graph convolution by A",
                     **options)
    F, G = b.sizes("F G")
    x = b.node_input("x", F)
    pre = b.param("W", G, F) @ b.propagate("gcn_norm" if normalize else "adjacency", x)
    b.output("h", f(pre + b.param("b", G) if bias else pre))
    return b.build()


def cheb(K: int = 3, *, bias: bool = True, lambda_max: float = 2.0, normalization: str | None = "sym",
         activation: str | None = None):
    """ChebNet: h = f(Σ_{k<K} Θ_k T_k(L̃) x + b), K counting the terms as PyG's ``ChebConv(K=K)``.

    Examples
    --------
    >>> cheb(2).parameter_count()
    2*F*G + G
    """
    f = _activation(activation, "cheb")
    b = GraphBuilder(f"cheb{K}" if isinstance(K, int) and not isinstance(K, bool) else "cheb", reference=DEFFERRARD,
                     summary=f"Chebyshev spectral graph convolution, {K} terms", lambda_max=lambda_max,
                     normalization=normalization)
    F, G = b.sizes("F G")
    basis = b.chebyshev(b.node_input("x", F), K)
    pre = b.param("b", G).matrix if bias else sp.ZeroMatrix(G, 1)
    for k, t in enumerate(basis):
        pre = b.param(f"Theta_{k}", G, F) @ t.matrix + pre
    b.output("h", f(pre))
    return b.build()


def sage(*, root_weight: bool = True, activation: str | None = None):
    """GraphSAGE with the mean aggregator: h = f(W_l mean_{j→i} x_j + W_r x + b) (PyG ``SAGEConv(aggr="mean")``).

    The mean, root-weight case of :func:`~symrnn.graphs.graphsage.graphsage` under its first name.

    Examples
    --------
    >>> sage(root_weight=False).parameter_count()
    F*G + G
    """
    from .graphsage import _description

    return _description("sage" if root_weight else "sage_no_root", "mean", root_weight, False, True, activation)


def gat(heads: int = 1, *, concat: bool = True, negative_slope: float = 0.2, bias: bool = True,
        add_self_loops: bool = True, activation: str | None = None):
    """Graph attention (GAT), one description per head (PyG ``GATConv``, self-loops added).

    Per head k: z = W_k x; the score of edge j → i is e = LeakyReLU(a_src,k·z_j + a_dst,k·z_i);
    α = softmax of e over the edges entering i (the closed neighbourhood: the description fixes
    the edge set to the graph's edges without loops plus one self-loop per node,
    ``edges="self_loops"``, unless ``add_self_loops=False``); the head's output is Σ_j α_ij z_j.
    ``concat=True`` gives one output per head, ``h_k = f(out_k + b_k)`` (PyG concatenates them);
    ``concat=False`` the mean, ``h = f(mean_k out_k + b)``.  PyG's ``lin.weight`` (H·C, F) is
    ``[W_1; …; W_H]``, ``att_src[0, k]`` is ``a_src_k`` (1 × C).

    Examples
    --------
    >>> gat(2).parameter_count()
    2*C*F + 6*C
    >>> [s.name for s in gat(2, concat=False).states]
    ['h']
    """
    if isinstance(heads, bool) or not isinstance(heads, int) or heads < 1:
        raise SpecError(f"gat: heads must be an integer >= 1, got {heads!r}")
    from ..numeric.params import real_number

    slope = sp.Rational(repr(real_number(negative_slope, "negative_slope")))
    f = _activation(activation, "gat")
    b = GraphBuilder(f"gat{heads}" + ("" if concat else "_mean"), reference=VELICKOVIC,
                     summary=f"graph attention, {heads} head(s), " + ("concatenated" if concat else "averaged"),
                     edges="self_loops" if add_self_loops else "as_given")
    F, C = b.sizes("F C")
    x = b.node_input("x", F)
    outs = []
    for k in range(1, heads + 1):
        z = b.linear(b.param(f"W_{k}", C, F) @ x, f"z_{k}", inline=False)
        s_ = b.linear(b.param(f"a_src_{k}", 1, C) @ b.gather(z, "src") + b.param(f"a_dst_{k}", 1, C) @ b.gather(z, "dst"),
                      f"s_{k}")
        e = b.let(f"e_{k}", leaky_relu(s_, slope))
        alpha = b.softmax(e, name=f"alpha_{k}", latex=rf"\boldsymbol{{\alpha}}_{{{k}}}")
        m = b.let(f"m_{k}", alpha * b.linear(b.gather(z, "src")))
        outs.append(b.linear(b.scatter(m, "dst"), f"out_{k}"))
    if concat:
        for k, out in enumerate(outs, start=1):
            b.output(f"h_{k}", f(out.matrix + b.param(f"b_{k}", C).matrix if bias else out.matrix))
    else:
        mean = sum((o.matrix for o in outs), sp.ZeroMatrix(C, 1)) / heads
        b.output("h", f(mean + b.param("b", C).matrix if bias else mean))
    return b.build()


def spectral():
    """Bruna et al.'s spectral layer h = U diag(θ) Uᵀ x, θ the response on each eigenvalue of L (ascending).

    θ is a per-eigenvector input (space ``"spectrum"``, one row per eigenvalue), so the
    layer has as many coefficients as the graph has nodes — why ChebNet replaced it.

    Examples
    --------
    >>> spectral().space("theta"), spectral().parameter_count()
    ('spectrum', 0)
    """
    b = GraphBuilder("spectral", reference=BRUNA, summary="spectral filter U diag(θ) Uᵀ on the eigenbasis of L")
    F, = b.sizes("F")
    x = b.node_input("x", F)
    theta = b._b.input("theta", 1, space="spectrum")
    filtered = b.let("filtered", theta * b.linear(b.apply("eig_T", x)), latex=r"\hat{\mathbf{x}}")
    b.output("h", b.apply("eig", filtered))
    return b.build()


def polynomial(K: int = 3):
    """A polynomial filter h = Σ_{k<K} θ_k L^k x with scalar coefficients θ_k (Hammond et al. 2011): K−1 hops.

    Examples
    --------
    >>> polynomial(3).parameter_count()
    3
    """
    if isinstance(K, bool) or not isinstance(K, int) or K < 1:
        raise SpecError(f"polynomial: K (the number of coefficients) must be an integer >= 1, got {K!r}")
    b = GraphBuilder(f"polynomial{K}", reference=HAMMOND, summary=f"polynomial graph filter of degree {K - 1}")
    F, = b.sizes("F")
    powers = [b.node_input("x", F)]
    for k in range(1, K):
        powers.append(b.linear(b.propagate("laplacian", powers[-1]), f"L{k}_x", inline=False,
                               latex=rf"\mathbf{{L}}^{{{k}}}\mathbf{{x}}"))
    b.output("h", sum((b.param(f"theta_{k}", 1) * z for k, z in enumerate(powers)), sp.S.Zero))
    return b.build()


from .gin import gin  # noqa: E402  (re-exported: the registry reads this module's __all__)
from .graphsage import graphsage  # noqa: E402
