"""The matrix face of graph descriptions (Y = Â X Wᵀ + 1bᵀ): read from the description, evaluated
against the generated kernel, differentiated by SymPy's matrix calculus against the generated reverse
mode, and compared with the papers' formulas written by hand."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
import sympy as sp

import symrnn
from symrnn._latex_engine import compile_tex
from symrnn.errors import SpecError, UnknownNameError
from symrnn.graphs import layers
from symrnn.graphs.matrix_form import SPACE_ROWS, matrix_form
from symrnn.graphs.operators import GraphOperators
from symrnn.graphs.softmax_lemmas import neighbourhood_softmax_partial, softmax_backward
from symrnn.spec.latex import document

N = SPACE_ROWS["node"]


def _graph():
    G = nx.gnp_random_graph(7, 0.5, seed=11)
    G.add_node(7)  # an isolated node: zero rows, self-loop-only rows
    return G


def _numeric(form, expr, values: dict, sizes: dict):
    """Lambdify a matrix expression of the face at concrete sizes."""
    if isinstance(expr, sp.Trace):  # the gradient of a scalar parameter, tr(Δᵀ ∂Y/∂θ)
        return np.trace(_numeric(form, expr.arg, values, sizes))
    expr = expr.subs(sizes).doit()
    args = sorted(expr.free_symbols, key=str)
    f = sp.lambdify(args, expr, "numpy")
    return np.asarray(f(*[values[a.name] for a in args]), dtype=float)


def _values(cell, form, G, kernel, X):
    """Every symbol of the face at the kernel's values: inputs, parameters (columns for vectors)
    and the graph matrices, built as Op · I by the kernel's own operators."""
    ops = GraphOperators(G, **dict(cell.graph))
    values = {"x": X}
    for name, value in kernel.params.items():
        sym = form.matrix(name)
        if not isinstance(sym, sp.MatrixExpr):
            values[name] = float(value.reshape(()))  # a one-unit shared parameter is a scalar
        else:
            values[name] = value[:, None] if value.ndim == 1 else value
    for key, sym in form.symbols.items():
        if key.startswith("operator:"):
            op = key.partition(":")[2]
            values[op] = ops.apply(op, np.eye(ops.rows(symrnn.spec.operators.OPERATORS[op].source)))
    return values


LINEAR = [
    (layers.gcn, {}, {"F": 3, "G": 2}),
    (layers.gcn, {"improved": True, "add_self_loops": False}, {"F": 3, "G": 2}),
    (layers.cheb, {"K": 1}, {"F": 3, "G": 2}),
    (layers.cheb, {"K": 3, "lambda_max": 1.5}, {"F": 3, "G": 2}),
    (layers.sage, {}, {"F": 3, "G": 2}),
    (layers.polynomial, {"K": 3}, {"F": 3}),
]


@pytest.mark.parametrize("factory, options, sizes", LINEAR, ids=lambda v: getattr(v, "__name__", str(v)))
def test_face_and_its_gradients_equal_the_generated_kernel(rng, factory, options, sizes):
    cell = factory(**options)
    form = matrix_form(cell)
    G = _graph()
    kernel = symrnn.compile(cell, **sizes)
    kernel.params = {n: rng.normal(size=v.shape) for n, v in kernel.params.items()}
    X = rng.normal(size=(8, sizes["F"]))
    out, tape = kernel.forward(G, {"x": X})
    delta = rng.normal(size=out["h"].shape)
    grads = kernel.backward(tape, {"h": delta})
    values = _values(cell, form, G, kernel, X)
    values["Delta_h"] = delta
    concrete = {N: 8, **{sp.Symbol(k, integer=True, positive=True): v for k, v in sizes.items()}}
    np.testing.assert_allclose(_numeric(form, form.outputs["h"], values, concrete), out["h"], atol=1e-12)
    for name in ["x", *kernel.params]:
        got = _numeric(form, form.gradient("h", name), values, concrete)
        np.testing.assert_allclose(got.reshape(grads[name].shape), grads[name], atol=1e-11, err_msg=name)


