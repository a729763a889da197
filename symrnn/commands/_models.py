"""What ``show`` and ``derive`` share: ``--option KEY=VALUE``, ``--from FILE.py`` and the model they name.

A value of ``--option`` is read as a literal, never evaluated: an integer
(``K=3``), a number (``negative_slope=0.1``), ``true`` / ``false``, ``none``,
a comma-separated tuple (``layers=lstm,gru``), else the text itself
(``activation=relu``).  Unknown keys and bad values end the command with one
line naming the valid ones (the factory's own check), exit code 2.
"""

from __future__ import annotations

import argparse
import re
import sys

from ..errors import InputError, SpecError, UnknownNameError

__all__ = ["add_model_arguments", "option_value", "options", "resolve"]

_INT = re.compile(r"[+-]?\d+")
_FLOAT = re.compile(r"[+-]?(\d+\.\d*|\.\d+|\d+)([eE][+-]?\d+)?")
_WORDS = {"true": True, "false": False, "none": None}


def option_value(text: str):
    """A ``--option`` value as a Python literal (see the module docstring).

    Examples
    --------
    >>> [option_value(t) for t in ("3", "0.2", "True", "none", "relu", "lstm,gru")]
    [3, 0.2, True, None, 'relu', ('lstm', 'gru')]
    """
    if "," in text:
        return tuple(option_value(p.strip()) for p in text.split(",") if p.strip())
    if _INT.fullmatch(text):
        return int(text)
    if _FLOAT.fullmatch(text):
        return float(text)
    return _WORDS[text.lower()] if text.lower() in _WORDS else text


def _option(text: str) -> tuple:
    key, eq, value = text.partition("=")
    if not eq or not key.strip().isidentifier():
        raise argparse.ArgumentTypeError(f"--option {text!r}: expected KEY=VALUE with KEY an identifier, e.g. activation=relu")
    return key.strip(), option_value(value.strip())


OPTION_HELP = ("an option of the model's factory (repeatable), e.g. --option activation=relu; "
               "`symrnn list --json` shows each model's options")


def add_model_arguments(parser, *, source: bool = True, help: str = OPTION_HELP) -> None:
    """``--option KEY=VALUE`` (repeatable) and, with ``source``, ``--from FILE.py``."""
    parser.add_argument("--option", dest="options", action="append", type=_option, default=[], metavar="KEY=VALUE",
                        help=help)
    if source:
        parser.add_argument("--from", dest="source", metavar="FILE.py",
                            help="take NAME from your own file: a description (Cell, TreeModel, graph layer) or a "
                                 "factory function defined there (called with the --option values). The file is "
                                 "imported, i.e. your own Python code runs, as pytest runs a test file")


def options(args) -> dict:
    """The ``--option`` pairs as a dict; a key given twice is refused."""
    out = {}
    for key, value in args.options:
        if key in out:
            raise InputError(f"--option {key}: given twice ({out[key]!r} and {value!r}); give each key once")
        out[key] = value
    return out


def resolve(args):
    """The model ``args.name`` names, built with the ``--option`` values (from ``--from FILE.py`` if given)."""
    from ..registry import model

    opts = options(args)
    if getattr(args, "source", None):
        return _from_file(args.source, args.name, opts)
    return model(args.name, **opts)


def _load(path: str) -> dict:
    """The namespace of a user's file (its code runs); errors become one SpecError naming file and line."""
    import runpy
    import traceback
    from pathlib import Path

    if not path.endswith(".py") or not Path(path).is_file():
        raise InputError(f"--from {path!r}: expected an existing file ending in .py")
    try:
        return runpy.run_path(path, run_name=f"symrnn_user_{Path(path).stem}")
    except SystemExit as exc:
        raise SpecError(f"--from {path!r} called sys.exit({exc.code!r}) while being imported; the file must define "
                        f"models and not exit") from None
    except Exception as exc:
        here = Path(path).resolve()
        lines = [f.lineno for f in traceback.extract_tb(exc.__traceback__) if Path(f.filename).resolve() == here]
        at = f" (line {lines[-1]})" if lines else ""
        raise SpecError(f"--from {path!r} failed to import: {type(exc).__name__}: {exc}{at}") from None


def _is_description(obj) -> bool:
    from ..spec import Cell
    from ..spec.compose import Bidirectional, Stacked

    trees = sys.modules.get("symrnn.trees.models")  # not imported: obj cannot be a tree model
    return isinstance(obj, (Cell, Stacked, Bidirectional)) or (trees is not None and isinstance(obj, trees.TreeModel))


def _from_file(path: str, name: str, opts: dict):
    import inspect

    from ..registry import check_options, names

    space = _load(path)
    module = space.get("__name__")
    factories = {k: v for k, v in space.items() if inspect.isfunction(v) and v.__module__ == module
                 and not k.startswith("_")}
    found = {k: v for k, v in space.items() if _is_description(v) and not k.startswith("_")}
    found.update({v.name: v for v in list(found.values())})
    if name in factories:
        check_options(name, factories[name], {}, opts)
        try:
            desc = factories[name](**opts)
        except TypeError as exc:
            raise SpecError(f"--from {path!r}: {name}(**{opts!r}) failed: {exc}") from None
        if not _is_description(desc):
            raise SpecError(f"--from {path!r}: {name}() returned {type(desc).__name__}, not a description")
        return desc
    if name in found:
        if opts:
            raise SpecError(f"{name} in {path!r} is a description, not a factory: it takes no options "
                            f"(got {', '.join(opts)}); define a function {name}(...) to take options")
        return found[name]
    if name in names():  # the file may have registered it
        from ..registry import model

        return model(name, **opts)
    known = sorted(set(found) | set(factories))
    raise UnknownNameError(f"--from {path!r} defines no description or factory named {name!r}; it defines: "
                           f"{', '.join(known) or 'none'}")


def kind(desc) -> str:
    """The kind of a description, as :data:`symrnn.registry.KINDS` names them.

    Examples
    --------
    >>> import symrnn
    >>> kind(symrnn.cell("lstm")), kind(symrnn.registry.model("gcn")), kind(symrnn.registry.model("gconv_gru"))
    ('cell', 'graph', 'graph_recurrent')
    """
    trees = sys.modules.get("symrnn.trees.models")
    if trees is not None and isinstance(desc, trees.TreeModel):
        return "tree"
    if getattr(desc, "is_graph", False):
        reads_previous = any(desc.role(d) == "previous" for eq in desc.equations for d in eq.dependencies())
        return "graph_recurrent" if reads_previous else "graph"
    return "cell"
