"""Graph autoencoders GAE and VGAE (Kipf & Welling 2016), run by the kernels generated from their descriptions.

The models are written once, in :mod:`symrnn.graphs.autoencoders` (encoder,
clamp, reparametrisation, inner-product decoder, reconstruction loss and the
SymPy-derived KL as stages of one description); this module takes the
paper's layout (``X`` (N, F), weights ``W`` of shape (in, out) as in ``X W``,
the transpose of PyG's ``GCNConv.lin.weight``), builds the node pairs the
decoder scores, runs the generated forward pass and returns a
:class:`~symrnn.graphs.calls.LayerCall`.  There is no backward pass written
here: :func:`symrnn.graphs.backward` ``(call)`` runs the generated reverse mode
of the loss and returns the gradient of every parameter and of ``X``.

Loss = reconstruction + KL / N for the VGAE (PyG's example and Kipf's code both
weight PyG's ``kl_loss`` by 1/N); logstd is clamped at :data:`MAX_LOGSTD` = 10
as PyG does, ε is given explicitly (``None``: ε = 0, PyG's evaluation mode).
Two reconstruction conventions (``convention=``):

* ``"pyg"`` — PyG ``recon_loss``: −mean_pos log(σ(z_u·z_v) + ε₀) − mean_neg log(1 − σ(z_u·z_v) + ε₀),
  ε₀ = 1e-15, over given positive and negative edge lists (``(2, E)`` node indices);
* ``"kipf"`` — Kipf's reference code: weighted cross-entropy over all N² pairs with
  labels A + I, pos_weight = (N² − S)/S and norm = N²/(2(N² − S)), S the number
  of stored edge entries (both directions) of the graph without self-loops.

The functions of ``Z`` alone (:func:`inner_product_decoder`, :func:`edge_probabilities`,
:func:`recon_loss`, :func:`kl_loss`) run the decoder's and the KL's own descriptions
over a graph of N isolated nodes (they read no edge).

References
----------
T. N. Kipf and M. Welling, "Variational Graph Auto-Encoders", NIPS Workshop on
Bayesian Deep Learning, 2016 (arXiv:1611.07308).
Z. Wu et al., "A Comprehensive Survey on Graph Neural Networks", IEEE TNNLS 32(1), 2021, §6.1.
"""

from __future__ import annotations

import numpy as np

from ..errors import InputError
from ..numeric.params import real_array
from . import autoencoders as models
from .calls import LayerCall, kernel_for
from .graph import as_graph, check_features, check_param, from_edges

__all__ = ["EPS", "MAX_LOGSTD", "CONVENTIONS", "gae_params", "inner_product_decoder", "edge_probabilities",
           "recon_loss", "kl_loss", "gae_forward", "negative_edges", "link_prediction_scores"]

EPS = float(models.EPS)
MAX_LOGSTD = float(models.MAX_LOGSTD)
CONVENTIONS = models.CONVENTIONS


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


def _kernel(factory, sizes: dict, **options):
    return kernel_for(factory, tuple(sorted(options.items())), tuple(sorted(sizes.items())))


def _isolated(n: int):
    """N nodes and no edge: the graph of the functions that read ``Z`` alone."""
    none = np.zeros(0, dtype=np.int64)
    return from_edges(none, none, n)


def _latent(Z, arg="Z"):
    Z = real_array(Z, arg, finite=False)
    if Z.ndim != 2 or 0 in Z.shape:
        raise InputError(f"{arg} must be 2-D (nodes, latent) with at least one of each, got shape {Z.shape}")
    return check_param(Z, Z.shape, arg)


def _convention(convention) -> str:
    if convention not in CONVENTIONS:
        raise InputError(f"convention must be one of {CONVENTIONS}, got {convention!r}")
    return convention


def _probabilities(Z, pairs) -> np.ndarray:
    out, _ = _kernel(models.edge_probability, {"L": Z.shape[1]}).forward(_isolated(Z.shape[0]), {"z": Z}, pairs=pairs)
    return out["p"][:, 0]


def inner_product_decoder(Z) -> np.ndarray:
    """σ(Z Zᵀ): edge probabilities for every node pair (the generated kernel of :func:`~symrnn.graphs.autoencoders.edge_probability`).

    Examples
    --------
    >>> inner_product_decoder([[0.0], [1.0]]).tolist()
    [[0.5, 0.5], [0.5, 0.7310585786300049]]
    """
    Z = _latent(Z)
    n = Z.shape[0]
    return _probabilities(Z, np.indices((n, n)).reshape(2, -1)).reshape(n, n)


