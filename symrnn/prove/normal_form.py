"""Per-unit normal forms: the dimension-generic face of a cell's step function.

The new value of a state, one unit of it, is written as a scalar SymPy
expression over

* the unit symbols of the inputs, the previous states and the vector
  parameters (after renaming into a shared vocabulary), and
* **opaque atoms**, one per matrix-vector product ``P v``: the atom stands for
  unit j of ``P v`` and is keyed by the matrix's (renamed) name and the
  normal form of ``v``.  Sums are split first, ``P (u + k w) = P u + k P w``,
  so ``W x + b_in`` and ``W x + b_hn`` share the atom of ``W x``.  A graph
  operator across rows (``Op v``: unit j of row r is Σ_s Op_rs v_sj) is an
  atom of the same kind keyed ``⟨Op⟩``, split over sums when the operator
  is linear and kept whole when it is not (a softmax's shift).

Pointwise intermediates are inlined (scalar substitution); nothing is ever
unrolled into per-component scalars.  Two cells whose normal forms agree as
expressions in these symbols compute the same function for every size:
every pointwise stage acts on unit j alone, and equal atoms are equal
vectors because they apply the same matrix to the same vector.  Unequal
forms prove nothing either way (an atom key is syntactic); the engine then
looks for a numeric counterexample.
"""

from __future__ import annotations

from typing import Mapping

import sympy as sp

from ..errors import ShapeError, SpecError, UnknownNameError
from ..spec.cell import PREV, Cell
from ..spec.parse import as_expr

__all__ = ["AtomTable", "NormalForm", "as_cell", "is_zero"]


def as_cell(desc, what: str = "cell") -> Cell:
    """The flat :class:`Cell` of a description (a ``Stacked`` gives its ``.cell``)."""
    inner = getattr(desc, "cell", None)
    if isinstance(inner, Cell):
        return inner
    if isinstance(desc, Cell):
        return desc
    raise SpecError(f"{what} must be a Cell (or a stacked network), got {type(desc).__name__}")


class AtomTable:
    """Opaque atoms ``[P·v]`` shared by the normal forms being compared.

    Two vectors whose normal forms are provably equal (:func:`is_zero`) share
    one atom, so ``U σ(a)`` and ``U (1 + tanh(a/2))/2`` are the same unit.

    Examples
    --------
    >>> import sympy as sp
    >>> t = AtomTable()
    >>> x = sp.Symbol("x", real=True)
    >>> t.atom("W", x) == t.atom("W", x), t.atom("W", x) == t.atom("U", x)
    (True, False)
    """

    def __init__(self):
        self._by_key: dict = {}
        self._applied: list = []
        self.reads: dict[sp.Symbol, tuple[str, sp.Expr]] = {}

    def atom(self, matrix: str, vector: sp.Expr) -> sp.Symbol:
        key = (matrix, sp.srepr(vector))
        if key not in self._by_key:
            for sym, (m, v) in self.reads.items():  # the same vector written differently: one atom
                if m == matrix and is_zero(v - vector) is True:
                    self._by_key[key] = sym
                    return sym
            name = f"[{matrix}·{vector}]"
            taken = {s.name for s in self.reads}
            k = 2
            while name in taken:
                name, k = f"[{matrix}·{vector}]#{k}", k + 1
            sym = sp.Symbol(name, real=True)
            self._by_key[key] = sym
            self.reads[sym] = (matrix, vector)
        return self._by_key[key]

    def apply(self, matrix: str, vector: sp.Expr) -> sp.Expr:
        """``P v`` per unit: linear in ``v``'s additive terms, one atom per term.

        A vector provably equal to one already applied to ``P`` gets the same
        result, whichever of the two was written as a sum.
        """
        for m, v, result in self._applied:
            if m == matrix and (v == vector or is_zero(v - vector) is True):
                return result
        out = sp.S.Zero
        for term in sp.Add.make_args(sp.expand(vector)):
            coeff, rest = term.as_coeff_Mul()
            out += coeff * self.atom(matrix, rest)
        self._applied.append((matrix, vector, out))
        return out

    def symbols_read(self, expr: sp.Expr) -> set[str]:
        """Names of the unit symbols ``expr`` reads, looking through atoms."""
        names, todo = set(), [expr]
        while todo:
            e = todo.pop()
            for s in e.free_symbols:
                if s in self.reads:
                    todo.append(self.reads[s][1])
                else:
                    names.add(s.name)
        return names

    def matrices_read(self, expr: sp.Expr) -> set[str]:
        """Names of the matrices whose atoms ``expr`` reads (at any depth)."""
        names, todo = set(), [expr]
        while todo:
            for s in todo.pop().free_symbols:
                if s in self.reads:
                    names.add(self.reads[s][0])
                    todo.append(self.reads[s][1])
        return names


