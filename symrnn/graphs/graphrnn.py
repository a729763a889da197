"""The full GraphRNN (You et al. 2018, §2.3): a graph-level GRU over BFS adjacency vectors, an edge-level GRU per node.

A connected graph in a BFS order is the sequence S_1 … S_{n−1} of M-bounded
adjacency vectors (:func:`~symrnn.graphs.generation.encode_bfs`; S_i[j] = 1 iff
node i is joined to node i − 1 − j).  GraphRNN factorises its likelihood as
p(S) = Π_i Π_j p(S_{i,j} | S_{i,<j}, S_{<i}):

* the **graph-level** GRU reads S_{i−1} (S_0 = 1, "start") and carries h_i;
* the **edge-level** GRU starts from h'_{i,0} = h_i, reads S_{i,j−1} (a start
  symbol 1 for j = 1) and emits θ_{i,j} = σ(v · h'_{i,j} + c), the probability of
  the edge S_{i,j} — so the edges of one node depend on each other, which
  GraphRNN-S (:mod:`~symrnn.graphs.generation`, its simplified variant) does not
  model: there θ_i = σ(V h_i + c) makes them independent given h_i;
* an all-zero row ends the sequence.

Both GRUs are the catalogue's ``gru_reset_after`` (torch's ``nn.GRU``), run by
their generated kernels; the readout and its likelihood are the generated
:func:`~symrnn.graphs.generation.graphrnn_readout` with one entry per row.
Reverse mode chains the generated backward passes: the readout's ∂loss/∂h' is
the edge-level GRU's ∂loss/∂outputs, its gradient with respect to its initial
state h'_{i,0} is the graph-level GRU's ∂loss/∂h_i.  Nothing is differentiated
by hand.

References
----------
J. You, R. Ying, X. Ren, W. L. Hamilton and J. Leskovec, "GraphRNN: Generating
Realistic Graphs with Deep Auto-regressive Models", ICML 2018 (§2.3 the model,
§2.3.3 the edge-level RNN, Algorithm 1 sampling).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import InputError
from .calls import kernel_for
from .generation import _batch, encode_bfs, fit, graphrnn_readout, sample_rows  # noqa: F401 (encode_bfs: the examples)
from .graph import from_edges

__all__ = ["FullGraphRNN", "full_graph_rnn", "graphrnn_nll", "train_full_graphrnn", "sample_full_graphrnn"]

LEVELS = ("graph", "edge")
"""The two GRUs; their parameters are named ``graph.W_r`` …, ``edge.W_r`` …; the readout's ``V``, ``c``."""


@dataclass(frozen=True, eq=False)
class FullGraphRNN:
    """GraphRNN: the graph-level and edge-level GRU kernels, the readout's ``V`` (1, H), ``c`` (1,), and M.

    ``params`` holds every array by name (``graph.*``, ``edge.*``, ``V``, ``c``);
    the kernels read their own entries of it at each call.
    """

    graph: object
    edge: object
    params: dict
    M: int

    def kernel_params(self, level: str) -> dict:
        pre = level + "."
        return {k[len(pre):]: v for k, v in self.params.items() if k.startswith(pre)}


