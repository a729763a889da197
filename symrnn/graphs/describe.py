"""Symbolic descriptions of graph layers: SymPy matrix expressions, LaTeX and gradients.

A graph layer acts on the node-feature *matrix* X (N × F).  As for RNN cells
(:mod:`symrnn.spec`) it is held as a **linear stage** — a SymPy matrix
expression with symbolic sizes, e.g. Â X W + 1 bᵀ — followed by an optional
**pointwise** activation from :data:`symrnn.spec.symbols.FUNCTIONS`, applied
per entry.  SymPy's matrix calculus differentiates the linear stage for every
size (the gradient of ⟨Δ, Z⟩ = tr(Δᵀ Z)); the activation enters as the
Hadamard factor Δ ⊙ f'(Z), whose per-entry derivative comes from the table.

GAT's attention is not linear in X; :func:`describe_gat` holds it as per-edge
scalar stages (scores, LeakyReLU, softmax over N̄(i)) whose partial
derivatives are scalar ``sympy.diff`` calls.

Every numeric layer in :mod:`symrnn.graphs` is checked against these
expressions (``tests/test_graph_describe.py`` lambdifies the gradients).

References
----------
Z. Wu, S. Pan, F. Chen, G. Long, C. Zhang and P. S. Yu, "A Comprehensive
Survey on Graph Neural Networks", IEEE TNNLS 32(1), 2021.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import sympy as sp

from ..errors import SpecError, UnknownNameError
from ..spec.symbols import FUNCTIONS, check_name
from .symbolic import graph_sizes, latex_of, matrices, one_bias

__all__ = ["GraphLayer", "Gradient", "description", "describe_gcn", "describe_cheb", "describe_spectral", "chebyshev_matrices"]


@dataclass(frozen=True)
class Gradient:
    """∂L/∂(param) as a matrix expression, with the upstream factor it is written in."""

    wrt: sp.MatrixSymbol
    expr: sp.MatrixExpr
    upstream: sp.MatrixSymbol  # Δ, or G = Δ ⊙ f'(Z) with an activation
    names: dict = field(default_factory=dict, compare=False)

    def latex(self) -> str:
        lhs = rf"\frac{{\partial \mathcal{{L}}}}{{\partial {latex_of(self.wrt, self.names)}}}"
        return f"{lhs} = {latex_of(self.expr, self.names)}"


@dataclass(frozen=True)
class GraphLayer:
    """One graph layer: Y = f(Z), Z a matrix expression in X, the graph operator and parameters.

    Attributes
    ----------
    name, summary, reference : str
    sizes : tuple of Symbol
        N (nodes), F (input features), G (output features), …
    X : MatrixSymbol, shape (N, F)
    operators : dict
        Graph matrices (Â, L̃, U …) → their defining expression (or None).
    params : tuple of MatrixSymbol
    pre : MatrixExpr, shape (N, G)
        The linear stage Z.
    activation : sympy function class or None
        A key of :data:`~symrnn.spec.symbols.FUNCTIONS`, applied per entry.
    names : dict
        LaTeX overrides for symbols (Â → ``\\hat{\\mathbf{A}}``).

    Examples
    --------
    >>> layer = describe_gcn()
    >>> layer.gradient("W").expr
    X.T*A_hat.T*Delta
    """

    name: str
    summary: str
    reference: str
    sizes: tuple
    X: sp.MatrixSymbol
    operators: dict
    params: tuple
    pre: sp.MatrixExpr
    activation: type | None = None
    names: dict = field(default_factory=dict, compare=False, hash=False)

    def __post_init__(self):
        check_name(self.name, "graph layer")
        if self.activation is not None and self.activation not in FUNCTIONS:
            raise SpecError(f"{self.name}: activation must be one of {[f.name for f in FUNCTIONS.values()]}, "
                            f"got {self.activation!r}")

    def param(self, name: str) -> sp.MatrixSymbol:
        """A parameter (or ``"X"``) by name."""
        for p in (self.X, *self.params):
            if p.name == name:
                return p
        raise SpecError(f"{self.name}: no parameter {name!r}; known: {[p.name for p in (self.X, *self.params)]}")

    @cached_property
    def upstream(self) -> sp.MatrixSymbol:
        """Δ = ∂L/∂Y, shaped like Y."""
        return sp.MatrixSymbol("Delta", *self.pre.shape)

    @cached_property
    def pre_gradient(self) -> sp.MatrixSymbol:
        """∂L/∂Z: Δ itself, or the symbol G standing for Δ ⊙ f'(Z) (see :meth:`activation_factor`)."""
        return self.upstream if self.activation is None else sp.MatrixSymbol("G", *self.pre.shape)

    def activation_factor(self) -> sp.Expr | None:
        """Per entry, f'(z) written through y = f(z) (from the FUNCTIONS table), or None."""
        if self.activation is None:
            return None
        y, z = sp.symbols("y z", real=True)
        return FUNCTIONS[self.activation].derivative(y, z)

    def gradient(self, wrt: str) -> Gradient:
        """∂L/∂wrt = d tr(Gᵀ Z)/d wrt, valid for every N, F, G (SymPy matrix calculus)."""
        target = self.param(wrt)
        expr = sp.Trace(self.pre_gradient.T * self.pre).diff(target)
        if expr.shape != target.shape:  # vectors come back transposed
            expr = expr.T
        return Gradient(target, expr, self.pre_gradient, self.names)

    def parameter_count(self) -> sp.Expr:
        """Number of trainable scalars, in the size symbols."""
        return sp.Add(*(p.shape[0] * p.shape[1] for p in self.params))

    def equations(self) -> list[str]:
        """LaTeX lines: the layer, then the definitions of its graph operators."""
        Y = sp.MatrixSymbol("Y", *self.pre.shape)
        body = latex_of(self.pre, self.names)
        if self.activation is None:
            lines = [f"{latex_of(Y, self.names)} &= {body}"]
        else:
            lines = [rf"{latex_of(Y, self.names)} &= {FUNCTIONS[self.activation].latex}(\mathbf{{Z}})",
                     rf"\mathbf{{Z}} &= {body}"]
        for op, definition in self.operators.items():
            if definition is not None:
                lines.append(f"{latex_of(op, self.names)} &= {latex_of(definition, self.names)}")
        return lines

    def latex(self, *, gradients: bool = True) -> str:
        """An ``align*`` block with the layer, operator definitions and (optionally) gradients.

        Examples
        --------
        >>> print(describe_gcn().latex(gradients=False))
        \\begin{align*}
        \\mathbf{Y} &= \\hat{\\mathbf{A}} \\mathbf{X} \\mathbf{W} + \\mathbf{1} \\mathbf{b}^{T}\\\\
        \\hat{\\mathbf{A}} &= \\tilde{\\mathbf{D}}^{- \\frac{1}{2}} \\left(\\mathbf{I} + \\mathbf{A}\\right) \\tilde{\\mathbf{D}}^{- \\frac{1}{2}}
        \\end{align*}
        """
        lines = self.equations()
        if gradients:
            if self.activation is not None:
                f = self.activation_factor()
                lines.append(rf"\mathbf{{G}} &= \boldsymbol{{\Delta}} \odot f'(\mathbf{{Z}}),\quad f'(z) = "
                             f"{_scalar_latex(f)}" + r" \text{ with } y = f(z)")
            for p in (self.X, *self.params):
                g = self.gradient(p.name)
                lhs, rhs = g.latex().split(" = ", 1)
                lines.append(f"{lhs} &= {rhs}")
        return "\\begin{align*}\n" + "\\\\\n".join(lines) + "\n\\end{align*}"


