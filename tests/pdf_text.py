"""The text a pdfTeX PDF shows, with where it shows it: an oracle for tests that compile documents.

Written here, sharing nothing with the code that writes the documents: every
content stream is inflated and its text operators are followed — ``BT`` resets
the text position, ``Td``/``TD`` move it, ``Tm`` sets it, ``T*`` goes to the
next line, ``Tj``/``TJ``/``'``/``"`` show strings (octal and backslash escapes
decoded; pdfTeX's T1 fonts set letters, digits and ``_`` at their ASCII codes).
Each shown run becomes a :class:`Run` with its baseline ``y`` in points from
the bottom of the page and the index of its stream (one per page), so a test
can tell text on the page from text set below its bottom edge (an overfull
table).  pdfTeX sets word spaces as kerns, so a run's words come joined
("theoremverdict…"); a font change (``\\texttt``) or a move starts a new run.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass

__all__ = ["Run", "runs", "page_height", "visible_text"]

_TOKEN = re.compile(rb"\((?:\\.|[^\\)])*\)|\[|\]|/[^\s/\[\]()<>]+|[-+]?\d*\.?\d+|[A-Za-z'\"*]+", re.S)


@dataclass(frozen=True)
class Run:
    stream: int
    y: float
    text: str


def _string(token: bytes) -> str:
    body = token[1:-1]
    out, k = bytearray(), 0
    while k < len(body):
        c = body[k]
        if c == 0x5C and k + 1 < len(body):  # backslash
            nxt = body[k + 1]
            m = re.match(rb"[0-7]{1,3}", body[k + 1:k + 4])
            if m:
                out.append(int(m.group(0), 8) & 0xFF)
                k += 1 + len(m.group(0))
                continue
            out.append({ord("n"): 10, ord("r"): 13, ord("t"): 9, ord("b"): 8, ord("f"): 12}.get(nxt, nxt))
            k += 2
            continue
        out.append(c)
        k += 1
    return out.decode("latin-1")


def _streams(pdf: bytes):
    for m in re.finditer(rb"stream\r?\n(.*?)endstream", pdf, re.S):
        try:
            yield zlib.decompressobj().decompress(m.group(1))
        except zlib.error:
            continue


def runs(pdf: bytes) -> list[Run]:
    """Every shown string of every content stream, with its baseline height."""
    assert pdf.startswith(b"%PDF"), "not a PDF"
    out = []
    for index, body in enumerate(_streams(pdf)):
        if b"BT" not in body:
            continue
        stack: list = []
        x = y = line_x = line_y = leading = 0.0
        for tok in _TOKEN.findall(body):
            if tok.startswith(b"(") or tok in (b"[", b"]") or tok.startswith(b"/") or re.fullmatch(rb"[-+]?\d*\.?\d+", tok):
                stack.append(tok)
                continue
            nums = [float(t) for t in stack if re.fullmatch(rb"[-+]?\d*\.?\d+", t)]
            strings = [_string(t) for t in stack if t.startswith(b"(")]
            if tok == b"BT":
                x = y = line_x = line_y = 0.0
            elif tok in (b"Td", b"TD") and len(nums) >= 2:
                line_x, line_y = line_x + nums[-2], line_y + nums[-1]
                x, y = line_x, line_y
                if tok == b"TD":
                    leading = -nums[-1]
            elif tok == b"Tm" and len(nums) >= 6:
                line_x, line_y = nums[-2], nums[-1]
                x, y = line_x, line_y
            elif tok == b"TL" and nums:
                leading = nums[-1]
            elif tok in (b"T*", b"'", b'"'):
                line_y -= leading
                x, y = line_x, line_y
            if tok in (b"Tj", b"TJ", b"'", b'"') and strings:
                out.append(Run(index, y, "".join(strings)))
            stack = []
    return out


def page_height(pdf: bytes) -> float:
    """The height of the (first) MediaBox in points (also inside compressed object streams)."""
    box = rb"/MediaBox\s*\[\s*([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)\s*\]"
    for body in (pdf, *_streams(pdf)):
        m = re.search(box, body)
        if m:
            return float(m.group(4)) - float(m.group(2))
    raise AssertionError("no MediaBox in the PDF")


def visible_text(pdf: bytes, *, bottom: float = 0.0) -> str:
    """The text of every run whose baseline lies on the page and above ``bottom`` points, runs joined by spaces."""
    top = page_height(pdf)
    return " ".join(r.text for r in runs(pdf) if bottom < r.y < top)
