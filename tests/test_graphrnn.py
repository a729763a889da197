"""GraphRNN-style BFS encoding (hypothesis round trips up to isomorphism, the bandwidth bound, bad input),
the GRU sequence model's loss gradient against finite differences and a small training run."""

import networkx as nx
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from finite_differences import central_gradient as _fd

from symrnn.errors import InputError
from symrnn.graphs import generation as gen
from symrnn.testing.graphs import networkx_graphs

CONNECTED = networkx_graphs(min_nodes=1, max_nodes=10, connected=True, weighted=False)


@settings(max_examples=60, deadline=None)
@given(CONNECTED, st.integers(0, 2 ** 16))
def test_decode_of_encode_is_isomorphic(G, seed):
    S, order = gen.encode_bfs(G, rng=seed)
    H = gen.decode_bfs(S)
    assert nx.is_isomorphic(G, H)
    assert sorted(order) == sorted(G.nodes)
    assert all(H.has_edge(i, j) == G.has_edge(order[i], order[j]) for i in range(len(G)) for j in range(len(G)))


@settings(max_examples=60, deadline=None)
@given(CONNECTED, st.integers(0, 2 ** 16))
def test_bfs_bandwidth_is_at_most_the_level_bound(G, seed):
    order = gen.bfs_order(G, rng=seed)
    assert gen.bandwidth(G, order) <= gen.level_bound(G, order) <= max(len(G) - 1, 0) or len(G) == 1
    S, _ = gen.encode_bfs(G, gen.level_bound(G, order) if len(G) > 1 else 1, start=order[0])
    assert nx.is_isomorphic(gen.decode_bfs(S), G)


def test_encoding_by_hand():
    S, order = gen.encode_bfs(nx.path_graph(4), 2, start=1)
    assert order == [1, 0, 2, 3]
    assert S.tolist() == [[1, 0], [0, 1], [1, 0]]


def test_bad_input():
    with pytest.raises(InputError, match="2 connected components"):
        gen.encode_bfs(nx.Graph([(0, 1), (2, 3)]))
    with pytest.raises(InputError, match="needs bandwidth M = 2"):
        gen.encode_bfs(nx.cycle_graph(5), 1)
    with pytest.raises(InputError, match="self-loops"):
        gen.encode_bfs(nx.Graph([(0, 0), (0, 1)]))
    with pytest.raises(InputError, match="undirected"):
        gen.encode_bfs(nx.DiGraph([(0, 1)]))
    with pytest.raises(InputError, match="before node 0"):
        gen.decode_bfs([[0, 1]])
    with pytest.raises(InputError, match="start"):
        gen.bfs_order(nx.path_graph(2), start=7)


def test_loss_gradient_finite_differences():
    model = gen.graph_rnn(3, 4, rng=1)
    seqs = [gen.encode_bfs(nx.ladder_graph(3), 3, rng=0)[0], gen.encode_bfs(nx.cycle_graph(5), 3)[0]]
    _, grads = gen.graphrnn_loss(model, seqs)
    for name, arr in model.params.items():
        fd = _fd(lambda: gen.graphrnn_loss(model, seqs)[0], arr)
        np.testing.assert_allclose(grads[name], fd, atol=1e-8, err_msg=name)


def test_training_beats_erdos_renyi_on_ladders():
    train = [nx.ladder_graph(n) for n in range(3, 9)]
    model, losses = gen.train_graphrnn(train, hidden=32, epochs=400, lr=0.01, rng=0)
    assert model.M == 7 and losses[-1] < 0.3 < losses[0]
    samples = gen.sample_graphs(model, 60, max_nodes=40, rng=1)
    assert all(nx.is_connected(G) for G in samples)
    ours = gen.degree_distance(samples, train)
    baseline = gen.degree_distance(gen.erdos_renyi_like(train, 60, rng=1), train)
    assert ours < 0.5 * baseline


def test_given_order_and_its_errors():
    S, order = gen.encode_bfs(nx.path_graph(3), order=[0, 2, 1])
    assert order == [0, 2, 1] and S.tolist() == [[0, 0], [1, 1]]
    with pytest.raises(InputError, match="order must list every node"):
        gen.encode_bfs(nx.path_graph(3), order=[0, 1])