def _symbol(name: str) -> sp.Symbol:
    return sp.Symbol(name, real=True)


class NormalForm:
    """Normal forms of one cell's vectors, renamed into a shared vocabulary.

    Parameters
    ----------
    cell : Cell
    rename : dict, optional
        ``name -> new name`` for inputs, states (their ``_prev`` follows; a
        ``_prev`` name cannot be renamed on its own) and matrix parameters; ``name -> expression`` (str or SymPy, over the new
        vocabulary's vector names) for vector parameters, e.g.
        ``{"b_n": "b_in + b_hn"}`` merges two biases.
    atoms : AtomTable, optional
        Share one table between the cells being compared.
    given : dict, optional
        ``gate -> per-unit value`` fixed inside the normal form (a
        substitution that keeps every parameter declared).

    Examples
    --------
    >>> import symrnn
    >>> nf = NormalForm(symrnn.cell("gru_reset_before").substitute({"z": 0, "r": 1}),
    ...                 rename={"W_n": "W", "U_n": "U", "b_n": "b"})
    >>> nf.of("h")
    tanh([U·h_prev] + [W·x] + b)
    """

    def __init__(self, cell: Cell, rename: Mapping | None = None, atoms: AtomTable | None = None,
                 given: Mapping | None = None):
        self.cell = as_cell(cell)
        self.atoms = atoms if atoms is not None else AtomTable()
        self.rename = self._check_rename(dict(rename or {}))
        self._memo: dict[str, sp.Expr] = {}
        for name, value in dict(given or {}).items():  # fixed per-unit values of intermediates
            if self.cell.role(name) != "intermediate" or self.cell.equation(name).is_linear:
                raise SpecError(f"given: {name!r} must be a pointwise intermediate (a gate) of {self.cell.name!r}")
            value = as_expr(value, argument=f"given[{name!r}]")
            self._memo[name] = value.xreplace({s: self.of(s.name) for s in value.free_symbols})

    def _check_rename(self, rename: dict) -> dict:
        cell = self.cell
        out = {}
        for key, value in rename.items():
            key = getattr(key, "name", key)
            if not isinstance(key, str) or key not in cell.declared:
                known = ", ".join(sorted(n for n, (r, _) in cell.declared.items() if r in ("input", "param", "state")))
                raise UnknownNameError(f"rename: {key!r} is not a name of cell {cell.name!r}; known names: {known}")
            role, decl = cell.declared[key]
            if role == "previous":
                state = key[: -len(PREV)]
                raise SpecError(f"rename: {key!r} is the previous value of state {state!r}; rename the state "
                                f"({state!r}: ...) and its previous value follows — a state and its previous "
                                "value are one name")
            if role == "intermediate":
                raise SpecError(f"rename: {key!r} is an intermediate of {cell.name!r}; intermediates are inlined, rename inputs, states and parameters only")
            if decl.is_matrix or role in ("input", "state"):
                if not isinstance(value, (str, sp.Symbol, sp.MatrixSymbol)) or not str(getattr(value, "name", value)).isidentifier():
                    raise SpecError(f"rename: {key!r} ({role}) must map to a name, got {value!r}")
                out[key] = str(getattr(value, "name", value))
                if role == "state":
                    out.setdefault(key + PREV, out[key] + PREV)
            else:
                expr = as_expr(value, argument=f"rename[{key!r}]")
                expr = expr.xreplace({s: _symbol(s.name) for s in expr.free_symbols})
                linear = expr.free_symbols and expr.xreplace({s: 0 for s in expr.free_symbols}) == 0 and all(
                    sp.diff(expr, s).is_number and sp.diff(expr, s) != 0 for s in expr.free_symbols)
                if not linear:
                    raise SpecError(f"rename: vector parameter {key!r} must map to a name or a sum k1*p1 + k2*p2 + ... "
                                    f"of parameters (numbers k != 0), got {value!r}")
                out[key] = expr
        return out

    def name(self, name: str) -> str:
        """The new name of an input, state, previous state or matrix."""
        value = self.rename.get(name, name)
        return value if isinstance(value, str) else name

    def of(self, name: str) -> sp.Expr:
        """The per-unit normal form of a vector of the cell."""
        if name not in self._memo:
            self._memo[name] = self._build(name)
        return self._memo[name]

    def _build(self, name: str) -> sp.Expr:
        role, decl = self.cell._lookup(name)
        if decl.is_matrix:
            raise ShapeError(f"{name!r} is a matrix; it has no per-unit value")
        if role in ("input", "previous", "param"):
            value = self.rename.get(name, name)
            return _symbol(value) if isinstance(value, str) else value
        eq = self.cell.equation(name)
        if not eq.is_linear:
            return eq.expr.xreplace({s: self.of(s.name) for s in eq.expr.free_symbols})
        out = sp.S.Zero
        for t in self.cell.terms(name):
            v = self.of(t.vector)
            if t.operator is not None:  # a graph operator across rows: one more opaque (linear) atom, innermost
                from ..spec.operators import OPERATORS

                key = f"⟨{t.operator}⟩"
                v = self.atoms.apply(key, v) if OPERATORS[t.operator].linear else self.atoms.atom(key, v)
            out += t.coeff * (self.atoms.apply(self.name(t.matrix), v) if t.matrix else v)
        return out

    def states(self) -> dict[str, sp.Expr]:
        """``new state name -> normal form`` for every state."""
        return {self.name(s): self.of(s) for s in self.cell.state_names}


