"""Checks of issue 15, defect 3 (LaTeX that reads no files), used by tests/test_hardening_round2.py.

The oracle is the built PDF's text: a sentinel file's content must never be in
it, while a marker written next to the payload must be (so the extraction
works and the field did reach the document).  The text is read with a small
extractor of our own (inflate every stream, join the strings of its ``Tj`` /
``TJ`` operators): pdflatex sets these letters in T1, where they are their
ASCII codes.
"""

from __future__ import annotations

import dataclasses
import os
import re
import subprocess
import zlib
from pathlib import Path

import pytest

import symrnn
from symrnn import CellBuilder, sigmoid, tanh, trees
from symrnn._latex_engine import LatexError, compile_tex, tex_engine
from symrnn.derive import derivation_document
from symrnn.prove import Result, Theorem, report, run
from symrnn.spec.latex import document

SECRET = "SENTINELSECRETQZ"
MARKER = "VISIBLEMARKERQZ"

needs_tex = pytest.mark.skipif(tex_engine() is None, reason="no TeX engine (CI installs texlive + latexmk)")


def pdf_text(pdf: bytes) -> str:
    """The capital letters a PDF shows, in order (spaces, hyphenation and everything else dropped).

    The sentinel and the marker are capitals only, so a line break that
    hyphenates them (``MARK-`` / ``ER``) does not hide them.
    """
    assert pdf.startswith(b"%PDF")
    out = []
    for m in re.finditer(rb"stream\r?\n(.*?)endstream", pdf, re.S):
        try:  # a decompressor object ignores the end-of-line bytes before "endstream"
            body = zlib.decompressobj().decompress(m.group(1))
        except zlib.error:
            continue
        for op in re.finditer(rb"\[(.*?)\]\s*TJ|(\((?:\\.|[^\\)])*\))\s*Tj", body, re.S):
            pieces = re.findall(rb"\(((?:\\.|[^\\)])*)\)", op.group(1) or op.group(2))
            out.append(b"".join(pieces).decode("latin-1"))
    return re.sub(r"[^A-Z]", "", "".join(out))


def secret_file(tmp_path: Path) -> Path:
    path = tmp_path / "secret.tex"
    path.write_text(SECRET + "\n")
    return path


def text_payloads(secret: Path) -> list[str]:
    """Plain-text field values that would make TeX read ``secret`` (or break the build) if obeyed."""
    s = str(secret)
    return [
        rf"see $\input{{{s}}}$",
        rf"\input{{{s}}} and \include{{{s[:-4]}}}",
        rf"$\catcode`\|=0 |input{{{s}}}$",
        "^^5cinput{" + s + "}",
        r"# 100% & _ ^ ~ { } \\ $$ \par \end{document}",
        "中文 \x00\x07 tab\there\n\nnew paragraph, Küchler — 1 ≤ 2",
    ]


ROLES = {"input": "input 'x' latex=", "state": "state 'h' latex=", "param": "param 'W' latex=",
         "linear": "linear 'a' latex=", "let": "let 'z' latex="}
"""Where a builder takes ``latex=``, and how its error names the argument."""


def gated_cell(role: str | None = None, tex=None, **meta):
    """A small gated cell; ``tex`` is the latex= of the vector in ``role`` (a key of :data:`ROLES`)."""
    def t(r):
        return tex if r == role else None

    b = CellBuilder("g", **meta)
    D, H = b.sizes("D H")
    x, h = b.input("x", D, latex=t("input")), b.state("h", H, latex=t("state"))
    W, U, bias = b.param("W", H, D, latex=t("param")), b.param("U", H, H), b.param("b", H)
    a = b.linear(W @ x + U @ h + bias, "a", latex=t("linear"))
    z = b.let("z", sigmoid(a), latex=t("let"))
    b.update("h", z * h + (1 - z) * tanh(W @ x + bias))
    return b.build()


def _derive(field, value):
    return derivation_document(gated_cell(**{field: f"{MARKER} {value}"}), "tex")


def _tree(field, value):
    model = dataclasses.replace(trees.child_sum_tree_lstm(), **{field: f"{MARKER} {value}"})
    return trees.tree_document(model)


def _theorem(field, value):
    text = f"{MARKER} {value}"
    t = Theorem("payload_theorem", text if field == "statement" else "a claim", lambda: Result("proved", "by hand"),
                references=(text,) if field == "references" else ())
    return report.latex([dataclasses.replace(v, seconds=0.0) for v in run([t])])  # no clock in the text


