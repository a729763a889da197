"""Backpropagation through time: the backward recursion and the total parameter gradients.

With ``δ_{s,t}`` the gradient of the loss with respect to state ``s_t`` through
the loss at t and the later steps (see :mod:`symrnn.derive.gradients`):

    δ_{s,t} = ∂ℓ_t/∂s_t + Σ_{s'} (∂s'_{t+1}/∂s_t)ᵀ δ_{s',t+1},    δ_{s,T+1} = 0,
    ∂L/∂s_0 = Σ_{s'} (∂s'_1/∂s_0)ᵀ δ_{s',1},
    ∂L/∂P   = Σ_t Σ_{uses} k ε_{a,t} v_tᵀ,   ∂L/∂x_t = Σ_s (∂s_t/∂x_t)ᵀ δ_{s,t}.

Every matrix is a local Jacobian from :func:`~symrnn.derive.jacobian.jacobian`,
so the recursion holds for every size and every cell, user-defined included.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import numpy as np

from ..spec.cell import PREV, Cell
from .gradients import Adjoint, ParameterGradient, adjoint, parameter_gradient
from .jacobian import as_cell, jacobian, local_partials
from .numeric import check_sequence, forward_values

__all__ = ["BPTT", "bptt", "backprop"]


@dataclass(frozen=True)
class BPTT:
    """The backward pass of a cell, symbolically.

    Attributes
    ----------
    cell : Cell
    recursion : dict
        state ``s`` -> ``((s', (∂s'_{t+1}/∂s_t)ᵀ), …)``, the non-zero terms of δ_{s,t}.
    adjoints : dict
        stage -> :class:`~symrnn.derive.gradients.Adjoint` for every stage a gradient reads.
    gradients : dict
        parameter -> :class:`~symrnn.derive.gradients.ParameterGradient` (one step; summed over t).
    inputs : dict
        input -> :class:`~symrnn.derive.gradients.Adjoint` (∂L/∂x_t).
    paths : dict
        state ``s`` -> its direct path ∂s_t/∂s_{t-1} through its own equation
        alone (for an LSTM's cell state: Diag(f_t); I without a forget gate,
        the constant error carousel), where the equation reads ``s_prev``.
    """

    cell: Cell
    recursion: dict
    adjoints: dict
    gradients: dict
    inputs: dict
    paths: dict


def bptt(desc) -> BPTT:
    """Derive the BPTT recursion and the gradient sums of a cell.

    Examples
    --------
    >>> import symrnn
    >>> b = bptt(symrnn.cell("lstm"))
    >>> b.paths["c"]
    Diag(f)
    >>> [s for s, _ in b.recursion["c"]]
    ['h', 'c']
    >>> bptt(symrnn.cell("lstm_no_forget")).paths["c"].is_identity()
    True
    """
    cell = as_cell(desc)
    states = cell.state_names
    recursion = {}
    for s in states:
        terms = []
        for s2 in states:
            J = jacobian(cell, s2, s + PREV)
            if not J.is_zero():
                terms.append((s2, J.T()))
        recursion[s] = tuple(terms)
    gradients = {p.name: parameter_gradient(cell, p.name) for p in cell.params}
    stages = dict.fromkeys(st for g in gradients.values() for st in g.stages())
    adjoints = {st: adjoint(cell, st) for st in stages}
    inputs = {d.name: adjoint(cell, d.name) for d in cell.inputs}
    paths = {}
    for s in states:
        direct = local_partials(cell, s).get(s + PREV)
        if direct is not None:
            paths[s] = direct
    return BPTT(cell, recursion, adjoints, gradients, inputs, paths)


def backprop(desc, params: Mapping, xs: Mapping, loss_grads: Mapping, initial: Mapping | None = None) -> dict:
    """Evaluate the derived BPTT formulas on one sequence (a single sample).

    Parameters
    ----------
    params : dict
        Parameter arrays.
    xs : dict
        input name -> (T, n) array.
    loss_grads : dict
        state name -> (T, n) array of ∂ℓ_t/∂s_t (missing states: zero).
    initial : dict, optional
        state name -> (n,) initial value (default zero).

    Returns
    -------
    dict
        ``{"params": {name: grad}, "inputs": {name: (T, n)}, "initial": {state: (n,)}}``.

    Examples
    --------
    >>> import symrnn, numpy as np
    >>> rnn = symrnn.cell("rnn")
    >>> p = symrnn.numeric.init_params(rnn, {"D": 2, "H": 3}, rng=0)
    >>> g = backprop(rnn, p, {"x": np.ones((4, 2))}, {"h": np.ones((4, 3))})
    >>> g["params"]["U"].shape
    (3, 3)
    """
    cell, params, xs, initial, loss_grads, sizes, T = check_sequence(desc, params, xs, initial, loss_grads)
    b = bptt(cell)
    n = {s: int(cell.declared[s][1].size.xreplace(sizes)) for s in cell.state_names}
    state = {s: np.asarray(initial[s], float) if initial and s in initial else np.zeros(n[s]) for s in cell.state_names}
    steps = []
    for t in range(T):
        v = forward_values(cell, params, {k: x[t] for k, x in xs.items()}, state)
        steps.append(v)
        state = {s: v[s] for s in cell.state_names}
    grads = {p: np.zeros_like(np.asarray(a, float)) for p, a in params.items()}
    dx = {k: np.zeros_like(np.asarray(x, float)) for k, x in xs.items()}
    carry = {s: np.zeros(n[s]) for s in cell.state_names}
    for t in reversed(range(T)):
        v = steps[t]
        delta = {s: carry[s] + (np.asarray(loss_grads[s][t], float) if s in loss_grads else 0.0) for s in carry}
        eps = {st: adj.evaluate(v, delta, sizes) for st, adj in b.adjoints.items()}
        for p, g in b.gradients.items():
            if g.terms:
                grads[p] += g.evaluate(v, eps)
        for k, adj in b.inputs.items():
            dx[k][t] = adj.evaluate(v, delta, sizes)
        carry = {s: sum((JT.evaluate(v, sizes) @ delta[s2] for s2, JT in b.recursion[s]), np.zeros(n[s]))
                 for s in cell.state_names}
    return {"params": grads, "inputs": dx, "initial": carry}
