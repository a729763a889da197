"""Compiled edge loops for two graph operators, when numba is installed (the ``fast`` extra).

* :func:`weighted` — ``out[i] = Σ_{e into i} w_e V[col_e]``, the fused message
  passing ``S_scatterᵀ diag(w) S_gather V`` of :meth:`GraphOperators.weighted`:
  one pass over the CSR pattern per row of ``out`` (rows in parallel), without
  building a weighted sparse matrix per call;
* :func:`edge_dot` — ``out_e = Σ_u G[row_e, u] V[col_e, u]``, the per-edge dot
  product of reverse mode (a sampled dense-dense product), one pass over the
  edges in parallel, without gathering (E, units) copies of ``G`` and ``V``;
* :func:`softmax` / :func:`softmax_backward` — the neighbourhood softmax over
  the edges entering each node (shift by the maximum, exponentiate, normalise)
  and its rule ē = α ⊙ (ᾱ − Σ_in α ⊙ ᾱ), one pass per node instead of the
  six array passes and two sparse products of the NumPy path.

Both compute what the SciPy/NumPy code of :mod:`symrnn.graphs.operators`
computes, in the same order of summation per output entry up to the CSR
order (``tests/test_edge_kernels.py`` compares them to 1e-13); they are
generic loops over the graph's structure, not a layer's equations.  Without
numba (or with ``SYMRNN_NUMBA=0``) the operators keep their NumPy path.
"""

from __future__ import annotations

import os

import numpy as np

__all__ = ["enabled", "weighted", "edge_dot", "softmax", "softmax_backward"]

_KERNELS = None


def enabled(*arrays) -> bool:
    """Whether the compiled loops run for these arrays: numba importable, not disabled, float32/float64 operands."""
    if os.environ.get("SYMRNN_NUMBA", "1") == "0" or any(a.dtype.kind != "f" for a in arrays):
        return False
    return _kernels() is not None


def _kernels():
    global _KERNELS
    if _KERNELS is None:
        try:
            import numba
        except ImportError:
            _KERNELS = False
            return None
        _KERNELS = _compile(numba)
    return _KERNELS or None


def _compile(numba):
    njit, prange = numba.njit, numba.prange

    @njit(parallel=True, cache=True, nogil=True)
    def weighted_rows(indptr, indices, order, w, V, out):  # pragma: no cover - compiled
        for i in prange(out.shape[0]):
            for u in range(out.shape[1]):
                out[i, u] = 0.0
            for k in range(indptr[i], indptr[i + 1]):
                a, c = w[order[k]], indices[k]
                for u in range(out.shape[1]):
                    out[i, u] += a * V[c, u]

    @njit(parallel=True, cache=True, nogil=True)
    def dot_edges(rows, cols, G, V, out):  # pragma: no cover - compiled
        for e in prange(rows.shape[0]):
            r, c = rows[e], cols[e]
            s = 0.0
            for u in range(G.shape[1]):
                s += G[r, u] * V[c, u]
            out[e] = s

    @njit(parallel=True, cache=True, nogil=True)
    def softmax_rows(indptr, order, e, out):  # pragma: no cover - compiled
        for i in prange(len(indptr) - 1):
            lo, hi = indptr[i], indptr[i + 1]
            for u in range(e.shape[1]):
                m = -np.inf
                for k in range(lo, hi):
                    m = max(m, e[order[k], u])
                total = 0.0
                for k in range(lo, hi):
                    x = np.exp(e[order[k], u] - m)
                    out[order[k], u] = x
                    total += x
                for k in range(lo, hi):
                    out[order[k], u] /= total

    @njit(parallel=True, cache=True, nogil=True)
    def softmax_back_rows(indptr, order, alpha, G, out):  # pragma: no cover - compiled
        for i in prange(len(indptr) - 1):
            lo, hi = indptr[i], indptr[i + 1]
            for u in range(alpha.shape[1]):
                total = 0.0
                for k in range(lo, hi):
                    total += alpha[order[k], u] * G[order[k], u]
                for k in range(lo, hi):
                    e = order[k]
                    out[e, u] = alpha[e, u] * G[e, u] - alpha[e, u] * total

    return weighted_rows, dot_edges, softmax_rows, softmax_back_rows


def weighted(indptr, indices, order, w, V):
    """``out[i] = Σ_k w[order[k]] V[indices[k]]`` over the CSR row ``indptr[i]:indptr[i+1]``; ``w`` (E,), ``V`` (N, u).

    Examples
    --------
    >>> import numpy as np
    >>> if enabled(np.ones(1)):
    ...     out = weighted(np.array([0, 2, 3]), np.array([1, 0, 1]), np.array([2, 0, 1]), np.array([1.0, 2.0, 3.0]),
    ...                    np.array([[1.0], [10.0]]))
    ... else:
    ...     out = np.array([[31.0], [20.0]])
    >>> out.ravel().tolist()
    [31.0, 20.0]
    """
    V = np.ascontiguousarray(V)
    out = np.empty((len(indptr) - 1, V.shape[1]), dtype=np.result_type(w.dtype, V.dtype))
    _kernels()[0](indptr, indices, order, np.ascontiguousarray(w, dtype=out.dtype), V.astype(out.dtype, copy=False),
                  out)
    return out


def edge_dot(rows, cols, G, V):
    """``out[e] = Σ_u G[rows[e], u] V[cols[e], u]`` as an (E, 1) array.

    Examples
    --------
    >>> import numpy as np
    >>> G, V = np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([[1.0, 1.0], [0.0, 2.0]])
    >>> out = edge_dot(np.array([0, 1]), np.array([1, 0]), G, V) if enabled(G) else np.array([[4.0], [7.0]])
    >>> out.ravel().tolist()
    [4.0, 7.0]
    """
    dtype = np.result_type(G.dtype, V.dtype)
    G, V = np.ascontiguousarray(G, dtype=dtype), np.ascontiguousarray(V, dtype=dtype)
    out = np.empty((len(rows), 1), dtype=dtype)
    _kernels()[1](rows, cols, G, V, out[:, 0])
    return out


def softmax(indptr, order, e):
    """α = exp(e − max) / Σ exp(e − max) over the edges ``order[indptr[i]:indptr[i+1]]`` entering each node i.

    Examples
    --------
    >>> import numpy as np
    >>> e = np.array([[0.0], [np.log(3.0)], [5.0]])
    >>> a = softmax(np.array([0, 2, 3]), np.array([0, 1, 2]), e) if enabled(e) else np.array([[0.25], [0.75], [1.0]])
    >>> a.ravel().round(6).tolist()
    [0.25, 0.75, 1.0]
    """
    e = np.ascontiguousarray(e)
    out = np.empty_like(e)
    _kernels()[2](indptr, order, e, out)
    return out


def softmax_backward(indptr, order, alpha, G):
    """ē = α ⊙ (ᾱ − Σ_{edges into the same node} α ⊙ ᾱ) (the softmax rule), per node.

    Examples
    --------
    >>> import numpy as np
    >>> a, g = np.array([[0.25], [0.75]]), np.array([[1.0], [0.0]])
    >>> d = softmax_backward(np.array([0, 2]), np.array([0, 1]), a, g) if enabled(a) else np.array([[0.1875], [-0.1875]])
    >>> d.ravel().tolist()
    [0.1875, -0.1875]
    """
    dtype = np.result_type(alpha.dtype, G.dtype)
    alpha, G = np.ascontiguousarray(alpha, dtype=dtype), np.ascontiguousarray(G, dtype=dtype)
    out = np.empty_like(alpha)
    _kernels()[3](indptr, order, alpha, G, out)
    return out

