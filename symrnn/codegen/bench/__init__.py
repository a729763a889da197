"""Benchmark: the generated kernels against their peers, each implementation in a process of its own.

Why processes: NumPy's OpenBLAS and PyTorch's OpenMP keep their thread pools
spinning after a call; on two cores, whichever library ran next in the same
process was measured up to 2.3× slower (PyTorch's LSTM at H = 128: 70.7 ms
next to NumPy, 30.6 ms alone), and pauses or order rotation did not remove it.

Process model
-------------
* The parent (:mod:`.runner`) imports neither torch nor JAX and times nothing.
* Before any timing, one check worker per implementation returns outputs,
  final states and every gradient at a small configuration
  (:data:`.runner.CHECK_SIZES`); the parent compares them with the generated
  kernel's, and the generated forward with the plain reference loop
  (:func:`symrnn.numeric.run`).  A disagreement stops the run.
* Then one fresh worker (:mod:`.worker`, ``python -m``) per (implementation,
  configuration, repeat), the order of implementations alternating between
  repeats.  A worker imports only its implementation's module
  (:mod:`.numpy_side`, :mod:`.torch_side`, :mod:`.jax_side`), rebuilds the
  inputs from the configuration's seed (:func:`.configs.inputs`: no data
  crosses processes), warms up, times fwd+bwd and then forward only, and
  prints one JSON line.
* A ratio is paired (:func:`.report.paired_ratio`): repeat r of A over
  repeat r of B, the median over r.

Implementations (:data:`.implementations.IMPLEMENTATIONS`): the generated
kernel (forward-only without a tape when the kernel offers ``tape=False``),
hand-written NumPy (LSTM, GRU, RNN), the GEMM floor (:func:`gemm_floor`: the
kernel's products alone), ``torch.nn`` LSTM / GRU / RNN, a custom torch cell
written with autograd (:mod:`.custom_cells`, every cell, including the user
cells MGU and ``lstm_peephole``), and JAX ``jit(value_and_grad)`` over
``lax.scan`` when JAX is installed, and the compiled kernel (``numba``:
:mod:`symrnn.codegen.fast`, ratios ``nb/…``) when numba is.  Thread settings are the libraries'
defaults, recorded in the result.  Code generation is timed in a first and a
second fresh process per cell.
"""

from .configs import CELLS, Config, description, inputs, mgu
from .floor import gemm_floor, multiply_adds
from .report import format_table, paired_ratio, summarise
from .runner import BenchError, agreement, check, codegen_times, implementations, run

__all__ = ["CELLS", "Config", "description", "inputs", "mgu", "gemm_floor", "multiply_adds", "format_table",
           "paired_ratio", "summarise", "BenchError", "agreement", "check", "codegen_times", "implementations", "run"]
