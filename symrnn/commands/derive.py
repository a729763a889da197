"""``symrnn derive NAME [--format tex|pdf|md] [-o FILE] [--option KEY=VALUE …] [--from FILE.py]``: a derivation document.

Every model has one: a cell's Jacobians, chain-rule steps, BPTT recursion and
gradient sums; a tree model's chain cell and Jacobians to a child; a graph
layer's (or graph-recurrent cell's) reverse mode, stage by stage
(:func:`symrnn.derive.derivation_document`).  Without ``-o`` a text format
goes to stdout (``pdf`` needs ``-o``).  The output path is checked before any
work, and written atomically: a failure (unknown name, bad option, unwritable
path, TeX error) exits 2 with one line and leaves no file.
"""

from __future__ import annotations

import sys

from ..errors import InputError
from ._models import add_model_arguments, resolve

NAME = "derive"
HELP = ("write the derivation of a model: Jacobians, chain-rule steps, BPTT, gradient sums "
        "(trees: Jacobians to a child; graph layers: reverse mode stage by stage)")

FORMATS = ("tex", "pdf", "md")


def add_arguments(parser):
    parser.add_argument("name", help="model name (see `symrnn list`), or a name in the --from file")
    parser.add_argument("--format", choices=FORMATS, default="tex",
                        help="tex (compiles with latexmk/pdflatex), pdf (runs it) or md ($$ math)")
    parser.add_argument("-o", "--output", metavar="FILE", help="output file (default: stdout; required for pdf)")
    add_model_arguments(parser)


def run(args) -> int:
    from .._io import atomic_write, check_writable

    if args.output is not None:
        check_writable(args.output)
    elif args.format == "pdf":
        raise InputError("derive --format pdf needs an output file: pass -o FILE.pdf")
    data = build(resolve(args), args.format)
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
