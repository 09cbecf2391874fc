"""Propensity-weighted difference-in-differences of a family-level change score.

:func:`ipw_did` estimates the effect of a family-level treatment (e.g. a child
protection order) on the change of an outcome between two waves, weighting families by
a logistic propensity score so that the arms are comparable on baseline covariates.
Its standard error comes from M-estimation that stacks the logit score with the
weighted-mean equations, so the uncertainty of the estimated propensity score is
accounted for. ``kbeffect.bootstrap(result, data, cluster=...)`` replicates the whole
pipeline (the logit is refitted in every replicate) with batched kernels.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy.special import expit
from scipy.stats import norm

from kbeffect._results import Exclusions, Summary, lazy_pyplot
from kbeffect._validation import check_literal, check_probability
from kbeffect.errors import DataError
from kbeffect.inference.bootstrap import kernels as K
from kbeffect.inference.bootstrap.estimators import IPWDiD, cluster_codes

__all__ = ["IPWDiDResult", "ipw_did", "ipw_did_sandwich"]

Estimand = Literal["att", "ate", "ato"]


@dataclass(frozen=True)
class IPWDiDResult:
    """Result of :func:`ipw_did`.

    Attributes
    ----------
    estimate : float
        Weighted difference in mean change, treated minus control.
    se : float
        Sandwich standard error (M-estimation, propensity model estimation accounted for).
    estimand : str
        ``"att"``, ``"ate"`` or ``"ato"``.
    mean_change : tuple of float
        Weighted mean change in the treated and the control arm.
    n_treated, n_control : int
        Units per arm.
    ess : tuple of float
        Kish effective sample size of the weights per arm (treated, control).
    ps_coef : Series
        Propensity logit coefficients.
    level : float
        Confidence level of :meth:`tidy`.
    exclusions : Exclusions
        Units excluded (missing values) and why.
    spec : IPWDiD
        The specification, for :func:`kbeffect.bootstrap`.
    """

    estimate: float
    se: float
    estimand: str
    mean_change: tuple[float, float]
    n_treated: int
    n_control: int
    ess: tuple[float, float]
    ps_coef: pd.Series
    level: float
    exclusions: Exclusions
    spec: IPWDiD
    cluster: str | None = None
    _ps: np.ndarray = field(default_factory=lambda: np.empty(0), repr=False)
    _d: np.ndarray = field(default_factory=lambda: np.empty(0), repr=False)

    @property
    def z(self) -> float:
        """Wald statistic ``estimate / se``."""
        return self.estimate / self.se

    @property
    def pvalue(self) -> float:
        """Two-sided normal p-value of ``H0: effect = 0``."""
        return float(2 * norm.sf(abs(self.z)))

    def conf_int(self, level: float | None = None) -> tuple[float, float]:
        """Wald confidence interval ``estimate -+ z_{(1+level)/2} se``."""
        lv = self.level if level is None else check_probability("level", level)
        h = norm.ppf((1 + lv) / 2) * self.se
        return (self.estimate - h, self.estimate + h)

    def bootstrap_spec(self) -> IPWDiD:
        """Return the specification that :func:`kbeffect.bootstrap` replicates."""
        return self.spec

    def tidy(self) -> pd.DataFrame:
        """One row: term, estimate, std_error, statistic, p_value, conf_low, conf_high."""
        lo, hi = self.conf_int()
        return pd.DataFrame(
            {
                "term": [self.estimand.upper()],
                "estimate": [self.estimate],
                "std_error": [self.se],
                "statistic": [self.z],
                "p_value": [self.pvalue],
                "conf_low": [lo],
                "conf_high": [hi],
                "n_treated": [self.n_treated],
                "n_control": [self.n_control],
            }
        )

    def summary(self) -> Summary:
        """Return a :class:`~kbeffect._results.Summary`."""
        header = {
            "estimator": "IPW difference-in-differences (Hajek weights)",
            "estimand": self.estimand.upper(),
            "units": f"{self.n_treated} treated, {self.n_control} control",
            "effective sample size": f"{self.ess[0]:.1f} treated, {self.ess[1]:.1f} control",
            "standard error": "sandwich (M-estimation, logit score stacked)"
            + (f", clustered by {self.cluster}" if self.cluster else ""),
        }
        ps = self.ps_coef.to_frame("coef")
        return Summary(
            title="Propensity-weighted difference-in-differences",
            header=header,
            tables={"Effect": self.tidy().set_index("term"), "Propensity model": ps},
            notes=self.exclusions.notes(),
        )

    def plot(self) -> Any:
        """Propensity-score overlap by arm (histograms); returns a matplotlib Figure."""
        plt = lazy_pyplot()
        fig, ax = plt.subplots(figsize=(5, 3.2))
        bins = np.linspace(0, 1, 31)
        ax.hist(self._ps[self._d == 1], bins=bins, alpha=0.6, label="treated", density=True)
        ax.hist(self._ps[self._d == 0], bins=bins, alpha=0.6, label="control", density=True)
        ax.set_xlabel("propensity score")
        ax.set_ylabel("density")
        ax.legend()
        fig.tight_layout()
        return fig


def ipw_did_sandwich(
    X: np.ndarray,
    d: np.ndarray,
    delta: np.ndarray,
    beta: np.ndarray,
    estimand: Estimand,
    codes: np.ndarray | None = None,
) -> tuple[float, float, np.ndarray]:
    r"""Estimate and sandwich standard error of the IPW DiD by stacked M-estimation.

    Parameters
    ----------
    X : ndarray of shape (n, p)
        Propensity design matrix.
    d : ndarray of shape (n,)
        Treatment (0/1).
    delta : ndarray of shape (n,)
        Change scores.
    beta : ndarray of shape (p,)
        Logit maximum-likelihood estimate.
    estimand : {"att", "ate", "ato"}
    codes : ndarray of shape (n,), optional
        Cluster codes; estimating functions are summed within clusters (default: units).

    Returns
    -------
    estimate : float
    se : float
    theta : ndarray of shape (p + 2,)
        ``(beta, mu1, mu0)``.

    Notes
    -----
    With :math:`e_i = \operatorname{expit}(x_i'\beta)` and balancing weights
    :math:`a_i(\beta)` (see :func:`~kbeffect.inference.bootstrap.kernels.ipw_weights`),
    :math:`\theta = (\beta, \mu_1, \mu_0)` solves :math:`\sum_i \psi_i(\theta) = 0` with

    .. math::
        \psi_i = \begin{pmatrix} x_i (D_i - e_i) \\ a_i D_i (\Delta_i - \mu_1) \\
                  a_i (1 - D_i)(\Delta_i - \mu_0) \end{pmatrix},
        \qquad \hat\tau = \hat\mu_1 - \hat\mu_0 .

    The sandwich is :math:`\hat V = A^{-1} M A^{-T}` with :math:`A = \sum_i
    \partial\psi_i / \partial\theta'` (analytic; :math:`\partial a_i / \partial\beta =
    a_i'(\eta_i) x_i`) and :math:`M = \sum_c (\sum_{i \in c}\psi_i)(\sum_{i \in c}
    \psi_i)'` over clusters :math:`c`; :math:`\widehat{\mathrm{se}}(\hat\tau) =
    \sqrt{c'\hat V c}` with :math:`c = (0, \dots, 0, 1, -1)`. No small-sample factor is
    applied (HC0 / CR0), as in WeightIt's M-estimation SEs.
    """
    _n, p = X.shape
    e = expit(X @ beta)
    a = K.ipw_weights(e, d, estimand)
    da = K.ipw_weight_derivative(e, d, estimand)
    t, c = d == 1, d == 0
    mu1 = np.sum(a[t] * delta[t]) / np.sum(a[t])
    mu0 = np.sum(a[c] * delta[c]) / np.sum(a[c])
    r1 = np.where(t, delta - mu1, 0.0)
    r0 = np.where(c, delta - mu0, 0.0)
    psi = np.column_stack([X * (d - e)[:, None], a * r1, a * r0])
    A = np.zeros((p + 2, p + 2))
    A[:p, :p] = -(X * (e * (1 - e))[:, None]).T @ X
    A[p, :p] = (da * r1) @ X
    A[p + 1, :p] = (da * r0) @ X
    A[p, p] = -np.sum(a[t])
    A[p + 1, p + 1] = -np.sum(a[c])
    if codes is not None:
        G = int(codes.max()) + 1
        agg = np.zeros((G, p + 2))
        np.add.at(agg, codes, psi)
        psi = agg
    M = psi.T @ psi
    Ainv = np.linalg.inv(A)
    V = Ainv @ M @ Ainv.T
    cvec = np.zeros(p + 2)
    cvec[p], cvec[p + 1] = 1.0, -1.0
    return float(mu1 - mu0), float(np.sqrt(cvec @ V @ cvec)), np.concatenate([beta, [mu1, mu0]])


def ipw_did(
    data: pd.DataFrame,
    *,
    treatment: str,
    covariates: list[str] | tuple[str, ...] | str,
    outcome_pre: str | None = None,
    outcome_post: str | None = None,
    outcome: str | None = None,
    wave: str | None = None,
    unit: str | None = None,
    waves: tuple[Any, Any] = (0, 2),
    estimand: Literal["ATT", "ATE", "ATO", "att", "ate", "ato"] = "ATT",
    cluster: str | None = None,
    missing: Literal["raise", "drop"] = "raise",
    level: float = 0.95,
) -> IPWDiDResult:
    r"""Propensity-weighted difference-in-differences of a family-level change score.

    Parameters
    ----------
    data : DataFrame
        Wide: one row per family with ``outcome_pre`` and ``outcome_post``. Long: one row
        per family and wave with ``outcome``, ``wave`` and ``unit`` (the two waves in
        ``waves`` are used; treatment and covariates must be constant within a family).
    treatment : str
        0/1 or boolean column (1 = treated, e.g. a child protection order).
    covariates : list of str or str
        Propensity-model covariates: column names (categoricals are dummy-coded) or a
        one-sided formula (``"~ income + C(education) + single_parent"``).
    outcome_pre, outcome_post : str, optional
        Outcome columns at the two waves (wide data).
    outcome, wave, unit : str, optional
        Outcome, wave and family-id columns (long data). ``unit`` may also name the id
        column of wide data (checked for duplicates).
    waves : tuple
        ``(pre, post)`` wave values for long data (default ``(0, 2)``: T0 and T2).
    estimand : {"ATT", "ATE", "ATO"}
        Target population: the treated (odds weights for controls), everyone (inverse
        probability weights) or the overlap population (overlap weights). Case-insensitive,
        as in :func:`kbeffect.match` and :func:`kbeffect.weight`.
    cluster : str, optional
        Column of higher-level clusters for the sandwich (default: units are independent).
    missing : {"raise", "drop"}
        Missing treatment, outcome or covariate values raise, or are excluded and counted.
    level : float
        Confidence level of ``tidy()``.

    Returns
    -------
    IPWDiDResult

    Notes
    -----
    The estimate is the difference of Hajek-weighted mean change scores
    :math:`\hat\tau = \sum_{D=1} a_i\Delta_i/\sum_{D=1} a_i - \sum_{D=0} a_i\Delta_i/
    \sum_{D=0} a_i` with :math:`\Delta_i` = post - pre and weights from a logistic
    propensity score; the standard error is described in :func:`ipw_did_sandwich`. Under
    parallel trends conditional on the covariates, the ATT version identifies the average
    effect on the change in the treated (Abadie 2005).
    """
    est_name: Estimand = check_literal(
        "estimand", estimand.lower() if isinstance(estimand, str) else estimand,
        ("att", "ate", "ato"))
    level = check_probability("level", level)
    cov: tuple[str, ...] | str = covariates if isinstance(covariates, str) else tuple(covariates)
    spec = IPWDiD(
        treatment=treatment, covariates=cov, outcome_pre=outcome_pre, outcome_post=outcome_post,
        outcome=outcome, wave=wave, unit=unit, waves=tuple(waves), estimand=est_name,
        missing=missing,
    )
    fa = spec.arrays(data)
    codes = None if cluster is None else cluster_codes(fa.frame, cluster)[0]
    fit = K.logit_irls_batched(fa.X, fa.d, np.ones((1, len(fa.d))))
    if not fit.converged[0]:
        raise DataError(
            "the propensity logit did not converge (separation?): a covariate or combination "
            "predicts treatment perfectly; simplify the covariates."
        )
    beta = fit.beta[0]
    est, se, theta = ipw_did_sandwich(fa.X, fa.d, fa.delta, beta, est_name, codes)
    e = expit(fa.X @ beta)
    a = K.ipw_weights(e, fa.d, est_name)
    t = fa.d == 1
    ess = tuple(float(a[m].sum() ** 2 / np.sum(a[m] ** 2)) for m in (t, ~t))
    return IPWDiDResult(
        estimate=est, se=se, estimand=est_name, mean_change=(float(theta[-2]), float(theta[-1])),
        n_treated=int(t.sum()), n_control=int((~t).sum()), ess=(ess[0], ess[1]),
        ps_coef=pd.Series(beta, index=list(fa.columns), name="coef"), level=level,
        exclusions=fa.exclusions, spec=spec, cluster=cluster, _ps=e, _d=fa.d,
    )
