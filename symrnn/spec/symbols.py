"""Symbols of a description: sizes, per-unit vectors and pointwise functions.

A vector of symbolic size ``n`` has two faces:

* in a **pointwise stage** it is a scalar :class:`Vec` symbol standing for any
  one of its ``n`` components, so ``f*c + i*g`` means ``f ⊙ c + i ⊙ g``;
* in a **linear stage** it is the column ``MatrixSymbol(name, n, 1)``, so
  ``W @ x + b`` is an affine map whose shapes SymPy checks.

:class:`Vec` carries its size and converts itself to the matrix face when it
meets a matrix expression, which lets catalogue entries be written as the
papers write them: ``sigmoid(W_i @ x + U_i @ h + b_i)``.

The pointwise functions are one table, :data:`FUNCTIONS`: each entry gives the
SymPy function, its derivative written through its own value (σ' = σ(1-σ),
tanh' = 1 - tanh²), its LaTeX and its NumPy spelling.  Derivations, LaTeX and
code generation all read this table, so a new activation is one entry.
"""

from __future__ import annotations

import keyword
from dataclasses import dataclass
from typing import Callable

import sympy as sp
from sympy.matrices.expressions import MatrixExpr

from ..errors import InvalidNameError, ShapeError, SpecError

__all__ = [
    "Vec",
    "sizes",
    "sigmoid",
    "relu",
    "leaky_relu",
    "softplus",
    "identity",
    "activations",
    "tanh",
    "FUNCTIONS",
    "Activation",
    "check_name",
]


def check_name(name: object, what: str) -> str:
    """Return ``name`` if it is a plain Python identifier, else raise.

    Names flow into generated source code and LaTeX, so only ASCII identifiers
    that are not keywords, not dunders and do not start with an underscore
    (reserved for generated code) are accepted.

    Examples
    --------
    >>> check_name("W_i", "parameter")
    'W_i'
    """
    if not isinstance(name, str):
        raise InvalidNameError(f"{what} name must be a str, got {type(name).__name__} {name!r}")
    if not (name.isascii() and name.isidentifier()):
        raise InvalidNameError(f"{what} name {name!r} is not a plain ASCII Python identifier")
    if keyword.iskeyword(name) or keyword.issoftkeyword(name):
        raise InvalidNameError(f"{what} name {name!r} is a Python keyword")
    if name.startswith("_"):
        raise InvalidNameError(f"{what} name {name!r} starts with an underscore (reserved)")
    if len(name) > 64:
        raise InvalidNameError(f"{what} name {name[:20]!r}... is longer than 64 characters")
    return name


def sizes(names: str) -> tuple[sp.Symbol, ...]:
    """Size symbols: positive integers, e.g. ``D, H = sizes("D H")``.

    Examples
    --------
    >>> D, H = sizes("D H")
    >>> (D * H).is_positive
    True
    """
    out = tuple(sp.Symbol(check_name(n, "size"), integer=True, positive=True) for n in names.replace(",", " ").split())
    if not out:
        raise InvalidNameError(f"sizes: no names in {names!r}")
    return out


class Vec(sp.Symbol):
    """One component of a vector of symbolic size; a real scalar symbol.

    Parameters
    ----------
    name : str
        The vector's name (a plain identifier).
    size : sympy expression
        Its length, e.g. the size symbol ``H``.

    Examples
    --------
    >>> D, H = sizes("D H")
    >>> x, h = Vec("x", D), Vec("h", H)
    >>> W = sp.MatrixSymbol("W", H, D)
    >>> (W @ x).shape
    (H, 1)
    >>> h * (1 - h)
    h*(1 - h)
    """

    __slots__ = ("size",)
    _op_priority = 12.0  # above MatrixExpr (11): W @ x and A + b reach us

    def __new__(cls, name: str, size) -> "Vec":
        obj = sp.Symbol.__xnew__(cls, name, real=True)
        obj.size = sp.sympify(size)
        return obj

    def __getnewargs_ex__(self):
        return ((self.name, self.size), {})

    def _hashable_content(self):
        return sp.Symbol._hashable_content(self) + (self.size,)

    @property
    def matrix(self) -> sp.MatrixSymbol:
        """The column ``MatrixSymbol(name, size, 1)``."""
        return sp.MatrixSymbol(self.name, self.size, 1)

    def __rmatmul__(self, other):
        if isinstance(other, MatrixExpr):
            if sp.simplify(other.shape[1] - self.size) != 0:
                raise ShapeError(
                    f"cannot multiply {other} of shape {other.shape} by vector "
                    f"{self.name!r} of size {self.size}"
                )
            return other @ self.matrix
        return NotImplemented

    # SymPy's MatrixExpr.__matmul__ defers to the higher-priority __rmul__.
    def __rmul__(self, other):
        if isinstance(other, MatrixExpr):
            return self.__rmatmul__(other)
        return sp.Symbol.__rmul__(self, other)

    def __mul__(self, other):
        if isinstance(other, MatrixExpr):
            raise ShapeError(
                f"{self.name!r} * <matrix expression>: a per-unit product with an affine map; "
                "name the affine map first with CellBuilder.linear(...)"
            )
        return sp.Symbol.__mul__(self, other)

    def __matmul__(self, other):
        raise ShapeError(f"vector {self.name!r} cannot be the left factor of a matrix product")

    def _matrix_add(self, other, sign_self: int, sign_other: int):
        if other.shape[1] != 1 or sp.simplify(other.shape[0] - self.size) != 0:
            raise ShapeError(
                f"cannot add vector {self.name!r} of size {self.size} to {other} of shape {other.shape}"
            )
        return sign_other * other + sign_self * self.matrix

    def __add__(self, other):
        if isinstance(other, MatrixExpr):
            return self._matrix_add(other, 1, 1)
        return sp.Symbol.__add__(self, other)

    def __radd__(self, other):
        if isinstance(other, MatrixExpr):
            return self._matrix_add(other, 1, 1)
        return sp.Symbol.__radd__(self, other)

    def __sub__(self, other):
        if isinstance(other, MatrixExpr):
            return self._matrix_add(other, 1, -1)
        return sp.Symbol.__sub__(self, other)

    def __rsub__(self, other):
        if isinstance(other, MatrixExpr):
            return self._matrix_add(other, -1, 1)
        return sp.Symbol.__rsub__(self, other)


