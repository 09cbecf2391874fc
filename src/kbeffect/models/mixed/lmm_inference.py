r"""Inference for the linear mixed model: Satterthwaite df and the family-level sandwich.

Satterthwaite degrees of freedom follow lmerTest (Kuznetsova, Brockhoff and Christensen,
2017): with ``psi = (theta, sigma)``, ``C(psi) = sigma^2 A(theta)^{-1}`` the covariance of
the fixed effects and ``Sigma_psi = 2 H^{-1}`` the asymptotic covariance of ``psi`` (``H``
the Hessian of the deviance with only ``beta`` profiled out), a contrast ``l`` has

.. math::

    \nu = \frac{2 (l^\top C l)^2}{g^\top \Sigma_\psi g},
    \qquad g_k = l^\top \frac{\partial C}{\partial \psi_k} l .

lmerTest takes both derivatives numerically (numDeriv). Here the Hessian is the
numerical Jacobian (central differences with one Richardson step) of the *analytic*
gradient of the deviance, which needs ``4 k`` gradient evaluations instead of ``O(k^2)``
deviance evaluations; ``dC/dpsi`` is numerical in ``theta`` and analytic in ``sigma``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from kbeffect.models.mixed.lmm_design import LmmStructure
from kbeffect.models.mixed.lmm_deviance import evaluate, varpar_gradient

__all__ = [
    "jacobian_of_gradient",
    "numerical_hessian",
    "robust_cov",
    "satterthwaite_df",
    "satterthwaite_f",
    "satterthwaite_pieces",
]


def robust_cov(a_inv: np.ndarray, scores: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Family-level cluster-robust covariance of the GLS fixed effects (CR1).

    Parameters
    ----------
    a_inv : ndarray, shape (p, p)
        Inverse of ``sum_i w_i X_i' V_i^{-1} X_i`` (the scaled "bread").
    scores : ndarray, shape (G, p)
        ``X_i' V_i^{-1} e_i`` per family.
    weights : ndarray, shape (G,)
        Family weights.

    Returns
    -------
    ndarray, shape (p, p)
        ``G/(G-1) A^{-1} (sum_i w_i^2 s_i s_i') A^{-1}``.

    Notes
    -----
    ``sigma^2`` cancels: the GLS estimator only depends on ``V`` up to scale.
    """
    g = scores.shape[0]
    ws = scores * weights[:, None]
    meat = ws.T @ ws
    return (g / (g - 1.0)) * (a_inv @ meat @ a_inv)


def numerical_hessian(f: Callable[[np.ndarray], float], x: np.ndarray) -> np.ndarray:
    """Hessian of ``f`` at ``x`` by central differences with one Richardson step."""
    x = np.asarray(x, dtype=float)
    k = x.size
    f0 = f(x)

    def at_step(h: np.ndarray) -> np.ndarray:
        H = np.empty((k, k))
        fp = np.empty(k)
        fm = np.empty(k)
        for j in range(k):
            e = np.zeros(k)
            e[j] = h[j]
            fp[j], fm[j] = f(x + e), f(x - e)
            H[j, j] = (fp[j] - 2.0 * f0 + fm[j]) / h[j] ** 2
        for j in range(k):
            for i in range(j):
                ei = np.zeros(k)
                ej = np.zeros(k)
                ei[i], ej[j] = h[i], h[j]
                val = f(x + ei + ej) - f(x + ei - ej) - f(x - ei + ej) + f(x - ei - ej)
                H[i, j] = H[j, i] = val / (4.0 * h[i] * h[j])
        return H

    h = 1e-3 * np.maximum(np.abs(x), 0.1)
    return (4.0 * at_step(h / 2.0) - at_step(h)) / 3.0


def jacobian_of_gradient(g: Callable[[np.ndarray], np.ndarray], x: np.ndarray) -> np.ndarray:
    """Hessian as the Jacobian of an analytic gradient (central differences, Richardson)."""
    x = np.asarray(x, dtype=float)
    k = x.size

    def at_step(h: np.ndarray) -> np.ndarray:
        H = np.empty((k, k))
        for j in range(k):
            e = np.zeros(k)
            e[j] = h[j]
            H[:, j] = (g(x + e) - g(x - e)) / (2.0 * h[j])
        return H

    h = 1e-3 * np.maximum(np.abs(x), 0.1)
    H = (4.0 * at_step(h / 2.0) - at_step(h)) / 3.0
    return 0.5 * (H + H.T)


