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
from ..spec.symbols import FUNCTIONS

__all__ = ["gcn", "cheb", "sage", "KIPF", "DEFFERRARD", "HAMILTON"]

KIPF = "Kipf & Welling 2017, Semi-Supervised Classification with Graph Convolutional Networks (ICLR)"
DEFFERRARD = ("Defferrard, Bresson & Vandergheynst 2016, Convolutional Neural Networks on Graphs with Fast Localized "
              "Spectral Filtering (NeurIPS)")
HAMILTON = "Hamilton, Ying & Leskovec 2017, Inductive Representation Learning on Large Graphs (NeurIPS)"


def _activation(activation, name):
    if activation is None:
        return lambda z: z
    rows = {row.name: row.function for row in FUNCTIONS.values()}
    if activation not in rows:
        raise SpecError(f"{name}: activation must be None or one of {sorted(rows)}, got {activation!r}")
    return rows[activation]


def gcn(*, activation: str | None = None):
    """Kipf & Welling's GCN layer: h = f(W Â x + b), Â = D̃^{-1/2}(A + I)D̃^{-1/2} (PyG ``GCNConv``).

    Examples
    --------
    >>> print(gcn().latex())
    \\begin{aligned}
    \\mathbf{h} &= \\mathbf{W} \\hat{\\mathbf{A}} \\mathbf{x} + \\mathbf{b}
    \\end{aligned}
    """
    f = _activation(activation, "gcn")
    b = GraphBuilder("gcn", reference=KIPF, summary="spatial GCN with the renormalisation trick")
    F, G = b.sizes("F G")
    x = b.node_input("x", F)
    b.output("h", f(b.param("W", G, F) @ b.propagate("gcn_norm", x) + b.param("b", G)))
    return b.build()


def cheb(K: int = 3, *, activation: str | None = None):
    """ChebNet: h = f(Σ_{k<K} Θ_k T_k(L̃) x + b), K counting the terms as PyG's ``ChebConv(K=K)``.

    Examples
    --------
    >>> cheb(2).parameter_count()
    2*F*G + G
    """
    f = _activation(activation, "cheb")
    b = GraphBuilder(f"cheb{K}" if isinstance(K, int) and not isinstance(K, bool) else "cheb", reference=DEFFERRARD,
                     summary=f"Chebyshev spectral graph convolution, {K} terms")
    F, G = b.sizes("F G")
    basis = b.chebyshev(b.node_input("x", F), K)
    pre = b.param("b", G).matrix
    for k, t in enumerate(basis):
        pre = b.param(f"Theta_{k}", G, F) @ t.matrix + pre
    b.output("h", f(pre))
    return b.build()


def sage(*, root_weight: bool = True, activation: str | None = None):
    """GraphSAGE with the mean aggregator: h = f(W_l mean_{j→i} x_j + W_r x + b) (PyG ``SAGEConv(aggr="mean")``).

    Examples
    --------
    >>> sage(root_weight=False).parameter_count()
    F*G + G
    """
    f = _activation(activation, "sage")
    b = GraphBuilder("sage" if root_weight else "sage_no_root", reference=HAMILTON,
                     summary="GraphSAGE, mean aggregator" + (", root weight" if root_weight else ""))
    F, G = b.sizes("F G")
    x = b.node_input("x", F)
    pre = b.param("W_l", G, F) @ b.propagate("mean_in", x) + b.param("b", G)
    if root_weight:
        pre = pre + b.param("W_r", G, F) @ x
    b.output("h", f(pre))
    return b.build()
