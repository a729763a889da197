"""Graph layers held as descriptions: generated kernels against PyG, the reference evaluator and finite differences."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
import torch

import symrnn
from symrnn.errors import ShapeError, UnknownNameError
from symrnn.graphs.operators import GraphOperators
from symrnn.numeric import step
from symrnn.testing.graphs import random_graph

from finite_differences import central_gradient as central_difference  # noqa: E402  (tests/ helper)

TORCH_DEFAULT_DTYPE = torch.float64  # set for each of this module's tests by tests/conftest.py


def sage():
    b = symrnn.GraphBuilder("sage_test", reference="Hamilton, Ying & Leskovec 2017")
    F, G = b.sizes("F G")
    x = b.node_input("x", F)
    b.output("h", b.param("W_l", G, F) @ b.propagate("mean_in", x) + b.param("W_r", G, F) @ x + b.param("b", G))
    return b.build()


def gcn():
    b = symrnn.GraphBuilder("gcn_test", reference="Kipf & Welling 2017")
    F, G = b.sizes("F G")
    x = b.node_input("x", F)
    b.output("h", b.param("W", G, F) @ b.propagate("gcn_norm", x) + b.param("b", G))
    return b.build()


def _edge_index(G):
    src, dst = [], []
    for u, v in G.edges():
        src += [u, v]
        dst += [v, u]
    return torch.tensor([src, dst], dtype=torch.long)


def _graphs(n, seed=0):
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        G = random_graph(rng, min_nodes=2, max_nodes=9, weighted=False)
        H = nx.Graph()
        H.add_nodes_from(range(G.number_of_nodes()))
        H.add_edges_from(G.edges())
        out.append(H)
    return out


@pytest.mark.parametrize("seed", range(4))
def test_generated_sage_and_gcn_equal_pyg_values_and_gradients(seed):
    from torch_geometric.nn import GCNConv, SAGEConv

    for G in _graphs(3, seed):
        rng = np.random.default_rng(seed + 10)
        N = G.number_of_nodes()
        X = rng.normal(size=(N, 4))
        R = rng.normal(size=(N, 3))
        for desc, conv, pairs in ((sage(), SAGEConv(4, 3, aggr="mean"), (("W_l", "lin_l.weight"), ("W_r", "lin_r.weight"), ("b", "lin_l.bias"))),
                                  (gcn(), GCNConv(4, 3), (("W", "lin.weight"), ("b", "bias")))):
            k = symrnn.compile(desc, F=4, G=3)
            k.params = {n: rng.normal(size=k.params[n].shape) for n in k.params}
            named = dict(conv.named_parameters())
            with torch.no_grad():
                for ours, theirs in pairs:
                    named[theirs].copy_(torch.tensor(k.params[ours]))
            Xt = torch.tensor(X, requires_grad=True)
            y = conv(Xt, _edge_index(G))
            (y * torch.tensor(R)).sum().backward()
            out, tape = k.forward(G, {"x": X})
            grads = k.backward(tape, {"h": R})
            assert np.abs(out["h"] - y.detach().numpy()).max() < 1e-10
            assert np.abs(grads["x"] - Xt.grad.numpy()).max() < 1e-10
            for ours, theirs in pairs:
                assert np.abs(grads[ours] - named[theirs].grad.numpy()).max() < 1e-10, (desc.name, ours)


def test_kernel_equals_the_reference_evaluator_and_finite_differences():
    G = nx.DiGraph()
    G.add_nodes_from(range(5))
    G.add_weighted_edges_from([(0, 1, 0.5), (2, 1, 2.0), (3, 4, 1.0), (4, 0, 1.5), (1, 3, 0.7)])
    b = symrnn.GraphBuilder("message")  # an edge cell: per-edge messages summed at each target
    F, G_ = b.sizes("F G")
    x = b.node_input("x", F)
    msg = b.let("msg", symrnn.tanh(b.param("A", G_, F) @ b.gather(x, "src") + b.param("B", G_, F) @ b.gather(x, "dst")))
    b.output("h", symrnn.sigmoid(b.scatter(msg * msg, "dst") + b.param("C", G_, F) @ x + b.param("c", G_)))
    desc = b.build()
    k = symrnn.compile(desc, F=3, G=2)
    rng = np.random.default_rng(3)
    X, R = rng.normal(size=(5, 3)), rng.normal(size=(5, 2))
    out, tape = k.forward(G, {"x": X})
    ref = step(desc, k.params, {"x": X}, {"h": np.zeros((5, 2))}, operators=GraphOperators(G))
    assert np.abs(out["h"] - ref["h"]).max() < 1e-14
    grads = k.backward(tape, {"h": R})

    def loss(params, xs):
        return float((k.__class__(desc, {"F": 3, "G": 2}, params=params).forward(G, xs)[0]["h"] * R).sum())

    P = {n: v.copy() for n, v in k.params.items()}
    for name in P:
        fd = central_difference(lambda: loss(P, {"x": X}), P[name])
        assert np.abs(fd - grads[name]).max() < 1e-7, name
    fd = central_difference(lambda: loss(P, {"x": X}), X)
    assert np.abs(fd - grads["x"]).max() < 1e-7


def test_a_stage_that_mixes_index_spaces_is_refused_naming_it():
    b = symrnn.GraphBuilder("mixed")
    F, = b.sizes("F")
    x = b.node_input("x", F)
    e = b.gather(x, "src")
    with pytest.raises(ShapeError, match="stage 'a_h' mixes index spaces"):
        b.output("h", symrnn.tanh(x + e))
        b.build()
    b = symrnn.GraphBuilder("wrong_space")
    F, = b.sizes("F")
    x = b.node_input("x", F)
    b.output("h", b.scatter(x, "dst"))  # scatter reads per-edge vectors
    with pytest.raises(ShapeError, match="applies scatter_dst .per-edge vectors. to 'x', which is per-node"):
        b.build()
    with pytest.raises(UnknownNameError, match="known operators"):
        symrnn.GraphBuilder("u").apply("laplace", x)


@pytest.mark.parametrize("K", [1, 2, 3, 5])
def test_generated_chebnet_equals_pyg_chebconv(K):
    from torch_geometric.nn import ChebConv

    from symrnn.graphs import layers

    for G in _graphs(3, K):
        rng = np.random.default_rng(K)
        N = G.number_of_nodes()
        X, R = rng.normal(size=(N, 4)), rng.normal(size=(N, 3))
        k = symrnn.compile(layers.cheb(K), F=4, G=3)
        k.params = {n: rng.normal(size=v.shape) for n, v in k.params.items()}
        conv = ChebConv(4, 3, K=K)
        with torch.no_grad():
            for i in range(K):
                conv.lins[i].weight.copy_(torch.tensor(k.params[f"Theta_{i}"]))
            conv.bias.copy_(torch.tensor(k.params["b"]))
        Xt = torch.tensor(X, requires_grad=True)
        y = conv(Xt, _edge_index(G), lambda_max=2.0)
        (y * torch.tensor(R)).sum().backward()
        out, tape = k.forward(G, {"x": X})
        grads = k.backward(tape, {"h": R})
        assert np.abs(out["h"] - y.detach().numpy()).max() < 1e-10
        assert np.abs(grads["x"] - Xt.grad.numpy()).max() < 1e-10
        for i in range(K):
            assert np.abs(grads[f"Theta_{i}"] - conv.lins[i].weight.grad.numpy()).max() < 1e-10


def test_pairs_unit_sums_and_readouts_equal_torch_autograd():
    """An inner-product decoder with PyG's reconstruction loss, written as a description (pair space, 1ᵀ, sum over pairs)."""
    import sympy as sp

    b = symrnn.GraphBuilder("decoder")
    L, = b.sizes("L")
    z = b.node_input("z", L)
    y, w = b.pair_input("y", 1), b.pair_input("w", 1)
    prod = b.let("prod", b.linear(b.apply("gather_pair_src", z)) * b.linear(b.apply("gather_pair_dst", z)))
    p = b.let("p", symrnn.sigmoid(b.linear(b.apply("sum_units", prod), "score")))
    eps = sp.Rational(1, 10**15)
    b.output("loss", b.apply("sum_pairs", b.let("l", -w * (y * sp.log(p + eps) + (1 - y) * sp.log(1 - p + eps)))))
    k = symrnn.compile(b.build(), L=3)
    G = nx.path_graph(6)
    pairs = np.array([[0, 1, 2, 3, 4, 0], [1, 2, 3, 4, 5, 3]])
    Y = np.array([[1.0], [1.0], [1.0], [0.0], [0.0], [0.0]])
    Z = np.random.default_rng(0).normal(size=(6, 3))
    out, tape = k.forward(G, {"z": Z, "y": Y, "w": np.full((6, 1), 1 / 3)}, pairs=pairs)
    grads = k.backward(tape, {"loss": np.ones((1, 1))})
    Zt = torch.tensor(Z, requires_grad=True)
    pt = torch.sigmoid((Zt[pairs[0]] * Zt[pairs[1]]).sum(1))
    loss = -(torch.log(pt[:3] + 1e-15).mean() + torch.log(1 - pt[3:] + 1e-15).mean())
    loss.backward()
    assert abs(float(out["loss"][0, 0]) - loss.item()) < 1e-12
    assert np.abs(grads["z"] - Zt.grad.numpy()).max() < 1e-12
    with pytest.raises(symrnn.errors.InputError, match="pairs"):
        k.forward(G, {"z": Z, "y": Y, "w": Y})


def test_equivalence_of_graph_descriptions_is_searched_on_random_graphs_and_rechecked_exactly():
    """GAT with a = 0 is the closed-neighbourhood mean (checked: its normal forms do not see 1/deg);
    the open-neighbourhood mean is not, and the counterexample survives 60 digits with exact operators."""
    from symrnn.graphs import layers
    from symrnn.prove import Theorem, equivalent

    zero = layers.gat(1).substitute({"a_src_1": 0, "a_dst_1": 0})

    def mean(name, **graph):
        b = symrnn.GraphBuilder(name, **graph)
        F, C = b.sizes("F C")
        x = b.node_input("x", F)
        b.output("h_1", b.param("W_1", C, F) @ b.propagate("mean_in", x) + b.param("b_1", C))
        return b.build()

    closed = Theorem("t", "s", lambda: equivalent(zero, mean("closed", edges="self_loops"))).run()
    assert closed.status == "checked" and closed.result.examples >= 40
    opened = Theorem("t", "s", lambda: equivalent(zero, mean("open"))).run()
    assert opened.status == "refuted" and float(opened.result.counterexample["difference"]) > 1e-3
    assert opened.result.counterexample["graph_edges"]
