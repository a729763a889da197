"""LaTeX for descriptions, in the study note's notation.

Bold vectors with a time index (x_t, h_{t-1}), bold matrices W, U and biases b
without one, σ and tanh, ⊙ for per-unit products, c̃ / h̃ for candidates (via a
vector's ``latex`` override).  Anonymous pre-activations are printed inline,
so ``i = σ(a_i)`` reads ``i_t = σ(W_i x_t + U_i h_{t-1} + b_i)``.
"""

from __future__ import annotations

import re

import sympy as sp
from sympy.printing.latex import LatexPrinter

from .symbols import FUNCTIONS, relu, sigmoid

__all__ = ["name_latex", "vector_latex", "equation_latex", "cell_latex", "document", "tex_escape"]


_ESCAPES = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_", "{": r"\{",
            "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}", "<": r"\textless{}", ">": r"\textgreater{}",
            "|": r"\textbar{}", "\t": " ", "\n": " ", "\r": " ", "\f": " ", "\v": " ", "\x7f": ""}
_UNICODE = {  # beyond Latin-1, which pdflatex's utf8 + T1 typeset as they are
    "≥": r"\(\geq\)", "≤": r"\(\leq\)", "≠": r"\(\neq\)", "∈": r"\(\in\)", "⊙": r"\(\odot\)", "∂": r"\(\partial\)",
    "σ": r"\(\sigma\)", "θ": r"\(\theta\)", "↦": r"\(\mapsto\)", "⟶": r"\(\longrightarrow\)", "→": r"\(\to\)",
    "√": r"\(\surd\)", "≈": r"\(\approx\)", "−": "-", "–": "--", "—": "---", "…": "...", "‘": "`", "’": "'",
    "“": "``", "”": "''", "\u0303": r"\~{}", "ĉ": r"\^{c}",
}


def tex_escape(text: str) -> str:
    r"""Running text for pdflatex: every character printed as itself, none obeyed as a command.

    TeX's special characters are escaped, control characters dropped (tabs and
    line ends become spaces), Latin-1 letters kept, other accented Latin letters
    written with TeX's accent commands (č → ``\v{c}``, as in authors' names), a
    few symbols of proof steps (≤, ⊙, σ …) set in math, and any other character
    printed as ``?`` (pdflatex has no glyph for it and would stop).

    Examples
    --------
    >>> print(tex_escape(r"see $\input{secret}$ # 100% ≤ Küchler 中"))
    see \$\textbackslash{}input\{secret\}\$ \# 100\% \(\leq\) Küchler ?
    >>> print(tex_escape("Veličković, Łukasz"))
    Veli\v{c}kovi\'{c}, \L{}ukasz
    """
    out = []
    for ch in str(text):
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif " " <= ch < "\x7f" or "\xa0" <= ch <= "\xff":
            out.append(ch)
        elif ch in _UNICODE:
            out.append(_UNICODE[ch])
        elif ch >= "\xa0":
            out.append(_accented(ch))
    return "".join(out)


_ACCENTS = {"\u0300": "`", "\u0301": "'", "\u0302": "^", "\u0303": "~", "\u0304": "=", "\u0306": "u",
            "\u0307": ".", "\u0308": '"', "\u030a": "r", "\u030b": "H", "\u030c": "v", "\u0327": "c",
            "\u0328": "k"}
_LETTERS = {"ł": r"\l{}", "Ł": r"\L{}", "đ": r"\dj{}", "Đ": r"\DJ{}", "ı": r"\i{}", "œ": r"\oe{}",
            "Œ": r"\OE{}"}


def _accented(ch: str) -> str:
    """A Latin letter with one accent as TeX's accent command (č → \\v{c}); anything else ``?``."""
    import unicodedata

    if ch in _LETTERS:
        return _LETTERS[ch]
    parts = unicodedata.normalize("NFD", ch)
    if len(parts) == 2 and parts[0].isascii() and parts[0].isalpha() and parts[1] in _ACCENTS:
        return f"\\{_ACCENTS[parts[1]]}{{{parts[0]}}}"
    return "?"


_GREEK = {
    "alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa", "lambda",
    "mu", "nu", "xi", "pi", "rho", "sigma", "tau", "phi", "chi", "psi", "omega",
}


def name_latex(name: str) -> str:
    """Bold LaTeX for a name: ``W_i`` → ``\\mathbf{W}_{i}``, ``alpha`` → ``\\boldsymbol{\\alpha}``.

    Examples
    --------
    >>> name_latex("b_hn")
    '\\\\mathbf{b}_{hn}'
    """
    base, _, sub = name.partition("_")
    if base in _GREEK or (base.lower() in _GREEK and base[0].isupper() and base[1:].islower()):
        head = rf"\boldsymbol{{\{base}}}"
    elif len(base) == 1:
        head = rf"\mathbf{{{base}}}"
    else:
        head = rf"\mathbf{{{base}}}" if base.isalpha() else rf"\mathbf{{\mathrm{{{base}}}}}"
    if sub:
        sub = sub.replace("_", r"\_")
        return f"{head}_{{{sub}}}"
    return head


def _with_time(head: str, index: str) -> str:
    m = re.fullmatch(r"(.*)_\{([^{}]*)\}", head)
    if m:
        return f"{m.group(1)}_{{{m.group(2)},{index}}}"
    return f"{head}_{{{index}}}"


def vector_latex(cell, name: str) -> str:
    """LaTeX of a declared name with its time index (params carry none)."""
    from .cell import PREV

    role, decl = cell.declared[name]
    if role == "previous":
        state = name[: -len(PREV)]
        head = cell.declared[state][1].latex or name_latex(state)
        return _with_time(head, "t-1")
    head = decl.latex or name_latex(name)
    if role == "param" or _static(cell):
        return head
    return _with_time(head, "t")


def _static(cell) -> bool:
    """A graph layer reads no previous state: its vectors carry no time index (a per-node row is meant)."""
    from .cell import PREV

    if not cell.is_graph:
        return False
    return not any(d.endswith(PREV) and cell.role(d) == "previous" for eq in cell.equations for d in eq.dependencies())


class _CellPrinter(LatexPrinter):
    """SymPy's LaTeX printer taught the cell's names, ⊙ and inline pre-activations."""

    def __init__(self, cell, inline: bool):
        super().__init__({"order": "none"})
        self.cell = cell
        self.inline = inline
        self.rank = {eq.target: k for k, eq in enumerate(cell.equations)}

    def _anonymous(self, name):
        if not self.inline or self.cell.role(name) != "intermediate":
            return None
        eq = self.cell.equation(name)
        return eq if eq.anonymous else None

    def _print_Symbol(self, expr, style="plain"):
        if expr.name not in self.cell.declared:
            return super()._print_Symbol(expr)
        eq = self._anonymous(expr.name)
        if eq is not None:
            return self.linear(eq)
        return vector_latex(self.cell, expr.name)

    _print_Vec = _print_Symbol

    def _print_MatrixSymbol(self, expr):
        return self._print_Symbol(sp.Symbol(expr.name))

    def linear(self, eq) -> str:
        terms = self.cell.terms(eq.target)

        def key(t):
            if t.matrix is None and self.cell.role(t.vector) == "param":
                return 2
            return 1 if self.cell.depends_on_state(t.vector) else 0

        out = ""
        for k, t in enumerate(sorted(terms, key=key)):
            body = self._print_Symbol(sp.Symbol(t.vector))
            inner = self._anonymous(t.vector)
            if (t.operator or t.matrix) and inner is not None and len(self.cell.terms(inner.target)) > 1:
                body = rf"\left({body}\right)"
            if t.operator:
                from .operators import OPERATORS

                body = f"{OPERATORS[t.operator].latex} {body}"
            if t.matrix:
                body = f"{vector_latex(self.cell, t.matrix)} {body}"
            coeff = t.coeff
            sign = "-" if coeff < 0 else "+"
            mag = abs(coeff)
            if mag != 1:
                body = f"{self._print(mag)} {body}"
            out += (("-" if sign == "-" else "") + body) if k == 0 else f" {sign} {body}"
        return out or "0"

    def _term_key(self, term):
        if term.is_number:
            return 0
        if isinstance(term, sp.Symbol):
            return 1
        prev = any(self.cell.role(s.name) == "previous" for s in term.free_symbols if s.name in self.cell.declared)
        return 2 if prev else 3

    def _print_Add(self, expr, order=None):
        out = ""
        for k, term in enumerate(sorted(expr.args, key=self._term_key)):
            neg = term.could_extract_minus_sign()
            body = self._wrapped(-term) if neg else self._print(term)
            if k == 0:
                out = ("-" if neg else "") + body
            else:
                out += f" {'-' if neg else '+'} {body}"
        return out

    def _factor_key(self, f):
        if f.is_number:
            return (0, 0)
        if isinstance(f, sp.Add):
            return (1, 0)
        if isinstance(f, sp.Symbol) and f.name in self.cell.declared:
            role = self.cell.role(f.name)
            if role == "param":
                return (2, 0)
            if self._anonymous(f.name) is not None:
                return (6, 0)
            if role in ("state", "intermediate"):  # gates before the states they scale
                return (3, self.rank[f.name] + (1000 if role == "state" else 0))
            return (4 if role == "previous" else 5, 0)
        return (7, 0)

    def _compound(self, f) -> bool:
        """An inline pre-activation that prints as a sum (or with a leading minus): it needs parentheses
        wherever a symbol would not (a power's base, a product's factor, after a minus)."""
        if not isinstance(f, sp.Symbol) or f.name not in self.cell.declared:
            return False
        eq = self._anonymous(f.name)
        if eq is None:
            return False
        terms = self.cell.terms(eq.target)
        return len(terms) > 1 or any(t.coeff < 0 for t in terms)

    def _wrapped(self, f) -> str:
        body = self._print(f)
        return rf"\left({body}\right)" if self._compound(f) else body

    def parenthesize(self, item, level, is_neg=False, strict=False):
        if self._compound(item):  # SymPy ranks a symbol as an atom; this one prints as a sum
            return rf"\left({self._print(item)}\right)"
        return super().parenthesize(item, level, is_neg, strict)

    def _print_Mul(self, expr):
        coeff, factors = expr.as_coeff_mul()
        if any(isinstance(f, sp.Pow) and f.exp.is_negative for f in factors):
            num, den = sp.fraction(expr)
            return rf"\frac{{{self._print(num)}}}{{{self._print(den)}}}"
        if coeff < 0:
            return "-" + self._print_Mul(-expr)
        parts = []
        for f in sorted(factors, key=self._factor_key):
            body = self._wrapped(f)
            if isinstance(f, sp.Add):
                body = rf"\left({body}\right)"
            parts.append(body)
        body = r" \odot ".join(parts)
        if coeff != 1:
            body = f"{self._print(coeff)} {body}"
        return body

    def _print_Function(self, expr, exp=None):
        row = FUNCTIONS.get(type(expr))
        if row is not None:
            head = row.latex + "".join(f"_{{{self._print(a)}}}" for a in expr.args[1:]) + (f"^{{{exp}}}" if exp else "")
            return rf"{head}\left({self._print(expr.args[0])}\right)"
        return super()._print_Function(expr, exp)

    _print_sigmoid = _print_relu = _print_tanh = _print_exp = _print_leaky_relu = _print_Function


def equation_latex(cell, eq, *, inline: bool = True) -> str:
    """LaTeX of one equation's right-hand side."""
    printer = _CellPrinter(cell, inline)
    return printer.linear(eq) if eq.is_linear else printer._print(eq.expr)


def cell_latex(cell, *, inline: bool = True) -> str:
    """The cell's equations as one ``aligned`` block.

    Parameters
    ----------
    inline : bool
        Print anonymous pre-activations inside the equations that use them
        (default) rather than as equations of their own.

    Examples
    --------
    >>> import symrnn
    >>> print(symrnn.cell("rnn").latex())
    \\begin{aligned}
    \\mathbf{h}_{t} &= \\tanh\\left(\\mathbf{W} \\mathbf{x}_{t} + \\mathbf{U} \\mathbf{h}_{t-1} + \\mathbf{b}\\right)
    \\end{aligned}
    """
    rows = [
        f"{vector_latex(cell, eq.target)} &= {equation_latex(cell, eq, inline=inline)}"
        for eq in cell.equations
        if not (inline and eq.anonymous)
    ]
    return "\\begin{aligned}\n" + " \\\\\n".join(rows) + "\n\\end{aligned}"


def document(title: str, body: str) -> str:
    """A standalone LaTeX article around ``body`` (pdflatex, base packages only)."""
    return (
        "\\documentclass[11pt]{article}\n"
        "\\usepackage[utf8]{inputenc}\n\\usepackage[T1]{fontenc}\n"
        "\\usepackage{amsmath,amssymb}\n\\usepackage[margin=2cm]{geometry}\n"
        "\\allowdisplaybreaks\n"
        f"\\title{{{tex_escape(title)}}}\n\\date{{}}\n"
        "\\begin{document}\n\\maketitle\n"
        f"{body}\n"
        "\\end{document}\n"
    )
