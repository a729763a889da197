"""Any recurrent description as a PyTorch module: generated forward, derived backward.

:func:`torch_module` turns a cell, a stacked or bidirectional description (or a
``torch.nn`` RNN / LSTM / GRU) into a ``torch.nn.Module`` that trains wherever
PyTorch runs — GPUs, ``DistributedDataParallel`` — while computing exactly the
equations symrnn derived and proved things about.

Design notes
------------
* **One generator.**  The module runs the *same* Python source as the NumPy
  kernels (:func:`~symrnn.codegen.forward.forward_source`,
  :func:`~symrnn.codegen.backward.backward_source` of the same
  :class:`~symrnn.codegen.plan.Plan`): one product for the input projection of
  all T steps per input vector, one product per previous state per step, the
  pointwise stages printed once from their SymPy expressions and written with
  ``out=`` into preallocated buffers.  That source only reaches arrays through
  ``_np`` and the runtime helpers, so it runs on torch tensors in a namespace
  whose ``_np`` is a small adapter (:mod:`.runtime`); the generator differs for
  torch in two method spellings only (``clone`` for ``copy``, ``fill_`` for
  ``fill``: ``forward_source(..., methods=)``), and :func:`.runtime.check_source`
  refuses, when a module is built, any function or method torch lacks.  No
  formula is derived twice and no torch printer exists.
* **The backward is symrnn's, not autograd's.**  Each cell is a
  ``torch.autograd.Function`` (:mod:`.function`): forward runs the generated
  forward and keeps the tape with ``ctx.save_for_backward`` (so an in-place change
  of a saved tensor is caught by autograd's version check); backward runs the
  generated reverse mode, built from
  :func:`~symrnn.spec.partials.pointwise_partials` and the linear rules.  Autograd
  only chains the cells: the reversal of a backward direction and the
  concatenation of a bidirectional layer's outputs are torch operations.
* **Not differentiable twice.**  The backward is marked ``once_differentiable``:
  a double backward raises rather than returning a wrong gradient, and the
  ``torch.func`` transforms (vmap, grad, jacrev, jvp) are refused with an
  :class:`~symrnn.errors.InputError` before any computation.
* **Device and dtype are the parameters'.**  Every buffer is allocated through
  the adapter with the dtype of the inputs and the device of the namespace,
  which is the inputs' device (one namespace per device): nothing is tied to the
  CPU.  ``module.to(...)``, ``.double()`` move the parameters and the code follows.
* **Outputs are tensors of their own** (not views of the state buffer the
  tape keeps), so a user's in-place change of an output neither corrupts the
  backward nor trips autograd.
* **Ragged sequences** follow PyTorch's packed sequences, as the NumPy kernels
  do; ``forward`` also takes a ``PackedSequence`` and returns one.
* torch stays optional: ``import symrnn`` does not import it, and
  :func:`torch_module` without torch raises :class:`~symrnn.errors.InputError`.
"""

from __future__ import annotations

__all__ = ["torch_module", "TorchModule", "TorchCell", "CellFunction"]


def torch_module(description, /, *, input_size=None, hidden_size=None, dtype=None, device=None, sizes=None,
                 **size_values):
    """A description as a ``torch.nn.Module`` with generated forward and derived backward.

    Parameters
    ----------
    description : Cell, Stacked, Bidirectional, or torch.nn.RNN / LSTM / GRU
        A catalogue entry (:func:`symrnn.cell`), a user-defined cell, a stacked or
        bidirectional description; or a torch recurrent module, whose function
        (every layer and direction) and weights the new module takes over.
    input_size, hidden_size : int, optional
        Aliases for the size of the (single) input and of the output state; for a
        stacked network ``hidden_size`` is an int (all layers) or one per layer.
    dtype : torch.dtype, optional
        The parameters' dtype (float32 or float64; float16 and bfloat16 run too).
        Default: torch's default dtype (float32 unless ``torch.set_default_dtype``
        changed it), as for ``torch.nn`` layers; for a torch module, its own.
    device : torch.device or str, optional
        Where the parameters live (default: torch's default device; for a torch module, its own).
    sizes : dict, optional
        Sizes by name, for a size named like one of this function's keywords.
    **size_values : int
        The description's sizes (``D=3, H=4``; stacked: ``D``, ``H1``, ``H2`` …).

    Returns
    -------
    TorchModule
        ``forward(x, initial=None, lengths=None) -> (output, final)``: ``x`` (T, B, D),
        ``output`` (T, B, n_out), ``final`` a dict state name -> (B, n) tensor.
        Parameters are registered under the description's names (``module.W_f``), in
        PyTorch's layout (``W @ x``), initialised uniform in ±1/√H as ``torch.nn.LSTM``.

    Raises
    ------
    InputError
        torch is not installed; missing, unknown or doubly given sizes; an unsupported
        dtype or an invalid device.  At call time: wrong shapes, dtypes, devices or
        lengths (naming the argument), and ``torch.func`` transforms.
    CompileError
        A description the generator cannot handle (a graph layer, a matrix times a parameter …).

    Examples
    --------
    >>> import symrnn, torch
    >>> _ = torch.manual_seed(0)
    >>> peephole = symrnn.torch_module(symrnn.cell("lstm_peephole"), input_size=3, hidden_size=4,
    ...                                dtype=torch.float64)
    >>> [n for n, _ in peephole.named_parameters()][:4]
    ['W_i', 'U_i', 'b_i', 'p_i']
    >>> x = torch.randn(5, 2, 3, dtype=torch.float64, requires_grad=True)
    >>> out, final = peephole(x)
    >>> bool(torch.equal(out[-1], final["h"]))              # the output is h
    True
    >>> torch.autograd.gradcheck(lambda x: peephole(x)[0], (x,))   # the generated backward
    True

    From and to ``torch.nn`` (weights through :mod:`symrnn.interop`):

    >>> lstm = torch.nn.LSTM(3, 4, num_layers=2, bidirectional=True).double()
    >>> m = symrnn.torch_module(lstm)
    >>> bool(torch.allclose(m(x)[0], lstm(x)[0], atol=1e-12, rtol=0))
    True
    """
    try:
        import torch  # noqa: F401
    except ImportError as exc:
        from ..errors import InputError

        raise InputError("symrnn.torch_module needs PyTorch: pip install torch (the README gives the CPU wheel's "
                         "command)") from exc
    from .build import build

    return build(description, input_size=input_size, hidden_size=hidden_size, dtype=dtype, device=device,
                 sizes=sizes, **size_values)


def __getattr__(name):
    """The classes load with torch, on first use."""
    import importlib

    where = {"TorchModule": ".module", "TorchCell": ".function", "CellFunction": ".function"}
    if name in where:
        return getattr(importlib.import_module(where[name], __name__), name)
    raise AttributeError(f"module 'symrnn.pytorch' has no attribute {name!r}")
