"""GAE / VGAE against PyG (GCNConv encoder, GAE.recon_loss, VGAE.kl_loss, torch autograd), a torch
reference of Kipf's weighted loss, the SymPy-derived KL against quadrature, and finite differences."""

import networkx as nx
import numpy as np
import pytest
import torch
from finite_differences import central_gradient as _fd
from scipy import integrate, stats

from symrnn.errors import InputError
from symrnn.graphs import autoencoder as ae
from symrnn.graphs import backward
from symrnn.graphs.kl import kl_divergence, kl_expression, kl_gradient

pyg = pytest.importorskip("torch_geometric")
from torch_geometric.nn import GCNConv  # noqa: E402
from torch_geometric.nn.models import GAE, VGAE  # noqa: E402

TORCH_DEFAULT_DTYPE = torch.float64  # set for each of this module's tests by tests/conftest.py


def _graph(seed):
    G = nx.gnp_random_graph(7, 0.4, seed=seed)
    G.add_edges_from((i, i + 1) for i in range(6))
    return G


def _edge_index(G):
    e = [(u, v) for u, v in G.edges] + [(v, u) for u, v in G.edges]
    return torch.tensor(e, dtype=torch.long).T


def _conv(W, b):
    c = GCNConv(W.shape[0], W.shape[1])
    with torch.no_grad():
        c.lin.weight.copy_(torch.tensor(W.T))
        c.bias.copy_(torch.tensor(b))
    return c


def _torch_loss(G, X, p, pos, neg, noise, convention):
    ei = _edge_index(G)
    Xt = torch.tensor(X, requires_grad=True)
    convs = {k[1:]: _conv(p[k], p["b" + k[1:]]) for k in p if k.startswith("W")}
    H = torch.relu(convs["1"](Xt, ei))
    variational = "_mu" in convs
    if variational:
        mu, logstd = convs["_mu"](H, ei), convs["_logstd"](H, ei).clamp(max=10)
        Z = mu + torch.tensor(noise) * torch.exp(logstd)
    else:
        Z = convs["2"](H, ei)
    model = VGAE(torch.nn.Identity()) if variational else GAE(torch.nn.Identity())
    if convention == "pyg":
        loss = model.recon_loss(Z, torch.tensor(pos), torch.tensor(neg))
    else:
        n = len(G)
        A = torch.tensor(nx.to_numpy_array(G, nodelist=range(n), weight=None))
        S = A.sum()
        logits = Z @ Z.T
        wce = torch.nn.functional.binary_cross_entropy_with_logits(
            logits, A + torch.eye(n), pos_weight=(n * n - S) / S, reduction="mean")
        loss = n * n / (2 * (n * n - S)) * wce
    if variational:
        loss = loss + model.kl_loss(mu, logstd) / len(G)
    loss.backward()
    grads = {"X": Xt.grad.numpy()}
    for k, c in convs.items():
        grads["W" + k], grads["b" + k] = c.lin.weight.grad.numpy().T, c.bias.grad.numpy()
    return float(loss.detach()), Z.detach().numpy(), grads


@pytest.mark.parametrize("variational", [False, True])
@pytest.mark.parametrize("convention", ["pyg", "kipf"])
@pytest.mark.parametrize("seed", [0, 1])
def test_matches_pyg_and_autograd(variational, convention, seed):
    G = _graph(seed)
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(7, 4))
    p = ae.gae_params(4, 5, 3, variational=variational, rng=seed)
    for k in p:
        p[k] = p[k] + 0.3 * rng.normal(size=p[k].shape)
    pos = _edge_index(G).numpy()
    neg = ae.negative_edges(G, 6, rng=seed)
    noise = rng.normal(size=(7, 3)) if variational else None
    loss, Z, tape = ae.gae_forward(G, X, p, pos_edges=pos, neg_edges=neg, noise=noise, convention=convention)
    want_loss, want_Z, want = _torch_loss(G, X, p, pos, neg, noise, convention)
    assert abs(loss - want_loss) <= 1e-10 * max(1, abs(want_loss))
    np.testing.assert_allclose(Z, want_Z, rtol=0, atol=1e-10)
    got = backward(tape)
    assert set(got) == set(want)
    for k in want:
        np.testing.assert_allclose(got[k], want[k], rtol=0, atol=1e-10, err_msg=k)


def test_kl_loss_matches_pyg():
    rng = np.random.default_rng(3)
    mu, logstd = rng.normal(size=(6, 4)), rng.normal(size=(6, 4))
    logstd[0, 0] = 10.5  # clamped at MAX_LOGSTD by both
    want = VGAE(torch.nn.Identity()).kl_loss(torch.tensor(mu), torch.tensor(logstd))
    assert abs(ae.kl_loss(mu, logstd) - float(want)) <= 1e-10 * abs(float(want))


