"""Weights from Keras 3 ``LSTM`` and ``GRU`` layers (or their weight lists).

Keras conventions (``keras.layers.LSTM`` / ``GRU``): ``kernel`` is (in, G·H)
— transposed relative to PyTorch — and ``recurrent_kernel`` (H, G·H), with
gate columns LSTM ``i, f, c, o`` and GRU ``z, r, h`` (z first).  LSTM has one
bias (4H,); GRU has (2, 3H) with ``reset_after=True`` (row 0 input bias, row 1
recurrent bias: cuDNN/PyTorch form, symrnn ``gru_reset_after``) and (3H,) with
``reset_after=False`` (symrnn ``gru_reset_before``).  The GRU update
h = z ⊙ h_prev + (1 − z) ⊙ h̃ is symrnn's.  Keras itself is imported lazily.
"""

from __future__ import annotations

import numpy as np

from ..errors import InputError

__all__ = ["params_from_keras", "from_keras"]

_ORDER = {"lstm": "ifgo", "gru": "zrn"}  # symrnn gate names in Keras column order


def params_from_keras(weights, kind: str, *, reset_after: bool = True, dtype=np.float64):
    """symrnn cell and parameters from a Keras weight list ``[kernel, recurrent_kernel(, bias)]``.

    Parameters
    ----------
    weights : list of arrays
        ``layer.get_weights()``; without a bias (``use_bias=False``) biases are zero.
    kind : {"lstm", "gru"}
    reset_after : bool
        Keras GRU's ``reset_after`` (ignored for LSTM).

    Returns
    -------
    cell : Cell
    params : dict

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> w = [rng.standard_normal((2, 9)), rng.standard_normal((3, 9)), rng.standard_normal((2, 9))]
    >>> cell, p = params_from_keras(w, "gru", reset_after=True)
    >>> cell.name, p["W_z"].shape, bool(np.all(p["W_z"] == w[0][:, :3].T))
    ('gru_reset_after', (3, 2), True)
    """
    from .. import cells

    if not isinstance(kind, str) or kind not in _ORDER:
        raise InputError(f"kind must be 'lstm' or 'gru', got {kind!r}")
    if not isinstance(weights, (list, tuple)) or len(weights) not in (2, 3):
        raise InputError(f"weights must be [kernel, recurrent_kernel] or [kernel, recurrent_kernel, bias], got {weights!r:.80}")
    kernel, recurrent = (np.asarray(w, dtype=dtype) for w in weights[:2])
    G = len(_ORDER[kind])
    if kernel.ndim != 2 or kernel.shape[1] % G:
        raise InputError(f"kernel has shape {kernel.shape}, expected (input_size, {G}*units)")
    H = kernel.shape[1] // G
    if recurrent.shape != (H, G * H):
        raise InputError(f"recurrent_kernel has shape {recurrent.shape}, expected ({H}, {G * H})")
    two = kind == "gru" and reset_after
    bias_shape = (2, G * H) if two else (G * H,)
    bias = np.asarray(weights[2], dtype=dtype) if len(weights) == 3 else np.zeros(bias_shape, dtype)
    if bias.shape != bias_shape:
        raise InputError(f"bias has shape {bias.shape}, expected {bias_shape} ({kind}, reset_after={reset_after})")
    b_in, b_rec = (bias[0], bias[1]) if two else (bias, np.zeros(G * H, dtype))
    params = {}
    for j, g in enumerate(_ORDER[kind]):
        cols = slice(j * H, (j + 1) * H)
        params[f"W_{g}"] = np.ascontiguousarray(kernel[:, cols].T)
        params[f"U_{g}"] = np.ascontiguousarray(recurrent[:, cols].T)
        if two and g == "n":
            params["b_in"], params["b_hn"] = b_in[cols].copy(), b_rec[cols].copy()
        else:
            params[f"b_{g}"] = b_in[cols] + b_rec[cols]
    if kind == "lstm":
        cell = cells.cell("lstm")
    else:
        cell = cells.cell("gru_reset_after" if reset_after else "gru_reset_before")
    return cell, params


def from_keras(layer, dtype=np.float64, *, backend="numpy"):
    """A symrnn kernel computing what a Keras ``LSTM`` or ``GRU`` layer computes (``backend`` as :func:`symrnn.compile`'s).

    Keras sequences are batch-first (B, T, D); the kernel takes (T, B, D).
    Only the default activations (tanh, and sigmoid for the gates) are accepted.
    A ``go_backwards=True`` layer reads its input from the last step to the
    first and returns its outputs in that order; its kernel is wrapped in a
    :class:`~symrnn.interop.layout.SequenceLayout` (``reverse=True``) that does
    the same, so outputs and final states equal the layer's.
    """
    from ..codegen import Kernel

    kind = type(layer).__name__.lower()
    if not isinstance(kind, str) or kind not in _ORDER:
        raise InputError(f"expected a Keras LSTM or GRU layer, got {type(layer).__name__}")
    act = getattr(layer.activation, "__name__", str(layer.activation))
    rec = getattr(layer.recurrent_activation, "__name__", str(layer.recurrent_activation))
    if act != "tanh" or rec != "sigmoid":
        raise InputError(f"Keras {type(layer).__name__} with activation={act!r}, recurrent_activation={rec!r} "
                         "is not supported; symrnn's cells use tanh and sigmoid")
    cell, params = params_from_keras(layer.get_weights(), kind, reset_after=getattr(layer, "reset_after", True),
                                     dtype=dtype)
    kernel = Kernel(cell, {"D": params["W_i" if kind == "lstm" else "W_z"].shape[1], "H": layer.units}, dtype, params, backend)
    if not getattr(layer, "go_backwards", False):
        return kernel
    from .layout import SequenceLayout

    return SequenceLayout(kernel, reverse=True)
