"""Concrete sizes and parameter arrays for a description.

Layout (the convention of every numeric part of symrnn): a matrix parameter
declared ``(rows, cols)`` is a NumPy array of that shape (PyTorch's
``weight_ih`` layout, ``W @ x``); a vector parameter is ``(n,)``; a batch of
vectors is ``(B, n)``; a sequence is ``(T, B, n)``.
"""

from __future__ import annotations

from typing import Mapping

import numpy as np
import sympy as sp

from ..errors import InputError

__all__ = ["resolve_sizes", "param_shapes", "init_params", "vector_sizes", "as_rng", "real_array", "float_dtype",
           "real_number", "positive_number", "boolean"]


MAX_SIZE = 1 << 20
"""Largest size accepted for one dimension (a 2**20 × 2**20 matrix already needs 8 TiB)."""


def resolve_sizes(desc, sizes: Mapping[str, int]) -> dict[sp.Symbol, int]:
    """Map the description's size symbols to integers given by name.

    Examples
    --------
    >>> import symrnn
    >>> resolve_sizes(symrnn.cell("rnn"), {"D": 3, "H": 4})
    {D: 3, H: 4}
    """
    if not isinstance(sizes, Mapping):
        raise InputError(f"sizes must be a mapping such as {{'D': 3, 'H': 4}}, got {type(sizes).__name__} {sizes!r}")
    out = {}
    known = {s.name: s for s in desc.sizes}
    for name, value in sizes.items():
        if name not in known:
            raise InputError(f"size {name!r} is not a size of {desc.name!r}; its sizes are {sorted(known)}")
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise InputError(f"size {name}={value!r} must be a positive integer")
        if value > MAX_SIZE:
            raise InputError(f"size {name}={value!r} is larger than {MAX_SIZE} (arrays of that size do not fit in memory)")
        out[known[name]] = int(value)
    missing = sorted(set(known) - set(sizes))
    if missing:
        raise InputError(f"sizes {missing} of {desc.name!r} are not given")
    return out


def _evaluate(expr, sizes) -> int:
    return int(sp.sympify(expr).xreplace(sizes))


def param_shapes(cell, sizes: Mapping[str, int]) -> dict[str, tuple[int, ...]]:
    """Concrete shape of every parameter, in declaration order."""
    s = resolve_sizes(cell, sizes)
    out = {p.name: tuple(_evaluate(d, s) for d in p.shape) for p in cell.params}
    total = sum(int(np.prod(shape)) for shape in out.values())
    if total > MAX_ELEMENTS:
        raise InputError(f"sizes {sizes}: the parameters of {cell.name!r} would have {total} entries, more than {MAX_ELEMENTS}")
    return out


MAX_ELEMENTS = 1 << 31
"""Most parameter entries accepted (16 GiB in float64)."""


def vector_sizes(cell, sizes: Mapping[str, int]) -> dict[str, int]:
    """Concrete length of every vector the cell declares or defines."""
    s = resolve_sizes(cell, sizes)
    return {n: _evaluate(d.size, s) for n, (role, d) in cell.declared.items() if not d.is_matrix}


def as_rng(rng, arg: str = "rng") -> np.random.Generator:
    """``rng`` (None, a non-negative int seed or a Generator) as a Generator; anything else is an InputError.

    Examples
    --------
    >>> bool(as_rng(0).integers(10) == as_rng(0).integers(10))
    True
    """
    if rng is None or isinstance(rng, np.random.Generator):
        return np.random.default_rng(rng)
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, bool) and rng >= 0:
        return np.random.default_rng(int(rng))
    raise InputError(f"{arg} must be None, a non-negative int seed or a numpy Generator, got {type(rng).__name__} {rng!r}")


