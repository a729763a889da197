"""The PyTorch implementations a worker can time: ``torch.nn`` modules and the custom autograd cell.

Inputs are built with NumPy from the seed (no BLAS call) and handed to torch
once; every product then runs in torch.  fwd+bwd is what a training step does:
gradients set to None, forward, ``backward(R)`` (the gradient of Σ h_t·R_t);
forward-only runs under ``torch.no_grad()``.  Gradients w.r.t. the inputs and
the initial states are computed too, as the generated kernel computes them.
"""

from __future__ import annotations

import copy
import types

import numpy as np

from ...interop.torch import params_from_torch, to_torch
from .configs import TORCH_TWIN, Config, description, inputs
from .custom_cells import CUSTOM, stack, unstack

try:
    import torch
except ImportError:  # the worker loads this module only where torch is installed; this keeps it importable
    torch = OPS = None
else:
    OPS = types.SimpleNamespace(sigmoid=torch.sigmoid, tanh=torch.tanh)

__all__ = ["NNModule", "TorchCustom", "TorchModule", "threads"]


def _tensor(a: np.ndarray, grad: bool = False) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(a)).requires_grad_(grad)


def _numpy(t) -> np.ndarray:
    return t.detach().numpy().copy()


def threads() -> dict:
    """torch's thread settings (left at the library defaults, recorded)."""
    return {"torch_num_threads": torch.get_num_threads(), "torch_num_interop_threads": torch.get_num_interop_threads(),
            "torch": torch.__version__}


class _Torch:
    """Shared inputs: x, initial states and R as tensors; leaves get gradients."""

    def __init__(self, config: Config):
        data = inputs(config)
        self.data, self.dtype = data, np.dtype(config.dtype)
        self.states = description(config.cell).state_names
        self.x = _tensor(data["x"], True)
        self.init = [_tensor(data["initial"][s], True) for s in self.states]
        self.R = _tensor(data["d_out"])

    def _leaves(self):
        return [self.x, *self.init, *self.parameters()]

    def fb(self):
        for t in self._leaves():
            t.grad = None
        out, _ = self.run()
        out.backward(self.R)

    def fwd(self):
        with torch.no_grad():
            self.run()

    def result(self) -> dict:
        self.fb()
        with torch.no_grad():
            out, final = self.run()
        grads = self.param_grads() | {"x": _numpy(self.x.grad)}
        grads |= {s: _numpy(t.grad).reshape(t.shape[-2:]) for s, t in zip(self.states, self.init)}
        return {"outputs": _numpy(out), "final": {s: _numpy(v).reshape(v.shape[-2:]) for s, v in zip(self.states, final)},
                "grads": grads}

    def threads(self) -> dict:
        return threads()


class NNModule(_Torch):
    """``torch.nn.LSTM`` / ``GRU`` / ``RNN`` with the benchmark's parameters (:func:`symrnn.interop.to_torch`)."""

    def __init__(self, config: Config):
        super().__init__(config)
        kind = TORCH_TWIN[config.cell]
        self.module = getattr(torch.nn, kind)(config.H, config.H).to(getattr(torch, config.dtype))
        to_torch(self.data["params"], self.module)
        self.init = [_tensor(self.data["initial"][s][None], True) for s in self.states]  # (layers, B, H)
        self.hx = tuple(self.init) if kind == "LSTM" else self.init[0]

    def parameters(self):
        return list(self.module.parameters())

    def run(self):
        out, final = self.module(self.x, self.hx)
        return out, (final if isinstance(final, tuple) else (final,))

    def param_grads(self) -> dict:
        """Gradients by symrnn name: the module's gradients loaded into a copy, recurrent biases of merged gates zeroed.

        symrnn's b_g stands for bias_ih + bias_hh, and ∂L/∂b_g = ∂L/∂bias_ih; only the GRU's
        n gate keeps ``bias_hh`` apart (b_hn).
        """
        grads = copy.deepcopy(self.module)
        H = self.module.hidden_size
        with torch.no_grad():
            for (name, p), q in zip(self.module.named_parameters(), grads.parameters()):
                q.copy_(p.grad)
                if name.startswith("bias_hh"):
                    keep = slice(2 * H, 3 * H) if isinstance(self.module, torch.nn.GRU) else slice(0, 0)
                    kept = q[keep].clone()
                    q.zero_()
                    q[keep] = kept
        return params_from_torch(grads, self.dtype)


class TorchCustom(_Torch):
    """The custom cell a user writes (:mod:`.custom_cells`): a Python loop of torch ops over t, autograd."""

    def __init__(self, config: Config):
        super().__init__(config)
        self.cell = CUSTOM[config.cell]
        self.p = {k: _tensor(v, True) for k, v in stack(self.cell, self.data["params"]).items()}

    def parameters(self):
        return list(self.p.values())

    def run(self):
        p, x = self.p, self.x
        T, B, D = x.shape
        xw = (x.reshape(T * B, D) @ p["W"].T + p["b"]).reshape(T, B, -1)
        state, outs = tuple(self.init), []
        # unbind, not xw[t]: autograd's backward of each xw[t] writes a zero (T, B, n) gradient and adds it,
        # T times per backward (O(T²) memory traffic; at T = 100, H = 512 that made this cell 5x slower)
        for xw_t in xw.unbind(0):
            state = self.cell.step(OPS, p, xw_t, state)
            outs.append(state[0])
        return torch.stack(outs), state

    def param_grads(self) -> dict:
        shapes = {k: v.shape for k, v in self.data["params"].items()}
        return unstack(self.cell, {k: _numpy(v.grad) for k, v in self.p.items()}, shapes)


class TorchModule(_Torch):
    """:func:`symrnn.torch_module` of the benchmark's description: generated forward, derived backward, on torch."""

    def __init__(self, config: Config):
        super().__init__(config)
        import symrnn

        self.module = symrnn.torch_module(description(config.cell), input_size=config.H, hidden_size=config.H,
                                          dtype=getattr(torch, config.dtype))
        with torch.no_grad():
            for name, value in self.data["params"].items():
                getattr(self.module, name).copy_(torch.from_numpy(np.ascontiguousarray(value)))

    def parameters(self):
        return list(self.module.parameters())

    def run(self):
        out, final = self.module(self.x, dict(zip(self.states, self.init)))
        return out, tuple(final[s] for s in self.states)

    def param_grads(self) -> dict:
        return {n: _numpy(p.grad) for n, p in self.module.named_parameters()}
