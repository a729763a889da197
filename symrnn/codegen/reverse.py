"""The one reverse-mode generator: adjoints of a description's equations, read backwards.

Every backward pass symrnn generates — the RNN time loop
(:mod:`symrnn.codegen.backward`), a graph layer's step
(:mod:`symrnn.codegen.layer`, also run step by step by the spatial-temporal
models) and a tree model's block of rows (:mod:`symrnn.trees.stage`) — is a
:class:`Sweep` over the equations in reverse order with the same two rules:

* a pointwise stage ``y = f(u…)`` adds ``ȳ · ∂y/∂u`` to each ``u`` it reads,
  with the partials of :func:`~symrnn.spec.partials.pointwise_partials`
  (written through forward values, so σ' = y(1 − y) reads the stored gate) and
  the factors the contributions share computed once (``sympy.cse``,
  :func:`pointwise_terms`); a size-1 vector broadcast over the stage's units
  (an attention coefficient times a message) gets the sum over the units;
* a linear stage ``a = Σ k · P · Op(v) + b`` hands ``k · Opᵀ(ā) P`` to ``v``,
  ``k · Opᵀ(ā)ᵀ v`` to ``P`` and the column sum of ``ā`` to ``b``, applying
  each operator's adjoint once for all the terms under it (no operator: the
  identity; :data:`~symrnn.spec.operators.OPERATORS`); a non-linear operator (a
  softmax's shift) passes nothing back.

Adjoints live in an :class:`Adjoints` book: the first contribution assigns,
later ones add — in place when the variable owns its array, into a new array
when it is still an alias of another value (an adjoint handed on unchanged),
so no array is ever modified through a second name.

What differs between the kernels is where values and adjoints live and which
products are batched outside the sweep, and that is all a subclass says: the
RNN stacks the linear stages' adjoints into one buffer per step and leaves the
matrix gradients to GEMMs over all T·B rows after the loop
(:meth:`Sweep.deferred`), the tree stage writes them into the caller's
pre-activation buffer, and the graph layer applies the graph's operators
(:meth:`Sweep.operator_adjoint`) and fuses message passing and softmaxes
(:meth:`Sweep.special`).

Examples
--------
The adjoint contributions of the LSTM's ``h = o ⊙ tanh(c)`` share tanh(c), computed once:

>>> import sympy as sp, symrnn
>>> from symrnn.spec.partials import pointwise_partials
>>> temps, terms = pointwise_terms(pointwise_partials(symrnn.cell("lstm"), "h"), sp.Symbol("_g_h"), "h")
>>> temps, terms
([(_c0_h, tanh(c))], [('c', _g_h*o*(1 - _c0_h**2)), ('o', _c0_h*_g_h)])
"""

from __future__ import annotations

import itertools
import re
from collections import OrderedDict

import sympy as sp

from ..spec.operators import OPERATORS
from ..spec.partials import pointwise_partials
from .printer import _num, emit_into, to_source

__all__ = ["Adjoints", "Sweep", "pointwise_terms", "coefficient"]

_IDENTIFIER = re.compile(r"^[A-Za-z_]\w*$")


def coefficient(k) -> str:
    """Source prefix of a term's coefficient: ``""`` for 1, else ``"2.0 * "``.

    >>> coefficient(1), coefficient(sp.Rational(1, 2))
    ('', '0.5 * ')
    """
    return "" if k == 1 else f"{_num(sp.sympify(k))} * "


def pointwise_terms(partials: dict, g: sp.Symbol, tag: str, keep=None):
    """The adjoint contributions ``ȳ · ∂y/∂u`` of one pointwise stage, shared factors computed once.

    Parameters
    ----------
    partials : dict
        ``u -> ∂y/∂u`` (:func:`~symrnn.spec.partials.pointwise_partials`).
    g : sympy.Symbol
        The stage's adjoint ȳ.
    tag : str
        Names the common subexpressions ``_c0_<tag>``, ``_c1_<tag>`` …
    keep : callable, optional
        ``keep(u)``: whether ``u``'s adjoint is wanted (default: every ``u``).

    Returns
    -------
    temps : list of (Symbol, Expr)
        Shared factors, in the order they must be computed.
    terms : list of (str, Expr)
        ``(u, ȳ · ∂y/∂u)`` written through the temps; zero partials dropped.

    Examples
    --------
    >>> import symrnn
    >>> from symrnn.spec.partials import pointwise_partials
    >>> parts = pointwise_partials(symrnn.cell("gru_reset_after"), "h")
    >>> pointwise_terms(parts, sp.Symbol("_g_h"), "h", keep=lambda u: u != "z")[1]
    [('h_prev', _g_h*z), ('n', _g_h*(1 - z))]
    """
    deps = [u for u, d in partials.items() if d != 0 and (keep is None or keep(u))]
    temps, exprs = sp.cse([g * partials[u] for u in deps],
                          symbols=(sp.Symbol(f"_c{k}_{tag}") for k in itertools.count()))
    return list(temps), list(zip(deps, exprs))


