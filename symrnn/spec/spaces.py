"""Index spaces of a description's vectors, checked when it is built.

Every vector lives in one index space (:mod:`symrnn.spec.operators`): the
batch rows of an RNN cell (``None``), or the nodes or edges of a graph.  A
per-row map ``P @ v`` and a pointwise stage keep the space; a graph operator
maps its ``source`` space to its ``target``.  A stage that mixes spaces — a
per-node vector added to a per-edge one, an operator applied to a vector of
the wrong space — is refused, naming the stage.  Vector parameters have no
space: a bias or a per-unit weight is broadcast over the rows of any space.
"""

from __future__ import annotations

from ..errors import ShapeError, SpecError
from .cell import PREV
from .operators import ANY, SPACES, operator

__all__ = ["check_spaces"]


def _users_space(cell, name, spaces):
    """The space a constant stage's readers need: an operator's source space, or the space of the reading stage."""
    for eq in cell.equations:
        if name not in eq.dependencies():
            continue
        if eq.is_linear:
            for t in cell.terms(eq.target):
                if t.vector == name and t.operator is not None and operator(t.operator).source != ANY:
                    return operator(t.operator).source
        for d in eq.dependencies():
            if d != name and spaces.get(d) is not None:
                return spaces[d]
    return None


def _declared(cell) -> dict:
    out = {}
    for d in tuple(cell.inputs) + tuple(cell.states):
        if d.space is not None and d.space not in SPACES:
            raise SpecError(f"cell {cell.name!r}: {d.name!r} has space {d.space!r}; expected None or one of {SPACES}")
        out[d.name] = d.space
    for d in cell.states:
        out[d.name + PREV] = d.space
    for d in cell.params:
        if d.space is not None:
            raise SpecError(f"cell {cell.name!r}: parameter {d.name!r} cannot have an index space (it is shared by every row)")
    return out


def _agree(cell, target, found: dict):
    """The one space of ``found`` (name -> space) that is not None, or None; mixed spaces raise."""
    spaces = {s for s in found.values() if s is not None}
    if len(spaces) > 1:
        shown = ", ".join(f"{n} per {s}" for n, s in sorted(found.items()) if s is not None)
        raise ShapeError(f"cell {cell.name!r}: stage {target!r} mixes index spaces ({shown}); "
                         "move a vector between spaces with a graph operator (gather, scatter …)")
    return spaces.pop() if spaces else None


def check_spaces(cell) -> dict:
    """``name -> space`` for every vector of ``cell``; raises on a stage that mixes spaces.

    Examples
    --------
    >>> import symrnn
    >>> check_spaces(symrnn.cell("rnn"))["h"] is None
    True
    """
    spaces = _declared(cell)
    params = {p.name for p in cell.params}
    graph = any(v is not None for v in spaces.values())
    constant = set()  # stages that read no vector (a substitution made them constant): they take their users' space
    for eq in cell.equations:
        if graph and not eq.is_linear and not [s for s in eq.expr.free_symbols if s.name not in params]:
            constant.add(eq.target)
    for eq in cell.equations:
        found = {}
        if eq.target in constant:
            spaces[eq.target] = _users_space(cell, eq.target, spaces)
            continue
        if eq.is_linear:
            for t in cell.terms(eq.target):
                here = None if t.vector in params else spaces[t.vector]
                if t.operator is not None and operator(t.operator).source == ANY:
                    pass  # sum_units keeps the rows' space
                elif t.operator is not None:
                    op = operator(t.operator)
                    if here != op.source:
                        raise ShapeError(f"cell {cell.name!r}: stage {eq.target!r} applies {op.name} (per-{op.source} "
                                         f"vectors) to {t.vector!r}, which is per-{here or 'row of a batch'}")
                    here = op.target
                found[f"{t.operator}({t.vector})" if t.operator else t.vector] = here
        else:
            found = {s.name: spaces[s.name] for s in eq.expr.free_symbols if s.name not in params}
        spaces[eq.target] = _agree(cell, eq.target, found)
        declared = {d.name: d.space for d in cell.states}
        if eq.target in declared and spaces[eq.target] != declared[eq.target]:
            raise ShapeError(f"cell {cell.name!r}: state {eq.target!r} is declared per-{declared[eq.target]} but its "
                             f"update is per-{spaces[eq.target]}")
    return spaces
