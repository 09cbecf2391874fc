r"""Profiled (RE)ML deviance of a nested linear mixed model and its analytic gradient.

With ``V_i`` the scaled covariance of family ``i`` (see :mod:`.lmm_design`), family
weights ``w_i`` (all one without weights), ``A = sum_i w_i X_i' V_i^{-1} X_i``,
``beta = A^{-1} sum_i w_i X_i' V_i^{-1} y_i``, the weighted residual sum of squares
``r2 = sum_i w_i e_i' V_i^{-1} e_i``, ``N = sum_i w_i n_i`` and ``nu = N - p`` (REML) or
``N`` (ML), the profiled deviance (minus twice the log-likelihood with ``beta`` and
``sigma`` profiled out) is

.. math::

    d(\theta) = \sum_i w_i \log|V_i| + [\log|A|]_{REML}
                 + \nu (1 + \log(2 \pi r^2 / \nu)),

the criterion lme4 minimises (``REMLcrit`` / ``deviance``). With unit weights this is the
exact (RE)ML deviance; with family weights it is the pseudo-likelihood of Rabe-Hesketh and
Skrondal (2006) with weights at the family level only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kbeffect.models.mixed.lmm_design import LmmStructure, basis_coefficients

__all__ = ["GlsState", "evaluate", "profiled_deviance", "varpar_deviance", "varpar_gradient"]

_LOG2PI = float(np.log(2.0 * np.pi))


@dataclass(frozen=True, slots=True)
class GlsState:
    """Generalised least squares quantities at one value of ``theta``.

    Attributes
    ----------
    beta : ndarray, shape (p,)
        GLS estimate of the fixed effects.
    A : ndarray, shape (p, p)
        ``sum_i w_i X_i' V_i^{-1} X_i`` (so ``Cov(beta) = sigma^2 A^{-1}``).
    r2 : float
        Weighted penalised residual sum of squares ``sum_i w_i e_i' V_i^{-1} e_i``.
    logdet_v : float
        ``sum_i w_i log|V_i|``.
    n_eff : float
        ``N = sum_i w_i n_i``.
    deviance : float
        Profiled deviance (REML criterion when ``reml``).
    gradient : ndarray, shape (n_theta,) or None
        Analytic gradient of the deviance with respect to ``theta``.
    scores : ndarray, shape (G, p) or None
        Per-family GLS score contributions ``X_i' V_i^{-1} e_i`` (unweighted), in the order
        of the sorted family codes.
    vinv_resid : ndarray, shape (n,) or None
        ``V^{-1} e`` per row in the input order (with ``scores``), for the BLUPs.
    """

    beta: np.ndarray
    A: np.ndarray
    r2: float
    logdet_v: float
    n_eff: float
    deviance: float
    gradient: np.ndarray | None
    scores: np.ndarray | None
    vinv_resid: np.ndarray | None = None


def evaluate(
    theta: np.ndarray,
    structure: LmmStructure,
    weights: np.ndarray,
    *,
    reml: bool,
    gradient: bool = False,
    scores: bool = False,
    sigma2: float | None = None,
) -> GlsState:
    """Evaluate the profiled deviance (and optionally its gradient and family scores).

    Parameters
    ----------
    theta : ndarray, shape (n_theta,)
        Relative Cholesky factors in lme4's order (:func:`.lmm_design.theta_layout`).
    structure : LmmStructure
        Batched model structure.
    weights : ndarray, shape (G,)
        Family weights in the order of the sorted family codes.
    reml : bool
        REML (True) or ML (False) criterion.
    gradient, scores : bool
        Whether to compute the gradient and the per-family scores.
    sigma2 : float, optional
        When given, the gradient is that of the deviance with ``sigma`` fixed at
        ``sqrt(sigma2)`` (:func:`varpar_gradient`) instead of the profiled deviance.

    Returns
    -------
    GlsState
    """
    c, dc = basis_coefficients(np.asarray(theta, dtype=float), structure)
    p = structure.n_fixed
    A = np.zeros((p, p))
    b = np.zeros(p)
    yy = 0.0
    logdet = 0.0
    n_eff = 0.0
    inverses = []
    for batch in structure.batches:
        k, m = batch.y.shape
        V = (c @ batch.bases.reshape(len(c), -1)).reshape(k, m, m)
        V[:, np.arange(m), np.arange(m)] += 1.0
        chol = np.linalg.cholesky(V)
        ld = 2.0 * np.log(np.diagonal(chol, axis1=1, axis2=2)).sum(axis=1)
        W = np.linalg.inv(V)
        inverses.append(W)
        wk = weights[batch.family]
        XY = batch.XY  # (k, m, p + 1): design and response side by side
        WXY = W @ XY
        logdet += float(wk @ ld)
        cross = (XY * wk[:, None, None]).reshape(-1, p + 1).T @ WXY.reshape(-1, p + 1)
        A += cross[:p, :p]
        b += cross[:p, p]
        yy += float(cross[p, p])
        n_eff += float(wk @ batch.n_rows)
    beta = np.linalg.solve(A, b)
    r2 = max(yy - float(b @ beta), 1e-300)
    nu = n_eff - p if reml else n_eff
    dev = logdet + nu * (1.0 + _LOG2PI + np.log(r2 / nu))
    if reml:
        dev += float(np.linalg.slogdet(A)[1])

    grad = None
    score_arr = None
    vinv_e = np.zeros(1)
    if gradient or scores:
        d_dc = np.zeros(len(c))
        a_inv = np.linalg.inv(A) if reml else None
        score_arr = np.zeros((sum(len(bt.family) for bt in structure.batches), p))
        vinv_e = np.zeros(structure.n_obs + 1)  # last slot collects the padding rows
        beta1 = np.r_[-beta, 1.0]
        for batch, W in zip(structure.batches, inverses, strict=True):
            k, m = batch.y.shape
            wk = weights[batch.family][:, None, None]
            e = batch.XY @ beta1
            u = np.einsum("kab,kb->ka", W, e)
            score_arr[batch.family] = np.einsum("kmp,km->kp", batch.X, u)
            vinv_e[batch.rows] = u
            if not gradient:
                continue
            # d dev / d V_i = w_i (W_i - (nu / r2) u_i u_i' - [W_i X_i A^-1 X_i' W_i]_REML)
            scale = nu / r2 if sigma2 is None else 1.0 / sigma2
            S = W - scale * (u[:, :, None] * u[:, None, :])
            if a_inv is not None:
                WX = W @ batch.X
                S -= (WX @ a_inv) @ WX.transpose(0, 2, 1)
            S *= wk
            d_dc += batch.bases.reshape(len(c), -1) @ S.ravel()
        if gradient:
            grad = dc.T @ d_dc
        if not scores:
            score_arr = None
    return GlsState(
        beta=beta,
        A=A,
        r2=r2,
        logdet_v=logdet,
        n_eff=n_eff,
        deviance=float(dev),
        gradient=grad,
        scores=score_arr,
        vinv_resid=vinv_e[:-1] if scores else None,
    )


def profiled_deviance(
    theta: np.ndarray, structure: LmmStructure, weights: np.ndarray, reml: bool
) -> tuple[float, np.ndarray]:
    """Return the profiled deviance and its gradient (the optimiser's objective)."""
    state = evaluate(theta, structure, weights, reml=reml, gradient=True)
    assert state.gradient is not None  # internal invariant, not user input
    return state.deviance, state.gradient


def varpar_deviance(
    varpar: np.ndarray, structure: LmmStructure, weights: np.ndarray, reml: bool
) -> float:
    """Deviance as a function of ``(theta, sigma)`` with only ``beta`` profiled out.

    This is lmerTest's ``devfun_vp``: its Hessian at the optimum, halved and inverted, is
    the asymptotic covariance of the variance parameters used by the Satterthwaite
    approximation.
    """
    theta, sigma = varpar[:-1], float(varpar[-1])
    state = evaluate(theta, structure, weights, reml=reml)
    p = structure.n_fixed
    nu = state.n_eff - p if reml else state.n_eff
    dev = state.logdet_v + nu * (_LOG2PI + 2.0 * np.log(sigma)) + state.r2 / sigma**2
    if reml:
        dev += float(np.linalg.slogdet(state.A)[1])
    return float(dev)


def varpar_gradient(
    varpar: np.ndarray, structure: LmmStructure, weights: np.ndarray, reml: bool
) -> np.ndarray:
    """Analytic gradient of :func:`varpar_deviance` with respect to ``(theta, sigma)``."""
    theta, sigma = varpar[:-1], float(varpar[-1])
    state = evaluate(theta, structure, weights, reml=reml, gradient=True, sigma2=sigma**2)
    p = structure.n_fixed
    nu = state.n_eff - p if reml else state.n_eff
    d_sigma = 2.0 * nu / sigma - 2.0 * state.r2 / sigma**3
    assert state.gradient is not None  # internal invariant, not user input
    return np.r_[state.gradient, d_sigma]
