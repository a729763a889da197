"""Finding theorems and running them, each inside its own time limit."""

from __future__ import annotations

import importlib
import pkgutil
from typing import Callable, Iterable, Sequence

from ..errors import SpecError, UnknownNameError
from .theorem import Theorem
from .verdict import Verdict

__all__ = ["catalogue", "collect", "load", "select", "run"]


def collect(module) -> list[Theorem]:
    """Every :class:`Theorem` defined at the top level of ``module``, in order.

    Examples
    --------
    >>> import symrnn.proofs.deep
    >>> [t.name for t in collect(symrnn.proofs.deep)][:2]
    ['stacked_depth_one_lstm', 'stacked_depth_one_gru']
    """
    return [v for v in vars(module).values() if isinstance(v, Theorem)]


def _where(exc: BaseException, filename) -> str:
    """``Type: message (file, line n)`` of an exception raised by a user's module."""
    import traceback

    import os

    if isinstance(exc, SyntaxError) or filename is None:
        return f"{type(exc).__name__}: {exc}"
    here = os.path.abspath(filename)
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if os.path.abspath(f.filename) == here]
    return f"{type(exc).__name__}: {exc}" + (f" (line {frames[-1].lineno})" if frames else "")


def load(source: str) -> list[Theorem]:
    """Theorems of a user's module: a file ``path/to/my_proofs.py`` or an importable name.

    Loading **imports the module, i.e. runs the user's own Python code** (as
    pytest does with a test file): pass only files you trust.  An exception
    raised while importing — and a ``sys.exit()`` in it, which must not end
    the run as if it had succeeded — becomes a :class:`~symrnn.errors.SpecError`
    naming the file and line; ``KeyboardInterrupt`` still stops the run.

    Examples
    --------
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "mine.py")
    >>> code = ["import symrnn", "from symrnn.prove import Theorem, identity",
    ...         "D, H = symrnn.sizes('D H')",
    ...         "t = Theorem('rnn_count', 'P = DH + H^2 + H',",
    ...         "            lambda: identity(symrnn.cell('rnn').parameter_count(), D*H + H**2 + H))"]
    >>> _ = open(path, "w").write("\\n".join(code))
    >>> [v.status for v in run(load(path))]
    ['proved']
    """
    import importlib.util
    from pathlib import Path

    if str(source).endswith(".py"):
        path = Path(source)
        if not path.is_file():
            raise UnknownNameError(f"theorem file {str(path)!r} does not exist")
        spec = importlib.util.spec_from_file_location(f"symrnn_user_proofs_{path.stem}", path)
        module = importlib.util.module_from_spec(spec)
        try:  # runs the user's own code, by design (like pytest importing a test file)
            spec.loader.exec_module(module)
        except SystemExit as exc:  # sys.exit(0) in the file must not end the run as a success
            line = _where(exc, str(path)).rpartition(" (line ")[2].rstrip(")")
            raise SpecError(f"theorem file {str(path)!r} called sys.exit({exc.code!r}) while being imported"
                            f"{f' (line {line})' if line.isdigit() else ''}; a theorem file defines Theorems "
                            f"and must not exit") from None
        except Exception as exc:
            raise SpecError(f"theorem file {str(path)!r} failed to import: {_where(exc, str(path))}") from exc
    else:
        if not isinstance(source, str) or not all(p.isidentifier() for p in source.split(".")):
            raise UnknownNameError(f"theorem module {source!r}: expected a file ending in .py or a dotted module name")
        try:
            module = importlib.import_module(source)
        except ModuleNotFoundError as exc:
            raise UnknownNameError(f"cannot import theorem module {source!r}: {exc}") from None
        except SystemExit as exc:
            raise SpecError(f"theorem module {source!r} called sys.exit({exc.code!r}) while being imported") from None
        except Exception as exc:
            raise SpecError(f"theorem module {source!r} failed to import: {_where(exc, None)}") from exc
    found = collect(module)
    if not found:
        raise SpecError(f"{source!r} defines no Theorem at its top level")
    return found


def select(theorems: Sequence[Theorem], names: Sequence[str] | None) -> list[Theorem]:
    """The theorems named (in the order named), or all; unknown names raise, listing the known.

    Examples
    --------
    >>> [t.name for t in select(catalogue(), ["lstm_output_bounded"])]
    ['lstm_output_bounded']
    """
    seen = set()
    for t in theorems:
        if t.name in seen:
            raise SpecError(f"theorem name {t.name!r} is used twice")
        seen.add(t.name)
    if not names:
        return list(theorems)
    by_name = {t.name: t for t in theorems}
    missing = [n for n in names if n not in by_name]
    if missing:
        raise UnknownNameError(f"unknown theorem(s) {missing}; known theorems: {', '.join(by_name)}")
    return [by_name[n] for n in names]


def catalogue(names: Sequence[str] | None = None) -> list[Theorem]:
    """The shipped theorems (package :mod:`symrnn.proofs`), optionally selected by name.

    The package is ``proofs/`` of a checkout, installed as ``symrnn.proofs``,
    so a wheel and a checkout run the same catalogue.

    Raises
    ------
    UnknownNameError
        A requested name is not in the catalogue (the message lists them).

    Examples
    --------
    >>> names = [t.name for t in catalogue()]
    >>> "gru_reset_one_is_rnn_overstatement" in names
    True
    """
    package = importlib.import_module("symrnn.proofs")
    found: list[Theorem] = []
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        found += collect(importlib.import_module(f"symrnn.proofs.{info.name}"))
    return select(found, names)


def run(theorems: Iterable[Theorem], *, timeout: float | None = None,
        progress: Callable[[int, int, Theorem, Verdict | None], None] | None = None) -> list[Verdict]:
    """Check each theorem in turn; a failure in one becomes its ``error`` verdict.

    ``progress(k, n, theorem, verdict)`` is called before (verdict None) and
    after each theorem.

    Examples
    --------
    >>> from symrnn.prove import Theorem, Result
    >>> bad = Theorem("bad", "a check that crashes", lambda: 1 / 0)
    >>> good = Theorem("good", "trivial", lambda: Result("proved", "by definition"))
    >>> [v.status for v in run([bad, good])]
    ['error', 'proved']
    """
    theorems = list(theorems)
    out = []
    for k, t in enumerate(theorems, start=1):
        if progress:
            progress(k, len(theorems), t, None)
        v = t.run(timeout=timeout)
        out.append(v)
        if progress:
            progress(k, len(theorems), t, v)
    return out
