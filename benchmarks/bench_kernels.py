"""Generated kernels vs hand-written NumPy vs PyTorch CPU: a thin script over ``symrnn bench``.

Usage: ``python benchmarks/bench_kernels.py [--sizes 32 128 512] [--json]`` (same flags as ``symrnn bench``).
"""

import sys

from symrnn.cli import main

if __name__ == "__main__":
    sys.exit(main(["bench", *sys.argv[1:]]))
