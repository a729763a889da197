"""From a description (or a ``torch.nn`` recurrent module) to a :class:`~symrnn.pytorch.module.TorchModule`.

Sizes are read exactly as :func:`symrnn.compile` reads them (the same helpers):
``input_size`` / ``hidden_size`` alias the input's and the output state's size,
a stacked network takes ``D``, ``H1``, ``H2`` … or ``hidden_size`` (an int or one
per layer), and a size named like a keyword of :func:`symrnn.torch_module` is
given in ``sizes=``.
"""

from __future__ import annotations

from typing import Mapping

import torch

from ..codegen import _alias_sizes, _given_sizes, _only, _stacked_sizes
from ..errors import CompileError, InputError
from ..spec.cell import Cell
from ..spec.compose import Bidirectional, Stacked
from .function import TorchCell
from .module import DTYPES, TorchModule

__all__ = ["build", "KEYWORDS"]

KEYWORDS = ("dtype", "device", "input_size", "hidden_size", "sizes")
"""Keywords of :func:`symrnn.torch_module`; a size with one of these names is given in ``sizes=``."""


def _is_torch_rnn(obj) -> bool:
    return isinstance(obj, (torch.nn.RNN, torch.nn.LSTM, torch.nn.GRU))


def _device(device):
    if device is None:
        return None
    try:
        return torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise InputError(f"device must be a torch.device or a name such as 'cpu' or 'cuda:0', got {device!r}") from exc


def _dtype(dtype, default=None):
    """``dtype``, else ``default``, else torch's default dtype (``torch.set_default_dtype``), as ``torch.nn`` layers do."""
    dtype = (default or torch.get_default_dtype()) if dtype is None else dtype
    if dtype not in DTYPES:
        raise InputError(f"dtype must be one of {[str(d) for d in DTYPES]}, got {dtype!r}")
    return dtype


def _layers(description, sizes, input_size, hidden_size):
    if isinstance(description, Stacked):
        layer_sizes = _stacked_sizes(description, sizes, input_size, hidden_size)
        return [[(TorchCell(c, layer_sizes(c)), False)] for c in description.layers]
    if isinstance(description, Bidirectional):
        fw, bw = description.forward, description.backward
        s_fw = _only(fw, _alias_sizes(fw, sizes, input_size, hidden_size))
        s_bw = _only(bw, _alias_sizes(bw, sizes, input_size, hidden_size))
        return [[(TorchCell(fw, s_fw), False), (TorchCell(bw, s_bw), True)]]
    if isinstance(description, Cell):
        if description.is_graph:
            raise CompileError(f"torch_module: {description.name!r} is a graph layer, not a recurrent cell over "
                               "sequences; symrnn.compile runs it")
        return [[(TorchCell(description, _alias_sizes(description, sizes, input_size, hidden_size)), False)]]
    raise CompileError("torch_module: expected a Cell, Stacked or Bidirectional description or a torch.nn RNN, "
                       f"LSTM or GRU, got {type(description).__name__}")


def _from_torch(rnn, dtype, device, given) -> TorchModule:
    from .weights import layers_of, twin_of_module

    if given:
        raise InputError(f"torch_module: sizes {sorted(given)} are given, but a torch module has its own sizes")
    params = list(rnn.parameters())
    dtype = _dtype(dtype, params[0].dtype)
    device = params[0].device if device is None else device
    description, layers = layers_of(rnn)
    module = TorchModule(description, [[(TorchCell(c, s), rev) for c, s, rev in layer] for layer in layers],
                         dtype=dtype, device=device)
    module._torch = twin_of_module(module, rnn)
    module.load_torch(rnn)
    return module


def build(description, *, input_size=None, hidden_size=None, dtype=None, device=None, sizes=None,
          **size_values) -> TorchModule:
    """The module of ``description`` (see :func:`symrnn.torch_module`, which documents every argument)."""
    device = _device(device)
    if _is_torch_rnn(description):
        given = [k for k, v in (("input_size", input_size), ("hidden_size", hidden_size)) if v is not None]
        return _from_torch(description, dtype, device, given + sorted({**(sizes or {}), **size_values}))
    dtype = _dtype(dtype)
    for s in getattr(description, "sizes", ()):
        if s.name in KEYWORDS and not (isinstance(sizes, Mapping) and s.name in sizes):
            raise InputError(f"size {s.name!r} of {description.name!r} has the name of a torch_module() keyword; "
                             f"give it as sizes={{{s.name!r}: ...}}")
    merged = _given_sizes(description, sizes, size_values)
    return TorchModule(description, _layers(description, merged, input_size, hidden_size), dtype=dtype, device=device)
