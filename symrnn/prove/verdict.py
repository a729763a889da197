"""Verdicts: what a check established, and how strongly.

=================== ===========================================================
status              meaning
=================== ===========================================================
``proved``          a symbolic proof valid for every size (and every T)
``proved_for_dims`` a symbolic proof at the explicit sizes listed in ``dims``
``checked``         no counterexample in ``examples`` numeric examples; not a proof
``refuted``         a concrete counterexample (in ``counterexample``) shows it false
``error``           the statement could not be checked (``message`` says why)
=================== ===========================================================

A numeric pass is never called ``proved``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

__all__ = ["STATUSES", "Result", "Verdict"]

STATUSES = ("proved", "proved_for_dims", "checked", "refuted", "error")


def _plain(value):
    """JSON-ready copy of a counterexample (NumPy arrays become nested lists)."""
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (int, float, str, bool)) or value is None:
        return value
    return str(value)


@dataclass(frozen=True)
class Result:
    """What a check function returns: the status, the method and the proof steps.

    Parameters
    ----------
    status : str
        One of :data:`STATUSES`.
    method : str
        One line naming the method (``"per-unit normal form"``, ``"vertex bound"`` …).
    steps : tuple of str
        The proof (or refutation) steps, in order, as plain text.
    counterexample : dict, optional
        For ``refuted``: concrete values (sizes, seed, inputs, differing outputs).
    examples : int
        For ``checked``: how many numeric examples were tried.
    dims : tuple of dict
        For ``proved_for_dims``: the sizes at which the proof holds.
    message : str
        For ``error``: one line saying what went wrong.

    Examples
    --------
    >>> Result("proved", "algebra", ("4·(3DH + 3H² + 3H) − 3·(4DH + 4H² + 4H) = 0",)).status
    'proved'
    """

    status: str
    method: str = ""
    steps: tuple = ()
    counterexample: dict | None = None
    examples: int = 0
    dims: tuple = ()
    message: str = ""

    def __post_init__(self):
        if self.status not in STATUSES:
            raise ValueError(f"Result: status must be one of {STATUSES}, got {self.status!r}")
        object.__setattr__(self, "steps", tuple(str(s) for s in self.steps))

    def with_steps(self, *before: str, after: tuple = ()) -> "Result":
        """A copy with steps added before and after the existing ones."""
        return replace(self, steps=tuple(before) + self.steps + tuple(after))


@dataclass(frozen=True)
class Verdict:
    """A theorem's outcome: its :class:`Result` plus name, expectation and time.

    ``as_expected`` is False when the theorem was expected to hold and came out
    ``refuted`` or ``error``, or was expected to be refuted and was not.
    """

    theorem: str
    statement: str
    result: Result
    seconds: float
    expect: str = "proved"
    references: tuple = ()
    latex: str = ""
    tags: tuple = field(default=())

    @property
    def status(self) -> str:
        return self.result.status

    @property
    def as_expected(self) -> bool:
        if self.status == "error":
            return False
        if self.expect == "refuted":
            return self.status == "refuted"
        return self.status != "refuted"

    def to_dict(self) -> dict:
        """JSON-ready form (used by ``symrnn prove --json``)."""
        r = self.result
        return {
            "name": self.theorem, "statement": self.statement, "verdict": r.status,
            "expected": self.expect, "as_expected": self.as_expected, "seconds": round(self.seconds, 4),
            "method": r.method, "steps": list(r.steps), "counterexample": _plain(r.counterexample),
            "examples": r.examples, "dims": _plain(list(r.dims)), "message": r.message,
            "references": list(self.references), "tags": list(self.tags),
        }
