"""Running a real LaTeX engine (latexmk or pdflatex) on generated documents, confined to a fresh directory.

Generated documents carry user text (escaped, :func:`symrnn.spec.latex.tex_escape`)
and user ``latex=`` strings (an allow-list, :mod:`symrnn.spec.tex_subset`).
The engine is a second, independent layer: it runs

* in a fresh temporary directory holding only the document, with no
  ``latexmkrc`` read (``-norc``) and no shell escape;
* with ``openin_any=p`` and ``openout_any=p`` in its environment (kpathsea's
  paranoid mode: no absolute paths, no ``..``, no dot files), and without the
  caller's ``TEXINPUTS``, so ``\\input``, ``\\openin`` and ``\\openout`` reach
  nothing outside that directory and TeX's own tree;
* in a process group of its own, killed as a whole on a timeout or an
  interrupt (latexmk's pdflatex child would otherwise keep running); the call
  returns once no member of the group runs.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from .errors import SymrnnError

__all__ = ["tex_engine", "compile_tex", "engine_environment", "LatexError"]


class LatexError(SymrnnError, RuntimeError):
    """The TeX engine failed or is missing; the message holds the first error line."""


def tex_engine() -> str | None:
    """Path of latexmk, else pdflatex, else None."""
    return shutil.which("latexmk") or shutil.which("pdflatex")


def engine_environment(base=None) -> dict:
    """The environment the engine runs in: ``base`` (default ``os.environ``) with file access confined.

    Examples
    --------
    >>> env = engine_environment({"PATH": "/usr/bin", "TEXINPUTS": "/home/me//:"})
    >>> env["openin_any"], env["openout_any"], "TEXINPUTS" in env
    ('p', 'p', False)
    """
    env = dict(os.environ if base is None else base)
    for name in ("TEXINPUTS", "TEXMFOUTPUT", "TEXMFDOTDIR", "openin_any", "openout_any", "shell_escape"):
        env.pop(name, None)
    env.update(openin_any="p", openout_any="p", shell_escape="f")
    return env


def _command(engine: str, tex: str) -> list[str]:
    if Path(engine).name == "latexmk":
        return [engine, "-norc", "-pdf", "-pdflatex=pdflatex -no-shell-escape %O %S", "-interaction=nonstopmode",
                "-halt-on-error", "-quiet", tex]
    return [engine, "-no-shell-escape", "-interaction=nonstopmode", "-halt-on-error", tex]


def _run(cmd: list[str], cwd: str, timeout: float):
    """Run ``cmd`` in a new session; on a timeout kill its whole process group. Returns (returncode, output)."""
    proc = subprocess.Popen(cmd, cwd=cwd, env=engine_environment(), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, errors="replace", start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=timeout)
    except BaseException:  # the timeout, and a Ctrl-C while TeX runs: nothing of the group outlives the call
        _kill_group(proc)
        raise
    return proc.returncode, out


def _kill_group(proc, grace: float = 5.0) -> None:
    """SIGKILL the engine's process group and wait (at most ``grace`` s) until every member is gone."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        return
    proc.communicate()
    deadline = time.monotonic() + grace
    while _running(proc.pid) and time.monotonic() < deadline:  # latexmk's pdflatex is not our child
        time.sleep(0.01)


def _running(pgid: int) -> bool:
    """Whether a member of process group ``pgid`` still runs (a zombie, dead but not yet reaped, does not)."""
    proc = Path("/proc")
    if not proc.is_dir():  # no procfs: any member, zombies too
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return False
        return True
    for stat in proc.glob("[0-9]*/stat"):
        try:
            state, _, group = stat.read_text().rsplit(")", 1)[1].split()[:3]
        except (OSError, ValueError):
            continue
        if int(group) == pgid and state not in "ZX":
            return True
    return False


def compile_tex(source: str, *, timeout: float = 120.0) -> bytes:
    """Compile a LaTeX document in a fresh temporary directory; returns the PDF bytes.

    Parameters
    ----------
    source : str
        A complete document (``\\documentclass`` … ``\\end{document}``).
    timeout : float
        Seconds before the engine's whole process group is killed.

    Raises
    ------
    LatexError
        No engine installed, a timeout, or the document does not compile (the
        first ``!`` error line of the log is in the message).

    Examples
    --------
    >>> from symrnn.spec.latex import document
    >>> compile_tex(document("t", r"\\(x\\)"))[:4] if tex_engine() else b"%PDF"
    b'%PDF'
    """
    engine = tex_engine()
    if engine is None:
        raise LatexError("no TeX engine: install latexmk or pdflatex (Debian: texlive-latex-base latexmk)")
    with tempfile.TemporaryDirectory(prefix="symrnn-tex-") as tmp:
        tex = Path(tmp) / "doc.tex"
        tex.write_text(source, encoding="utf-8")
        try:
            code, output = _run(_command(engine, tex.name), tmp, timeout)
        except subprocess.TimeoutExpired:
            raise LatexError(f"LaTeX timed out after {timeout:g} s (the engine was stopped)") from None
        pdf = Path(tmp) / "doc.pdf"
        if code != 0 or not pdf.exists():
            log = Path(tmp) / "doc.log"
            text = log.read_text(errors="replace") if log.exists() else output
            first = next((ln for ln in text.splitlines() if ln.startswith("!")), "unknown error")
            raise LatexError(f"LaTeX failed: {first.strip()}")
        return pdf.read_bytes()
