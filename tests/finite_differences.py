"""Central finite differences in float64: the shared oracle for every backward-pass test."""

from __future__ import annotations

import numpy as np


def central_partial(f, array, idx, eps=1e-6):
    """(f() at array[idx] + eps − f() at array[idx] − eps) / 2eps; ``array`` is perturbed in place and restored."""
    old = array[idx]
    array[idx] = old + eps
    up = f()
    array[idx] = old - eps
    down = f()
    array[idx] = old
    return (up - down) / (2 * eps)


def central_gradient(f, array, eps=1e-6):
    """The gradient of the scalar ``f()`` with respect to every entry of ``array``."""
    out = np.zeros_like(array)
    for idx in np.ndindex(array.shape):
        out[idx] = central_partial(f, array, idx, eps)
    return out
