"""Reports of a run: Markdown, LaTeX and PDF (statement, verdict, method, steps)."""

from __future__ import annotations

import json

from ..spec.latex import document, tex_escape
from ..spec.tex_subset import check_latex
from .verdict import Verdict, _plain

__all__ = ["summary", "markdown", "latex", "exit_code"]

def _tex(text) -> str:
    """Running text of a verdict (statement, method, steps, messages): printed, never obeyed (pdflatex-safe)."""
    return tex_escape(str(text))


def exit_code(verdicts) -> int:
    """0 iff every verdict is as expected (no error, nothing refuted unexpectedly).

    Examples
    --------
    >>> from symrnn.prove import Result, Verdict
    >>> exit_code([Verdict("t", "s", Result("refuted", "m", counterexample={"x": 1}), 0.1, expect="refuted")])
    0
    """
    return 0 if all(v.as_expected for v in verdicts) else 1


def summary(verdicts) -> str:
    """A plain-text table: name, verdict, expectation mark and time; then totals.

    Examples
    --------
    >>> from symrnn.prove import Result, Verdict
    >>> print(summary([Verdict("t", "s", Result("proved", "m"), 0.5)]))  # doctest: +NORMALIZE_WHITESPACE
    t  proved  ok  0.50 s
    1 theorems in 0.50 s: 1 proved; 0 unexpected
    """
    verdicts = list(verdicts)
    if not verdicts:
        return "no theorems"
    w = max(len(v.theorem) for v in verdicts)
    lines = []
    for v in verdicts:
        mark = "ok" if v.as_expected else "UNEXPECTED"
        note = " (expected refuted)" if v.expect == "refuted" else ""
        extra = f"  {v.result.message}" if v.status == "error" else ""
        lines.append(f"{v.theorem:<{w}}  {v.status:<15}  {mark}  {v.seconds:.2f} s{note}{extra}")
    counts = {}
    for v in verdicts:
        counts[v.status] = counts.get(v.status, 0) + 1
    total = sum(v.seconds for v in verdicts)
    bad = sum(not v.as_expected for v in verdicts)
    lines.append(f"{len(verdicts)} theorems in {total:.2f} s: "
                 + ", ".join(f"{n} {s}" for s, n in counts.items()) + f"; {bad} unexpected")
    return "\n".join(lines)


def _extent(r) -> str:
    """How far a verdict reaches: the example count of ``checked``, the sizes of ``proved_for_dims``."""
    if r.status == "proved_for_dims" and r.dims:
        return ", at sizes " + "; ".join(", ".join(f"{k}={n}" for k, n in d.items()) for d in r.dims)
    return f", {r.examples} examples" if r.examples else ""


def _counterexample(v: Verdict) -> str:
    return json.dumps(_plain(v.result.counterexample), default=str) if v.result.counterexample else ""


def markdown(verdicts, *, title: str = "symrnn theorems") -> str:
    """A Markdown report: a summary table, then every theorem's statement and proof steps.

    Examples
    --------
    >>> from symrnn.prove import catalogue, run
    >>> markdown(run(catalogue(["gru_three_quarters_of_lstm"]))).splitlines()[4].split(" | ")[:2]
    ['| `gru_three_quarters_of_lstm`', 'proved']
    """
    verdicts = list(verdicts)
    out = [f"# {title}", "", "| theorem | verdict | expected | time (s) |", "|---|---|---|---|"]
    out += [f"| `{v.theorem}` | {v.status} | {v.expect} | {v.seconds:.2f} |" for v in verdicts]
    for v in verdicts:
        r = v.result
        out += ["", f"## `{v.theorem}` — {r.status}", "", f"**Statement.** {v.statement}", ""]
        if v.latex:
            out += [f"$$ {v.latex} $$", ""]
        out.append(f"**Verdict.** {r.status} (expected: {v.expect}) in {v.seconds:.2f} s" + _extent(r) + ".")
        if r.method:
            out += ["", f"**Method.** {r.method}"]
        if v.references:
            out += ["", "**References.** " + "; ".join(v.references)]
        if r.message:
            out += ["", f"**Error.** {r.message}"]
        if r.steps:
            out += ["", "**Steps.**", ""] + [f"1. `{s}`" if s.startswith("  ") else f"1. {s}" for s in r.steps]
        if r.counterexample:
            out += ["", "**Counterexample.**", "", "```json", _counterexample(v), "```"]
    return "\n".join(out) + "\n"


def latex(verdicts, *, title: str = "symrnn theorems") -> str:
    r"""A standalone LaTeX document of the run (compiles with pdflatex).

    The summary is a ``longtable``: it starts under the title and breaks
    across pages, repeating its head, so every theorem of a long catalogue is
    listed on a page.

    Examples
    --------
    >>> from symrnn.prove import catalogue, run
    >>> tex = latex(run(catalogue(["bidirectional_reversal"])))
    >>> tex.startswith("\\documentclass") and "rewriting over sequence operators" in tex
    True
    """
    verdicts = list(verdicts)
    for v in verdicts:  # a theorem's latex= is set in math mode: the safe subset only, checked before any output
        check_latex(v.latex or None, f"theorem {v.theorem!r} latex=")
    rows = "\n".join(f"\\texttt{{{_tex(v.theorem)}}} & {_tex(v.status)} & {_tex(v.expect)} & {v.seconds:.2f} \\\\"
                     for v in verdicts)
    head = "theorem & verdict & expected & time (s) \\\\ \\hline"
    body = ["\\section*{Summary}", "{\\small\\begin{longtable}{llll}",  # breaks across pages, repeating its head
            head, "\\endfirsthead", head, "\\endhead", "\\multicolumn{4}{r}{\\emph{continued on the next page}} \\\\",
            "\\endfoot", "\\endlastfoot", rows, "\\end{longtable}}", "\\sloppy"]
    for v in verdicts:
        r = v.result
        body.append(f"\\section*{{\\texttt{{{_tex(v.theorem)}}}: {_tex(r.status)}}}")
        body.append(f"\\paragraph{{Statement.}} {_tex(v.statement)}")
        if v.latex:
            body.append(f"\\[ {v.latex} \\]")
        body.append(f"\\paragraph{{Verdict.}} {_tex(r.status)} (expected: {_tex(v.expect)}) in {v.seconds:.2f}\\,s"
                    + _tex(_extent(r)) + ".")
        if r.method:
            body.append(f"\\paragraph{{Method.}} {_tex(r.method)}")
        if v.references:
            body.append("\\paragraph{References.} " + "; ".join(_tex(x) for x in v.references))
        if r.message:
            body.append(f"\\paragraph{{Error.}} {_tex(r.message)}")
        if r.steps:
            body.append("\\paragraph{Steps.}\n{\\small\\begin{enumerate}")
            body += [f"\\item{{}} {_tex(s.strip())}" for s in r.steps]  # {}: a step may start with '['
            body.append("\\end{enumerate}}")
        if r.counterexample:
            body.append(f"\\paragraph{{Counterexample.}} {{\\small {_tex(_counterexample(v))}}}")
    tex = document(title, "\n".join(body))
    return tex.replace("\\begin{document}", "\\usepackage{longtable}\n\\begin{document}", 1)  # the preamble's end
