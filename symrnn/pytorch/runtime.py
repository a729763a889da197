"""The namespace in which the generated kernel source runs on torch tensors of one device.

The generated source (:func:`~symrnn.codegen.forward.forward_source`,
:func:`~symrnn.codegen.backward.backward_source`) calls array functions only
through ``_np`` and the helpers of :data:`symrnn.codegen.runtime.RUNTIME`.
:func:`namespace` gives the same names over torch: ``_np`` is a small adapter
(:class:`TorchArrays`) whose ``empty`` / ``zeros`` allocate with the dtype the
code passes *and the device of the namespace*, and whose ``out=`` functions
write into the given (possibly strided) tensor view, as NumPy's do.  Nothing
allocates on a device of its own choosing, so the same source runs on CPU,
CUDA or the ``meta`` device.

:func:`check_source` reads a generated source before it runs: every ``_np``
function, every runtime helper and every tensor method it uses must exist
here, so a generator change that torch cannot follow is a
:class:`~symrnn.errors.CompileError` when the module is built, never a wrong
number.
"""

from __future__ import annotations

import ast

import torch

from ..codegen.runtime import RUNTIME, _acc
from ..errors import CompileError

__all__ = ["TorchArrays", "namespace", "check_source", "METHODS", "TENSOR_ATTRIBUTES"]

METHODS = {"copy": "clone", "fill": "fill_"}
"""NumPy method spellings of the generator -> their torch spellings (``forward_source(..., methods=METHODS)``)."""

TENSOR_ATTRIBUTES = frozenset({"T", "shape", "dtype", "reshape", "sum", "clone", "fill_"})
"""Attributes the generated code may read on a tensor (anything else is refused by :func:`check_source`)."""


def _tensor(value, like):
    """``value`` as a tensor broadcastable against ``like`` (a Python number becomes a 0-d tensor)."""
    return value if isinstance(value, torch.Tensor) else torch.tensor(value, dtype=like.dtype, device=like.device)


class TorchArrays:
    """The ``_np`` of generated code on one torch device (NumPy's call signatures, torch's kernels).

    Examples
    --------
    >>> import torch
    >>> np_ = TorchArrays(torch.device("cpu"))
    >>> out = np_.empty((2, 3), torch.float64)
    >>> _ = np_.matmul(torch.ones(2, 4, dtype=torch.float64), torch.ones(4, 3, dtype=torch.float64), out=out)
    >>> out[0].tolist()
    [4.0, 4.0, 4.0]
    >>> np_.copyto(out, torch.zeros(2, 3, dtype=torch.float64), where=torch.tensor([[True], [False]]))
    >>> out.tolist()
    [[0.0, 0.0, 0.0], [4.0, 4.0, 4.0]]
    """

    def __init__(self, device: torch.device):
        self.device = device

    def empty(self, shape, dtype):
        return torch.empty(shape, dtype=dtype, device=self.device)

    def zeros(self, shape, dtype):
        return torch.zeros(shape, dtype=dtype, device=self.device)

    @staticmethod
    def zeros_like(a):
        return torch.zeros_like(a)

    @staticmethod
    def matmul(a, b, out=None):
        return torch.matmul(a, b) if out is None else torch.matmul(a, b, out=out)

    @staticmethod
    def multiply(a, b, out=None):
        if not isinstance(a, torch.Tensor):
            a, b = b, a
        return torch.mul(a, b) if out is None else torch.mul(a, b, out=out)

    @staticmethod
    def copyto(dst, src, where=None):
        if where is not None:
            dst.copy_(torch.where(where, _tensor(src, dst), dst))
        elif isinstance(src, torch.Tensor):
            dst.copy_(src)
        else:
            dst.fill_(src)


def _unary(fn):
    """NumPy's ``f(a, out=None)`` over torch's ``fn``."""
    return staticmethod(lambda a, out=None: fn(a) if out is None else fn(a, out=out))


for _name in ("tanh", "exp", "log", "sqrt"):  # the elementwise functions the printer spells np.<name>
    setattr(TorchArrays, _name, _unary(getattr(torch, _name)))


def _into(value, out):
    if out is None:
        return value
    out.copy_(value)
    return out


def _sigmoid(a, out=None):
    """σ(a) (torch's sigmoid: accurate to a few ulps relative, like the NumPy runtime's)."""
    return torch.sigmoid(a) if out is None else torch.sigmoid(a, out=out)


