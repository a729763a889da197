"""The disk cache of compiled kernels: generated modules under ``SYMRNN_CACHE_DIR``, numba's cache beside them.

A module's file name is a hash of its text, of the numba, llvmlite, NumPy and
symrnn versions and of the helper modules compiled into it (:data:`LINKED`;
the dtype is in the text), so a change to any of them writes a new file
instead of reusing a stale one.  The file is written to a
temporary name in the same directory and moved into place with
``os.replace``: a reader sees the whole file or none, and a failed write
leaves nothing behind.  Its functions carry ``@njit(cache=True)``, so numba
stores the machine code in ``__pycache__`` next to it and a second process
loads it instead of compiling.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
import tempfile
from pathlib import Path

__all__ = ["cache_dir", "module_path", "write_atomic", "load"]


def cache_dir() -> Path:
    """``$SYMRNN_CACHE_DIR``, else ``~/.cache/symrnn`` (created on use).

    Examples
    --------
    >>> import os
    >>> os.environ["SYMRNN_CACHE_DIR"] = "/tmp/symrnn-doc-cache"
    >>> str(cache_dir())
    '/tmp/symrnn-doc-cache'
    >>> del os.environ["SYMRNN_CACHE_DIR"]
    """
    return Path(os.environ.get("SYMRNN_CACHE_DIR") or Path.home() / ".cache" / "symrnn")


LINKED = ("blas.py", "mathfns.py", "scalar.py")
"""Modules of this package whose compiled functions a cached kernel contains (numba's cache does not track them)."""


def _versions() -> str:
    import llvmlite
    import numba
    import numpy

    from ... import __version__

    here = Path(__file__).parent
    linked = hashlib.sha256(b"".join((here / f).read_bytes() for f in LINKED)).hexdigest()[:16]
    return (f"numba {numba.__version__} llvmlite {llvmlite.__version__} numpy {numpy.__version__} "
            f"symrnn {__version__} helpers {linked}")


def module_path(source: str) -> Path:
    """Where the module of ``source`` lives: ``<cache dir>/kernel_<hash>.py``."""
    digest = hashlib.sha256((_versions() + "\n" + source).encode()).hexdigest()[:24]
    return cache_dir() / f"kernel_{digest}.py"


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and ``os.replace`` (no partial file, ever).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "m.py"
    >>> write_atomic(p, "x = 1\\n"); p.read_text(), sorted(q.name for q in p.parent.iterdir())
    ('x = 1\\n', ['m.py'])
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def load(source: str):
    """The module of ``source``: imported if already loaded here, else written (if missing) and imported."""
    path = module_path(source)
    name = f"symrnn_kernel_{path.stem[len('kernel_'):]}"
    if name in sys.modules:
        return sys.modules[name]
    if not (path.exists() and path.read_text(encoding="utf-8") == source):
        write_atomic(path, source)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # numba's cache re-imports a module by name when it rebuilds an environment
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module
