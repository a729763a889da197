"""Print per-unit SymPy expressions as NumPy array code.

A pointwise stage's scalar expression is printed once and runs on whole (B, n)
arrays: each unit symbol becomes an array variable (``names`` maps symbol name
to source), functions come from the activation table
:data:`~symrnn.spec.symbols.FUNCTIONS` (its ``numpy`` spelling, with ``np.``
read as the runtime's ``_np.`` and resolved in :data:`RUNTIME`, checked at
import) and constants are plain Python floats, so float32 arrays stay float32.  :func:`emit_into` writes the outermost operation
into a destination with ``out=`` so results land in preallocated memory.
"""

from __future__ import annotations

import math

import sympy as sp

from ..errors import CompileError
from ..spec.symbols import FUNCTIONS
from .runtime import RUNTIME

__all__ = ["to_source", "emit_into", "cheapest"]



def _spelling(numpy_name: str) -> str:
    """The table's NumPy spelling in the runtime's namespace (``np.tanh`` -> ``_np.tanh``)."""
    return "_" + numpy_name if numpy_name.startswith("np.") else numpy_name


_NUMPY = {f: _spelling(row.numpy) for f, row in FUNCTIONS.items()}

for _f, _name in _NUMPY.items():  # one table; every spelling must resolve here
    if _name.split(".")[0] not in RUNTIME:
        raise ImportError(f"activation {FUNCTIONS[_f].name!r}: numpy spelling {_name!r} is not in the codegen runtime")


def _num(x) -> str:
    """Source of the number ``x`` (a SymPy number or constant): a finite float64, else CompileError.

    The value is kept exactly (no ``nsimplify``, which rounds 0.999999997 to 1).
    """
    if x.is_Integer and abs(int(x)) < 2**53:
        return f"{int(x)}.0"
    try:
        c = complex(sp.N(x, 20))
    except (TypeError, ValueError, OverflowError, ArithmeticError):
        c = complex(math.nan)
    if not (math.isfinite(c.real) and c.imag == 0):
        raise CompileError(f"constant {sp.sstr(x)[:60]} is not a finite real float64; generated code cannot hold it")
    return repr(c.real)


def to_source(expr, names) -> str:
    """Python source for ``expr`` with symbols replaced by ``names[name]``.

    Examples
    --------
    >>> import symrnn
    >>> i, g = symrnn.Vec("i", 3), symrnn.Vec("g", 3)
    >>> to_source(i * (1 - g**2), {"i": "v_i", "g": "v_g"})
    '(1.0 - v_g**2)*v_i'
    """
    return _p(sp.sympify(expr), names)


def _p(e, names, prec=0) -> str:
    if e.is_Symbol:
        try:
            return names[e.name]
        except KeyError:
            raise CompileError(f"generated code reads {e.name!r}, which is not available") from None
    if e.is_number:
        s = _num(e)  # numbers and constants (pi, sqrt(2), tanh(1)) folded to one float
        return f"({s})" if s.startswith("-") and prec else s
    if isinstance(e, sp.Add):
        pos, neg = [], []
        for a in sorted(e.args, key=lambda a: (a.is_Number, sp.default_sort_key(a))):
            c, _ = a.as_coeff_Mul()
            (neg if c.is_Number and c < 0 else pos).append(a)
        out = " + ".join(_p(a, names, 1) for a in pos) if pos else "-" + _p(-neg.pop(0), names, 3)
        for a in neg:
            out += " - " + _p(-a, names, 2)
        return f"({out})" if prec > 1 else out
    if isinstance(e, sp.Mul):
        c, rest = e.as_coeff_Mul()
        if c == -1:
            return f"(-{_p(rest, names, 3)})" if prec else f"-{_p(rest, names, 3)}"
        nums, dens = [], []
        for f in sp.Mul.make_args(e):
            if f.is_Pow and f.exp.is_Number and f.exp < 0:
                dens.append(sp.Pow(f.base, -f.exp))
            else:
                nums.append(f)
        s = "*".join(_p(f, names, 3) for f in nums) if nums else "1.0"
        if dens:
            s += "/" + (_p(dens[0], names, 4) if len(dens) == 1 else "(" + "*".join(_p(d, names, 3) for d in dens) + ")")
        return f"({s})" if prec > 3 else s
    if e.is_Pow:
        base, exp = e.args
        if exp == sp.Rational(1, 2):
            return f"_np.sqrt({_p(base, names)})"
        if exp.is_Number and exp < 0:
            return f"(1.0/{_p(sp.Pow(base, -exp), names, 4)})"
        ex = str(int(exp)) if exp.is_Integer else _num(exp)
        return f"{_p(base, names, 4)}**{ex}"
    if isinstance(e, sp.Heaviside):
        return f"_heaviside({_p(e.args[0], names)})"
    if isinstance(e, sp.Function) and type(e) in _NUMPY:
        return f"{_NUMPY[type(e)]}({', '.join(_p(a, names) for a in e.args)})"
    raise CompileError(f"cannot generate NumPy code for {e!r} (function {type(e).__name__!r}); "
                       "add it to symrnn.spec.symbols.FUNCTIONS")