def real_number(value, arg: str) -> float:
    """``value`` (a real int or float, NumPy's too, not bool) as a float if finite, else an InputError naming ``arg``.

    Examples
    --------
    >>> real_number(-0.2, "negative_slope")
    -0.2
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)) \
            or not np.isfinite(value):
        raise InputError(f"{arg} must be a finite real number, got {type(value).__name__} {value!r:.60}")
    return float(value)


def positive_number(value, arg: str) -> float:
    """``value`` as a float if a finite real number > 0 (see :func:`real_number`), else an InputError naming ``arg``.

    Examples
    --------
    >>> positive_number(0.5, "scale")
    0.5
    """
    try:
        out = real_number(value, arg)
    except InputError:
        out = None
    if out is None or out <= 0:
        raise InputError(f"{arg} must be a finite number > 0, got {value!r}")
    return out


def boolean(value, arg: str) -> bool:
    """``value`` if it is ``True`` or ``False`` (NumPy's too), else an InputError naming ``arg``.

    An option such as ``concat="no"`` would otherwise count as true.

    Examples
    --------
    >>> boolean(False, "concat")
    False
    """
    if not isinstance(value, (bool, np.bool_)):
        raise InputError(f"{arg} must be True or False, got {type(value).__name__} {value!r:.60}")
    return bool(value)


def init_params(cell, sizes: Mapping[str, int], *, rng=None, scale: float | None = None,
                dtype=np.float64) -> dict[str, np.ndarray]:
    """Random parameters, uniform in (-k, k) with k = 1/sqrt(fan) as PyTorch does.

    Parameters
    ----------
    cell : Cell
    sizes : dict
        ``{"D": 3, "H": 4}``.
    rng : numpy.random.Generator or int, optional
    scale : float, optional
        Use (-scale, scale) instead.

    Examples
    --------
    >>> import symrnn
    >>> p = init_params(symrnn.cell("rnn"), {"D": 2, "H": 3}, rng=0)
    >>> {k: v.shape for k, v in p.items()}
    {'W': (3, 2), 'U': (3, 3), 'b': (3,)}
    """
    rng = as_rng(rng)
    if scale is not None:
        positive_number(scale, "scale")
    float_dtype(dtype)
    out = {}
    for name, shape in param_shapes(cell, sizes).items():
        k = scale if scale is not None else 1.0 / np.sqrt(shape[0])
        out[name] = rng.uniform(-k, k, size=shape).astype(dtype)
    return out


def float_dtype(dtype, arg: str = "dtype") -> np.dtype:
    """``dtype`` as ``np.dtype(float32)`` or ``np.dtype(float64)``; anything else is an InputError.

    Examples
    --------
    >>> float_dtype("float32")
    dtype('float32')
    """
    try:
        dt = np.dtype(dtype) if isinstance(dtype, (type, np.dtype, str)) else None
    except (TypeError, ValueError, SyntaxError):  # numpy parses dtype strings; "08" raises SyntaxError
        dt = None
    if dt is None or dt not in (np.dtype(np.float32), np.dtype(np.float64)):  # np.dtype(x) == None is float64's test
        raise InputError(f"{arg} must be float32 or float64, got {dtype!r}")
    return dt


def real_array(value, what: str, shape: tuple | None = None, dtype=np.float64, *, finite: bool = True) -> np.ndarray:
    """``value`` as a finite real array of ``shape`` (None: any), else an :class:`InputError` naming ``what``.

    Text, complex numbers (also as NumPy scalars in a list), objects that are
    not real numbers and ragged nesting are refused, never parsed or cast.
    ``finite=False`` leaves the NaN / infinity check to the caller (who can
    then name the offending entry).

    Examples
    --------
    >>> real_array([[1, 2]], "xs['x']", (1, 2)).dtype
    dtype('float64')
    >>> real_array([1, float("nan")], "b")
    Traceback (most recent call last):
    ...
    symrnn.errors.InputError: b contains NaN or infinite values
    """
    def bad():
        return InputError(f"{what} must be an array of real numbers, got {type(value).__name__} {value!r:.60}")

    if isinstance(value, (str, bytes)):
        raise bad()
    try:  # the values' own dtype first: np.asarray(["1.5"], float) parses text, a complex scalar drops its imaginary part
        arr = np.asarray(value)
    except (TypeError, ValueError):
        raise bad() from None
    if arr.dtype.kind not in "biufO" or (
            arr.dtype.kind == "O" and any(isinstance(v, (str, bytes, complex, np.complexfloating)) for v in arr.flat)):
        raise bad()
    try:
        arr = arr.astype(dtype, copy=False)
    except (TypeError, ValueError):
        raise bad() from None
    if shape is not None and arr.shape != tuple(shape):
        raise InputError(f"{what} has shape {arr.shape}, expected {tuple(shape)}")
    if finite and not np.isfinite(arr).all():
        raise InputError(f"{what} contains NaN or infinite values")
    return arr
