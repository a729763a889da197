"""The generation plan: which GEMMs, which pointwise stages, what the tape keeps.

A :class:`Plan` is computed once per (cell, sizes) from the description alone:

* **slots** — every linear equation gets a column range of one pre-activation
  buffer ``P`` of shape (T, B, NL).  Linear equations are ordered so that the
  equations reading an input, the equations reading a previous state and the
  gates sharing an activation are each contiguous; then the input projection of
  all T steps is one GEMM per input vector (its matrices stacked at run time,
  zero blocks for equations that do not read it) and the recurrent part of a
  step is one GEMM per previous-state vector;
* **late** linear equations read a vector computed inside the step (GRU's
  U_n (r ⊙ h)); they get their own per-step GEMM;
* **groups** — gates ``y = F(a)`` whose pre-activation has no other use are
  computed in place in their slot, one call per run of equal ``F``;
* **storage** — every other pointwise result lives in a reused slot (when the
  slot's old value is dead), a state array (T+1, B, n), a tape array or a
  temporary; the tape keeps exactly the vectors that the backward formulas
  (:func:`~symrnn.spec.partials.pointwise_partials` and the matrix terms) read.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sympy as sp

from ..errors import CompileError
from ..numeric.params import param_shapes, vector_sizes
from ..spec.cell import PREV, Cell
from ..spec.partials import pointwise_partials
from ..spec.symbols import FUNCTIONS, Vec, relu

__all__ = ["Plan", "make_plan", "GROUP_ORDER"]

GROUP_ORDER = ("sigmoid", "tanh", "relu", "exp")
"""Order of activation groups inside a block of slots."""


@dataclass
class Plan:
    """Everything the forward and backward generators need (concrete sizes)."""

    cell: Cell
    n: dict                     # vector name -> length
    shapes: dict                # parameter name -> shape
    slots: dict = field(default_factory=dict)      # linear target -> (lo, hi)
    width: int = 0                                  # NL, the width of P
    late: list = field(default_factory=list)        # late linear targets, in order
    sources: dict = field(default_factory=dict)     # early source vector -> (lo, hi, blocks)
    biases: list = field(default_factory=list)      # (lo, hi, param, coeff)
    groups: list = field(default_factory=list)      # (fname, lo, hi, targets)
    pointwise: list = field(default_factory=list)   # non-group pointwise targets, in order
    exprs: dict = field(default_factory=dict)       # pointwise target -> expr (aux substituted)
    aux: dict = field(default_factory=dict)         # aux name -> (F(arg) with aux substituted, owner)
    partials: dict = field(default_factory=dict)    # pointwise target -> {dep: expr}
    storage: dict = field(default_factory=dict)     # vector -> ("slot", lo, hi) | ("state",) | ("tape",) | ("temp",)
    needed: set = field(default_factory=set)        # vectors the backward reads
    order: list = field(default_factory=list)       # every equation target (and aux) in forward order
    rolling: set = field(default_factory=set)       # states the backward never reads: two buffers, not T + 1

    @property
    def states(self):
        return self.cell.state_names

    def role(self, name):
        return "aux" if name in self.aux else self.cell.role(name)


def _activation(expr):
    """``F`` name when ``expr`` is ``F(a)`` with ``a`` a single vector symbol."""
    if isinstance(expr, sp.Function) and type(expr) in FUNCTIONS and FUNCTIONS[type(expr)].arity == 1 \
            and isinstance(expr.args[0], sp.Symbol):
        return FUNCTIONS[type(expr)].name
    return None


def _consumers(cell):
    out = {}
    for eq in cell.equations:
        for d in eq.dependencies():
            out.setdefault(d, []).append(eq.target)
    return out


def make_plan(cell: Cell, sizes: dict, *, inference: bool = False) -> Plan:
    """Build the plan of ``cell`` at concrete ``sizes`` (``{"D": 3, "H": 4}``).

    ``inference=True`` plans a forward pass that no backward pass reads: nothing is
    taped (every intermediate lives one step, every state but the output in two rolling buffers).

    Examples
    --------
    >>> import symrnn
    >>> p = make_plan(symrnn.cell("lstm"), {"D": 2, "H": 3})
    >>> p.slots["a_i"], p.width, [g[0] for g in p.groups]
    ((0, 3), 12, ['sigmoid', 'tanh'])
    """
    plan = Plan(cell, vector_sizes(cell, sizes), param_shapes(cell, sizes))
    consumers = _consumers(cell)
    _check(cell)
    _aux_and_partials(plan)
    if inference:
        plan.needed = set()
    _layout(plan, consumers)
    _storage(plan, consumers)
    return plan


def _check(cell):
    for eq in cell.equations:
        if not eq.is_linear:
            continue
        for t in cell.terms(eq.target):
            if t.matrix is not None and cell.role(t.vector) == "param":
                raise CompileError(f"cell {cell.name!r}, equation {eq.target!r}: a matrix times a parameter "
                                   f"vector ({t.matrix} @ {t.vector}) is not supported; fold it into a bias")


def _aux_and_partials(plan):
    """Function applications inside pointwise expressions become named aux values."""
    cell = plan.cell
    k = 0
    for eq in cell.equations:
        if eq.is_linear:
            plan.order.append(eq.target)
            continue
        y = cell.unit(eq.target)
        parts = pointwise_partials(cell, eq.target)
        whole = eq.expr if _is_applied(eq.expr) else None
        if whole is not None and type(whole) is relu:  # H(a) = H(relu(a)) = H(y)
            parts = {u: d.replace(lambda e: isinstance(e, sp.Heaviside) and e.args[0] == whole.args[0],
                                  lambda e: sp.Heaviside(y, 0)) for u, d in parts.items()}
        parts = {u: _relu_steps(d) for u, d in parts.items()}
        expr = eq.expr
        subs = {}
        apps = sorted((a for a in eq.expr.atoms(sp.Function) if _is_applied(a) and a != whole),
                      key=sp.count_ops)
        for app in apps:
            name = f"_x{k}"
            k += 1
            sym = Vec(name, eq.size)
            body = app.xreplace(subs)
            subs[app] = sym
            plan.aux[name] = (body, eq.target)
            plan.n[name] = plan.n[eq.target]
            plan.order.append(name)
        plan.exprs[eq.target] = expr.xreplace(subs)
        plan.partials[eq.target] = {u: sp.factor_terms(d.xreplace(subs)) for u, d in parts.items()}
        plan.order.append(eq.target)
    for parts in plan.partials.values():
        for d in parts.values():
            plan.needed |= {s.name for s in d.free_symbols}
    for eq in cell.equations:
        if eq.is_linear:
            for t in cell.terms(eq.target):
                if t.matrix is not None and cell.role(t.vector) in ("previous", "state", "intermediate"):
                    plan.needed.add(t.vector)
    plan.needed = {n for n in plan.needed if plan.role(n) not in ("param", "input")}


def _is_applied(e):
    return isinstance(e, sp.Function) and type(e) in FUNCTIONS


def _relu_steps(d):
    """H(arg) inside a larger expression becomes H(relu(arg)), an aux value."""
    return d.replace(lambda e: isinstance(e, sp.Heaviside) and not isinstance(e.args[0], sp.Symbol),
                     lambda e: sp.Heaviside(relu(e.args[0]), 0))


def _layout(plan, consumers):
    cell = plan.cell
    lin = [eq for eq in cell.equations if eq.is_linear]
    early, late = [], []
    for eq in lin:
        roles = {cell.role(t.vector) for t in cell.terms(eq.target)}
        (late if roles & {"state", "intermediate"} else early).append(eq)

    def fname(eq):
        users = consumers.get(eq.target, [])
        if len(users) == 1 and eq.target not in plan.states:
            f = _activation(cell.equation(users[0]).expr)
            if f and users[0] not in plan.states and cell.equation(users[0]).expr.args[0].name == eq.target:
                return f
        return None

    def key(item):
        idx, eq = item
        roles = {cell.role(t.vector) for t in cell.terms(eq.target) if t.matrix is not None}
        cat = {(True, False): 0, (True, True): 1, (False, True): 2, (False, False): 3}[
            ("input" in roles, "previous" in roles)]
        f = fname(eq)
        return (cat, GROUP_ORDER.index(f) if f else len(GROUP_ORDER), idx)

    ordered = [eq for _, eq in sorted(enumerate(early), key=key)] + late
    lo = 0
    for eq in ordered:
        n = plan.n[eq.target]
        plan.slots[eq.target] = (lo, lo + n)
        lo += n
    plan.width = lo
    plan.late = [eq.target for eq in late]
    # early sources: inputs and previous states; late equations' inputs join the input GEMM
    for eq in ordered:
        s_lo, s_hi = plan.slots[eq.target]
        for t in cell.terms(eq.target):
            role = cell.role(t.vector)
            if t.matrix is None:
                if role == "param":
                    plan.biases.append((s_lo, s_hi, t.vector, t.coeff))
                continue
            if role == "input" or (role == "previous" and eq.target not in plan.late):
                lo_, hi_, blocks = plan.sources.get(t.vector, (s_lo, s_hi, []))
                blocks.append((s_lo, s_hi, t.matrix, t.coeff))
                plan.sources[t.vector] = (min(lo_, s_lo), max(hi_, s_hi), blocks)
    # activation groups (consecutive early slots with the same F)
    for eq in ordered:
        if eq.target in plan.late:
            continue
        f = fname(eq)
        if f is None:
            continue
        y = consumers[eq.target][0]
        lo_, hi_ = plan.slots[eq.target]
        if plan.groups and plan.groups[-1][0] == f and plan.groups[-1][2] == lo_:
            g = plan.groups[-1]
            plan.groups[-1] = (f, g[1], hi_, g[3] + [y])
        else:
            plan.groups.append((f, lo_, hi_, [y]))
        plan.storage[y] = ("slot", lo_, hi_)
    grouped = {y for g in plan.groups for y in g[3]}
    plan.pointwise = [n for n in plan.order if n not in plan.slots and n not in grouped]


def _storage(plan, consumers):
    cell = plan.cell
    for name in plan.slots:
        plan.storage.setdefault(name, ("slot",) + plan.slots[name])
    users_of = dict(consumers)
    for name, (body, owner) in plan.aux.items():
        users_of.setdefault(name, []).append(owner)
    for y in plan.pointwise:
        if y in plan.states:
            plan.storage[y] = ("state",)
            continue
        expr = plan.aux[y][0] if y in plan.aux else plan.exprs[y]
        reuse = None
        for s in sorted(expr.free_symbols, key=lambda s: s.name):
            loc = plan.storage.get(s.name)
            if (loc and loc[0] == "slot" and s.name not in plan.needed and s.name not in plan.states
                    and users_of.get(s.name, []) == [y] and plan.n[s.name] == plan.n[y]):
                reuse = loc
                break
        if reuse is not None:
            plan.storage[y] = reuse
        elif y in plan.needed:
            plan.storage[y] = ("tape",)
        else:
            plan.storage[y] = ("temp",)
    for s in plan.states:
        plan.storage[s] = ("state",)
        if s != cell.output and s not in plan.needed and prev_name(s) not in plan.needed:
            plan.rolling.add(s)


def prev_name(state: str) -> str:
    return state + PREV