class Adjoints:
    """Code-time book of adjoint variables: the first write assigns, later ones add.

    A variable is ``("buf", view)`` — a preallocated array written in place (a
    slot of a pre-activation buffer) — or ``("var", name)``.  A variable whose
    first value is another array (an alias) gets a new array on its first add;
    one that owns its array is added to in place.

    Parameters
    ----------
    w : Writer
        Receives the generated lines.
    names : dict
        Symbol name -> source name, for printing SymPy expressions; extended
        with each adjoint's ``_g_<name>``.

    Examples
    --------
    >>> from symrnn.codegen.forward import Writer
    >>> w = Writer()
    >>> adj = Adjoints(w, {})
    >>> adj.var("h"); adj.add_source("h", "_g_y"); adj.add_source("h", "_g_z"); adj.add_source("h", "_g_u")
    >>> w.lines
    ['_g_h = _g_y', '_g_h = _g_h + _g_z', '_g_h += _g_u']
    """

    def __init__(self, w, names: dict):
        self.w, self.names = w, names
        self.loc: dict[str, tuple] = {}
        self.started: dict[str, str] = {}  # name -> "fresh" (owns its array) | "alias"

    def buffer(self, name, view):
        self.loc[name] = ("buf", view)

    def var(self, name):
        self.loc[name] = ("var", f"_g_{name}")

    def ref(self, name) -> str:
        return self.loc[name][1]

    def symbol(self, name) -> sp.Symbol:
        """The adjoint of ``name`` as a symbol printable through :attr:`names`."""
        self.names[f"_g_{name}"] = self.ref(name)
        return sp.Symbol(f"_g_{name}")

    def given(self, name, src):
        """The adjoint enters as the caller's array ``src`` (never modified in place)."""
        self.var(name)
        self.w(f"{self.ref(name)} = {src}")
        self.started[name] = "alias"

    def add_expr(self, name, expr):
        """Add the SymPy expression ``expr`` to the adjoint of ``name``."""
        kind, ref = self.loc[name]
        if name in self.started:
            self._add(name, to_source(expr, self.names))
        elif kind == "buf":
            self.w(*emit_into(expr, ref, self.names))
            self.started[name] = "fresh"
        else:
            self.w(f"{ref} = {to_source(expr, self.names)}")
            self.started[name] = "alias" if expr.is_Symbol else "fresh"

    def add_source(self, name, src, *, fresh=False, matmul=None):
        """Add raw source ``src``; ``fresh``: it makes a new array; ``matmul=(a, b)`` lets a buffer's first write use ``out=``."""
        kind, ref = self.loc[name]
        if name in self.started:
            self._add(name, src)
        elif kind == "buf":
            self.w(f"_np.matmul({matmul[0]}, {matmul[1]}, out={ref})" if matmul else f"_np.copyto({ref}, {src})")
            self.started[name] = "fresh"
        else:
            self.w(f"{ref} = {src}")
            self.started[name] = "fresh" if fresh and not _IDENTIFIER.match(src) else "alias"

    def _add(self, name, src):
        ref = self.loc[name][1]
        if self.started[name] == "alias":
            self.w(f"{ref} = {ref} + {src}")
            self.started[name] = "fresh"
        else:
            self.w(f"{ref} += {src}")

    def alias(self, name, src):
        """The adjoint starts as the existing array ``src`` (no copy; a later add makes a new one)."""
        self.w(f"{self.ref(name)} = {src}")
        self.started[name] = "alias"

    def ensure(self, name, like):
        """Zero the adjoint if nothing was added (an unused value); ``like`` is an array of its shape."""
        if name not in self.started:
            kind, ref = self.loc[name]
            self.w(f"{ref}[...] = 0" if kind == "buf" else f"{ref} = _np.zeros_like({like})")
            self.started[name] = "fresh"


