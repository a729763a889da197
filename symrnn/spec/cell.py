"""The description of a recurrent cell: the one source of truth.

A :class:`Cell` is an immutable, hashable value holding the sizes, the declared
inputs, states and parameters, and an ordered list of equations.  Each
equation defines one vector and is either

* **linear** — an affine map (a SymPy matrix expression, see
  :mod:`symrnn.spec.linear`), or
* **pointwise** — a scalar SymPy expression in :class:`~symrnn.spec.symbols.Vec`
  symbols, applied to every unit alike (σ, tanh, ⊙, 1 - z, …).

Why this split (see the design brief): SymPy's matrix calculus cannot
differentiate ``σ(A h) ⊙ tanh(B h)``, and unrolling vectors into scalars does
not scale.  With the split, every derivative is a scalar ``diff`` lifted to a
diagonal, or a fixed linear rule, and every result holds for every size.

Naming: a state ``h`` is read as ``h_prev`` (h_{t-1}) and written by the
equation whose target is ``h`` (h_t).  Every other vector name is the vector at
step t; parameters carry no time index.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Mapping

import sympy as sp
from sympy.matrices.expressions import MatrixExpr, MatrixSymbol

from ..errors import SpecError, UnknownNameError
from .linear import LinearTerm, linear_terms
from .symbols import Vec

__all__ = ["Decl", "Equation", "Cell", "PREV"]

PREV = "_prev"
"""Suffix of the name under which a state's previous value is read."""


@dataclass(frozen=True)
class Decl:
    """A declared vector or matrix.

    Parameters
    ----------
    name : str
        Plain identifier.
    shape : tuple
        ``(n,)`` for a vector, ``(rows, cols)`` for a matrix; SymPy expressions
        in the cell's size symbols.
    latex : str or None
        LaTeX for the name (without time index); ``None`` derives it.
    space : {None, "node", "edge"}
        The index space of a vector's rows (:mod:`symrnn.spec.operators`):
        ``None`` for the batch of an RNN cell; parameters have none.
    """

    name: str
    shape: tuple
    latex: str | None = None
    space: str | None = None

    @property
    def is_matrix(self) -> bool:
        return len(self.shape) == 2

    @property
    def size(self):
        return self.shape[0]

    def numel(self) -> sp.Expr:
        """Number of scalar entries, a SymPy expression."""
        return sp.Mul(*self.shape)


@dataclass(frozen=True)
class Equation:
    """``target = expr``: linear if ``expr`` is a matrix expression, else pointwise.

    ``anonymous`` marks pre-activations the user did not name; LaTeX prints
    them inline.  ``size`` is the length of the defined vector.
    """

    target: str
    expr: sp.Basic
    size: sp.Expr
    anonymous: bool = False
    latex: str | None = None

    @property
    def kind(self) -> str:
        return "linear" if isinstance(self.expr, MatrixExpr) else "pointwise"

    @property
    def is_linear(self) -> bool:
        return self.kind == "linear"

    def dependencies(self) -> tuple[str, ...]:
        """Names this equation reads (vectors and parameters), in a stable order."""
        if self.is_linear:
            names = {s.name for s in self.expr.atoms(MatrixSymbol)}
        else:
            names = {s.name for s in self.expr.free_symbols}
        return tuple(sorted(names))


