"""Numbers for derived formulas: one step's values, the size map, evaluated Jacobians.

These evaluate the *derived* closed forms on concrete arrays, so tests can set
them against independent oracles (finite differences, PyTorch autograd).
The forward values come from the plain reference evaluator
:func:`symrnn.numeric.step`.
"""

from __future__ import annotations

from typing import Mapping

import numpy as np

from ..errors import InputError
from ..numeric import step
from ..spec.cell import PREV
from .jacobian import as_cell, jacobian

__all__ = ["forward_values", "size_map", "evaluate_jacobian"]


def size_map(desc, values: Mapping[str, np.ndarray]) -> dict:
    """Size symbol -> int, read off the arrays' shapes (declared shapes that are a bare size symbol).

    Examples
    --------
    >>> import symrnn, numpy as np
    >>> size_map(symrnn.cell("rnn"), {"W": np.zeros((4, 3))})
    {H: 4, D: 3}
    """
    cell = as_cell(desc)
    out = {}
    for name, arr in values.items():
        if name not in cell.declared:
            continue
        shape = cell.declared[name][1].shape
        for sym, n in zip(shape, np.shape(arr)):
            if sym.is_Symbol:
                if sym in out and out[sym] != n:
                    raise InputError(f"{name!r} has shape {np.shape(arr)}, inconsistent with {sym} = {out[sym]}")
                out[sym] = int(n)
    missing = [s for s in cell.sizes if s not in out]
    if missing:
        raise InputError(f"cannot infer sizes {missing} of {cell.name!r} from the given arrays")
    return out


def forward_values(desc, params: Mapping, inputs: Mapping, prev: Mapping) -> dict[str, np.ndarray]:
    """Every value of one step for a single sample, as 1-D arrays (plus the parameters).

    Parameters
    ----------
    params : dict
        Parameter arrays (:func:`symrnn.numeric.init_params`).
    inputs, prev : dict
        Input name -> (n,) array; state name -> (n,) value at t-1.

    Examples
    --------
    >>> import symrnn, numpy as np
    >>> rnn = symrnn.cell("rnn")
    >>> p = symrnn.numeric.init_params(rnn, {"D": 2, "H": 3}, rng=0)
    >>> v = forward_values(rnn, p, {"x": np.ones(2)}, {"h": np.zeros(3)})
    >>> bool(np.allclose(v["h"], np.tanh(p["W"] @ np.ones(2) + p["b"])))
    True
    """
    cell = as_cell(desc)
    vals = step(cell, params, {k: np.asarray(v, float)[None, :] for k, v in inputs.items()},
                {k: np.asarray(v, float)[None, :] for k, v in prev.items()})
    out = {k: (v[0] if k not in params else v) for k, v in vals.items()}
    out.update({s + PREV: np.asarray(prev[s], float) for s in cell.state_names})
    return out


def evaluate_jacobian(desc, of: str, wrt: str, values: Mapping[str, np.ndarray]) -> np.ndarray:
    """The derived ∂of/∂wrt evaluated at one step's values (from :func:`forward_values`).

    Examples
    --------
    >>> import symrnn, numpy as np
    >>> rnn = symrnn.cell("rnn")
    >>> p = symrnn.numeric.init_params(rnn, {"D": 2, "H": 3}, rng=0)
    >>> v = forward_values(rnn, p, {"x": np.ones(2)}, {"h": np.zeros(3)})
    >>> J = evaluate_jacobian(rnn, "h", "h_prev", v)
    >>> bool(np.allclose(J, np.diag(1 - v["h"] ** 2) @ p["U"]))
    True
    """
    return jacobian(desc, of, wrt).evaluate(values, size_map(desc, values))


def check_sequence(desc, params, xs, initial=None, loss_grads=None):
    """Validate the arguments of the numeric BPTT evaluators (one sequence, no batch).

    ``params``: every parameter, shapes consistent; ``xs``: every input as a
    (T, n) array with one T ≥ 1; ``initial``: state -> (n,); ``loss_grads``:
    state -> (T, n).  Returns ``(cell, params, xs, initial, loss_grads, sizes, T)``
    as float64 arrays, or raises :class:`InputError` / :class:`UnknownNameError`
    naming the argument, the value and what was expected.

    Examples
    --------
    >>> import symrnn, numpy as np
    >>> rnn = symrnn.cell("rnn")
    >>> p = symrnn.numeric.init_params(rnn, {"D": 2, "H": 3}, rng=0)
    >>> check_sequence(rnn, p, {"x": np.ones((4, 3))})
    Traceback (most recent call last):
    ...
    symrnn.errors.InputError: xs['x'] has shape (4, 3), expected (4, 2)
    """
    from ..errors import UnknownNameError
    from ..numeric.params import param_shapes, real_array

    cell = as_cell(desc)
    for arg, value, optional in (("params", params, False), ("xs", xs, False), ("initial", initial, True),
                                 ("loss_grads", loss_grads, True)):
        if not (value is None and optional) and not isinstance(value, Mapping):
            raise InputError(f"{arg} must be a dict of arrays, got {type(value).__name__} {value!r:.60}")
    missing = [p.name for p in cell.params if p.name not in params]
    if missing:
        raise InputError(f"params: missing {missing} of {cell.name!r}")
    for k, v in params.items():
        try:
            np.shape(v)
        except ValueError:
            raise InputError(f"params[{k!r}] is a ragged sequence, not an array") from None
    sizes = size_map(cell, params)
    shapes = param_shapes(cell, {s.name: n for s, n in sizes.items()})
    params = {k: real_array(params[k], f"params[{k!r}]", shapes[k]) for k in shapes}
    names = [d.name for d in cell.inputs]
    if sorted(xs) != sorted(names):
        raise UnknownNameError(f"xs has keys {sorted(map(str, xs))}; {cell.name!r} has inputs {names}")
    n = {name: int(cell.declared[name][1].size.xreplace(sizes)) for name in names + list(cell.state_names)}
    try:
        T = np.shape(xs[names[0]])[0] if np.ndim(xs[names[0]]) else 0
    except ValueError:
        raise InputError(f"xs[{names[0]!r}] is a ragged sequence, not a (T, {n[names[0]]}) array") from None
    if T < 1:
        raise InputError(f"xs[{names[0]!r}] must be a (T, {n[names[0]]}) array with T >= 1, got shape {np.shape(xs[names[0]])}")
    xs = {k: real_array(xs[k], f"xs[{k!r}]", (T, n[k])) for k in names}
    out = []
    for arg, value, shape in (("initial", initial, lambda s: (n[s],)), ("loss_grads", loss_grads, lambda s: (T, n[s]))):
        value = dict(value or {})
        unknown = [k for k in value if k not in cell.state_names]
        if unknown:
            raise UnknownNameError(f"{arg} has keys {unknown} that are not states of {cell.name!r} ({list(cell.state_names)})")
        out.append({k: real_array(v, f"{arg}[{k!r}]", shape(k)) for k, v in value.items()})
    return cell, params, xs, out[0], out[1], sizes, T
