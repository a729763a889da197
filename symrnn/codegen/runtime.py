"""The namespace generated kernels run in: stable activations and stacking helpers.

Every name here starts with an underscore (NumPy is ``_np``, ``range`` is
``_range``), so no local of the generated code, and no user name, can shadow
one (see :mod:`symrnn.codegen.naming`).
"""

from __future__ import annotations

import numpy as np

from ..spec.faces import _stable_sigmoid

__all__ = ["RUNTIME"]


_sigmoid = _stable_sigmoid  # σ to a few ulps relative (the function table's NumPy face, with ``out=``)


def _sigmoid_of_half(half_a, out=None):
    """σ(a) from a/2: 0.5 + 0.5 tanh(a/2) (the GEMM already produced a/2).

    Exact to one ulp of 1 (absolute), which is what a gate multiplying a state needs; the RNN
    kernels use it for their gates. Values whose logarithm or complement is taken use :func:`_sigmoid`.
    """
    out = np.tanh(half_a, out=out)
    out *= 0.5
    out += 0.5
    return out


def _relu(a, out=None):
    return np.maximum(a, 0, out=out)


def _leaky_relu(a, s, out=None):
    """LeakyReLU with negative slope ``s``: a for a > 0, s·a otherwise (``out`` receives it if given)."""
    value = np.where(a > 0, a, s * a)
    if out is None:
        return value
    out[...] = value
    return out


def _softplus(a, out=None):
    """log(1 + e^a) without overflow (``np.logaddexp(0, a)``)."""
    return np.logaddexp(0.0, a, out=out)


def _heaviside(a, out=None):
    """H(a) with H(0) = 0, in the dtype of ``a``."""
    if out is None:
        return (a > 0).astype(a.dtype)
    np.greater(a, 0, out=out)
    return out


def _stack(rows, cols, blocks, dt):
    """Rows ``lo:hi`` of a (rows, cols) matrix are ``coeff * M`` (summed), zero elsewhere."""
    out = np.zeros((rows, cols), dt)
    for lo, hi, m, c in blocks:
        out[lo:hi] += m if c == 1.0 else c * m
    return out


def _stack_bias(width, blocks, dt):
    out = np.zeros(width, dt)
    for lo, hi, b, c in blocks:
        out[lo:hi] += b if c == 1.0 else c * b
    return out


def _acc(grads, name, value):
    """Add ``value`` to ``grads[name]`` (a parameter may appear in several blocks)."""
    if name in grads:
        grads[name] = grads[name] + value
    else:
        grads[name] = value


RUNTIME = {"_np": np, "_range": range, "_sigmoid": _sigmoid, "_sigmoid_of_half": _sigmoid_of_half, "_relu": _relu, "_leaky_relu": _leaky_relu, "_softplus": _softplus, "_heaviside": _heaviside,
           "_stack": _stack, "_stack_bias": _stack_bias, "_acc": _acc}
"""Names generated source may use."""
