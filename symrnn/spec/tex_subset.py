"""The LaTeX a user may write in a ``latex=`` argument: an allow-list, checked when the description is built.

A user's ``latex=`` string is pasted verbatim into math mode of every
generated document, so TeX would obey whatever it says — ``\\input{/etc/passwd}``
puts that file into the PDF, ``\\catcode`` or ``\\def`` change how the rest of
the document is read.  Rather than list what is dangerous (TeX has hundreds
of primitives and ``^^5c`` spells a backslash), only what typesetting a
formula needs is accepted:

* the printable ASCII characters of :data:`CHARACTERS` (no ``$ & # % ~``, no
  control characters, no ``^^`` escape);
* control words from :data:`CONTROL_WORDS` — fonts (``\\mathbf``, ``\\mathrm``
  …), accents (``\\tilde``, ``\\overleftarrow`` …), Greek letters, operators,
  relations, arrows, delimiters and spacing; none of them opens a file, reads,
  writes, defines or changes category codes;
* the control symbols of :data:`CONTROL_SYMBOLS` (spacing ``\\, \\; \\! \\:``
  and escaped braces);
* balanced braces and as many ``\\right`` as ``\\left``; no leading ``[`` or
  ``*`` (a name's LaTeX may open a row of an ``aligned`` display, where it
  would be read as an option of the row break before it).

The generated documents also run the engine in a fresh directory with
``openin_any=p`` (:mod:`symrnn._latex_engine`): a second, independent layer.
"""

from __future__ import annotations

import re
import string

from ..errors import SpecError

__all__ = ["check_latex", "CONTROL_WORDS", "CONTROL_SYMBOLS", "CHARACTERS", "MAX_LENGTH"]

_GREEK = ("alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa lambda mu nu xi pi varpi "
          "rho varrho sigma varsigma tau upsilon phi varphi chi psi omega "
          "Gamma Delta Theta Lambda Xi Pi Sigma Upsilon Phi Psi Omega")
_FONTS = "mathbf mathrm mathit mathsf mathtt mathcal mathbb mathfrak boldsymbol operatorname text textrm textit textbf"
_ACCENTS = ("tilde widetilde hat widehat bar overline underline vec dot ddot breve check acute grave "
            "overrightarrow overleftarrow overleftrightarrow underbrace overbrace overset underset stackrel")
_STRUCTURE = ("frac dfrac tfrac sqrt binom left right middle big Big bigg Bigg bigl bigr Bigl Bigr biggl biggr "
              "displaystyle textstyle scriptstyle limits nolimits mathop not")
_OPERATORS = ("sum prod coprod int iint oint bigoplus bigotimes bigodot bigcup bigcap lim limsup liminf sup inf max min "
              "arg det dim ker deg exp log ln sin cos tan tanh sinh cosh sec Pr gcd Re Im "
              "odot otimes oplus ominus oslash cdot times div pm mp ast star circ bullet dagger wedge vee land lor "
              "neg cup cap setminus")
_RELATIONS = ("le leq ge geq ne neq lt gt ll gg approx sim simeq cong equiv propto subset subseteq supset supseteq "
              "in notin ni mid parallel perp colon "
              "to rightarrow leftarrow longrightarrow longleftarrow Rightarrow Leftarrow Leftrightarrow leftrightarrow "
              "mapsto longmapsto implies iff")
_SYMBOLS = ("forall exists nabla partial infty prime top bot emptyset varnothing ell hbar imath jmath aleph wp "
            "cdots ldots dots vdots ddots "
            "langle rangle lbrace rbrace lfloor rfloor lceil rceil vert Vert lvert rvert lVert rVert "
            "quad qquad")

CONTROL_WORDS = frozenset(" ".join([_GREEK, _FONTS, _ACCENTS, _STRUCTURE, _OPERATORS, _RELATIONS, _SYMBOLS]).split())
"""The control words (``\\name``) a ``latex=`` string may use."""

CONTROL_SYMBOLS = frozenset(",;:! {}|_")
"""The characters that may follow a backslash as a control symbol (``\\,``, ``\\{`` …)."""

CHARACTERS = frozenset(string.ascii_letters + string.digits + " _^{}()[]+-*/=<>,.;:'|!?\\")
"""The characters a ``latex=`` string may contain (``\\`` only to start an allowed command)."""

MAX_LENGTH = 2000
"""Longest accepted ``latex=`` string (characters)."""

_TOKEN = re.compile(r"\\([A-Za-z]+|.?)", re.S)


def _refuse(argument: str, text: str, why: str):
    shown = text if len(text) <= 60 else text[:57] + "..."
    raise SpecError(f"{argument}: LaTeX {shown!r} is refused: {why} (latex= accepts math-mode commands "
                    f"such as \\mathbf, \\tilde, \\alpha; see symrnn.spec.tex_subset)")


def _check_groups(text: str, argument: str) -> None:
    plain = re.sub(r"\\[{}]", "", text)
    depth = 0
    for ch in plain:
        depth += {"{": 1, "}": -1}.get(ch, 0)
        if depth < 0:
            _refuse(argument, text, "a '}' closes a group it did not open")
    if depth:
        _refuse(argument, text, "unbalanced braces")
    words = re.findall(r"\\([A-Za-z]+)", text)
    if words.count("left") != words.count("right"):
        _refuse(argument, text, "\\left and \\right do not pair up")


def check_latex(text, argument: str) -> str | None:
    """Return ``text`` if it is ``None`` or LaTeX in the safe subset; else raise naming ``argument``.

    Parameters
    ----------
    text : str or None
        A user's ``latex=`` string.
    argument : str
        How the error names the argument, e.g. ``"input 'x' latex="``.

    Raises
    ------
    SpecError
        ``text`` is not a str, is too long, or uses a character, control word
        or control symbol outside the allow-list, the ``^^`` escape, or
        unbalanced braces.

    Examples
    --------
    >>> check_latex(r"\\tilde{\\mathbf{h}}", "let 'hc' latex=")
    '\\\\tilde{\\\\mathbf{h}}'
    >>> from symrnn.errors import SpecError
    >>> try:
    ...     check_latex(r"\\input{/etc/passwd}", "let 'hc' latex=")
    ... except SpecError as exc:
    ...     print(str(exc).split(" (")[0])
    let 'hc' latex=: LaTeX '\\\\input{/etc/passwd}' is refused: \\input is not an allowed control word
    """
    if text is None:
        return None
    if not isinstance(text, str):
        raise SpecError(f"{argument}: LaTeX must be a str or None, got {type(text).__name__} {text!r}")
    if len(text) > MAX_LENGTH:
        _refuse(argument, text, f"longer than {MAX_LENGTH} characters")
    bad = sorted({ch for ch in text if ch not in CHARACTERS})
    if bad:
        _refuse(argument, text, f"the character(s) {''.join(bad)!r} are not allowed")
    if "^^" in text:
        _refuse(argument, text, "the ^^ character escape is not allowed")
    if text[:1] in ("[", "*"):  # after a row break \\ of an aligned display it would be read as the break's option
        _refuse(argument, text, f"a leading {text[0]!r} would be read as an option of a row break; wrap it in braces")
    for m in _TOKEN.finditer(text):
        word = m.group(1)
        if len(word) > 1 or word.isalpha():
            if word not in CONTROL_WORDS:
                _refuse(argument, text, f"\\{word} is not an allowed control word")
        elif word not in CONTROL_SYMBOLS:
            _refuse(argument, text, f"the control symbol \\{word or '(end of text)'} is not allowed")
    _check_groups(text, argument)
    return text
