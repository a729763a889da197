"""The run context of a check: its seed, and a recorder of the claims it makes.

Verdicts must be reproducible: the same theorem gives the same verdict on
every run and every machine.  Every random draw of a prover comes from
:func:`rng`, seeded from the theorem being run (:class:`~symrnn.prove.Theorem`
sets the seed from its name with :func:`seeded`) and from what the draw is for,
never from global state, hypothesis' database or the order of earlier checks.

:func:`recording` collects the public provers' calls (:func:`claim`), which
lets :mod:`symrnn.prove.mutate` replay a theorem's claims with mutated
arguments.
"""

from __future__ import annotations

import contextvars
import functools
import zlib
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np

__all__ = ["seeded", "rng", "claim", "recording", "Call", "cross_examining", "cross_seconds"]

_SEED: contextvars.ContextVar[int] = contextvars.ContextVar("symrnn_prove_seed", default=0)
_RECORD: contextvars.ContextVar[list | None] = contextvars.ContextVar("symrnn_prove_record", default=None)
_DEPTH: contextvars.ContextVar[int] = contextvars.ContextVar("symrnn_prove_depth", default=0)
_CROSS: contextvars.ContextVar[list | None] = contextvars.ContextVar("symrnn_prove_cross", default=None)


def _hash(text: str) -> int:
    return zlib.crc32(text.encode("utf-8"))


@contextmanager
def seeded(name: str):
    """Seed every draw made inside the block from ``name`` (a theorem's name).

    Examples
    --------
    >>> with seeded("t"):
    ...     a = rng("search").integers(1 << 30)
    >>> with seeded("t"):
    ...     b = rng("search").integers(1 << 30)
    >>> bool(a == b)
    True
    """
    token = _SEED.set(_hash(str(name)))
    try:
        yield
    finally:
        _SEED.reset(token)


def rng(*purpose) -> np.random.Generator:
    """A generator seeded from the running theorem and ``purpose`` (strings or ints)."""
    key = "\x1f".join(map(str, purpose))
    return np.random.default_rng([_SEED.get(), _hash(key)])


@dataclass(frozen=True)
class Call:
    """One call of a public prover: its name, the function, and its arguments."""

    prover: str
    function: object = field(repr=False)
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)

    def run(self, *args, **kwargs):
        """Call the prover again; arguments given here replace the recorded ones."""
        a = args if args else self.args
        k = dict(self.kwargs)
        k.update(kwargs)
        return self.function(*a, **k)


def claim(name: str):
    """Decorator of a public prover: calls made at the outermost level are recorded.

    A prover called by another prover (``depends_only_on`` → ``independent_of``)
    is not recorded again: the mutation harness replays the claim a theorem
    made, not the steps of its proof.
    """

    def wrap(fn):
        @functools.wraps(fn)
        def prover(*args, **kwargs):
            record = _RECORD.get()
            depth = _DEPTH.get()
            if record is not None and depth == 0:
                record.append(Call(name, prover, args, dict(kwargs)))
            token = _DEPTH.set(depth + 1)
            try:
                return fn(*args, **kwargs)
            finally:
                _DEPTH.reset(token)

        prover.__wrapped_prover__ = name
        return prover

    return wrap


@contextmanager
def recording():
    """Collect the outermost prover calls made inside the block (a list of :class:`Call`).

    Examples
    --------
    >>> import symrnn
    >>> from symrnn.prove import identity
    >>> with recording() as calls:
    ...     _ = identity(symrnn.cell("rnn").parameter_count(), symrnn.cell("rnn").parameter_count())
    >>> [c.prover for c in calls]
    ['identity']
    """
    calls: list = []
    token = _RECORD.set(calls)
    depth = _DEPTH.set(0)
    try:
        yield calls
    finally:
        _DEPTH.reset(depth)
        _RECORD.reset(token)


@contextmanager
def cross_examining():
    """Time a cross-examination (added to the running theorem's :func:`cross_seconds`)."""
    import time

    start = time.perf_counter()
    try:
        yield
    finally:
        total = _CROSS.get()
        if total is not None:
            total[0] += time.perf_counter() - start


@contextmanager
def cross_seconds():
    """Collect the seconds spent cross-examining inside the block: ``with cross_seconds() as t: …; t[0]``."""
    total = [0.0]
    token = _CROSS.set(total)
    try:
        yield total
    finally:
        _CROSS.reset(token)
