"""High-precision re-checks: a counterexample is a difference that survives 60 digits.

Float64 cannot tell a real difference of 1e-17 from round-off, nor a true
strict bound σ(a) < 1 from a float tie (σ(40) rounds to 1.0).  Every
refutation is therefore re-checked here, on the same inputs converted
exactly (a float64 is a dyadic rational, so ``mpmath.mpf(x)`` is exact) and
evaluated by the same reference interpreter (:func:`symrnn.numeric.step`) in
:data:`DIGITS`-digit arithmetic.  A difference whose relative size is below
:data:`TIE` at that precision is a tie, not a counterexample.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Mapping

import numpy as np

__all__ = ["DIGITS", "TIE", "precision", "mp_array", "run_mp", "step_mp", "max_difference", "differs", "as_float"]

DIGITS = 60
"""Decimal digits of the re-check."""

TIE = 1e-40
"""Relative differences below this, at :data:`DIGITS` digits, are round-off (a tie)."""


@contextmanager
def precision(digits: int = DIGITS):
    """mpmath's working precision for the block."""
    import mpmath

    with mpmath.workdps(digits):
        yield


def mp_array(a) -> np.ndarray:
    """An object array of ``mpmath.mpf`` holding exactly the values of ``a``.

    Examples
    --------
    >>> mp_array(np.array([0.1]))[0] == 0.1
    True
    """
    import mpmath

    a = np.asarray(a)
    if a.dtype == object:
        return np.vectorize(mpmath.mpf, otypes=[object])(a) if a.size else a.copy()
    a = np.asarray(a, dtype=np.float64)
    out = np.empty(a.shape, dtype=object)
    out.flat[:] = [mpmath.mpf(float(v)) for v in a.flat]
    return out


def as_float(a) -> np.ndarray:
    """Float64 values of an object array of mpf (for reports)."""
    a = np.asarray(a)
    return np.vectorize(float, otypes=[np.float64])(a) if a.dtype == object and a.size else np.asarray(a, dtype=float)


def step_mp(cell, params: Mapping, inputs: Mapping, prev: Mapping) -> dict:
    """One step of :func:`symrnn.numeric.step` at :data:`DIGITS` digits (inputs as float or mpf arrays)."""
    from ..numeric import step

    with precision():
        conv = lambda d: {k: mp_array(v) for k, v in d.items()}  # noqa: E731
        return step(cell, conv(params), conv(inputs), conv(prev))


def run_mp(cell, params: Mapping, xs: Mapping, initial: Mapping | None = None, operators=None) -> list[dict]:
    """Every step's values of ``cell`` over ``xs`` (T, B, n), at :data:`DIGITS` digits.

    Missing initial states start at zero.  Returns the per-step value dicts
    (states, intermediates and the output under the state's name).  A graph
    description takes its ``operators`` (rows are then nodes, edges …).
    """
    from ..numeric import step
    from ..numeric.params import vector_sizes

    with precision():
        p = {k: mp_array(v) for k, v in params.items()}
        T, B = next(iter(xs.values())).shape[:2]
        state = {}
        for d in cell.states:
            if initial and d.name in initial:
                state[d.name] = mp_array(initial[d.name])
            else:
                sizes = _sizes_from(cell, params, xs)
                state[d.name] = mp_array(np.zeros((B, vector_sizes(cell, sizes)[d.name])))
        trace = []
        for t in range(T):
            vals = step(cell, p, {k: mp_array(v[t]) for k, v in xs.items()}, state, operators=operators)
            state = {d.name: vals[d.name] for d in cell.states}
            trace.append(vals)
        return trace


def _sizes_from(cell, params, xs) -> dict:
    import sympy as sp

    known = {}
    for name, arr in list(params.items()) + [(k, np.asarray(v)[0, 0]) for k, v in xs.items()]:
        for sym, n in zip(cell.declared[name][1].shape, np.shape(arr)):
            if isinstance(sym, sp.Symbol):
                known[sym.name] = int(n)
    return known


def max_difference(a, b):
    """``(max |a − b|, max |a − b| / (1 + max |b|))`` as mpf (or float) numbers."""
    import mpmath

    with precision():
        a, b = mp_array(a), mp_array(b)
        if a.shape != b.shape:
            return mpmath.inf, mpmath.inf
        if not a.size:
            return mpmath.mpf(0), mpmath.mpf(0)
        diff = max(abs(x - y) for x, y in zip(a.flat, b.flat))
        scale = 1 + max(abs(y) for y in b.flat)
        return diff, diff / scale


def differs(a, b) -> bool:
    """Whether ``a`` and ``b`` differ by more than a tie at :data:`DIGITS` digits."""
    return max_difference(a, b)[1] > TIE
