"""A one-line progress bar for long commands, drawn only on a terminal.

``symrnn prove``, ``bench``, ``experiment`` and report builds draw it on
stderr; it is silent when stderr is not a terminal (a pipe, a file, CI) and
when the command prints JSON.  A few lines of our own instead of a
dependency: a carriage return redraws the line, the elapsed time and an
estimate of what remains follow the bar.
"""

from __future__ import annotations

import shutil
import sys
import time

__all__ = ["Progress", "on_terminal"]


def on_terminal(stream) -> bool:
    """Whether ``stream`` is an interactive terminal (False for pipes, files and closed streams).

    Examples
    --------
    >>> import io
    >>> on_terminal(io.StringIO())
    False
    """
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False


class Progress:
    """``label [#####-----] k/n  12 s, ~30 s left  note``, redrawn in place.

    Parameters
    ----------
    total : int
        Number of steps.
    label : str
        What runs (``prove``, ``bench`` …).
    stream : file, optional
        Where to draw (default ``sys.stderr``); nothing is drawn unless it is a terminal.
    enabled : bool
        False silences the bar (``--json``).

    Examples
    --------
    >>> import io
    >>> class Tty(io.StringIO):
    ...     def isatty(self):
    ...         return True
    >>> out = Tty()
    >>> with Progress(2, "demo", stream=out) as bar:
    ...     bar.advance(note="first")
    ...     bar.advance(note="second")
    >>> "demo [" in out.getvalue() and "2/2" in out.getvalue() and out.getvalue().endswith("\\n")
    True
    >>> silent = io.StringIO()
    >>> with Progress(2, "demo", stream=silent) as bar:
    ...     bar.advance()
    >>> silent.getvalue()
    ''
    """

    def __init__(self, total: int, label: str = "", *, stream=None, enabled: bool = True, width: int = 24):
        self.stream = sys.stderr if stream is None else stream
        self.on = bool(enabled) and on_terminal(self.stream)
        self.total, self.label, self.width = max(int(total), 1), label, width
        self.done = 0
        self.start = time.monotonic()
        self._drawn = False

    def show(self, note: str = "") -> None:
        """Redraw with ``note`` (e.g. what starts now) without advancing."""
        if not self.on:
            return
        filled = self.width * min(self.done, self.total) // self.total
        elapsed = time.monotonic() - self.start
        left = f", ~{elapsed / self.done * (self.total - self.done):.0f} s left" if 0 < self.done < self.total else ""
        line = (f"{self.label} [{'#' * filled}{'-' * (self.width - filled)}] {self.done}/{self.total}  "
                f"{elapsed:.0f} s{left}  {note}")
        columns = max(shutil.get_terminal_size((100, 20)).columns - 1, 20)
        self.stream.write("\r" + line[:columns].ljust(columns))
        self.stream.flush()
        self._drawn = True

    def advance(self, steps: int = 1, note: str = "") -> None:
        """Count ``steps`` more as done and redraw."""
        self.done += steps
        self.show(note)

    def close(self) -> None:
        """End the line (once), so later output starts on a line of its own."""
        if self.on and self._drawn:
            self.stream.write("\n")
            self.stream.flush()
            self._drawn = False

    def __enter__(self) -> "Progress":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
