"""``symrnn prove [NAMES…] [--json] [--report FILE.tex|.pdf|.md] [--from MODULE]``: check theorems.

Without ``--from`` the shipped catalogue (:mod:`symrnn.proofs`) is checked;
``--from my_proofs.py`` checks the theorems a user wrote in their own module.

Exit code 0 iff every verdict is as expected: nothing errors, nothing is
refuted unexpectedly (theorems kept on purpose as false claims must come out
refuted).  A progress bar goes to stderr when it is a terminal.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from ..errors import InputError

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
    parser.add_argument("--timeout", type=float, default=None, metavar="S",
                        help="time limit per theorem in seconds, finite and at most 1e6 (default: each theorem's own, 10 s)")


def _progress(stream):
    if not stream.isatty():
        return None

    def show(k, n, theorem, verdict):
        width = 24
        done = k - (verdict is None)
        bar = "#" * (width * done // n) + "-" * (width - width * done // n)
        label = theorem.name if verdict is None else f"{theorem.name}: {verdict.status}"
        stream.write(f"\r[{bar}] {done}/{n} {label[:60]:<60}")
        if verdict is not None and k == n:
            stream.write("\n")
        stream.flush()

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
    if args.sources:
        from ..prove.runner import load, select

        theorems = select([t for src in args.sources for t in load(src)], args.names or None)
    else:
        theorems = prove.catalogue(args.names or None)
    if target is not None and target.suffix.lower() != ".md":  # a theorem's latex= goes into the document
        for t in theorems:
            check_latex(t.latex or None, f"theorem {t.name!r} latex=")
    verdicts = prove.run(theorems, timeout=args.timeout, progress=_progress(sys.stderr))
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

            atomic_write(target, compile_tex(report.latex(verdicts)))
    return report.exit_code(verdicts)
