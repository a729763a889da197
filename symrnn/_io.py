"""Atomic file output: a failure leaves the old file or none, never half a file.

The overwrite rule, the same for every command and function that writes: an
existing regular *file* with a write permission bit is replaced atomically
(temporary file in the same directory, then ``os.replace``) and keeps its
permission bits; a symbolic link is followed, so the file it points to is
replaced and the link stays.  Refused with an :class:`~symrnn.errors.InputError`
before any work: a directory, anything else that is not a regular file (a
FIFO, a device such as ``/dev/null``, a socket), a file without write
permission (even for root, who could write it: its mode says it is not to be
changed), a missing or unwritable directory.
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

from .errors import InputError

__all__ = ["atomic_write", "check_writable"]

_KINDS = ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))


def _target(path) -> Path:
    """``path``, or the file a symbolic link at ``path`` points to."""
    p = Path(path)
    return Path(os.path.realpath(p)) if p.is_symlink() else p


def _check_existing(p: Path, shown: str, st: os.stat_result, overwrite: bool) -> None:
    for test, kind in _KINDS:
        if test(st.st_mode):
            raise InputError(f"output path {shown!r} is {kind}, not a regular file"
                             + ("" if kind == "a directory" else "; symrnn writes only regular files (omit -o for stdout)"))
    if not stat.S_ISREG(st.st_mode):
        raise InputError(f"output path {shown!r} is not a regular file")
    if not overwrite:
        raise InputError(f"output path {shown!r} exists (pass --force to overwrite)")
    if not st.st_mode & 0o222 or not os.access(p, os.W_OK):
        raise InputError(f"output path {shown!r} is read-only (mode {stat.filemode(st.st_mode)}); "
                         f"give it write permission or choose another path")


def check_writable(path, *, overwrite: bool = True) -> Path:
    """Check before any work that ``path`` can be written; returns the path that will be written.

    The overwrite rule (module docstring): an existing regular file with a
    write bit is replaced only if ``overwrite``; a symbolic link is followed.

    Raises
    ------
    InputError
        ``path`` is a directory, a FIFO, a device or a socket, a read-only
        file, in a missing or unwritable directory, or exists and not ``overwrite``.

    Examples
    --------
    >>> import os, tempfile
    >>> d = tempfile.mkdtemp()
    >>> check_writable(os.path.join(d, "new.md")).name
    'new.md'
    >>> check_writable(os.devnull)
    Traceback (most recent call last):
    ...
    symrnn.errors.InputError: output path '/dev/null' is a character device, not a regular file; symrnn writes only regular files (omit -o for stdout)
    """
    shown = str(path)
    p = _target(path)
    try:
        st = p.stat()
    except FileNotFoundError:
        st = None
    except OSError as exc:  # a path through a file (x.md/y), a loop of links, no permission to look
        raise InputError(f"output path {shown!r}: cannot be used ({exc.strerror or exc})") from None
    if st is not None:
        _check_existing(p, shown, st, overwrite)
    parent = p.parent if str(p.parent) else Path(".")
    if not parent.is_dir():
        raise InputError(f"output path {shown!r}: directory {str(parent)!r} does not exist")
    if not os.access(parent, os.W_OK):
        raise InputError(f"output path {shown!r}: directory {str(parent)!r} is not writable")
    try:  # os.access says yes to root everywhere; a real probe catches /proc, read-only mounts, full quotas
        fd, probe = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".probe", dir=parent)
    except OSError as exc:
        raise InputError(f"output path {shown!r}: cannot create a file in {str(parent)!r} ({exc.strerror or exc})") from None
    os.close(fd)
    os.unlink(probe)
    return p


def _copy_mode(tmp: str, old: os.stat_result | None) -> None:
    """Give ``tmp`` the replaced file's mode (and owner, where allowed), or the usual mode of a new file."""
    if old is None:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600
        return
    os.chmod(tmp, stat.S_IMODE(old.st_mode))
    if hasattr(os, "chown") and (old.st_uid, old.st_gid) != (os.getuid(), os.getgid()):
        try:
            os.chown(tmp, old.st_uid, old.st_gid)
        except OSError:  # only root may give a file away: the new file is the writer's
            pass


def atomic_write(path, data, *, overwrite: bool = True) -> Path:
    """Write ``data`` (str or bytes) to ``path`` through a temporary file and a rename.

    An interrupt (Ctrl-C) or a failing write leaves the old file, or none, and
    no temporary file.

    Examples
    --------
    >>> import tempfile, os
    >>> d = tempfile.mkdtemp()
    >>> atomic_write(os.path.join(d, "a.txt"), "hello").read_text()
    'hello'
    >>> os.chmod(os.path.join(d, "a.txt"), 0o640)
    >>> oct(atomic_write(os.path.join(d, "a.txt"), "again").stat().st_mode & 0o777)
    '0o640'
    """
    if not isinstance(data, (str, bytes)):
        raise InputError(f"atomic_write: data must be str or bytes, got {type(data).__name__}")
    p = check_writable(path, overwrite=overwrite)
    old = p.stat() if p.exists() else None
    mode = "wb" if isinstance(data, bytes) else "w"
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=p.parent if str(p.parent) else ".")
    except OSError as exc:
        raise InputError(f"output path {str(path)!r}: cannot create a file in {str(p.parent)!r} ({exc.strerror or exc})") from None
    try:
        with os.fdopen(fd, mode, **({} if mode == "wb" else {"encoding": "utf-8"})) as fh:
            fh.write(data)
        _copy_mode(tmp, old)
        os.replace(tmp, p)
    except BaseException as exc:
        if os.path.exists(tmp):
            os.unlink(tmp)
        if isinstance(exc, OSError):  # disk full, file system gone read-only, rename refused...
            raise InputError(f"output path {str(path)!r}: write failed ({exc.strerror or exc}); "
                             f"the old file, if any, is unchanged") from None
        if isinstance(exc, UnicodeEncodeError):  # a lone surrogate in the text
            raise InputError(f"output path {str(path)!r}: the text is not valid Unicode ({exc.reason} at "
                             f"position {exc.start}); the old file, if any, is unchanged") from None
        raise
    return p
