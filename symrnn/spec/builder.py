"""A small builder that writes a :class:`~symrnn.spec.cell.Cell` the way papers do.

Matrix expressions written inside a pointwise expression, as in
``sigmoid(W_i @ x + U_i @ h + b_i)``, become anonymous linear stages (the
pre-activations ``a_i``); LaTeX prints them inline again.
"""

from __future__ import annotations

import sympy as sp
from sympy.matrices.expressions import MatrixExpr

from ..errors import SpecError
from .cell import PREV, Cell, Decl, Equation
from .parse import as_sympy
from .symbols import Vec, check_name, sizes as _sizes
from .tex_subset import check_latex

__all__ = ["CellBuilder"]


class CellBuilder:
    """Declare sizes, inputs, states and parameters, then write the equations.

    Parameters
    ----------
    name : str
        The cell's name (a plain identifier).
    family, reference, summary : str
        Catalogue metadata; cite the paper in ``reference``.

    Examples
    --------
    A minimal-gated unit written in user code:

    >>> import symrnn
    >>> from symrnn import sigmoid, tanh
    >>> b = symrnn.CellBuilder("mgu", reference="Zhou et al. 2016, Minimal gated unit")
    >>> D, H = b.sizes("D H")
    >>> x, h = b.input("x", D), b.state("h", H)
    >>> Wf, Uf, bf = b.param("W_f", H, D), b.param("U_f", H, H), b.param("b_f", H)
    >>> Wh, Uh, bh = b.param("W_h", H, D), b.param("U_h", H, H), b.param("b_h", H)
    >>> f = b.let("f", sigmoid(Wf @ x + Uf @ h + bf))
    >>> fh = b.let("fh", f * h)
    >>> hc = b.let("hc", tanh(Wh @ x + Uh @ fh + bh), latex=r"\\tilde{\\mathbf{h}}")
    >>> _ = b.update("h", (1 - f) * h + f * hc)
    >>> cell = b.build()
    >>> cell.parameter_count()
    2*D*H + 2*H**2 + 2*H
    """

    def __init__(self, name: str, *, family: str = "custom", reference: str = "", summary: str = ""):
        self.name = check_name(name, "cell")
        self.meta = dict(family=family, reference=reference, summary=summary)
        self._sizes: list[sp.Symbol] = []
        self._inputs: list[Decl] = []
        self._states: list[Decl] = []
        self._params: list[Decl] = []
        self._equations: list[Equation] = []
        self._names: set[str] = set()

    def _claim(self, name: str, what: str) -> str:
        check_name(name, what)
        if name in self._names:
            raise SpecError(f"cell {self.name!r}: name {name!r} is already used")
        self._names.add(name)
        return name

    def sizes(self, names: str) -> tuple[sp.Symbol, ...]:
        """Declare size symbols, e.g. ``D, H = b.sizes("D H")``."""
        out = _sizes(names)
        self._sizes.extend(s for s in out if s not in self._sizes)
        return out

    def input(self, name: str, size, *, latex: str | None = None, space: str | None = None) -> Vec:
        """Declare an input vector x_t; returns its unit symbol.

        ``space`` is the index space of its rows (``"node"``, ``"edge"``; see
        :mod:`symrnn.spec.operators`), ``None`` for the batch of an RNN cell.
        """
        size = as_sympy(size, argument=f"input {check_name(name, 'input')!r} size")  # check all, then claim
        check_latex(latex, f"input {name!r} latex=")
        self._inputs.append(Decl(self._claim(name, "input"), (size,), latex, space))
        return Vec(name, size)

    def state(self, name: str, size, *, latex: str | None = None, space: str | None = None) -> Vec:
        """Declare a state; returns its previous value (``name_prev``, printed name_{t-1})."""
        size = as_sympy(size, argument=f"state {check_name(name, 'state')!r} size")  # check all, then claim
        check_latex(latex, f"state {name!r} latex=")
        if name + PREV in self._names:
            raise SpecError(f"cell {self.name!r}: name {name + PREV!r} (the previous value of state {name!r}) is already used")
        self._states.append(Decl(self._claim(name, "state"), (size,), latex, space))
        self._claim(name + PREV, "state")
        return Vec(name + PREV, size)

    def param(self, name: str, *shape, latex: str | None = None):
        """Declare a parameter: ``param("W", H, D)`` a matrix, ``param("b", H)`` a vector.

        Returns a ``MatrixSymbol`` for a matrix and a :class:`Vec` for a vector
        (usable as a bias in a linear stage or per unit, e.g. a peephole).
        """
        check_name(name, "parameter")
        if len(shape) not in (1, 2):
            raise SpecError(f"param {name!r}: shape must be (n,) or (rows, cols), got {shape}")
        shape = tuple(as_sympy(s, argument=f"param {name!r} shape") for s in shape)
        check_latex(latex, f"param {name!r} latex=")
        self._params.append(Decl(self._claim(name, "parameter"), shape, latex))
        return sp.MatrixSymbol(name, *shape) if len(shape) == 2 else Vec(name, shape[0])

    def _lift(self, expr, target: str):
        """Turn matrix sub-expressions of a pointwise expression into anonymous linear stages."""
        if isinstance(expr, MatrixExpr):
            k = 0
            name = f"a_{target}" if target else "a1"
            while name in self._names:
                k += 1
                name = f"a_{target}{k}" if target else f"a{k + 1}"
            self._claim(name, "pre-activation")
            self._equations.append(Equation(name, expr, expr.shape[0], anonymous=True))
            return Vec(name, expr.shape[0])
        if isinstance(expr, sp.Basic) and expr.args and not isinstance(expr, sp.Symbol):
            new_args = [self._lift(a, target) for a in expr.args]
            if any(n is not o for n, o in zip(new_args, expr.args)):
                return expr.func(*new_args)
        return expr

    def _size_of(self, expr, name):
        if isinstance(expr, MatrixExpr):
            return expr.shape[0]
        units = [s for s in as_sympy(expr, argument=f"equation {name!r}").free_symbols if isinstance(s, Vec)]
        if not units:
            raise SpecError(f"equation {name!r}: cannot infer a size from {expr}; it names no vector")
        wide = [u for u in units if u.size != 1]  # a size-1 vector broadcasts over the units (graph layers)
        return (wide or units)[0].size

    def linear(self, expr, name: str | None = None, *, latex: str | None = None, inline: bool = True) -> Vec:
        """Name an affine map so it can meet per-unit operations.

        ``tanh(b.linear(W @ x + b_in) + r * b.linear(U @ h + b_hn))`` is the
        reset-after GRU candidate.  Without ``name`` the stage is anonymous and
        printed inline.
        """
        if not isinstance(expr, MatrixExpr):
            raise SpecError(f"linear: expected a matrix expression such as W @ x + b, got {expr!r}")
        if name is None:
            return self._lift(expr, "")
        check_latex(latex, f"linear {check_name(name, 'linear stage')!r} latex=")
        self._claim(name, "linear stage")
        self._equations.append(Equation(name, expr, expr.shape[0], anonymous=inline, latex=latex))
        return Vec(name, expr.shape[0])

    def let(self, name: str, expr, *, latex: str | None = None) -> Vec:
        """Define an intermediate vector (a gate, a candidate); returns its unit symbol."""
        check_latex(latex, f"let {check_name(name, 'intermediate')!r} latex=")
        self._claim(name, "intermediate")
        if not isinstance(expr, MatrixExpr):
            expr = self._lift(as_sympy(expr, argument=f"let {name!r}"), name)
        size = self._size_of(expr, name)
        self._equations.append(Equation(name, expr, size, latex=latex))
        return Vec(name, size)

    def update(self, state: str, expr) -> Vec:
        """Write the new value of a declared state; returns its unit symbol (name_t)."""
        decl = next((d for d in self._states if d.name == state), None)
        if decl is None:
            raise SpecError(f"update: {state!r} is not a declared state of {self.name!r}")
        if not isinstance(expr, MatrixExpr):
            expr = self._lift(as_sympy(expr, argument=f"update {state!r}"), state)
        self._equations.append(Equation(state, expr, decl.size))
        return Vec(state, decl.size)

    def build(self, *, output: str | None = None, graph=()) -> Cell:
        """Validate and return the immutable :class:`Cell` (``graph``: a graph layer's operator options)."""
        return Cell(
            self.name,
            tuple(self._sizes),
            tuple(self._inputs),
            tuple(self._states),
            tuple(self._params),
            tuple(self._equations),
            output=output,
            graph=tuple(dict(graph).items()),
            **self.meta,
        )