def edge_probabilities(Z, edges) -> np.ndarray:
    """σ(z_u · z_v) for each column (u, v) of ``edges`` (shape (2, E)).

    Examples
    --------
    >>> edge_probabilities([[0.0], [1.0]], [[1], [1]]).tolist()
    [0.7310585786300049]
    """
    Z = _latent(Z)
    return _probabilities(Z, _edges(edges, Z.shape[0], "edges"))


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


def _pyg_pairs(pos_edges, neg_edges, n: int):
    """Pairs, labels and weights of PyG's ``recon_loss``: positives (y = 1, w = 1/P₊), then negatives (y = 0, w = 1/P₋)."""
    if pos_edges is None or neg_edges is None:
        raise InputError("pos_edges and neg_edges: the 'pyg' convention needs both (2, E) edge lists")
    pos, neg = _edges(pos_edges, n, "pos_edges"), _edges(neg_edges, n, "neg_edges")
    if pos.shape[1] == 0 or neg.shape[1] == 0:
        raise InputError("pos_edges and neg_edges must each hold at least one edge")
    P, Q = pos.shape[1], neg.shape[1]
    y = np.concatenate([np.ones(P), np.zeros(Q)])[:, None]
    w = np.concatenate([np.full(P, 1.0 / P), np.full(Q, 1.0 / Q)])[:, None]
    return np.concatenate([pos, neg], axis=1), y, w


def _kipf_pairs(g):
    """All N² pairs (row-major), labels A + I and weights norm · (pos_weight if y else 1) / N² (Kipf's code)."""
    n = g.num_nodes
    A = (g.adjacency.toarray() != 0).astype(np.float64)
    np.fill_diagonal(A, 0.0)
    S = A.sum()
    if S == 0:
        raise InputError("graph: has no edges; the 'kipf' convention weights positives by (N² − S)/S")
    pos_weight, norm = (n * n - S) / S, n * n / (2.0 * (n * n - S))
    y = (A + np.eye(n)).reshape(-1, 1)
    return np.indices((n, n)).reshape(2, -1), y, norm / (n * n) * np.where(y > 0, pos_weight, 1.0)


def _pairs(convention, g, pos_edges, neg_edges):
    return _pyg_pairs(pos_edges, neg_edges, g.num_nodes) if convention == "pyg" else _kipf_pairs(g)


def recon_loss(Z, pos_edges=None, neg_edges=None, *, convention: str = "pyg", graph=None,
               return_grad: bool = False):
    """Reconstruction loss of the inner-product decoder (and ∂loss/∂Z if ``return_grad``), by the generated kernel.

    Parameters
    ----------
    Z : array_like, shape (N, L)
    pos_edges, neg_edges : array_like of int, shape (2, E), for ``convention="pyg"``
    convention : {"pyg", "kipf"}
    graph : networkx graph or Graph, for ``convention="kipf"`` (the labels A + I)

    Returns
    -------
    loss : float
    dZ : ndarray, shape (N, L), only with ``return_grad`` (from the generated reverse mode)

    Examples
    --------
    >>> import numpy as np
    >>> round(float(recon_loss(np.zeros((2, 1)), [[0], [1]], [[1], [1]])), 6)   # 2 log 2
    1.386294
    >>> loss, dZ = recon_loss(np.array([[1.0], [2.0]]), [[0], [1]], [[1], [1]], return_grad=True)
    >>> np.round(dZ.ravel(), 6).tolist()   # −(1 − σ(2))·z₁ and −(1 − σ(2))·z₀ + σ(4)·2z₁
    [-0.238406, 3.808852]
    """
    Z = _latent(Z)
    convention = _convention(convention)
    if convention == "pyg":
        g = _isolated(Z.shape[0])
    elif graph is None:
        raise InputError("graph: the 'kipf' convention needs the graph (its labels are A + I)")
    else:
        g = as_graph(graph)
        if g.num_nodes != Z.shape[0]:
            raise InputError(f"Z has {Z.shape[0]} rows but the graph has {g.num_nodes} nodes; "
                             f"expected shape ({g.num_nodes}, L)")
    pairs, y, w = _pairs(convention, g, pos_edges, neg_edges)
    kernel = _kernel(models.gae_decoder, {"L": Z.shape[1]}, convention=convention)
    out, tape = kernel.forward(g, {"z": Z, "y": y, "w": w}, pairs=pairs)
    loss = float(out["recon"][0, 0])
    if not return_grad:
        return loss
    return loss, kernel.backward(tape, {"recon": np.ones((1, 1))})["z"]


