"""One registry for every model: RNN cells, tree models, graph layers and graph-recurrent cells.

The catalogues stay where their models are written — :data:`symrnn.cells.CATALOGUE`
(with :func:`symrnn.cells.register` for user cells), :data:`symrnn.trees.models.FACTORIES`,
the public factories of :mod:`symrnn.graphs.layers` and, when that module exists,
of :mod:`symrnn.graphs.recurrent` — and this module is the one place that looks
names up in them, checks options and builds (and caches) descriptions.
:func:`symrnn.cell` and :func:`symrnn.trees.model` are this lookup restricted
to one kind.

A kind's catalogue is imported only when a name of that kind is asked for, so
``symrnn.cell("lstm")`` does not load the graph code.  Graph factories are the
functions a graph module lists in ``__all__`` that build with their defaults;
a new factory appears here as soon as it is written.

Examples
--------
>>> from symrnn import registry
>>> registry.model("gcn").parameter_count()
F*G + G
>>> registry.entry("nary_tree_lstm").options
{'arity': 2}
>>> registry.entry("lstm_peephole").kind, registry.entry("child_sum_tree_lstm").kind
('cell', 'tree')
"""

from __future__ import annotations

import importlib
import inspect
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Callable

from .errors import SpecError, UnknownNameError

__all__ = ["KINDS", "Entry", "model", "names", "entries", "entry", "kind_of", "check_options"]

KINDS = ("cell", "tree", "graph", "graph_recurrent")
"""Kinds of model, in the order ``symrnn list`` shows them."""

LABELS = {"cell": "cells", "tree": "tree models", "graph": "graph layers", "graph_recurrent": "graph-recurrent cells"}
"""How an error message names the models of a kind."""

GRAPH_MODULES = {"graph": ("symrnn.graphs.layers", "symrnn.graphs.autoencoders", "symrnn.graphs.ggnn",
                           "symrnn.graphs.graphrnn"),
                 "graph_recurrent": ("symrnn.graphs.recurrent", "symrnn.graphs.stgcn")}
"""Where the graph factories live: layers, graph autoencoders (GAE/VGAE and their parts), GGNN, GraphRNN's edge level,
graph-recurrent cells (GConvGRU, GConvLSTM, DCRNN; STGCN's ST-Conv block)."""


@dataclass(frozen=True)
class Entry:
    """One registered model: what ``symrnn list`` shows.

    ``paper`` is the reference the description cites; ``options`` maps each
    option the factory takes to the value this name uses by default.
    """

    name: str
    kind: str
    family: str
    paper: str
    summary: str
    options: dict = field(default_factory=dict, hash=False)

    def to_dict(self) -> dict:
        """JSON-ready: every field, option defaults as JSON values (tuples become lists)."""
        return {"name": self.name, "kind": self.kind, "family": self.family, "paper": self.paper,
                "summary": self.summary, "options": {k: _plain(v) for k, v in self.options.items()}}


def _plain(value):
    return list(value) if isinstance(value, tuple) else value


# ------------------------------------------------------------------ sources
def _catalogue(kind: str) -> dict[str, tuple[Callable, dict]]:
    """``name -> (factory, options fixed by the name)`` of one kind (imported on first use)."""
    if kind == "cell":
        from .cells import CATALOGUE

        return dict(CATALOGUE)
    if kind == "tree":
        from .trees.models import FACTORIES

        return {n: (f, {}) for n, f in FACTORIES.items()}
    if kind in GRAPH_MODULES:
        found: dict = {}
        for module_name in GRAPH_MODULES[kind]:
            for n, f in _graph_factories(module_name).items():
                if n in found and found[n][0] is not f:
                    raise SpecError(f"registry: {n!r} is a factory of two graph modules")
                found[n] = (f, {})
        return found
    raise UnknownNameError(f"unknown kind of model {kind!r}; known kinds: {', '.join(KINDS)}")


@lru_cache(maxsize=None)
def _graph_factories(module_name: str) -> dict[str, Callable]:
    """The factories of a graph module: the functions its ``__all__`` lists that are callable without arguments.

    A factory re-exported from another module counts (``__all__`` is the
    module's word).  A module that does not exist (yet) gives none; one that
    fails to import for another reason raises.
    """
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name in (module_name, module_name.rpartition(".")[0]):
            return {}
        raise
    out = {}
    for name in getattr(module, "__all__", ()):
        f = getattr(module, name, None)
        if inspect.isfunction(f) and _no_required_arguments(f):
            out[name] = f
    return out


def _no_required_arguments(f) -> bool:
    return all(p.default is not p.empty or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
               for p in inspect.signature(f).parameters.values())


def _find(name, kinds) -> tuple[str, Callable, dict]:
    if isinstance(name, str):
        for kind in kinds:
            found = _catalogue(kind).get(name)
            if found is not None:
                return (kind, *found)
    raise UnknownNameError(_unknown(name, kinds))


def _unknown(name, kinds) -> str:
    if tuple(kinds) == ("cell",):
        return f"unknown cell {name!r}; known cells: {', '.join(_catalogue('cell'))}"
    if tuple(kinds) == ("tree",):
        return f"unknown tree model {name!r}; known models: {', '.join(sorted(_catalogue('tree')))}"
    known = "; ".join(f"{LABELS[k]}: {', '.join(_catalogue(k))}" for k in kinds if _catalogue(k))
    return f"unknown cell {name!r} or model of another kind; known {known}"


