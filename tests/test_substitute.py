"""Substitution: degenerate cases of the study note, checked by SymPy and numerically."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from sympy.matrices.expressions import MatrixSymbol

import symrnn
from symrnn.numeric import init_params, run


def _inline(cell, target):
    """The state's per-unit expression with linear stages replaced by their matrix expressions."""
    expr = cell.equation(target).expr
    linear = {cell.unit(e.target): e.expr for e in cell.equations if e.is_linear}
    return expr, linear


def test_gru_z0_r1_equals_simple_rnn_symbolically():
    gru = symrnn.cell("gru_reset_before").substitute({"z": 0, "r": 1})
    rnn = symrnn.cell("rnn")
    assert {p.name for p in gru.params} == {"W_n", "U_n", "b_n"}
    g_expr, g_lin = _inline(gru, "h")
    r_expr, r_lin = _inline(rnn, "h")
    (g_atom, g_map), (r_atom, r_map) = g_lin.popitem(), r_lin.popitem()
    # pointwise stage: tanh of the pre-activation, per unit
    assert sp.simplify(g_expr.xreplace({g_atom: r_atom}) - r_expr) == 0
    # linear stage: the same affine map after renaming the parameters
    H, D = sp.Symbol("H", integer=True, positive=True), sp.Symbol("D", integer=True, positive=True)
    rename = {MatrixSymbol("W_n", H, D): MatrixSymbol("W", H, D), MatrixSymbol("U_n", H, H): MatrixSymbol("U", H, H),
              MatrixSymbol("b_n", H, 1): MatrixSymbol("b", H, 1)}
    assert sp.simplify((g_map.xreplace(rename) - r_map).doit()) == sp.ZeroMatrix(H, 1)


def test_gru_r1_alone_is_not_a_simple_rnn():
    gru = symrnn.cell("gru_reset_before").substitute({"r": 1})
    assert "z" in gru.equation("h").dependencies()  # z still gates the update
    assert {p.name for p in gru.params} >= {"W_z", "U_z", "b_z"}


def test_degenerate_cases_numerically(rng):
    gru = symrnn.cell("gru_reset_before")
    sizes = {"D": 3, "H": 4}
    p = init_params(gru, sizes, rng=rng, scale=0.8)
    x = rng.normal(size=(5, 2, 3))
    h0 = rng.uniform(-1, 1, size=(2, 4))
    # z = 1 copies the state
    out, final, _ = run(gru.substitute({"z": 1}), {}, x, {"h": h0})
    np.testing.assert_allclose(final["h"], h0, rtol=0, atol=0)
    # z = 0, r = 0: h_t depends on x_t only
    cut = gru.substitute({"z": 0, "r": 0})
    kept = {k: v for k, v in p.items() if k in {q.name for q in cut.params}}
    out1, _, _ = run(cut, kept, x, {"h": h0})
    out2, _, _ = run(cut, kept, x, {"h": -h0})
    np.testing.assert_allclose(out1, out2, rtol=0, atol=0)
    np.testing.assert_allclose(out1[0], np.tanh(x[0] @ p["W_n"].T + p["b_n"]), rtol=1e-14)


def test_lstm_variants_by_substitution_simplify():
    lstm = symrnn.cell("lstm")
    i = lstm.unit("i")
    coupled = lstm.substitute({"f": 1 - i})
    assert "f" not in {e.target for e in coupled.equations}
    c = coupled.unit("c_prev")
    assert sp.simplify(coupled.equation("c").expr - ((1 - i) * c + i * coupled.unit("g"))) == 0
    peep = symrnn.cell("lstm_peephole").substitute({"p_i": 0, "p_f": 0, "p_o": 0})
    assert {p.name for p in peep.params} == {p.name for p in lstm.params}
    no_act = lstm.replace_function("g", symrnn.tanh, symrnn.identity)
    assert not no_act.equation("c").expr.has(sp.tanh)


def test_zero_matrix_removes_a_term_and_its_parameter():
    rnn = symrnn.cell("rnn").substitute({"U": 0})
    assert [t.matrix for t in rnn.terms("a_h")] == ["W", None]
    assert "U" not in {p.name for p in rnn.params}


@pytest.mark.parametrize("mapping, match", [
    ({"nope": 0}, "no vector or parameter 'nope'"),
    ({"h": 0}, "state's new value"),
    ({"U_z": 1}, "matrix"),
    ({"z": "0"}, "number or a SymPy expression"),
    ({}, "non-empty"),
])
def test_bad_substitutions_raise(mapping, match):
    with pytest.raises(symrnn.SymrnnError, match=match):
        symrnn.cell("gru_reset_before").substitute(mapping)