def kl_loss(mu, logstd) -> float:
    """PyG's ``kl_loss``: the derived KL summed over latent dimensions, averaged over nodes (generated kernel).

    ``logstd`` is clamped at :data:`MAX_LOGSTD` = 10 first, as PyG does.  ``mu`` and
    ``logstd`` are (N, L) arrays (a 1-D array is one node).

    Examples
    --------
    >>> float(kl_loss([[1.0, 0.0]], [[0.0, 0.0]]))
    0.5
    >>> float(kl_loss([[0.0]], [[12.0]])) == float(kl_loss([[0.0]], [[10.0]]))   # the clamp
    True
    """
    mu = _latent(_rows(mu, "mu"), "mu")
    s = check_param(_rows(logstd, "logstd"), mu.shape, "logstd")
    out, _ = _kernel(models.vgae_kl, {"L": mu.shape[1]}).forward(_isolated(mu.shape[0]), {"mu": mu, "s": s})
    return float(out["kl"][0, 0])


def _rows(value, arg):
    """A 1-D array as one row (one node), anything else unchanged."""
    arr = real_array(value, arg, finite=False)
    return arr[None] if arr.ndim == 1 else arr


def _encoder_params(params, F: int, variational: bool) -> dict:
    """The encoder's arrays, checked against each other (names as :func:`gae_params`)."""
    heads = ("_mu", "_logstd") if variational else ("2",)
    missing = [k for k in ("W1", "b1") + tuple(f"{p}{h}" for h in heads for p in "Wb") if k not in params]
    if missing:
        raise InputError(f"params misses {missing}; expected the keys of gae_params(...)")
    out = {"W1": check_param(params["W1"], (F, None), "params['W1']")}
    H = out["W1"].shape[1]
    out["b1"] = check_param(params["b1"], (H,), "params['b1']")
    L = None
    for h in heads:
        out[f"W{h}"] = check_param(params[f"W{h}"], (H, L), f"params['W{h}']")
        L = out[f"W{h}"].shape[1]
        out[f"b{h}"] = check_param(params[f"b{h}"], (L,), f"params['b{h}']")
    return out


def gae_forward(graph, X, params, *, pos_edges=None, neg_edges=None, noise=None, convention: str = "pyg"):
    """Encode, decode and score: ``(loss, Z, call)``; variational when ``params`` has ``W_mu``.

    The loss's gradients come from the generated reverse mode: ``symrnn.graphs.backward(call)``
    gives every parameter (the layout of ``params``) and ``"X"``.

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
    call : LayerCall, for :func:`symrnn.graphs.backward`

    Examples
    --------
    >>> import networkx as nx, numpy as np
    >>> from symrnn.graphs import backward
    >>> G = nx.cycle_graph(4); p = gae_params(4, 3, 2, variational=True)
    >>> loss, Z, call = gae_forward(G, np.eye(4), p, neg_edges=[[0, 1], [2, 3]], noise=np.ones((4, 2)))
    >>> round(loss, 6)
    1.726487
    >>> grads = backward(call)
    >>> set(grads) == set(p) | {"X"}, grads["W_mu"].shape
    (True, (3, 2))
    """
    g = as_graph(graph).require_undirected("gae")
    X = check_features(g, X)
    if not hasattr(params, "keys"):
        raise InputError(f"params must be a dict (see gae_params), got {type(params).__name__}")
    variational = "W_mu" in params
    p = _encoder_params(params, X.shape[1], variational)
    convention = _convention(convention)
    if convention == "pyg" and pos_edges is None:
        A = g.adjacency.tocoo()
        pos_edges = np.stack([A.col, A.row])
    pairs, y, w = _pairs(convention, g, pos_edges, neg_edges)
    n, (H, L) = g.num_nodes, p["W_mu" if variational else "W2"].shape
    inputs = {"x": X, "y": y, "w": w}
    if variational:
        eps = np.zeros((n, L)) if noise is None else check_param(noise, (n, L), "noise")
        inputs.update(eps=eps, beta=np.full((1, 1), 1.0 / n))
    kernel = _kernel(models.vgae if variational else models.gae, {"F": X.shape[1], "H": H, "L": L},
                     convention=convention)
    kernel.params = {k: v.T if k.startswith("W") else v for k, v in p.items()}
    out, tape = kernel.forward(g, inputs, pairs=pairs)
    loss = "loss" if variational else "recon"

    def to_caller(grads):
        return {"X": grads["x"], **{k: grads[k].T if k.startswith("W") else grads[k] for k in p}}

    return float(out[loss][0, 0]), out["z"], LayerCall(kernel, tape, kernel.params, ((loss, 1),), to_caller)


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
