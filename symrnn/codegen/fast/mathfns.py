"""exp, tanh and σ that LLVM can vectorise: arithmetic and a bit cast, no call to libm.

numba's ``math.tanh`` calls libm per unit: measured here 22 ns per float32 unit
against NumPy's SIMD ``np.tanh`` at 0.4 ns (exp: 3.1 vs 0.5 ns), which made a
compiled LSTM at H = 32 three times slower than the NumPy kernels.  LLVM only
vectorises a loop without calls (numba's SVML route needs conda's patched
LLVM).  So these are the Cephes algorithms written out:

* exp: n = round(x log₂e), r = x − n ln 2 (two-part ln 2), a Padé form
  (float64) or a degree-5 polynomial (float32) on |r| ≤ ln2/2, times 2ⁿ as
  two normal powers of two built by bit casts of the exponent field (so exp
  underflows gradually to 0), and exp(x) = inf above the overflow bound as libm;
* tanh: x + x·z·P(z)/Q(z) (z = x²) for |x| < 0.625, else (1 − t)/(1 + t) with
  t = e^{−2|x|} ≤ 1 (no overflow for any finite x), the sign restored;
* σ(a) = 1/(1 + e) or e/(1 + e) with e = e^{−|a|}, as the NumPy path.

Each agrees with NumPy to a few ulps over the whole finite range
(``tests/test_fast_math.py``).  Two versions per function, float32 constants
for float32 code (float64 ones would promote every unit).

Inlined into a kernel, each tanh cost numba about 1.5-2 s of first compile
(measured: an LSTM forward 5.5 s with its two, 1.6 s with one removed).  So the
kernels call them through :data:`SPANS`: C functions compiled once (and cached
with this package) that apply one function in place to a block of rows; a
kernel calls one by address, which LLVM cannot inline, so the function's code
is compiled once, not once per use.
"""

from __future__ import annotations

import llvmlite.binding as llvm
import numpy as np
from llvmlite import ir
from numba import carray, cfunc, njit, types
from numba.extending import intrinsic

__all__ = ["exp64", "tanh64", "sigmoid64", "exp32", "tanh32", "sigmoid32", "SPANS"]


@intrinsic
def _bits_to_f64(typingctx, i):
    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.DoubleType())

    return types.float64(types.int64), codegen


@intrinsic
def _bits_to_f32(typingctx, i):
    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.FloatType())

    return types.float32(types.int32), codegen


_P0, _P1, _P2 = 1.26177193074810590878e-4, 3.02994407707441961300e-2, 9.99999999999999999910e-1
_Q0, _Q1, _Q2, _Q3 = 3.00198505138664455042e-6, 2.52448340349684104192e-3, 2.27265548208155028766e-1, 2.0
_TP0, _TP1, _TP2 = -9.64399179425052238628e-1, -9.92877231001918586564e1, -1.61468768441708447952e3
_TQ0, _TQ1, _TQ2 = 1.12811678491632931402e2, 2.23548839060100448583e3, 4.84406305325125486048e3


@njit(cache=True, inline="always", error_model="numpy")
def exp64(x):
    big = x > 709.782712893384
    x = min(max(x, -746.0), 709.79)
    n = np.floor(x * 1.4426950408889634 + 0.5)
    r = x - n * 6.93145751953125e-1 - n * 1.42860682030941723212e-6
    rr = r * r
    px = r * ((_P0 * rr + _P1) * rr + _P2)
    e = 1.0 + 2.0 * (px / ((((_Q0 * rr + _Q1) * rr + _Q2) * rr + _Q3) - px))
    k = np.int64(n)
    h = k >> 1  # 2ⁿ = 2ʰ 2ⁿ⁻ʰ, both normal: exp underflows gradually to 0 as libm's
    e = e * _bits_to_f64((h + 1023) << 52) * _bits_to_f64((k - h + 1023) << 52)
    return np.inf if big else e


@njit(cache=True, inline="always", error_model="numpy")
def tanh64(x):
    a = abs(x)
    z = x * x
    small = x + x * z * (((_TP0 * z + _TP1) * z + _TP2) / (((z + _TQ0) * z + _TQ1) * z + _TQ2))
    t = exp64(-2.0 * a)
    large = (1.0 - t) / (1.0 + t)
    return small if a < 0.625 else (large if x > 0 else -large)


@njit(cache=True, inline="always", error_model="numpy")
def sigmoid64(a):
    e = exp64(-abs(a))
    return 1.0 / (1.0 + e) if a >= 0 else e / (1.0 + e)


_f = np.float32
_E = tuple(_f(c) for c in (1.9875691500e-4, 1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2,
                           1.6666665459e-1, 5.0000001201e-1))
_E0, _E1, _E2, _E3, _E4, _E5 = _E
_T = tuple(_f(c) for c in (-5.70498872745e-3, 2.06390887954e-2, -5.37397155531e-2, 1.33314422036e-1,
                           -3.33332819422e-1))
