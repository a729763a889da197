"""GAE / VGAE as descriptions (symrnn.graphs.autoencoders) run by generated kernels, against independent oracles.

* PyG's ``GAE`` / ``VGAE`` (their ``encode``, ``recon_loss``, ``kl_loss``, GCNConv encoders) under torch
  autograd, the noise of the reparametrisation given: Z, each loss term and every gradient;
* a dense torch transcription of Kipf's reference code (tkipf/gae: ``weighted_cross_entropy_with_logits`` over
  all N² pairs, ``norm``, ``pos_weight``, its KL) for the "kipf" convention;
* central finite differences of the generated kernel, every parameter and input, on a tiny graph;
* PyG's clamp at ``MAX_LOGSTD`` = 10, above it and exactly at it (where ``torch.clamp`` passes the gradient).

The random cases keep the decoder's scores moderate (Glorot weights, unit features): where σ(z_u·z_v)
rounds to within a few ulps of 1, log(1 − σ + ε) amplifies one ulp of σ past 1e-10, for any two
implementations of σ.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
import sympy as sp
import torch
from finite_differences import central_gradient

import symrnn
from symrnn.errors import InputError, SpecError
from symrnn.graphs import autoencoder as ae
from symrnn.graphs import autoencoders as models
from symrnn.graphs import backward
from symrnn.graphs.kl import kl_logstd_expression, kl_symbols

pyg = pytest.importorskip("torch_geometric")
from torch_geometric.nn import GCNConv  # noqa: E402
from torch_geometric.nn.models import GAE, VGAE, InnerProductDecoder  # noqa: E402

TORCH_DEFAULT_DTYPE = torch.float64  # set for each of this module's tests by tests/conftest.py
TOL = 1e-10


# ----------------------------------------------------------------------------- cases
def _case(seed, variational, *, n=None, F=5, H=8, L=4):
    """A random graph (every node on a path, plus G(n, p) edges), features, perturbed Glorot weights, noise."""
    rng = np.random.default_rng(seed)
    n = n or int(rng.integers(6, 13))
    G = nx.gnp_random_graph(n, 0.3, seed=seed)
    G.add_edges_from((i, i + 1) for i in range(n - 1))
    X = rng.normal(size=(n, F))
    p = ae.gae_params(F, H, L, variational=variational, rng=seed)
    for k in p:
        p[k] = p[k] + 0.1 * rng.normal(size=p[k].shape)
    noise = rng.normal(size=(n, L)) if variational else None
    return G, X, p, noise


def _edge_index(G):
    return torch.tensor([(u, v) for u, v in G.edges] + [(v, u) for u, v in G.edges], dtype=torch.long).T


class _Encoder(torch.nn.Module):
    """PyG's autoencoder example encoder: GCNConv, ReLU, then GCNConv (or the μ and log σ heads)."""

    def __init__(self, p):
        super().__init__()
        self.p = p
        self.convs = torch.nn.ModuleDict({k[1:]: GCNConv(*p[k].shape) for k in p if k.startswith("W")})

    def load(self):
        """Our weights into the convolutions (after GAE.__init__, which resets its encoder's parameters)."""
        with torch.no_grad():
            for k, c in self.convs.items():
                c.lin.weight.copy_(torch.tensor(self.p["W" + k].T))
                c.bias.copy_(torch.tensor(self.p["b" + k]))
        return self

    def forward(self, x, edge_index):
        h = torch.relu(self.convs["1"](x, edge_index))
        if "_mu" in self.convs:
            return self.convs["_mu"](h, edge_index), self.convs["_logstd"](h, edge_index)
        return self.convs["2"](h, edge_index)

    def grads(self):
        out = {}
        for k, c in self.convs.items():
            out["W" + k], out["b" + k] = c.lin.weight.grad.numpy().T, c.bias.grad.numpy()
        return out


class _GivenNoiseVGAE(VGAE):
    """PyG's VGAE with the reparametrisation's ε given instead of drawn (everything else is PyG's)."""

    def __init__(self, encoder, noise):
        super().__init__(encoder)
        self.noise = noise

    def reparametrize(self, mu, logstd):
        return mu + self.noise * torch.exp(logstd)


def _pyg(G, X, p, pos, neg, noise):
    """PyG: encode, recon_loss (+ kl_loss / N); returns the parts, Z and every gradient."""
    enc = _Encoder(p)
    Xt = torch.tensor(X, requires_grad=True)
    model = GAE(enc) if noise is None else _GivenNoiseVGAE(enc, torch.tensor(noise))
    enc.load()
    Z = model.encode(Xt, _edge_index(G))
    parts = {"recon": model.recon_loss(Z, torch.tensor(pos), torch.tensor(neg))}
    if noise is not None:
        parts["kl"] = model.kl_loss()
        parts["loss"] = parts["recon"] + parts["kl"] / len(G)
    (parts.get("loss", parts["recon"])).backward()
    return {k: v.item() for k, v in parts.items()}, Z.detach().numpy(), {"X": Xt.grad.numpy(), **enc.grads()}