def cheapest(expr):
    """The form of ``expr`` with the fewest operations among it and its collections by one symbol.

    ``h_prev*z + n*(1 - z)`` becomes ``n + z*(h_prev - n)``: one array pass fewer.

    Examples
    --------
    >>> import symrnn
    >>> h, n, z = (symrnn.Vec(s, 3) for s in ("h_prev", "n", "z"))
    >>> cheapest(h * z + n * (1 - z))
    n + z*(h_prev - n)
    """
    expr = sp.sympify(expr)
    best = expr
    if isinstance(expr, sp.Add):
        expanded = sp.expand(expr)
        for s in sorted(expr.free_symbols, key=lambda s: s.name):
            candidate = sp.collect(expanded, s)
            if sp.count_ops(candidate) < sp.count_ops(best):
                best = candidate
    return best


def _call_into(expr, arg: str, dst: str, names) -> str:
    """``f(arg, <the other arguments>, out=dst)``: a function's first argument replaced by ``arg``.

    The other arguments are numbers (leaky_relu's slope); dropping them once made the call fail.
    """
    extra = "".join(f", {_p(a, names)}" for a in expr.args[1:])
    return f"{_NUMPY[type(expr)]}({arg}{extra}, out={dst})"


def emit_into(expr, dst: str, names, alias: str | None = None) -> list[str]:
    """Statements computing ``expr`` into the array ``dst`` (outermost op with ``out=``).

    ``alias`` names the symbol whose storage ``dst`` is (it is read first).

    Examples
    --------
    >>> import symrnn
    >>> a, r, x = (symrnn.Vec(n, 3) for n in ("a", "r", "x"))
    >>> emit_into(symrnn.tanh(a * r + x), "D", {"a": "A", "r": "R", "x": "D"}, alias="x")
    ['D += A*R', '_np.tanh(D, out=D)']
    """
    expr = sp.sympify(expr)
    if alias is not None:
        if expr.is_Symbol and expr.name == alias:
            return []
        if isinstance(expr, sp.Function) and type(expr) in _NUMPY:
            return emit_into(expr.args[0], dst, names, alias) + [_call_into(expr, dst, dst, names)]
        if isinstance(expr, sp.Add) and any(a.is_Symbol and a.name == alias for a in expr.args):
            rest = sp.Add(*(a for a in expr.args if not (a.is_Symbol and a.name == alias)))
            if alias not in {s.name for s in rest.free_symbols}:
                return [f"{dst} += {_p(rest, names, 1)}"]
        return [f"_np.copyto({dst}, {_p(expr, names)})"]
    if expr.is_Symbol or expr.is_number:
        return [f"_np.copyto({dst}, {_p(expr, names)})"]
    if isinstance(expr, sp.Function) and type(expr) in _NUMPY:
        arg = expr.args[0]
        if arg.is_Symbol:
            return [_call_into(expr, _p(arg, names), dst, names)]
        return emit_into(arg, dst, names) + [_call_into(expr, dst, dst, names)]
    if isinstance(expr, sp.Add):  # a compound term first, so that out= does real work
        first, *rest = sorted(expr.args, key=lambda a: (a.is_number, a.is_Symbol, sp.default_sort_key(a)))
        out = emit_into(first, dst, names)
        for a in rest:
            c, _ = a.as_coeff_Mul()
            out.append(f"{dst} -= {_p(-a, names, 1)}" if c.is_Number and c < 0 else f"{dst} += {_p(a, names, 1)}")
        return out
    if isinstance(expr, sp.Mul) and len(expr.args) == 2 and not any(a.is_Pow and a.exp < 0 for a in expr.args):
        a, b = expr.args
        return [f"_np.multiply({_p(a, names)}, {_p(b, names)}, out={dst})"]
    return [f"_np.copyto({dst}, {_p(expr, names)})"]
