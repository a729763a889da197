"""BPTT: the derived recursion and gradient sums against finite differences of a sequence loss."""

from __future__ import annotations

import numpy as np
import pytest

import symrnn
from symrnn.derive import backprop, bptt, diag, forward_values, identity, parameter_gradient
from finite_differences import central_gradient
from test_derive_support import CELL_IDS, CELLS, point, rel_err, sequence_loss, user_cell

EPS = 1e-6


def _fd(fn, arr):
    arr = np.array(arr, dtype=float)  # a copy, perturbed in place
    return central_gradient(lambda: fn(arr), arr, EPS)


def _problem(cell, T=2, seed=5):
    params, xs, init = point(cell, seed=seed, hidden=2, T=T)
    rng = np.random.default_rng(seed + 7)
    n = {s: len(init[s]) for s in cell.state_names}
    grads = {s: rng.normal(size=(T, n[s])) for s in cell.state_names}  # loss on every state
    return params, xs, init, grads


@pytest.mark.parametrize("cell", [c for _, c in CELLS], ids=CELL_IDS)
def test_bptt_gradients_match_finite_differences(cell):
    params, xs, init, g = _problem(cell)
    got = backprop(cell, params, xs, g, init)
    for name, arr in params.items():
        fd = _fd(lambda a: sequence_loss(cell, {**params, name: a}, xs, g, init), arr)
        assert rel_err(got["params"][name], fd) < 1e-6, name
    for name, arr in xs.items():
        fd = _fd(lambda a: sequence_loss(cell, params, {**xs, name: a}, g, init), arr)
        assert rel_err(got["inputs"][name], fd) < 1e-6, name
    for s, arr in init.items():
        fd = _fd(lambda a: sequence_loss(cell, params, xs, g, {**init, s: a}), arr)
        assert rel_err(got["initial"][s], fd) < 1e-6, s


def test_loss_on_the_output_only():
    lstm = symrnn.cell("lstm")
    params, xs, init, g = _problem(lstm, T=4, seed=11)
    g = {"h": g["h"]}
    got = backprop(lstm, params, xs, g, init)
    fd = _fd(lambda a: sequence_loss(lstm, {**params, "U_f": a}, xs, g, init), params["U_f"])
    assert rel_err(got["params"]["U_f"], fd) < 1e-6


def test_cell_state_path_and_constant_error_carousel():
    lstm = symrnn.cell("lstm")
    H = lstm.unit("h").size
    b = bptt(lstm)
    assert b.paths["c"] == diag(lstm.unit("f"), H)
    assert dict(b.recursion["c"])["c"] == diag(lstm.unit("f"), H)  # Diag is its own transpose
    assert bptt(symrnn.cell("lstm_no_forget")).paths["c"] == identity(H)
    assert "h" not in bptt(symrnn.cell("rnn")).paths  # h_t reads h_{t-1} only through a linear stage


def test_gradient_terms_are_the_outer_product_rule():
    rnn = symrnn.cell("rnn")
    g = parameter_gradient(rnn, "W")
    assert [(t.kind, t.stage, t.vector, t.coeff) for t in g.terms] == [("outer", "a_h", "x", 1)]
    assert [t.kind for t in parameter_gradient(rnn, "b").terms] == ["bias"]
    user = user_cell()
    assert [(t.kind, t.coeff) for t in parameter_gradient(user, "U_h").terms] == [("outer", -2)]
    w = parameter_gradient(user, "w").terms
    assert [(t.kind, t.stage) for t in w] == [("pointwise", "h")]
    peep = parameter_gradient(symrnn.cell("lstm_peephole"), "p_o").terms[0]
    c = symrnn.cell("lstm_peephole").unit("c")
    o = symrnn.cell("lstm_peephole").unit("o")
    assert peep.kind == "pointwise" and (peep.partial - c * o * (1 - o)).expand() == 0


def test_one_step_gradient_is_the_linear_functional_derivative():
    gru = symrnn.cell("gru_reset_after")
    params, xs, init, g = _problem(gru, T=1, seed=2)
    x1 = {k: v[0] for k, v in xs.items()}
    got = backprop(gru, params, xs, g, init)["params"]["b_hn"]
    fd = _fd(lambda a: float(g["h"][0] @ forward_values(gru, {**params, "b_hn": a}, x1, init)["h"]), params["b_hn"])
    assert rel_err(got, fd) < 1e-7
