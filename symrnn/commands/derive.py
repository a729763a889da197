"""``symrnn derive NAME [--format tex|pdf|md] [-o FILE]``: the derivation document of a cell.

Without ``-o`` a text format goes to stdout (``pdf`` needs ``-o``).  The output
path is checked before any work, and written atomically: a failure (unknown
cell, unwritable path, TeX error) exits 2 with one line and leaves no file.
"""

from __future__ import annotations

import sys

from ..errors import InputError

NAME = "derive"
HELP = "write the derivation of a cell: Jacobians, chain-rule steps, BPTT recursion, gradient sums"

FORMATS = ("tex", "pdf", "md")


def add_arguments(parser):
    parser.add_argument("name", help="catalogue name (see `symrnn list`)")
    parser.add_argument("--format", choices=FORMATS, default="tex",
                        help="tex (compiles with latexmk/pdflatex), pdf (runs it) or md ($$ math)")
    parser.add_argument("-o", "--output", metavar="FILE", help="output file (default: stdout; required for pdf)")


def run(args) -> int:
    from .. import cells
    from .._io import atomic_write, check_writable

    if args.output is not None:
        check_writable(args.output)
    elif args.format == "pdf":
        raise InputError("derive --format pdf needs an output file: pass -o FILE.pdf")
    desc = cells.cell(args.name)
    data = build(desc, args.format)
    if args.output is None:
        sys.stdout.write(data)
    else:
        atomic_write(args.output, data)
    return 0


def build(desc, format: str):
    """The document as text (``tex``, ``md``) or PDF bytes (``pdf``)."""
    from ..derive import derivation_document

    if format == "pdf":
        from .._latex_engine import compile_tex

        return compile_tex(derivation_document(desc, "tex"))
    return derivation_document(desc, format)
