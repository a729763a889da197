"""Every catalogue entry's LaTeX compiles with a real TeX engine, in the study note's notation."""

from __future__ import annotations

import pytest

import symrnn
from symrnn._latex_engine import LatexError, compile_tex, tex_engine
from symrnn.spec.latex import document, name_latex, tex_escape

needs_tex = pytest.mark.skipif(tex_engine() is None, reason="no TeX engine (CI installs texlive + latexmk)")


@needs_tex
@pytest.mark.parametrize("name", symrnn.cells.names())
def test_entry_latex_compiles(name):
    desc = symrnn.cell(name)
    pdf = compile_tex(document(f"{name}: {desc.reference}", "\\[\n" + desc.latex() + "\n\\]"))
    assert pdf.startswith(b"%PDF")


@needs_tex
def test_broken_latex_is_reported_not_ignored():
    with pytest.raises(LatexError, match="Undefined control sequence"):
        compile_tex(document("broken", r"\[ \notacommand x \]"))


def test_notation_follows_the_study_note():
    lstm = symrnn.cell("lstm").latex()
    assert r"\mathbf{c}_{t} &= \mathbf{f}_{t} \odot \mathbf{c}_{t-1} + \mathbf{i}_{t} \odot \tilde{\mathbf{c}}_{t}" in lstm
    assert r"\mathbf{h}_{t} &= \mathbf{o}_{t} \odot \tanh\left(\mathbf{c}_{t}\right)" in lstm
    gru = symrnn.cell("gru_reset_before").latex()
    assert r"\mathbf{z}_{t} \odot \mathbf{h}_{t-1} + \left(1 - \mathbf{z}_{t}\right) \odot \tilde{\mathbf{h}}_{t}" in gru
    after = symrnn.cell("gru_reset_after").latex()
    assert r"\mathbf{r}_{t} \odot \left(\mathbf{U}_{n} \mathbf{h}_{t-1} + \mathbf{b}_{hn}\right)" in after
    peep = symrnn.cell("lstm_peephole").latex()
    assert r"\mathbf{p}_{o} \odot \mathbf{c}_{t}" in peep and r"\mathbf{p}_{i} \odot \mathbf{c}_{t-1}" in peep


def test_names_and_text_are_escaped():
    assert name_latex("W_hn") == r"\mathbf{W}_{hn}"
    assert name_latex("alpha_1") == r"\boldsymbol{\alpha}_{1}"
    assert tex_escape("lstm_no_input & 100%") == r"lstm\_no\_input \& 100\%"


@needs_tex
def test_authors_accented_names_are_tex_accents_and_compile():
    """Veličković (GAT), Dvořák, Erdős: pdflatex's accent commands, never a ``?`` in a paper's author."""
    from symrnn.derive.graph_document import graph_document
    from symrnn.graphs.layers import gat

    assert tex_escape("Veličković Dvořák Erdős Łukasz") == r"Veli\v{c}kovi\'{c} Dvo\v{r}ák Erd\H{o}s \L{}ukasz"
    assert tex_escape("中 ☃") == "? ?"  # no glyph in pdflatex: a visible mark, not a stopped run
    tex = graph_document(gat(heads=2))
    assert r"Veli\v{c}kovi\'{c}" in tex and "Veli?" not in tex
    assert compile_tex(tex)[:4] == b"%PDF"
    assert compile_tex(document("accents", tex_escape("ąęż đ œ Å ğ İ")))[:4] == b"%PDF"


def _inline(f) -> str:
    b = symrnn.CellBuilder("inline_case")
    D, H = b.sizes("D H")
    x, h = b.input("x", D), b.state("h", H)
    a = b.linear(b.param("W", H, D) @ x + b.param("c", H))  # prints as a sum: W x_t + c
    n = b.linear(-(b.param("V", H, H) @ h))  # prints with a leading minus: -V h_{t-1}
    b.update("h", f(a, n, h))
    return b.build().latex().splitlines()[1].partition("&= ")[2]


A = r"\mathbf{W} \mathbf{x}_{t} + \mathbf{c}"
NV = r"-\mathbf{V} \mathbf{h}_{t-1}"


@pytest.mark.parametrize("build, expected", [
    (lambda a, n, h: a**2 + symrnn.tanh(a), rf"\left({A}\right)^{{2}} + \tanh\left({A}\right)"),
    (lambda a, n, h: 1 / a - a, rf"\frac{{1}}{{{A}}} - \left({A}\right)"),
    (lambda a, n, h: a * h / (1 + a), rf"\frac{{\mathbf{{h}}_{{t-1}} \odot \left({A}\right)}}{{1 + {A}}}"),
    (lambda a, n, h: h + n**2, rf"\mathbf{{h}}_{{t-1}} + \left({NV}\right)^{{2}}"),
    (lambda a, n, h: h - n, rf"\mathbf{{h}}_{{t-1}} - \left({NV}\right)"),
    (lambda a, n, h: 3 * a, rf"3 \left({A}\right)"),
    (lambda a, n, h: h + a, rf"{A} + \mathbf{{h}}_{{t-1}}"),
])
def test_inline_pre_activations_keep_their_parentheses(build, expected):
    """(W x + c)² once printed as W x + c^{2}, and −(W x + c) as −W x + c: a different equation."""
    assert _inline(build) == expected
