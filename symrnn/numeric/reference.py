"""A plain, readable reference evaluator of a description (the oracle for kernels).

It interprets the equations one by one, step by step: linear stages as
``Σ k v @ Pᵀ`` and pointwise stages through ``sympy.lambdify``.  It is slow on
purpose — no fusion, no tape — and serves as an independent check of the
generated kernels and of numeric theorem checks.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Mapping

import numpy as np
import sympy as sp

from ..errors import InputError
from ..spec.cell import PREV

__all__ = ["stable_sigmoid", "step", "run", "NUMPY_FUNCTIONS"]


def stable_sigmoid(a):
    """σ(a) without overflow for any finite a: 0.5 · (1 + tanh(a / 2))."""
    return 0.5 * (1.0 + np.tanh(0.5 * a))


NUMPY_FUNCTIONS = {"sigmoid": stable_sigmoid, "relu": lambda a: np.maximum(a, 0.0),
                   "Heaviside": lambda a, h0=0.0: np.heaviside(a, h0)}
"""Implementations handed to ``lambdify`` for the functions of the activation table."""


@lru_cache(maxsize=1024)
def _lambdified(expr: sp.Expr):
    syms = sorted(expr.free_symbols, key=lambda s: s.name)
    fn = sp.lambdify(syms, expr, modules=[NUMPY_FUNCTIONS, "numpy"])
    return [s.name for s in syms], fn


def evaluate_pointwise(expr: sp.Expr, values: Mapping[str, np.ndarray], like: np.ndarray):
    """Evaluate a per-unit expression on arrays (broadcasting constants to ``like``)."""
    names, fn = _lambdified(expr)
    out = fn(*(values[n] for n in names))
    return np.broadcast_to(np.asarray(out, dtype=like.dtype), like.shape).copy()


def step(cell, params: Mapping[str, np.ndarray], inputs: Mapping[str, np.ndarray],
         prev: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """One step on a batch: every value the equations define, by name.

    ``inputs`` maps input names to (B, n) arrays, ``prev`` maps state names to
    their (B, n) values at t-1.  Sizes are read off the arrays.

    Examples
    --------
    >>> import numpy as np, symrnn
    >>> from symrnn.numeric import init_params
    >>> lstm = symrnn.cell("lstm").substitute({"o": 0})   # h_t = 0: a constant equation
    >>> p = {k: v for k, v in init_params(lstm, {"D": 2, "H": 3}, rng=0).items()}
    >>> out = step(lstm, p, {"x": np.ones((4, 2))}, {"h": np.ones((4, 3)), "c": np.ones((4, 3))})
    >>> out["h"]
    array([[0., 0., 0.],
           [0., 0., 0.],
           [0., 0., 0.],
           [0., 0., 0.]])
    """
    values: dict[str, np.ndarray] = dict(params)
    values.update(inputs)
    values.update({s + PREV: v for s, v in prev.items()})
    like = next(iter(inputs.values())) if inputs else next(iter(prev.values()))
    batch = like.shape[0]
    sizes = _known_sizes(cell, params, inputs, prev)
    for eq in cell.equations:
        if eq.is_linear:
            acc = None
            for t in cell.terms(eq.target):
                v = values[t.vector]
                part = v @ values[t.matrix].T if t.matrix else np.broadcast_to(v, (batch, v.shape[-1]))
                part = float(t.coeff) * part
                acc = part if acc is None else acc + part
            values[eq.target] = acc
        else:
            n = sp.sympify(sp.sympify(eq.size).xreplace(sizes))
            if not n.is_Integer:
                raise InputError(f"cannot infer the size {eq.size} of {eq.target!r} from the arrays given")
            values[eq.target] = evaluate_pointwise(eq.expr, values, np.empty((batch, int(n)), like.dtype))
    return values


def _known_sizes(cell, params, inputs, prev) -> dict:
    """Size symbols read off the shapes of the arrays given."""
    known = {}
    for p in cell.params:
        if p.name in params:
            for sym, n in zip(p.shape, np.shape(params[p.name])):
                if isinstance(sym, sp.Symbol):
                    known[sym] = n
    for decls, arrays in ((cell.inputs, inputs), (cell.states, prev)):
        for d in decls:
            if d.name in arrays and isinstance(d.size, sp.Symbol):
                known[d.size] = np.shape(arrays[d.name])[-1]
    return known


def run(cell, params: Mapping[str, np.ndarray], xs: Mapping[str, np.ndarray] | np.ndarray,
        initial: Mapping[str, np.ndarray] | None = None):
    """Run over a sequence; returns (outputs (T, B, n), final states, per-step values).

    ``xs`` maps input names to (T, B, n) arrays (a bare array is the single
    input); missing initial states start at zero.
    """
    if not isinstance(xs, Mapping):
        xs = {cell.inputs[0].name: np.asarray(xs)}
    T, B = next(iter(xs.values())).shape[:2]
    dtype = next(iter(xs.values())).dtype
    state = {}
    for d in cell.states:
        if initial and d.name in initial:
            state[d.name] = np.asarray(initial[d.name], dtype=dtype)
        else:
            n = _state_size(cell, d.name, params, xs)
            state[d.name] = np.zeros((B, n), dtype=dtype)
    outputs, trace = [], []
    for t in range(T):
        vals = step(cell, params, {k: v[t] for k, v in xs.items()}, state)
        state = {d.name: vals[d.name] for d in cell.states}
        outputs.append(vals[cell.output])
        trace.append(vals)
    return np.stack(outputs), state, trace


def _state_size(cell, name, params, xs):
    """A state's length from the parameters and inputs that fix its size symbol."""
    known = _known_sizes(cell, params, {k: v[0] for k, v in xs.items()}, {})
    value = sp.sympify(sp.sympify(cell.declared[name][1].size).xreplace(known))
    if not value.is_Integer:
        raise InputError(f"cannot infer the size of state {name!r}; pass it in `initial`")
    return int(value)
