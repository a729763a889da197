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
