"""Custom cells as a user writes them in an autograd framework: the step's maths in a few lines.

This is the peer for a cell that has no ``torch.nn`` twin (MGU, the peephole
LSTM) and, for comparison, for the catalogue cells that have one.  Each cell is
written once over an ``ops`` namespace (``ops.sigmoid``, ``ops.tanh``) and
plain array syntax (``@``, slicing, ``*``), so the same lines run on torch
tensors (a Python loop over t, autograd) and on JAX arrays (``lax.scan``).
They are written as a careful user writes them: parameters stacked so that
the input projection of all T steps is one product (``x @ W.T + b``) and each
step has one recurrent product per matrix that reads the state.

Nothing here imports a framework; :mod:`.torch_side` and :mod:`.jax_side` do.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

__all__ = ["CustomCell", "CUSTOM", "stack", "unstack"]


@dataclass(frozen=True)
class CustomCell:
    """A user's cell: how its parameters are stacked, and one step.

    ``stacks`` maps a stacked parameter to the symrnn parameters whose rows it
    concatenates (``W`` and ``b`` feed the input projection ``x @ W.T + b``);
    ``step(ops, p, xw_t, state) -> state`` with ``xw_t`` (B, rows of W) and
    ``state`` a tuple in the description's state order, the output first.
    """

    stacks: dict
    step: Callable


def _lstm(ops, p, xw, state):
    h, c = state
    H = h.shape[1]
    a = xw + h @ p["U"].T
    i, f, o = ops.sigmoid(a[:, :H]), ops.sigmoid(a[:, H:2 * H]), ops.sigmoid(a[:, 3 * H:])
    c = f * c + i * ops.tanh(a[:, 2 * H:3 * H])
    return o * ops.tanh(c), c


def _lstm_peephole(ops, p, xw, state):
    h, c = state
    H = h.shape[1]
    a = xw + h @ p["U"].T
    i = ops.sigmoid(a[:, :H] + p["p_i"] * c)
    f = ops.sigmoid(a[:, H:2 * H] + p["p_f"] * c)
    c = f * c + i * ops.tanh(a[:, 2 * H:3 * H])
    o = ops.sigmoid(a[:, 3 * H:] + p["p_o"] * c)
    return o * ops.tanh(c), c


def _gru(ops, p, xw, state):
    (h,) = state
    H = h.shape[1]
    hu = h @ p["U"].T
    r = ops.sigmoid(xw[:, :H] + hu[:, :H])
    z = ops.sigmoid(xw[:, H:2 * H] + hu[:, H:2 * H])
    n = ops.tanh(xw[:, 2 * H:] + r * (hu[:, 2 * H:] + p["b_hn"]))
    return ((1 - z) * n + z * h,)


def _rnn(ops, p, xw, state):
    (h,) = state
    return (ops.tanh(xw + h @ p["U"].T),)


def _mgu(ops, p, xw, state):
    (h,) = state
    H = h.shape[1]
    f = ops.sigmoid(xw[:, :H] + h @ p["U_f"].T)
    hc = ops.tanh(xw[:, H:] + (f * h) @ p["U_h"].T)
    return ((1 - f) * h + f * hc,)


_IFGO = "ifgo"
CUSTOM = {
    "lstm": CustomCell({"W": [f"W_{g}" for g in _IFGO], "U": [f"U_{g}" for g in _IFGO],
                        "b": [f"b_{g}" for g in _IFGO]}, _lstm),
    "lstm_peephole": CustomCell({"W": [f"W_{g}" for g in _IFGO], "U": [f"U_{g}" for g in _IFGO],
                                 "b": [f"b_{g}" for g in _IFGO], "p_i": ["p_i"], "p_f": ["p_f"], "p_o": ["p_o"]},
                                _lstm_peephole),
    "gru": CustomCell({"W": ["W_r", "W_z", "W_n"], "U": ["U_r", "U_z", "U_n"], "b": ["b_r", "b_z", "b_in"],
                       "b_hn": ["b_hn"]}, _gru),
    "rnn": CustomCell({"W": ["W"], "U": ["U"], "b": ["b"]}, _rnn),
    "mgu": CustomCell({"W": ["W_f", "W_h"], "b": ["b_f", "b_h"], "U_f": ["U_f"], "U_h": ["U_h"]}, _mgu),
}
"""Benchmark cell name -> its custom cell (every cell of :data:`.configs.CELLS`)."""


def stack(cell: CustomCell, params: dict) -> dict:
    """Stacked NumPy parameters from symrnn-named ones.

    Examples
    --------
    >>> import numpy as np
    >>> p = {"W": np.ones((3, 2)), "U": np.eye(3), "b": np.zeros(3)}
    >>> {k: v.shape for k, v in stack(CUSTOM["rnn"], p).items()}
    {'W': (3, 2), 'U': (3, 3), 'b': (3,)}
    """
    return {k: np.concatenate([params[n] for n in names]) for k, names in cell.stacks.items()}


def unstack(cell: CustomCell, stacked: dict, shapes: dict) -> dict:
    """symrnn-named arrays (e.g. gradients) from stacked ones; ``shapes`` gives each symrnn parameter's shape.

    Examples
    --------
    >>> import numpy as np
    >>> shapes = {"W_f": (2, 3), "W_h": (2, 3), "b_f": (2,), "b_h": (2,), "U_f": (2, 2), "U_h": (2, 2)}
    >>> p = {n: np.full(s, float(i)) for i, (n, s) in enumerate(shapes.items())}
    >>> back = unstack(CUSTOM["mgu"], stack(CUSTOM["mgu"], p), shapes)
    >>> all(np.array_equal(back[n], p[n]) for n in shapes)
    True
    """
    out = {}
    for k, names in cell.stacks.items():
        lo = 0
        for n in names:
            rows = shapes[n][0]
            out[n] = np.asarray(stacked[k])[lo:lo + rows]
            lo += rows
    return out
