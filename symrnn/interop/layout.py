"""A kernel or network read and written in another library's sequence layout.

symrnn's kernels take time-major sequences (T, B, n) and process them from
step 1 to T.  Two library conventions differ, and a loaded module must keep
them, or (B, T, n) data would run silently through the wrong axes:

* ``batch_first`` — PyTorch ``nn.RNN/LSTM/GRU(batch_first=True)``: inputs and
  outputs are (B, T, n) (initial and final states keep (B, n));
* ``reverse`` — Keras ``LSTM/GRU(go_backwards=True)``: the layer reads its input
  from the last step to the first and returns its outputs in that processing
  order (output 1 belongs to input T).

:class:`SequenceLayout` converts at its boundary only — the kernel inside is
unchanged — in ``forward`` (inputs in, outputs out) and ``backward``
(∂L/∂outputs in, ∂L/∂inputs out).  Every other attribute (``params``,
``state_names``, ``kernels`` …) is the wrapped kernel's.
"""

from __future__ import annotations

from typing import Mapping

import numpy as np

from ..errors import InputError
from ..numeric.params import real_array

__all__ = ["SequenceLayout"]


class SequenceLayout:
    """A :class:`~symrnn.codegen.Kernel` or :class:`~symrnn.codegen.Network` in a library's sequence layout.

    Parameters
    ----------
    inner : Kernel or Network
        Takes (T, B, n) sequences, processed forward in time.
    batch_first : bool
        Sequences (inputs, outputs and their gradients) are (B, T, n).
    reverse : bool
        The input is processed from its last step to its first and the outputs
        come in processing order (Keras ``go_backwards``); ``lengths`` is then
        refused (Keras would process the padding first).

    Examples
    --------
    >>> import numpy as np, symrnn
    >>> k = symrnn.compile(symrnn.cell("rnn"), D=2, H=3)
    >>> bf = SequenceLayout(k, batch_first=True)
    >>> x = np.random.default_rng(0).standard_normal((4, 5, 2))        # (B, T, D)
    >>> out, final, tape = bf.forward(x)
    >>> out.shape, bool(np.allclose(out, k.forward(x.transpose(1, 0, 2))[0].transpose(1, 0, 2)))
    ((4, 5, 3), True)
    >>> bf.backward(tape, np.ones_like(out))["x"].shape
    (4, 5, 2)
    """

    def __init__(self, inner, *, batch_first: bool = False, reverse: bool = False):
        self.inner = inner
        self.batch_first = bool(batch_first)
        self.reverse = bool(reverse)

    def __getattr__(self, name):  # params, state_names, input_names, kernels, output_size ...
        if name == "inner":
            raise AttributeError(name)
        return getattr(self.inner, name)

    @property
    def layout(self) -> str:
        """``"(B, T, n)"`` or ``"(T, B, n)"``, the sequence layout of this object."""
        return "(B, T, n)" if self.batch_first else "(T, B, n)"

    def _sequence(self, value, what: str) -> np.ndarray:
        """One sequence from the caller's layout to the kernel's (T, B, n), processing order."""
        arr = real_array(value, what, dtype=self.inner.dtype)
        if arr.ndim != 3:
            raise InputError(f"{what} must be a 3-D sequence array {self.layout}, got shape {arr.shape}")
        if self.batch_first:
            arr = arr.transpose(1, 0, 2)
        return np.ascontiguousarray(arr[::-1] if self.reverse else arr)

    def _back(self, arr: np.ndarray) -> np.ndarray:
        """∂L/∂input from the kernel's layout back to the caller's."""
        if self.reverse:
            arr = arr[::-1]
        return np.ascontiguousarray(arr.transpose(1, 0, 2) if self.batch_first else arr)

    def forward(self, xs, initial=None, lengths=None):
        """Run the wrapped kernel; ``xs`` and the returned outputs are in this object's layout.

        Returns ``(outputs, final, tape)`` as the kernel does; ``final`` holds
        each state after the last processed step.
        """
        if self.reverse and lengths is not None:
            raise InputError("lengths: a layer that reads its input backwards (Keras go_backwards=True) would "
                             "process the padding first; pass full-length sequences")
        if isinstance(xs, Mapping):
            xs = {k: self._sequence(v, f"xs[{k!r}]") for k, v in xs.items()}
        else:
            xs = self._sequence(xs, "xs")
        outputs, final, tape = self.inner.forward(xs, initial, lengths)
        return (outputs.transpose(1, 0, 2) if self.batch_first else outputs), final, tape

    def backward(self, tape, d_outputs, d_final=None) -> dict:
        """Gradients as the kernel gives them; ``d_outputs`` and the input gradients are in this object's layout."""
        d = real_array(d_outputs, "d_outputs", dtype=self.inner.dtype)
        T, B = getattr(tape, "T", None), getattr(tape, "B", None)
        want = (B, T, self.inner.output_size) if self.batch_first else (T, B, self.inner.output_size)
        if T is not None and d.shape != want:
            raise InputError(f"d_outputs has shape {d.shape}, expected {want} {self.layout}")
        if self.batch_first:
            d = np.ascontiguousarray(d.transpose(1, 0, 2))
        grads = self.inner.backward(tape, d, d_final)
        for name in self.inner.input_names:
            grads[name] = self._back(grads[name])
        return grads

    def __repr__(self):
        flags = [f for f, on in (("batch_first", self.batch_first), ("reverse", self.reverse)) if on]
        return f"<SequenceLayout {', '.join(flags) or 'time-major'} of {self.inner!r}>"
