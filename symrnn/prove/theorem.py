"""A theorem: a statement, its references, and the check that decides it."""

from __future__ import annotations

import math
import signal
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Callable

from ..errors import SpecError
from ..spec.symbols import check_name
from .context import cross_seconds, seeded
from .verdict import EXPECTABLE, Result, Verdict

__all__ = ["Theorem", "TheoremTimeout"]


class TheoremTimeout(Exception):
    """Raised inside a check that ran past its time limit."""


@contextmanager
def _time_limit(seconds: float | None):
    usable = seconds and math.isfinite(seconds) and hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    if not usable:
        yield
        return

    def fire(signum, frame):
        raise TheoremTimeout(f"time limit of {seconds:g} s exceeded")

    outer, _ = signal.getitimer(signal.ITIMER_REAL)  # a check may run theorems of its own
    start = time.monotonic()
    old = signal.signal(signal.SIGALRM, fire)
    signal.setitimer(signal.ITIMER_REAL, min(seconds, outer) if outer else seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
        if outer:  # give the enclosing limit back what is left of it (at least a tick)
            signal.setitimer(signal.ITIMER_REAL, max(outer - (time.monotonic() - start), 1e-3))


@dataclass(frozen=True)
class Theorem:
    """A claim about cells, stated once and machine-checked.

    Parameters
    ----------
    name : str
        Identifier (``gru_z0_r1_is_rnn``); ``symrnn prove NAME`` selects it.
    statement : str
        The claim in words, as a paper would state it.
    check : callable
        ``check() -> Result``; usually one of the provers of :mod:`symrnn.prove`
        (:func:`~symrnn.prove.equivalent`, :func:`~symrnn.prove.bounded` …)
        wrapped in a ``lambda`` so that nothing is built before the run.
    references : tuple of str
        The papers (or notes) the claim comes from.
    expect : {"proved", "proved_for_dims", "checked", "refuted"}
        The verdict the check must give, exactly: ``"refuted"`` for a false
        claim kept on purpose (a popular overstatement), ``"proved_for_dims"``
        for a claim proved only at explicit sizes.  Any other verdict,
        a downgrade included, is unexpected (``symrnn prove`` exits 1).
    latex : str
        The statement in LaTeX math, for reports (optional).
    timeout : float
        Seconds before the check is stopped and the verdict is ``error``.

    Examples
    --------
    >>> import symrnn
    >>> from symrnn.prove import Theorem, identity
    >>> t = Theorem("gru_params", "4 P_GRU = 3 P_LSTM",
    ...             lambda: identity(4 * symrnn.cell("gru_reset_before").parameter_count(),
    ...                              3 * symrnn.cell("lstm").parameter_count()))
    >>> t.run().status
    'proved'
    """

    name: str
    statement: str
    check: Callable[[], Result] = field(compare=False)
    references: tuple = ()
    expect: str = "proved"
    latex: str = ""
    timeout: float = 10.0
    tags: tuple = ()

    def __post_init__(self):
        check_name(self.name, "theorem")
        if self.expect not in EXPECTABLE:
            raise SpecError(f"Theorem {self.name!r}: expect must be one of {EXPECTABLE}, got {self.expect!r}")
        if not callable(self.check):
            raise SpecError(f"Theorem {self.name!r}: check must be callable, got {self.check!r}")
        from ..spec.tex_subset import check_latex

        check_latex(self.latex or None, f"Theorem {self.name!r} latex=")  # set in math mode in reports: the safe subset only
        if isinstance(self.references, str):
            object.__setattr__(self, "references", (self.references,))
        object.__setattr__(self, "tags", tuple(self.tags))

    def run(self, *, timeout: float | None = None) -> Verdict:
        """Check the theorem; never raises for a failing check (the verdict is ``error``).

        Every random draw inside the check is seeded from the theorem's name
        (:mod:`symrnn.prove.context`), so the verdict is the same on every run.
        """
        start = time.perf_counter()
        cross = [0.0]
        try:
            with _time_limit(self.timeout if timeout is None else timeout), seeded(self.name), cross_seconds() as cross:
                result = self.check()
            if not isinstance(result, Result):
                raise SpecError(f"check of {self.name!r} returned {type(result).__name__}, not a Result")
        except TheoremTimeout as exc:
            result = Result("error", message=str(exc))
        except Exception as exc:  # the boundary: any failure becomes an error verdict
            msg = " ".join(str(exc).split()) or type(exc).__name__
            result = Result("error", message=f"{type(exc).__name__}: {msg}")
        return Verdict(self.name, self.statement, result, time.perf_counter() - start,
                       self.expect, tuple(self.references), self.latex, self.tags, cross_seconds=cross[0])
