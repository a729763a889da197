"""What the compiled kernels fuse, and where each value and adjoint lives: read from a :class:`Plan`.

A step of a cell is a sequence of **items**: fused **runs** of pointwise stages
(consecutive stages over vectors of one length: one loop over (b, j) whose body
computes every stage of the run for unit (b, j) in scalar locals) and **late**
linear stages (a GEMM reading a value of the same step), in the plan's order.
Activation groups are stages too (``y = F(a)`` on the slot of ``a``).

A value is *written to memory* (its plan storage: a slot of ``P``, a tape
array, a temporary, a state row) only when something outside its run reads it:
the backward pass (``plan.needed``), a late GEMM, a later run, or the next step
(states).  In the backward pass an adjoint lives in a scalar local when every
consumer of its value is in the value's run, else in memory: ``dA`` for slots
(read after the loop by the weight GEMMs), a (B, n) buffer otherwise.

Sizes never enter the generated source: every length and slot offset is a
name (``_n_h``, ``_lo_a_i``) unpacked from an int64 array ``_z`` at run time
(:class:`Sizes`), so one compiled kernel serves a cell at every size.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..plan import Plan
from .scalar import span_function

__all__ = ["Stage", "Layout", "Sizes", "layout"]


@dataclass
class Stage:
    """One pointwise value of a step: ``kind`` is "expr" (its SymPy expression), "group" or "copy" (a linear state)."""

    name: str
    kind: str
    expr: object = None
    reads: tuple = ()


@dataclass
class Layout:
    plan: Plan
    items: list = field(default_factory=list)      # list[Stage] (a run) or str (a late linear target)
    run_of: dict = field(default_factory=dict)     # value -> index of its run in items
    consumers: dict = field(default_factory=dict)  # value -> items (run index or late name) reading it
    stored: set = field(default_factory=set)       # values the forward writes to memory
    adjoint_in_memory: set = field(default_factory=set)
    split: bool = False                             # runs end after a block-function stage (the forward pass)

    @property
    def runs(self):
        return [i for i, it in enumerate(self.items) if isinstance(it, list)]


class Sizes:
    """Names of the lengths and offsets a generated source reads, with their values (packed into ``_z``).

    Examples
    --------
    >>> s = Sizes()
    >>> s.name("n", "h", 4), s.name("lo", "a_i", 0), s.name("n", "h", 4)
    ('_n_h', '_lo_a_i', '_n_h')
    >>> s.unpack()
    ['_n_h = max(_z[0], 0)', '_lo_a_i = max(_z[1], 0)']
    """

    def __init__(self):
        self.names: dict[str, int] = {}

    def name(self, kind: str, what: str, value: int) -> str:
        key = f"_{kind}_{what}"
        if self.names.setdefault(key, int(value)) != int(value):
            raise AssertionError(f"size {key} given two values")
        return key

    def unpack(self) -> list[str]:
        """``_n_h = max(_z[0], 0)`` …: the max tells LLVM that an index ``lo + j`` is not negative, so it
        drops numba's negative-index wraparound and vectorises the loop (11 ns → 1 ns a unit for tanh)."""
        return [f"{k} = max(_z[{i}], 0)" for i, k in enumerate(self.names)]

    def values(self) -> list[int]:
        return list(self.names.values())


def _stages(plan: Plan) -> list:
    cell = plan.cell
    grouped = {y: f for f, lo, hi, ys in plan.groups for y in ys}
    items = []
    for name in plan.order:
        if name in plan.late:
            items.append(name)
        if name in plan.slots:
            if name in plan.states:  # a state updated by a linear equation: copied from its slot
                items.append(Stage(name, "copy"))
            continue
        if name in grouped:
            a = cell.equation(name).expr.args[0].name
            items.append(Stage(name, "group", grouped[name], (a,)))
        else:
            expr = plan.aux[name][0] if name in plan.aux else plan.exprs[name]
            items.append(Stage(name, "expr", expr, tuple(sorted(s.name for s in expr.free_symbols))))
    return items


def _late_reads(plan: Plan, name: str) -> tuple:
    cell = plan.cell
    return tuple(t.vector for t in cell.terms(name) if cell.role(t.vector) not in ("param", "input"))


def layout(plan: Plan, *, inference: bool = False, split: bool = False) -> Layout:
    """Fuse the plan's pointwise stages into runs and decide what lives in memory (see the module docstring).

    ``split=True`` (the forward pass) ends a run after each stage ``y = F(a)`` with F one of the block
    functions of :data:`~.scalar.SPAN`: the run writes ``a`` into ``y``'s memory, one call applies F there.

    Examples
    --------
    >>> import symrnn
    >>> from symrnn.codegen.plan import make_plan
    >>> lay = layout(make_plan(symrnn.cell("gru_reset_before"), {"D": 2, "H": 3}))
    >>> [[s.name for s in it] if isinstance(it, list) else it for it in lay.items]
    [['r', 'z', 'hr'], 'a_n', ['n', 'h']]
    >>> sorted(lay.adjoint_in_memory)
    ['hr', 'z']
    """
    lay = Layout(plan, split=split)
    for item in _stages(plan):
        if isinstance(item, str):
            lay.items.append(item)
            continue
        last = lay.items[-1] if lay.items else None
        closed = split and isinstance(last, list) and last[-1].kind == "expr" and span_function(last[-1].expr)
        if isinstance(last, list) and plan.n[last[0].name] == plan.n[item.name] and not closed:
            last.append(item)
        else:
            lay.items.append([item])
        lay.run_of[item.name] = len(lay.items) - 1
    for i, item in enumerate(lay.items):
        reads = _late_reads(plan, item) if isinstance(item, str) else [u for s in item for u in s.reads]
        for u in reads:
            lay.consumers.setdefault(u, set()).add(i)
    for name, i in lay.run_of.items():
        outside = lay.consumers.get(name, set()) - {i}
        if name in plan.states or outside or (not inference and name in plan.needed):
            lay.stored.add(name)
        if outside and name not in plan.slots:
            lay.adjoint_in_memory.add(name)
    return lay