def _kipf(G, X, p, noise):
    """A dense torch transcription of Kipf's reference code (tkipf/gae, optimizer.py), with PyG's biases and clamp."""
    n = len(G)
    A = torch.tensor(nx.to_numpy_array(G, nodelist=range(n), weight=None))
    At = A + torch.eye(n)
    d = At.sum(1) ** -0.5
    Ahat = d[:, None] * At * d[None, :]
    Xt = torch.tensor(X, requires_grad=True)
    P = {k: torch.tensor(v, requires_grad=True) for k, v in p.items()}
    H = torch.relu(Ahat @ Xt @ P["W1"] + P["b1"])
    if noise is None:
        Z = Ahat @ H @ P["W2"] + P["b2"]
    else:
        mu = Ahat @ H @ P["W_mu"] + P["b_mu"]
        logstd = (Ahat @ H @ P["W_logstd"] + P["b_logstd"]).clamp(max=10)
        Z = mu + torch.tensor(noise) * torch.exp(logstd)
    logits, labels = Z @ Z.T, A + torch.eye(n)
    pos_weight = (n * n - A.sum()) / A.sum()
    norm = n * n / (2 * (n * n - A.sum()))
    # tf.nn.weighted_cross_entropy_with_logits, as TensorFlow documents its stable form
    lw = 1 + (pos_weight - 1) * labels
    wce = (1 - labels) * logits + lw * (torch.log1p(torch.exp(-logits.abs())) + torch.clamp(-logits, min=0))
    parts = {"recon": norm * wce.mean()}
    total = parts["recon"]
    if noise is not None:
        kl = (0.5 / n) * torch.mean(torch.sum(1 + 2 * logstd - mu ** 2 - torch.exp(logstd) ** 2, 1))
        parts["kl"] = -kl * n  # PyG's kl_loss; Kipf's code subtracts kl = −kl_loss / N
        total = parts["loss"] = total - kl
    total.backward()
    return ({k: v.item() for k, v in parts.items()}, Z.detach().numpy(),
            {"X": Xt.grad.numpy(), **{k: v.grad.numpy() for k, v in P.items()}})


def _ours(G, X, p, noise, convention, pos=None, neg=None):
    loss, Z, call = ae.gae_forward(G, X, p, pos_edges=pos, neg_edges=neg, noise=noise, convention=convention)
    parts = {k: float(call.values[k][0, 0]) for k in ("recon", "kl", "loss") if k in call.values}
    assert loss == parts.get("loss", parts["recon"])
    return parts, Z, backward(call)


def _assert_equal(ours, theirs):
    parts, Z, grads = ours
    want_parts, want_Z, want_grads = theirs
    assert set(parts) == set(want_parts)
    for k in want_parts:
        assert abs(parts[k] - want_parts[k]) <= TOL * max(1.0, abs(want_parts[k])), (k, parts[k], want_parts[k])
    assert np.abs(Z - want_Z).max() <= TOL
    assert set(grads) == set(want_grads)
    for k in want_grads:  # 1e-10 of the gradient's scale when it is large (e^{2·10} near the clamp)
        assert np.abs(grads[k] - want_grads[k]).max() <= TOL * max(1.0, np.abs(want_grads[k]).max()), k


