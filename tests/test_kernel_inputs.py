"""Numeric stability at extreme pre-activations and errors for bad input, before any work."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import symrnn
from symrnn.errors import InputError


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", ["lstm", "gru_reset_after", "gru_reset_before", "lstm_peephole", "rnn"])
def test_pre_activations_of_1e4_give_no_warning_nan_or_inf(name, dtype, backend):
    cell = symrnn.cell(name)
    k = symrnn.compile(cell, D=2, H=3, dtype=dtype, backend=backend)
    k.params = {n: np.full(v.shape, 1.0, dtype) for n, v in k.params.items()}
    xs = np.empty((4, 2, 2), dtype)
    xs[::2], xs[1::2] = 5e3, -5e3  # |pre-activation| up to 1e4 and beyond
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        out, final, tape = k.forward(xs)
        grads = k.backward(tape, np.ones_like(out), {s: np.ones_like(v) for s, v in final.items()})
    assert out.dtype == dtype and np.isfinite(out).all()
    assert all(np.isfinite(g).all() and g.dtype == dtype for g in grads.values())


def test_float32_agrees_with_float64():
    cell = symrnn.cell("lstm")
    k64 = symrnn.compile(cell, D=3, H=4)
    k32 = symrnn.compile(cell, D=3, H=4, dtype=np.float32, params=k64.params)
    xs = np.random.default_rng(0).standard_normal((6, 2, 3))
    out64, _, t64 = k64.forward(xs)
    out32, _, t32 = k32.forward(xs.astype(np.float32))
    np.testing.assert_allclose(out32, out64, atol=1e-5)
    g64, g32 = k64.backward(t64, np.ones_like(out64)), k32.backward(t32, np.ones_like(out32))
    np.testing.assert_allclose(g32["U_g"], g64["U_g"], atol=1e-4)


@pytest.fixture
def kernel(backend):
    return symrnn.compile(symrnn.cell("lstm"), D=3, H=4, backend=backend)


BAD_FORWARD = [
    (dict(xs=np.zeros((5, 2, 4))), "shape"),
    (dict(xs=np.zeros((5, 3))), "shape"),
    (dict(xs=np.zeros((5, 2, 3), np.float32)), "dtype"),
    (dict(xs=np.zeros((5, 2, 3), int)), "dtype"),
    (dict(xs=np.full((5, 2, 3), np.nan)), "NaN"),
    (dict(xs=[[[0.0] * 3] * 2] * 5), "numpy array"),
    (dict(xs=np.zeros((5, 2, 3)), initial={"h": np.zeros((1, 4))}), "initial['h']"),
    (dict(xs=np.zeros((5, 2, 3)), initial={"q": np.zeros((2, 4))}), "unexpected states"),
    (dict(xs=np.zeros((5, 2, 3)), initial={"c": np.full((2, 4), np.inf)}), "infinite"),
    (dict(xs=np.zeros((5, 2, 3)), lengths=np.array([6, 1])), "lengths"),
    (dict(xs=np.zeros((5, 2, 3)), lengths=np.array([0, 1])), "lengths"),
    (dict(xs=np.zeros((5, 2, 3)), lengths=np.array([1, 2, 3])), "lengths"),
    (dict(xs=np.zeros((5, 2, 3)), lengths=np.array([1.0, 2.0])), "lengths"),
    (dict(xs={"y": np.zeros((5, 2, 3))}), "unexpected"),
]


@pytest.mark.parametrize("kwargs,words", BAD_FORWARD)
def test_bad_forward_input_raises_a_clear_error(kernel, kwargs, words):
    with pytest.raises(InputError, match=words.replace("[", r"\[").replace("]", r"\]")):
        kernel.forward(**kwargs)


def test_bad_params_raise(kernel):
    p = dict(kernel.params)
    with pytest.raises(InputError, match=r"missing \['b_o'\]"):
        kernel.params = {k: v for k, v in p.items() if k != "b_o"}
    with pytest.raises(InputError, match=r"unexpected \['extra'\]"):
        kernel.params = {**p, "extra": np.zeros(3)}
    with pytest.raises(InputError, match="shape"):
        kernel.params = {**p, "W_i": np.zeros((3, 4))}
    with pytest.raises(InputError, match="floating"):
        kernel.params = {**p, "b_i": np.zeros(4, int)}
    assert kernel.params["W_i"].shape == (4, 3)  # unchanged after refusals


def test_bad_backward_input_raises(kernel):
    out, _, tape = kernel.forward(np.zeros((5, 2, 3)))
    with pytest.raises(InputError, match="d_outputs"):
        kernel.backward(tape, np.zeros((5, 2, 3)))
    with pytest.raises(InputError, match="tape"):
        kernel.backward("tape", out)
    with pytest.raises(InputError, match="d_final"):
        kernel.backward(tape, out, {"h": np.zeros((2, 5))})


def test_bad_sizes_and_dtype_raise():
    with pytest.raises(InputError, match="not given"):
        symrnn.compile(symrnn.cell("lstm"), D=3)
    with pytest.raises(InputError, match="not a size"):
        symrnn.compile(symrnn.cell("lstm"), D=3, H=2, K=4)
    with pytest.raises(InputError, match="positive integer"):
        symrnn.compile(symrnn.cell("lstm"), D=3, H=0)
    with pytest.raises(InputError, match="dtype"):
        symrnn.compile(symrnn.cell("lstm"), D=3, H=2, dtype=np.float16)
