"""The GEMM floor: the generated kernel's matrix products alone, at its shapes, with NumPy's BLAS.

Its time is what the kernel would take if its pointwise work and its Python
per step cost nothing; ``generated / floor`` is the kernel's distance to it.
"""

from __future__ import annotations

import numpy as np

__all__ = ["gemm_floor", "multiply_adds"]


def _products(kernel):
    """(per step, n, m) of every product of the kernel: its matrices are (m, n), read vectors of length n."""
    plan, cell = kernel.plan, kernel.cell
    out = [(cell.role(v) == "previous", plan.n[v], hi - lo) for v, (lo, hi, _) in plan.sources.items()]
    for name in plan.late:  # e.g. MGU's U_h (f ⊙ h): a vector of the same step, one product per step
        for t in cell.terms(name):
            if t.matrix is not None and cell.role(t.vector) not in ("input", "param"):
                out.append((True, plan.n[t.vector], plan.n[name]))
    return out


def gemm_floor(kernel, T: int, B: int, *, backward: bool = True):
    """A function running only the GEMMs the generated kernel runs, with NumPy, at its shapes.

    Per early source vector of the plan (stacked slots ``lo:hi``): an input's
    projection of all T·B rows, and with ``backward`` its weight gradient and
    its input gradient; a previous state's T step products and with
    ``backward`` its T backward step products and its weight gradient.  Late
    linear stages (a matrix times a vector of the same step, as MGU's
    U_h (f ⊙ h)) count like a previous state: T forward and T backward step
    products and a weight gradient over all T·B rows.

    Parameters
    ----------
    kernel : Kernel
        A compiled cell (:func:`symrnn.compile`); only its plan and dtype are read.
    T, B : int
        Sequence length and batch size.
    backward : bool
        Include the backward products (fwd+bwd floor) or not (forward floor).

    Returns
    -------
    callable
        ``run()`` performs the products; ``run.work`` lists
        ``(per step, X (T, B, n), D (T, B, m), M (m, n))`` per product family and
        ``run.backward`` the flag.

    Examples
    --------
    >>> import symrnn
    >>> k = symrnn.compile(symrnn.cell("rnn"), D=2, H=3)
    >>> run = gemm_floor(k, T=4, B=5)
    >>> run()
    >>> [(step, M.shape) for step, X, D, M in run.work]
    [(True, (3, 3)), (False, (3, 2))]
    >>> multiply_adds(run)  # per family: forward, backward and weight gradient, 4 * 5 rows each
    900
    """
    dt = kernel.dtype
    rng = np.random.default_rng(0)
    work = []
    for step, n, m in _products(kernel):
        X = rng.standard_normal((T, B, n)).astype(dt)
        D = rng.standard_normal((T, B, m)).astype(dt)
        work.append((step, X, D, rng.standard_normal((m, n)).astype(dt)))

    def run():
        for step, X, D, M in work:
            rows_X, rows_D = X.reshape(T * B, -1), D.reshape(T * B, -1)
            if step:
                for t in range(T):
                    X[t] @ M.T
                    if backward:
                        D[t] @ M
            else:
                rows_X @ M.T
                if backward:
                    rows_D @ M
            if backward:
                rows_D.T @ rows_X

    run.work, run.backward = work, backward
    return run


def multiply_adds(run) -> int:
    """Multiply-adds one call of a :func:`gemm_floor` function performs (FLOPs are twice this)."""
    total = 0
    for _, X, _, M in run.work:
        rows = X.shape[0] * X.shape[1]
        m, n = M.shape
        total += rows * m * n * (3 if run.backward else 1)
    return total
