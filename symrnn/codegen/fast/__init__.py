"""The compiled fast path: numba kernels generated from the same :class:`~symrnn.codegen.plan.Plan`.

``symrnn.compile(description, ..., backend="numba")`` (or ``"auto"``: numba when
it is importable, else NumPy) runs the forward and backward passes as compiled
functions: the whole time loop in one call, no Python per step.  The NumPy path
(:mod:`symrnn.codegen.forward`, :mod:`symrnn.codegen.backward`) stays the
readable reference and the fallback; both agree to 1e-12 in float64.

Design notes (measured on the 2-core benchmark VM while other jobs ran: rough)
-------------------------------------------------------------------------------
* Same plan, same rules: slots, groups, storage, the partials of
  :func:`~symrnn.spec.partials.pointwise_partials` with ``sympy.cse``, sigmoid
  rows pre-scaled by 0.5, the NumPy path's tape (same keys, same bytes).
  Pointwise stages over vectors of one length are fused into one loop over
  (b, j) per run (:mod:`.layout`); a value is written to memory only when
  something outside its run reads it.
* numba was chosen over writing C: it is a wheel on PyPI (llvmlite), compiles
  the generated Python text directly, and caches machine code on disk.  Two
  things had to be worked around, both measured: numba's ``math.tanh`` is a
  libm call per unit (22 ns against NumPy's 0.4 ns, so :mod:`.mathfns` writes
  exp/tanh/σ out as vectorisable arithmetic), and LLVM does not vectorise a
  loop that stores into an array it also loads at another offset, nor one
  whose index may be negative (so groups run in place, loops run over
  one-dimensional rows, sizes are clamped with ``max(z, 0)``).
* Every product is one BLAS ``gemm`` called from compiled code
  (:mod:`.blas`): the recurrent one accumulates straight into its column block
  of ``P[t]`` (``beta = 1``, leading dimension NL), the weight gradients are
  dAᵀX over all T·B rows.  All products of a kernel call, the input
  projection and the post-loop GEMMs included, go to *one* library — SciPy's
  OpenBLAS through ``scipy.linalg.cython_blas`` — so two thread pools never
  alternate within a call; NumPy's pool stays idle (its workers never import
  SciPy's BLAS into the NumPy path either).  Per-step products at H = 128
  float32: SciPy's gemm into ``P[t]`` 57 µs, NumPy's matmul + add 70 µs; the
  dAᵀX product over T·B rows 5.9 ms against NumPy's 4.7 ms.  Kernels with
  small per-step products run on one BLAS thread (:func:`.blas.local_threads`).
* Sizes are run-time values (``_z``) and names are canonical in the compiled
  text, so one compiled module serves a cell at every size and every renamed
  copy (stacked and bidirectional layers); it is cached on disk (:mod:`.cache`).
* Rough figures (T = 100, B = 64, float32, min of 20 calls, other jobs running),
  compiled / NumPy backend, fwd+bwd: LSTM H = 32 6.9 / 13.9 ms, H = 128 59 / 66 ms,
  H = 512 604 / 590 ms; GRU H = 32 4.4 / 9.0 ms, H = 128 36 / 44 ms, H = 512
  403 / 403 ms.  The backward at H = 512 is the weak part (412 against 362 ms
  for the LSTM): SciPy's gemm for dAᵀX over T·B rows measured 8-25 % slower
  than NumPy's for these shapes.  First compile of a cell in a fresh process
  with an empty cache (forward and backward): 2.7-4.6 s, the forward without
  a tape 0.9-1.7 s more on its first use; from the disk cache 0.35-0.5 s
  (importing numba ~0.8 s besides).  numba's first compile in a process also
  pays a one-time warm-up of a few seconds (an identical second function
  compiled in 3.0 s against 8.0 s for the first, on a loaded machine).  Each
  activation inlined into a fused loop cost ~1.5-2 s of compile, which is why
  stages ``y = F(a)`` call the precompiled block functions of :mod:`.mathfns`.
"""

from __future__ import annotations

import importlib.util

from ...errors import InputError

__all__ = ["BACKENDS", "available", "resolve"]

BACKENDS = ("numpy", "numba", "auto")
"""Values of ``symrnn.compile(..., backend=)``."""


def available() -> bool:
    """Whether numba (and SciPy's BLAS, which the compiled kernels call) can be imported here."""
    return importlib.util.find_spec("numba") is not None and importlib.util.find_spec("scipy") is not None


def resolve(backend) -> str:
    """The backend a kernel runs on: "numpy" or "numba" ("auto": numba when available).

    Examples
    --------
    >>> resolve("numpy")
    'numpy'
    >>> resolve("cuda")
    Traceback (most recent call last):
    ...
    symrnn.errors.InputError: backend must be one of ('numpy', 'numba', 'auto'), got 'cuda'
    """
    if not (isinstance(backend, str) and backend in BACKENDS):
        raise InputError(f"backend must be one of {BACKENDS}, got {backend!r}")
    if backend == "auto":
        return "numba" if available() else "numpy"
    if backend == "numba" and not available():
        raise InputError("backend='numba' needs numba: pip install 'symrnn[fast]' (or use backend='numpy')")
    return backend
