"""Running a real LaTeX engine (latexmk or pdflatex) on generated documents."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from .errors import SymrnnError

__all__ = ["tex_engine", "compile_tex", "LatexError"]


class LatexError(SymrnnError, RuntimeError):
    """The TeX engine failed or is missing; the message holds the first error line."""


def tex_engine() -> str | None:
    """Path of latexmk, else pdflatex, else None."""
    return shutil.which("latexmk") or shutil.which("pdflatex")


def compile_tex(source: str, *, timeout: float = 120.0) -> bytes:
    """Compile a LaTeX document in a temporary directory; returns the PDF bytes.

    Raises
    ------
    LatexError
        No engine installed, or the document does not compile (the first
        ``!`` error line of the log is in the message).
    """
    engine = tex_engine()
    if engine is None:
        raise LatexError("no TeX engine: install latexmk or pdflatex (Debian: texlive-latex-base latexmk)")
    with tempfile.TemporaryDirectory(prefix="symrnn-tex-") as tmp:
        tex = Path(tmp) / "doc.tex"
        tex.write_text(source, encoding="utf-8")
        # no shell escape: user-supplied LaTeX (a vector's latex=) reaches these documents
        if Path(engine).name == "latexmk":
            cmd = [engine, "-pdf", "-pdflatex=pdflatex -no-shell-escape %O %S", "-interaction=nonstopmode",
                   "-halt-on-error", "-quiet", tex.name]
        else:
            cmd = [engine, "-no-shell-escape", "-interaction=nonstopmode", "-halt-on-error", tex.name]
        try:
            proc = subprocess.run(cmd, cwd=tmp, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise LatexError(f"LaTeX timed out after {timeout:.0f} s") from None
        pdf = Path(tmp) / "doc.pdf"
        if proc.returncode != 0 or not pdf.exists():
            log = (Path(tmp) / "doc.log")
            text = log.read_text(errors="replace") if log.exists() else proc.stdout + proc.stderr
            first = next((ln for ln in text.splitlines() if ln.startswith("!")), "unknown error")
            raise LatexError(f"LaTeX failed: {first.strip()}")
        return pdf.read_bytes()
