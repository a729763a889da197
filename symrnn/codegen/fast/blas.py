"""Matrix products inside compiled code: SciPy's BLAS ``gemm`` as a symbol numba can call and cache.

``np.dot`` in numba needs contiguous operands and cannot accumulate (``beta = 1``)
or address a column block of a wider buffer; BLAS itself can, through its
leading dimensions.  So the generated kernels call ``gemm`` directly:
SciPy's ``scipy.linalg.cython_blas`` exports it as a C function (the capsule
numba itself uses), registered here with LLVM under a fixed symbol name
(``llvmlite.binding.add_symbol``) and declared to numba as an external
function.  A cached kernel refers to the symbol by name, so it links again in
a new process (a raw function address would not survive one).

:func:`mm` is the row-major product every generated kernel calls::

    C[m, n] = alpha * op(A)[m, k] @ op(B)[k, n] + beta * C

with ``op`` a transpose when ``ta``/``tb`` is true and each operand given as
an address and a leading dimension (a row stride in elements), so
``P[t][:, lo:hi]`` is ``P``'s address plus ``(t*B*NL + lo)`` elements with
leading dimension ``NL``.  Fortran's column-major ``gemm`` computes the
row-major product with its operands swapped (Cᵀ = op(B)ᵀ op(A)ᵀ).
"""

from __future__ import annotations

import ctypes

import llvmlite.binding as llvm
import numpy as np
import scipy.linalg.cython_blas as cython_blas
from numba import njit, types

__all__ = ["SYMBOLS", "mm", "workspace"]

SYMBOLS = {"float64": "symrnn_fast_dgemm", "float32": "symrnn_fast_sgemm"}
"""dtype name -> the LLVM symbol of its ``gemm``."""


def _capsule_address(capsule) -> int:
    get_name = ctypes.pythonapi.PyCapsule_GetName
    get_name.restype, get_name.argtypes = ctypes.c_char_p, [ctypes.py_object]
    get = ctypes.pythonapi.PyCapsule_GetPointer
    get.restype, get.argtypes = ctypes.c_void_p, [ctypes.py_object, ctypes.c_char_p]
    return get(capsule, get_name(capsule))


for _dt, _symbol in SYMBOLS.items():
    llvm.add_symbol(_symbol, _capsule_address(cython_blas.__pyx_capi__["dgemm" if _dt == "float64" else "sgemm"]))

_vp = types.voidptr
_dgemm = types.ExternalFunction(SYMBOLS["float64"], types.void(*[_vp] * 13))
_sgemm = types.ExternalFunction(SYMBOLS["float32"], types.void(*[_vp] * 13))


def workspace(dtype):
    """Scratch for :func:`mm`'s by-reference arguments: 6 int32 sizes, 2 flags, alpha and beta.

    Examples
    --------
    >>> [a.dtype.name for a in workspace(np.float32)]
    ['int32', 'uint8', 'float32']
    """
    return np.empty(6, np.int32), np.empty(2, np.uint8), np.empty(2, dtype)


@njit(cache=True)
def mm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, ints, flags, scalars):
    """Row-major ``C = alpha op(A) op(B) + beta C`` (addresses ``a``, ``b``, ``c``; see the module docstring).

    Examples
    --------
    >>> A, B, C = np.arange(6.0).reshape(2, 3), np.ones((4, 3)), np.ones((2, 4))
    >>> ints, flags, scalars = workspace(np.float64)
    >>> mm(False, True, 2, 4, 3, 1.0, A.ctypes.data, 3, B.ctypes.data, 3, 1.0, C.ctypes.data, 4, ints, flags, scalars)
    >>> C[:, 0].tolist()
    [4.0, 13.0]
    """
    flags[0] = 84 if tb else 78  # 'T' / 'N': Fortran sees Bᵀ first
    flags[1] = 84 if ta else 78
    ints[0], ints[1], ints[2], ints[3], ints[4], ints[5] = n, m, k, ldb, lda, ldc
    scalars[0], scalars[1] = alpha, beta
    f, i, s = flags.ctypes.data, ints.ctypes.data, scalars.ctypes.data
    w = scalars.itemsize
    if w == 8:
        _dgemm(f, f + 1, i, i + 4, i + 8, s, b, i + 12, a, i + 16, s + w, c, i + 20)
    else:
        _sgemm(f, f + 1, i, i + 4, i + 8, s, b, i + 12, a, i + 16, s + w, c, i + 20)
