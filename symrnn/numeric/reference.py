"""A plain, readable reference evaluator of a description (the oracle for kernels).

It interprets the equations one by one, step by step: linear stages as
``Σ k v @ Pᵀ`` and pointwise stages through ``sympy.lambdify``.  It is slow on
purpose — no fusion, no tape — and serves as an independent check of the
generated kernels and of numeric theorem checks.

The same interpreter runs in high precision: given object arrays of
``mpmath.mpf`` numbers (see :func:`symrnn.prove.exact.mp_array`), linear
stages multiply exactly-converted coefficients and pointwise stages are
lambdified with mpmath, so a counterexample found in float64 is re-checked
at 60 digits by the very same reading of the description.
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
    """σ(a) without overflow and to a few ulps relative, for any finite a (the function table's NumPy face).

    Examples
    --------
    >>> float(stable_sigmoid(np.array(0.0))), float(stable_sigmoid(np.array(-800.0)))
    (0.5, 0.0)
    """
    from ..spec.symbols import FUNCTIONS, sigmoid

    return FUNCTIONS[sigmoid].numeric(a)


def _faces(face: str) -> dict:
    from ..spec.symbols import FUNCTIONS

    return {row.name: getattr(row, face) for row in FUNCTIONS.values()}


NUMPY_FUNCTIONS = {**_faces("numeric"), "Heaviside": lambda a, h0=0.0: np.heaviside(a, h0)}
"""Implementations handed to ``lambdify``: the function table's NumPy faces (and the Heaviside step)."""


def _mp_functions():
    import mpmath

    return {**_faces("precise"), "Heaviside": lambda a, h0=0: mpmath.mpf(1 if a > 0 else 0 if a < 0 else h0)}


@lru_cache(maxsize=1024)
def _lambdified(expr: sp.Expr, precise: bool = False):
    syms = sorted(expr.free_symbols, key=lambda s: s.name)
    if not precise:
        return [s.name for s in syms], sp.lambdify(syms, expr, modules=[NUMPY_FUNCTIONS, "numpy"])
    fn = sp.lambdify(syms, expr, modules=[_mp_functions(), "mpmath"])
    return [s.name for s in syms], (np.frompyfunc(fn, len(syms), 1) if syms else fn)


def evaluate_pointwise(expr: sp.Expr, values: Mapping[str, np.ndarray], like: np.ndarray):
    """Evaluate a per-unit expression on arrays (broadcasting constants to ``like``).

    Object arrays (of ``mpmath.mpf``) are evaluated with mpmath, unit by unit.
    """
    names, fn = _lambdified(expr, like.dtype == object)
    out = fn(*(values[n] for n in names))
    return np.broadcast_to(np.asarray(out, dtype=like.dtype), like.shape).copy()


def _coefficient(k, dtype):
    """A linear term's coefficient in the arithmetic of ``dtype`` (exact for object arrays)."""
    if dtype != object:
        return float(k)
    import mpmath

    k = sp.sympify(k)
    return mpmath.mpf(k.p) / k.q if k.is_Rational else mpmath.mpf(str(sp.N(k, mpmath.mp.dps + 10)))


def step(cell, params: Mapping[str, np.ndarray], inputs: Mapping[str, np.ndarray],
         prev: Mapping[str, np.ndarray], *, given: Mapping[str, sp.Expr] | None = None,
         operators=None) -> dict[str, np.ndarray]:
    """One step on a batch: every value the equations define, by name.

    ``inputs`` maps input names to (B, n) arrays, ``prev`` maps state names to
    their (B, n) values at t-1.  Sizes are read off the arrays.  ``given``
    fixes pointwise intermediates: ``{"z": 1}`` evaluates ``1`` (a per-unit
    expression over the cell's names) in place of the equation of ``z``,
    while every parameter stays in use.  ``operators`` (a
    :class:`~symrnn.graphs.operators.GraphOperators`) applies the graph
    operators of a graph layer; the rows of a vector are then the nodes or
    edges of its space.

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
    sizes = _known_sizes(cell, params, inputs, prev)
    rows = (lambda space: like.shape[0]) if operators is None else \
        (lambda space: operators.rows(space) if space is not None else like.shape[0])  # noqa: E731
    for eq in cell.equations:
        batch = rows(cell.space(eq.target))
        if eq.is_linear:
            acc = None
            for t in cell.terms(eq.target):
                v = values[t.vector]
                if t.operator is not None:
                    if operators is None:
                        raise InputError(f"{cell.name!r} applies the graph operator {t.operator}; pass operators=")
                    part = operators.apply(t.operator, v @ values[t.matrix].T if t.matrix else v)
                else:
                    part = v @ values[t.matrix].T if t.matrix else np.broadcast_to(v, (batch, v.shape[-1]))
                part = _coefficient(t.coeff, like.dtype) * part
                acc = part if acc is None else acc + part
            values[eq.target] = acc
        else:
            n = sp.sympify(sp.sympify(eq.size).xreplace(sizes))
            if not n.is_Integer:
                raise InputError(f"cannot infer the size {eq.size} of {eq.target!r} from the arrays given")
            expr = sp.sympify(given[eq.target]) if given and eq.target in given else eq.expr
            values[eq.target] = evaluate_pointwise(expr, values, np.empty((batch, int(n)), like.dtype))
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
    params, xs, initial = _check_run(cell, params, xs, initial)
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


def _check_run(cell, params, xs, initial):
    """The boundary of :func:`run`: names, (T, B, n) shapes, finite reals; sizes read off the arrays."""
    from ..errors import UnknownNameError, SpecError
    from ..spec.cell import Cell
    from .params import param_shapes, real_array, resolve_sizes

    if not isinstance(cell, Cell):
        raise SpecError(f"cell must be a symrnn Cell, got {type(cell).__name__}")
    if not isinstance(params, Mapping):
        raise InputError(f"params must be a dict of arrays, got {type(params).__name__} {params!r:.60}")
    if not isinstance(xs, Mapping):
        xs = {cell.inputs[0].name: xs}
    names = [d.name for d in cell.inputs]
    if sorted(map(str, xs)) != sorted(names):
        raise UnknownNameError(f"xs has keys {sorted(map(str, xs))}; {cell.name!r} has inputs {names}")
    xs = {k: real_array(v, f"xs[{k!r}]", None, _float_dtype(v)) for k, v in xs.items()}
    T_B = {v.shape[:2] for v in xs.values()}
    if any(v.ndim != 3 for v in xs.values()) or len(T_B) != 1 or min(next(iter(T_B))) < 1:
        raise InputError(f"xs must be (T, B, n) arrays with one T >= 1 and B >= 1, got shapes {[v.shape for v in xs.values()]}")
    missing = [p.name for p in cell.params if p.name not in params]
    if missing:
        raise InputError(f"params: missing {missing} of {cell.name!r}")
    params = {p.name: real_array(params[p.name], f"params[{p.name!r}]", None, _float_dtype(params[p.name])) for p in cell.params}
    sizes = {}
    for name, arr in list(params.items()) + [(k, v[0, 0]) for k, v in xs.items()]:
        decl = cell.declared[name][1]
        if len(decl.shape) != arr.ndim:
            raise InputError(f"{name!r} has shape {arr.shape}; {cell.name!r} declares {decl.shape}")
        for sym, n in zip(decl.shape, arr.shape):
            if sym.is_Symbol and sizes.setdefault(sym.name, n) != n:
                raise InputError(f"{name!r} has shape {arr.shape}, inconsistent with {sym} = {sizes[sym.name]}")
    if set(sizes) == {s.name for s in cell.sizes}:
        resolve_sizes(cell, sizes)
        for name, shape in param_shapes(cell, sizes).items():
            if params[name].shape != shape:
                raise InputError(f"params[{name!r}] has shape {params[name].shape}, expected {shape} (sizes {sizes})")
    initial = dict(initial or {}) if initial is None or isinstance(initial, Mapping) else None
    if initial is None:
        raise InputError("initial must be a dict state -> (B, n) array, or None")
    unknown = [k for k in initial if k not in cell.state_names]
    if unknown:
        raise UnknownNameError(f"initial has keys {unknown} that are not states of {cell.name!r} ({list(cell.state_names)})")
    B = next(iter(T_B))[1]
    initial = {k: real_array(v, f"initial[{k!r}]") for k, v in initial.items()}
    for k, v in initial.items():
        if v.ndim != 2 or v.shape[0] != B:
            raise InputError(f"initial[{k!r}] has shape {v.shape}, expected (B={B}, n)")
    return params, xs, initial


def _float_dtype(value):
    dt = getattr(value, "dtype", None)
    return dt if dt is not None and dt in (np.float32, np.float64) else np.float64


def _state_size(cell, name, params, xs):
    """A state's length from the parameters and inputs that fix its size symbol."""
    known = _known_sizes(cell, params, {k: v[0] for k, v in xs.items()}, {})
    value = sp.sympify(sp.sympify(cell.declared[name][1].size).xreplace(known))
    if not value.is_Integer:
        raise InputError(f"cannot infer the size of state {name!r}; pass it in `initial`")
    return int(value)
