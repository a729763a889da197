"""The full GraphRNN against a PyTorch reference of You et al.'s equations (float64, 1e-10), bad input, sampling.

The reference is written from the paper, node by node and edge by edge with
``nn.GRU`` / ``nn.Linear`` and autograd: no batching, no masks, no shared code.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
import torch

from symrnn.errors import InputError
from symrnn.graphs.generation import encode_bfs
from symrnn.graphs.graphrnn import full_graph_rnn, graphrnn_nll, sample_full_graphrnn, train_full_graphrnn

TORCH_DEFAULT_DTYPE = torch.float64
GATES = ("r", "z", "n")


def _torch_gru(params, level, D, H):
    gru = torch.nn.GRU(D, H)
    p = {k[len(level) + 1:]: torch.tensor(v) for k, v in params.items() if k.startswith(level + ".")}
    with torch.no_grad():
        gru.weight_ih_l0.copy_(torch.cat([p[f"W_{g}"] for g in GATES]))
        gru.weight_hh_l0.copy_(torch.cat([p[f"U_{g}"] for g in GATES]))
        gru.bias_ih_l0.copy_(torch.cat([p["b_r"], p["b_z"], p["b_in"]]))
        gru.bias_hh_l0.copy_(torch.cat([torch.zeros(2 * H), p["b_hn"]]))
    return gru


def _reference(model, sequences, reduce="mean"):
    """−log p and its gradients, from the paper's equations (You et al. 2018, §2.3)."""
    M, H = model.M, model.params["V"].shape[1]
    g, e = _torch_gru(model.params, "graph", M, H), _torch_gru(model.params, "edge", 1, H)
    lin = torch.nn.Linear(H, 1)
    with torch.no_grad():
        lin.weight.copy_(torch.tensor(model.params["V"]))
        lin.bias.copy_(torch.tensor(model.params["c"]))
    total, count = 0.0, 0
    for S in sequences:
        S = torch.tensor(np.asarray(S, dtype=np.float64))
        rows = torch.cat([S, torch.zeros(1, M)])          # the all-zero end row
        inputs = torch.cat([torch.ones(1, M), S])          # S_0 = 1, then S_1 … S_{n−1}
        h_graph, _ = g(inputs[:, None, :])
        for i in range(len(rows)):
            h = h_graph[i:i + 1]                           # h'_{i,0} = h_i
            x = torch.ones(1, 1, 1)
            for j in range(min(i + 1, M)):
                out, h = e(x, h)
                logit = lin(out[0, 0])[0]
                total = total + torch.nn.functional.binary_cross_entropy_with_logits(logit, rows[i, j], reduction="sum")
                count += 1
                x = rows[i, j].reshape(1, 1, 1)
    loss = total / count if reduce == "mean" else total
    loss.backward()
    grads = {"V": lin.weight.grad.numpy(), "c": lin.bias.grad.numpy()}
    for level, gru in (("graph", g), ("edge", e)):
        wi, wh = gru.weight_ih_l0.grad.numpy(), gru.weight_hh_l0.grad.numpy()
        bi, bh = gru.bias_ih_l0.grad.numpy(), gru.bias_hh_l0.grad.numpy()
        for k, gate in enumerate(GATES):
            rows_ = slice(k * H, (k + 1) * H)
            grads[f"{level}.W_{gate}"], grads[f"{level}.U_{gate}"] = wi[rows_], wh[rows_]
        grads[f"{level}.b_r"], grads[f"{level}.b_z"] = bi[:H], bi[H:2 * H]
        grads[f"{level}.b_in"], grads[f"{level}.b_hn"] = bi[2 * H:], bh[2 * H:]
    return float(loss.detach()), grads


def _sequences(seed, count, M):
    rng = np.random.default_rng(seed)
    out = []
    for k in range(count):
        G = nx.connected_watts_strogatz_graph(int(rng.integers(3, 8)), 2, 0.4, seed=seed * 10 + k)
        out.append(encode_bfs(G, M, rng=rng)[0])
    return out


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("reduce", ["mean", "sum"])
def test_nll_and_gradients_match_torch_reference(seed, reduce):
    M = 4
    model = full_graph_rnn(M, 5, rng=seed)
    model.params["c"][:] = 0.3  # a non-zero readout bias
    seqs = _sequences(seed, 3, M)
    loss, grads = graphrnn_nll(model, seqs, reduce=reduce)
    ref_loss, ref = _reference(model, seqs, reduce)
    assert abs(loss - ref_loss) <= 1e-10 * max(1.0, abs(ref_loss))
    assert sorted(grads) == sorted(ref)
    for name in ref:
        np.testing.assert_allclose(grads[name], ref[name], rtol=1e-10, atol=1e-12, err_msg=name)


def test_likelihood_depends_on_the_bfs_order():
    """The same graph in two BFS orders has two likelihoods (why GraphRNN trains over random orders)."""
    model = full_graph_rnn(3, 4, rng=1)
    G = nx.Graph([(0, 1), (0, 2), (1, 3), (2, 3), (3, 4)])
    a = graphrnn_nll(model, [encode_bfs(G, 3, start=0)[0]], reduce="sum")[0]
    b = graphrnn_nll(model, [encode_bfs(G, 3, start=4)[0]], reduce="sum")[0]
    assert abs(a - b) > 1e-3


def test_training_lowers_the_likelihood_and_sampling_gives_connected_graphs():
    ladders = [nx.ladder_graph(k) for k in (3, 4, 5)]
    model, losses = train_full_graphrnn(ladders, hidden=8, epochs=40, rng=0)
    assert losses[-1] < 0.8 * losses[0]
    graphs = sample_full_graphrnn(model, 20, max_nodes=12, rng=0)
    assert len(graphs) == 20 and all(nx.is_connected(G) for G in graphs)


def test_bad_input_is_refused_naming_it():
    model = full_graph_rnn(3, 4)
    with pytest.raises(InputError, match=r"sequences\[0\]"):
        graphrnn_nll(model, [np.ones((2, 2))])
    with pytest.raises(InputError, match="reduce"):
        graphrnn_nll(model, [np.ones((2, 3))], reduce="max")
    with pytest.raises(InputError, match="hidden"):
        full_graph_rnn(3, 0)
    with pytest.raises(InputError, match="count"):
        sample_full_graphrnn(model, 0)
    with pytest.raises(InputError, match=r"graphs\[0\]"):
        train_full_graphrnn([nx.empty_graph(3)], epochs=1)


def test_the_edge_level_is_a_registered_description_built_from_the_catalogue_gru(capsys):
    """`symrnn show graphrnn`: the edge level's GRU stages are the catalogue cell's, entry by entry."""
    import symrnn
    from symrnn.cli import main
    from symrnn.graphs.graphrnn import graphrnn

    assert main(["show", "graphrnn"]) == 0
    out = capsys.readouterr().out
    assert "GraphRNN edge level: 3 edge decisions" in out and "theta_3" in out
    gru, d = symrnn.cell("gru_reset_after"), graphrnn(2)
    for j in (1, 2):
        mine = {eq.target[: -len(f"_{j}")] for eq in d.equations if eq.target.endswith(f"_{j}")}
        assert {eq.target for eq in gru.equations} <= mine | {"h"}
    with pytest.raises(Exception, match="M must be an integer"):
        graphrnn(0)
