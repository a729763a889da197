"""The hand-written fused-GEMM NumPy LSTM, GRU and RNN the benchmark compares against.

They live in :mod:`symrnn.codegen.handwritten` so that ``symrnn bench`` works from an
installed wheel; this module re-exports them for scripts in ``benchmarks/``.
"""

from symrnn.codegen.handwritten import *  # noqa: F401,F403
from symrnn.codegen.handwritten import __all__  # noqa: F401
