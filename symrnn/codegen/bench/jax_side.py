"""JAX, when it is installed: ``jit(value_and_grad)`` of Σ h_t·R_t over ``lax.scan`` of the custom cell.

The step is the same :mod:`.custom_cells` function the torch custom cell runs,
on ``jax.numpy`` arrays; forward-only is ``jit`` of the scan alone.  float64
needs ``jax_enable_x64``, set before any array exists.  Every timed call waits
for its result (``block_until_ready``): JAX dispatches asynchronously.
"""

from __future__ import annotations

import types

import numpy as np

from .configs import Config, description, inputs
from .custom_cells import CUSTOM, stack, unstack

try:
    import jax
    import jax.numpy as jnp
except ImportError:  # the worker loads this module only where JAX is installed; this keeps it importable
    jax = jnp = OPS = None
else:
    jax.config.update("jax_enable_x64", True)
    OPS = types.SimpleNamespace(sigmoid=jax.nn.sigmoid, tanh=jnp.tanh)

__all__ = ["Jax", "threads"]


def threads() -> dict:
    return {"jax": jax.__version__, "jax_devices": [str(d) for d in jax.devices()]}


class Jax:
    """The custom cell under ``jax.jit``: ``value_and_grad`` w.r.t. parameters, inputs and initial states."""

    def __init__(self, config: Config):
        data = inputs(config)
        self.data, self.cell = data, CUSTOM[config.cell]
        self.states = description(config.cell).state_names
        self.p = {k: jnp.asarray(v) for k, v in stack(self.cell, data["params"]).items()}
        self.x = jnp.asarray(data["x"])
        self.init = tuple(jnp.asarray(data["initial"][s]) for s in self.states)
        self.R = jnp.asarray(data["d_out"])
        self._fwd = jax.jit(self._run)
        self._fb = jax.jit(jax.value_and_grad(self._loss, argnums=(0, 1, 2)))

    def _run(self, p, x, init):
        T, B, D = x.shape
        xw = (x.reshape(T * B, D) @ p["W"].T + p["b"]).reshape(T, B, -1)

        def body(state, xw_t):
            state = self.cell.step(OPS, p, xw_t, state)
            return state, state[0]

        final, outs = jax.lax.scan(body, init, xw)
        return outs, final

    def _loss(self, p, x, init, R):
        return jnp.sum(self._run(p, x, init)[0] * R)

    def fb(self):
        jax.block_until_ready(self._fb(self.p, self.x, self.init, self.R))

    def fwd(self):
        jax.block_until_ready(self._fwd(self.p, self.x, self.init))

    def result(self) -> dict:
        _, (gp, gx, ginit) = self._fb(self.p, self.x, self.init, self.R)
        out, final = self._fwd(self.p, self.x, self.init)
        shapes = {k: v.shape for k, v in self.data["params"].items()}
        grads = unstack(self.cell, {k: np.asarray(v) for k, v in gp.items()}, shapes) | {"x": np.asarray(gx)}
        grads |= {s: np.asarray(g) for s, g in zip(self.states, ginit)}
        return {"outputs": np.asarray(out), "final": {s: np.asarray(v) for s, v in zip(self.states, final)},
                "grads": grads}

    def threads(self) -> dict:
        return threads()
