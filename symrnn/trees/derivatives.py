"""Jacobians of a node's states with respect to one child's states, through the gathers.

By the chain rule over the description: for every gather that reads the
child, ∂(node state)/∂(gathered input) — :func:`symrnn.derive.jacobian` on
the node cell — times ∂(gathered input)/∂(child state): the identity for a
sum or a filled slot of a child state, and the edge cell's Jacobian
(:func:`symrnn.derive.jacobian`) for a per-child message.  The result is a
:class:`~symrnn.derive.StructuredMatrix` valid for every size.

References
----------
Tai, Socher & Manning (2015), ACL; Goller & Küchler (1996), backpropagation
through structure.
"""

from __future__ import annotations

from ..derive import StructuredMatrix, identity, jacobian, zero
from ..errors import SpecError, UnknownNameError
from .models import TreeModel

__all__ = ["child_jacobian"]


def child_jacobian(model: TreeModel, of: str, wrt: str, *, slot: int | None = None) -> StructuredMatrix:
    """∂(of at node j)/∂(wrt at child k), as a sum of products of Diag(·) and parameter matrices.

    Parameters
    ----------
    model : TreeModel
    of : str
        A vector of the node cell (``"h"``, ``"c"``, a gate).
    wrt : str
        A state of the child (``"h"`` or ``"c"``).
    slot : int, optional
        For N-ary models: the child's 0-based position (required).

    Examples
    --------
    >>> from symrnn.trees import child_sum_tree_lstm
    >>> m = child_sum_tree_lstm()
    >>> child_jacobian(m, "c", "c")
    Diag(f)
    >>> child_jacobian(m, "c", "c").is_diag_of(m.edge.unit("f"))
    True
    """
    if wrt not in model.states:
        raise UnknownNameError(f"child_jacobian: wrt={wrt!r} is not a state of {model.name!r}; states: {list(model.states)}")
    if model.arity is not None and (slot is None or not 0 <= slot < model.arity):
        raise SpecError(f"child_jacobian: {model.name!r} is {model.arity}-ary; pass slot=0..{model.arity - 1}")
    node, edge = model.node, model.edge
    size = node.declared[of][1].size if of in node.declared else None
    if size is None:
        raise UnknownNameError(f"child_jacobian: of={of!r} is not a vector of {node.name!r}")
    H = node.declared[wrt][1].size
    total = zero(size, H)
    for g in model.gathers:
        if g.op == "slot" and g.slot != slot:
            continue
        outer = jacobian(node, of, g.target)
        if g.edge:
            inner = jacobian(edge, g.source, f"{wrt}_k") if f"{wrt}_k" in edge.declared else zero(H, H)
        else:
            inner = identity(H) if g.source == wrt else zero(H, H)
        total = total + outer @ inner
    return total
