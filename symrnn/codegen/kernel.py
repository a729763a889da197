"""The :class:`Kernel` of one cell: generated forward and backward, validated at the boundary."""

from __future__ import annotations

from typing import Mapping

import numpy as np

from ..errors import CompileError, InputError
from ..numeric.params import float_dtype, resolve_sizes
from .backward import backward_source
from .forward import forward_source
from .naming import foreign_identifiers
from .plan import make_plan
from .runtime import RUNTIME

__all__ = ["Kernel", "Tape", "DTYPES"]

DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def check_dtype(dtype) -> np.dtype:
    """The kernel's dtype: float32 or float64 (one check shared with :mod:`symrnn.numeric`)."""
    return float_dtype(dtype)


def check_array(value, what: str, shape: tuple, dtype: np.dtype) -> np.ndarray:
    """``value`` as a C-contiguous array of exactly ``shape`` (None = any) and ``dtype``, all finite."""
    if not isinstance(value, np.ndarray):
        raise InputError(f"{what} must be a numpy array, got {type(value).__name__}")
    if value.dtype != dtype:
        raise InputError(f"{what} has dtype {value.dtype}, expected {dtype} (the kernel's dtype; convert explicitly)")
    if value.ndim != len(shape) or any(w is not None and s != w for s, w in zip(value.shape, shape)):
        want = "(" + ", ".join("?" if w is None else str(w) for w in shape) + ("," if len(shape) == 1 else "") + ")"
        raise InputError(f"{what} has shape {value.shape}, expected {want}")
    if value.size and not np.isfinite(value).all():
        raise InputError(f"{what} contains NaN or infinite values")
    return np.ascontiguousarray(value)


class Tape:
    """What the forward pass keeps for the backward pass.

    ``nbytes`` counts the arrays the kernel allocated (the inputs are the
    caller's arrays and are only referenced); ``strict_nbytes`` is the size of
    the values the backward formulas read, one (T, B, n) array each.
    """

    def __init__(self, kernel, arrays, params, mask, T, B):
        self.kernel, self.arrays, self.params, self.mask, self.T, self.B = kernel, arrays, params, mask, T, B

    @property
    def nbytes(self) -> int:
        inputs = {f"_X_{d.name}" for d in self.kernel.cell.inputs}
        return sum(a.nbytes for k, a in self.arrays.items() if k not in inputs)

    @property
    def strict_nbytes(self) -> int:
        plan = self.kernel.plan
        vecs = {n[: -len("_prev")] if n.endswith("_prev") and plan.role(n) == "previous" else n for n in plan.needed}
        return sum(plan.n[v] for v in vecs) * self.T * self.B * self.kernel.dtype.itemsize

    def __repr__(self):
        return f"<Tape of {self.kernel.cell.name!r}: T={self.T}, B={self.B}, {self.nbytes} bytes>"


