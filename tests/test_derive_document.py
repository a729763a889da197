"""Derivation documents: every generated .tex compiles; Markdown carries the same formulas."""

from __future__ import annotations

import shutil

import pytest

import symrnn
from symrnn._latex_engine import compile_tex
from symrnn.derive import derivation_document
from test_derive_support import user_cell

needs_tex = pytest.mark.skipif(
    not (shutil.which("latexmk") or shutil.which("pdflatex")), reason="no TeX engine (CI installs one)"
)


EXTRA = {"user": user_cell, "rnn_relu": lambda: symrnn.cell("rnn", activation="relu")}


@needs_tex
@pytest.mark.parametrize("name", [*symrnn.cells.names(), *EXTRA])
def test_every_document_compiles(name):
    desc = EXTRA[name]() if name in EXTRA else symrnn.cell(name)
    pdf = compile_tex(derivation_document(desc, "tex"))
    assert pdf.startswith(b"%PDF")


def test_markdown_holds_the_derivation():
    md = derivation_document(symrnn.cell("rnn"), "md")
    assert md.startswith("# Derivation of the rnn cell")
    assert md.count("$$") % 2 == 0 and "\\begin{aligned}" in md
    jac = r"\frac{\mathrm{d} \mathbf{h}_{t}}{\mathrm{d} \mathbf{h}_{t-1}}"  # the total derivative (issue 20, item 4)
    assert jac in md
    assert r"\operatorname{diag}\left(1 - \mathbf{h}_{t}^{2}\right) \mathbf{U}" in md  # the closed form
    assert r"\sum_{t=1}^{T} \boldsymbol{\varepsilon}^{\mathbf{a}_{h}}_{t} \mathbf{h}_{t-1}^{\top}" in md  # ∂L/∂U
    assert r"\sup\left|1 - \mathbf{h}_{t}^{2}\right|" in md and r"\left(\|\mathbf{U}\|\right)^{k}" in md


def test_lstm_documents_show_the_cell_path():
    md = derivation_document(symrnn.cell("lstm"), "md")
    assert r"\Big|_{\text{direct}} &= \operatorname{diag}\left(\mathbf{f}_{t}\right)" in md
    assert r"\operatorname{diag}\left(\mathbf{f}_{t}\right) \, \boldsymbol{\delta}^{\mathbf{c}}_{t}" in md
    cec = derivation_document(symrnn.cell("lstm_no_forget"), "md")
    assert r"\Big|_{\text{direct}} &= \mathbf{I}" in cec and "constant error carousel" in cec


def test_tex_and_md_carry_the_same_math():
    lstm = symrnn.cell("gru_reset_before")
    tex, md = derivation_document(lstm, "tex"), derivation_document(lstm, "md")
    assert tex.startswith("\\documentclass") and "\\begin{align*}" in tex
    rows = [r for r in md.splitlines() if r.startswith("\\frac{\\partial L}")]
    assert rows and all(r in tex for r in rows)


def test_bidirectional_documents_both_directions():
    md = derivation_document(symrnn.cell("bidirectional"), "md")
    assert "## Forward direction: Equations" in md and "## Backward direction: Equations" in md


def test_unknown_format():
    with pytest.raises(symrnn.SpecError, match="format must be one of"):
        derivation_document(symrnn.cell("rnn"), "html")