class sigmoid(sp.Function):
    """The logistic function σ(a) = 1 / (1 + e^{-a}); σ' = σ(1 - σ)."""

    def fdiff(self, argindex=1):
        return sigmoid(self.args[0]) * (1 - sigmoid(self.args[0]))

    @classmethod
    def eval(cls, arg):
        if arg.is_zero:
            return sp.Rational(1, 2)
        return None

    def _eval_rewrite_as_exp(self, arg, **kwargs):
        return 1 / (1 + sp.exp(-arg))

    def _eval_is_real(self):
        return self.args[0].is_real

    def _eval_is_positive(self):
        return True if self.args[0].is_real else None


class relu(sp.Function):
    """The rectifier max(0, a); its derivative is taken as the Heaviside step H(a) with H(0) = 0."""

    def fdiff(self, argindex=1):
        return sp.Heaviside(self.args[0], 0)

    @classmethod
    def eval(cls, arg):
        if arg.is_nonnegative:
            return arg
        if arg.is_nonpositive:
            return sp.S.Zero
        return None


class leaky_relu(sp.Function):
    """LeakyReLU(a, s) = a for a > 0, s·a otherwise (s the negative slope, a number).

    Its derivative in ``a`` is (1 − s) H(a) + s with H(0) = 0, i.e. s at 0 —
    PyTorch's choice.

    Examples
    --------
    >>> a = sp.Symbol("a", real=True)
    >>> sp.diff(leaky_relu(a, sp.Rational(1, 5)), a)
    4*Heaviside(a, 0)/5 + 1/5
    """

    nargs = 2

    @classmethod
    def eval(cls, x, s):
        if x.is_positive:
            return x
        if x.is_nonpositive:
            return s * x
        return None

    def fdiff(self, argindex=1):
        x, s = self.args
        if argindex == 1:
            return (1 - s) * sp.Heaviside(x, 0) + s
        return x * (1 - sp.Heaviside(x, 0))

    def _eval_rewrite_as_Piecewise(self, x, s, **kwargs):
        return sp.Piecewise((x, x > 0), (s * x, True))

    def _eval_is_real(self):
        return self.args[0].is_real


class softplus(sp.Function):
    """softplus(a) = log(1 + e^a), evaluated without overflow; its derivative is σ(a) = 1 − e^{−y}.

    Examples
    --------
    >>> a = sp.Symbol("a", real=True)
    >>> sp.diff(softplus(a), a)
    sigmoid(a)
    """

    def fdiff(self, argindex=1):
        return sigmoid(self.args[0])

    @classmethod
    def eval(cls, arg):
        if arg.is_zero:
            return sp.log(2)
        return None

    def _eval_rewrite_as_exp(self, arg, **kwargs):
        return sp.log(1 + sp.exp(arg))

    def _eval_evalf(self, prec):
        return self.rewrite(sp.exp)._eval_evalf(prec)

    def _eval_is_real(self):
        return self.args[0].is_real

    def _eval_is_positive(self):
        return True if self.args[0].is_real else None


def identity(arg):
    """The identity activation (used to remove an activation by substitution)."""
    return arg


tanh = sp.tanh