def _sigmoid_of_half(half_a, out=None):
    """σ(a) from a/2 (the GEMM produced a/2): torch's sigmoid of 2·(a/2), two passes (tanh's form takes three)."""
    if out is half_a:
        return torch.sigmoid(half_a.mul_(2.0), out=out)
    return _sigmoid(half_a * 2.0, out)


def _relu(a, out=None):
    return torch.clamp(a, min=0.0) if out is None else torch.clamp(a, min=0.0, out=out)


def _leaky_relu(a, s, out=None):
    return _into(torch.where(a > 0, a, s * a), out)


def _softplus(a, out=None):
    """log(1 + e^a) without overflow (no threshold: ``F.softplus`` returns a itself above 20)."""
    return _into(torch.logaddexp(a, torch.zeros((), dtype=a.dtype, device=a.device)), out)


def _heaviside(a, out=None):
    """H(a) with H(0) = 0, in the dtype of ``a``."""
    return _into((a > 0).to(a.dtype), out)


def _stacker(device):
    def _stack(rows, cols, blocks, dt):
        """Rows ``lo:hi`` of a (rows, cols) matrix are ``coeff * M`` (summed), zero elsewhere."""
        out = torch.zeros((rows, cols), dtype=dt, device=device)
        for lo, hi, m, c in blocks:
            out[lo:hi] += m if c == 1.0 else c * m
        return out

    def _stack_bias(width, blocks, dt):
        out = torch.zeros(width, dtype=dt, device=device)
        for lo, hi, b, c in blocks:
            out[lo:hi] += b if c == 1.0 else c * b
        return out

    return _stack, _stack_bias


def namespace(device) -> dict:
    """The names generated source may use (:data:`symrnn.codegen.runtime.RUNTIME`'s), over ``device``.

    Examples
    --------
    >>> from symrnn.codegen.runtime import RUNTIME
    >>> sorted(namespace("cpu")) == sorted(RUNTIME)
    True
    """
    device = torch.device(device)
    stack, stack_bias = _stacker(device)
    return {"_np": TorchArrays(device), "_range": range, "_sigmoid": _sigmoid, "_sigmoid_of_half": _sigmoid_of_half,
            "_relu": _relu, "_leaky_relu": _leaky_relu, "_softplus": _softplus, "_heaviside": _heaviside,
            "_stack": stack, "_stack_bias": stack_bias, "_acc": _acc}


_ARRAYS = frozenset(name for name in vars(TorchArrays) if not name.startswith("_"))

if sorted(namespace("cpu")) != sorted(RUNTIME):  # one runtime, two faces: the names must stay the same
    raise ImportError(f"symrnn.pytorch.runtime: names {sorted(set(RUNTIME) ^ set(namespace('cpu')))} "
                      "differ from symrnn.codegen.runtime.RUNTIME")


def check_source(source: str, what: str) -> None:
    """Refuse generated source that uses an array function or tensor method this runtime lacks.

    Examples
    --------
    >>> check_source("_np.tanh(_v_a, out=_v_a)\\n_Y = _v_a.reshape(2, 3)", "example")
    >>> check_source("_v_a.astype(_dt)", "example")
    Traceback (most recent call last):
    ...
    symrnn.errors.CompileError: example: the generated code reads .astype, which the torch runtime lacks (a symrnn bug; please report it)
    """
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Attribute):
            continue
        on_np = isinstance(node.value, ast.Name) and node.value.id == "_np"
        if (node.attr not in _ARRAYS) if on_np else (node.attr not in TENSOR_ATTRIBUTES):
            name = f"_np.{node.attr}" if on_np else f".{node.attr}"
            raise CompileError(f"{what}: the generated code reads {name}, which the torch runtime lacks "
                               "(a symrnn bug; please report it)")


def _check_table():
    from ..spec.symbols import FUNCTIONS

    ns = namespace("cpu")
    for row in FUNCTIONS.values():
        spelling = row.numpy
        ok = spelling[3:] in _ARRAYS if spelling.startswith("np.") else spelling in ns
        if not ok:
            raise ImportError(f"symrnn.pytorch.runtime: activation {row.name!r} ({spelling}) has no torch face")


_check_table()
