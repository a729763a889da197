"""The NumPy implementations a worker can time: the generated kernel, hand-written NumPy, the GEMM floor.

Each class is built from a :class:`~.configs.Config` (inputs rebuilt from its
seed) and offers ``fb()`` (forward + backward of Σ h_t·R_t), ``fwd()``
(forward only), ``result()`` (outputs, final states and gradients by symrnn
name, for the correctness check) and ``extra()`` (figures other than time).
This module never imports torch or JAX.
"""

from __future__ import annotations

import inspect
import tracemalloc

import numpy as np

from .. import handwritten as hw
from .configs import Config, description, inputs
from .floor import gemm_floor, multiply_adds

__all__ = ["Generated", "Handwritten", "GemmFloor"]


def _kernel(config: Config, params=None):
    from .. import compile as compile_kernel

    return compile_kernel(description(config.cell), D=config.H, H=config.H, dtype=np.dtype(config.dtype),
                          params=params)


class Generated:
    """The generated kernel (:func:`symrnn.compile`); forward-only runs without a tape when the kernel offers it."""

    def __init__(self, config: Config):
        data = inputs(config)
        self.kernel = _kernel(config, data["params"])
        self.x, self.initial, self.d_out = data["x"], data["initial"], data["d_out"]
        self.no_tape = "tape" in inspect.signature(self.kernel.forward).parameters
        self.fwd_kw = {"tape": False} if self.no_tape else {}

    def fb(self):
        _, _, tape = self.kernel.forward(self.x, self.initial)
        self.kernel.backward(tape, self.d_out)

    def fwd(self):
        self.kernel.forward(self.x, self.initial, **self.fwd_kw)

    def result(self) -> dict:
        out, final, tape = self.kernel.forward(self.x, self.initial)
        return {"outputs": out, "final": final, "grads": self.kernel.backward(tape, self.d_out)}

    def extra(self) -> dict:
        _, _, tape = self.kernel.forward(self.x, self.initial)
        peaks = {"forward_peak_bytes": self._peak()}
        if self.no_tape:
            peaks["forward_no_tape_peak_bytes"] = self._peak(tape=False)
        return {"tape_bytes": tape.nbytes, "tape_strict_bytes": tape.strict_nbytes,
                "forward_without_tape": self.no_tape, **peaks}


    def _peak(self, **kw) -> int:
        """Peak bytes the forward pass allocates (``tracemalloc``)."""
        tracemalloc.start()
        try:
            self.kernel.forward(self.x, self.initial, **kw)
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()


class Handwritten:
    """Hand-written fused-GEMM NumPy (:mod:`symrnn.codegen.handwritten`): LSTM, GRU and RNN."""

    def __init__(self, config: Config):
        data = inputs(config)
        self.kind, self.H = config.cell, config.H
        self.p = hw.pack(self.kind, data["params"])
        init = data["initial"]
        self.args = (data["x"], self.p, init["h"]) + ((init["c"],) if self.kind == "lstm" else ())
        self.d_out = data["d_out"]

    def fb(self):
        _, tape = hw.FORWARD[self.kind](*self.args)
        hw.BACKWARD[self.kind](tape, self.p, self.d_out)

    def fwd(self):
        hw.FORWARD[self.kind](*self.args)

    def result(self) -> dict:
        out, tape = hw.FORWARD[self.kind](*self.args)
        grads = hw.unpack(self.kind, hw.BACKWARD[self.kind](tape, self.p, self.d_out), self.H)
        final = {"h": out[-1]} | ({"c": tape["Cs"][-1]} if self.kind == "lstm" else {})
        return {"outputs": out, "final": final, "grads": grads}

    def extra(self) -> dict:
        _, tape = hw.FORWARD[self.kind](*self.args)
        return {"tape_bytes": sum(a.nbytes for k, a in tape.items() if k != "x")}


class GemmFloor:
    """The generated kernel's products alone (:func:`~.floor.gemm_floor`); not a cell, so no ``result()``."""

    def __init__(self, config: Config):
        kernel = _kernel(config)
        self.fb = gemm_floor(kernel, config.T, config.B)
        self.fwd = gemm_floor(kernel, config.T, config.B, backward=False)

    def extra(self) -> dict:
        return {"multiply_adds_fb": multiply_adds(self.fb), "multiply_adds_fwd": multiply_adds(self.fwd)}
