"""Atomic file output: a failure leaves the old file or none, never half a file."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from .errors import InputError

__all__ = ["atomic_write", "check_writable"]


def check_writable(path, *, overwrite: bool = True) -> Path:
    """Check before any work that ``path`` can be written; returns it as a Path.

    The overwrite rule: an existing file is replaced only if ``overwrite``.
    """
    p = Path(path)
    if p.exists() and p.is_dir():
        raise InputError(f"output path {str(p)!r} is a directory")
    if p.exists() and not overwrite:
        raise InputError(f"output path {str(p)!r} exists (pass --force to overwrite)")
    parent = p.parent if str(p.parent) else Path(".")
    if not parent.is_dir():
        raise InputError(f"output path {str(p)!r}: directory {str(parent)!r} does not exist")
    if not os.access(parent, os.W_OK):
        raise InputError(f"output path {str(p)!r}: directory {str(parent)!r} is not writable")
    return p


def atomic_write(path, data, *, overwrite: bool = True) -> Path:
    """Write ``data`` (str or bytes) to ``path`` through a temporary file and a rename.

    Examples
    --------
    >>> import tempfile, os
    >>> d = tempfile.mkdtemp()
    >>> atomic_write(os.path.join(d, "a.txt"), "hello").read_text()
    'hello'
    """
    p = check_writable(path, overwrite=overwrite)
    mode = "wb" if isinstance(data, bytes) else "w"
    fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=p.parent if str(p.parent) else ".")
    try:
        with os.fdopen(fd, mode, **({} if mode == "wb" else {"encoding": "utf-8"})) as fh:
            fh.write(data)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; give the file the usual mode
        os.replace(tmp, p)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return p
