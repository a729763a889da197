"""σ is accurate to a few ulps *relative* everywhere (a link-prediction loss takes log σ and log(1 − σ)):
the function table's NumPy face, the generated kernels' runtime and the reference all use one function,
checked against mpmath at 50 digits and against torch.sigmoid."""

from __future__ import annotations

import warnings

import mpmath
import numpy as np
import pytest
import torch

from symrnn.codegen.runtime import RUNTIME
from symrnn.numeric import stable_sigmoid
from symrnn.spec.symbols import FUNCTIONS, sigmoid


def _exact(a: float) -> float:
    with mpmath.workdps(50):
        return float(1 / (1 + mpmath.exp(-mpmath.mpf(a))))


@pytest.mark.parametrize("face", ["runtime", "table", "reference"])
def test_relative_error_is_a_few_ulps_from_minus_700_to_700(face):
    f = {"runtime": RUNTIME["_sigmoid"], "table": FUNCTIONS[sigmoid].numeric, "reference": stable_sigmoid}[face]
    a = np.concatenate([np.linspace(-700, 700, 2801), [-40.0, -35.0, -30.0, 0.0, 1e-300, -1e-300]])
    got = f(a)
    exact = np.array([_exact(v) for v in a])
    rel = np.abs(got - exact) / exact
    assert rel.max() < 4 * np.finfo(float).eps, a[np.argmax(rel)]
    assert float(f(np.array(-40.0))) > 0  # 0.5 (1 + tanh(−20)) is exactly 0


def test_equals_torch_and_keeps_dtype_out_and_silence():
    rng = np.random.default_rng(0)
    a = rng.normal(size=20000) * 30
    t = torch.sigmoid(torch.tensor(a)).numpy()
    assert np.max(np.abs(RUNTIME["_sigmoid"](a) - t) / t) < 4 * np.finfo(float).eps
    a32 = a.astype(np.float32)
    assert RUNTIME["_sigmoid"](a32).dtype == np.float32
    out = np.empty_like(a)
    assert RUNTIME["_sigmoid"](a, out=out) is out and np.array_equal(out, RUNTIME["_sigmoid"](a))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_array_equal(RUNTIME["_sigmoid"](np.array([1e4, -1e4, 0.0])), [1.0, 0.0, 0.5])


def test_log_of_a_small_probability_is_right():
    """log σ(−35) = −35 − log(1 + e^{−35}); with the tanh form it was log(0) or off by 1e-2."""
    p = RUNTIME["_sigmoid"](np.array([-35.0, -30.0]))
    np.testing.assert_allclose(np.log(p), [-35.0 - np.log1p(np.exp(-35.0)), -30.0 - np.log1p(np.exp(-30.0))],
                               rtol=1e-15)
