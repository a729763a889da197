"""The ``symrnn`` command line.

Subcommands live in :mod:`symrnn.commands`, one module each, every module
exporting ``NAME``, ``HELP``, ``add_arguments(parser)`` and ``run(args) -> int``.
Any :class:`~symrnn.errors.SymrnnError` or bad flag ends the program with exit
code 2 and one line on stderr.  ``list``, ``show`` and ``derive`` reach every
model of :mod:`symrnn.registry`: cells, tree models, graph layers and
graph-recurrent cells.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from .errors import SymrnnError

__all__ = ["main", "COMMANDS", "EPILOG"]

COMMANDS = ("list", "show", "derive", "prove", "bench", "experiment")
"""Subcommand module names under :mod:`symrnn.commands` (missing ones are skipped)."""


EPILOG = (
    "Output files (derive -o, prove --report, experiment --plot): an existing file is replaced atomically "
    "(written to a temporary file, then renamed) and keeps its permissions, so a failure or Ctrl-C leaves the "
    "old file or none; a directory, a FIFO, a device (/dev/null), a read-only file, a missing directory or an "
    "unwritable path is refused before any work. "
    "Errors and bad flags exit with code 2 and one line on stderr. "
    "`--from FILE.py` (prove, show, derive) imports FILE.py: it runs your own Python code, like pytest. "
    "`--option KEY=VALUE` (show, derive, prove) passes an option to the model's factory; `symrnn list --json` "
    "shows each model's options."
)
"""The ``symrnn --help`` epilog: the overwrite rule and the exit code of errors."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, exit 2
        sys.stderr.write(f"symrnn: error: {message}\n")
        raise SystemExit(2)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="symrnn", description="Derive and verify the mathematics of recurrent and graph neural networks.",
                     epilog=EPILOG)
    from . import __version__

    parser.add_argument("--version", action="version", version=f"symrnn {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    for name in COMMANDS:
        module_name = "list_" if name == "list" else name
        try:
            module = importlib.import_module(f".commands.{module_name}", __package__)
        except ModuleNotFoundError as exc:
            if exc.name and exc.name.endswith(f"commands.{module_name}"):
                continue
            raise
        p = sub.add_parser(module.NAME, help=module.HELP, description=module.HELP)
        module.add_arguments(p)
        p.set_defaults(_run=module.run)
    return parser


def main(argv=None) -> int:
    """Run the command line; returns the exit code.

    Examples
    --------
    >>> main(["show", "rnn", "--latex"])  # doctest: +ELLIPSIS
    \\begin{aligned}
    ...
    0
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args._run(args) or 0)
    except SymrnnError as exc:
        sys.stderr.write(f"symrnn: error: {' '.join(str(exc).split())}\n")
        return 2
    except BrokenPipeError:
        return 0
    except KeyboardInterrupt:
        sys.stderr.write("symrnn: interrupted\n")
        return 130


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
