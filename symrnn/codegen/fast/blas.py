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
import glob
import os

import llvmlite.binding as llvm
import numpy as np
import scipy
import scipy.linalg.cython_blas as cython_blas
from numba import cfunc, njit, types

__all__ = ["SYMBOLS", "SMALL", "mm", "workspace", "local_threads"]

SMALL = 1 << 20
"""Per-step products of fewer multiply-adds than this run on one BLAS thread (see :func:`local_threads`)."""

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

@cfunc(types.int32(types.int32))
def _no_threads(n):  # a BLAS whose thread count cannot be set: keep it (0 = unknown)
    return 0


def _thread_functions() -> tuple[int, int]:
    """Addresses of SciPy's OpenBLAS ``set_num_threads`` and ``get_num_threads`` (else two no-ops)."""
    here = os.path.dirname(scipy.__file__)
    for path in sorted(glob.glob(os.path.join(here, os.pardir, "scipy.libs", "libscipy_openblas*"))
                       + glob.glob(os.path.join(here, ".dylibs", "libscipy_openblas*"))):
        try:
            lib = ctypes.CDLL(path)
            return tuple(ctypes.cast(getattr(lib, f"scipy_openblas_{f}_num_threads"), ctypes.c_void_p).value
                         for f in ("set", "get"))
        except (OSError, AttributeError):
            continue
    return _no_threads.address, _no_threads.address


for _name, _address in zip(("set", "get"), _thread_functions()):
    llvm.add_symbol(f"symrnn_fast_blas_{_name}_threads", _address)
_set_threads = types.ExternalFunction("symrnn_fast_blas_set_threads", types.void(types.int32))
_get_threads = types.ExternalFunction("symrnn_fast_blas_get_threads", types.int32())


@njit(cache=True)
def local_threads(n):
    """Set the BLAS thread count to ``n`` and return the previous one (0: unknown, nothing set).

    The products of one step are small at small H (64 × 128 × 32 for an LSTM at H = 32):
    OpenBLAS splits them over its threads, whose start and spin cost more than the
    product.  Measured here (LSTM, H = 32, T = 100, B = 64, float32, forward): 7.0 ms
    with OpenBLAS's threads, 2.2 ms on one (``OPENBLAS_NUM_THREADS=1``); its thread-local
    ``openblas_set_num_threads_local`` did not change the per-call split, the global
    setting does, but raising it again between the step loop and the products over
    all T·B rows cost more (backward 9.3 ms against 3.6-4.2 ms on one thread).  So a
    compiled kernel whose largest per-step product has fewer than :data:`SMALL`
    multiply-adds runs entirely on one thread and restores the count when it returns
    (another thread's SciPy BLAS calls meanwhile also run on one thread).
    """
    old = _get_threads()
    if old > 0:
        _set_threads(n)
    return old


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
