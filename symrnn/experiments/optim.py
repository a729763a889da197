"""Adam over a dict of NumPy arrays, step for step the update of ``torch.optim.Adam``.

The update (Kingma & Ba 2015, Algorithm 1, in PyTorch's arrangement of the
bias corrections, so that float64 results agree with ``torch.optim.Adam`` to
rounding)::

    m ← β₁ m + (1 − β₁) g
    v ← β₂ v + (1 − β₂) g²
    p ← p − (lr / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + ε)

Parameters are updated in place, so a kernel whose ``params`` dict holds the
same arrays sees the new values without being re-assigned.

References
----------
D. P. Kingma and J. Ba, "Adam: A Method for Stochastic Optimization", ICLR 2015.
"""

from __future__ import annotations

import math
from typing import Mapping

import numpy as np

from ..errors import InputError

__all__ = ["Adam", "clip_by_global_norm"]


class Adam:
    """Adam optimizer for a ``{name: float array}`` dict, updating the arrays in place.

    Parameters
    ----------
    params : dict of str -> numpy.ndarray
        The arrays to optimise (floating, updated in place).
    lr : float
        Learning rate (α in Kingma & Ba 2015), > 0.
    betas : (float, float)
        β₁, β₂ in [0, 1).
    eps : float
        ε added to the denominator, >= 0.

    Raises
    ------
    InputError
        Non-float arrays or out-of-range hyper-parameters; a ``step`` whose
        gradients miss a parameter or have the wrong shape.

    Examples
    --------
    Minimise (p − 3)² from p = 0:

    >>> import numpy as np
    >>> p = {"p": np.zeros(1)}
    >>> opt = Adam(p, lr=0.1)
    >>> for _ in range(500):
    ...     opt.step({"p": 2 * (p["p"] - 3)})
    >>> round(float(p["p"][0]), 3)
    3.0
    """

    def __init__(self, params: Mapping[str, np.ndarray], *, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8):
        if not isinstance(params, Mapping):
            raise InputError(f"params must be a dict of arrays, got {type(params).__name__}")
        for name, value in params.items():
            if not (isinstance(value, np.ndarray) and value.dtype.kind == "f"):
                raise InputError(f"params[{name!r}] must be a floating numpy array, got {type(value).__name__}")
        if not (isinstance(lr, (int, float)) and lr > 0):
            raise InputError(f"lr={lr!r} must be a positive number")
        b1, b2 = betas
        if not (0 <= b1 < 1 and 0 <= b2 < 1):
            raise InputError(f"betas={betas!r} must lie in [0, 1)")
        if not eps >= 0:
            raise InputError(f"eps={eps!r} must be >= 0")
        self.params, self.lr, self.betas, self.eps = params, float(lr), (float(b1), float(b2)), float(eps)
        self.t = 0
        self.m = {k: np.zeros_like(v) for k, v in params.items()}
        self.v = {k: np.zeros_like(v) for k, v in params.items()}

    def step(self, grads: Mapping[str, np.ndarray]) -> None:
        """Apply one update given ``grads[name]`` for every parameter (extra keys are ignored)."""
        for name, p in self.params.items():
            g = grads.get(name) if isinstance(grads, Mapping) else None
            if g is None or np.shape(g) != p.shape:
                raise InputError(f"grads[{name!r}] must be an array of shape {p.shape}, got "
                                 f"{None if g is None else np.shape(g)}")
        self.t += 1
        b1, b2 = self.betas
        bc1, bc2 = 1 - b1 ** self.t, 1 - b2 ** self.t
        step_size, bc2_sqrt = self.lr / bc1, math.sqrt(bc2)
        for name, p in self.params.items():
            g, m, v = grads[name], self.m[name], self.v[name]
            m *= b1
            m += (1 - b1) * g
            v *= b2
            v += (1 - b2) * g * g
            p -= step_size * m / (np.sqrt(v) / bc2_sqrt + self.eps)


def clip_by_global_norm(grads: dict, max_norm: float) -> float:
    """Scale ``grads`` in place so that their joint L2 norm is at most ``max_norm``; returns the norm before.

    The usual remedy for exploding gradients (Pascanu, Mikolov & Bengio 2013);
    the same rule as ``torch.nn.utils.clip_grad_norm_``.

    Examples
    --------
    >>> import numpy as np
    >>> g = {"a": np.array([3.0]), "b": np.array([4.0])}
    >>> clip_by_global_norm(g, 1.0), [round(float(v[0]), 2) for v in g.values()]
    (5.0, [0.6, 0.8])
    """
    norm = math.sqrt(sum(float(np.vdot(g, g)) for g in grads.values()))
    if norm > max_norm:
        scale = max_norm / (norm + 1e-6)
        for g in grads.values():
            g *= scale
    return norm
