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

__all__ = ["rnn", "lstm", "gru", "stacked", "bidirectional", "cell", "names", "register", "unregister", "CATALOGUE", "Stacked", "Bidirectional"]


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


def register(description, *, name: str | None = None, replace: bool = False) -> str:
    """Add a user-defined cell (or a zero-argument factory) to the catalogue.

    Registered cells work with :func:`cell`, ``symrnn list`` and ``symrnn show``
    like built-in ones.  Returns the name used.

    Examples
    --------
    >>> import symrnn
    >>> b = symrnn.CellBuilder("leaky", reference="Jaeger et al. 2007, leaky-integrator ESN")
    >>> D, H = b.sizes("D H")
    >>> x, h = b.input("x", D), b.state("h", H)
    >>> _ = b.update("h", h / 2 + symrnn.tanh(b.param("W", H, D) @ x) / 2)
    >>> register(b.build())
    'leaky'
    >>> symrnn.cell("leaky").parameter_count()
    D*H
    >>> unregister("leaky")
    """
    from ..spec import Cell
    from ..spec.symbols import check_name

    factory = description if callable(description) and not isinstance(description, Cell) else (lambda: description)
    if name is None:
        if not isinstance(description, Cell):
            raise SpecError("register: pass name= when registering a factory")
        name = description.name
    check_name(name, "cell")
    if name in CATALOGUE and not replace:
        raise SpecError(f"register: a cell named {name!r} exists; pass replace=True to replace it")
    CATALOGUE[name] = (factory, {})
    _build.cache_clear()
    return name


def unregister(name: str) -> None:
    """Remove a registered cell from the catalogue."""
    if name not in CATALOGUE:
        raise UnknownNameError(f"unknown cell {name!r}; known cells: {', '.join(CATALOGUE)}")
    del CATALOGUE[name]
    _build.cache_clear()


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
