"""Generated kernels vs hand-written NumPy, PyTorch (nn.* and a custom autograd cell), JAX and the GEMM floor.

A thin script over ``symrnn bench``: every implementation runs in a process of
its own (one per implementation, configuration and repeat) and the ratios are
paired by repeat; see :mod:`symrnn.codegen.bench`.

Usage: ``python benchmarks/bench_kernels.py [--cells lstm mgu] [--sizes 32 128 512] [--repeats 5] [--json]``
(same flags as ``symrnn bench``).
"""

import sys

from symrnn.cli import main

if __name__ == "__main__":
    sys.exit(main(["bench", *sys.argv[1:]]))
