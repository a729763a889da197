"""Numeric search and cross-examination for claims about one step of one cell.

A claim is given as ``violation(case, precise)``: ``None`` if the claim holds
on ``case``, else a dict that describes how it fails and holds
``difference`` (how far from holding, as a number).  With ``precise=False``
the case is evaluated in float64 and anything above round-off counts; with
``precise=True`` at 60 digits (:mod:`symrnn.prove.exact`) and only what
survives counts.  :func:`search` returns a 60-digit-confirmed violation;
:func:`cross_examine` runs the same check at two sizes before a proof is
reported.  Every evaluation goes through :func:`symrnn.numeric.step`, which
interprets the description and shares no code with the normal forms.
"""

from __future__ import annotations

from typing import Callable, Mapping

import numpy as np

from ..numeric import step
from ..numeric.params import param_shapes, vector_sizes
from ..spec.cell import PREV
from . import exact
from .context import cross_examining
from .context import rng as seeded_rng
from .numeric import CANDIDATE, PRECISE_DRAWS, _float_diff, _text, draw_values

__all__ = ["draw_step", "values", "search", "cross_examine", "gap", "CANDIDATE"]


def draw_step(cell, rng, size: int, *, assume: Mapping | None = None, batch: int = 3, scale: float | None = None):
    """One case ``(sizes, params, inputs, previous states)``: every size ``size``, values drawn.

    ``assume`` maps input and previous-state names to closed ranges ``(lo, hi)``.
    """
    assume = dict(assume or {})
    sizes = {s.name: int(size) for s in cell.sizes}
    scale = float(scale if scale is not None else rng.choice([1.0, 2.0, 4.0, 10.0]))
    params = {k: draw_values(rng, shape, scale) for k, shape in param_shapes(cell, sizes).items()}
    n = vector_sizes(cell, sizes)

    def vec(name, shape, default):
        lo, hi = assume.get(name, (-default, default))
        lo, hi = float(lo), float(hi)
        a = rng.uniform(lo, hi, shape)
        if rng.random() < 0.3:  # the ends of an assumed range are where bounds are tight
            mask = rng.random(shape) < 0.3
            a[mask] = rng.choice([lo, hi], size=int(mask.sum()))
        return a

    inputs = {d.name: vec(d.name, (batch, n[d.name]), 3.0) for d in cell.inputs}
    prev = {d.name: vec(d.name + PREV, (batch, n[d.name]), 3.0) for d in cell.states}
    return sizes, params, inputs, prev


def values(cell, case, *, precise: bool = False, given: Mapping | None = None) -> dict:
    """Every value of one step on ``case`` (float64, or object arrays of 60-digit mpf)."""
    _, params, inputs, prev = case
    if precise:
        with exact.precision():
            conv = lambda d: {k: exact.mp_array(v) for k, v in d.items()}  # noqa: E731
            return step(cell, conv(params), conv(inputs), conv(prev), given=given)
    with np.errstate(all="ignore"):
        return step(cell, params, inputs, prev, given=given)


def gap(a, b, precise: bool):
    """``(absolute, relative)`` difference of two arrays, in the arithmetic of the case."""
    return exact.max_difference(a, b) if precise else _float_diff(a, b)


def exceeds(relative, precise: bool) -> bool:
    """Whether a relative difference is more than round-off (float64) or a tie (60 digits)."""
    return not relative <= (exact.TIE if precise else CANDIDATE)


def search(cell, violation: Callable, *, examples: int, purpose, sizes=(1, 2, 3), assume=None,
           simplify: Callable | None = None):
    """``(violation dict or None, n)``: a case where the claim fails, confirmed at 60 digits.

    Cases are drawn at the given ``sizes`` in turn; when float64 finds no
    candidate, the first :data:`~symrnn.prove.numeric.PRECISE_DRAWS` cases
    are evaluated again at 60 digits.
    """
    rng = seeded_rng("cellcheck", cell.name, *purpose)
    cases = [draw_step(cell, rng, sizes[k % len(sizes)], assume=assume) for k in range(examples)]
    for case in cases:
        if violation(case, False) is not None:
            found = violation(case, True)
            if found is not None:
                return _described(case, found), examples
    for case in cases[:PRECISE_DRAWS]:
        found = violation(case, True)
        if found is not None:
            return _described(case, found), examples
    return None, examples


def _described(case, found: dict) -> dict:
    sizes, params, inputs, prev = case
    out = {"sizes": sizes, "params": params, "inputs": inputs, "previous": prev}
    out.update({k: (exact.as_float(v) if isinstance(v, np.ndarray) else v) for k, v in found.items()})
    if not isinstance(out.get("difference"), str):
        out["difference"] = _text(out["difference"])
    return out


def cross_examine(cell, violation: Callable, *, purpose, what: str, sizes=(2, 5), seeds: int = 3, assume=None):
    """``(violation dict or None, summary line)``: the claim checked numerically before a proof is reported."""
    with cross_examining():
        return _cross_examine(cell, violation, purpose=purpose, what=what, sizes=sizes, seeds=seeds, assume=assume)


def _cross_examine(cell, violation, *, purpose, what, sizes, seeds, assume):
    rng = seeded_rng("cross", cell.name, *purpose)
    n = 0
    for size in sizes:
        for _ in range(seeds):
            case = draw_step(cell, rng, size, assume=assume)
            n += 1
            if violation(case, False) is not None:
                found = violation(case, True)
                if found is not None:
                    return _described(case, found), ""
    return None, (f"cross-examined with the reference evaluator (symrnn.numeric.step): {what} holds on {n} random "
                  f"cases at sizes {' and '.join(map(str, sizes))} (batch 3)")