DOCUMENTS = {"derive reference": lambda v: _derive("reference", v), "derive summary": lambda v: _derive("summary", v),
             "tree reference": lambda v: _tree("reference", v), "tree summary": lambda v: _tree("summary", v),
             "theorem statement": lambda v: _theorem("statement", v),
             "theorem references": lambda v: _theorem("references", v)}
"""Every plain-text field that reaches a generated document, as value -> LaTeX source."""


def check_text_field(field: str, tmp_path: Path) -> None:
    """Each payload in ``field`` builds, shows the marker, and never the secret."""
    secret = secret_file(tmp_path)
    for payload in text_payloads(secret):
        text = pdf_text(compile_tex(DOCUMENTS[field](payload)))
        assert MARKER in text, (field, payload)
        assert SECRET not in text, (field, payload)


def _raw(body: str) -> str:
    return document("raw", f"{MARKER} {body}")


def check_engine_refuses_absolute_input(tmp_path: Path) -> None:
    """The engine layer alone: raw ``\\input`` of an absolute path fails, where plain pdflatex would include it."""
    secret = secret_file(tmp_path)
    source = _raw(rf"\input{{{secret}}}")
    control = tmp_path / "control"
    control.mkdir()
    (control / "doc.tex").write_text(source)
    env = {k: v for k, v in os.environ.items() if k not in ("openin_any", "openout_any")}
    subprocess.run(["pdflatex", "-interaction=nonstopmode", "doc.tex"], cwd=control, env=env, capture_output=True,
                   timeout=120)
    assert SECRET in pdf_text((control / "doc.pdf").read_bytes())  # the payload works on an unconfined engine
    with pytest.raises(LatexError):
        compile_tex(source)


def check_engine_refuses_relative_input(tmp_path: Path, monkeypatch) -> None:
    """``\\input{secret}`` resolves in the engine's fresh directory, not the caller's."""
    secret_file(tmp_path)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(LatexError):
        compile_tex(_raw(r"\input{secret}"))


def check_engine_refuses_openin_and_openout(tmp_path: Path) -> None:
    secret = secret_file(tmp_path)
    read = _raw(rf"\newread\r \immediate\openin\r={secret} \read\r to\x \x")
    try:
        assert SECRET not in pdf_text(compile_tex(read))
    except LatexError:
        pass  # refused outright: as good
    target = tmp_path / "written.tex"
    write = _raw(rf"\newwrite\w \immediate\openout\w={target} \immediate\write\w{{x}} \immediate\closeout\w")
    try:
        compile_tex(write)
    except LatexError:
        pass
    assert not target.exists()


def running_in(directory: Path, name: str | None = None) -> list[int]:
    """Processes (not zombies) whose working directory is ``directory`` or below it (also once it is deleted)."""
    pids = []
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            cwd = os.readlink(entry / "cwd").removesuffix(" (deleted)")
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
            comm = (entry / "comm").read_text().strip()
        except (OSError, IndexError):
            continue
        if Path(cwd).is_relative_to(directory) and state != "Z" and name in (None, comm):
            pids.append(int(entry.name))
    return pids


def check_timeout_kills_the_process_group(tmp_path: Path, monkeypatch) -> None:
    """A TeX loop past the timeout: the error names the timeout and no engine process (pdflatex) is left running."""
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # the engine's fresh directory goes below tmp_path
    with pytest.raises(LatexError, match="timed out"):
        compile_tex(document("loop", r"\def\spin{\spin}\spin"), timeout=3)
    assert running_in(tmp_path) == []


def check_report_refuses_unsafe_theorem_latex() -> None:
    # refused when the Theorem is built (before any run), and again by the report for a Verdict made by hand
    with pytest.raises(symrnn.errors.SpecError, match="Theorem 'unsafe_latex' latex="):
        Theorem("unsafe_latex", "a claim", lambda: Result("proved", "by hand"), latex=r"\input{/etc/passwd}")
    from symrnn.prove import Verdict

    v = Verdict("unsafe_latex", "a claim", Result("proved", "by hand"), 0.0, latex=r"\input{/etc/passwd}")
    with pytest.raises(symrnn.errors.SpecError, match="theorem 'unsafe_latex' latex="):
        report.latex([v])
