"""Weights in and out of ``torch.nn.RNN / LSTM / GRU``, through :mod:`symrnn.interop.torch`'s layouts.

A module computes the function of a ``torch.nn`` recurrent module when its
description is one of them: ``lstm``, ``gru_reset_after`` or ``rnn`` (tanh or
relu), alone, stacked (any depth) or bidirectional — or when it was built from
such a module (``symrnn.torch_module(nn.LSTM(...))``, any layers and directions;
its parameters then have :func:`~symrnn.interop.torch.params_from_torch`'s names).
The gate blocks, the two PyTorch biases (merged, except the GRU's ``b_hn``) and
the layer / direction suffixes are :mod:`symrnn.interop.torch`'s; nothing is
re-derived here.
"""

from __future__ import annotations

import types
from dataclasses import dataclass

import numpy as np
import torch

from ..errors import InputError
from ..interop.torch import _directions, _kind, _prefix, params_from_torch, to_torch as _copy_to_torch, torch_cell

__all__ = ["Twin", "twin_of_description", "twin_of_module", "load_torch", "to_torch"]


@dataclass(frozen=True)
class Twin:
    """The ``torch.nn`` module computing a module's function, and the name map between them."""

    kind: str               # "LSTM", "GRU" or "RNN"
    options: tuple          # (("nonlinearity", "tanh"),) for an RNN
    num_layers: int
    bidirectional: bool
    input_size: int
    hidden_size: int
    names: tuple            # (symrnn parameter name, params_from_torch name), every parameter

    def config(self) -> dict:
        return {"input_size": self.input_size, "hidden_size": self.hidden_size, "num_layers": self.num_layers,
                "bidirectional": self.bidirectional, **dict(self.options)}


def _bases():
    from .. import cells

    return (("LSTM", (), cells.cell("lstm")), ("GRU", (), cells.cell("gru_reset_after")),
            ("RNN", (("nonlinearity", "tanh"),), cells.cell("rnn", activation="tanh")),
            ("RNN", (("nonlinearity", "relu"),), cells.cell("rnn", activation="relu")))


def _matches(description, base):
    """(num_layers, bidirectional) if ``description`` is ``base`` alone, stacked or bidirectional, else None."""
    from ..spec.cell import Cell
    from ..spec.compose import Bidirectional, Stacked, bidirectional, stacked

    if isinstance(description, Cell):
        return (1, False) if description == base else None
    if isinstance(description, Stacked):
        k = len(description.layers)
        return (k, False) if description.layers == stacked(*([base] * k)).layers else None
    if isinstance(description, Bidirectional):
        bi = bidirectional(base)
        return (1, True) if (description.forward, description.backward) == (bi.forward, bi.backward) else None
    return None


def _names(module, base, num_layers, bidirectional) -> tuple:
    shape = types.SimpleNamespace(num_layers=num_layers, bidirectional=bidirectional)
    out = []
    for k, layer in enumerate(module.layers):
        for cell, rev in layer:
            prefix = _prefix(shape, k, rev)
            out += [(mine.name, prefix + theirs.name) for mine, theirs in zip(cell.cell.params, base.params)]
    return tuple(out)


def twin_of_description(module):
    """The :class:`Twin` of a module built from a description, or None if no ``torch.nn`` module computes it."""
    for kind, options, base in _bases():
        found = _matches(module.description, base)
        if found:
            first = module.cells[0]
            return Twin(kind, options, *found, first.n[first.input_names[0]], first.output_size,
                        _names(module, base, *found))
    return None


def twin_of_module(module, rnn) -> Twin:
    """The :class:`Twin` of a module built from the torch module ``rnn`` (parameter names are interop's)."""
    kind = _kind(rnn)
    options = (("nonlinearity", rnn.nonlinearity),) if kind == "RNN" else ()
    names = tuple((n, n) for c in module.cells for n in c.param_names)
    return Twin(kind, options, rnn.num_layers, rnn.bidirectional, rnn.input_size, rnn.hidden_size, names)


def layers_of(rnn):
    """``(description or None, [[(cell, {sizes}, reverse)]])`` of every layer and direction of a torch module."""
    from ..spec.compose import rename, stacked

    base = torch_cell(rnn)
    width = 2 if rnn.bidirectional else 1
    layers = [[(rename(base, _prefix(rnn, k, rev)),
                {"D": rnn.input_size if k == 0 else rnn.hidden_size * width, "H": rnn.hidden_size}, rev)
               for rev in _directions(rnn)] for k in range(rnn.num_layers)]
    if rnn.bidirectional:
        return None, layers
    return (base if rnn.num_layers == 1 else stacked(*([base] * rnn.num_layers))), layers


def _twin(module) -> Twin:
    if module._torch is None:
        module._torch = twin_of_description(module) or False
    if not module._torch:
        raise InputError(f"{module.description.name if module.description is not None else 'this module'!r} is not the "
                         "function of a torch.nn RNN, LSTM or GRU (those are the cells lstm, gru_reset_after and rnn, "
                         "alone, stacked or bidirectional)")
    return module._torch


def _check_config(twin: Twin, rnn):
    kind = _kind(rnn)
    have = {"input_size": rnn.input_size, "hidden_size": rnn.hidden_size, "num_layers": rnn.num_layers,
            "bidirectional": rnn.bidirectional}
    if kind == "RNN":
        have["nonlinearity"] = rnn.nonlinearity
    want = twin.config()
    if kind != twin.kind or have != want:
        raise InputError(f"module: expected a torch.nn.{twin.kind} with {want}, got torch.nn.{kind} with {have}")


def load_torch(module, rnn) -> None:
    """Copy the weights of the torch module ``rnn`` into ``module`` (biases merged as interop merges them)."""
    twin = _twin(module)
    _check_config(twin, rnn)
    values = params_from_torch(rnn, dtype=np.float64)
    with torch.no_grad():
        for mine, theirs in twin.names:
            p = module._parameters[mine]
            p.copy_(torch.from_numpy(values[theirs]).to(dtype=p.dtype, device=p.device))


def to_torch(module, rnn=None):
    """``module``'s weights in a ``torch.nn`` module (``rnn``, or a new one of the module's dtype and device)."""
    twin = _twin(module)
    if rnn is None:
        dtype, device = module._dtype_device()
        rnn = getattr(torch.nn, twin.kind)(**twin.config(), dtype=dtype, device=device)
    _check_config(twin, rnn)
    values = {theirs: module._parameters[mine].detach().to("cpu", torch.float64).numpy() for mine, theirs in twin.names}
    _copy_to_torch(values, rnn)
    return rnn
