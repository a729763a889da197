"""Symbolic graph-layer descriptions: their gradients, lambdified, equal the numeric backward passes."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
import sympy as sp

from symrnn import graphs
from symrnn._latex_engine import compile_tex, tex_engine
from symrnn.errors import SpecError
from symrnn.graphs.describe import describe_cheb, describe_gcn, describe_spectral
from symrnn.graphs.describe_gat import describe_gat, neighbourhood_softmax_partial
from symrnn.spec.latex import document
from symrnn.spec.symbols import relu, sigmoid


def _graph():
    G = nx.gnp_random_graph(7, 0.5, seed=11)
    G.add_node(7)
    return G


def _evaluate(layer, expr, values: dict, sizes: dict):
    """Lambdify a matrix expression at concrete sizes and evaluate it."""
    expr = expr.subs(sizes)
    args = sorted(expr.free_symbols, key=str)
    subbed = [a.subs(sizes) for a in args]
    f = sp.lambdify(args, expr, "numpy")
    return np.asarray(f(*[values[a.name] for a in subbed]), dtype=float)


def test_gcn_description_gradients_equal_numeric_backward(rng):
    G = _graph()
    X, W, b = rng.normal(size=(8, 3)), rng.normal(size=(3, 2)), rng.normal(size=2)
    Y, tape = graphs.gcn_forward(G, X, W, b)
    dY = rng.normal(size=Y.shape)
    grads = graphs.backward(tape, dY)
    layer = describe_gcn()
    N, F, Gs = layer.sizes
    values = {"A_hat": graphs.gcn_adjacency(G).toarray(), "X": X, "W": W, "b": b[:, None], "Delta": dY}
    sizes = {N: 8, F: 3, Gs: 2}
    np.testing.assert_allclose(_evaluate(layer, layer.pre, values, sizes), Y, atol=1e-12)
    for name in ("X", "W", "b"):
        got = _evaluate(layer, layer.gradient(name).expr, values, sizes)
        np.testing.assert_allclose(got.reshape(grads[name].shape), grads[name], atol=1e-12, err_msg=name)


@pytest.mark.parametrize("K", [1, 3])
def test_cheb_description_gradients_equal_numeric_backward(rng, K):
    G = _graph()
    X, T, b = rng.normal(size=(8, 3)), rng.normal(size=(K, 3, 2)), rng.normal(size=2)
    Y, tape = graphs.cheb_forward(G, X, T, b, lambda_max=1.5)
    dY = rng.normal(size=Y.shape)
    grads = graphs.backward(tape, dY)
    layer = describe_cheb(K)
    N, F, Gs = layer.sizes
    values = {"L_tilde": graphs.scaled_laplacian(G, 1.5).toarray(), "X": X, "b": b[:, None], "Delta": dY}
    values.update({f"Theta_{k}": T[k] for k in range(K)})
    sizes = {N: 8, F: 3, Gs: 2}
    np.testing.assert_allclose(_evaluate(layer, layer.pre, values, sizes), Y, atol=1e-12)
    np.testing.assert_allclose(_evaluate(layer, layer.gradient("X").expr, values, sizes), grads["X"], atol=1e-12)
    for k in range(K):
        got = _evaluate(layer, layer.gradient(f"Theta_{k}").expr, values, sizes)
        np.testing.assert_allclose(got, grads["Theta"][k], atol=1e-12)


def test_activation_gradient_uses_the_function_table():
    layer = describe_gcn(activation=sigmoid)
    y = sp.Symbol("y", real=True)
    assert sp.simplify(layer.activation_factor() - y * (1 - y)) == 0
    A_hat = next(iter(layer.operators))
    G = layer.pre_gradient
    assert G.name == "G" and layer.gradient("W").expr == layer.X.T * A_hat.T * G
    with pytest.raises(SpecError, match="activation"):
        describe_gcn(activation=sp.sin)


def test_spectral_description_gradient_is_the_filter_transposed():
    layer = describe_spectral()
    U, gL = (sp.MatrixSymbol(n, *layer.sizes[:1] * 2) for n in ("U", "g_Lambda"))
    assert layer.gradient("X").expr == U * gL.T * U.T * layer.upstream


def test_softmax_partial_is_derived_for_every_neighbourhood_size():
    derived, closed, diff = neighbourhood_softmax_partial()
    assert diff == 0
    # and numerically at n = 4 against finite differences
    e = np.array([0.3, -1.2, 2.0, 0.5])
    soft = lambda v: np.exp(v - v.max()) / np.exp(v - v.max()).sum()  # noqa: E731
    a = soft(e)
    jac = np.array([[(soft(e + 1e-6 * np.eye(4)[l]) - soft(e - 1e-6 * np.eye(4)[l]))[j] / 2e-6
                     for l in range(4)] for j in range(4)])
    np.testing.assert_allclose(jac, np.diag(a) - np.outer(a, a), atol=1e-8)


def test_gat_leaky_relu_partial_matches_the_kernel_slope(rng):
    d = describe_gat(heads=2, slope=0.2)
    de = d.partials()[("e_ij", "p_ij")]
    p = d.scalars["p_ij"]
    assert de.subs(p, 1.5) == 1 and de.subs(p, -1.5) == sp.Rational(1, 5) and de.subs(p, 0) == sp.Rational(1, 5)


def test_counts():
    N, F, G = describe_gcn().sizes
    assert describe_gcn().parameter_count() == F * G + G
    assert sp.expand(describe_cheb(3).parameter_count() - (3 * F * G + G)) == 0


@pytest.mark.skipif(tex_engine() is None, reason="no LaTeX engine")
def test_latex_compiles():
    body = "\n".join([describe_gcn(activation=relu).latex(), describe_cheb(3).latex(),
                      describe_spectral().latex(), describe_gat(heads=2).latex()])
    assert compile_tex(document("Graph layers", body))[:4] == b"%PDF"
