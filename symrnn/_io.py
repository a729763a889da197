"""Atomic file output: a failure leaves the old file or none, never half a file.

The overwrite rule, the same for every command and function that writes: an
existing output *file* is replaced atomically (temporary file in the same
directory, then ``os.replace``); a directory, a missing directory or an
unwritable path is refused with an :class:`~symrnn.errors.InputError` before
any work is done.
"""

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
    try:  # os.access says yes to root everywhere; a real probe catches /proc, read-only mounts, full quotas
        fd, probe = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".probe", dir=parent)
    except OSError as exc:
        raise InputError(f"output path {str(p)!r}: cannot create a file in {str(parent)!r} ({exc.strerror or exc})") from None
    os.close(fd)
    os.unlink(probe)
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
    if not isinstance(data, (str, bytes)):
        raise InputError(f"atomic_write: data must be str or bytes, got {type(data).__name__}")
    mode = "wb" if isinstance(data, bytes) else "w"
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=p.parent if str(p.parent) else ".")
    except OSError as exc:
        raise InputError(f"output path {str(p)!r}: cannot create a file in {str(p.parent)!r} ({exc.strerror or exc})") from None
    try:
        with os.fdopen(fd, mode, **({} if mode == "wb" else {"encoding": "utf-8"})) as fh:
            fh.write(data)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; give the file the usual mode
        os.replace(tmp, p)
    except BaseException as exc:
        if os.path.exists(tmp):
            os.unlink(tmp)
        if isinstance(exc, OSError):  # disk full, file system gone read-only, rename refused...
            raise InputError(f"output path {str(p)!r}: write failed ({exc.strerror or exc}); the old file, if any, is unchanged") from None
        raise
    return p
