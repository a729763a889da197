"""The numeric faces of the function table (:data:`symrnn.spec.symbols.FUNCTIONS`): NumPy and mpmath.

Each row of the table pairs a SymPy function with the NumPy implementation the
reference evaluator and the generated kernels run (``numeric``) and the mpmath one
of the 60-digit re-checks (``precise``); they live here so that the symbolic
module holds the symbols.  NumPy and mpmath are imported on first call.
"""

from __future__ import annotations

__all__ = []


def _stable_sigmoid(a, out=None):
    """σ(a) to a few ulps *relative* for every finite ``a``, no overflow, any float dtype.

    With e = exp(−|a|) ≤ 1: σ(a) = 1/(1 + e) for a ≥ 0 and e/(1 + e) for a < 0 (as PyTorch).
    The cheaper 0.5 (1 + tanh(a/2)) is exact to one ulp of 1 only: σ(−40) came out 0, and
    log σ or 1 − σ of it (a link-prediction loss) was wrong by up to 4.5e-2.  The generated
    kernels run this same function (``_sigmoid``, with ``out=``).

    Examples
    --------
    >>> import numpy as np
    >>> float(_stable_sigmoid(np.array(-40.0)) / np.exp(-40.0))
    1.0
    """
    import numpy as np

    a = np.asarray(a)
    if a.ndim == 0 or a.dtype.kind != "f" or (out is not None and out.dtype != a.dtype):
        with np.errstate(under="ignore"):  # exp(−|a|) → 0 for |a| > 745: σ is then exactly 0 or 1
            e = np.exp(-np.abs(a))
        num = np.where(a >= 0, np.ones_like(e), e)
        e += 1.0
        return np.divide(num, e, out=out)
    # the same operations with two arrays instead of five (large graph layers pay for each new array)
    with np.errstate(under="ignore"):
        e = np.abs(a)
        np.negative(e, out=e)
        np.exp(e, out=e)
    negative = a < 0  # read before ``out``, which may be ``a`` itself, is written
    res = np.empty_like(e) if out is None else out
    res.fill(1.0)
    np.copyto(res, e, where=negative)
    e += 1.0
    np.divide(res, e, out=res)
    return res


def _np(name):
    def call(*args):
        import numpy as np

        return getattr(np, name)(*args)

    return call


def _mp(name):
    def call(*args):
        import mpmath

        return getattr(mpmath, name)(*args)

    return call


def _relu_numeric(a):
    import numpy as np

    return np.maximum(a, 0.0)


def _leaky_numeric(a, s):
    import numpy as np

    return np.where(a > 0, a, s * a)


def _softplus_numeric(a):
    import numpy as np

    return np.logaddexp(0.0, a)


def _mp_softplus(a):
    import mpmath

    return mpmath.log1p(mpmath.exp(a))


def _mp_sigmoid(a):
    import mpmath

    return 1 / (1 + mpmath.exp(-a))


def _mp_zero_floor(a):
    import mpmath

    return a if a > 0 else mpmath.mpf(0)
