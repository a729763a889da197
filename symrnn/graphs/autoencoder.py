"""Graph autoencoders: GAE and VGAE (Kipf & Welling 2016), forward and backward.

Encoder (two GCN layers, :func:`~symrnn.graphs.gcn_forward`)::

    H = ReLU(GCN(X; W1, b1))
    GAE:   Z = GCN(H; W2, b2)
    VGAE:  μ = GCN(H; W_mu, b_mu),  s = min(GCN(H; W_logstd, b_logstd), 10),  Z = μ + ε ⊙ e^s

(s is clamped at 10 like PyG's ``MAX_LOGSTD``; ε is given explicitly, ``None``
meaning ε = 0, PyG's evaluation mode).  Decoder: the inner product
σ(Z Zᵀ) (:func:`inner_product_decoder`), symmetric with entries in (0, 1).

Loss = reconstruction + KL / N, the KL per entry derived by SymPy
(:mod:`symrnn.graphs.kl`), summed over latent dimensions and averaged over
nodes (PyG's ``kl_loss``); both reference codes divide it by N once more.
Two reconstruction conventions (``convention=``):

* ``"pyg"`` — PyG ``recon_loss``: −mean_pos log(σ(z_u·z_v) + ε) − mean_neg log(1 − σ(z_u·z_v) + ε),
  ε = 1e-15, over given positive and negative edge lists (``(2, E)`` node indices);
* ``"kipf"`` — Kipf's reference code: weighted cross-entropy over all N² pairs with
  labels A + I, pos_weight = (N² − S)/S and norm = N²/(2(N² − S)), S the number
  of stored edge entries (both directions) of the graph without self-loops.

References
----------
T. N. Kipf and M. Welling, "Variational Graph Auto-Encoders", NIPS Workshop on
Bayesian Deep Learning, 2016 (arXiv:1611.07308).
Z. Wu et al., "A Comprehensive Survey on Graph Neural Networks", IEEE TNNLS 32(1), 2021, §6.1.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import expit

from ..errors import InputError
from .calls import backward as gcn_backward  # the generated reverse mode of the GCN layer
from .gcn import gcn_forward
from .graph import as_graph, check_features
from .kl import kl_divergence, kl_gradient

__all__ = ["EPS", "MAX_LOGSTD", "CONVENTIONS", "gae_params", "inner_product_decoder", "edge_probabilities",
           "recon_loss", "kl_loss", "gae_forward", "gae_backward", "GAETape", "negative_edges",
           "link_prediction_scores"]

EPS = 1e-15
MAX_LOGSTD = 10.0
CONVENTIONS = ("pyg", "kipf")


def gae_params(in_features: int, hidden: int, latent: int, *, variational: bool = False, rng=0) -> dict:
    """Glorot-initialised encoder parameters (VGAE: separate μ and log σ heads).

    Examples
    --------
    >>> sorted(gae_params(3, 4, 2, variational=True))
    ['W1', 'W_logstd', 'W_mu', 'b1', 'b_logstd', 'b_mu']
    """
    rng = np.random.default_rng(rng)

    def glorot(a, b):
        return rng.uniform(-1, 1, size=(a, b)) * np.sqrt(6.0 / (a + b))

    p = {"W1": glorot(in_features, hidden), "b1": np.zeros(hidden)}
    heads = ("mu", "logstd") if variational else ("2",)
    for h in heads:
        key = h if h == "2" else f"_{h}"
        p[f"W{key}"], p[f"b{key}"] = glorot(hidden, latent), np.zeros(latent)
    return p


def inner_product_decoder(Z) -> np.ndarray:
    """σ(Z Zᵀ): edge probabilities for every node pair.

    Examples
    --------
    >>> inner_product_decoder([[0.0], [1.0]]).tolist()
    [[0.5, 0.5], [0.5, 0.7310585786300049]]
    """
    Z = _latent(Z)
    return expit(Z @ Z.T)


def edge_probabilities(Z, edges) -> np.ndarray:
    """σ(z_u · z_v) for each column (u, v) of ``edges`` (shape (2, E)).

    Examples
    --------
    >>> edge_probabilities([[0.0], [1.0]], [[1], [1]]).tolist()
    [0.7310585786300049]
    """
    Z = _latent(Z)
    e = _edges(edges, Z.shape[0], "edges")
    return expit(np.einsum("ij,ij->i", Z[e[0]], Z[e[1]]))


def _latent(Z):
    Z = np.asarray(Z, dtype=np.float64)
    if Z.ndim != 2:
        raise InputError(f"Z must be 2-D (nodes, latent), got shape {Z.shape}")
    return Z


def _edges(edges, n: int, arg: str) -> np.ndarray:
    e = np.asarray(edges)
    if e.ndim != 2 or e.shape[0] != 2 or (e.size and not np.issubdtype(e.dtype, np.integer)):
        raise InputError(f"{arg} must be an integer array of shape (2, E), got shape {e.shape}")
    if e.size and (e.min() < 0 or e.max() >= n):
        raise InputError(f"{arg} holds node index {int(e.max() if e.max() >= n else e.min())}; expected 0..{n - 1}")
    return e.astype(np.int64)


def negative_edges(graph, count: int, *, rng=0) -> np.ndarray:
    """``count`` node pairs (u ≠ v) drawn uniformly from the non-edges of ``graph``, shape (2, count).

    Examples
    --------
    >>> import networkx as nx
    >>> negative_edges(nx.path_graph(3), 2, rng=0).shape
    (2, 2)
    """
    g = as_graph(graph)
    n = g.num_nodes
    free = (g.adjacency.toarray() == 0) & ~np.eye(n, dtype=bool)
    rows, cols = np.nonzero(free)
    if len(rows) == 0:
        raise InputError("graph: is complete, so it has no negative edges to sample")
    pick = np.random.default_rng(rng).integers(0, len(rows), size=int(count))
    return np.stack([cols[pick], rows[pick]])


def _scores_backward(Z, edges, g):
    dZ = np.zeros_like(Z)
    np.add.at(dZ, edges[0], g[:, None] * Z[edges[1]])
    np.add.at(dZ, edges[1], g[:, None] * Z[edges[0]])
    return dZ


def recon_loss(Z, pos_edges=None, neg_edges=None, *, convention: str = "pyg", graph=None,
               return_grad: bool = False):
    """Reconstruction loss of the inner-product decoder (and ∂loss/∂Z if ``return_grad``).

    Parameters
    ----------
    Z : array_like, shape (N, L)
    pos_edges, neg_edges : array_like of int, shape (2, E), for ``convention="pyg"``
    convention : {"pyg", "kipf"}
    graph : networkx graph or Graph, for ``convention="kipf"`` (the labels A + I)

    Examples
    --------
    >>> import numpy as np
    >>> round(float(recon_loss(np.zeros((2, 1)), [[0], [1]], [[1], [1]])), 6)   # 2 log 2
    1.386294
    """
    Z = _latent(Z)
    n = Z.shape[0]
    if convention == "pyg":
        if pos_edges is None or neg_edges is None:
            raise InputError("pos_edges and neg_edges: the 'pyg' convention needs both (2, E) edge lists")
        pos, neg = _edges(pos_edges, n, "pos_edges"), _edges(neg_edges, n, "neg_edges")
        if pos.shape[1] == 0 or neg.shape[1] == 0:
            raise InputError("pos_edges and neg_edges must each hold at least one edge")
        sp_, sn = edge_probabilities(Z, pos), edge_probabilities(Z, neg)
        loss = float(-np.log(sp_ + EPS).mean() - np.log(1 - sn + EPS).mean())
        if not return_grad:
            return loss
        gp = -sp_ * (1 - sp_) / (sp_ + EPS) / pos.shape[1]
        gn = sn * (1 - sn) / (1 - sn + EPS) / neg.shape[1]
        return loss, _scores_backward(Z, pos, gp) + _scores_backward(Z, neg, gn)
    if convention == "kipf":
        if graph is None:
            raise InputError("graph: the 'kipf' convention needs the graph (its labels are A + I)")
        g = as_graph(graph)
        if g.num_nodes != n:
            raise InputError(f"Z has {n} rows but the graph has {g.num_nodes} nodes; expected shape ({g.num_nodes}, L)")
        A = (g.adjacency.toarray() != 0).astype(np.float64)
        np.fill_diagonal(A, 0.0)
        S = A.sum()
        if S == 0:
            raise InputError("graph: has no edges; the 'kipf' convention weights positives by (N² − S)/S")
        pos_weight, norm = (n * n - S) / S, n * n / (2.0 * (n * n - S))
        Y = A + np.eye(n)
        logits = Z @ Z.T
        # softplus(-x) = -log σ(x), softplus(x) = -log(1 - σ(x)), both stable
        loss = float(norm * np.mean(pos_weight * Y * np.logaddexp(0, -logits) + (1 - Y) * np.logaddexp(0, logits)))
        if not return_grad:
            return loss
        s = expit(logits)
        G = norm / (n * n) * (pos_weight * Y * (s - 1) + (1 - Y) * s)
        return loss, (G + G.T) @ Z
    raise InputError(f"convention must be one of {CONVENTIONS}, got {convention!r}")


def kl_loss(mu, logstd) -> float:
    """PyG's ``kl_loss``: the derived KL summed over latent dimensions, averaged over nodes.

    ``logstd`` is clamped at :data:`MAX_LOGSTD` = 10 first, as PyG does.

    Examples
    --------
    >>> float(kl_loss([[1.0, 0.0]], [[0.0, 0.0]]))
    0.5
    """
    return float(kl_divergence(mu, np.minimum(np.asarray(logstd, dtype=np.float64), MAX_LOGSTD)).sum(axis=-1).mean())


@dataclass(frozen=True, eq=False)
class GAETape:
    """What :func:`gae_backward` needs from :func:`gae_forward`."""

    t1: object
    H: np.ndarray
    heads: dict  # name -> gcn tape
    Z: np.ndarray
    mu: np.ndarray | None
    logstd: np.ndarray | None
    clamped: np.ndarray | None
    noise: np.ndarray | None
    dZ: np.ndarray


def gae_forward(graph, X, params, *, pos_edges=None, neg_edges=None, noise=None, convention: str = "pyg"):
    """Encode, decode and score: ``(loss, Z, tape)``; variational when ``params`` has ``W_mu``.

    Parameters
    ----------
    graph : networkx graph or Graph (undirected)
    X : array_like, shape (N, F)
    params : dict from :func:`gae_params`
    pos_edges, neg_edges : (2, E) int arrays (``"pyg"``; ``pos_edges`` defaults to every stored edge)
    noise : array_like, shape (N, L), optional — ε of the reparameterisation (VGAE only)
    convention : {"pyg", "kipf"}

    Returns
    -------
    loss : float  (reconstruction + KL / N for the VGAE)
    Z : ndarray, shape (N, L)
    tape : GAETape

    Examples
    --------
    >>> import networkx as nx, numpy as np
    >>> G = nx.cycle_graph(4); p = gae_params(4, 3, 2, variational=True)
    >>> loss, Z, tape = gae_forward(G, np.eye(4), p, neg_edges=[[0, 1], [2, 3]], noise=np.ones((4, 2)))
    >>> set(gae_backward(tape)) == set(p) | {"X"}
    True
    """
    g = as_graph(graph).require_undirected("gae")
    X = check_features(g, X)
    variational = "W_mu" in params
    need = ("W1", "b1") + (("W_mu", "b_mu", "W_logstd", "b_logstd") if variational else ("W2", "b2"))
    missing = [k for k in need if k not in params]
    if missing:
        raise InputError(f"params misses {missing}; expected the keys of gae_params(...)")
    if convention not in CONVENTIONS:
        raise InputError(f"convention must be one of {CONVENTIONS}, got {convention!r}")
    if convention == "pyg" and pos_edges is None:
        A = g.adjacency.tocoo()
        pos_edges = np.stack([A.col, A.row])
    A1, t1 = gcn_forward(g, X, params["W1"], params["b1"])
    H = np.maximum(A1, 0.0)
    if not variational:
        Z, t2 = gcn_forward(g, H, params["W2"], params["b2"])
        loss, dZ = recon_loss(Z, pos_edges, neg_edges, convention=convention, graph=g, return_grad=True)
        return loss, Z, GAETape(t1, H, {"2": t2}, Z, None, None, None, None, dZ)
    mu, tm = gcn_forward(g, H, params["W_mu"], params["b_mu"])
    raw, ts = gcn_forward(g, H, params["W_logstd"], params["b_logstd"])
    clamped = raw > MAX_LOGSTD
    logstd = np.minimum(raw, MAX_LOGSTD)
    eps = np.zeros_like(mu) if noise is None else np.asarray(noise, dtype=np.float64)
    if eps.shape != mu.shape:
        raise InputError(f"noise has shape {eps.shape}; expected {mu.shape} (nodes, latent)")
    Z = mu + eps * np.exp(logstd)
    loss, dZ = recon_loss(Z, pos_edges, neg_edges, convention=convention, graph=g, return_grad=True)
    loss = loss + kl_loss(mu, logstd) / g.num_nodes
    return loss, Z, GAETape(t1, H, {"_mu": tm, "_logstd": ts}, Z, mu, logstd, clamped, eps, dZ)


def gae_backward(tape: GAETape) -> dict:
    """Gradients of the loss of :func:`gae_forward` for every parameter and ``"X"``.

    Examples
    --------
    >>> import networkx as nx, numpy as np
    >>> loss, Z, tape = gae_forward(nx.path_graph(3), np.eye(3), gae_params(3, 2, 2), neg_edges=[[0], [2]])
    >>> gae_backward(tape)["W1"].shape
    (3, 2)
    """
    grads = {}
    if tape.mu is None:
        dH = _head(grads, "2", tape.heads["2"], tape.dZ)
    else:
        n = tape.mu.shape[0]
        dmu_kl, ds_kl = kl_gradient(tape.mu, tape.logstd)
        scale = 1.0 / (n * n)  # KL / N, the KL itself a mean over the N nodes
        dmu = tape.dZ + dmu_kl * scale
        ds = tape.dZ * tape.noise * np.exp(tape.logstd) + ds_kl * scale
        ds[tape.clamped] = 0.0
        dH = _head(grads, "_mu", tape.heads["_mu"], dmu) + _head(grads, "_logstd", tape.heads["_logstd"], ds)
    g1 = gcn_backward(tape.t1, dH * (tape.H > 0))
    grads["W1"], grads["b1"], grads["X"] = g1["W"], g1["b"], g1["X"]
    return grads


def _head(grads, key, t, dY):
    g = gcn_backward(t, dY)
    grads[f"W{key}"], grads[f"b{key}"] = g["W"], g["b"]
    return g["X"]


def link_prediction_scores(Z, pos_edges, neg_edges) -> tuple[float, float]:
    """(AUC, AP) of σ(z_u · z_v) separating positive from negative edges (PyG ``GAE.test``).

    AUC counts ties as ½ (the Mann–Whitney statistic); AP is Σ_k (R_k − R_{k−1}) P_k over
    the distinct score thresholds, highest first (scikit-learn's ``average_precision_score``).

    Examples
    --------
    >>> import numpy as np
    >>> Z = np.array([[2.0], [1.0], [-1.0]])
    >>> link_prediction_scores(Z, [[0], [1]], [[0], [2]])
    (1.0, 1.0)
    """
    Z = _latent(Z)
    pos, neg = edge_probabilities(Z, pos_edges), edge_probabilities(Z, neg_edges)
    if len(pos) == 0 or len(neg) == 0:
        raise InputError("pos_edges and neg_edges must each hold at least one edge")
    scores = np.concatenate([pos, neg])
    labels = np.concatenate([np.ones(len(pos)), np.zeros(len(neg))])
    from scipy.stats import rankdata

    ranks = rankdata(scores)  # average ranks: ties count ½
    auc = (ranks[: len(pos)].sum() - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg))
    thresholds = np.unique(scores)[::-1]
    tp = np.array([labels[scores >= t].sum() for t in thresholds])
    predicted = np.array([(scores >= t).sum() for t in thresholds])
    recall = np.concatenate([[0.0], tp / len(pos)])
    ap = float(np.sum(np.diff(recall) * tp / predicted))
    return float(auc), ap
