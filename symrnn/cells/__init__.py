"""The catalogue: one factory per family, and :func:`cell` to look entries up.

Every entry's docstring cites its paper.  ``symrnn.cell(name, **options)``
builds an entry; an unknown name raises :class:`~symrnn.errors.UnknownNameError`
listing the known ones.
"""

from __future__ import annotations

from functools import lru_cache

from ..errors import SpecError, UnknownNameError
from ..spec.compose import Bidirectional, Stacked, bidirectional, stacked
from .gru import gru
from .lstm import VARIANTS as _LSTM_VARIANTS
from .lstm import lstm
from .rnn import rnn

__all__ = ["rnn", "lstm", "gru", "stacked", "bidirectional", "cell", "names", "CATALOGUE", "Stacked", "Bidirectional"]


def _stacked(layers=("lstm", "lstm")):
    if isinstance(layers, str) or not layers:
        raise SpecError(f"stacked: layers must be a non-empty sequence of catalogue names, got {layers!r}")
    return stacked(*(cell(n) for n in layers))


def _bidirectional(cell_name="lstm"):
    return bidirectional(cell(cell_name))


CATALOGUE = {"rnn": (rnn, {})}
CATALOGUE.update({name: (lstm, {"variant": v}) for v, (name, _, _) in _LSTM_VARIANTS.items()})
CATALOGUE.update({
    "gru_reset_before": (gru, {"reset": "before"}),
    "gru_reset_after": (gru, {"reset": "after"}),
    "stacked": (_stacked, {}),
    "bidirectional": (_bidirectional, {}),
})
"""name -> (factory, fixed options)."""


def names() -> tuple[str, ...]:
    """Names of every catalogue entry."""
    return tuple(CATALOGUE)


@lru_cache(maxsize=256)
def _build(name, options):
    factory, fixed = CATALOGUE[name]
    return factory(**fixed, **dict(options))


def cell(name: str, **options):
    """Build the catalogue entry ``name``.

    Parameters
    ----------
    name : str
        One of :func:`names`.
    **options
        Passed to the family's factory, e.g. ``cell("rnn", activation="relu")``,
        ``cell("stacked", layers=("lstm", "gru"))``, ``cell("bidirectional", cell_name="gru_reset_after")``.

    Raises
    ------
    UnknownNameError
        For an unknown name; the message lists the known ones.

    Examples
    --------
    >>> import symrnn
    >>> symrnn.cell("gru_reset_before").state_names
    ('h',)
    """
    if not isinstance(name, str) or name not in CATALOGUE:
        raise UnknownNameError(f"unknown cell {name!r}; known cells: {', '.join(CATALOGUE)}")
    try:
        key = tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in options.items()))
        hash(key)
    except TypeError:
        raise SpecError(f"cell {name!r}: options must be hashable values, got {options!r}") from None
    try:
        return _build(name, key)
    except TypeError as exc:  # unexpected keyword
        raise SpecError(f"cell {name!r}: bad options {options!r} ({exc})") from None
