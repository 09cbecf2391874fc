r"""Covariate balancing propensity score (Imai & Ratkovic 2014), just-identified version.

The logit coefficients :math:`\beta` solve the balance conditions instead of the score
equations: with :math:`\tilde x_i = (1, x_i)` and :math:`e_i = \operatorname{expit}(\tilde
x_i^\top \beta)`,

* ATE: :math:`\sum_i \frac{t_i - e_i}{e_i (1 - e_i)} \tilde x_i = 0`
* ATT: :math:`\sum_i \frac{t_i - e_i}{1 - e_i} \tilde x_i = 0`
* ATC: :math:`\sum_i \frac{t_i - e_i}{e_i} \tilde x_i = 0`

so the inverse probability weights of the estimand balance every covariate mean
exactly (and the weight totals, through the intercept). Solved by Newton-Raphson with
the analytic Jacobian, started at the logit MLE, on standardised covariates.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import expit

from kbeffect.design.propensity import fit_binary_glm

__all__ = ["CbpsFit", "cbps_fit"]


@dataclass(frozen=True, slots=True)
class CbpsFit:
    """Just-identified CBPS fit.

    Attributes
    ----------
    coef : ndarray of shape (p + 1,)
        Intercept first, on the original covariate scale.
    ps : ndarray of shape (n,)
    linear_predictor : ndarray of shape (n,)
    converged : bool
    max_condition : float
        Largest absolute standardised balance condition at the solution.
    """

    coef: np.ndarray
    ps: np.ndarray
    linear_predictor: np.ndarray
    converged: bool
    max_condition: float


def _conditions(
    b: np.ndarray, Z: np.ndarray, t: np.ndarray, estimand: str
) -> tuple[np.ndarray, np.ndarray]:
    e = np.clip(expit(Z @ b), 1e-12, 1 - 1e-12)
    if estimand == "ATE":
        a = (t - e) / (e * (1 - e))
        # d a / d eta = derivative of t/e - (1-t)/(1-e) wrt eta
        da = -t * (1 - e) / e - (1 - t) * e / (1 - e)
    elif estimand == "ATT":
        a = (t - e) / (1 - e)
        da = -(1 - t) * e / (1 - e)
    else:
        a = (t - e) / e
        da = -t * (1 - e) / e
    n = len(t)
    g = Z.T @ a / n
    J = (Z * da[:, None]).T @ Z / n
    return g, J


def cbps_fit(
    X: np.ndarray, t: np.ndarray, estimand: str, *, tol: float = 1e-10, max_iter: int = 100
) -> CbpsFit:
    """Fit the just-identified CBPS for the ATE, ATT or ATC (no validation)."""
    mu, sd = X.mean(axis=0), X.std(axis=0)
    sd = np.where(sd > 0, sd, 1.0)
    Xs = (X - mu) / sd
    Z = np.column_stack([np.ones(len(t)), Xs])
    b = fit_binary_glm(Xs, t).coef
    tt = np.asarray(t, dtype=float)
    g, J = _conditions(b, Z, tt, estimand)
    converged = False
    for _ in range(max_iter):
        if np.max(np.abs(g)) < tol:
            converged = True
            break
        step = np.linalg.lstsq(J, g, rcond=None)[0]
        s, norm = 1.0, float(np.sum(g**2))
        while s > 1e-8:
            nb = b - s * step
            ng, nJ = _conditions(nb, Z, tt, estimand)
            if float(np.sum(ng**2)) < norm:
                break
            s /= 2
        b, g, J = nb, ng, nJ
    eta = Z @ b
    coef = np.r_[b[0] - np.sum(b[1:] * mu / sd), b[1:] / sd]
    return CbpsFit(
        coef=coef,
        ps=expit(eta),
        linear_predictor=eta,
        converged=converged or float(np.max(np.abs(g))) < tol,
        max_condition=float(np.max(np.abs(g))),
    )