def satterthwaite_pieces(
    theta: np.ndarray,
    sigma: float,
    structure: LmmStructure,
    weights: np.ndarray,
    reml: bool,
) -> tuple[np.ndarray, np.ndarray]:
    """Return ``Sigma_psi`` and ``dC/dpsi`` at the estimate.

    Returns
    -------
    vcov_varpar : ndarray, shape (k, k)
        Asymptotic covariance of ``psi = (theta, sigma)``, ``k = n_theta + 1``; a
        pseudo-inverse is used when the Hessian is singular (boundary fits).
    jac_cov : ndarray, shape (k, p, p)
        Derivative of ``sigma^2 A(theta)^{-1}`` with respect to each element of ``psi``.
    """
    varpar = np.concatenate([np.asarray(theta, dtype=float), [sigma]])
    H = jacobian_of_gradient(lambda v: varpar_gradient(v, structure, weights, reml), varpar)
    vcov_vp = 2.0 * np.linalg.pinv(H, hermitian=True)

    def a_inv(th: np.ndarray) -> np.ndarray:
        return np.linalg.inv(evaluate(th, structure, weights, reml=reml).A)

    k = varpar.size
    p = structure.n_fixed
    jac = np.empty((k, p, p))
    base = a_inv(theta)
    for j in range(k - 1):
        h = 1e-4 * max(abs(theta[j]), 0.1)

        def central(step: float, j: int = j) -> np.ndarray:
            e = np.zeros(k - 1)
            e[j] = step
            return (a_inv(theta + e) - a_inv(theta - e)) / (2.0 * step)

        d = (4.0 * central(h / 2.0) - central(h)) / 3.0
        jac[j] = sigma**2 * d
    jac[k - 1] = 2.0 * sigma * base
    return vcov_vp, jac


def satterthwaite_df(
    contrasts: np.ndarray, cov: np.ndarray, vcov_varpar: np.ndarray, jac_cov: np.ndarray
) -> np.ndarray:
    """Satterthwaite degrees of freedom of each row of ``contrasts``.

    Parameters
    ----------
    contrasts : ndarray, shape (q, p)
        One linear combination of the fixed effects per row.
    cov : ndarray, shape (p, p)
        Model-based covariance of the fixed effects.
    vcov_varpar : ndarray, shape (k, k)
    jac_cov : ndarray, shape (k, p, p)
        From :func:`satterthwaite_pieces`.

    Returns
    -------
    ndarray, shape (q,)
    """
    L = np.atleast_2d(np.asarray(contrasts, dtype=float))
    var = np.einsum("qp,pr,qr->q", L, cov, L)
    g = np.einsum("qp,kpr,qr->qk", L, jac_cov, L)
    denom = np.einsum("qk,kl,ql->q", g, vcov_varpar, g)
    with np.errstate(divide="ignore", invalid="ignore"):
        df = 2.0 * var**2 / denom
    return np.where(np.isfinite(df) & (df > 0), df, np.inf)


def satterthwaite_f(
    contrasts: np.ndarray,
    beta: np.ndarray,
    cov: np.ndarray,
    vcov_varpar: np.ndarray,
    jac_cov: np.ndarray,
) -> tuple[float, int, float]:
    """Multi-df F test of ``L beta = 0`` with Satterthwaite denominator df (lmerTest).

    Follows lmerTest's ``contestMD``: the contrast covariance ``L C L'`` is diagonalised,
    each eigen-direction gets a one-df Satterthwaite ``nu_m``, and with
    ``E = sum nu_m / (nu_m - 2)`` the denominator df is ``2 E / (E - q)`` (2 when any
    ``nu_m <= 2``; the common value when all are equal).

    Parameters
    ----------
    contrasts : ndarray, shape (q, p)
    beta : ndarray, shape (p,)
    cov, vcov_varpar, jac_cov : ndarray
        As in :func:`satterthwaite_df`.

    Returns
    -------
    F : float
    num_df : int
    den_df : float
    """
    L = np.atleast_2d(np.asarray(contrasts, dtype=float))
    VL = L @ cov @ L.T
    d, P = np.linalg.eigh(0.5 * (VL + VL.T))
    order = np.argsort(d)[::-1]
    d, P = d[order], P[:, order]
    pos = d > max(np.finfo(float).eps * d[0], 0.0)
    q = int(pos.sum())
    PtL = (P.T @ L)[:q]
    F = float(np.sum((PtL @ beta) ** 2 / d[:q]) / q)
    nu = satterthwaite_df(PtL, cov, vcov_varpar, jac_cov)
    if q == 1:
        den = float(nu[0])
    elif np.all(np.abs(np.diff(nu)) < 1e-8):
        den = float(np.mean(nu))
    elif np.any(nu <= 2):
        den = 2.0
    else:
        E = float(np.sum(nu / (nu - 2.0)))
        den = 2.0 * E / (E - q)
    return F, q, den
