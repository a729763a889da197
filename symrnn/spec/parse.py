"""A safe reader for the small expressions users write as text.

Some public functions accept text for convenience: ``rename={"b": "b_in + b_hn"}``,
``inequality(cell, "Abs(h)", "1/2")``, ``sizes={"H1": "H"}``.  ``sympy.sympify``
on such text runs ``eval`` (even with a restricted namespace a string can reach
``__import__`` through attribute access), so symrnn never hands text to it.
:func:`parse_expr` reads the text with :func:`ast.parse` (which builds a tree and
executes nothing) and accepts only a tiny grammar, building the SymPy expression
itself:

* names that are plain identifiers (no dunders, no leading underscore), read as symbols;
* integer and decimal numbers;
* ``+ - * /``, ``**`` with an integer exponent, unary ``+``/``-`` and parentheses;
* calls of :data:`FUNCTION_NAMES` (``Abs``, ``sigmoid``, ``tanh``, ``relu``, ``exp``) with one argument.

Anything else (attributes, subscripts, strings, lambdas, comparisons, other
calls) raises :class:`~symrnn.errors.SpecError` naming the argument, the text and
the grammar.  :func:`as_expr` is the one entry point for "a number, a SymPy
expression, or such text".
"""

from __future__ import annotations

import ast
import numbers

import sympy as sp

from ..errors import SpecError
from .symbols import FUNCTIONS

__all__ = ["parse_expr", "as_expr", "as_sympy", "FUNCTION_NAMES", "MAX_LENGTH"]

FUNCTION_NAMES = {"Abs": sp.Abs, **{row.name: row.function for row in FUNCTIONS.values() if row.arity == 1}}
"""Functions the text grammar may call (one argument each): ``Abs`` and the one-argument rows of the function table."""

MAX_LENGTH = 1000
"""Longest text accepted (characters); longer text is refused before parsing."""

_GRAMMAR = ("names, numbers, + - * /, ** with an integer exponent, parentheses and "
            f"calls of {', '.join(sorted(FUNCTION_NAMES))}")
_BIN = {ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b, ast.Mult: lambda a, b: a * b,
        ast.Div: lambda a, b: a / b}


def parse_expr(text: str, *, argument: str = "expression", symbol=sp.Symbol) -> sp.Expr:
    """Read ``text`` as a SymPy expression without executing anything.

    Parameters
    ----------
    text : str
        E.g. ``"b_in + b_hn"``, ``"Abs(c_prev) + 1"``, ``"1/2"``, ``"2*H"``.
    argument : str
        The argument's name, used in error messages.
    symbol : callable
        Builds the symbol for a name (default :class:`sympy.Symbol`).

    Returns
    -------
    sympy.Expr

    Raises
    ------
    SpecError
        If ``text`` is not a str, is empty or too long, or leaves the grammar.

    Examples
    --------
    >>> parse_expr("b_in + b_hn")
    b_hn + b_in
    >>> parse_expr("Abs(h) - 1/2")
    Abs(h) - 1/2
    >>> parse_expr("__import__('os').system('echo hi')", argument="rename['b']")
    Traceback (most recent call last):
    ...
    symrnn.errors.SpecError: rename['b']: "__import__('os').system('echo hi')" is not a plain expression: ...
    """
    if not isinstance(text, str):
        raise SpecError(f"{argument}: expected text, got {type(text).__name__} {text!r}")
    if len(text) > MAX_LENGTH:
        raise SpecError(f"{argument}: text of {len(text)} characters is longer than {MAX_LENGTH}")
    if not text.strip():
        raise SpecError(f"{argument}: expected an expression ({_GRAMMAR}), got empty text {text!r}")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        raise SpecError(f"{argument}: {_show(text)} is not an expression ({_GRAMMAR}): {type(exc).__name__}") from None
    try:
        return _build(tree.body, text, argument, symbol)
    except RecursionError:
        raise SpecError(f"{argument}: {_show(text)} is nested too deeply") from None


def _show(text: str) -> str:
    return repr(text) if len(text) <= 80 else repr(text[:77]) + "..."


def _refuse(node, text, argument, why=None):
    what = why or f"{type(node).__name__} is not allowed"
    raise SpecError(f"{argument}: {_show(text)} is not a plain expression: {what}; allowed: {_GRAMMAR}")


