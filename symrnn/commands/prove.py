"""``symrnn prove [NAMES…] [--json] [--report FILE.tex|.pdf|.md] [--from MODULE]``: check theorems.

Without ``--from`` the shipped catalogue (:mod:`symrnn.proofs`) is checked;
``--from my_proofs.py`` checks the theorems a user wrote in their own module.
``--option KEY=VALUE`` (repeatable) goes to a function ``theorems(**options)``
of that file, which returns the theorems to check (e.g. one per hidden size or
activation); the catalogue takes no options.

Exit code 0 iff every verdict is as expected: nothing errors, nothing is
refuted unexpectedly (theorems kept on purpose as false claims must come out
refuted).  A progress bar (and one for the PDF report's build) goes to stderr
when it is a terminal and ``--json`` is not given.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from ..errors import InputError, SymrnnError
from ._models import add_model_arguments, options

NAME = "prove"
HELP = "check the theorem catalogue (or the named theorems); exit 0 iff nothing is refuted unexpectedly or errors"
FORMATS = (".md", ".tex", ".pdf")
MAX_TIMEOUT = 1e6
"""Longest ``--timeout`` in seconds (about 11 days; the interval timer cannot hold much more)."""


def add_arguments(parser):
    parser.add_argument("names", nargs="*", metavar="NAME", help="theorems to check (default: all)")
    parser.add_argument("--json", action="store_true", help="print the verdicts as JSON")
    parser.add_argument("--report", metavar="FILE", help="write a report: FILE.md, FILE.tex or FILE.pdf")
    parser.add_argument("--from", dest="sources", action="append", metavar="MODULE",
                        help="check the theorems of your own module (a .py file or an importable name) "
                             "instead of the catalogue; repeatable. The module is imported, i.e. your own "
                             "Python code runs, as pytest runs a test file")
    add_model_arguments(parser, source=False, help="an option for theorems(**options) of the --from file (repeatable), "
                                                   "e.g. --option hidden=8; the catalogue takes none")
    parser.add_argument("--timeout", type=float, default=None, metavar="S",
                        help="time limit per theorem in seconds, finite and at most 1e6 (default: each theorem's own, 10 s)")


def _with_options(source: str, opts: dict) -> list:
    """The theorems ``theorems(**opts)`` of a user's file builds (its options checked against the signature)."""
    from ..prove import Theorem
    from ..registry import check_options
    from ._models import _load

    factory = _load(source).get("theorems")
    if not callable(factory):
        raise InputError(f"prove --option: {source!r} defines no function theorems(**options) to pass the options to")
    check_options(f"theorems() of {source!r}", factory, {}, opts)
    try:
        found = list(factory(**opts))
    except SymrnnError:
        raise
    except Exception as exc:  # the user's own code failed
        raise InputError(f"prove --option: theorems(**{opts!r}) of {source!r} failed: {type(exc).__name__}: {exc}") from None
    bad = [t for t in found if not isinstance(t, Theorem)]
    if bad or not found:
        raise InputError(f"prove --option: theorems() of {source!r} must return Theorems, got "
                         f"{type(bad[0]).__name__ if bad else 'none'}")
    return found


def _progress(stream, bar=None):
    """``show(k, n, theorem, verdict)`` drawing the bar on ``stream``, or None when it is not a terminal."""
    from .._progress import Progress, on_terminal

    if not on_terminal(stream):
        return None
    state = {"bar": bar}

    def show(k, n, theorem, verdict):
        if state["bar"] is None:
            state["bar"] = Progress(n, "prove", stream=stream)
        b = state["bar"]
        if verdict is None:
            b.show(theorem.name)
        else:
            b.advance(note=f"{theorem.name}: {verdict.status}")
            if k == n:
                b.close()

    return show


def run(args) -> int:
    from .. import prove
    from .._io import atomic_write, check_writable
    from ..prove import report
    from ..spec.tex_subset import check_latex

    target = None
    if args.report:
        target = Path(args.report)
        if target.suffix.lower() not in FORMATS:
            raise InputError(f"--report {args.report!r}: the file name must end in {', '.join(FORMATS)}")
        check_writable(target)
    if args.timeout is not None and not 0 < args.timeout <= MAX_TIMEOUT:  # also refuses nan and inf
        raise InputError(f"--timeout must be a finite number of seconds in (0, {MAX_TIMEOUT:g}], got {args.timeout}; "
                         f"omit it for each theorem's own limit")
    opts = options(args)
    if opts and not args.sources:
        raise InputError(f"prove --option {', '.join(opts)}: the catalogue's theorems take no options; options go to "
                         f"the function theorems(**options) of a --from FILE.py")
    if args.sources:
        from ..prove.runner import load, select

        found = [t for src in args.sources for t in (_with_options(src, opts) if opts else load(src))]
        theorems = select(found, args.names or None)
    else:
        theorems = prove.catalogue(args.names or None)
    if target is not None and target.suffix.lower() != ".md":  # a theorem's latex= goes into the document
        for t in theorems:
            check_latex(t.latex or None, f"theorem {t.name!r} latex=")
    verdicts = prove.run(theorems, timeout=args.timeout, progress=None if args.json else _progress(sys.stderr))
    if args.json:
        total = sum(v.seconds for v in verdicts)
        from .. import __version__

        counts = {}
        for v in verdicts:
            counts[v.status] = counts.get(v.status, 0) + 1
        print(json.dumps({"symrnn": __version__, "theorems": [v.to_dict() for v in verdicts],
                          "counts": counts, "total_seconds": round(total, 4),
                          "slowest": max(verdicts, key=lambda v: v.seconds).theorem if verdicts else None,
                          "exit_code": report.exit_code(verdicts)}, indent=2, ensure_ascii=False))
    else:
        print(report.summary(verdicts))
    if target is not None:
        suffix = target.suffix.lower()
        if suffix == ".md":
            atomic_write(target, report.markdown(verdicts))
        elif suffix == ".tex":
            atomic_write(target, report.latex(verdicts))
        else:
            from .._latex_engine import compile_tex
            from .._progress import Progress

            with Progress(1, "report", enabled=not args.json) as bar:
                bar.show(f"compiling {target.name}")
                pdf = compile_tex(report.latex(verdicts))
                bar.advance(note=f"{target.name}: {len(pdf) // 1024} KiB")
            atomic_write(target, pdf)
    return report.exit_code(verdicts)
