"""Per-unit SymPy expressions as scalar code for numba: one table, checked at import.

The NumPy printer (:func:`symrnn.codegen.printer.to_source`) already prints a
pointwise expression with the function table's spellings
(:data:`~symrnn.spec.symbols.FUNCTIONS`: ``_sigmoid``, ``_np.tanh`` …); here
each spelling resolves to a *scalar* function numba compiles (:data:`SCALAR`),
and every table row must have one (checked at import, as the NumPy printer
checks its runtime); tanh, exp and σ are the vectorisable ones of :mod:`.mathfns`
(σ the NumPy path's stable form: e = e^{-|a|}, 1/(1+e) or e/(1+e) by sign); the
activation groups compute σ from the pre-scaled a/2 as 0.5 + 0.5 tanh(a/2),
exactly as :mod:`symrnn.codegen.forward`.

Constants print as ``_K(0.5)`` where ``_K`` is the kernel's dtype, so float32
code computes in float32 (a bare ``0.5`` would promote every unit to float64).
"""

from __future__ import annotations

import math
import re

import numpy as np
from numba import njit

from ...spec.symbols import FUNCTIONS
from ..printer import cheapest, to_source

__all__ = ["SCALAR", "VECTORISED", "SPAN", "imports", "span_function", "scalar_source", "GROUP_FORM"]


@njit(cache=True, inline="always", error_model="numpy")
def _relu(a):
    return a if a > 0 else a * 0


@njit(cache=True, inline="always", error_model="numpy")
def _heaviside(a):
    return (a - a + 1) if a > 0 else a * 0


@njit(cache=True, inline="always", error_model="numpy")
def _softplus(a):
    return max(a, a * 0) + math.log1p(math.exp(-abs(a)))


@njit(cache=True, inline="always", error_model="numpy")
def _leaky_relu(a, s):
    return a if a > 0 else s * a


SCALAR = {"_relu": _relu, "_heaviside": _heaviside, "_softplus": _softplus,
          "_leaky_relu": _leaky_relu}
"""Underscore spellings of the function table -> their scalar numba function (``_np.*`` is NumPy's own)."""

VECTORISED = {"_np.tanh": "_tanh", "_np.exp": "_exp", "_sigmoid": "_sigmoid"}
"""Spellings replaced by the vectorisable functions of :mod:`.mathfns` (imported per dtype)."""


SPAN = {"tanh": "_span_tanh", "exp": "_span_exp", "sigmoid": "_span_sigmoid", "sigmoid_half": "_span_sigmoid_half"}
"""Function-table name -> the block function (:data:`~.mathfns.SPANS`) a kernel calls for a whole stage ``y = F(a)``."""


def imports(dtype_name: str) -> list[str]:
    """The import lines of a generated module for these functions (``tanh32 as _tanh`` …)."""
    bits = 32 if dtype_name == "float32" else 64
    fast = ", ".join(f"{v[1:]}{bits} as {v}" for v in VECTORISED.values())
    spans = ", ".join(f"span_{f}{bits} as {v}" for f, v in SPAN.items())
    return [f"from symrnn.codegen.fast.scalar import {', '.join(SCALAR)}",
            f"from symrnn.codegen.fast.mathfns import {fast}", f"from symrnn.codegen.fast.mathfns import {spans}"]


def span_function(expr):
    """The :data:`SPAN` function of a stage that is one application ``F(arg)`` (None otherwise).

    Examples
    --------
    >>> import symrnn
    >>> c = symrnn.Vec("c", 3)
    >>> span_function(symrnn.tanh(c)), span_function(1 - c)
    ('tanh', None)
    """
    row = FUNCTIONS.get(type(expr))
    return row.name if row is not None and row.arity == 1 and row.name in SPAN else None

GROUP_FORM = {"sigmoid": "_K(0.5) + _K(0.5) * _tanh({})", "tanh": "_tanh({})", "relu": "_relu({})",
              "exp": "_exp({})"}
"""An activation group's F on one unit; σ reads the pre-scaled a/2 (see :func:`symrnn.codegen.forward.half`)."""


def _check():
    from ..printer import _NUMPY

    for f, spelling in _NUMPY.items():
        head, _, attr = spelling.partition(".")
        ok = spelling in VECTORISED or (head == "_np" and callable(getattr(np, attr, None))) or spelling in SCALAR
        if not ok:
            raise ImportError(f"activation {FUNCTIONS[f].name!r}: spelling {spelling!r} has no scalar numba function")


_check()

_NUMBER = re.compile(r"(?<![\w.])(\d+\.\d*(?:e[-+]?\d+)?|\d+e[-+]?\d+)")


def scalar_source(expr, names, *, collect: bool = True) -> str:
    """Scalar source of a per-unit expression, constants in the kernel's dtype ``_K``.

    Examples
    --------
    >>> import symrnn
    >>> h, n, z = (symrnn.Vec(s, 3) for s in ("h_prev", "n", "z"))
    >>> scalar_source(h * z + n * (1 - z), {"h_prev": "_v_h", "n": "_v_n", "z": "_v_z"})
    '_v_n + (_v_h - _v_n)*_v_z'
    >>> scalar_source(1 - z**2, {"z": "_v_z"})
    '_K(1.0) - _v_z**2'
    """
    src = to_source(cheapest(expr) if collect else expr, names)
    for spelling, fast in VECTORISED.items():
        src = src.replace(spelling + "(", fast + "(")
    return _NUMBER.sub(lambda m: f"_K({m.group(1)})", src)
