"""Sparse × dense products split by row blocks across threads.

SciPy's CSR × dense kernel runs on one core but releases the GIL, so row
blocks multiplied in a small thread pool use every core (PyTorch Geometric's
scatter kernels do the same).  Blocks are sliced once per operator; small
products stay on the calling thread.  ``SYMRNN_THREADS`` caps the threads.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np

__all__ = ["row_blocks", "matmul", "threads"]

_MIN_WORK = 1 << 20  # nnz × columns below which threads cost more than they save
_POOL: ThreadPoolExecutor | None = None


def threads() -> int:
    """Threads used for large products: ``SYMRNN_THREADS`` or the CPU count (at most 8)."""
    try:
        return max(1, int(os.environ["SYMRNN_THREADS"]))
    except (KeyError, ValueError):
        return max(1, min(8, os.cpu_count() or 1))


def row_blocks(A, parts: int | None = None) -> tuple:
    """``((start, stop, A[start:stop]), …)`` with about equal non-zeros per block.

    Examples
    --------
    >>> import scipy.sparse as sps
    >>> [(a, b) for a, b, _ in row_blocks(sps.identity(4, format="csr"), 2)]
    [(0, 2), (2, 4)]
    """
    parts = threads() if parts is None else parts
    n = A.shape[0]
    if parts <= 1 or n < 2 * parts:
        return ((0, n, A),)
    targets = np.linspace(0, A.indptr[-1], parts + 1)[1:-1]
    cuts = np.unique(np.concatenate([[0], np.searchsorted(A.indptr, targets), [n]]))
    return tuple((int(a), int(b), A[a:b]) for a, b in zip(cuts[:-1], cuts[1:]) if b > a)


def matmul(A, blocks: tuple, M: np.ndarray) -> np.ndarray:
    """A @ M, by row blocks in threads when the product is large.

    Examples
    --------
    >>> import scipy.sparse as sps
    >>> A = sps.csr_array(np.arange(16.0).reshape(4, 4))
    >>> bool(np.allclose(matmul(A, row_blocks(A, 2), np.ones((4, 3))), A @ np.ones((4, 3))))
    True
    """
    global _POOL
    if len(blocks) == 1 or A.nnz * (M.shape[1] if M.ndim > 1 else 1) < _MIN_WORK:
        return A @ M
    out = np.empty((A.shape[0],) + M.shape[1:], dtype=np.result_type(A.dtype, M.dtype))
    if _POOL is None:
        _POOL = ThreadPoolExecutor(max_workers=threads(), thread_name_prefix="symrnn-spmm")

    def run(block):
        a, b, part = block
        out[a:b] = part @ M

    list(_POOL.map(run, blocks))
    return out
