"""The VGAE's KL term, derived by SymPy from the Gaussian densities (never typed in).

:func:`kl_expression` integrates the log-density ratio log p − log q of
p = N(μ, σ²) and q = N(0, 1) against p over the real line and returns the
closed form per latent entry, ½(μ² + σ² − 1) − log σ.  With σ = e^s
(``logstd``, the parametrisation of Kipf & Welling and of PyG) this is
½(μ² + e^{2s} − 1 − 2s).  :func:`kl_divergence` and :func:`kl_gradient` are
the lambdified closed form and its SymPy derivatives; nothing numeric is
written by hand.

References
----------
T. N. Kipf and M. Welling, "Variational Graph Auto-Encoders", NIPS Workshop on
Bayesian Deep Learning, 2016 (arXiv:1611.07308).
D. P. Kingma and M. Welling, "Auto-Encoding Variational Bayes", ICLR 2014, Appendix B.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import sympy as sp

from ..errors import InputError

__all__ = ["kl_expression", "kl_logstd_expression", "kl_divergence", "kl_gradient", "kl_symbols"]


@lru_cache(maxsize=None)
def kl_symbols():
    """The symbols ``(x, mu, sigma, s)``: real x, μ; positive σ; real s = log σ."""
    return (sp.Symbol("x", real=True), sp.Symbol("mu", real=True), sp.Symbol("sigma", positive=True),
            sp.Symbol("s", real=True))


def _normal(x, mean, std):
    return sp.exp(-(x - mean) ** 2 / (2 * std ** 2)) / sp.sqrt(2 * sp.pi * std ** 2)


@lru_cache(maxsize=None)
def kl_expression() -> sp.Expr:
    """KL(N(μ, σ²) ‖ N(0, 1)) = ∫ p(x) (log p(x) − log q(x)) dx, integrated by SymPy.

    Examples
    --------
    >>> _, mu, sigma, _ = kl_symbols()
    >>> kl_expression()
    mu**2/2 + sigma**2/2 - log(sigma) - 1/2
    """
    x, mu, sigma, _ = kl_symbols()
    p, q = _normal(x, mu, sigma), _normal(x, 0, 1)
    ratio = sp.expand(sp.expand_log(sp.log(p) - sp.log(q), force=True))
    return sp.expand(sp.simplify(sp.integrate(p * ratio, (x, -sp.oo, sp.oo))))


@lru_cache(maxsize=None)
def kl_logstd_expression() -> sp.Expr:
    """The KL per entry in μ and s = log σ (σ → e^s in :func:`kl_expression`).

    Examples
    --------
    >>> kl_logstd_expression()
    mu**2/2 - s + exp(2*s)/2 - 1/2
    """
    _, mu, sigma, s = kl_symbols()
    return sp.expand(sp.expand_log(kl_expression().subs(sigma, sp.exp(s)), force=True))


@lru_cache(maxsize=None)
def _numeric():
    _, mu, _, s = kl_symbols()
    e = kl_logstd_expression()
    return (sp.lambdify((mu, s), e, "numpy"), sp.lambdify((mu, s), sp.diff(e, mu), "numpy"),
            sp.lambdify((mu, s), sp.diff(e, s), "numpy"))


def _check_pair(mu, logstd):
    try:
        mu, logstd = np.asarray(mu, dtype=np.float64), np.asarray(logstd, dtype=np.float64)
    except (TypeError, ValueError):
        raise InputError("mu and logstd must be numeric arrays") from None
    if mu.shape != logstd.shape:
        raise InputError(f"logstd has shape {logstd.shape} but mu has shape {mu.shape}; expected equal shapes")
    return mu, logstd


def kl_divergence(mu, logstd) -> np.ndarray:
    """Entry-wise KL(N(μ, e^{2s}) ‖ N(0, 1)) from the derived closed form.

    Parameters
    ----------
    mu, logstd : array_like, same shape

    Returns
    -------
    ndarray, the shape of ``mu``

    Examples
    --------
    >>> kl_divergence([0.0, 1.0], [0.0, 0.0]).tolist()
    [0.0, 0.5]
    """
    mu, logstd = _check_pair(mu, logstd)
    return np.asarray(_numeric()[0](mu, logstd), dtype=np.float64) + np.zeros_like(mu)


def kl_gradient(mu, logstd) -> tuple[np.ndarray, np.ndarray]:
    """(∂KL/∂μ, ∂KL/∂s) entry-wise, lambdified from SymPy's derivatives of the closed form.

    Examples
    --------
    >>> [g.tolist() for g in kl_gradient([2.0], [0.0])]
    [[2.0], [0.0]]
    """
    mu, logstd = _check_pair(mu, logstd)
    _, dmu, ds = _numeric()
    z = np.zeros_like(mu)
    return np.asarray(dmu(mu, logstd), dtype=np.float64) + z, np.asarray(ds(mu, logstd), dtype=np.float64) + z