def full_graph_rnn(M: int, hidden: int = 16, *, rng=0) -> FullGraphRNN:
    """A fresh GraphRNN over bandwidth ``M`` with ``hidden`` units in both GRUs.

    Examples
    --------
    >>> m = full_graph_rnn(3, 4)
    >>> m.params["graph.W_r"].shape, m.params["edge.W_r"].shape, m.params["V"].shape
    ((4, 3), (4, 1), (1, 4))
    """
    import symrnn

    for arg, value in (("M", M), ("hidden", hidden)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise InputError(f"{arg} must be an integer >= 1, got {value!r}")
    gen = np.random.default_rng(rng)
    cell = symrnn.cell("gru_reset_after")
    graph = symrnn.compile(cell, input_size=M, hidden_size=hidden)
    edge = symrnn.compile(cell, input_size=1, hidden_size=hidden)
    params = {}
    for level, kernel in zip(LEVELS, (graph, edge)):
        bound = 1 / np.sqrt(hidden)  # torch's GRU initialisation
        params.update({f"{level}.{k}": gen.uniform(-bound, bound, v.shape) for k, v in kernel.params.items()})
    params["V"] = gen.uniform(-1, 1, (1, hidden)) / np.sqrt(hidden)
    params["c"] = np.zeros(1)
    return FullGraphRNN(graph, edge, params, int(M))


def _edge_inputs(Y):
    """(M, R, 1) edge-level inputs: the start symbol 1, then the row's own entries S_{i, j−1}."""
    R, M = Y.shape
    x = np.zeros((M, R, 1))
    x[0] = 1.0
    x[1:, :, 0] = Y[:, :M - 1].T
    return x


def _readout(model, h, target, w):
    kernel = kernel_for(graphrnn_readout, (), (("H", h.shape[1]), ("M", 1)))
    kernel.params = {"V": model.params["V"], "c": model.params["c"]}
    none = np.zeros(0, dtype=np.int64)
    out, tape = kernel.forward(from_edges(none, none, h.shape[0]), {"h": h, "s": target, "w": w})
    return out, kernel, tape


def graphrnn_nll(model: FullGraphRNN, sequences, *, reduce: str = "mean"):
    """Negative log-likelihood of BFS sequences under GraphRNN, and its gradients.

    ``reduce="mean"``: the mean binary cross-entropy over the valid entries (the
    training loss); ``"sum"``: −log p(S) summed over the sequences.

    Examples
    --------
    >>> import networkx as nx
    >>> m = full_graph_rnn(2, 3)
    >>> loss, grads = graphrnn_nll(m, [encode_bfs(nx.cycle_graph(4), 2)[0]])
    >>> round(loss, 6), sorted(grads) == sorted(m.params)
    (0.698334, True)
    """
    if reduce not in ("mean", "sum"):
        raise InputError(f"reduce must be 'mean' or 'sum', got {reduce!r}")
    M = model.M
    for k, S in enumerate(sequences):
        S = np.asarray(S)
        if S.ndim != 2 or S.shape[1] != M or not np.isin(S, (0, 1)).all():
            raise InputError(f"sequences[{k}] must be a 0/1 array of shape (n − 1, {M}), got {S.dtype} {S.shape}")
    X, Y, mask, lengths = _batch(sequences, M)
    model.graph.params = model.kernel_params("graph")
    model.edge.params = model.kernel_params("edge")
    out, _, gtape = model.graph.forward(X, lengths=lengths)
    T, B, H = out.shape
    R = T * B
    Yr = Y.reshape(R, M)
    eout, _, etape = model.edge.forward(_edge_inputs(Yr), initial={"h": out.reshape(R, H)})
    w = mask / mask.sum() if reduce == "mean" else mask
    values, readout, rtape = _readout(model, eout.reshape(M * R, H), Yr.T.reshape(M * R, 1),
                                      w.reshape(R, M).T.reshape(M * R, 1))
    d = readout.backward(rtape, {"loss": np.ones((1, 1))})
    ge = model.edge.backward(etape, d["h"].reshape(M, R, H))
    gg = model.graph.backward(gtape, ge["h"].reshape(T, B, H))
    grads = {f"graph.{k}": gg[k] for k in model.graph.params}
    grads.update({f"edge.{k}": ge[k] for k in model.edge.params})
    grads["V"], grads["c"] = d["V"], d["c"]
    return float(values["loss"][0, 0]), grads


def train_full_graphrnn(graphs, *, M: int | None = None, hidden: int = 16, epochs: int = 200, lr: float = 0.01,
                        rng=0):
    """Train GraphRNN on connected graphs, one fresh random BFS order per graph and epoch (Adam).

    ``M`` defaults to the largest :func:`~symrnn.graphs.generation.level_bound` over
    the graphs and start nodes.  Returns ``(model, losses)``.

    Examples
    --------
    >>> import networkx as nx
    >>> model, losses = train_full_graphrnn([nx.cycle_graph(4)], hidden=4, epochs=3)
    >>> len(losses), model.M, bool(losses[-1] < losses[0])
    (3, 2, True)
    """
    return fit(graphs, lambda M, gen: full_graph_rnn(M, hidden, rng=gen), graphrnn_nll, M=M, epochs=epochs, lr=lr,
               rng=rng)


def sample_full_graphrnn(model: FullGraphRNN, count: int, *, max_nodes: int = 50, rng=0) -> list:
    """Draw ``count`` graphs (You et al., Algorithm 1): node by node, each node's edges one by one.

    Examples
    --------
    >>> import networkx as nx
    >>> graphs = sample_full_graphrnn(full_graph_rnn(2, 3), 4, max_nodes=6)
    >>> len(graphs), all(nx.is_connected(G) for G in graphs)
    (4, True)
    """
    M, H = model.M, model.params["V"].shape[1]
    model.graph.params = model.kernel_params("graph")
    model.edge.params = model.kernel_params("edge")
    zero = np.zeros((count, 1))  # sampling reads θ only: no targets, no weights

    def row(i, h, gen):
        he, xe, s = h, np.ones((1, count, 1)), np.zeros((count, M))
        for j in range(min(i + 1, M)):  # node i + 1 has i + 1 earlier nodes
            eout, efinal, _ = model.edge.forward(xe, initial={"h": he})
            theta = _readout(model, eout[0], zero, zero)[0]["theta"][:, 0]
            s[:, j] = gen.random(count) < theta
            he, xe = efinal["h"], s[None, :, j:j + 1].copy()
        return s

    return sample_rows(model.graph, M, H, row, count, max_nodes, rng)
