"""Bootstrap confidence intervals and p-values for one scalar parameter.

The conventions are those of Davison & Hinkley (1997, ch. 5) as implemented in R's
``boot::boot.ci``, so the intervals agree with ``boot`` given the same replicates:
order statistics ``(B + 1) alpha`` with interpolation on the normal quantile scale
(:func:`norm_inter`), the bias-corrected normal interval, and BCa with the acceleration
computed from empirical influence values (here: the jackknife over clusters).
Non-finite replicates are left out of every interval (and counted on the result).
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy.stats import norm

from kbeffect.errors import EstimationError, KbEffectWarning

__all__ = [
    "basic_ci",
    "bca_ci",
    "jackknife_influence",
    "norm_inter",
    "normal_ci",
    "percentile_ci",
    "pvalue_percentile",
    "pvalue_studentized",
    "studentized_ci",
]


def _finite(t: np.ndarray) -> np.ndarray:
    t = np.asarray(t, dtype=float).ravel()
    return t[np.isfinite(t)]


def norm_inter(t: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """Quantiles of ``t`` at ``alpha`` by boot's normal-scale order-statistic interpolation.

    With ``R`` finite replicates and ``r = (R + 1) alpha``: if ``r`` is an integer the
    ``r``-th order statistic; otherwise, with ``k = floor(r)``, interpolate linearly between
    order statistics ``k`` and ``k + 1`` on the scale of ``Phi^{-1}(k / (R + 1))``. The
    extremes are used (with a warning) when ``r`` falls outside ``(1, R)``.

    Parameters
    ----------
    t : ndarray of shape (R,)
        Replicates.
    alpha : ndarray of shape (m,)
        Probabilities.

    Returns
    -------
    ndarray of shape (m,)
    """
    t = np.sort(_finite(t))
    R = t.size
    alpha = np.atleast_1d(np.asarray(alpha, dtype=float))
    rk = (R + 1) * alpha
    if not np.all((rk > 1) & (rk < R)):
        warnings.warn(
            "extreme order statistics used as interval endpoints; increase B.",
            KbEffectWarning,
            stacklevel=3,
        )
    k = np.trunc(rk).astype(int)
    out = np.empty_like(alpha)
    exact = k == rk
    out[exact] = t[np.clip(k[exact], 1, R) - 1]
    out[k <= 0] = t[0]
    out[k >= R] = t[R - 1]
    mid = ~exact & (k > 0) & (k < R)
    if mid.any():
        km = k[mid]
        z, z0, z1 = norm.ppf(alpha[mid]), norm.ppf(km / (R + 1)), norm.ppf((km + 1) / (R + 1))
        tk, tk1 = t[km - 1], t[km]
        out[mid] = tk + (z - z0) / (z1 - z0) * (tk1 - tk)
    return out


def _tails(level: float) -> np.ndarray:
    return np.array([(1 - level) / 2, (1 + level) / 2])


def percentile_ci(t: np.ndarray, level: float = 0.95) -> np.ndarray:
    """Percentile interval ``(t*_{(alpha/2)}, t*_{(1 - alpha/2)})``; returns shape (2,)."""
    return norm_inter(t, _tails(level))


def basic_ci(t0: float, t: np.ndarray, level: float = 0.95) -> np.ndarray:
    """Return the basic interval ``(2 t0 - t*_{(1-a/2)}, 2 t0 - t*_{(a/2)})``."""
    q = norm_inter(t, _tails(level)[::-1])
    return 2.0 * t0 - q


def normal_ci(t0: float, t: np.ndarray, level: float = 0.95) -> np.ndarray:
    """Bias-corrected normal interval ``t0 - bias -+ z sd(t*)`` (boot's ``norm.ci``)."""
    t = _finite(t)
    bias = t.mean() - t0
    half = np.sqrt(t.var(ddof=1)) * norm.ppf((1 + level) / 2)
    return np.array([t0 - bias - half, t0 - bias + half])


def jackknife_influence(theta_jack: np.ndarray, t0: float | None = None) -> np.ndarray:
    """Jackknife empirical influence values ``L_g = (G - 1)(c - theta_(-g))``.

    Parameters
    ----------
    theta_jack : ndarray of shape (G,)
        Estimates leaving out one cluster at a time.
    t0 : float, optional
        Centre ``c``. Default: the mean of ``theta_jack`` (Efron & Tibshirani 1993, eq.
        14.15, used by :meth:`BootstrapResult.ci`); pass the full-sample estimate to get
        ``boot::empinf(type = "jack")``. The two differ by a constant, which changes the
        BCa acceleration only at order ``1/G``.
    """
    tj = np.asarray(theta_jack, dtype=float)
    c = tj.mean() if t0 is None else t0
    return (tj.size - 1) * (c - tj)


def bca_ci(t0: float, t: np.ndarray, L: np.ndarray, level: float = 0.95) -> np.ndarray:
    r"""Bias-corrected and accelerated interval (Efron 1987; boot's ``bca.ci``).

    Parameters
    ----------
    t0 : float
        Full-sample estimate.
    t : ndarray of shape (B,)
        Replicates.
    L : ndarray of shape (G,)
        Empirical influence values (:func:`jackknife_influence`).
    level : float
        Confidence level.

    Notes
    -----
    :math:`z_0 = \Phi^{-1}(\#\{t^* < t_0\}/B)`, :math:`a = \sum L^3 / (6 (\sum L^2)^{3/2})`,
    and the endpoints are the quantiles at
    :math:`\Phi(z_0 + (z_0 + z_\alpha) / (1 - a (z_0 + z_\alpha)))`.
    """
    t = _finite(t)
    z0 = norm.ppf(np.mean(t < t0))
    if not np.isfinite(z0):
        raise EstimationError(
            "BCa: every replicate lies on one side of the estimate (z0 infinite)."
        )
    L = np.asarray(L, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        a = np.sum(L**3) / (6.0 * np.sum(L**2) ** 1.5)
    if not np.isfinite(a):
        raise EstimationError("BCa: the acceleration is not finite (constant influence values).")
    za = norm.ppf(_tails(level))
    adj = norm.cdf(z0 + (z0 + za) / (1.0 - a * (z0 + za)))
    return norm_inter(t, adj)


def studentized_ci(
    t0: float, se0: float, t: np.ndarray, se: np.ndarray, level: float = 0.95
) -> np.ndarray:
    """Studentised (bootstrap-t) interval ``(t0 - se0 z*_{(1-a/2)}, t0 - se0 z*_{(a/2)})``.

    ``z*_b = (t*_b - t0) / se*_b`` with the replicate's own standard error.
    """
    t, se = np.asarray(t, dtype=float), np.asarray(se, dtype=float)
    ok = np.isfinite(t) & np.isfinite(se) & (se > 0)
    z = (t[ok] - t0) / se[ok]
    q = norm_inter(z, _tails(level)[::-1])
    return t0 - se0 * q


def pvalue_percentile(t: np.ndarray, null: float = 0.0) -> float:
    """Two-sided p-value inverting the percentile interval.

    ``p = min(1, 2 min(1 + #{t* <= null}, 1 + #{t* >= null}) / (B + 1))``: the smallest
    ``1 - level`` whose equal-tailed percentile interval excludes ``null``.
    """
    t = _finite(t)
    lo, hi = np.sum(t <= null), np.sum(t >= null)
    return float(min(1.0, 2.0 * (min(lo, hi) + 1) / (t.size + 1)))


def pvalue_studentized(
    t0: float, se0: float, t: np.ndarray, se: np.ndarray, null: float = 0.0
) -> float:
    """Symmetric bootstrap-t p-value ``(1 + #{|z*| >= |z|}) / (B + 1)``.

    ``z = (t0 - null) / se0`` and ``z*_b = (t*_b - t0) / se*_b`` (the replicates are centred
    at the estimate, so the null need not hold in the resampled data).
    """
    t, se = np.asarray(t, dtype=float), np.asarray(se, dtype=float)
    ok = np.isfinite(t) & np.isfinite(se) & (se > 0)
    z = abs((t0 - null) / se0)
    zs = np.abs((t[ok] - t0) / se[ok])
    return float((1 + np.sum(zs >= z)) / (zs.size + 1))
