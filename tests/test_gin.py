"""GIN against PyG's GINConv(nn=Sequential(Linear, ReLU, Linear)), float64, 1e-10: outputs and every gradient.

x, both Linear weights and biases, and ε when it is trained, on random undirected, directed and multi-edge
graphs with an isolated node; a deeper MLP; finite differences; bad input; the CLI; permutation equivariance.
"""

from __future__ import annotations

import subprocess
import sys

import networkx as nx
import numpy as np
import pytest

from symrnn import graphs
from symrnn.errors import InputError, SpecError, SymrnnError
from symrnn.graphs.gin import gin, gin_forward
from finite_differences import central_gradient
from test_graphsage import _edges

torch = pytest.importorskip("torch")
pyg_nn = pytest.importorskip("torch_geometric.nn")

TOL = 1e-10


def _conv(rng, widths, eps, train_eps):
    layers = []
    for k, (a, b) in enumerate(zip(widths, widths[1:])):
        layers += [torch.nn.Linear(a, b)] + ([torch.nn.ReLU()] if k < len(widths) - 2 else [])
    conv = pyg_nn.GINConv(torch.nn.Sequential(*layers), eps=eps, train_eps=train_eps).double()
    with torch.no_grad():
        for p in conv.nn.parameters():
            p.copy_(torch.tensor(rng.normal(size=tuple(p.shape))))
        conv.eps.fill_(eps)  # GINConv fills ε before .double(): float32(0.3) would differ by 1e-8
    return conv


@pytest.mark.parametrize("kind", ["undirected", "directed", "multi"])
@pytest.mark.parametrize("eps,train_eps", [(0.0, False), (0.3, False), (-0.4, True), (0.0, True)])
@pytest.mark.parametrize("widths", [(4, 5, 3), (3, 4, 2, 3)])
def test_gin_matches_pyg(rng, kind, eps, train_eps, widths):
    for _ in range(3):  # several random graphs of each kind
        n = 11
        src, dst = _edges(rng, n, kind)
        X = rng.normal(size=(n, widths[0]))
        conv = _conv(rng, widths, eps, train_eps)
        x = torch.tensor(X, requires_grad=True)
        out = conv(x, torch.tensor(np.stack([src, dst]), dtype=torch.int64))
        dY = rng.normal(size=out.shape)
        (out * torch.tensor(dY)).sum().backward()
        lins = [m for m in conv.nn if isinstance(m, torch.nn.Linear)]
        Y, call = gin_forward(graphs.from_edges(src, dst, n), X, [m.weight.detach().numpy().T for m in lins],
                              [m.bias.detach().numpy() for m in lins], eps=eps, train_eps=train_eps)
        grads = graphs.backward(call, dY)
        np.testing.assert_allclose(Y, out.detach().numpy(), rtol=0, atol=TOL)
        np.testing.assert_allclose(grads["X"], x.grad.numpy(), rtol=0, atol=TOL)
        for k, m in enumerate(lins, start=1):
            np.testing.assert_allclose(grads[f"W_{k}"], m.weight.grad.numpy().T, rtol=0, atol=TOL)
            np.testing.assert_allclose(grads[f"b_{k}"], m.bias.grad.numpy(), rtol=0, atol=TOL)
        if train_eps:
            np.testing.assert_allclose(grads["eps"], conv.eps.grad.numpy(), rtol=0, atol=TOL)
        else:
            assert "eps" not in grads


def test_gin_gradients_finite_differences(rng):
    src, dst = _edges(rng, 8, "multi")
    g = graphs.from_edges(src, dst, 8)
    X, Ws, bs = rng.normal(size=(8, 3)), [rng.normal(size=(3, 4)), rng.normal(size=(4, 2))], [rng.normal(size=4),
                                                                                              rng.normal(size=2)]
    eps = np.array([0.2])
    dY = rng.normal(size=(8, 2))

    def loss():
        return float(np.sum(gin_forward(g, X, Ws, bs, eps=float(eps[0]), train_eps=True)[0] * dY))

    grads = graphs.backward(gin_forward(g, X, Ws, bs, eps=0.2, train_eps=True)[1], dY)
    for name, arr in {"X": X, "W_1": Ws[0], "W_2": Ws[1], "b_1": bs[0], "b_2": bs[1], "eps": eps}.items():
        np.testing.assert_allclose(grads[name], central_gradient(loss, arr), rtol=1e-6, atol=1e-7, err_msg=name)


def test_sum_in_counts_every_copy_and_ignores_weights():
    from symrnn.graphs.operators import GraphOperators

    ops = GraphOperators(graphs.from_edges([0, 0, 1], [2, 2, 2], 3, weights=[5.0, 5.0, 7.0]))
    np.testing.assert_array_equal(ops.apply("sum_in", np.array([[1.0], [10.0], [100.0]])).ravel(), [0, 0, 12])


BAD = [
    (lambda: gin(hidden=0), SpecError, "hidden"),
    (lambda: gin(eps=float("nan")), InputError, "eps"),
    (lambda: gin(train_eps="no"), InputError, "train_eps"),
    (lambda: gin_forward(nx.path_graph(3), np.ones((2, 1)), [np.ones((1, 2)), np.ones((2, 1))], [np.ones(2), np.ones(1)]),
     InputError, "X has 2 rows"),
    (lambda: gin_forward(nx.path_graph(3), np.ones((3, 1)), [np.ones((1, 2)), np.ones((3, 1))], [np.ones(2), np.ones(1)]),
     InputError, r"weights\[1\] has shape"),
    (lambda: gin_forward(nx.path_graph(3), np.ones((3, 1)), [np.ones((1, 2)), np.ones((2, 1))], [np.ones(3), np.ones(1)]),
     InputError, r"biases\[0\] has shape"),
    (lambda: gin_forward(nx.path_graph(3), np.ones((3, 1)), [np.ones((1, 2))], [np.ones(2)]), SpecError, "weights"),
    (lambda: gin_forward(nx.path_graph(2), np.array([[1.0], [np.inf]]), [np.ones((1, 1))] * 2, [np.ones(1)] * 2),
     InputError, "node 1"),
]


@pytest.mark.parametrize("call,error,message", BAD)
def test_bad_input_is_refused_naming_the_argument(call, error, message):
    with pytest.raises(error, match=message) as info:
        call()
    assert isinstance(info.value, SymrnnError)


def test_derive_gin_tex_through_the_cli(tmp_path):
    out = tmp_path / "gin.tex"
    proc = subprocess.run([sys.executable, "-m", "symrnn.cli", "derive", "gin", "--format", "tex", "-o", str(out)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    text = out.read_text()
    assert text.startswith("\\documentclass") and "Reverse mode" in text and "Xu" in text
    assert r"\mathbf{S}_{\mathrm{dst}}^{\top}\mathbf{S}_{\mathrm{src}}" in text


@pytest.mark.parametrize("options", [{}, {"train_eps": True}, {"eps": 0.5, "hidden": 2}])
def test_gin_is_permutation_equivariant_for_every_size(options):
    from symrnn.prove import permutation_equivariant

    assert permutation_equivariant(gin(**options)).status == "proved"
    assert permutation_equivariant(gin(**options), invariant=True).status == "refuted"
