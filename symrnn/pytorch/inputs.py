"""The boundary of a torch module: sequences, states and lengths checked before any computation.

Each check raises :class:`~symrnn.errors.InputError` naming the argument, the
value and what was expected.  Nothing is converted silently: a float64 input to a
float32 module, or a CPU tensor to a CUDA module, is refused with the fix
(``nn.LSTM`` refuses them too).  Values are not scanned for NaN (that would
synchronise a GPU on every call; NaN propagates, as in ``torch.nn``).
"""

from __future__ import annotations

from typing import Mapping

import numpy as np
import torch

from ..errors import InputError

__all__ = ["check_tensor", "check_sequences", "check_states", "check_lengths", "length_mask", "reverse_index"]


def check_tensor(value, what: str, shape: tuple, dtype, device) -> torch.Tensor:
    """``value`` as a contiguous tensor of ``shape`` (None = any size), ``dtype`` and ``device``.

    Examples
    --------
    >>> x = check_tensor(torch.zeros(2, 3, dtype=torch.float32), "x", (None, 3), torch.float32, torch.device("cpu"))
    >>> x.tolist()
    [[0.0, 0.0, 0.0], [0.0, 0.0, 0.0]]
    >>> check_tensor(torch.zeros(2, 4, dtype=torch.float32), "x", (None, 3), torch.float32, torch.device("cpu"))
    Traceback (most recent call last):
    ...
    symrnn.errors.InputError: x has shape (2, 4), expected (?, 3)
    """
    if not isinstance(value, torch.Tensor):
        raise InputError(f"{what} must be a torch.Tensor, got {type(value).__name__}")
    if value.ndim != len(shape) or any(w is not None and s != w for s, w in zip(value.shape, shape)):
        want = "(" + ", ".join("?" if w is None else str(w) for w in shape) + ("," if len(shape) == 1 else "") + ")"
        raise InputError(f"{what} has shape {tuple(value.shape)}, expected {want}")
    if value.dtype != dtype:
        raise InputError(f"{what} has dtype {value.dtype}, expected {dtype} (the module's parameters'); "
                         f"convert it (.to({dtype})) or the module (module.to({value.dtype}))")
    if value.device != device:
        raise InputError(f"{what} is on device {value.device}, the module's parameters on {device}; "
                         f"move one of them (.to({str(device)!r}) or module.to({str(value.device)!r}))")
    return value.contiguous()


def check_sequences(x, names: tuple, sizes: dict, dtype, device) -> dict:
    """The input sequences by name, each (T, B, n) with one T >= 1 and one B >= 1.

    ``x`` is a tensor (a cell with one input) or a dict input name -> tensor.
    """
    if isinstance(x, Mapping):
        extra, missing = sorted(set(x) - set(names)), [n for n in names if n not in x]
        if extra or missing:
            raise InputError(f"x: missing inputs {missing}, unexpected {extra}; expected {list(names)}")
    elif len(names) != 1:
        raise InputError(f"x must be a dict with the inputs {list(names)} (the cell has {len(names)} inputs)")
    else:
        x = {names[0]: x}
    out, T, B = {}, None, None
    for name in names:
        what = "x" if len(names) == 1 else f"x[{name!r}]"
        v = check_tensor(x[name], what, (T, B, sizes[name]), dtype, device)
        if v.shape[0] == 0 or v.shape[1] == 0:
            raise InputError(f"{what} has shape {tuple(v.shape)}: T and B must be at least 1")
        T, B = v.shape[:2]
        out[name] = v
    return out


def check_states(values, names: tuple, sizes: dict, B: int, dtype, device, what: str = "initial") -> dict:
    """Initial states by name, each (B, n); a missing state starts at zero.

    ``values`` is None, a dict state name -> tensor, or one tensor when there is one state.
    """
    if values is None:
        values = {}
    elif isinstance(values, torch.Tensor):
        if len(names) != 1:
            raise InputError(f"{what} must be a dict state name -> (B, n) tensor; the states are {list(names)}")
        values = {names[0]: values}
    if not isinstance(values, Mapping):
        raise InputError(f"{what} must be a dict state name -> (B, n) tensor, got {type(values).__name__}")
    extra = sorted(set(values) - set(names))
    if extra:
        raise InputError(f"{what}: unexpected states {extra}; the states are {list(names)}")
    return {s: check_tensor(values[s], f"{what}[{s!r}]", (B, sizes[s]), dtype, device) if s in values
            else torch.zeros((B, sizes[s]), dtype=dtype, device=device) for s in names}


def check_lengths(lengths, T: int, B: int):
    """Per-sequence lengths as a CPU int64 tensor (B,) with 1 <= length <= T, or None.

    Accepts what ``pack_padded_sequence`` accepts: a 1-D integer tensor (any device) or a list of ints.

    Examples
    --------
    >>> check_lengths([3, 1], 3, 2).tolist()
    [3, 1]
    >>> check_lengths([4, 1], 3, 2)
    Traceback (most recent call last):
    ...
    symrnn.errors.InputError: lengths must lie in 1..3 (T, the length of x), got min 1 max 4
    """
    if lengths is None:
        return None
    if isinstance(lengths, torch.Tensor):
        if lengths.dtype.is_floating_point or lengths.dtype.is_complex or lengths.dtype == torch.bool:
            raise InputError(f"lengths must hold integers, got a tensor of dtype {lengths.dtype}")
        values = lengths.detach().to("cpu", torch.int64)
    else:
        arr = np.asarray(lengths)
        if arr.dtype.kind not in "iu":
            raise InputError(f"lengths must be integers (a list or a 1-D integer tensor), got {arr.dtype} {lengths!r:.60}")
        values = torch.from_numpy(arr.astype(np.int64))
    if tuple(values.shape) != (B,):
        raise InputError(f"lengths must have shape ({B},) (B, the batch of x), got {tuple(values.shape)}")
    lo, hi = int(values.min()), int(values.max())
    if lo < 1 or hi > T:
        raise InputError(f"lengths must lie in 1..{T} (T, the length of x), got min {lo} max {hi}")
    return values


def length_mask(lengths, T: int, device):
    """(T, B, 1) bool tensor on ``device``, True where step t of sequence b is valid (None: every step)."""
    if lengths is None:
        return None
    return (torch.arange(T)[:, None] < lengths[None, :])[:, :, None].to(device)


def reverse_index(lengths, T: int, B: int, device):
    """(T, B, 1) int64 index reversing each sequence within its length (an involution), on ``device``.

    Examples
    --------
    >>> reverse_index(torch.tensor([3, 2]), 3, 2, "cpu")[:, :, 0].tolist()
    [[2, 1], [1, 0], [0, 2]]
    """
    t = torch.arange(T)[:, None]
    L = torch.full((1, B), T, dtype=torch.int64) if lengths is None else lengths[None, :]
    return torch.where(t < L, L - 1 - t, t)[:, :, None].to(device)
