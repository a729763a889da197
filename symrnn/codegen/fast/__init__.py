"""The compiled fast path: numba kernels generated from the same :class:`~symrnn.codegen.plan.Plan`.

``symrnn.compile(description, ..., backend="numba")`` (or ``"auto"``: numba when
it is importable, else NumPy) runs the forward and backward passes as compiled
functions: the whole time loop in one call, no Python per step.  The NumPy path
(:mod:`symrnn.codegen.forward`, :mod:`symrnn.codegen.backward`) stays the
readable reference and the fallback; both agree to 1e-12 in float64.

Design notes
------------
* Same plan, same rules: slots, groups, storage, the partials of
  :func:`~symrnn.spec.partials.pointwise_partials` with ``sympy.cse``, sigmoid
  rows pre-scaled by 0.5.  Pointwise stages over vectors of one length are
  fused into one loop over (b, j) per run (:mod:`.layout`); a value is written
  to memory only when something outside its run reads it.
* Every product is one BLAS ``gemm`` called from compiled code
  (:mod:`.blas`): the recurrent one accumulates straight into its column block
  of ``P[t]`` (``beta = 1``, leading dimension NL), the weight gradients are
  dAᵀX over all T·B rows.  All products of a kernel call, the input
  projection and the post-loop GEMMs included, go to *one* library — SciPy's
  OpenBLAS through ``scipy.linalg.cython_blas`` — so two thread pools never
  alternate within a call (see :mod:`symrnn.codegen.forward` for what
  alternating cost).
* Sizes are run-time values (``_z``), so one compiled module serves a cell
  at every size; it is cached on disk (:mod:`.cache`).
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
