"""Graph filters of the spatial-temporal networks, written as stages of a description.

A graph filter F(V; Θ) = Σ_m Θ_m S_m(v) applies a parameter per **support**
S_m.  Two families are used by the recurrent models of
:mod:`symrnn.graphs.recurrent`:

* ``"cheb"``: the Chebyshev terms T_0(L̃) v, …, T_{K−1}(L̃) v of the scaled
  Laplacian (Defferrard et al. 2016; Seo et al. 2018; PyG ``ChebConv(K=K)``),
  built by :meth:`~symrnn.spec.graph_builder.GraphBuilder.chebyshev` with the
  operator ``cheb_lt``;
* ``"diffusion"``: the random-walk powers of Li et al. 2018, eq. 2 —
  P_O^k v then P_I^k v for k < K, with P_O = D_O⁻¹ W and P_I = D_I⁻¹ Wᵀ
  (operators ``walk_out`` and ``walk_in``; W[i, j] the weight of the edge
  i → j).  Both k = 0 terms are kept, as in the paper's sum, so there are 2K
  supports.

:func:`basis` writes the supports of a vector into a
:class:`~symrnn.spec.graph_builder.GraphBuilder` as named linear stages, and
:func:`support_names` names the parameter of each support, so a description
and the stacked layout of :mod:`symrnn.graphs.temporal` (Θ as (M, in, out))
agree on one order.  :class:`GraphFilter` records which filter runs on which
graph (its kind, K and Laplacian options).

References
----------
M. Defferrard, X. Bresson and P. Vandergheynst, "Convolutional Neural Networks on Graphs with Fast
Localized Spectral Filtering", NeurIPS 2016.
Y. Li, R. Yu, C. Shahabi and Y. Liu, "Diffusion Convolutional Recurrent Neural Network: Data-Driven Traffic
Forecasting", ICLR 2018, eq. 2.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import scipy.sparse as sps

from ..errors import InputError, SpecError
from ..spec.cell import PREV
from ..spec.graph_builder import GraphBuilder
from ..spec.latex import name_latex
from ..spec.operators import Apply
from .graph import Graph, as_graph
from .normalize import scaled_laplacian

__all__ = ["KINDS", "GraphFilter", "basis", "support_names", "support_latex", "cheb_filter", "diffusion_filter",
           "diffusion_supports", "diffusion_conv"]

KINDS = ("cheb", "diffusion")
"""The filter families: Chebyshev terms (K supports) and random-walk powers in both directions (2K supports)."""

LI = ("Li, Yu, Shahabi & Liu 2018, Diffusion Convolutional Recurrent Neural Network: Data-Driven Traffic "
      "Forecasting (ICLR)")


def _K(K) -> int:
    if isinstance(K, bool) or not isinstance(K, (int, np.integer)) or K < 1:
        raise InputError(f"K must be an integer >= 1 (number of filter terms), got {K!r}")
    return int(K)


def _kind(kind) -> str:
    if kind not in KINDS:
        raise SpecError(f"filter must be one of {KINDS}, got {kind!r}")
    return kind


def support_names(param: str, kind: str, K: int) -> list:
    """The names of the parameters that replace the matrix ``param``, one per support, in support order.

    Examples
    --------
    >>> support_names("W_r", "cheb", 2)
    ['W_r_0', 'W_r_1']
    >>> support_names("W_r", "diffusion", 2)
    ['W_r_out0', 'W_r_out1', 'W_r_in0', 'W_r_in1']
    """
    if _kind(kind) == "cheb":
        return [f"{param}_{k}" for k in range(K)]
    return [f"{param}_{d}{k}" for d in ("out", "in") for k in range(K)]


def _indexed(head: str, index: str) -> str:
    m = re.fullmatch(r"(.*)_\{([^{}]*)\}", head)
    return f"{m.group(1)}_{{{m.group(2)},{index}}}" if m else f"{head}_{{{index}}}"


def support_latex(param: str, kind: str, K: int, latex: str | None = None) -> list:
    """LaTeX of :func:`support_names`: W_{r,k} (Chebyshev), W^{O}_{r,k} and W^{I}_{r,k} (diffusion).

    Examples
    --------
    >>> support_latex("W_r", "diffusion", 1)
    ['\\\\mathbf{W}^{O}_{r,0}', '\\\\mathbf{W}^{I}_{r,0}']
    """
    head = latex or name_latex(param)
    if _kind(kind) == "cheb":
        return [_indexed(head, str(k)) for k in range(K)]
    return [_indexed(f"{head}^{{{d}}}" if "_{" not in head else head.replace("_{", f"^{{{d}}}_{{", 1), str(k))
            for d in ("O", "I") for k in range(K)]


def basis(b: GraphBuilder, v, kind: str, K: int, *, latex: str | None = None) -> list:
    """The supports S_m(v) of a per-node vector as stages of ``b``, in the order of :func:`support_names`.

    ``"cheb"``: [v, T_1(L̃) v, …] (named ``T1_v`` …); ``"diffusion"``:
    [v, P_O v, …, P_O^{K−1} v, v, P_I v, …] (named ``PO1_v`` …, ``PI1_v`` …,
    each power one ``walk_out`` / ``walk_in`` applied to the one before; ``latex``
    is the head of their LaTeX, x̄^{O}_k).

    Examples
    --------
    >>> b = GraphBuilder("powers")
    >>> F, = b.sizes("F")
    >>> [t.name for t in basis(b, b.node_input("x", F), "diffusion", 2)]
    ['x', 'PO1_x', 'x', 'PI1_x']
    """
    if _kind(kind) == "cheb":
        return b.chebyshev(v, K)
    if isinstance(K, bool) or not isinstance(K, int) or K < 1:
        raise SpecError(f"diffusion: K (the number of powers per direction) must be an integer >= 1, got {K!r}")
    head = latex or name_latex(v.name[:-len(PREV)] if v.name.endswith(PREV) else v.name)
    out = []
    for op, tag in (("walk_out", "O"), ("walk_in", "I")):
        t = v
        out.append(v)
        for k in range(1, K):
            t = b.linear(Apply(op, t.matrix), f"P{tag}{k}_{v.name}", latex=rf"\bar{{{head}}}^{{{tag}}}_{{{k}}}", inline=False)
            out.append(t)
    return out


@dataclass(frozen=True, eq=False)
class GraphFilter:
    """Which graph filter runs on which graph: ``kind`` (:data:`KINDS`), ``K`` terms and the Laplacian's options.

    Build one with :func:`cheb_filter` or :func:`diffusion_filter`.
    """

    kind: str
    graph: Graph
    K: int
    lambda_max: float = 2.0
    normalization: str | None = "sym"

    @property
    def num_nodes(self) -> int:
        """N, the number of nodes of the graph."""
        return self.graph.num_nodes

    @property
    def size(self) -> int:
        """M, the number of supports (K for Chebyshev, 2K for diffusion)."""
        return self.K if self.kind == "cheb" else 2 * self.K


def cheb_filter(graph, K: int, *, lambda_max: float = 2.0, normalization: str | None = "sym") -> GraphFilter:
    """Chebyshev supports T_0(L̃), …, T_{K−1}(L̃) (PyG ``ChebConv(K=K)``) on an undirected graph.

    Examples
    --------
    >>> import networkx as nx
    >>> f = cheb_filter(nx.path_graph(3), 2)
    >>> f.size, f.num_nodes
    (2, 3)
    """
    g = as_graph(graph).require_undirected("GConvGRU")
    scaled_laplacian(g, lambda_max, normalization)  # checks λ_max and the normalisation now, at the boundary
    return GraphFilter("cheb", g, _K(K), lambda_max, normalization)


def diffusion_supports(graph) -> tuple:
    """(P_O, P_I) = (D_O⁻¹ W, D_I⁻¹ Wᵀ), W[i, j] the weight of i → j (Li et al. 2018, §2.2); zero rows stay zero.

    These are the matrices of the operators ``walk_out`` and ``walk_in``.

    Examples
    --------
    >>> import networkx as nx
    >>> PO, PI = diffusion_supports(nx.DiGraph([(0, 1), (0, 2)]))
    >>> PO.toarray().tolist()[0], PI.toarray().tolist()[1]
    ([0.0, 0.5, 0.5], [1.0, 0.0, 0.0])
    """
    g = as_graph(graph)
    W = sps.csr_array(g.adjacency.T)  # Graph stores target × source; the paper's W is source × target

    def rw(M):
        d = np.asarray(M.sum(axis=1)).ravel()
        inv = np.divide(1.0, d, out=np.zeros_like(d), where=d > 0)
        return sps.csr_array(sps.diags_array(inv) @ M)

    return g.cached("diffusion_supports", lambda: (rw(W), rw(sps.csr_array(W.T))))


def diffusion_filter(graph, K: int) -> GraphFilter:
    """Diffusion supports (P_O^k, k < K) then (P_I^k, k < K) of a directed weighted graph.

    Examples
    --------
    >>> import networkx as nx
    >>> diffusion_filter(nx.DiGraph([(0, 1)]), 2).size
    4
    """
    return GraphFilter("diffusion", as_graph(graph), _K(K))


@lru_cache(maxsize=32)
def diffusion_layer(K: int):
    """Li et al.'s diffusion convolution h = Σ_{k<K} (Θ_{k}^{O} P_O^k x + Θ_{k}^{I} P_I^k x) as a description.

    Examples
    --------
    >>> diffusion_layer(2).parameter_count()
    4*F*G
    """
    b = GraphBuilder("diffusion_conv", reference=LI, summary=f"diffusion convolution, {K} powers per direction")
    F, G = b.sizes("F G")
    terms = basis(b, b.node_input("x", F), "diffusion", K)
    names, tex = support_names("Theta", "diffusion", K), support_latex("Theta", "diffusion", K)
    pre = None
    for name, latex, t in zip(names, tex, terms):
        term = b.param(name, G, F, latex=latex) @ t.matrix
        pre = term if pre is None else pre + term
    b.output("h", pre)
    return b.build()


def diffusion_conv(graph, X, Theta) -> np.ndarray:
    """Li et al.'s diffusion convolution Σ_k (P_O^k X Θ_{k,1} + P_I^k X Θ_{k,2}); ``Theta`` is (2, K, F, F').

    Runs the generated kernel of :func:`diffusion_layer`.

    Examples
    --------
    >>> import networkx as nx, numpy as np
    >>> diffusion_conv(nx.DiGraph([(0, 1)]), np.ones((2, 1)), np.ones((2, 1, 1, 1))).ravel().tolist()
    [2.0, 2.0]
    """
    from .recurrent import compiled

    Theta = np.asarray(Theta, dtype=np.float64)
    if Theta.ndim != 4 or Theta.shape[0] != 2 or 0 in Theta.shape:
        raise InputError(f"Theta must have shape (2, K, F, F'), got {Theta.shape}")
    g = as_graph(graph)
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[0] != g.num_nodes or X.shape[1] != Theta.shape[2]:
        raise InputError(f"X has shape {X.shape} but the graph has {g.num_nodes} nodes and Theta {Theta.shape}; "
                         f"expected ({g.num_nodes}, {Theta.shape[2]})")
    K = Theta.shape[1]
    slices = Theta.reshape(-1, *Theta.shape[2:])
    params = {name: th.T for name, th in zip(support_names("Theta", "diffusion", K), slices)}
    kernel = compiled(diffusion_layer(K), params, F=Theta.shape[2], G=Theta.shape[3])
    return kernel.forward(g, {"x": X})[0]["h"]