def is_zero(expr: sp.Expr, *, points: int = 3, seed: int = 0):
    """Whether a scalar expression is identically zero in its free symbols.

    ``True``: it simplifies to 0 (a proof).  ``False``: it is nonzero at a
    random real point, so no simplification can make it 0 (then a search
    for a counterexample in the cells is worth it).  ``None``: undecided.
    The cheap tests run first; ``sympy.simplify`` only when the random
    points all give 0, which keeps failing checks fast.

    Examples
    --------
    >>> import sympy as sp
    >>> a = sp.Symbol("a", real=True)
    >>> from symrnn import sigmoid
    >>> is_zero(sigmoid(a) - (1 + sp.tanh(a / 2)) / 2), is_zero(sp.tanh(a) - a)
    (True, False)
    """
    import numpy as np

    from ..numeric.reference import NUMPY_FUNCTIONS

    expr = sp.expand(expr)
    if expr == 0:
        return True
    syms = sorted(expr.free_symbols, key=lambda s: s.name)
    fn = sp.lambdify(syms, expr, modules=[NUMPY_FUNCTIONS, "numpy"])
    rng = np.random.default_rng(seed)
    with np.errstate(all="ignore"):
        for _ in range(points):
            value = complex(fn(*rng.uniform(-1.5, 1.5, len(syms))))
            if np.isfinite(value) and abs(value) > 1e-8:
                return False
    if sp.simplify(expr) == 0:
        return True
    # σ and tanh through exp: σ(a) = (1 + tanh(a/2))/2 only shows up this way
    return True if sp.simplify(expr.rewrite(sp.exp)) == 0 else None
