"""The compiled backend's vectorisable exp, tanh and σ against NumPy over the whole finite range, in ulps."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("numba")

from numba import njit  # noqa: E402

from symrnn.codegen.fast import mathfns  # noqa: E402
from symrnn.spec.faces import _stable_sigmoid  # noqa: E402


def _elementwise(f):
    @njit(error_model="numpy")
    def run(a, out):
        for i in range(a.shape[0]):
            out[i] = f(a[i])

    return run


def _points(dtype):
    rng = np.random.default_rng(0)
    scales = (1e-30, 1e-6, 0.3, 0.62, 1.0, 5.0, 30.0, 300.0, 1e4, 1e30)
    a = np.concatenate([rng.standard_normal(20_000) * s for s in scales])
    edges = [0.0, -0.0, 0.625, -0.625, 708.0, -708.0, 709.7, 709.79, -745.0, -746.0, 88.7, 88.73, -87.5, -104.0]
    return np.concatenate([a, edges]).astype(dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name,reference", [("exp", np.exp), ("tanh", np.tanh), ("sigmoid", _stable_sigmoid)])
def test_within_four_ulps_of_numpy_and_the_same_infinities(name, reference, dtype):
    bits = np.finfo(dtype).bits
    a = _points(dtype)
    out = np.empty_like(a)
    _elementwise(getattr(mathfns, f"{name}{bits}"))(a, out)
    with np.errstate(over="ignore", under="ignore"):
        want = reference(a).astype(dtype)
    assert out.dtype == dtype
    assert np.array_equal(np.isinf(out), np.isinf(want)) and not np.isnan(out).any()
    normal = np.isfinite(want) & (np.abs(want) >= np.finfo(dtype).tiny)
    ulps = np.abs(out[normal] - want[normal]) / np.spacing(np.abs(want[normal]))
    assert ulps.max() <= 4, (name, float(ulps.max()))
    tiny = np.isfinite(want) & ~normal  # gradual underflow: within the smallest normal
    assert np.abs(out[tiny] - want[tiny]).max(initial=0) <= np.finfo(dtype).tiny


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", ["tanh", "exp", "sigmoid", "sigmoid_half"])
def test_block_functions_change_exactly_their_block(name, dtype):
    """A block function (what a kernel calls for y = F(a)) writes rows × n units at stride ld, nothing else."""
    import ctypes

    f = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_int64, ctypes.c_int64, ctypes.c_int64)(
        mathfns.SPANS[name, np.dtype(dtype).name].address)
    a = np.random.default_rng(1).standard_normal((5, 9)).astype(dtype) * 4
    want = a.copy()
    block = want[1:4, 2:7]
    with np.errstate(over="ignore"):
        block[...] = {"tanh": np.tanh, "exp": np.exp, "sigmoid": _stable_sigmoid,
                      "sigmoid_half": lambda x: 0.5 + 0.5 * np.tanh(x)}[name](block)
    f(a.ctypes.data + (9 + 2) * a.itemsize, 3, 5, 9)
    atol = np.finfo(dtype).eps if name == "sigmoid_half" else 0  # ½ + ½ tanh: exact to an ulp of 1, absolute
    np.testing.assert_allclose(a, want, rtol=4 * np.finfo(dtype).eps, atol=atol)