def _scalar_latex(expr) -> str:
    """Scalar LaTeX with the step function written as an indicator."""
    step = {h: sp.Symbol(rf"\mathbf{{1}}[{sp.latex(h.args[0])} > 0]") for h in expr.atoms(sp.Heaviside)}
    return sp.latex(expr.xreplace(step))


def describe_gcn(*, activation=None) -> GraphLayer:
    """Kipf & Welling's layer Y = f(Â X W + 1 bᵀ), Â = D̃^{-1/2}(A + I)D̃^{-1/2}.

    References
    ----------
    T. N. Kipf and M. Welling, ICLR 2017.

    Examples
    --------
    >>> describe_gcn().parameter_count()
    F*G + G
    """
    N, F, G = graph_sizes("N F G")
    A_hat, A, Dt, X, W = matrices("A_hat A D_tilde X W", [(N, N), (N, N), (N, N), (N, F), (F, G)])
    b, bias = one_bias(N, G)
    half = sp.MatPow(Dt, sp.Rational(-1, 2))
    return GraphLayer(
        "gcn", "spatial graph convolution with the renormalisation trick",
        "Kipf & Welling, Semi-Supervised Classification with Graph Convolutional Networks, ICLR 2017",
        (N, F, G), X, {A_hat: half * (A + sp.Identity(N)) * half}, (W, b), A_hat * X * W + bias, activation,
        {A_hat: r"\hat{\mathbf{A}}", Dt: r"\tilde{\mathbf{D}}"},
    )


