"""Multivariate tests of a linear hypothesis: Pillai, Wilks, Hotelling-Lawley, Roy.

The statistics and their F approximations are those of R's ``anova.mlm`` /
``car::linearHypothesis`` (functions ``stats:::Pillai``, ``Wilks``, ``HL``, ``Roy``); Roy's
F is an upper bound, so its p-value is a lower bound.

References
----------
Rao, C. R. (1951). An asymptotic expansion of the distribution of Wilks' criterion.
*Bulletin of the International Statistical Institute*, 33, 177-180.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

__all__ = ["MV_TESTS", "MultivariateTests", "multivariate_tests"]

MV_TESTS: tuple[str, ...] = ("Pillai", "Wilks", "Hotelling-Lawley", "Roy")


@dataclass(frozen=True, slots=True)
class MultivariateTests:
    """The four multivariate tests of one hypothesis.

    Attributes
    ----------
    stat, F, df1, df2, pvalue : ndarray of shape (4,)
        Statistic, approximate F, its degrees of freedom and p-value, in the order of
        :data:`MV_TESTS`.
    """

    stat: np.ndarray
    F: np.ndarray
    df1: np.ndarray
    df2: np.ndarray
    pvalue: np.ndarray


def multivariate_tests(
    ssph: np.ndarray, sspe: np.ndarray, df_hyp: int, df_resid: int
) -> MultivariateTests:
    """Compute the four tests from hypothesis and error SSP matrices.

    Parameters
    ----------
    ssph, sspe : ndarray of shape (p, p)
        Hypothesis and error sums of squares and products.
    df_hyp : int
        Hypothesis degrees of freedom ``q``.
    df_resid : int
        Error degrees of freedom.

    Returns
    -------
    MultivariateTests
    """
    eig = np.real(np.linalg.eigvals(np.linalg.solve(sspe, ssph)))
    p = eig.size
    q = df_hyp
    s = min(p, q)
    m = 0.5 * (abs(p - q) - 1)
    n = 0.5 * (df_resid - p - 1)
    rows = []
    # Pillai's trace
    v = float(np.sum(eig / (1 + eig)))
    t1, t2 = 2 * m + s + 1, 2 * n + s + 1
    rows.append((v, (t2 / t1 * v) / (s - v), s * t1, s * t2))
    # Wilks' lambda (Rao's F)
    lam = float(np.prod(1 / (1 + eig)))
    w1 = df_resid - 0.5 * (p - q + 1)
    w2 = (p * q - 2) / 4
    w3_base = p**2 + q**2 - 5
    w3 = float(np.sqrt(((p * q) ** 2 - 4) / w3_base)) if w3_base > 0 else 1.0
    rows.append((lam, ((lam ** (-1 / w3) - 1) * (w1 * w3 - 2 * w2)) / p / q, p * q,
                 w1 * w3 - 2 * w2))
    # Hotelling-Lawley trace
    hl = float(np.sum(eig))
    h2 = 2 * (s * n + 1)
    rows.append((hl, (h2 * hl) / s / s / t1, s * t1, h2))
    # Roy's largest root
    roy = float(np.max(eig))
    r1 = max(p, q)
    r2 = df_resid - r1 + q
    rows.append((roy, (r2 * roy) / r1, r1, r2))
    arr = np.array(rows, dtype=float)
    pv = stats.f.sf(arr[:, 1], arr[:, 2], arr[:, 3])
    return MultivariateTests(arr[:, 0], arr[:, 1], arr[:, 2], arr[:, 3], pv)
