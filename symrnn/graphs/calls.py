"""One call of a catalogue graph layer in the papers' layout, run by its generated kernel.

The layer functions of :mod:`symrnn.graphs` (:func:`~symrnn.graphs.gcn`,
:func:`~symrnn.graphs.cheb`, :func:`~symrnn.graphs.gat` …) take parameters in
the layout of their papers (``X W`` with W of shape (F, F′)), run the kernel
generated from the layer's description (:mod:`symrnn.graphs.layers`) and
return a :class:`LayerCall`.  There is no backward pass written per layer:
:func:`backward` hands ∂L/∂Y to the generated reverse mode and maps the
gradients back to the layout the caller used.  Kernels are compiled once per
(description, sizes, dtype) and reused.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Callable

import numpy as np

from ..errors import InputError
from .graph import check_param

__all__ = ["LayerCall", "backward", "kernel_for", "run_layer"]


@lru_cache(maxsize=128)
def kernel_for(factory: Callable, key: tuple, sizes: tuple):
    """The generated kernel of ``factory(**dict(key))`` at ``sizes`` (cached)."""
    import symrnn

    return symrnn.compile(factory(**dict(key)), **dict(sizes))


@dataclass(frozen=True, eq=False)
class LayerCall:
    """A forward pass of a layer function: its tape, and how to read gradients back.

    Attributes
    ----------
    kernel : LayerKernel
    tape : LayerTape
    params : dict
        The kernel parameters of this call (numeric layout).
    outputs : tuple of (name, columns)
        The description's outputs in the order ``Y``'s columns hold them.
    to_caller : callable
        Kernel gradients → the caller's names and layout.
    inputs : tuple of (str, str)
        ``(caller's name, kernel input)`` of every input :func:`backward` may ``skip``.
    """

    kernel: object
    tape: object
    params: dict
    outputs: tuple
    to_caller: Callable = field(repr=False)
    inputs: tuple = (("X", "x"),)

    @property
    def operators(self):
        return self.tape.operators

    @property
    def values(self) -> dict:
        """Every value of the step, by the description's names (e.g. GAT's ``alpha_1``)."""
        return self.tape.values

    @property
    def edge_index(self) -> np.ndarray:
        """(2, E): source and target node of every row of the edge space (each copy of a repeated edge)."""
        ops = self.operators
        return np.stack([ops.src, ops.dst])

    @property
    def attention(self) -> np.ndarray:
        """(E, heads): the softmax weights ``alpha_1``, ``alpha_2`` … of an attention layer, one row per edge."""
        keys = sorted((k for k in self.values if k.startswith("alpha_") and k[6:].isdigit()), key=lambda k: int(k[6:]))
        if not keys:
            raise InputError(f"{self.kernel.cell.name!r} has no attention weights")
        return np.concatenate([self.values[k] for k in keys], axis=1)


def run_layer(kernel, params: dict, graph, X, outputs, to_caller, **options):
    """Forward ``X`` through ``kernel`` with ``params``; returns ``(Y, LayerCall)``."""
    kernel.params = params
    out, tape = kernel.forward(graph, {"x": X}, **options)
    Y = np.concatenate([out[name] for name, _ in outputs], axis=1) if len(outputs) > 1 else out[outputs[0][0]]
    return Y, LayerCall(kernel, tape, kernel.params, tuple(outputs), to_caller)


def backward(call: LayerCall, dY=None, *, skip=()) -> dict:
    """Gradients of a loss given ∂L/∂Y for a layer call, in the caller's layout (``"X"``, ``"W"``, ``"b"`` …).

    ``dY`` may be left out when the call's output is one number, a loss L itself (∂L/∂L = 1:
    :func:`~symrnn.graphs.gae_forward`).  ``skip`` names inputs whose gradient is not wanted
    (``"X"``; GGNN's ``"edge_weight"``): they are left out of the result and not computed
    (as an input without ``requires_grad`` in PyTorch).  Parameters' gradients always are.

    Examples
    --------
    >>> import networkx as nx, numpy as np
    >>> from symrnn.graphs import gcn_forward
    >>> Y, call = gcn_forward(nx.path_graph(2), np.eye(2), np.ones((2, 1)))
    >>> np.round(backward(call, np.ones_like(Y))["W"].ravel(), 12).tolist()
    [1.0, 1.0]
    >>> sorted(backward(call, np.ones_like(Y), skip=["X"]))
    ['W']
    """
    if not isinstance(call, LayerCall):
        raise InputError(f"tape must be the LayerCall a layer function returned, got {type(call).__name__}")
    names = dict(call.inputs)
    if isinstance(skip, str) or not isinstance(skip, (list, tuple, set, frozenset)):
        raise InputError(f"skip must be a list of input names (of {sorted(names)}), got {skip!r}")
    wrong = sorted(set(map(str, skip)) - set(names))
    if wrong:
        raise InputError(f"skip: {wrong} are not inputs of {call.kernel.cell.name!r}; it takes {sorted(names)}")
    rows = call.tape.values[call.outputs[0][0]].shape[0]
    width = sum(c for _, c in call.outputs)
    if dY is None:
        if (rows, width) != (1, 1):
            raise InputError(f"dY: {call.kernel.cell.name!r} outputs a ({rows}, {width}) array, not one loss; "
                             "pass dY = ∂L/∂Y of that shape")
        dY = np.ones((1, 1))
    dY = check_param(dY, (rows, width), "dY")
    d, lo = {}, 0
    for name, cols in call.outputs:
        d[name] = dY[:, lo:lo + cols]
        lo += cols
    call.kernel.params = call.params
    grads = call.kernel.backward(call.tape, d, without=[names[u] for u in skip])
    out = call.to_caller({**{names[u]: None for u in skip}, **grads})
    return {k: v for k, v in out.items() if k not in skip}