@dataclass(frozen=True)
class Cell:
    """An immutable description of a recurrent cell (one time step).

    Build it with :class:`~symrnn.spec.builder.CellBuilder` or a catalogue
    factory (:func:`symrnn.cell`); the constructor is the low-level form and
    validates everything: names, declarations, shapes and acyclicity.

    Parameters
    ----------
    name : str
        Identifier of the cell.
    sizes : tuple of sympy.Symbol
        Size symbols (positive integers).
    inputs, states, params : tuple of Decl
        Declared vectors (inputs, states) and parameters (vectors or matrices).
    equations : tuple of Equation
        In any order; they are sorted by dependency.  Every state needs one.
    output : str, optional
        The state that is the cell's output ``y_t`` (default: the first state).
    family, reference, summary : str
        Catalogue metadata; ``reference`` cites the paper.
    graph : tuple of (str, value)
        For a graph layer, how its operators read a graph (part of the model):
        ``("edges", "self_loops")`` for GAT's closed neighbourhoods,
        ``("add_self_loops", False)`` for a GCN without loops … (the options of
        :class:`~symrnn.graphs.operators.GraphOperators`).

    Raises
    ------
    InvalidNameError, UndeclaredError, ShapeError, CyclicDefinitionError, SpecError

    Examples
    --------
    >>> import symrnn
    >>> rnn = symrnn.cell("rnn")
    >>> [(e.target, e.kind) for e in rnn.equations]
    [('a_h', 'linear'), ('h', 'pointwise')]
    >>> rnn.parameter_count()
    D*H + H**2 + H
    """

    name: str
    sizes: tuple
    inputs: tuple
    states: tuple
    params: tuple
    equations: tuple
    output: str | None = None
    family: str = "custom"
    reference: str = ""
    summary: str = ""
    graph: tuple = ()
    _cache: dict = field(default_factory=dict, init=False, repr=False, compare=False, hash=False)

    def __post_init__(self):
        for attr in ("sizes", "inputs", "states", "params", "equations"):
            object.__setattr__(self, attr, tuple(getattr(self, attr)))
        object.__setattr__(self, "graph", tuple(sorted(tuple(kv) for kv in dict(self.graph).items())))
        if self.output is None and self.states:
            object.__setattr__(self, "output", self.states[0].name)
        from .spaces import check_spaces
        from .validate import validate  # validate reads Cell's declarations: imported at use

        object.__setattr__(self, "equations", validate(self))
        self._cache["spaces"] = check_spaces(self)

    # ------------------------------------------------------------------ names
    @cached_property
    def declared(self) -> dict[str, tuple[str, Decl]]:
        """Every name the equations may read: ``name -> (role, Decl)``.

        Roles: ``input``, ``previous`` (a state at t-1), ``param``, and for
        equation targets ``state`` or ``intermediate``.
        """
        table: dict[str, tuple[str, Decl]] = {}
        for role, decls in (("input", self.inputs), ("param", self.params)):
            for d in decls:
                table[d.name] = (role, d)
        for d in self.states:
            table[d.name + PREV] = ("previous", Decl(d.name + PREV, d.shape, d.latex))
        state_names = {d.name for d in self.states}
        for eq in self.equations:
            role = "state" if eq.target in state_names else "intermediate"
            table[eq.target] = (role, Decl(eq.target, (eq.size,), eq.latex))
        return table

    def role(self, name: str) -> str:
        """Role of a name: input, previous, param, state or intermediate."""
        return self._lookup(name)[0]

    def _lookup(self, name: str):
        try:
            return self.declared[name]
        except (KeyError, TypeError):
            known = ", ".join(sorted(self.declared))
            raise UnknownNameError(f"cell {self.name!r} has no vector or parameter {name!r}; known names: {known}") from None

    def unit(self, name: str) -> Vec:
        """The per-unit symbol of a vector (pointwise face).

        Examples
        --------
        >>> import symrnn
        >>> symrnn.cell("lstm").unit("c_prev")
        c_prev
        """
        _, d = self._lookup(name)
        if d.is_matrix:
            raise SpecError(f"{name!r} is a matrix parameter; it has no per-unit symbol")
        return Vec(name, d.size)

    def matrix(self, name: str) -> MatrixSymbol:
        """The matrix face of a vector (a column) or matrix parameter."""
        _, d = self._lookup(name)
        return MatrixSymbol(name, d.shape[0], d.shape[1] if d.is_matrix else 1)

    def space(self, name: str) -> str | None:
        """The index space of a vector's rows: ``None`` (a batch), ``"node"`` or ``"edge"``.

        Examples
        --------
        >>> import symrnn
        >>> symrnn.cell("lstm").space("h") is None
        True
        """
        self._lookup(name)
        return self._cache["spaces"].get(name)

    @property
    def is_graph(self) -> bool:
        """Whether any vector lives in a graph index space (a graph layer or a graph-recurrent cell)."""
        return any(v is not None for v in self._cache["spaces"].values())

    @property
    def state_names(self) -> tuple[str, ...]:
        return tuple(d.name for d in self.states)

    def equation(self, target: str) -> Equation:
        """The equation that defines ``target``."""
        for eq in self.equations:
            if eq.target == target:
                return eq
        known = ", ".join(eq.target for eq in self.equations)
        raise UnknownNameError(f"cell {self.name!r} has no equation for {target!r}; equations define: {known}")

    def terms(self, target: str) -> tuple[LinearTerm, ...]:
        """The terms of a linear equation (see :func:`~symrnn.spec.linear.linear_terms`)."""
        eq = self.equation(target)
        if not eq.is_linear:
            raise SpecError(f"equation {target!r} of cell {self.name!r} is pointwise, not linear")
        return linear_terms(eq.expr, f"equation {target!r}")

    # -------------------------------------------------------------- derived
    def depends_on_state(self, name: str) -> bool:
        """Whether a vector depends (transitively, within the step) on a previous state."""
        cache = self._cache.setdefault("dep_state", {})
        if name not in cache:
            role = self.role(name)
            if role == "previous":
                cache[name] = True
            elif role in ("state", "intermediate"):
                cache[name] = any(self.depends_on_state(d) for d in self.equation(name).dependencies())
            else:
                cache[name] = False
        return cache[name]

    def param_roles(self) -> dict[str, str]:
        """The role of every parameter, derived from where the equations use it.

        ``input`` (a matrix acting on a vector that does not depend on the
        previous state), ``recurrent`` (a matrix acting on one that does),
        ``bias`` (a vector added in a linear stage), ``diagonal`` (a vector
        used per unit, e.g. a peephole), or a ``+``-joined mix.

        Examples
        --------
        >>> import symrnn
        >>> roles = symrnn.cell("lstm_peephole").param_roles()
        >>> roles["W_i"], roles["U_i"], roles["b_i"], roles["p_o"]
        ('input', 'recurrent', 'bias', 'diagonal')
        """
        found: dict[str, set] = {p.name: set() for p in self.params}
        for eq in self.equations:
            if eq.is_linear:
                for t in self.terms(eq.target):
                    if t.matrix:
                        found[t.matrix].add("recurrent" if self.depends_on_state(t.vector) else "input")
                    elif t.vector in found:
                        found[t.vector].add("bias")
            else:
                for name in eq.dependencies():
                    if name in found:
                        found[name].add("diagonal")
        return {name: "+".join(sorted(r)) or "unused" for name, r in found.items()}

    def parameter_count(self, form: str = "paper") -> sp.Expr:
        """Number of trainable scalars as a SymPy expression in the sizes.

        Parameters
        ----------
        form : {"paper", "torch"}
            ``paper``: one bias per gate, as declared.  ``torch``: PyTorch's
            convention of two bias vectors (``b_ih + b_hh``) for every linear
            stage that adds a bias to both an input-side and a recurrent term.

        Examples
        --------
        >>> import symrnn
        >>> symrnn.cell("lstm").parameter_count("torch")
        4*D*H + 4*H**2 + 8*H
        """
        if form not in ("paper", "torch"):
            raise SpecError(f"parameter_count: form must be 'paper' or 'torch', got {form!r}")
        total = sp.Add(*(p.numel() for p in self.params))
        if form == "torch":
            for eq in self.equations:
                if not eq.is_linear:
                    continue
                terms = self.terms(eq.target)
                biases = [t for t in terms if t.matrix is None and self.role(t.vector) == "param"]
                sides = {self.depends_on_state(t.vector) for t in terms if t.matrix is not None}
                if sides == {True, False}:
                    total += sum(self.declared[t.vector][1].numel() for t in biases)
        return sp.expand(total)

    def latex(self, **options) -> str:
        """The equations as one LaTeX ``aligned`` block (see :mod:`symrnn.spec.latex`)."""
        from .latex import cell_latex

        return cell_latex(self, **options)

    def substitute(self, mapping: Mapping, *, name: str | None = None) -> "Cell":
        """A new cell with vectors or parameters replaced (see :mod:`symrnn.spec.substitute`)."""
        from .substitute import substitute

        return substitute(self, mapping, name=name)

    def replace_function(self, target: str, old, new, *, name: str | None = None) -> "Cell":
        """A new cell where ``old`` is replaced by ``new`` in the equation of ``target``."""
        from .substitute import replace_function

        return replace_function(self, target, old, new, name=name)

    def to_dict(self) -> dict:
        """A JSON-ready summary: names, shapes, equations (as strings and LaTeX), counts."""
        from .latex import equation_latex

        def shape(d):
            return [str(s) for s in d.shape]

        return {
            "name": self.name,
            "family": self.family,
            "reference": self.reference,
            "summary": self.summary,
            "sizes": [str(s) for s in self.sizes],
            "inputs": {d.name: shape(d) for d in self.inputs},
            "states": {d.name: shape(d) for d in self.states},
            "params": {d.name: shape(d) for d in self.params},
            "param_roles": self.param_roles(),
            "output": self.output,
            "equations": [
                {"target": e.target, "kind": e.kind, "expr": str(e.expr), "latex": equation_latex(self, e)}
                for e in self.equations
            ],
            "parameter_count": {f: str(self.parameter_count(f)) for f in ("paper", "torch")},
        }

    def __repr__(self) -> str:
        return f"<Cell {self.name!r}: {len(self.equations)} equations, states {list(self.state_names)}>"
