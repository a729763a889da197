"""GraphRNN-style graph generation: BFS sequences of adjacency vectors, a GRU over them, sampling.

A connected undirected graph in a BFS order π is the sequence S_1 … S_{N-1} of
adjacency vectors S_i[j] = 1 iff π(i) ~ π(i − 1 − j), j < M (most recent node
first).  In a BFS order every edge joins nodes of the same or adjacent BFS levels,
so the bandwidth M = max over edges of the position difference is at most
max_k (|L_k| + |L_{k+1}|) − 1 (:func:`level_bound`); :func:`encode_bfs` refuses an
``M`` below the bandwidth, naming the one needed, and :func:`decode_bfs` inverts it
(the result is isomorphic to the input: node i of the decoding is π(i)).

The sequence model is GraphRNN-S (You et al. 2018, §3.3, the simplified variant):
the package's generated reset-before GRU kernel reads S_{i-1} (S_0 = 1, "start")
and the readout :func:`graphrnn_readout` — a description, one row per generated
node — emits θ_i = σ(V h_i + c), independent Bernoulli probabilities for S_i, and
their negative log-likelihood; an all-zero row ends the sequence.  Both parts run
generated kernels, forward and reverse mode (the readout's ∂loss/∂h feeds the
GRU's backward); nothing is differentiated by hand.  Training is binary
cross-entropy with Adam (:class:`symrnn.experiments.Adam`); :func:`sample_graphs`
draws new graphs and :func:`degree_distance` compares families of graphs.

References
----------
J. You, R. Ying, X. Ren, W. L. Hamilton and J. Leskovec, "GraphRNN: Generating
Realistic Graphs with Deep Auto-regressive Models", ICML 2018.
Z. Wu et al., "A Comprehensive Survey on Graph Neural Networks", IEEE TNNLS 32(1), 2021, §6.2.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import networkx as nx
import numpy as np

from ..errors import InputError
from ..spec.graph_builder import GraphBuilder
from ..spec.symbols import sigmoid, softplus
from .calls import kernel_for
from .graph import from_edges

__all__ = ["bfs_order", "bfs_levels", "bandwidth", "level_bound", "encode_bfs", "decode_bfs", "GraphRNN",
           "graph_rnn", "graphrnn_readout", "graphrnn_loss", "train_graphrnn", "sample_graphs", "degree_histogram", "degree_distance",
           "erdos_renyi_like"]


def _connected_graph(graph, arg="graph") -> nx.Graph:
    if not isinstance(graph, nx.Graph) or graph.is_directed() or graph.is_multigraph():
        raise InputError(f"{arg} must be an undirected networkx Graph, got {type(graph).__name__}")
    if graph.number_of_nodes() == 0:
        raise InputError(f"{arg}: has no nodes")
    if nx.number_of_selfloops(graph):
        raise InputError(f"{arg}: has self-loops, which a BFS adjacency sequence cannot hold; remove them first")
    k = nx.number_connected_components(graph)
    if k > 1:
        raise InputError(f"{arg}: has {k} connected components; BFS encoding needs one — encode each of "
                         "[G.subgraph(c) for c in nx.connected_components(G)] separately")
    return graph


def bfs_order(graph, *, start=None, rng=None, rank=None) -> list:
    """A BFS order of a connected graph: from ``start`` (default: the first node), neighbours in graph order.

    With ``rng`` (seed or Generator) and no ``start``, the start node and every
    neighbour order are random (GraphRNN's training-time ordering).  ``rank``
    (node → number) fixes the neighbour order instead: ranking the nodes by any
    BFS order reproduces it, so ranks and starts enumerate every BFS order.

    Examples
    --------
    >>> bfs_order(nx.path_graph(4), start=2)
    [2, 1, 3, 0]
    """
    G = _connected_graph(graph)
    gen = None if rng is None else np.random.default_rng(rng)
    nodes = list(G.nodes)
    if start is None:
        start = nodes[int(gen.integers(len(nodes)))] if gen is not None else nodes[0]
    elif start not in G:
        raise InputError(f"start: {start!r} is not a node of the graph")
    if rank is None:
        rank = {u: i for i, u in enumerate(nodes if gen is None else [nodes[i] for i in gen.permutation(len(nodes))])}
    order, seen, queue = [], {start}, deque([start])
    while queue:
        u = queue.popleft()
        order.append(u)
        for v in sorted(G.neighbors(u), key=rank.__getitem__):
            if v not in seen:
                seen.add(v)
                queue.append(v)
    return order


def bfs_levels(graph, order) -> list:
    """Sizes |L_0|, |L_1|, … of the BFS levels (distance from ``order[0]``).

    Examples
    --------
    >>> bfs_levels(nx.star_graph(3), [0, 1, 2, 3])
    [1, 3]
    """
    dist = nx.single_source_shortest_path_length(graph, order[0])
    return np.bincount(list(dist.values())).tolist()


def bandwidth(graph, order) -> int:
    """max over edges of |pos(u) − pos(v)| in ``order``: the smallest M that encodes the graph in it.

    Examples
    --------
    >>> bandwidth(nx.cycle_graph(5), [0, 1, 4, 2, 3])
    2
    """
    pos = {u: i for i, u in enumerate(order)}
    return max((abs(pos[u] - pos[v]) for u, v in graph.edges), default=0)


def level_bound(graph, order) -> int:
    """max_k (|L_k| + |L_{k+1}|) − 1 over the BFS levels from ``order[0]`` (≥ :func:`bandwidth` for a BFS order).

    Examples
    --------
    >>> level_bound(nx.star_graph(3), [0, 1, 2, 3])
    3
    """
    L = bfs_levels(graph, order) + [0]
    return max(a + b for a, b in zip(L[:-1], L[1:])) - 1


def encode_bfs(graph, M: int | None = None, *, start=None, rng=None, order=None):
    """The BFS adjacency sequence ``S`` (N − 1, M) of a connected graph, and the order π used.

    Parameters
    ----------
    graph : networkx.Graph, connected, undirected, no self-loops
    M : int, optional
        Bandwidth (default: the one this order needs, at least 1).
    start, rng : as in :func:`bfs_order`
    order : sequence of nodes, optional
        Use this node order instead of a BFS (any permutation of the nodes; the
        bandwidth bound of :func:`level_bound` holds for BFS orders only).

    Raises
    ------
    InputError
        Not connected (one component is needed), self-loops, or ``M`` below the
        bandwidth of the order (the message names the needed M).

    Examples
    --------
    >>> S, order = encode_bfs(nx.cycle_graph(4))
    >>> S.tolist(), order
    ([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], [0, 1, 3, 2])
    """
    if order is None:
        order = bfs_order(graph, start=start, rng=rng)
    else:
        _connected_graph(graph)
        order = list(order)
        if len(order) != len(graph) or set(order) != set(graph.nodes):
            raise InputError(f"order must list every node of the graph once, got {order!r}")
    need = max(1, bandwidth(graph, order))
    if M is None:
        M = need
    if isinstance(M, bool) or not isinstance(M, (int, np.integer)) or M < 1:
        raise InputError(f"M must be an integer >= 1, got {M!r}")
    if M < need:
        raise InputError(f"M = {M} is too small for this graph: its BFS order from {order[0]!r} needs bandwidth M = {need}")
    N = len(order)
    S = np.zeros((N - 1, M))
    for i in range(1, N):
        for j in range(min(i, M)):
            S[i - 1, j] = graph.has_edge(order[i], order[i - 1 - j])
    return S, order


def decode_bfs(S) -> nx.Graph:
    """The graph on nodes 0 … N − 1 of a BFS adjacency sequence (rows i − 1 = node i's links back).

    Entries past the first i of row i − 1 (there is no node there) must be 0.

    Examples
    --------
    >>> sorted(decode_bfs([[1.0, 0.0], [1.0, 1.0]]).edges)
    [(0, 1), (0, 2), (1, 2)]
    """
    S = np.asarray(S, dtype=np.float64)
    if S.ndim != 2:
        raise InputError(f"S must be 2-D (N - 1, M), got shape {S.shape}")
    if not np.isin(S, (0.0, 1.0)).all():
        raise InputError("S must hold only 0 and 1")
    N, M = S.shape[0] + 1, S.shape[1]
    G = nx.empty_graph(N)
    for i in range(1, N):
        if S[i - 1, min(i, M):].any():
            raise InputError(f"S row {i - 1} links node {i} to a node before node 0")
        G.add_edges_from((i, i - 1 - j) for j in np.flatnonzero(S[i - 1]))
    return G


YOU = ("You, Ying, Ren, Hamilton & Leskovec 2018, GraphRNN: Generating Realistic Graphs with Deep Auto-regressive "
       "Models (ICML)")


def graphrnn_readout():
    """GraphRNN-S's output layer and likelihood as a description: θ = σ(V h + c) and −Σ w ⊙ log p(S | θ).

    One row per generated node i (the steps of the BFS sequences, the end-of-sequence
    step included): ``h`` the GRU state h_i, ``s`` the adjacency vector S_i to predict,
    ``w`` the weight of each of its entries (the valid entries' mask over their
    count).  With logits a = V h + c, the Bernoulli negative log-likelihood of an entry
    is softplus(a) − s·a = −(s log θ + (1 − s) log(1 − θ)), written so that it never
    overflows; ``loss`` is its weighted sum over the entries and nodes (graph space).

    Examples
    --------
    >>> r = graphrnn_readout()
    >>> r.parameter_count(), [(o.name, r.space(o.name)) for o in r.states]
    (H*M + M, [('theta', 'node'), ('loss', 'graph')])
    >>> print(r.latex().splitlines()[3])
    \\boldsymbol{\\ell} &= \\left(-\\mathbf{a} \\odot \\mathbf{S} + \\operatorname{softplus}\\left(\\mathbf{a}\\right)\\right) \\odot \\mathbf{w} \\\\
    """
    b = GraphBuilder("graphrnn_readout", family="graph generation", reference=YOU,
                     summary="GraphRNN-S output layer: Bernoulli edge probabilities and their likelihood")
    H, M = b.sizes("H M")
    h = b.node_input("h", H)
    target = b.node_input("s", M, latex=r"\mathbf{S}")
    w = b.node_input("w", M, latex=r"\mathbf{w}")
    a = b.linear(b.param("V", M, H) @ h + b.param("c", M), "a", inline=False)
    b.output("theta", sigmoid(a), latex=r"\boldsymbol{\theta}")
    nll = b.let("l", w * (softplus(a) - target * a), latex=r"\boldsymbol{\ell}")
    b.output("loss", b.apply("sum_nodes", b.linear(b.apply("sum_units", nll), "l_node", inline=False)))
    return b.build()


@dataclass(frozen=True, eq=False)
class GraphRNN:
    """GraphRNN-S: a generated GRU kernel and the readout θ = σ(V h + c) (:func:`graphrnn_readout`).

    ``params`` holds the kernel's arrays (the same objects) plus ``V`` (M, H) and ``c`` (M,).
    """

    kernel: object
    params: dict
    M: int


def graph_rnn(M: int, hidden: int = 16, *, rng=0) -> GraphRNN:
    """A fresh GraphRNN-S over bandwidth ``M`` with ``hidden`` GRU units.

    Examples
    --------
    >>> graph_rnn(3, 4).params["V"].shape
    (3, 4)
    """
    import symrnn

    kernel = symrnn.compile(symrnn.cell("gru_reset_before"), input_size=M, hidden_size=hidden,
                            params=None)
    gen = np.random.default_rng(rng)
    params = dict(kernel.params)
    params["V"] = gen.uniform(-1, 1, (M, hidden)) / np.sqrt(hidden)
    params["c"] = np.zeros(M)
    return GraphRNN(kernel, params, M)


def _batch(sequences, M):
    """Inputs (T, B, M), targets (T, B, M), entry mask and lengths for sequences S (N − 1, M)."""
    T = max(len(S) for S in sequences) + 1
    B = len(sequences)
    X, Y, mask = np.zeros((T, B, M)), np.zeros((T, B, M)), np.zeros((T, B, M))
    lengths = np.array([len(S) + 1 for S in sequences])
    for b, S in enumerate(sequences):
        X[0, b] = 1.0
        X[1:len(S) + 1, b] = S
        Y[:len(S), b] = S  # the last step's target is the all-zero "end" row
        for t in range(len(S) + 1):
            mask[t, b, :min(t + 1, M)] = 1.0
    return X, Y, mask, lengths


def _readout(model: GraphRNN, h, target, w):
    """The generated readout over the rows of ``h`` (one per node): its values and tape."""
    kernel = kernel_for(graphrnn_readout, (), (("H", h.shape[1]), ("M", model.M)))
    kernel.params = {"V": model.params["V"], "c": model.params["c"]}
    none = np.zeros(0, dtype=np.int64)
    out, tape = kernel.forward(from_edges(none, none, h.shape[0]), {"h": h, "s": target, "w": w})
    return out, kernel, tape


def graphrnn_loss(model: GraphRNN, sequences):
    """Mean binary cross-entropy over the valid entries of the sequences, and its gradients.

    Forward and reverse mode are the generated kernels of the GRU and of
    :func:`graphrnn_readout`: the readout's ∂loss/∂h is the GRU's ∂loss/∂outputs.

    Examples
    --------
    >>> m = graph_rnn(2, 3)
    >>> loss, grads = graphrnn_loss(m, [encode_bfs(nx.cycle_graph(4), 2)[0]])
    >>> round(loss, 6), sorted(grads) == sorted(m.params)
    (0.689281, True)
    """
    X, Y, mask, lengths = _batch(sequences, model.M)
    out, _, tape = model.kernel.forward(X, lengths=lengths)
    T, B, H = out.shape
    rows = (T * B, model.M)
    values, readout, rtape = _readout(model, out.reshape(T * B, H), Y.reshape(rows), (mask / mask.sum()).reshape(rows))
    d = readout.backward(rtape, {"loss": np.ones((1, 1))})
    grads = model.kernel.backward(tape, d["h"].reshape(T, B, H))
    grads = {k: grads[k] for k in model.kernel.params}
    grads["V"], grads["c"] = d["V"], d["c"]
    return float(values["loss"][0, 0]), grads


def train_graphrnn(graphs, *, M: int | None = None, hidden: int = 16, epochs: int = 200, lr: float = 0.01,
                   rng=0):
    """Train GraphRNN-S on connected graphs, one fresh random BFS order per graph and epoch.

    ``M`` defaults to the largest :func:`level_bound` over the graphs and every start
    node, which bounds the bandwidth of every BFS order.  Returns ``(model, losses)``.

    Examples
    --------
    >>> model, losses = train_graphrnn([nx.cycle_graph(4)], hidden=4, epochs=3)
    >>> len(losses), model.M
    (3, 2)
    """
    return fit(graphs, lambda M, gen: graph_rnn(M, hidden, rng=gen), graphrnn_loss, M=M, epochs=epochs, lr=lr, rng=rng)


def fit(graphs, build, loss, *, M=None, epochs: int, lr: float, rng):
    """Adam on ``loss(model, sequences)`` over ``epochs``, one fresh random BFS order per graph and epoch.

    ``build(M, rng)`` makes the model; ``M`` defaults to the largest :func:`level_bound`
    over the graphs and start nodes.  Shared by GraphRNN-S and the full GraphRNN.
    Returns ``(model, losses)``.
    """
    from ..experiments import Adam

    graphs = [_connected_graph(G, f"graphs[{i}]") for i, G in enumerate(graphs)]
    if not graphs:
        raise InputError("graphs must hold at least one graph")
    if M is None:
        M = max(level_bound(G, [s]) for G in graphs for s in G)
    gen = np.random.default_rng(rng)
    model = build(M, gen)
    opt = Adam(model.params, lr=lr)
    losses = []
    for _ in range(epochs):
        value, grads = loss(model, [encode_bfs(G, M, rng=gen)[0] for G in graphs])
        opt.step(grads)
        losses.append(value)
    return model, losses


def sample_graphs(model: GraphRNN, count: int, *, max_nodes: int = 50, rng=0) -> list:
    """Draw ``count`` graphs: S_i ~ Bernoulli(θ_i) until an all-zero row (or ``max_nodes``).

    Examples
    --------
    >>> all(nx.is_connected(G) for G in sample_graphs(graph_rnn(2, 3), 3, max_nodes=5))
    True
    """
    M = model.M
    zero = np.zeros((count, M))  # sampling reads θ only: no targets, no weights

    def row(i, h, gen):
        theta = _readout(model, h, zero, zero)[0]["theta"]
        s = (gen.random(theta.shape) < theta).astype(np.float64)
        s[:, min(i + 1, M):] = 0.0
        return s

    return sample_rows(model.kernel, M, model.params["V"].shape[1], row, count, max_nodes, rng)


def sample_rows(kernel, M: int, H: int, row, count: int, max_nodes: int, rng) -> list:
    """Graphs drawn row by row: the graph-level GRU ``kernel`` reads S_{i−1}; ``row(i, h_i, rng)`` draws S_i.

    A sequence ends at its first all-zero row (or at ``max_nodes``); shared by
    GraphRNN-S and the full GraphRNN, which differ only in how a row is drawn.
    """
    for arg, value, low in (("count", count, 1), ("max_nodes", max_nodes, 2)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
            raise InputError(f"{arg} must be an integer >= {low}, got {value!r}")
    gen = np.random.default_rng(rng)
    x = np.ones((1, count, M))
    h = np.zeros((count, H))
    rows = [[] for _ in range(count)]
    alive = np.ones(count, dtype=bool)
    for i in range(max_nodes - 1):
        out, final, _ = kernel.forward(x, initial={"h": h})
        h = final["h"]
        s = row(i, out[0], gen)
        for b in np.flatnonzero(alive):
            if s[b].any():
                rows[b].append(s[b].copy())
            else:
                alive[b] = False
        if not alive.any():
            break
        x = s[None]
    return [decode_bfs(np.array(r).reshape(len(r), M)) for r in rows]


def degree_histogram(graphs) -> np.ndarray:
    """The pooled degree distribution of a family of graphs (fractions of nodes by degree).

    Examples
    --------
    >>> degree_histogram([nx.path_graph(3)]).round(3).tolist()
    [0.0, 0.667, 0.333]
    """
    counts = np.bincount(np.concatenate([[d for _, d in G.degree] for G in graphs]).astype(int))
    return counts / counts.sum()


def degree_distance(graphs_a, graphs_b) -> float:
    """Total-variation distance ½ Σ_d |p_a(d) − p_b(d)| between pooled degree distributions (0 … 1).

    Examples
    --------
    >>> degree_distance([nx.cycle_graph(5)], [nx.path_graph(2)])
    1.0
    """
    a, b = degree_histogram(graphs_a), degree_histogram(graphs_b)
    n = max(len(a), len(b))
    return float(0.5 * np.abs(np.pad(a, (0, n - len(a))) - np.pad(b, (0, n - len(b)))).sum())


def erdos_renyi_like(graphs, count: int, *, rng=0) -> list:
    """``count`` G(n, p) graphs: n drawn from the family's sizes, p its pooled edge density.

    Examples
    --------
    >>> [len(G) for G in erdos_renyi_like([nx.path_graph(4)], 2)]
    [4, 4]
    """
    gen = np.random.default_rng(rng)
    sizes = [len(G) for G in graphs]
    p = sum(G.number_of_edges() for G in graphs) / sum(n * (n - 1) / 2 for n in sizes)
    return [nx.gnp_random_graph(int(gen.choice(sizes)), p, seed=int(gen.integers(2 ** 31))) for _ in range(count)]
