"""The ``torch.nn.Module`` of a description: parameters by the description's names, layers of generated cells.

A module holds layers of :class:`~symrnn.pytorch.function.TorchCell` s, as
:class:`symrnn.codegen.Network` holds kernels: each layer runs its whole
sequence before the next (one input product over all T steps per layer); a
layer is one cell (forward in time) or two (``[forward; backward]`` outputs
concatenated, PyTorch's merge).  The reverse direction runs each sequence from
its own last valid step back to its first, as PyTorch's packed sequences do;
the reversal and the concatenation are torch operations (autograd carries
gradients through them), each cell's step is a :class:`CellFunction`.

Dtype and device are the parameters': ``module.to("cuda")``, ``.double()``
work as for any module, and the generated code follows.
"""

from __future__ import annotations

import math

import torch
from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence, pad_packed_sequence

from ..errors import InputError
from .inputs import check_lengths, check_sequences, check_states, length_mask, reverse_index

__all__ = ["TorchModule", "DTYPES"]

DTYPES = (torch.float16, torch.bfloat16, torch.float32, torch.float64)
"""Parameter dtypes the generated code runs in."""


class TorchModule(torch.nn.Module):
    """A recurrent description as a PyTorch module; build it with :func:`symrnn.torch_module`.

    ``forward(x, initial=None, lengths=None) -> (output, final)``: ``x`` (T, B, D)
    (or a ``PackedSequence``, or a dict for a cell with several inputs),
    ``initial`` a dict state name -> (B, n) tensor (missing states start at zero),
    ``lengths`` (B,) valid steps per sequence; ``output`` (T, B, n_out), zero past
    each sequence's length, and ``final`` a dict state name -> (B, n) tensor, each
    sequence's state at its last valid step.

    Examples
    --------
    >>> import symrnn, torch
    >>> _ = torch.manual_seed(0)
    >>> m = symrnn.torch_module(symrnn.cell("lstm"), input_size=3, hidden_size=4)
    >>> out, final = m(torch.randn(5, 2, 3), lengths=[5, 3])
    >>> sorted(final), bool((out[3:, 1] == 0).all()), bool(torch.equal(final["h"][1], out[2, 1]))
    (['c', 'h'], True, True)
    """

    def __init__(self, description, layers, *, dtype=torch.float32, device=None):
        super().__init__()
        self._description = description
        self._layers = [list(layer) for layer in layers]
        first = self._layers[0][0][0]
        self._inputs = {n: first.n[n] for n in first.input_names}
        self._states = {s: c.n[s] for c in self.cells for s in c.state_names}
        self._torch = None  # (twin, names) when the function is a torch.nn RNN/LSTM/GRU's: see weights.py
        if dtype not in DTYPES:
            raise InputError(f"dtype must be one of {[str(d) for d in DTYPES]}, got {dtype!r}")
        for c in self.cells:
            for name, shape in c.shapes.items():
                if name in self._parameters or hasattr(self, name):
                    raise InputError(f"parameter {name!r} of {c.cell.name!r} has the name of a torch.nn.Module "
                                     "attribute (or of another parameter); rename it in the description")
                self.register_parameter(name, torch.nn.Parameter(torch.empty(shape, dtype=dtype, device=device)))
        self._param_names = tuple(n for c in self.cells for n in c.param_names)
        self.reset_parameters()

    # ------------------------------------------------------------ structure
    @property
    def description(self):
        """The symrnn description this module computes (None for layers that are not one description)."""
        return self._description

    @property
    def cells(self) -> list:
        """Every :class:`~symrnn.pytorch.function.TorchCell`, layer by layer, forward direction first."""
        return [c for layer in self._layers for c, _ in layer]

    @property
    def layers(self) -> list:
        """``layers[k]`` is a list of ``(TorchCell, reverse)``."""
        return [list(layer) for layer in self._layers]

    @property
    def input_names(self) -> tuple:
        return tuple(self._inputs)

    @property
    def state_names(self) -> tuple:
        return tuple(self._states)

    @property
    def output_size(self) -> int:
        return sum(c.output_size for c, _ in self._layers[-1])

    @property
    def source(self) -> str:
        """The generated source every cell runs (forward and backward)."""
        return "\n\n".join(f"# ---- cell {c.cell.name}\n{c.source}" for c in self.cells)

    def reset_parameters(self) -> None:
        """Every parameter uniform in ±1/√H, H the output size of its layer (``torch.nn.LSTM``'s initialisation)."""
        with torch.no_grad():
            for c in self.cells:
                k = 1.0 / math.sqrt(c.output_size)
                for name in c.param_names:
                    self._parameters[name].uniform_(-k, k)

    def load_torch(self, rnn) -> None:
        """Copy the weights of a ``torch.nn`` RNN / LSTM / GRU computing this module's function into it.

        Raises :class:`~symrnn.errors.InputError` if the description is not such a
        module's (see :mod:`symrnn.pytorch.weights`) or ``rnn``'s sizes, layers or
        directions differ.
        """
        from .weights import load_torch

        load_torch(self, rnn)

    def to_torch(self, rnn=None):
        """This module's weights in a ``torch.nn`` RNN / LSTM / GRU: ``rnn``, or a new one (same dtype, device).

        Examples
        --------
        >>> import symrnn, torch
        >>> m = symrnn.torch_module(symrnn.cell("gru_reset_after"), input_size=3, hidden_size=4, dtype=torch.float64)
        >>> gru = m.to_torch()
        >>> x = torch.randn(6, 2, 3, dtype=torch.float64)
        >>> bool(torch.allclose(m(x)[0], gru(x)[0], atol=1e-12, rtol=0))
        True
        """
        from .weights import to_torch

        return to_torch(self, rnn)

    def extra_repr(self) -> str:
        name = getattr(self._description, "name", None) or "+".join(c.cell.name for c in self.cells)
        dtype, device = self._dtype_device()
        return (f"{name}, inputs {self._inputs}, states {self._states}, output_size={self.output_size}, "
                f"layers={len(self._layers)}, dtype={dtype}, device={device}")

    def _dtype_device(self):
        items = [(n, getattr(self, n)) for n in self._param_names]  # getattr: torch.func.functional_call swaps them
        name0, p0 = items[0]
        for name, p in items:
            if p is None or p.dtype != p0.dtype or p.device != p0.device:
                raise InputError(f"parameter {name!r} is {getattr(p, 'dtype', None)} on {getattr(p, 'device', None)}, "
                                 f"parameter {name0!r} {p0.dtype} on {p0.device}; all parameters need one dtype "
                                 "and one device (module.to(...) moves them together)")
        if p0.dtype not in DTYPES:
            raise InputError(f"the parameters have dtype {p0.dtype}; the generated code runs {[str(d) for d in DTYPES]}")
        return p0.dtype, p0.device

    # -------------------------------------------------------------- forward
    def forward(self, x, initial=None, lengths=None):
        """Run every layer over the sequences; ``(output, final)`` (see the class docstring)."""
        packed = x if isinstance(x, PackedSequence) else None
        if packed is not None:
            if lengths is not None:
                raise InputError("lengths: x is a PackedSequence, which carries its lengths; pass lengths=None")
            x, lengths = pad_packed_sequence(packed)
        dtype, device = self._dtype_device()
        xs = check_sequences(x, self.input_names, self._inputs, dtype, device)
        T, B = next(iter(xs.values())).shape[:2]
        init = check_states(initial, self.state_names, self._states, B, dtype, device)
        lengths = check_lengths(lengths, T, B)
        out, final = self._run(xs, init, lengths, T, B, device)
        return (out if packed is None else _repack(out, lengths, packed)), final

    def _run(self, xs, init, lengths, T, B, device):
        mask = length_mask(lengths, T, device)
        index = None
        if lengths is not None and any(rev for layer in self._layers for _, rev in layer):
            index = reverse_index(lengths, T, B, device)
        final = {}
        for k, layer in enumerate(self._layers):
            outs = []
            for cell, rev in layer:
                ins = {n: _reverse(v, index) if rev else v for n, v in xs.items()}
                params = {p: getattr(self, p) for p in cell.param_names}
                out, fin = cell.apply(ins, {s: init[s] for s in cell.state_names}, params, mask)
                outs.append(_reverse(out, index) if rev else out)
                final.update(fin)
            out = outs[0] if len(outs) == 1 else torch.cat(outs, dim=2)
            if k + 1 < len(self._layers):  # the next layer reads this one's output
                xs = {self._layers[k + 1][0][0].input_names[0]: out}
        return out, final


def _reverse(seq, index):
    """Each sequence reversed within its length (``index`` from :func:`reverse_index`; None: all of T)."""
    if index is None:
        return seq.flip(0)
    return torch.gather(seq, 0, index.expand(-1, -1, seq.shape[2]))


def _repack(out, lengths, like: PackedSequence) -> PackedSequence:
    """``out`` (T, B, n) packed as ``like`` is: the same batch sizes and the same sorting of the batch."""
    order = like.sorted_indices
    if order is None:
        data = pack_padded_sequence(out, lengths, enforce_sorted=True)
        return PackedSequence(data.data, data.batch_sizes)
    idx = order.to(out.device)
    data = pack_padded_sequence(out.index_select(1, idx), lengths[order.cpu()], enforce_sorted=True)
    return PackedSequence(data.data, data.batch_sizes, like.sorted_indices, like.unsorted_indices)