class Kernel:
    """Generated NumPy forward and backward of one cell at fixed sizes and dtype.

    Build it with :func:`symrnn.compile`; :attr:`backend` is "numpy" (the generated NumPy source) or
    "numba" (the compiled path of :mod:`symrnn.codegen.fast`, same results).  Parameters live in :attr:`params`
    (numeric layout of :mod:`symrnn.numeric`: matrices (rows, cols) as declared,
    ``W @ x``; vectors (n,)); :attr:`source` is the generated Python source.

    Examples
    --------
    >>> import numpy as np, symrnn
    >>> k = symrnn.compile(symrnn.cell("lstm_peephole"), D=2, H=3)
    >>> k.params["p_i"].shape, k.plan.width
    ((3,), 12)
    >>> out, final, tape = k.forward(np.zeros((4, 1, 2)), lengths=np.array([2]))
    >>> bool((out[2:] == 0).all()), round(tape.nbytes / tape.strict_nbytes, 2)
    (True, 1.07)
    """

    def __init__(self, cell, sizes: Mapping[str, int], dtype=np.float64, params=None, backend="numpy"):
        from .fast import resolve

        self.backend = resolve(backend)
        self.cell = cell
        self.sizes = {s.name: v for s, v in resolve_sizes(cell, sizes).items()}
        self.dtype = check_dtype(dtype)
        self.plan = make_plan(cell, self.sizes)
        self.source = forward_source(self.plan) + "\n\n" + backward_source(self.plan)
        foreign = foreign_identifiers(self.source)
        if foreign:  # a generator bug, never the user's: names must not meet generated ones
            raise CompileError(f"cell {cell.name!r}: generated code would use identifiers {sorted(foreign)} "
                               "outside its reserved namespace (a symrnn bug; please report it)")
        namespace = dict(RUNTIME)
        exec(compile(self.source, f"<symrnn kernel {cell.name}>", "exec"), namespace)
        self._forward, self._backward = namespace["_forward"], namespace["_backward"]
        self._inference_forward = None
        if self.backend == "numba":  # the compiled path replaces the two passes, every check above stays
            from .fast.bind import bind

            self._forward, self._backward = bind(self)
        self.input_names = tuple(d.name for d in cell.inputs)
        self.state_names = cell.state_names
        self.output = cell.output
        self.output_size = self.plan.n[cell.output]
        self._params = None
        if params is None:
            from ..numeric.params import init_params

            params = init_params(cell, self.sizes, rng=0, dtype=self.dtype)
        self.params = params

    # ------------------------------------------------------------ parameters
    @property
    def params(self) -> dict:
        """Parameter arrays by name; assigning checks names and shapes and casts to the kernel dtype."""
        return self._params

    @params.setter
    def params(self, values):
        self._params = self.check_params(values)

    def check_params(self, values) -> dict:
        if not isinstance(values, Mapping):
            raise InputError(f"params must be a dict of arrays, got {type(values).__name__}")
        shapes = self.plan.shapes
        missing = [n for n in shapes if n not in values]
        extra = [n for n in values if n not in shapes]
        if missing or extra:
            raise InputError(f"params of {self.cell.name!r}: missing {missing}, unexpected {extra}; "
                             f"expected exactly {list(shapes)}")
        out = {}
        for name, shape in shapes.items():
            v = values[name]
            if not (isinstance(v, np.ndarray) and v.dtype.kind == "f"):
                raise InputError(f"params[{name!r}] must be a floating numpy array, got "
                                 f"{getattr(v, 'dtype', type(v).__name__)}")
            out[name] = check_array(v.astype(self.dtype, copy=False), f"params[{name!r}]", shape, self.dtype)
        return out

    # --------------------------------------------------------------- forward
    def forward(self, xs, initial=None, lengths=None, *, tape: bool = True):
        """Run the cell over a batch of sequences.

        Parameters
        ----------
        xs : (T, B, n) array, or dict input name -> (T, B, n) array
        initial : dict state name -> (B, n) array, optional (missing states start at zero)
        lengths : (B,) integer array, optional
            Valid steps of each sequence (1 <= length <= T); past its length a
            sequence keeps its state and its outputs are zero (PyTorch packed sequences).
        tape : bool, default True
            False for inference: a forward pass generated without a tape (no memory
            kept for backward; intermediates live one step); the third value is then None.

        Returns
        -------
        outputs : (T, B, n_out) array
        final : dict state name -> (B, n) array
        tape : Tape, or None with ``tape=False``

        Examples
        --------
        >>> import numpy as np, symrnn
        >>> k = symrnn.compile(symrnn.cell("gru_reset_after"), input_size=3, hidden_size=4)
        >>> out, final, tape = k.forward(np.ones((5, 2, 3)))
        >>> out.shape, bool(np.allclose(out[-1], final["h"]))
        ((5, 2, 4), True)
        >>> same, _, nothing = k.forward(np.ones((5, 2, 3)), tape=False)
        >>> bool(np.array_equal(same, out)), nothing
        (True, None)
        """
        if not isinstance(tape, bool):
            raise InputError(f"tape must be True or False, got {tape!r}")
        xs = self._check_inputs(xs)
        T, B = next(iter(xs.values())).shape[:2]
        init = self._check_states(initial, B, "initial")
        mask = lengths_mask(lengths, T, B)
        arrays = (self._forward if tape else self._inference())(xs, self._params, init, mask)
        seq = arrays[f"_S_{self.output}"][1:]
        outputs = seq if mask is None else np.where(mask, seq, 0).astype(self.dtype, copy=False)
        final = {s: arrays.pop(f"_F_{s}") for s in self.state_names}
        return outputs, final, (Tape(self, arrays, self._params, mask, T, B) if tape else None)

    def _inference(self):
        """The forward pass without a tape, generated on first use from the same description."""
        if self._inference_forward is None and self.backend == "numba":
            from .fast.bind import bind_inference

            self._inference_forward = bind_inference(self)
        if self._inference_forward is None:
            plan = make_plan(self.cell, self.sizes, inference=True)
            source = forward_source(plan, "_forward")
            if foreign_identifiers(source):
                raise CompileError(f"cell {self.cell.name!r}: generated inference code leaves its namespace (a symrnn bug)")
            namespace = dict(RUNTIME)
            exec(compile(source, f"<symrnn inference kernel {self.cell.name}>", "exec"), namespace)
            self._inference_forward, self.inference_source = namespace["_forward"], source
        return self._inference_forward

    def backward(self, tape, d_outputs, d_final=None) -> dict:
        """Gradients of a loss given its gradients w.r.t. the outputs and the final states.

        Returns a dict with every parameter (same shapes as :attr:`params`), every
        input (T, B, n) and every state's initial value (B, n), by name.

        Examples
        --------
        >>> import numpy as np, symrnn
        >>> k = symrnn.compile(symrnn.cell("rnn"), D=2, H=3)
        >>> out, final, tape = k.forward(np.ones((4, 1, 2)))
        >>> g = k.backward(tape, np.ones_like(out))
        >>> sorted(g), g["W"].shape, g["x"].shape
        (['U', 'W', 'b', 'h', 'x'], (3, 2), (4, 1, 2))
        """
        if not isinstance(tape, Tape) or tape.kernel is not self:
            raise InputError("tape must be the Tape returned by this kernel's forward()")
        d_out = check_array(d_outputs, "d_outputs", (tape.T, tape.B, self.output_size), self.dtype)
        d_fin = self._check_states(d_final, tape.B, "d_final")
        return self._backward(tape.arrays, tape.params, d_out, d_fin, tape.mask)

    # ------------------------------------------------------------ validation
    def _check_inputs(self, xs) -> dict:
        if isinstance(xs, np.ndarray) or not isinstance(xs, Mapping):
            if len(self.input_names) != 1:
                raise InputError(f"xs must be a dict with inputs {list(self.input_names)}")
            xs = {self.input_names[0]: xs}
        extra = [k for k in xs if k not in self.input_names]
        missing = [k for k in self.input_names if k not in xs]
        if extra or missing:
            raise InputError(f"xs: missing inputs {missing}, unexpected {extra}; expected {list(self.input_names)}")
        out, T, B = {}, None, None
        for name in self.input_names:
            what = "xs" if len(self.input_names) == 1 else f"xs[{name!r}]"
            v = check_array(xs[name], what, (T, B, self.plan.n[name]), self.dtype)
            if v.shape[0] == 0 or v.shape[1] == 0:
                raise InputError(f"{what} has shape {v.shape}: T and B must be at least 1")
            T, B = v.shape[:2]
            out[name] = v
        return out

    def _check_states(self, values, B, what) -> dict:
        if values is None:
            values = {}
        if isinstance(values, np.ndarray) and len(self.state_names) == 1:
            values = {self.state_names[0]: values}
        if not isinstance(values, Mapping):
            raise InputError(f"{what} must be a dict state name -> (B, n) array, got {type(values).__name__}")
        extra = [k for k in values if k not in self.state_names]
        if extra:
            raise InputError(f"{what}: unexpected states {extra}; the states are {list(self.state_names)}")
        out = {}
        for s in self.state_names:
            n = self.plan.n[s]
            out[s] = (check_array(values[s], f"{what}[{s!r}]", (B, n), self.dtype) if s in values
                      else np.zeros((B, n), self.dtype))
        return out

    def __repr__(self):
        return f"<Kernel {self.cell.name!r} {self.sizes} {self.dtype}>"


def lengths_mask(lengths, T: int, B: int):
    """(T, B, 1) bool mask from per-sequence lengths, or None; checks 1 <= length <= T."""
    if lengths is None:
        return None
    lengths = np.asarray(lengths)
    if lengths.shape != (B,) or lengths.dtype.kind not in "iu":
        raise InputError(f"lengths must be an integer array of shape ({B},), got {lengths.dtype} {lengths.shape}")
    if lengths.min() < 1 or lengths.max() > T:
        raise InputError(f"lengths must lie in 1..{T} (T), got min {lengths.min()} max {lengths.max()}")
    return (np.arange(T)[:, None] < lengths[None, :])[:, :, None]
