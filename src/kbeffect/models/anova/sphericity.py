"""Sphericity: Mauchly's test and the Greenhouse-Geisser and Huynh-Feldt epsilons.

All functions take the error SSP matrix of a within-subject term on *orthonormal*
contrasts (shape ``(p, p)``, ``p`` = the term's degrees of freedom) and the residual
degrees of freedom of the multivariate model, as :func:`stats::mauchly.test` and
``car:::GG`` / ``car:::HF`` do.

References
----------
Mauchly, J. W. (1940). Significance test for sphericity of a normal n-variate
distribution. *Annals of Mathematical Statistics*, 11, 204-209.

Greenhouse, S. W., & Geisser, S. (1959). On methods in the analysis of profile data.
*Psychometrika*, 24, 95-112.

Huynh, H., & Feldt, L. S. (1976). Estimation of the Box correction for degrees of freedom
from sample data in randomized block and split-plot designs. *Journal of Educational
Statistics*, 1, 69-82.

Lecoutre, B. (1991). A correction for the epsilon-tilde approximate test in repeated
measures designs with two or more independent groups. *Journal of Educational Statistics*,
16, 371-372.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy import stats

__all__ = ["MauchlyTest", "greenhouse_geisser", "huynh_feldt", "mauchly_test"]

HFMethod = Literal["lecoutre", "huynh-feldt"]
MauchlyPValue = Literal["r", "anderson", "chi2"]


@dataclass(frozen=True, slots=True)
class MauchlyTest:
    """Mauchly's test of sphericity.

    Attributes
    ----------
    w : float
        Mauchly's W (1 under perfect sphericity).
    chi2 : float
        Approximate chi-square statistic ``-n rho log W``.
    df : int
        ``p (p + 1) / 2 - 1``.
    pvalue : float
        P-value (see ``pvalue`` of :func:`mauchly_test`).
    """

    w: float
    chi2: float
    df: int
    pvalue: float


def mauchly_test(
    sspe: np.ndarray, df_resid: int, *, n_cells: int, pvalue: MauchlyPValue = "r"
) -> MauchlyTest:
    r"""Mauchly's test on the error SSP matrix of a within term (as R's mauchly.test).

    Parameters
    ----------
    sspe : ndarray of shape (p, p)
        Error SSP on orthonormal contrasts, ``p >= 2``.
    df_resid : int
        Residual degrees of freedom ``n`` of the multivariate linear model.
    n_cells : int
        Number of within-subject cells (columns of the untransformed responses); only
        used by ``pvalue="r"``.
    pvalue : {"r", "anderson", "chi2"}
        ``"anderson"``: chi-square approximation with Anderson's (1958) second-order
        term :math:`\omega_2`. ``"r"`` (default): the same as R's ``mauchly.test`` and
        ``car::Anova``/afex compute it, whose :math:`\omega_2` has ``3 * n_cells``
        where Anderson has ``3 * p`` (a typo in R that only matters when ``p >= 3``, i.e.
        four or more waves; the p-values then differ by about 1e-4 relative).
        ``"chi2"``: the first-order chi-square approximation only.

    Returns
    -------
    MauchlyTest

    Notes
    -----
    .. math::

        \log W = \log|S| - p \log(\operatorname{tr} S / p), \quad
        \rho = 1 - \frac{2p^2 + p + 2}{6pn}, \quad z = -n\rho\log W,

    and the p-value is :math:`P_1 + \omega_2 (P_2 - P_1)` with :math:`P_1, P_2` the
    chi-square tail probabilities of ``z`` on ``f`` and ``f + 4`` degrees of freedom.
    """
    p = sspe.shape[0]
    n = float(df_resid)
    s = sspe / n
    sign, logdet = np.linalg.slogdet(s)
    log_w = (logdet if sign > 0 else -np.inf) - p * np.log(np.trace(s) / p)
    rho = 1.0 - (2 * p**2 + p + 2) / (6.0 * p * n)
    p3 = n_cells if pvalue == "r" else p
    w2 = (p + 2) * (p - 1) * (p - 2) * (2 * p**3 + 6 * p**2 + 3 * p3 + 2) / (
        288.0 * (n * p * rho) ** 2
    )
    if pvalue == "chi2":
        w2 = 0.0
    z = -n * rho * log_w
    f = p * (p + 1) // 2 - 1
    pr1 = stats.chi2.sf(z, f)
    pr2 = stats.chi2.sf(z, f + 4)
    return MauchlyTest(float(np.exp(log_w)), float(z), f, float(pr1 + w2 * (pr2 - pr1)))


def greenhouse_geisser(sspe: np.ndarray) -> float:
    """Greenhouse-Geisser epsilon ``(sum l / p)^2 / (sum l^2 / p)`` over the eigenvalues l."""
    p = sspe.shape[0]
    lam = np.linalg.eigvalsh(sspe)
    lam = lam[lam > 0]
    return float((lam.sum() / p) ** 2 / ((lam**2).sum() / p))


def huynh_feldt(
    gg: float, *, df_resid: int, p: int, n_subjects: int, method: HFMethod = "lecoutre"
) -> float:
    """Huynh-Feldt epsilon from the Greenhouse-Geisser epsilon (not truncated at 1).

    Parameters
    ----------
    gg : float
        Greenhouse-Geisser epsilon.
    df_resid : int
        Residual degrees of freedom ``N - g`` (subjects minus between cells).
    p : int
        Degrees of freedom of the within term.
    n_subjects : int
        Number of subjects ``N``.
    method : {"lecoutre", "huynh-feldt"}
        ``"lecoutre"`` (car >= 3.0, afex, R's ``stats:::sphericity``) puts ``N - g + 1``
        in the numerator; ``"huynh-feldt"`` is the original formula with ``N`` (Huynh &
        Feldt, 1976; the formula in SPSS's GLM algorithms documentation), which
        overestimates epsilon when there are between groups. The two
        agree without between-subject factors.

    Returns
    -------
    float
        ``(N' p e - 2) / (p (N - g - p e))`` with ``N'`` as chosen by ``method``.
    """
    n_num = df_resid + 1 if method == "lecoutre" else n_subjects
    return float((n_num * p * gg - 2.0) / (p * (df_resid - p * gg)))
