"""One cell's generated forward and backward as a ``torch.autograd.Function``.

:class:`TorchCell` holds the generated source of one cell at fixed sizes —
the *same* :func:`~symrnn.codegen.forward.forward_source` and
:func:`~symrnn.codegen.backward.backward_source` the NumPy kernels run, built
from the same :class:`~symrnn.codegen.plan.Plan` — compiled once and executed
in one torch namespace per device (:func:`symrnn.pytorch.runtime.namespace`).

:class:`CellFunction` runs it under autograd: ``forward`` calls the generated
forward (the tape's tensors kept with ``ctx.save_for_backward``), ``backward``
calls the generated backward, which evaluates the derived formulas
(:func:`~symrnn.spec.partials.pointwise_partials` and the linear rules) —
autograd never sees the forward's operations.  The backward is not itself
differentiable (``once_differentiable``: a double backward raises).
"""

from __future__ import annotations

import torch
from torch.autograd.function import once_differentiable

from ..codegen.backward import backward_source
from ..codegen.forward import forward_source
from ..codegen.naming import foreign_identifiers
from ..codegen.plan import make_plan
from ..errors import CompileError, InputError
from ..numeric.params import resolve_sizes
from .runtime import METHODS, check_source, namespace

__all__ = ["TorchCell", "CellFunction"]


class TorchCell:
    """The generated torch forward and backward of one cell at concrete sizes.

    Examples
    --------
    >>> import symrnn, torch
    >>> tc = TorchCell(symrnn.cell("rnn"), {"D": 2, "H": 3})
    >>> tc.param_names, tc.shapes["W"], tc.output_size
    (('W', 'U', 'b'), (3, 2), 3)
    >>> "def _forward(_xs, _params, _init, _mask)" in tc.source
    True
    """

    def __init__(self, cell, sizes):
        self.cell = cell
        self.sizes = {s.name: v for s, v in resolve_sizes(cell, sizes).items()}
        self.plan = plan = make_plan(cell, self.sizes)
        self.source = forward_source(plan, methods=METHODS) + "\n\n" + backward_source(plan)
        if foreign_identifiers(self.source):  # a generator bug, never the user's
            raise CompileError(f"cell {cell.name!r}: generated code leaves its namespace (a symrnn bug; please report it)")
        check_source(self.source, f"cell {cell.name!r}")
        self._code = compile(self.source, f"<symrnn torch kernel {cell.name}>", "exec")
        self._functions = {}
        self.input_names = tuple(d.name for d in cell.inputs)
        self.state_names = tuple(cell.state_names)
        self.param_names = tuple(plan.shapes)
        self.shapes = dict(plan.shapes)
        self.n = dict(plan.n)
        self.output = cell.output
        self.output_size = plan.n[cell.output]

    def functions(self, device):
        """``(forward, backward)`` executed in the torch namespace of ``device`` (cached per device)."""
        key = str(device)
        if key not in self._functions:
            ns = namespace(device)
            exec(self._code, ns)
            self._functions[key] = ns["_forward"], ns["_backward"]
        return self._functions[key]

    def apply(self, xs: dict, initial: dict, params: dict, mask):
        """Run the cell under autograd; ``(outputs (T, B, n_out), final states by name)``.

        Arguments are checked tensors (one dtype, one device, shapes as planned).
        """
        if torch._C._are_functorch_transforms_active():
            raise InputError("symrnn.torch_module does not support torch.func transforms (vmap, grad, jacrev, jvp, "
                             "...): its backward is generated code, not traceable by them; compute gradients with "
                             "loss.backward() or torch.autograd.grad")
        tensors = ([xs[n] for n in self.input_names] + [initial[s] for s in self.state_names]
                   + [params[p] for p in self.param_names])
        out = CellFunction.apply(self, mask, *tensors)
        return out[0], dict(zip(self.state_names, out[1:]))

    def __getstate__(self):  # torch.save(module) pickles it: the code is compiled again on loading
        return {k: v for k, v in self.__dict__.items() if k not in ("_code", "_functions")}

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._code = compile(self.source, f"<symrnn torch kernel {self.cell.name}>", "exec")
        self._functions = {}

    def __deepcopy__(self, memo):  # immutable: copies of a module (EMA, SWA) share it
        return self

    def __repr__(self):
        return f"<TorchCell {self.cell.name!r} {self.sizes}>"


class CellFunction(torch.autograd.Function):
    """``apply(cell, mask, *inputs, *initial_states, *params) -> (outputs, *final_states)``.

    ``cell`` is a :class:`TorchCell`; ``mask`` a (T, B, 1) bool tensor (True where a
    step is valid) or None; the tensors come in the cell's order of inputs, states
    and parameters.  Past its length a sequence keeps its state and its outputs are zero.
    """

    @staticmethod
    def forward(ctx, cell, mask, *tensors):
        ni, ns = len(cell.input_names), len(cell.state_names)
        xs = dict(zip(cell.input_names, tensors[:ni]))
        init = dict(zip(cell.state_names, tensors[ni:ni + ns]))
        params = dict(zip(cell.param_names, tensors[ni + ns:]))
        forward, _ = cell.functions(tensors[0].device)
        arrays = forward(xs, params, init, mask)
        seq = arrays[f"_S_{cell.output}"][1:]
        outputs = seq.clone() if mask is None else torch.where(mask, seq, 0.0)  # a tensor of its own
        finals = [arrays.pop(f"_F_{s}") for s in cell.state_names]
        ctx.cell, ctx.mask, ctx.keys = cell, mask, tuple(arrays)
        ctx.save_for_backward(*arrays.values(), *params.values())
        return (outputs, *finals)

    @staticmethod
    @once_differentiable
    def backward(ctx, d_outputs, *d_finals):
        cell, k = ctx.cell, len(ctx.keys)
        saved = ctx.saved_tensors
        tape = dict(zip(ctx.keys, saved[:k]))
        params = dict(zip(cell.param_names, saved[k:]))
        _, backward = cell.functions(d_outputs.device)
        d_final = {s: g.contiguous() for s, g in zip(cell.state_names, d_finals)}
        grads = backward(tape, params, d_outputs.contiguous(), d_final, ctx.mask)
        names = cell.input_names + cell.state_names + cell.param_names
        return (None, None, *(grads[n] for n in names))