def test_bfs_theorem_check_can_refute():
    import symrnn.proofs.graph_models as gm

    r = gm._bfs_claim(lambda G, order: gen.bandwidth(G, order) <= 1, max_nodes=3, examples=5, label="planted")
    assert r.status == "refuted" and len(r.counterexample["edges"]) >= 2
    assert gm._bfs_claim(gm._roundtrip, max_nodes=3, examples=5, label="round trip").status == "proved_for_dims"


def test_sampling_bad_input():
    model = gen.graph_rnn(2, 3)
    with pytest.raises(InputError, match="count must be an integer >= 1"):
        gen.sample_graphs(model, 0)
    with pytest.raises(InputError, match="max_nodes must be an integer >= 2"):
        gen.sample_graphs(model, 2, max_nodes=1)
    with pytest.raises(InputError, match=r"graphs\[1\]: has 2 connected components"):
        gen.train_graphrnn([nx.path_graph(3), nx.empty_graph(2)], epochs=1)


def _torch_graphrnn_loss(params, sequences, M):
    """GraphRNN-S written in torch, one sequence at a time: reset-before GRU, θ = σ(V h + c), masked mean BCE."""
    P = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
    total, count = 0.0, 0
    for S in sequences:
        S = torch.tensor(S)
        h = torch.zeros(P["U_r"].shape[0])
        x = torch.ones(M)  # S_0: the start token
        for t in range(len(S) + 1):
            r = torch.sigmoid(P["W_r"] @ x + P["U_r"] @ h + P["b_r"])
            z = torch.sigmoid(P["W_z"] @ x + P["U_z"] @ h + P["b_z"])
            n = torch.tanh(P["W_n"] @ x + P["U_n"] @ (r * h) + P["b_n"])
            h = z * h + (1 - z) * n
            target = S[t] if t < len(S) else torch.zeros(M)  # after the last node: the all-zero end row
            valid = min(t + 1, M)  # node t + 1 can link back to at most t + 1 nodes
            logits = (P["V"] @ h + P["c"])[:valid]
            total = total + torch.nn.functional.binary_cross_entropy_with_logits(logits, target[:valid], reduction="sum")
            count += valid
            x = target
    loss = total / count
    loss.backward()
    return loss.item(), {k: v.grad.numpy() for k, v in P.items()}


TORCH_DEFAULT_DTYPE = torch.float64  # set for each of this module's tests by tests/conftest.py


def test_loss_and_gradients_equal_torch_autograd():
    model = gen.graph_rnn(4, 5, rng=3)
    for k, v in model.params.items():
        v += 0.3 * np.random.default_rng(0).normal(size=v.shape)
    seqs = [gen.encode_bfs(G, 4, rng=i)[0] for i, G in enumerate([nx.ladder_graph(3), nx.cycle_graph(6),
                                                                   nx.star_graph(3), nx.path_graph(2)])]
    loss, grads = gen.graphrnn_loss(model, seqs)
    want_loss, want = _torch_graphrnn_loss(model.params, seqs, 4)
    assert abs(loss - want_loss) <= 1e-12 * want_loss
    assert set(grads) == set(want)
    for k in want:
        np.testing.assert_allclose(grads[k], want[k], rtol=0, atol=1e-12, err_msg=k)


def test_sampling_reads_the_readouts_probabilities():
    """θ = σ(V h + c) of the generated readout: a readout biased to +∞ links to every earlier node, to −∞ to none."""
    model = gen.graph_rnn(3, 4, rng=0)
    model.params["V"][:] = 0.0
    model.params["c"][:] = 40.0
    full = gen.sample_graphs(model, 2, max_nodes=4, rng=0)
    assert [sorted(G.edges) for G in full] == [[(0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3)]] * 2
    model.params["c"][:] = -40.0
    assert [len(G) for G in gen.sample_graphs(model, 3, max_nodes=6, rng=0)] == [1, 1, 1]
