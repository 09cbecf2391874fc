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