def test_faces_are_the_papers_formulas():
    """Kipf & Welling: Â X W (+ 1bᵀ); Defferrard et al.: Σ_k T_k(L̃) X Θ_k with T₂ = 2L̃² − I; SAGE."""
    f = matrix_form(layers.gcn())
    X, A, W, b = (f.matrix(n) for n in ("x", "gcn_norm", "W", "b"))
    one = sp.OneMatrix(N, 1)
    assert sp.simplify(f.outputs["h"] - (A * X * W.T + one * b.T)) == sp.ZeroMatrix(*X.shape[:1], W.shape[0])
    f = matrix_form(layers.cheb(K=3))
    X, L = f.matrix("x"), f.matrix("cheb_lt")
    T = [f.matrix(f"Theta_{k}") for k in range(3)]
    by_hand = X * T[0].T + L * X * T[1].T + (2 * L * L - sp.Identity(N)) * X * T[2].T + one * f.matrix("b").T
    assert (f.outputs["h"] - by_hand).expand().doit() == sp.ZeroMatrix(N, T[0].shape[0])
    assert f.outputs["h"] != by_hand.xreplace({T[1]: T[2]})  # a wrong formula is not equal
    # the reverse mode by hand (The Matrix Cookbook): ∂/∂X tr(Δᵀ Â X Wᵀ) = Âᵀ Δ W
    f = matrix_form(layers.gcn())
    assert f.gradient("h", "x") == f.matrix("gcn_norm").T * f.upstream("h") * f.matrix("W")


def test_an_adjoint_is_the_transpose_of_one_symbol():
    f = matrix_form(layers.gcn())
    assert f.matrix("gcn_norm_T") == f.matrix("gcn_norm").T
    assert f.matrix("scatter_dst") == f.matrix("gather_dst").T and f.matrix("gather_dst").shape == (SPACE_ROWS["edge"], N)


def test_parameter_counts_agree_with_the_description():
    for cell in (layers.gcn(), layers.cheb(K=4), layers.sage(), layers.polynomial(K=2)):
        form = matrix_form(cell)
        count = sum((sp.Mul(*form.matrix(p.name).shape) if isinstance(form.matrix(p.name), sp.MatrixExpr) else 1)
                    for p in cell.params)
        assert sp.expand(count - cell.parameter_count()) == 0, cell.name


def test_spectral_face_is_u_theta_ut(rng):
    cell = layers.spectral()
    form = matrix_form(cell)
    G = nx.path_graph(5)
    kernel = symrnn.compile(cell, F=2)
    X, theta = rng.normal(size=(5, 2)), rng.normal(size=(5, 1))
    out, _ = kernel.forward(G, {"x": X, "theta": theta})
    values = _values(cell, form, G, kernel, X)
    values["theta"] = theta
    U = values["eig"]
    np.testing.assert_allclose(U @ np.diag(theta[:, 0]) @ U.T @ X, out["h"], atol=1e-12)
    np.testing.assert_allclose(_numeric(form, form.outputs["h"], values, {N: 5, sp.Symbol("F", integer=True, positive=True): 2}),
                               out["h"], atol=1e-12)
    with pytest.raises(SpecError, match="pointwise stages"):
        form.gradient("h", "x")


def test_refusals_name_what_is_wrong():
    with pytest.raises(SpecError, match="not a graph description"):
        matrix_form(symrnn.cell("lstm"))
    with pytest.raises(SpecError, match="segmax_dst.*not linear"):
        matrix_form(layers.gat())
    f = matrix_form(layers.gcn())
    with pytest.raises(UnknownNameError, match="'V'"):
        f.matrix("V")
    with pytest.raises(UnknownNameError, match="not a state or output"):
        f.gradient("x", "W")
    with pytest.raises(SpecError, match="vector or parameter"):
        f.gradient("h", "gcn_norm")


def test_latex_of_faces_compiles():
    lines = [matrix_form(c).latex("h") for c in (layers.gcn(), layers.cheb(K=3), layers.sage(), layers.spectral(),
                                                  layers.polynomial(K=2))]
    assert lines[0] == r"\mathbf{H} = \hat{\mathbf{A}} \mathbf{X} \mathbf{W}^{T} + \mathbf{1} \mathbf{b}^{T}"
    body = "\n".join(rf"\[ {line} \]" for line in lines)
    assert compile_tex(document("Matrix faces", body))[:4] == b"%PDF"


def test_softmax_partial_is_derived_for_every_neighbourhood_size():
    derived, closed, diff = neighbourhood_softmax_partial()
    assert diff == 0 and softmax_backward()[2] == 0
    # and numerically at n = 4 against finite differences
    e = np.array([0.3, -1.2, 2.0, 0.5])
    soft = lambda v: np.exp(v - v.max()) / np.exp(v - v.max()).sum()  # noqa: E731
    a = soft(e)
    jac = np.array([[(soft(e + 1e-6 * np.eye(4)[l]) - soft(e - 1e-6 * np.eye(4)[l]))[j] / 2e-6
                     for l in range(4)] for j in range(4)])
    np.testing.assert_allclose(jac, np.diag(a) - np.outer(a, a), atol=1e-8)
    # the closed form is not vacuous: with the Kronecker delta dropped it differs
    j, l = sp.symbols("j l", integer=True, positive=True)
    assert sp.simplify(derived - closed.subs(sp.KroneckerDelta(j, l), 0)) != 0
