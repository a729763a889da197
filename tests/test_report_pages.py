"""Issue 20, item 3: the proofs report's summary breaks across pages and shows every theorem.

Oracle: the compiled PDF's text, read with positions by :mod:`pdf_text` (our
own reader): every theorem's name must be set on a page, above its bottom
margin, twice — once in the summary table and once in its own section.  The
old single ``tabular`` of the whole catalogue ran past the bottom of page 2,
where its last rows were set below the page (and the page number over a row).
"""

from __future__ import annotations

import pytest

from pdf_text import page_height, runs
from symrnn._latex_engine import compile_tex, tex_engine
from symrnn.prove import Result, Verdict, catalogue
from symrnn.prove.report import latex

needs_tex = pytest.mark.skipif(tex_engine() is None, reason="no TeX engine (CI installs texlive + latexmk)")

BOTTOM = 45.0
"""Points from the page's bottom edge: the text block ends at 2 cm (56.7 pt), the page number sits near 27 pt."""


def _verdicts(theorems):
    """One verdict per theorem, as a run reports it (the layout does not depend on the outcome)."""
    def result(status):
        return Result(status, "by a method", counterexample={"x": 1} if status == "refuted" else None)

    return [Verdict(t.name, t.statement, result(t.expect), 0.25, expect=t.expect,
                    references=tuple(t.references), latex=t.latex or "") for t in theorems]


def _placed(pdf: bytes) -> dict[str, int]:
    """name -> how many times it is set on a page above the bottom margin."""
    top = page_height(pdf)
    out: dict[str, int] = {}
    for r in runs(pdf):
        if BOTTOM < r.y < top:
            out[r.text] = out.get(r.text, 0) + 1
    return out


@needs_tex
def test_every_catalogue_theorem_is_in_the_summary_and_its_section():
    theorems = catalogue()
    assert len(theorems) > 60  # the size at which the old table overflowed
    pdf = compile_tex(latex(_verdicts(theorems)))
    placed = _placed(pdf)
    missing = [t.name for t in theorems if placed.get(t.name, 0) < 2]
    assert missing == [], f"theorems not shown in both the summary and their section: {missing}"


@needs_tex
def test_the_summary_starts_on_the_title_page_and_repeats_its_head():
    pdf = compile_tex(latex(_verdicts(catalogue())))
    seen = runs(pdf)
    title_stream = next(r.stream for r in seen if r.text.startswith("symrnn"))
    first_page = [r.text for r in seen if r.stream == title_stream]
    assert "Summary" in first_page and catalogue()[0].name in first_page
    heads = [r for r in seen if r.text.startswith("theoremverdictexpected") and r.y > BOTTOM]  # word spaces are kerns
    assert len({r.stream for r in heads}) >= 2  # the head is repeated on the next page


@needs_tex
def test_the_old_unbreakable_table_fails_this_oracle():
    """The oracle sees the defect it is about: the same rows in one tabular lose theorems below the page."""
    tex = latex(_verdicts(catalogue()))
    start, end = tex.index("{\\small\\begin{longtable}"), tex.index("\\end{longtable}}") + len("\\end{longtable}}")
    rows = [line for line in tex[start:end].splitlines() if line.startswith("\\texttt{")]
    table = "\n".join(["{\\small\\begin{tabular}{llll}", "theorem & verdict & expected & time (s) \\\\ \\hline",
                       *rows, "\\end{tabular}}"])
    placed = _placed(compile_tex(tex[:start] + table + tex[end:]))
    assert [t.name for t in catalogue() if placed.get(t.name, 0) < 2]