@pytest.mark.parametrize("m,s", [(0.0, 0.0), (0.7, -0.4), (-1.3, 0.6)])
def test_derived_kl_equals_quadrature(m, s):
    sigma = np.exp(s)
    p, q = stats.norm(m, sigma), stats.norm(0, 1)
    val, _ = integrate.quad(lambda x: p.pdf(x) * (p.logpdf(x) - q.logpdf(x)), -40, 40, epsabs=1e-13)
    assert abs(float(kl_divergence(m, s)) - val) <= 1e-10
    h = 1e-6
    dm, ds = kl_gradient(m, s)
    assert abs(dm - (kl_divergence(m + h, s) - kl_divergence(m - h, s)) / (2 * h)) < 1e-8
    assert abs(ds - (kl_divergence(m, s + h) - kl_divergence(m, s - h)) / (2 * h)) < 1e-8
    assert "sigma" in str(kl_expression())


@pytest.mark.parametrize("variational", [False, True])
@pytest.mark.parametrize("convention", ["pyg", "kipf"])
def test_finite_differences(variational, convention):
    G = nx.cycle_graph(5)
    G.add_edge(0, 2)
    rng = np.random.default_rng(7)
    X = rng.normal(size=(5, 3))
    p = ae.gae_params(3, 4, 2, variational=variational, rng=1)
    noise = rng.normal(size=(5, 2)) if variational else None
    neg = ae.negative_edges(G, 4, rng=2)
    args = dict(neg_edges=neg, noise=noise, convention=convention)
    _, _, tape = ae.gae_forward(G, X, p, **args)
    grads = backward(tape)
    for name in list(p) + ["X"]:
        arr = X if name == "X" else p[name]
        fd = _fd(lambda: ae.gae_forward(G, X, p, **args)[0], arr)
        np.testing.assert_allclose(grads[name], fd, atol=1e-7, err_msg=name)


def test_decoder_symmetric_in_unit_interval():
    Z = np.random.default_rng(0).normal(size=(6, 3))
    P = ae.inner_product_decoder(Z)
    np.testing.assert_array_equal(P, P.T)
    assert ((P > 0) & (P < 1)).all()


def test_bad_input():
    G = nx.path_graph(3)
    p = ae.gae_params(2, 2, 2)
    with pytest.raises(InputError, match="X has 4 rows"):
        ae.gae_forward(G, np.ones((4, 2)), p, neg_edges=[[0], [2]])
    with pytest.raises(InputError, match="neg_edges"):
        ae.gae_forward(G, np.ones((3, 2)), p)
    with pytest.raises(InputError, match="neg_edges holds node index 5"):
        ae.gae_forward(G, np.ones((3, 2)), p, neg_edges=[[0], [5]])
    with pytest.raises(InputError, match="convention"):
        ae.gae_forward(G, np.ones((3, 2)), p, convention="tf")
    with pytest.raises(InputError, match="noise has shape"):
        ae.gae_forward(G, np.ones((3, 2)), ae.gae_params(2, 2, 2, variational=True), neg_edges=[[0], [2]],
                       noise=np.ones((2, 2)))


def _brute_scores(pos, neg):
    auc = np.mean([1.0 if p > n else 0.5 if p == n else 0.0 for p in pos for n in neg])
    scores, labels = np.concatenate([pos, neg]), np.r_[np.ones(len(pos)), np.zeros(len(neg))]
    ap, last_recall = 0.0, 0.0
    for t in sorted(set(scores), reverse=True):
        chosen = scores >= t
        recall = labels[chosen].sum() / len(pos)
        ap += (recall - last_recall) * labels[chosen].mean()
        last_recall = recall
    return auc, ap


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_link_prediction_scores_against_brute_force(seed):
    rng = np.random.default_rng(seed)
    Z = np.round(rng.normal(size=(8, 2)), 1)  # rounding makes ties
    pos, neg = rng.integers(0, 8, (2, 9)), rng.integers(0, 8, (2, 7))
    auc, ap = ae.link_prediction_scores(Z, pos, neg)
    want = _brute_scores(ae.edge_probabilities(Z, pos), ae.edge_probabilities(Z, neg))
    assert abs(auc - want[0]) < 1e-12 and abs(ap - want[1]) < 1e-12
    assert ae.link_prediction_scores(np.zeros((3, 1)), [[0], [1]], [[1], [2]]) == (0.5, 0.5)
