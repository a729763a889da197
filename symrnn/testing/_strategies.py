"""The strategies behind :mod:`symrnn.testing` (see its docstring)."""

from __future__ import annotations

import functools
import inspect
from dataclasses import dataclass
from typing import Mapping

import numpy as np

from ..errors import InputError
from ..numeric.params import param_shapes, positive_number, resolve_sizes, vector_sizes

__all__ = ["sizes", "params_for", "sequences", "initial_states", "examples", "Example"]


def _hyp():
    try:
        from hypothesis import strategies as st
        from hypothesis.extra import numpy as hnp
    except ImportError as exc:  # pragma: no cover - hypothesis is a test extra
        raise InputError("symrnn.testing needs hypothesis: pip install hypothesis") from exc
    return st, hnp


def public(fn):
    """Make a wrong call of a public strategy (unknown keyword, missing or extra argument) an InputError naming it.

    Python would raise ``TypeError``; every bad argument of :mod:`symrnn.testing`
    is an :class:`~symrnn.errors.InputError` instead, before any drawing.

    Examples
    --------
    >>> from symrnn.errors import InputError
    >>> try:
    ...     sizes(None, bogus=1)
    ... except InputError as exc:
    ...     print(exc)
    sizes(): got an unexpected keyword argument 'bogus'
    """
    signature = inspect.signature(fn)

    @functools.wraps(fn)
    def checked(*args, **kwargs):
        try:
            signature.bind(*args, **kwargs)
        except TypeError as exc:
            raise InputError(f"{fn.__name__}(): {exc}") from None
        return fn(*args, **kwargs)

    return checked


def _cell(desc, arg: str = "desc"):
    from ..prove.normal_form import as_cell

    try:
        return as_cell(desc, arg)
    except Exception as exc:
        raise InputError(f"{arg}: {exc}") from None


def _int(value, arg: str, low: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise InputError(f"{arg} must be an integer >= {low}, got {value!r}")
    return int(value)


_bound = positive_number  # bounds of drawn values: finite and > 0


def _sizes(desc, given: Mapping) -> dict[str, int]:
    if not isinstance(given, Mapping):
        raise InputError(f"sizes must be a dict of size name -> int, got {given!r}")
    resolve_sizes(desc, given)  # raises InputError naming the size
    return dict(given)


def _floats(bound: float):
    st, _ = _hyp()
    return st.floats(-bound, bound, allow_nan=False, allow_infinity=False, width=64)


def _array(shape, bound):
    st, hnp = _hyp()
    return hnp.arrays(np.float64, shape, elements=_floats(bound))


@public
def sizes(desc, *, min_value: int = 1, max_value: int = 4):
    """Strategy for the sizes of a description: ``{"D": 2, "H": 3}``.

    Parameters
    ----------
    desc : Cell
    min_value, max_value : int
        Every size is drawn from ``[min_value, max_value]``.

    Examples
    --------
    >>> import symrnn
    >>> from symrnn import testing
    >>> s = testing.sizes(symrnn.cell("rnn"), max_value=2).example()
    >>> sorted(s) , all(1 <= v <= 2 for v in s.values())
    (['D', 'H'], True)
    """
    st, _ = _hyp()
    c = _cell(desc)
    lo, hi = _int(min_value, "min_value"), _int(max_value, "max_value")
    if hi < lo:
        raise InputError(f"max_value={hi} must be >= min_value={lo}")
    return st.fixed_dictionaries({s.name: st.integers(lo, hi) for s in c.sizes})


@public
def params_for(desc, sizes: Mapping[str, int], *, bound: float = 2.0):
    """Strategy for a parameter dict of ``desc`` at ``sizes``, entries in [-bound, bound].

    Examples
    --------
    >>> import symrnn
    >>> from symrnn import testing
    >>> p = testing.params_for(symrnn.cell("rnn"), {"D": 2, "H": 3}).example()
    >>> sorted((k, v.shape) for k, v in p.items())
    [('U', (3, 3)), ('W', (3, 2)), ('b', (3,))]
    """
    st, _ = _hyp()
    c = _cell(desc)
    b = _bound(bound, "bound")
    shapes = param_shapes(c, _sizes(c, sizes))
    return st.fixed_dictionaries({name: _array(shape, b) for name, shape in shapes.items()})


@public
def sequences(desc, sizes: Mapping[str, int], *, length: int = 3, batch: int = 1, bound: float = 2.0):
    """Strategy for input sequences ``{input name: (length, batch, n)}``.

    Examples
    --------
    >>> import symrnn
    >>> from symrnn import testing
    >>> xs = testing.sequences(symrnn.cell("rnn"), {"D": 2, "H": 3}, length=4).example()
    >>> xs["x"].shape
    (4, 1, 2)
    """
    st, _ = _hyp()
    c = _cell(desc)
    T, B, b = _int(length, "length"), _int(batch, "batch"), _bound(bound, "bound")
    n = vector_sizes(c, _sizes(c, sizes))
    return st.fixed_dictionaries({d.name: _array((T, B, n[d.name]), b) for d in c.inputs})


@public
def initial_states(desc, sizes: Mapping[str, int], *, batch: int = 1, bound: float = 1.0):
    """Strategy for initial states ``{state name: (batch, n)}``, entries in [-bound, bound].

    Examples
    --------
    >>> import symrnn
    >>> from symrnn import testing
    >>> s = testing.initial_states(symrnn.cell("lstm"), {"D": 2, "H": 3}, batch=2).example()
    >>> sorted((k, v.shape) for k, v in s.items())
    [('c', (2, 3)), ('h', (2, 3))]
    """
    st, _ = _hyp()
    c = _cell(desc)
    B, b = _int(batch, "batch"), _bound(bound, "bound")
    n = vector_sizes(c, _sizes(c, sizes))
    return st.fixed_dictionaries({d.name: _array((B, n[d.name]), b) for d in c.states})


@dataclass(frozen=True)
class Example:
    """One drawn test case: sizes, parameters, input sequences and initial states."""

    sizes: dict
    params: dict
    inputs: dict
    initial: dict


@public
def examples(desc, *, max_size: int = 3, length: int = 3, batch: int = 1, bound: float = 2.0):
    """Strategy for complete :class:`Example` s of ``desc`` (sizes drawn first).

    Examples
    --------
    >>> import symrnn
    >>> from symrnn import numeric, testing
    >>> ex = testing.examples(symrnn.cell("gru_reset_after"), max_size=2).example()
    >>> numeric.run(symrnn.cell("gru_reset_after"), ex.params, ex.inputs, ex.initial)[0].shape[:2]
    (3, 1)
    """
    st, _ = _hyp()
    c = _cell(desc)
    _int(max_size, "max_size")
    T, B, b = _int(length, "length"), _int(batch, "batch"), _bound(bound, "bound")

    @st.composite
    def build(draw):
        s = draw(sizes(c, max_value=max_size))
        return Example(s, draw(params_for(c, s, bound=b)), draw(sequences(c, s, length=T, batch=B, bound=b)),
                       draw(initial_states(c, s, batch=B, bound=1.0)))

    return build()
