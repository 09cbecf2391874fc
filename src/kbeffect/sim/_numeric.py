"""Small numerical helpers of the simulator."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from scipy import optimize, special

__all__ = ["logit_intercept", "standardize"]

_GH_X, _GH_W = np.polynomial.hermite_e.hermegauss(40)
_GH_W = _GH_W / _GH_W.sum()


@lru_cache(maxsize=512)
def logit_intercept(p: float, slope: float) -> float:
    """Return ``a`` with ``E[expit(a + slope * Z)] = p`` for ``Z ~ N(0, 1)``.

    Solved by 40-point Gauss-Hermite quadrature, so a marginal probability stays fixed
    when the strength of a covariate changes.
    """
    if slope == 0.0:
        return float(special.logit(p))

    def f(a: float) -> float:
        return float(np.sum(_GH_W * special.expit(a + slope * _GH_X)) - p)

    return float(optimize.brentq(f, -40.0, 40.0, xtol=1e-12))


def standardize(x: np.ndarray) -> np.ndarray:
    """Return ``(x - mean) / sd`` (zeros when ``x`` is constant)."""
    sd = float(np.std(x))
    if sd == 0.0 or not np.isfinite(sd):
        return np.zeros_like(x, dtype=float)
    return (x - float(np.mean(x))) / sd


def quota_counts(n: int, probs: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Return category counts summing to ``n`` with expectation ``n * probs``.

    Each category gets ``floor(n p)``; the remaining units go to distinct categories drawn
    with probability proportional to the fractional parts (unbiased, minimal variance).
    """
    probs = np.asarray(probs, dtype=float)
    probs = probs / probs.sum()
    exact = n * probs
    counts = np.floor(exact).astype(np.int64)
    rest = int(n - counts.sum())
    if rest > 0:
        frac = exact - counts
        pick = rng.choice(probs.shape[0], size=rest, replace=False, p=frac / frac.sum())
        counts[pick] += 1
    return counts


def quota_categories(n: int, probs: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Return ``n`` category codes in random order, with counts from :func:`quota_counts`."""
    counts = quota_counts(n, probs, rng)
    return rng.permutation(np.repeat(np.arange(counts.shape[0]), counts)).astype(np.int8)


def quota_by_group(group: np.ndarray, probs: dict[int, np.ndarray],
                   rng: np.random.Generator) -> np.ndarray:
    """Return category codes drawn with :func:`quota_categories` within each group code."""
    out = np.zeros(group.shape[0], dtype=np.int8)
    for code, p in probs.items():
        idx = np.flatnonzero(group == code)
        if idx.size:
            out[idx] = quota_categories(idx.size, p, rng)
    return out


def top_share(score: np.ndarray, share: float, rng: np.random.Generator) -> np.ndarray:
    """Return a flag for the units with the highest ``score``, ``quota_counts`` of them."""
    k = int(quota_counts(score.shape[0], np.array([share, 1.0 - share]), rng)[0])
    flag = np.zeros(score.shape[0], dtype=bool)
    if k:
        flag[np.argsort(-score, kind="stable")[:k]] = True
    return flag