class Sweep:
    """Reverse mode through a description's equations (see the module docstring).

    Subclasses place values and adjoints: :attr:`names` maps every symbol to its
    source; the hooks below default to a plain step over (rows, units) arrays.

    Parameters
    ----------
    cell : Cell
    w : Writer
    names : dict
        Symbol name -> source of its value (``_v_…``, ``_p_…``).
    n : dict
        Vector name -> length (for broadcasts of size-1 vectors).
    """

    def __init__(self, cell, w, names: dict, n: dict):
        self.cell, self.w, self.n = cell, w, n
        self.names = dict(names)
        self.adj = Adjoints(w, self.names)

    # ------------------------------------------------------------- the sweep
    def run(self, names=None):
        """Emit reverse mode through the stages ``names`` (default: every equation), last first."""
        for name in reversed(list(names if names is not None else (eq.target for eq in self.cell.equations))):
            if self.special(name):
                continue
            if name not in self.adj.started:
                continue  # nothing reads it: zero adjoint, nothing to propagate
            if self.cell.equation(name).is_linear:
                self.linear(name)
            else:
                self.pointwise(name)
            self.done(name)

    # --------------------------------------------------------- pointwise rule
    def pointwise(self, name):
        """ȳ · ∂y/∂u to every wanted ``u`` of ``y = f(u…)``."""
        g = self.adj.symbol(name)
        temps, terms = pointwise_terms(self.partials(name), g, name,
                                       lambda u: self.role(u) == "param" or self.wanted(u))
        handled = self.factors(temps, terms)
        for u, e in terms:
            if u not in handled:
                self.send(u, e, name)

    def factors(self, temps, terms) -> set:
        """Compute the shared factors; returns the ``u`` whose contribution that already wrote (none here)."""
        for sym, value in temps:
            self.w(f"{sym.name} = {to_source(value, self.names)}")
            self.names[sym.name] = sym.name
        return set()

    def send(self, u, expr, target):
        """Route one contribution by the role of ``u``."""
        role = self.role(u)
        if self.n.get(u) == 1 and self.n.get(target, 1) != 1:  # a size-1 vector broadcast over the units
            src = f"({to_source(expr, self.names)}).sum(axis=1, keepdims=True)"
            if role == "param":
                self.param_grad(u, f"{src}.sum(axis=0)")
            else:
                self.adj.add_source(u, src, fresh=True)
        elif role == "param":
            self.param_grad(u, f"({to_source(expr, self.names)}).sum(0)")
        elif role == "input":
            self.input_grad(u, to_source(expr, self.names))
        else:
            self.adj.add_expr(u, expr)

    # ------------------------------------------------------------ linear rule
    def linear(self, name):
        """``k · Opᵀ(ā) P`` to ``v``, ``k · Opᵀ(ā)ᵀ v`` to ``P``, colsum(ā) to a bias, per term."""
        g = self.adj.ref(name)
        by_op: OrderedDict = OrderedDict()
        for t in self.cell.terms(name):
            if self.deferred(name, t):
                continue
            if t.matrix is None and self.role(t.vector) == "param":
                self.param_grad(t.vector, f"{coefficient(t.coeff)}{g}.sum(axis=0)")
            else:
                by_op.setdefault(t.operator, []).append(t)
        for j, (op, terms) in enumerate(by_op.items()):
            if op is not None and not OPERATORS[op].linear:
                continue  # a shift held constant (a softmax's max): nothing flows back through it
            terms = [t for t in terms if t.matrix or self.wanted(t.vector)]
            if not terms:
                continue
            G = self.operator_adjoint(op, g, name, j)
            for t in terms:
                Gt = self.term_adjoint(t, G, g)
                c = coefficient(t.coeff)
                if t.matrix:
                    self.matrix_grad(t, f"{c}({Gt}.T @ {self.names[t.vector]})")
                    if self.wanted(t.vector):
                        self.adj.add_source(t.vector, f"{c}({Gt} @ {self.names[t.matrix]})", fresh=True)
                else:
                    self.adj.add_source(t.vector, f"{c}{Gt}", fresh=bool(c))

    # ------------------------------------------------------------------ hooks
    def special(self, name) -> bool:
        """Handle stage ``name`` some other way (fused stages, activation groups); True when done."""
        return False

    def partials(self, target) -> dict:
        return pointwise_partials(self.cell, target)

    def role(self, name) -> str:
        return self.cell.role(name)

    def wanted(self, u) -> bool:
        """Whether the adjoint of vector ``u`` reaches anything asked for (parameters always are)."""
        return True

    def deferred(self, target, term) -> bool:
        """Whether ``term``'s gradients are batched outside the sweep (stacked GEMMs)."""
        return False

    def operator_adjoint(self, op, g, target, j) -> str:
        """Source of ``Opᵀ(ā)`` (computed once per operator of a stage); no operator: ``ā``."""
        return g

    def term_adjoint(self, term, G, g) -> str:
        """The adjoint one term's vector sees (an operator acting per term, e.g. a sum over units)."""
        return G

    def matrix_grad(self, term, src):
        self.w(f"_grads[{term.matrix!r}] += {src}")

    def param_grad(self, name, src):
        self.w(f"_grads[{name!r}] += {src}")

    def input_grad(self, name, src):
        self.adj.add_source(name, src, fresh=True)

    def done(self, target):
        """After ``target``'s contributions are sent (free its adjoint, …)."""