def chebyshev_matrices(L: sp.MatrixExpr, K: int) -> list:
    """T_0(L), …, T_{K-1}(L) as matrix expressions (T_k = 2 L T_{k-1} − T_{k-2}).

    Examples
    --------
    >>> L = sp.MatrixSymbol("L", 3, 3)
    >>> chebyshev_matrices(L, 3)[2]
    -I + 2*L**2
    """
    I = sp.Identity(L.shape[0])
    out = [I, L][:K]
    while len(out) < K:
        out.append(sp.expand(2 * L * out[-1] - out[-2]))
    return out


def describe_cheb(K: int = 3, *, activation=None) -> GraphLayer:
    """ChebNet: Y = f(Σ_{k<K} T_k(L̃) X Θ_k + 1 bᵀ), L̃ = (2/λ_max) L − I (K counts terms).

    References
    ----------
    M. Defferrard, X. Bresson and P. Vandergheynst, NeurIPS 2016.

    Examples
    --------
    >>> describe_cheb(2).pre
    L_tilde*X*Theta_1 + X*Theta_0 + 1*b.T
    """
    if isinstance(K, bool) or not isinstance(K, int) or K < 1:
        raise SpecError(f"describe_cheb: K (number of terms) must be an integer >= 1, got {K!r}")
    N, F, G = graph_sizes("N F G")
    Lt, L, A, D, X = matrices("L_tilde L A D X", [(N, N)] * 4 + [(N, F)])
    thetas = tuple(sp.MatrixSymbol(f"Theta_{k}", F, G) for k in range(K))
    b, bias = one_bias(N, G)
    lam = sp.Symbol("lambda_max", positive=True)
    half = sp.MatPow(D, sp.Rational(-1, 2))
    pre = sp.MatAdd(*(T * X * th for T, th in zip(chebyshev_matrices(Lt, K), thetas)), bias)
    return GraphLayer(
        f"cheb_K{K}", f"Chebyshev spectral convolution with {K} terms",
        "Defferrard, Bresson & Vandergheynst, Convolutional Neural Networks on Graphs with Fast Localized "
        "Spectral Filtering, NeurIPS 2016",
        (N, F, G), X, {Lt: 2 / lam * L - sp.Identity(N), L: sp.Identity(N) - half * A * half},
        (*thetas, b), pre, activation, {Lt: r"\tilde{\mathbf{L}}"},
    )


def describe_spectral() -> GraphLayer:
    """The spectral filter Y = U g(Λ) Uᵀ X with L = U Λ Uᵀ (a fixed, non-trainable filter).

    References
    ----------
    J. Bruna, W. Zaremba, A. Szlam and Y. LeCun, ICLR 2014.

    Examples
    --------
    >>> describe_spectral().gradient("X").expr
    U*g_Lambda.T*U.T*Delta
    """
    N, F = graph_sizes("N F")
    U, gL, Lam, L, X = matrices("U g_Lambda Lambda L X", [(N, N)] * 4 + [(N, F)])
    return GraphLayer(
        "spectral", "spectral filtering with the normalised Laplacian's eigenvectors",
        "Bruna, Zaremba, Szlam & LeCun, Spectral Networks and Locally Connected Networks on Graphs, ICLR 2014",
        (N, F), X, {L: U * Lam * U.T}, (), U * gL * U.T * X, None,
        {gL: r"g(\boldsymbol{\Lambda})"},
    )


def description(name: str, **options):
    """A graph-layer description by name: ``"gcn"``, ``"cheb"``, ``"spectral"`` or ``"gat"``.

    Options go to the factory (``activation=``, ``K=``, ``heads=``, ``concat=``, ``slope=``).

    Examples
    --------
    >>> description("cheb", K=2).name
    'cheb_K2'
    >>> description("sage")
    Traceback (most recent call last):
    ...
    symrnn.errors.UnknownNameError: unknown graph layer 'sage'; known: cheb, gat, gcn, spectral
    """
    from .describe_gat import describe_gat

    factories = {"gcn": describe_gcn, "cheb": describe_cheb, "spectral": describe_spectral, "gat": describe_gat}
    if name not in factories:
        raise UnknownNameError(f"unknown graph layer {name!r}; known: {', '.join(sorted(factories))}")
    return factories[name](**options)
