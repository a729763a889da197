"""Stacked and bidirectional networks: layers of :class:`~symrnn.codegen.kernel.Kernel` s.

Each layer runs its whole sequence before the next (one input GEMM over all
T steps per layer).  A layer is one kernel (forward in time) or two
(``[forward; backward]`` outputs concatenated, PyTorch's and Keras' merge).
The reverse direction runs each sequence from its own last valid step back to
its first, as PyTorch's packed sequences do.
"""

from __future__ import annotations

import numpy as np

from ..errors import InputError
from .kernel import Kernel, check_array, lengths_mask

__all__ = ["Network", "reverse_index", "reverse"]


def reverse_index(lengths, T: int, B: int):
    """(T, B, 1) index reversing each sequence within its length (an involution)."""
    t = np.arange(T)[:, None]
    if lengths is None:
        return np.broadcast_to(T - 1 - t, (T, B))[:, :, None]
    L = np.asarray(lengths)[None, :]
    return np.where(t < L, L - 1 - t, t)[:, :, None]


def reverse(seq, index):
    return np.take_along_axis(seq, index, axis=0)


class NetworkTape:
    """The tapes of every kernel of a :class:`Network` run."""

    def __init__(self, tapes, index, lengths, T, B):
        self.tapes, self.index, self.lengths, self.T, self.B = tapes, index, lengths, T, B

    @property
    def nbytes(self) -> int:
        return sum(t.nbytes for layer in self.tapes for t in layer)

    @property
    def strict_nbytes(self) -> int:
        return sum(t.strict_nbytes for layer in self.tapes for t in layer)


class Network:
    """Layers of kernels; ``layers[k]`` is a list of ``(kernel, reverse)``.

    Parameters and states of all kernels are addressed by their (prefixed,
    unique) names; :attr:`params` gathers them and assigning distributes them.

    Examples
    --------
    >>> import numpy as np, symrnn
    >>> net = symrnn.compile(symrnn.cell("bidirectional", cell_name="rnn"), D=2, H=3)
    >>> out, final, tape = net.forward(np.ones((4, 2, 2)))
    >>> out.shape, sorted(final)
    ((4, 2, 6), ['bw_h', 'fw_h'])
    """

    def __init__(self, layers):
        self.layers = [list(layer) for layer in layers]
        names = [n for layer in self.layers for k, _ in layer for n in k.params]
        if len(set(names)) != len(names):
            raise InputError("network: parameter names of its kernels must be unique")
        first = self.layers[0][0][0]
        self.dtype = first.dtype
        self.input_names = first.input_names
        self.state_names = tuple(s for layer in self.layers for k, _ in layer for s in k.state_names)
        self.output_size = sum(k.output_size for k, _ in self.layers[-1])
        if len(self.input_names) != 1:
            raise InputError("network: the first layer must have exactly one input")

    @property
    def kernels(self):
        return [k for layer in self.layers for k, _ in layer]

    @property
    def params(self) -> dict:
        out = {}
        for k in self.kernels:
            out.update(k.params)
        return out

    @params.setter
    def params(self, values):
        if not isinstance(values, dict):
            raise InputError(f"params must be a dict of arrays, got {type(values).__name__}")
        known = [n for k in self.kernels for n in k.plan.shapes]
        missing, extra = [n for n in known if n not in values], sorted(set(values) - set(known))
        if missing or extra:
            raise InputError(f"params: missing {missing}, unexpected {extra}; expected exactly {known}")
        checked = [k.check_params({n: values[n] for n in k.plan.shapes}) for k in self.kernels]
        for k, c in zip(self.kernels, checked):  # all checked before any is set
            k._params = c

    @property
    def source(self) -> str:
        return "\n\n".join(f"# ---- kernel {k.cell.name}\n{k.source}" for k in self.kernels)

    def forward(self, xs, initial=None, lengths=None, *, tape: bool = True):
        """Run every layer; returns (outputs (T, B, n_out), final states by name, tape).

        ``tape=False`` runs every layer's forward pass without a tape (inference); the tape is then None.
        """
        if isinstance(xs, dict):
            if list(xs) != list(self.input_names):
                raise InputError(f"xs: expected inputs {list(self.input_names)}, got {list(xs)}")
            xs = xs[self.input_names[0]]
        first = self.layers[0][0][0]
        x = check_array(xs, "xs", (None, None, first.plan.n[first.input_names[0]]), self.dtype)
        T, B = x.shape[:2]
        initial = dict(initial or {})
        extra = sorted(set(initial) - set(self.state_names))
        if extra:
            raise InputError(f"initial: unexpected states {extra}; the states are {list(self.state_names)}")
        if not isinstance(tape, bool):
            raise InputError(f"tape must be True or False, got {tape!r}")
        lengths_mask(lengths, T, B)  # validates before any work
        index = reverse_index(lengths, T, B)
        tapes, final = [], {}
        for layer in self.layers:
            outs, layer_tapes = [], []
            for kernel, rev in layer:
                init = {s: initial[s] for s in kernel.state_names if s in initial}
                out, fin, kept = kernel.forward(reverse(x, index) if rev else x, init, lengths, tape=tape)
                outs.append(reverse(out, index) if rev else out)
                final.update(fin)
                layer_tapes.append(kept)
            tapes.append(layer_tapes)
            x = outs[0] if len(outs) == 1 else np.concatenate(outs, axis=2)
        return x, final, (NetworkTape(tapes, index, lengths, T, B) if tape else None)

    def backward(self, tape, d_outputs, d_final=None) -> dict:
        """Gradients of every parameter, of the input and of every initial state, by name."""
        if not isinstance(tape, NetworkTape):
            raise InputError("tape must be the tape returned by this network's forward()")
        d = check_array(d_outputs, "d_outputs", (tape.T, tape.B, self.output_size), self.dtype)
        d_final = dict(d_final or {})
        extra = sorted(set(d_final) - set(self.state_names))
        if extra:
            raise InputError(f"d_final: unexpected states {extra}; the states are {list(self.state_names)}")
        grads = {}
        for layer, layer_tapes in zip(reversed(self.layers), reversed(tape.tapes)):
            dx, lo = None, 0
            for (kernel, rev), t in zip(layer, layer_tapes):
                part = np.ascontiguousarray(d[:, :, lo:lo + kernel.output_size])
                lo += kernel.output_size
                fin = {s: d_final[s] for s in kernel.state_names if s in d_final}
                g = kernel.backward(t, reverse(part, tape.index) if rev else part, fin)
                gx = g.pop(kernel.input_names[0])
                gx = reverse(gx, tape.index) if rev else gx
                dx = gx if dx is None else dx + gx
                grads.update(g)
            d = dx
        grads[self.input_names[0]] = d
        return grads
