r"""Balance statistics on arrays: weighted means, SMDs, variance ratios, eCDF/KS, ESS.

Formulas follow MatchIt's ``summary.matchit`` (and cobalt's ``bal.tab``), so numbers can
be checked against R:

* weighted mean :math:`\bar x_g = \sum_{i \in g} w_i x_i / \sum_{i \in g} w_i`;
* weighted variance (``wvar``) with normalised weights :math:`v_i = w_i / \sum w`:
  :math:`\sum v_i (x_i - \bar x)^2 / (1 - \sum v_i^2)`, or :math:`p(1 - p)` for a
  binary variable;
* standardised mean difference :math:`(\bar x_1 - \bar x_0) / s`, where the
  standardiser :math:`s` is computed once on the **unadjusted** sample, so before/after
  values share a denominator: the treated SD (ATT), the control SD (ATC), the pooled
  :math:`\sqrt{(s_1^2 + s_0^2) / 2}` (ATE, ATO, ATM) or the SD of all units;
* variance ratio :math:`s^2_{1,w} / s^2_{0,w}` (continuous variables only);
* eCDF statistics: the absolute difference of the two weighted empirical CDFs at every
  distinct value; ``ecdf_max`` is the (weighted) Kolmogorov-Smirnov statistic;
* effective sample size :math:`(\sum w)^2 / \sum w^2` per group.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

__all__ = [
    "BalanceStats",
    "SdDenom",
    "balance_stats",
    "ecdf_stats",
    "effective_sample_size",
    "is_binary",
    "standardisers",
    "weighted_mean",
    "weighted_var",
]

SdDenom = Literal["treated", "control", "pooled", "all"]


@dataclass(frozen=True, slots=True)
class BalanceStats:
    """Balance statistics of p covariates under one set of weights.

    Attributes
    ----------
    mean_treated, mean_control : ndarray of shape (p,)
    smd : ndarray of shape (p,)
        Standardised (or raw, for unstandardised binaries) mean difference.
    var_ratio : ndarray of shape (p,)
        NaN for binary covariates.
    ecdf_mean, ecdf_max : ndarray of shape (p,)
        Mean and maximum eCDF difference (``ecdf_max`` is the KS statistic).
    ess_treated, ess_control : float
    """

    mean_treated: np.ndarray
    mean_control: np.ndarray
    smd: np.ndarray
    var_ratio: np.ndarray
    ecdf_mean: np.ndarray
    ecdf_max: np.ndarray
    ess_treated: float
    ess_control: float


def is_binary(X: np.ndarray) -> np.ndarray:
    """Return a (p,) bool array: column takes only the values 0 and 1."""
    return np.all((X == 0) | (X == 1), axis=0)


def weighted_mean(X: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Return column means of (n, p) ``X`` with weights (n,)."""
    return (w @ X) / w.sum()


def weighted_var(X: np.ndarray, w: np.ndarray, binary: np.ndarray) -> np.ndarray:
    """Return MatchIt's ``wvar`` for each column (``p(1-p)`` for binary columns)."""
    v = w / w.sum()
    m = v @ X
    cont = (v @ (X - m) ** 2) / (1.0 - np.sum(v**2))
    return np.where(binary, m * (1 - m), cont)


def standardisers(
    X: np.ndarray, treat: np.ndarray, s_d_denom: SdDenom, binary: np.ndarray
) -> np.ndarray:
    """Return the (p,) SMD denominators from the unweighted sample."""
    one = np.ones(len(treat))
    t1, t0 = treat == 1, treat == 0
    v1 = weighted_var(X[t1], one[t1], binary)
    v0 = weighted_var(X[t0], one[t0], binary)
    if s_d_denom == "treated":
        s = np.sqrt(v1)
    elif s_d_denom == "control":
        s = np.sqrt(v0)
    elif s_d_denom == "pooled":
        s = np.sqrt((v1 + v0) / 2)
    else:
        s = np.sqrt(weighted_var(X, one, binary))
    # MatchIt falls back to the pooled SD when the chosen one is zero
    pooled = np.sqrt((v1 + v0) / 2)
    return np.where(s > np.sqrt(np.finfo(float).eps), s, pooled)


def ecdf_stats(x: np.ndarray, treat: np.ndarray, w: np.ndarray) -> tuple[float, float]:
    """Return (mean, max) absolute difference of the weighted eCDFs of one variable.

    Evaluated at every distinct value of ``x`` over all units passed (MatchIt ``qqsum``).
    """
    w = w.astype(float).copy()
    t1, t0 = treat == 1, treat == 0
    s1, s0 = w[t1].sum(), w[t0].sum()
    if s1 <= 0 or s0 <= 0:
        return np.nan, np.nan
    w[t1] /= s1
    w[t0] /= -s0
    o = np.argsort(x, kind="stable")
    xs = x[o]
    cum = np.abs(np.cumsum(w[o]))
    last = np.r_[np.diff(xs) != 0, True]
    e = cum[last]
    return float(np.mean(e)), float(np.max(e))


def effective_sample_size(w: np.ndarray) -> float:
    """Return Kish's effective sample size ``(sum w)^2 / sum w^2``."""
    s2 = float(np.sum(w**2))
    return float(np.sum(w)) ** 2 / s2 if s2 > 0 else 0.0


def balance_stats(
    X: np.ndarray,
    treat: np.ndarray,
    weights: np.ndarray,
    *,
    std: np.ndarray,
    binary: np.ndarray,
    standardize_binary: bool = True,
) -> BalanceStats:
    """Return the balance of each column of ``X`` under ``weights``.

    Parameters
    ----------
    X : ndarray of shape (n, p)
    treat : ndarray of shape (n,) of 0/1
    weights : ndarray of shape (n,)
        Zero for unmatched/discarded units.
    std : ndarray of shape (p,)
        SMD denominators (see :func:`standardisers`).
    binary : ndarray of shape (p,) bool
    standardize_binary : bool
        False reports raw proportion differences for binary columns (cobalt's default).
    """
    t1, t0 = treat == 1, treat == 0
    w1, w0 = weights[t1], weights[t0]
    m1 = weighted_mean(X[t1], w1)
    m0 = weighted_mean(X[t0], w0)
    diff = m1 - m0
    smd = diff / std
    if not standardize_binary:
        smd = np.where(binary, diff, smd)
    small = np.abs(diff) <= np.sqrt(np.finfo(float).eps)
    smd = np.where(small, 0.0, smd)
    keep1, keep0 = w1 > 0, w0 > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        vr = weighted_var(X[t1][keep1], w1[keep1], binary) / weighted_var(
            X[t0][keep0], w0[keep0], binary
        )
    vr = np.where(binary, np.nan, vr)
    p = X.shape[1]
    em, ex = np.empty(p), np.empty(p)
    for j in range(p):
        if binary[j]:
            em[j] = ex[j] = abs(diff[j])
        else:
            em[j], ex[j] = ecdf_stats(X[:, j], treat, weights)
    return BalanceStats(
        mean_treated=m1,
        mean_control=m0,
        smd=smd,
        var_ratio=vr,
        ecdf_mean=em,
        ecdf_max=ex,
        ess_treated=effective_sample_size(w1),
        ess_control=effective_sample_size(w0),
    )