# ----------------------------------------------------------------------------- against PyG and Kipf's code
@pytest.mark.parametrize("variational", [False, True])
@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_pyg_convention_equals_pyg_autograd(seed, variational):
    G, X, p, noise = _case(seed, variational)
    pos = _edge_index(G).numpy()
    neg = ae.negative_edges(G, pos.shape[1] // 2 + 1, rng=seed)
    _assert_equal(_ours(G, X, p, noise, "pyg", pos, neg), _pyg(G, X, p, pos, neg, noise))


@pytest.mark.parametrize("variational", [False, True])
@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_kipf_convention_equals_kipf_reference_code(seed, variational):
    G, X, p, noise = _case(seed, variational)
    _assert_equal(_ours(G, X, p, noise, "kipf"), _kipf(G, X, p, noise))


def test_default_positive_edges_are_the_stored_edges_in_both_directions():
    G, X, p, noise = _case(5, True)
    neg = ae.negative_edges(G, 4, rng=1)
    _assert_equal(_ours(G, X, p, noise, "pyg", None, neg), _pyg(G, X, p, _edge_index(G).numpy(), neg, noise))


def test_noise_none_is_pygs_evaluation_mode():
    G, X, p, _ = _case(6, True)
    neg = ae.negative_edges(G, 5, rng=0)
    _, Z, _ = ae.gae_forward(G, X, p, neg_edges=neg)
    enc = _Encoder(p)
    model = VGAE(enc).eval()  # reparametrize returns μ
    enc.load()
    want = model.encode(torch.tensor(X), _edge_index(G)).detach().numpy()
    assert np.abs(Z - want).max() <= TOL


# ----------------------------------------------------------------------------- the clamp at MAX_LOGSTD
def test_clamp_above_ten_matches_pyg():
    """Units whose raw log σ exceeds 10 on some nodes: PyG's clamp stops their gradient, and so does ours."""
    G, X, p, noise = _case(7, True, n=8)
    p["b_logstd"][[0, 2]] = 10.0  # raw log σ ≈ 10 ± O(0.5): above 10 on some nodes, below on others
    pos = _edge_index(G).numpy()
    neg = ae.negative_edges(G, 6, rng=7)
    noise = 1e-4 * noise  # keeps z = μ + ε e^{10} moderate
    ours = _ours(G, X, p, noise, "pyg", pos, neg)
    _, _, call = ae.gae_forward(G, X, p, pos_edges=pos, neg_edges=neg, noise=noise)
    raw = call.values["s"]
    assert (raw > 10).any() and (raw < 10).any()
    assert (call.values["logstd"] == np.minimum(raw, 10.0)).all()
    _assert_equal(ours, _pyg(G, X, p, pos, neg, noise))


def test_clamp_at_exactly_ten_passes_the_gradient_as_torch_clamp():
    """kl_loss at log σ = 10 exactly: torch.clamp(max=10) has derivative 1 there; s − ReLU(s − 10) too."""
    mu = np.array([[0.3, -0.2, 0.1], [0.5, 0.4, -0.6]])
    s = np.array([[10.0, 9.5, 10.5], [10.0, -1.0, 12.0]])
    k = symrnn.compile(models.vgae_kl(), L=3)
    out, tape = k.forward(ae._isolated(2), {"mu": mu, "s": s})
    g = k.backward(tape, {"kl": np.ones((1, 1))})
    mt, st = torch.tensor(mu, requires_grad=True), torch.tensor(s, requires_grad=True)
    want = VGAE(torch.nn.Identity()).kl_loss(mt, st)
    want.backward()
    assert abs(float(out["kl"][0, 0]) - want.item()) <= TOL * want.item()
    assert np.abs(g["s"] - st.grad.numpy()).max() <= TOL * np.abs(st.grad.numpy()).max()
    assert np.abs(g["mu"] - mt.grad.numpy()).max() <= TOL
    assert g["s"][0, 0] != 0 and g["s"][1, 0] != 0  # at 10 exactly the gradient passes
    assert g["s"][0, 2] == 0 and g["s"][1, 2] == 0  # above 10 it stops


# ----------------------------------------------------------------------------- finite differences
@pytest.mark.parametrize("convention", ["pyg", "kipf"])
def test_generated_kernel_gradients_equal_finite_differences(convention):
    """Every parameter and every input of the VGAE kernel (x, ε, the pairs' labels and weights, β)."""
    rng = np.random.default_rng(11)
    G = nx.cycle_graph(4)
    G.add_edge(0, 2)
    k = symrnn.compile(models.vgae(convention), F=2, H=3, L=2)
    k.params = {name: rng.normal(size=shape) * 0.7 for name, shape in k.shapes.items()}
    pairs = np.array([[0, 1, 2, 3, 0, 1], [1, 2, 3, 0, 3, 3]])
    inputs = {"x": rng.normal(size=(4, 2)), "eps": rng.normal(size=(4, 2)), "y": rng.uniform(size=(6, 1)),
              "w": rng.uniform(0.1, 1, size=(6, 1)), "beta": np.array([[0.25]])}

    def loss():
        return float(k.forward(G, inputs, pairs=pairs)[0]["loss"][0, 0])

    _, tape = k.forward(G, inputs, pairs=pairs)
    grads = k.backward(tape, {"loss": np.ones((1, 1))})
    for name, arr in list(k.params.items()) + list(inputs.items()):  # perturbed in place: the arrays forward reads
        np.testing.assert_allclose(grads[name], central_gradient(loss, arr), rtol=1e-6, atol=1e-8, err_msg=name)


# ----------------------------------------------------------------------------- the functions of Z alone
def test_decoder_functions_equal_pyg():
    rng = np.random.default_rng(3)
    Z = rng.normal(size=(7, 3))
    edges = rng.integers(0, 7, (2, 9))
    dec = InnerProductDecoder()
    Zt = torch.tensor(Z)
    assert np.abs(ae.edge_probabilities(Z, edges) - dec(Zt, torch.tensor(edges)).numpy()).max() <= 1e-15
    assert np.abs(ae.inner_product_decoder(Z) - dec.forward_all(Zt).numpy()).max() <= 1e-15
    pos, neg = edges[:, :5], edges[:, 5:]
    Zt.requires_grad_(True)
    want = GAE(torch.nn.Identity()).recon_loss(Zt, torch.tensor(pos), torch.tensor(neg))
    want.backward()
    loss, dZ = ae.recon_loss(Z, pos, neg, return_grad=True)
    assert abs(loss - want.item()) <= TOL * want.item() and np.abs(dZ - Zt.grad.numpy()).max() <= TOL


def test_kipf_recon_loss_of_z_equals_the_reference():
    G = nx.karate_club_graph()
    Z = 0.3 * np.random.default_rng(0).normal(size=(34, 4))
    n = 34
    A = torch.tensor(nx.to_numpy_array(G, nodelist=range(n), weight=None))
    Zt = torch.tensor(Z, requires_grad=True)
    S = A.sum()
    want = n * n / (2 * (n * n - S)) * torch.nn.functional.binary_cross_entropy_with_logits(
        Zt @ Zt.T, A + torch.eye(n), pos_weight=(n * n - S) / S)
    want.backward()
    loss, dZ = ae.recon_loss(Z, convention="kipf", graph=G, return_grad=True)
    assert abs(loss - want.item()) <= TOL * want.item() and np.abs(dZ - Zt.grad.numpy()).max() <= TOL


# ----------------------------------------------------------------------------- the descriptions
def test_kl_stage_is_the_derived_expression():
    """The KL's per-unit stage is kl_logstd_expression with μ and log σ put in, not a formula typed again."""
    _, mu, _, s = kl_symbols()
    for cell in (models.vgae(), models.vgae("kipf"), models.vgae_kl()):
        expr = cell.equation("kl_unit").expr
        back = expr.xreplace({cell.unit("mu"): mu, cell.unit("logstd"): s})
        assert sp.expand(back - kl_logstd_expression()) == 0


def test_outputs_and_spaces():
    assert [(o.name, models.gae().space(o.name)) for o in models.gae().states] == [("z", "node"), ("recon", "graph")]
    v = models.vgae("kipf")
    assert [(o.name, v.space(o.name)) for o in v.states] == [("z", "node"), ("recon", "graph"), ("kl", "graph"),
                                                              ("loss", "graph")]
    assert v.space("score") == "pair" and v.space("eps") == "node" and v.space("beta") == "graph"
    H, L = (next(x for x in v.sizes if x.name == name) for name in "HL")
    assert sp.expand(v.parameter_count() - models.gae().parameter_count() - L * (H + 1)) == 0  # one more head


def test_vgae_derivation_document_compiles():
    from symrnn._latex_engine import compile_tex
    from symrnn.derive import derivation_document

    pdf = compile_tex(derivation_document(models.vgae(), "tex"))
    assert pdf[:4] == b"%PDF"


# ----------------------------------------------------------------------------- bad input
def test_bad_input_is_named():
    G, X, p, noise = _case(0, True, n=6)
    neg = [[0], [3]]
    with pytest.raises(InputError, match=r"params\['W_mu'\] has shape"):
        ae.gae_forward(G, X, {**p, "W_mu": np.ones((3, 3))}, neg_edges=neg, noise=noise)
    with pytest.raises(InputError, match=r"params\['b1'\] has shape"):
        ae.gae_forward(G, X, {**p, "b1": np.ones(2)}, neg_edges=neg, noise=noise)
    with pytest.raises(InputError, match="params misses"):
        ae.gae_forward(G, X, {k: v for k, v in p.items() if k != "b_logstd"}, neg_edges=neg)
    with pytest.raises(InputError, match="noise has shape"):
        ae.gae_forward(G, X, p, neg_edges=neg, noise=np.ones((6, 3)))
    with pytest.raises(InputError, match="logstd has shape"):
        ae.kl_loss(np.ones((2, 3)), np.ones((3, 2)))
    with pytest.raises(InputError, match="graph: the 'kipf' convention"):
        ae.recon_loss(np.ones((3, 2)), convention="kipf")
    with pytest.raises(InputError, match="Z must be 2-D"):
        ae.edge_probabilities(np.ones(3), [[0], [1]])
    with pytest.raises(SpecError, match="convention must be one of"):
        models.gae("tf")
    _, _, call = ae.gae_forward(G, X, p, neg_edges=neg, noise=noise)
    with pytest.raises(InputError, match="dY has shape"):
        backward(call, np.ones((2, 1)))
    Y, gcn_call = symrnn.graphs.gcn_forward(G, X, np.ones((5, 2)))
    with pytest.raises(InputError, match=r"dY: 'gcn' outputs a \(6, 2\) array, not one loss"):
        backward(gcn_call)
