"""The catalogue: one factory per family, and :func:`cell` to look entries up.

Every entry's docstring cites its paper.  ``symrnn.cell(name, **options)``
builds an entry; an unknown name raises :class:`~symrnn.errors.UnknownNameError`
listing the known ones.
"""

from __future__ import annotations

from ..errors import SpecError, UnknownNameError
from ..registry import _build  # noqa: F401  (benchmarks clear this cache to time real construction)
from ..spec.compose import Bidirectional, Stacked, bidirectional, stacked
from .gru import gru
from .lstm import lstm
from .rnn import rnn

__all__ = ["rnn", "lstm", "gru", "stacked", "bidirectional", "cell", "names", "register", "unregister", "CATALOGUE", "Stacked", "Bidirectional"]


def _stacked(layers=("lstm", "lstm")):
    if isinstance(layers, str) or not layers:
        raise SpecError(f"stacked: layers must be a non-empty sequence of catalogue names, got {layers!r}")
    return stacked(*(cell(n) for n in layers))


def _bidirectional(cell_name="lstm"):
    return bidirectional(cell(cell_name))


def _families() -> dict:
    """Every family module's ``ENTRIES``, in a fixed order: the simple RNN, LSTM, GRU, then any other
    module of this package (a new family is one file here; nothing else lists it)."""
    import importlib
    import pkgutil

    found = sorted((m.name for m in pkgutil.iter_modules(__path__)), key=lambda n: (_ORDER.get(n, len(_ORDER)), n))
    out: dict = {}
    for module_name in found:
        for name, entry in getattr(importlib.import_module(f"{__name__}.{module_name}"), "ENTRIES", {}).items():
            if name in out:
                raise ImportError(f"symrnn.cells: {name!r} is defined by two family modules")
            out[name] = entry
    return out


_ORDER = {"rnn": 0, "lstm": 1, "gru": 2}
CATALOGUE = _families()
CATALOGUE.update({
    "stacked": (_stacked, {}),
    "bidirectional": (_bidirectional, {}),
})
"""name -> (factory, fixed options)."""


def register(description, *, name: str | None = None, replace: bool = False) -> str:
    """Add a user-defined cell (or a factory) to the catalogue.

    Registered cells work with :func:`cell`, :func:`symrnn.registry.model`,
    ``symrnn list``, ``show`` and ``derive`` like built-in ones; a factory's
    keyword arguments become the entry's options.  Returns the name used.

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
    from .. import registry
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
    if name not in CATALOGUE:
        for kind in registry.KINDS[1:]:
            if name in registry.names(kind):
                raise SpecError(f"register: {name!r} names one of the {registry.LABELS[kind]}; choose another name")
    CATALOGUE[name] = (factory, {})
    registry.clear_cache()
    return name


def unregister(name: str) -> None:
    """Remove a registered cell from the catalogue."""
    from .. import registry

    if name not in CATALOGUE:
        raise UnknownNameError(f"unknown cell {name!r}; known cells: {', '.join(CATALOGUE)}")
    del CATALOGUE[name]
    registry.clear_cache()


def names() -> tuple[str, ...]:
    """Names of every catalogue entry (cells only; :func:`symrnn.registry.names` has every model)."""
    return tuple(CATALOGUE)


def cell(name: str, **options):
    """Build the catalogue entry ``name``.

    The lookup is :func:`symrnn.registry.model` restricted to cells.

    Parameters
    ----------
    name : str
        One of :func:`names`.
    **options
        Passed to the family's factory, e.g. ``cell("rnn", activation="relu")``,
        ``cell("stacked", layers=("lstm", "gru"))``, ``cell("bidirectional", cell_name="gru_reset_after")``;
        the options a name fixes are its defaults (``cell("lstm", variant="peephole")`` is ``lstm_peephole``).

    Raises
    ------
    UnknownNameError
        For an unknown name; the message lists the known ones.
    SpecError
        For an unknown option (the message lists the valid ones) or a bad value.

    Examples
    --------
    >>> import symrnn
    >>> symrnn.cell("gru_reset_before").state_names
    ('h',)
    >>> symrnn.cell("lstm", variant="coupled") == symrnn.cell("lstm_coupled")
    True
    """
    from ..registry import _model

    return _model(name, options, ("cell",))
