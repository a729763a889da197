"""Claims over a finite domain, decided case by case: the only source of ``proved_for_dims``.

:func:`exhaustive` enumerates every case of a stated finite domain (every
graph on up to four nodes, every BFS order of every connected graph on up to
five …) and decides the claim on each with an exact check (SymPy with
symbolic weights, integer combinatorics).  All cases pass: ``proved_for_dims``
with the sizes covered; one fails: ``refuted`` with that case.  A numeric
search on random cases (floats, larger sizes) never makes a verdict
stronger: it is a cross-examination, and a violation it finds is an
``error`` (the proof and the numbers disagree), reported with the case.
"""

from __future__ import annotations

from typing import Callable, Iterable

from .context import claim, cross_examining
from .context import rng as seeded_rng
from .verdict import Result, inconsistent

__all__ = ["exhaustive"]


@claim("exhaustive")
def exhaustive(check: Callable, cases: Iterable, *, dims, domain: str, numeric: Callable | None = None,
               examples: int = 20, method: str = "exhaustive enumeration") -> Result:
    """Decide a claim on every case of a finite domain.

    Parameters
    ----------
    check : callable
        ``check(case) -> None`` when the claim holds on ``case`` (decided
        exactly), else a dict describing the failure (it becomes the
        counterexample; put the size of the failure under ``difference``).
    cases : iterable
        Every case of the domain, e.g. every graph on 1..4 nodes.
    dims : sequence of dict
        The sizes the enumeration covers, reported with the verdict.
    domain : str
        The domain in words (it goes into the steps).
    numeric : callable, optional
        ``numeric(rng) -> None or dict``: the claim on a random case beyond
        the domain, computed by other code (e.g. a kernel); ``examples``
        draws cross-examine the result.

    Examples
    --------
    >>> r = exhaustive(lambda n: None if n * (n + 1) % 2 == 0 else {"n": n}, range(1, 50),
    ...                dims=[{"n": n} for n in range(1, 50)], domain="n = 1..49")
    >>> r.status, r.dims[-1]
    ('proved_for_dims', {'n': 49})
    >>> exhaustive(lambda n: None if n < 7 else {"n": n, "difference": "n ≥ 7"}, range(10),
    ...            dims=[], domain="n = 0..9").counterexample
    {'n': 7, 'difference': 'n ≥ 7'}
    """
    count = 0
    for case in cases:
        found = check(case)
        if found is not None:
            found = dict(found)
            found.setdefault("difference", "the claim fails on this case (exact check)")
            return Result("refuted", method, [f"{domain}: case {count + 1} fails (exact check)."], counterexample=found)
        count += 1
    steps = [f"{domain}: all {count} cases pass an exact check."]
    cross = ""
    if numeric is not None:
        rng = seeded_rng("exhaustive", domain)
        for k in range(examples):
            with cross_examining():
                bad = numeric(rng)
            if bad is not None:
                bad = dict(bad)
                bad.setdefault("difference", "violated on a random case")
                return inconsistent(steps, bad, f"the numeric cross-check (random case {k + 1})")
        cross = f"cross-examined numerically on {examples} random cases beyond the domain: no violation"
    return Result("proved_for_dims", method, steps, dims=tuple(dims), cross_examination=cross)
