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

The graph-level GRU is the catalogue's ``gru_reset_after`` (torch's ``nn.GRU``)
run by its generated kernel; the edge level and the likelihood are one
description, :func:`graphrnn` (registered: ``symrnn show graphrnn``), whose
edge-level GRU is the same catalogue cell's equations re-targeted, unrolled over
the M entries of a node's row.  Reverse mode chains the generated backward
passes: the edge level's gradient with respect to its input h_i is the
graph-level GRU's ∂loss/∂outputs.  Nothing is differentiated by hand.

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
from .generation import _batch, encode_bfs, fit, sample_rows  # noqa: F401 (encode_bfs: the examples)
from .graph import from_edges

__all__ = ["graphrnn", "FullGraphRNN", "full_graph_rnn", "graphrnn_nll", "train_full_graphrnn", "sample_full_graphrnn"]

YOU = ("You, Ying, Ren, Hamilton & Leskovec 2018, GraphRNN: Generating Realistic Graphs with Deep Auto-regressive "
       "Models (ICML)")


def _entry(eq, j) -> str:
    """A GRU stage's value at entry j of node i: ``\\mathbf{r}_{i,j}`` (the paper's h_{i,j} for the state)."""
    tex = eq.latex or r"\mathbf{" + eq.target + "}"
    return rf"{tex}_{{i,{j}}}"


def graphrnn(M: int = 3):
    """GraphRNN's edge level and likelihood as one description: per generated node i, M edge decisions.

    One row per node i: the input ``h`` is the graph-level GRU's state h_i (the
    catalogue ``gru_reset_after`` reading S_{i−1}), ``s_0`` the start symbol (1),
    ``s_j`` the entry S_{i,j} and ``w_j`` its weight (the valid entries' mask).  For
    j = 1 … M the edge-level GRU — the catalogue cell's equations, re-targeted, not
    written again — reads s_{j−1} from h_{i,j−1} (h_{i,0} = h_i); θ_j = σ(v h_{i,j} + c) is
    the probability of the edge S_{i,j}, and ``loss`` the weighted Bernoulli
    negative log-likelihood summed over entries and nodes (graph space).

    Examples
    --------
    >>> d = graphrnn(2)
    >>> d.parameter_count(), [o.name for o in d.states][:3]
    (3*H**2 + 8*H + 1, ['theta_1', 'theta_2', 'loss'])
    """
    from .. import cells
    from ..spec.graph_builder import GraphBuilder
    from ..spec.symbols import sigmoid, softplus
    from .ggnn import _copy

    if isinstance(M, bool) or not isinstance(M, (int, np.integer)) or M < 1:
        raise InputError(f"graphrnn: M must be an integer >= 1, got {M!r}")
    gru = cells.cell("gru_reset_after")
    b = GraphBuilder(f"graphrnn{int(M)}", family="graph-generation", reference=YOU,
                     summary=f"GraphRNN edge level: {int(M)} edge decisions per node, edge-level GRU from h_i")
    H, = b.sizes("H")
    h = b.node_input("h", H, latex=r"\mathbf{h}_{i}")
    s = [b.node_input(f"s_{j}", 1, latex=rf"S_{{i,{j}}}") for j in range(int(M) + 1)]
    w = [None] + [b.node_input(f"w_{j}", 1, latex=rf"w_{{{j}}}") for j in range(1, int(M) + 1)]
    size = {"D": 1, "H": H}  # the edge-level GRU reads one entry at a time
    shared = {d.name: b.param(d.name, *[size.get(str(x), x) for x in d.shape], latex=d.latex) for d in gru.params}
    V, c = b.param("V", 1, H), b.param("c", 1)
    state, x_name = gru.state_names[0], gru.inputs[0].name
    losses = []
    for j in range(1, int(M) + 1):
        vecs = {**shared, x_name: s[j - 1], state + "_prev": h}
        _copy(gru, gru.equations, b, vecs, lambda t: f"{t}_{j}",
              lambda eq, expr: b.let(f"{eq.target}_{j}", expr, latex=_entry(eq, j)))
        h = vecs[state]
        a = b.linear(V @ h + c, f"a_{j}", inline=False)
        b.output(f"theta_{j}", sigmoid(a), latex=rf"\theta_{{i,{j}}}")
        losses.append(b.let(f"l_{j}", w[j] * (softplus(a) - s[j] * a), latex=rf"\ell_{{{j}}}"))
    total = b.linear(sum((l.matrix for l in losses[1:]), losses[0].matrix), "l_node", inline=False)
    b.output("loss", b.apply("sum_nodes", total))
    return b.build()


