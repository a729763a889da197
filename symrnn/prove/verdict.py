"""Verdicts: what a check established, and how strongly.

=================== ===========================================================
status              meaning
=================== ===========================================================
``proved``          a symbolic proof valid for every size (and every T)
``proved_for_dims`` a symbolic proof at the explicit sizes listed in ``dims``
``checked``         no counterexample in ``examples`` numeric examples; not a proof
``refuted``         a concrete counterexample (in ``counterexample``), re-checked
                    at 60 digits, shows it false
``undecided``       the symbolic check did not close and no counterexample was
                    found (nor could one be searched for); nothing is claimed
``error``           the statement could not be checked (``message`` says why),
                    or a proof failed its numeric cross-examination
=================== ===========================================================

A numeric pass is never called ``proved``; a difference of normal forms is
never called ``refuted`` without a counterexample (the constructor refuses it).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

__all__ = ["STATUSES", "EXPECTABLE", "Result", "Verdict", "inconsistent", "all_of"]

STATUSES = ("proved", "proved_for_dims", "checked", "refuted", "undecided", "error")

EXPECTABLE = ("proved", "proved_for_dims", "checked", "refuted")
"""What a theorem may expect; a verdict is as expected only when it is exactly this."""


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
        For ``refuted`` (required): concrete values (sizes, inputs, differing
        outputs) and, from the provers, ``difference``: the re-checked
        difference at 60 digits, as a string.
    examples : int
        For ``checked``: how many numeric examples were tried.
    dims : tuple of dict
        For ``proved_for_dims``: the sizes at which the proof holds.
    message : str
        For ``error``: one line saying what went wrong.
    cross_examination : str
        For ``proved`` / ``proved_for_dims``: how the proof was cross-examined
        numerically, through code that shares nothing with the proof's normal
        forms (empty when the check did not cross-examine itself).

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
    cross_examination: str = ""

    def __post_init__(self):
        if self.status not in STATUSES:
            raise ValueError(f"Result: status must be one of {STATUSES}, got {self.status!r}")
        if self.status == "refuted" and not self.counterexample:
            raise ValueError("Result: a refutation needs a counterexample; without one the verdict is 'undecided'")
        object.__setattr__(self, "steps", tuple(str(s) for s in self.steps))

    def with_steps(self, *before: str, after: tuple = ()) -> "Result":
        """A copy with steps added before and after the existing ones."""
        return replace(self, steps=tuple(before) + self.steps + tuple(after))


def inconsistent(steps, counterexample: dict, what: str = "the reference evaluator") -> Result:
    """The ``error`` verdict of a proof that its numeric cross-examination contradicts.

    Examples
    --------
    >>> inconsistent(["…"], {"difference": "0.5"}).message
    'prover inconsistency: the proof is contradicted by the reference evaluator (difference 0.5); not proved'
    """
    message = (f"prover inconsistency: the proof is contradicted by {what} "
               f"(difference {counterexample.get('difference', '?')}); not proved")
    return Result("error", "cross-examination", tuple(steps) + (message,), counterexample=counterexample, message=message)


_STRENGTH = {"proved": 0, "proved_for_dims": 1, "checked": 2, "undecided": 3, "error": 4, "refuted": 5}


def all_of(*results: Result, method: str = "") -> Result:
    """The conjunction of several checks: as strong as the weakest, refuted if any part is.

    Steps are kept in order; the cross-examinations of the parts are joined;
    a refutation (or an error) carries its own counterexample.

    Examples
    --------
    >>> all_of(Result("proved", "a"), Result("proved", "b"), method="a and b").status
    'proved'
    >>> all_of(Result("proved", "a"), Result("checked", "b", examples=3)).status
    'checked'
    """
    if not results:
        raise ValueError("all_of: give at least one Result")
    worst = max(results, key=lambda r: _STRENGTH[r.status])
    steps = tuple(s for r in results for s in r.steps)
    cross = "; ".join(r.cross_examination for r in results if r.cross_examination)
    dims = tuple(d for r in results for d in r.dims)
    return replace(worst, method=method or worst.method, steps=steps, dims=dims or worst.dims,
                   cross_examination=cross if worst.status in ("proved", "proved_for_dims") else worst.cross_examination,
                   examples=sum(r.examples for r in results))


@dataclass(frozen=True)
class Verdict:
    """A theorem's outcome: its :class:`Result` plus name, expectation and time.

    ``as_expected`` is True only when the status is exactly the expected
    one: a downgrade (``proved`` expected, ``proved_for_dims`` or
    ``checked`` obtained) is unexpected, and so is an upgrade.
    """

    theorem: str
    statement: str
    result: Result
    seconds: float
    expect: str = "proved"
    references: tuple = ()
    latex: str = ""
    tags: tuple = field(default=())
    cross_seconds: float = 0.0

    @property
    def status(self) -> str:
        return self.result.status

    @property
    def as_expected(self) -> bool:
        return self.status == self.expect

    def to_dict(self) -> dict:
        """JSON-ready form (used by ``symrnn prove --json``)."""
        r = self.result
        return {
            "name": self.theorem, "statement": self.statement, "verdict": r.status,
            "expected": self.expect, "as_expected": self.as_expected, "seconds": round(self.seconds, 4),
            "method": r.method, "steps": list(r.steps), "counterexample": _plain(r.counterexample),
            "examples": r.examples, "dims": _plain(list(r.dims)), "message": r.message,
            "difference": (r.counterexample or {}).get("difference"), "cross_examination": r.cross_examination,
            "cross_examination_seconds": round(self.cross_seconds, 4),
            "references": list(self.references), "tags": list(self.tags),
        }
