"""The compiled kernel (``backend="numba"``, :mod:`symrnn.codegen.fast`) as a benchmark implementation.

The same measurements as :class:`~.numpy_side.Generated` (fwd+bwd, forward
without a tape, tape and peak memory) on the kernel compiled from the same
description; its first call is timed after the compiled module is loaded (from
the disk cache when an earlier process compiled it).
"""

from __future__ import annotations

import numpy as np

from .configs import Config, description
from .numpy_side import Generated

__all__ = ["Compiled"]


class Compiled(Generated):
    """:class:`~.numpy_side.Generated` with the kernel on the compiled backend."""

    def __init__(self, config: Config):
        super().__init__(config)
        from .. import compile as compile_kernel

        self.kernel = compile_kernel(description(config.cell), D=config.H, H=config.H, dtype=np.dtype(config.dtype),
                                     params=self.kernel.params, backend="numba")