def _build(node, text, argument, symbol):
    rec = lambda n: _build(n, text, argument, symbol)  # noqa: E731
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
            _refuse(node, text, argument, f"constant {node.value!r} is not a number")
        if isinstance(node.value, float):
            if node.value != node.value or node.value in (float("inf"), float("-inf")):
                _refuse(node, text, argument, f"number {node.value!r} is not finite")
            return sp.Float(repr(node.value))
        return sp.Integer(node.value)
    if isinstance(node, ast.Name):
        name = node.id
        if not (name.isascii() and name.isidentifier()) or name.startswith("_"):
            _refuse(node, text, argument, f"name {name!r} is not a plain ASCII identifier without leading underscore")
        if name in FUNCTION_NAMES:
            _refuse(node, text, argument, f"{name!r} is a function; call it with one argument")
        return symbol(name)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.UAdd, ast.USub)):
        value = rec(node.operand)
        return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.BinOp) and type(node.op) in _BIN:
        left, right = rec(node.left), rec(node.right)
        if isinstance(node.op, ast.Div) and right == 0:
            _refuse(node, text, argument, "division by zero")
        return _BIN[type(node.op)](left, right)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
        exponent = rec(node.right)
        if not (exponent.is_Integer and abs(int(exponent)) <= 16):
            _refuse(node, text, argument, f"exponent {exponent} is not an integer in [-16, 16]")
        base = rec(node.left)
        if base == 0 and exponent < 0:
            _refuse(node, text, argument, "division by zero")
        return base ** exponent
    if isinstance(node, ast.Call):
        fname = node.func.id if isinstance(node.func, ast.Name) else None
        if fname not in FUNCTION_NAMES:
            _refuse(node, text, argument, f"call of {ast.unparse(node.func)!r} (only {', '.join(sorted(FUNCTION_NAMES))})")
        if node.keywords or len(node.args) != 1 or isinstance(node.args[0], ast.Starred):
            _refuse(node, text, argument, f"{fname} takes exactly one positional argument")
        return FUNCTION_NAMES[fname](rec(node.args[0]))
    _refuse(node, text, argument)


def as_expr(value, *, argument: str = "expression", symbol=sp.Symbol) -> sp.Expr:
    """A number, a SymPy expression or safe text (:func:`parse_expr`) as a SymPy object.

    Never falls back on ``sympify``'s string parsing: objects that are neither
    numbers nor SymPy objects are refused.

    Examples
    --------
    >>> as_expr("H + 1", argument="sizes['H1']")
    H + 1
    >>> as_expr(0.5)
    0.500000000000000
    >>> as_expr(None, argument="given['z']")
    Traceback (most recent call last):
    ...
    symrnn.errors.SpecError: given['z']: expected a number, a SymPy expression or text, got NoneType None
    """
    if isinstance(value, str):
        return parse_expr(value, argument=argument, symbol=symbol)
    if isinstance(value, sp.Basic):
        return value
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        try:
            out = sp.sympify(value, strict=True)
        except (sp.SympifyError, TypeError, ValueError):
            out = None
        if out is not None and out.is_finite is not False and out is not sp.nan:
            return out
        raise SpecError(f"{argument}: expected a finite number, got {value!r}")
    raise SpecError(f"{argument}: expected a number, a SymPy expression or text, got {type(value).__name__} {value!r}")


def as_sympy(value, *, argument: str = "value") -> sp.Basic:
    """``value`` (a number or a SymPy object, never text) as a SymPy object.

    ``sympify(value, strict=True)``: text and unknown objects are refused with a
    :class:`~symrnn.errors.SpecError` naming ``argument``.

    Examples
    --------
    >>> as_sympy(3, argument="size")
    3
    >>> as_sympy("H", argument="size")
    Traceback (most recent call last):
    ...
    symrnn.errors.SpecError: size: got the string 'H'; pass a number or a SymPy expression (text is never evaluated)
    """
    if isinstance(value, str):
        raise SpecError(f"{argument}: got the string {_show(value)}; pass a number or a SymPy expression (text is never evaluated)")
    if isinstance(value, sp.Basic):
        return value
    try:
        return sp.sympify(value, strict=True)
    except (sp.SympifyError, TypeError, ValueError, AttributeError):
        raise SpecError(f"{argument}: expected a number or a SymPy expression, got {type(value).__name__} {value!r}") from None