@dataclass(frozen=True, eq=False)
class FullGraphRNN:
    """GraphRNN: the graph-level GRU kernel, the edge level's layer kernel (:func:`graphrnn`), and M.

    ``params`` holds every array by name (the graph-level GRU's ``graph.W_r`` …, the edge level's
    ``edge.W_r`` …, and the readout's ``V``, ``c``);
    the kernels read their own entries of it at each call.
    """

    graph: object
    edge: object
    params: dict
    M: int

    def kernel_params(self, level: str) -> dict:
        pre = level + "."
        out = {k[len(pre):]: v for k, v in self.params.items() if k.startswith(pre)}
        return out if level == "graph" else {**out, "V": self.params["V"], "c": self.params["c"]}


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
    graph = symrnn.compile(symrnn.cell("gru_reset_after"), input_size=M, hidden_size=hidden)
    edge = kernel_for(graphrnn, (("M", int(M)),), (("H", hidden),))
    bound = 1 / np.sqrt(hidden)  # torch's GRU initialisation
    params = {f"graph.{k}": gen.uniform(-bound, bound, v.shape) for k, v in graph.params.items()}
    params.update({f"edge.{k}": gen.uniform(-bound, bound, v.shape) for k, v in edge.params.items() if k not in "Vc"})
    params["V"] = gen.uniform(-1, 1, (1, hidden)) / np.sqrt(hidden)
    params["c"] = np.zeros(1)
    return FullGraphRNN(graph, edge, params, int(M))


def _edge_level(model, h, S, w):
    """The edge level (:func:`graphrnn`) on rows h_i with entries ``S`` (R, M) and weights ``w``: values and tape."""
    R, M = S.shape
    none = np.zeros(0, dtype=np.int64)
    inputs = {"h": h, "s_0": np.ones((R, 1))}
    for j in range(1, M + 1):
        inputs[f"s_{j}"], inputs[f"w_{j}"] = S[:, j - 1:j], w[:, j - 1:j]
    model.edge.params = model.kernel_params("edge")
    return model.edge.forward(from_edges(none, none, R), inputs)


def graphrnn_nll(model: FullGraphRNN, sequences, *, reduce: str = "mean"):
    """Negative log-likelihood of BFS sequences under GraphRNN, and its gradients.

    ``reduce="mean"``: the mean binary cross-entropy over the valid entries (the
    training loss); ``"sum"``: −log p(S) summed over the sequences.  The edge
    level's ∂loss/∂h_i (:func:`graphrnn`'s generated backward) is the graph-level
    GRU's ∂loss/∂outputs.

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
    out, _, gtape = model.graph.forward(X, lengths=lengths)
    T, B, H = out.shape
    w = mask / mask.sum() if reduce == "mean" else mask
    values, etape = _edge_level(model, out.reshape(T * B, H), Y.reshape(T * B, M), w.reshape(T * B, M))
    d = model.edge.backward(etape, {"loss": np.ones((1, 1))})
    gg = model.graph.backward(gtape, d["h"].reshape(T, B, H))
    grads = {f"graph.{k}": gg[k] for k in model.graph.params}
    grads.update({f"edge.{k}": d[k] for k in model.edge.params if k not in ("V", "c")})
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
    zero = np.zeros((count, M))  # sampling reads θ only: no weights

    def row(i, h, gen):
        s = np.zeros((count, M))
        for j in range(min(i + 1, M)):  # node i + 1 has i + 1 earlier nodes; θ_j reads the entries before j
            theta = _edge_level(model, h, s, zero)[0][f"theta_{j + 1}"][:, 0]
            s[:, j] = gen.random(count) < theta
        return s

    return sample_rows(model.graph, M, H, row, count, max_nodes, rng)