_T0, _T1, _T2, _T3, _T4 = _T
_LOG2E, _C1, _C2 = _f(1.44269504088896341), _f(0.693359375), _f(-2.12194440e-4)
_LO, _HI, _BIG = _f(-104.0), _f(88.75), _f(88.72283905206835)
_ONE, _TWO, _HALF, _ZERO, _SMALL, _INF = _f(1), _f(2), _f(0.5), _f(0), _f(0.625), _f(np.inf)


@njit(cache=True, inline="always", error_model="numpy")
def exp32(x):
    big = x > _BIG
    x = min(max(x, _LO), _HI)
    n = np.floor(x * _LOG2E + _HALF)
    r = x - n * _C1 - n * _C2
    rr = r * r
    p = (((((_E0 * r + _E1) * r + _E2) * r + _E3) * r + _E4) * r + _E5) * rr + r + _ONE
    k = np.int32(n)
    h = k >> np.int32(1)
    e = p * _bits_to_f32((h + np.int32(127)) << np.int32(23)) * _bits_to_f32((k - h + np.int32(127)) << np.int32(23))
    return _INF if big else e


@njit(cache=True, inline="always", error_model="numpy")
def tanh32(x):
    a = abs(x)
    z = x * x
    small = ((((_T0 * z + _T1) * z + _T2) * z + _T3) * z + _T4) * z * x + x
    t = exp32(-_TWO * a)
    large = (_ONE - t) / (_ONE + t)
    return small if a < _SMALL else (large if x > _ZERO else -large)


@njit(cache=True, inline="always", error_model="numpy")
def sigmoid32(a):
    e = exp32(-abs(a))
    return _ONE / (_ONE + e) if a >= _ZERO else e / (_ONE + e)


@njit(cache=True, inline="always", error_model="numpy")
def _sigmoid_half32(x):
    return _HALF + _HALF * tanh32(x)


@njit(cache=True, inline="always", error_model="numpy")
def _sigmoid_half64(x):
    return 0.5 + 0.5 * tanh64(x)


@njit(inline="always", error_model="numpy")
def _apply(f, a, rows, n, ld):
    """``f`` in place on ``rows`` rows of ``n`` units at row stride ``ld`` from address ``a``."""
    rows, n, ld = max(rows, 0), max(n, 0), max(ld, 0)
    if rows == 0:
        return
    block = carray(a, ((rows - 1) * ld + n,))
    for r in range(rows):
        base = r * ld
        for j in range(n):
            block[base + j] = f(block[base + j])


_S32 = types.void(types.CPointer(types.float32), types.int64, types.int64, types.int64)
_S64 = types.void(types.CPointer(types.float64), types.int64, types.int64, types.int64)
# The block functions, each a C function compiled once and cached with this package (defined at top level:
# numba caches no function made in a loop or a closure).


@cfunc(_S32, cache=True, error_model="numpy")
def _tanh_block32(a, rows, n, ld):
    _apply(tanh32, a, rows, n, ld)


@cfunc(_S64, cache=True, error_model="numpy")
def _tanh_block64(a, rows, n, ld):
    _apply(tanh64, a, rows, n, ld)


@cfunc(_S32, cache=True, error_model="numpy")
def _exp_block32(a, rows, n, ld):
    _apply(exp32, a, rows, n, ld)


@cfunc(_S64, cache=True, error_model="numpy")
def _exp_block64(a, rows, n, ld):
    _apply(exp64, a, rows, n, ld)


@cfunc(_S32, cache=True, error_model="numpy")
def _sigmoid_block32(a, rows, n, ld):
    _apply(sigmoid32, a, rows, n, ld)


@cfunc(_S64, cache=True, error_model="numpy")
def _sigmoid_block64(a, rows, n, ld):
    _apply(sigmoid64, a, rows, n, ld)


@cfunc(_S32, cache=True, error_model="numpy")
def _sigmoid_half_block32(a, rows, n, ld):
    _apply(_sigmoid_half32, a, rows, n, ld)


@cfunc(_S64, cache=True, error_model="numpy")
def _sigmoid_half_block64(a, rows, n, ld):
    _apply(_sigmoid_half64, a, rows, n, ld)


SPANS = {(name, dt): globals()[f"_{name}_block{dt[5:]}"] for name in ("tanh", "exp", "sigmoid", "sigmoid_half")
         for dt in ("float32", "float64")}
"""(function name, dtype name) -> its block C function; "sigmoid_half" is ½ + ½ tanh (of a pre-scaled a/2)."""

_SPAN_TYPE = types.void(types.voidptr, types.int64, types.int64, types.int64)
for (_name, _dt), _span in SPANS.items():
    _symbol = f"symrnn_fast_span_{_name}_{_dt}"
    llvm.add_symbol(_symbol, _span.address)
    globals()[f"span_{_name}{_dt[5:]}"] = types.ExternalFunction(_symbol, _SPAN_TYPE)  # span_tanh32 …
