"""Gradient flow: products of derived Jacobians vs finite differences, the derived bound, the figure."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

import symrnn
from symrnn.derive import forward_values, gradient_norms, jacobian_bound, state_jacobian
from test_derive_support import fd_jacobian, point, rel_err


def _run_from(cell, params, xs, start, k0, h0):
    """h_T when the output state at step k0 is replaced by h0 (other states kept)."""
    state = dict(start[k0])
    state[cell.output] = h0
    for t in range(k0, len(xs["x"])):
        v = forward_values(cell, params, {"x": xs["x"][t]}, state)
        state = {s: v[s] for s in cell.state_names}
    return state[cell.output]


@pytest.mark.parametrize("name", ["rnn", "lstm", "gru_reset_before", "lstm_full_recurrence"])
def test_product_of_jacobians_matches_finite_differences(name):
    cell = symrnn.cell(name)
    T = 4
    params, xs, init = point(cell, seed=6, T=T)
    starts, state = [], dict(init)
    for t in range(T):
        starts.append(state)
        v = forward_values(cell, params, {"x": xs["x"][t]}, state)
        state = {s: v[s] for s in cell.state_names}
    norms = gradient_norms(cell, params, xs, init)
    for k in range(1, T + 1):
        fd = fd_jacobian(lambda h0: _run_from(cell, params, xs, starts, T - k, h0), starts[T - k][cell.output])
        assert abs(norms[k - 1] - np.linalg.norm(fd, 2)) <= 1e-7 * max(1.0, np.linalg.norm(fd, 2)), k


def test_state_jacobian_blocks():
    lstm = symrnn.cell("lstm")
    params, xs, prev = point(lstm, seed=2)
    v = forward_values(lstm, params, xs, prev)
    J = state_jacobian(lstm, v)
    H = len(prev["h"])
    assert np.allclose(J[H:, H:], np.diag(v["f"]))  # the cell path Diag(f_t)


def test_simple_rnn_bound_is_derived():
    rnn = symrnn.cell("rnn")
    b = jacobian_bound(rnn)
    h = rnn.unit("h")
    assert b.terms == ((1 - h**2, 1, "U"),)
    assert b.ranges == (("h", sp.Interval.open(-1, 1)),)
    assert jacobian_bound(symrnn.cell("rnn", activation="relu")).factor == {"U": 1}
    assert jacobian_bound(symrnn.cell("lstm")) is None  # several states: no single-matrix bound
    rng = np.random.default_rng(0)
    for seed in range(5):  # the inequality holds where it is evaluated
        params, xs, prev = point(rnn, seed=seed)
        params["U"] *= rng.uniform(0.5, 3.0)
        J = state_jacobian(rnn, forward_values(rnn, params, xs, prev))
        assert np.linalg.norm(J, 2) <= np.linalg.norm(params["U"], 2) + 1e-12


def test_bound_for_a_custom_activation_range():
    b = symrnn.CellBuilder("sig_rnn")
    D, H = b.sizes("D H")
    x, h = b.input("x", D), b.state("h", H)
    b.update("h", symrnn.sigmoid(b.param("W", H, D) @ x + b.param("U", H, H) @ h))
    bound = jacobian_bound(b.build())
    assert bound.factor == {"U": sp.Rational(1, 4)}  # sup σ' = 1/4, derived from σ ∈ (0, 1)


def test_figure_is_written(tmp_path):
    from symrnn.derive import vanishing_gradient_figure

    out = tmp_path / "flow.png"
    fig = vanishing_gradient_figure(out, hidden=4, inputs=2, steps=6)
    assert out.read_bytes()[:4] == b"\x89PNG"
    assert len(fig.axes[0].lines) == 4
    rnn_curve = fig.axes[0].lines[0].get_ydata()
    assert rnn_curve[-1] < rnn_curve[0]
