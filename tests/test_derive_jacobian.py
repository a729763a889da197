"""Local Jacobians: closed forms, agreement with finite differences for every description, bad names."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

import symrnn
from symrnn.derive import diag, evaluate_jacobian, forward_values, identity, jacobian, matrix
from test_derive_support import CELL_IDS, CELLS, fd_jacobian, point, rel_err, step_fn, user_cell


def _wrts(cell):
    return [s + "_prev" for s in cell.state_names] + [d.name for d in cell.inputs]


@pytest.mark.parametrize("cell", [c for _, c in CELLS], ids=CELL_IDS)
def test_every_local_jacobian_matches_finite_differences(cell):
    params, xs, prev = point(cell, seed=3)
    values = forward_values(cell, params, xs, prev)
    for of in cell.state_names:
        for wrt in _wrts(cell):
            got = evaluate_jacobian(cell, of, wrt, values)
            x0 = prev[wrt[:-5]] if wrt.endswith("_prev") else xs[wrt]
            fd = fd_jacobian(step_fn(cell, params, xs, prev, of, wrt), x0)
            if np.abs(fd).max() < 1e-12:
                assert np.abs(got).max() == 0, (of, wrt)
                assert jacobian(cell, of, wrt).is_zero()
            else:
                assert rel_err(got, fd) < 1e-7, (of, wrt)


@pytest.mark.parametrize("hidden", [1, 2, 5])
def test_one_closed_form_serves_every_size(hidden):
    lstm = symrnn.cell("lstm")
    J = jacobian(lstm, "h", "h_prev")  # derived once, no size in it
    assert J is jacobian(lstm, "h", "h_prev")
    params, xs, prev = point(lstm, seed=hidden, hidden=hidden)
    values = forward_values(lstm, params, xs, prev)
    fd = fd_jacobian(step_fn(lstm, params, xs, prev, "h", "h_prev"), prev["h"])
    assert rel_err(evaluate_jacobian(lstm, "h", "h_prev", values), fd) < 1e-7


def test_closed_forms_of_the_classic_cells():
    rnn = symrnn.cell("rnn")
    H = rnn.unit("h").size
    h = rnn.unit("h")
    assert jacobian(rnn, "h", "h_prev") == diag(1 - h**2, H) @ matrix("U", H, H)
    lstm = symrnn.cell("lstm")
    f, o, c = (lstm.unit(n) for n in "foc")
    assert jacobian(lstm, "c", "c_prev") == diag(f, H)
    assert jacobian(lstm, "c", "c_prev").is_diag_of(f)
    assert jacobian(lstm, "h", "c") == diag(o * (1 - sp.tanh(c) ** 2), H)  # tanh' written 1 - tanh²
    assert jacobian(lstm, "i", "a_i").is_diag_of(lstm.unit("i") * (1 - lstm.unit("i")))  # σ' = σ(1 - σ)
    assert jacobian(symrnn.cell("lstm_no_forget"), "c", "c_prev") == identity(H)
    coupled = symrnn.cell("lstm_coupled")
    assert jacobian(coupled, "c", "c_prev").is_diag_of(1 - coupled.unit("i"))
    assert jacobian(lstm, "c", "x").T().shape == (lstm.unit("x").size, H)


def test_gru_jacobian_is_a_sum_of_diag_times_matrix_products():
    gru = symrnn.cell("gru_reset_after")
    J = jacobian(gru, "h", "h_prev")
    H = gru.unit("h").size
    assert diag(gru.unit("z"), H).terms[0] in J.terms  # the direct path z ⊙ h_{t-1}
    assert {t[-1].name for t in J.terms if t and hasattr(t[-1], "name")} == {"U_r", "U_z", "U_n"}
    assert all(len(t) <= 2 for t in J.terms)


def test_user_cell_jacobians_need_no_new_code():
    cell = user_cell()
    J = jacobian(cell, "h", "h_prev")
    assert not J.is_zero() and J.diagonal() is None
    assert jacobian(cell, "h", "w").is_diag_of(cell.unit("f") * cell.unit("hc"))


def test_unknown_names_list_the_valid_ones():
    lstm = symrnn.cell("lstm")
    with pytest.raises(symrnn.UnknownNameError, match=r"valid names: .*h_prev.*c_prev.*x"):
        jacobian(lstm, "h", "q")
    with pytest.raises(symrnn.UnknownNameError, match=r"valid names: .*\bh\b"):
        jacobian(lstm, "nope", "h_prev")
    with pytest.raises(symrnn.UnknownNameError, match="matrix parameter"):
        jacobian(lstm, "h", "U_f")
    with pytest.raises(symrnn.UnknownNameError, match=r"valid names: W_i, U_i, b_i"):
        symrnn.derive.parameter_gradient(lstm, "V")
    with pytest.raises(symrnn.SpecError, match="forward"):
        jacobian(symrnn.cell("bidirectional"), "fw_h", "fw_h_prev")


def test_structured_algebra_is_canonical():
    H = symrnn.sizes("H")[0]
    a, b = symrnn.Vec("a", H), symrnn.Vec("b", H)
    U, V = matrix("U", H, H), matrix("V", H, H)
    left = diag(a, H) @ U + diag(b, H) @ U
    assert left == diag(a + b, H) @ U and hash(left) == hash(diag(a + b, H) @ U)
    assert (diag(a, H) @ U).T() == U.T() @ diag(a, H)
    assert (U @ V).T() == V.T() @ U.T()
    assert (diag(a, H) - diag(a, H)).is_zero()
    assert (diag(a * (1 - a), H)).equals(diag(a - a**2, H))
    assert diag(a, H) @ U != U @ diag(a, H)
    with pytest.raises(symrnn.ShapeError):
        matrix("W", H, symrnn.sizes("D")[0]) @ matrix("W", H, symrnn.sizes("D")[0])


def test_relu_rnn_and_substituted_cells():
    relu = symrnn.cell("rnn", activation="relu")
    params, xs, prev = point(relu, seed=8)
    values = forward_values(relu, params, xs, prev)
    fd = fd_jacobian(step_fn(relu, params, xs, prev, "h", "h_prev"), prev["h"])
    assert rel_err(evaluate_jacobian(relu, "h", "h_prev", values), fd) < 1e-7
    lstm = symrnn.cell("lstm")
    assert jacobian(lstm.substitute({"f": 1}), "c", "c_prev").is_identity()  # what a proof compares
    assert jacobian(lstm.substitute({"f": 0}), "c", "c_prev").is_zero()


def test_catalogue_names_are_accepted():
    assert jacobian("lstm", "c", "c_prev") == jacobian(symrnn.cell("lstm"), "c", "c_prev")
    with pytest.raises(symrnn.UnknownNameError, match="known cells"):
        jacobian("lstmm", "c", "c_prev")


PROPERTY_CELLS = [c for i, c in CELLS if i in ("rnn", "lstm", "lstm_peephole", "gru_reset_before", "gru_reset_after", "user")]


@settings(max_examples=15)
@given(k=st.integers(0, len(PROPERTY_CELLS) - 1), hidden=st.integers(1, 4), seed=st.integers(0, 2**16))
def test_jacobian_of_the_output_matches_finite_differences_at_any_size(k, hidden, seed):
    cell = PROPERTY_CELLS[k]
    params, xs, prev = point(cell, seed=seed, hidden=hidden)
    values = forward_values(cell, params, xs, prev)
    for wrt in _wrts(cell):
        x0 = prev[wrt[:-5]] if wrt.endswith("_prev") else xs[wrt]
        fd = fd_jacobian(step_fn(cell, params, xs, prev, cell.output, wrt), x0)
        got = evaluate_jacobian(cell, cell.output, wrt, values)
        assert np.abs(got - fd).max() <= 1e-7 * max(1.0, np.abs(fd).max())