# ------------------------------------------------------------------ options
def _signature_options(factory, fixed: dict) -> dict:
    """``option -> default`` of a factory, the name's fixed options as defaults."""
    out = {}
    for p in inspect.signature(factory).parameters.values():
        if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY):
            out[p.name] = fixed.get(p.name, None if p.default is p.empty else p.default)
    return out


def check_options(name: str, factory, fixed: dict, options: dict) -> tuple:
    """The options as a hashable, sorted key; a key ``factory`` does not take raises, listing the valid ones.

    Examples
    --------
    >>> def mine(H=4, activation="tanh"):
    ...     pass
    >>> check_options("mine", mine, {}, {"H": 8})
    (('H', 8),)
    >>> check_options("mine", mine, {}, {"width": 8})
    Traceback (most recent call last):
    ...
    symrnn.errors.SpecError: mine: unknown option 'width'; valid options: H, activation
    """
    valid = _signature_options(factory, fixed)
    takes_any = any(p.kind == p.VAR_KEYWORD for p in inspect.signature(factory).parameters.values())
    unknown = [k for k in options if k not in valid]
    if unknown and not takes_any:
        listed = f"valid options: {', '.join(valid)}" if valid else "it takes no options"
        raise SpecError(f"{name}: unknown option {unknown[0]!r}; {listed}")
    try:
        key = tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in options.items()))
        hash(key)
    except TypeError:
        raise SpecError(f"{name}: options must be hashable values, got {options!r}") from None
    return key


@lru_cache(maxsize=256)
def _build(kind: str, name: str, key: tuple):
    _, factory, fixed = _find(name, (kind,))
    try:
        return factory(**{**fixed, **dict(key)})
    except TypeError as exc:  # a value of the wrong type inside the factory
        raise SpecError(f"{name}: bad options {dict(key)!r} ({exc})") from None


def clear_cache() -> None:
    """Forget built models (called when the cell catalogue changes)."""
    _build.cache_clear()
    _entry.cache_clear()


# ------------------------------------------------------------------ public
def _model(name, options: dict, kinds=KINDS):
    kind, factory, fixed = _find(name, kinds)
    return _build(kind, name, check_options(name, factory, fixed, options))


def model(name: str, **options):
    """Build the model ``name`` (a cell, tree model, graph layer or graph-recurrent cell).

    Parameters
    ----------
    name : str
        One of :func:`names`.
    **options
        The factory's options, e.g. ``model("rnn", activation="relu")``,
        ``model("nary_tree_lstm", arity=3)``, ``model("cheb", K=2)``.  The
        options a name fixes (``lstm_peephole`` is ``variant="peephole"``)
        are its defaults.

    Raises
    ------
    UnknownNameError
        For an unknown name; the message lists the known ones by kind.
    SpecError
        For an unknown option (the message lists the valid ones) or a bad value.

    Examples
    --------
    >>> model("rnn", activation="relu").summary
    'simple recurrent network (relu)'
    >>> model("child_sum_tree_lstm").states
    ('h', 'c')
    """
    return _model(name, options)


def kind_of(name: str) -> str:
    """The kind of a registered name.

    Examples
    --------
    >>> kind_of("sage")
    'graph'
    """
    return _find(name, KINDS)[0]


def names(kind: str | None = None) -> tuple[str, ...]:
    """Every registered name (of one kind, if given), kinds in the order of :data:`KINDS`.

    Examples
    --------
    >>> {"lstm", "gcn", "child_sum_tree_lstm"} <= set(names())
    True
    >>> names("tree")
    ('child_sum_recursive_nn', 'child_sum_tree_lstm', 'nary_tree_lstm', 'recursive_nn')
    """
    kinds = KINDS if kind is None else (_kind(kind),)
    return tuple(n for k in kinds for n in (sorted(_catalogue(k)) if k == "tree" else _catalogue(k)))


def _kind(kind):
    if kind not in KINDS:
        raise UnknownNameError(f"unknown kind of model {kind!r}; known kinds: {', '.join(KINDS)}")
    return kind


@lru_cache(maxsize=None)
def _entry(name: str) -> Entry:
    kind, factory, fixed = _find(name, KINDS)
    desc = _model(name, {})
    family = getattr(desc, "family", None) or getattr(getattr(desc, "node", None), "family", "") or kind
    return Entry(name, kind, family, getattr(desc, "reference", "") or "", getattr(desc, "summary", "") or "",
                 _signature_options(factory, fixed))


def entry(name: str) -> Entry:
    """The :class:`Entry` of a name (its model is built with the defaults to read the paper and summary).

    Examples
    --------
    >>> e = entry("rnn")
    >>> e.family, e.paper, e.options
    ('rnn', 'Elman 1990, Finding structure in time', {'activation': 'tanh'})
    """
    _find(name, KINDS)
    return _entry(name)


def entries(kind: str | None = None) -> list[Entry]:
    """Every :class:`Entry` (of one kind, if given), in the order of :func:`names`.

    Examples
    --------
    >>> {e.kind for e in entries()} >= {"cell", "graph", "tree"}
    True
    """
    return [_entry(n) for n in names(kind)]