@dataclass(frozen=True)
class Activation:
    """One row of the pointwise-function table: every face of one function.

    ``derivative(y, a)`` gives f'(a) written through the value ``y = f(a)``
    where that is possible (it is for σ and tanh), so backward passes reuse
    the forward value instead of recomputing the function.  ``numpy`` is the
    spelling generated code uses (resolved in the codegen runtime),
    ``numeric`` the NumPy implementation of the reference evaluator and
    ``precise`` the mpmath one of the 60-digit re-checks; ``lower``/``upper``
    the open range of values the bounds prover uses.
    """

    name: str
    function: Callable
    derivative: Callable[[sp.Expr, sp.Expr], sp.Expr]
    latex: str
    numpy: str
    lower: float | None  # open range of values, used by the bounds prover
    upper: float | None
    arity: int = 1  # arguments; a second one is a number (leaky_relu's slope), never a vector
    numeric: Callable | None = None
    precise: Callable | None = None


from .faces import (_leaky_numeric, _mp, _mp_sigmoid, _mp_softplus, _mp_zero_floor, _np,  # noqa: E402
                    _relu_numeric, _softplus_numeric, _stable_sigmoid)


FUNCTIONS: dict[type, Activation] = {
    sigmoid: Activation("sigmoid", sigmoid, lambda y, a: y * (1 - y), r"\sigma", "_sigmoid", 0.0, 1.0,
                        numeric=_stable_sigmoid, precise=_mp_sigmoid),
    sp.tanh: Activation("tanh", sp.tanh, lambda y, a: 1 - y**2, r"\tanh", "np.tanh", -1.0, 1.0,
                        numeric=_np("tanh"), precise=_mp("tanh")),
    relu: Activation("relu", relu, lambda y, a: sp.Heaviside(a, 0), r"\operatorname{ReLU}", "_relu", 0.0, None,
                     numeric=_relu_numeric, precise=_mp_zero_floor),
    sp.exp: Activation("exp", sp.exp, lambda y, a: y, r"\exp", "np.exp", 0.0, None,
                       numeric=_np("exp"), precise=_mp("exp")),
    sp.log: Activation("log", sp.log, lambda y, a: 1 / a, r"\log", "np.log", None, None,
                       numeric=_np("log"), precise=_mp("log")),
    softplus: Activation("softplus", softplus, lambda y, a: 1 - sp.exp(-y), r"\operatorname{softplus}", "_softplus",
                         0.0, None, numeric=_softplus_numeric, precise=_mp_softplus),
    leaky_relu: Activation("leaky_relu", leaky_relu, lambda y, a: None, r"\operatorname{LeakyReLU}", "_leaky_relu",
                           None, None, arity=2, numeric=_leaky_numeric, precise=lambda a, s: a if a > 0 else s * a),
}
"""Pointwise functions understood everywhere, keyed by SymPy function class."""


def activations(*names: str) -> dict:
    """``name -> SymPy function`` for the named rows of :data:`FUNCTIONS` (a catalogue's activation option).

    Examples
    --------
    >>> sorted(activations("tanh", "relu"))
    ['relu', 'tanh']
    """
    rows = {row.name: row.function for row in FUNCTIONS.values()}
    missing = [n for n in names if n not in rows]
    if missing:
        raise SpecError(f"activations: {missing} are not in the function table ({sorted(rows)})")
    return {n: rows[n] for n in names}


def _check_table():
    """Every row is complete and its faces agree: NumPy and mpmath values, and the derivative through y."""
    import math

    for cls, row in FUNCTIONS.items():
        if row.function is not cls or not (row.numeric and row.precise and row.latex and row.numpy):
            raise ImportError(f"function table: row {row.name!r} is incomplete")
        for a in ((0.3, 0.4, 2.1) if row.name == "log" else (-1.3, 0.4, 2.1)):  # log: its domain
            args = (a, 0.2)[: row.arity]
            exact = float(sp.N(cls(*map(sp.Float, args)), 30)) if row.arity == 1 else (a if a > 0 else 0.2 * a)
            if not (math.isclose(float(row.numeric(*args)), exact, rel_tol=1e-12, abs_tol=1e-15)
                    and math.isclose(float(row.precise(*args)), exact, rel_tol=1e-12, abs_tol=1e-15)):
                raise ImportError(f"function table: {row.name!r}: NumPy and mpmath faces disagree at {a}")
            if row.arity == 1:
                x = sp.Symbol("x", real=True)
                want = float(sp.diff(cls(x), x).subs(x, a).rewrite(sp.exp).evalf())
                got = float(row.derivative(cls(sp.Float(a)), sp.Float(a)).evalf())
                if not math.isclose(want, got, rel_tol=1e-10, abs_tol=1e-12):
                    raise ImportError(f"function table: {row.name!r}: derivative through y disagrees at {a}")


_check_table()
