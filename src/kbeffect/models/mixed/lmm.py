"""Linear mixed model kernel: nested random intercepts (and slopes) by profiled (RE)ML.

:func:`fit_lmm` is a pure kernel on arrays (no validation; :func:`kbeffect.mixed` checks
the input). It minimises lme4's profiled deviance (:mod:`.lmm_deviance`) over the relative
Cholesky factors ``theta`` with SLSQP (bounded quasi-Newton) and an analytic gradient,
then computes the model-based and family-level cluster-robust covariances of the fixed
effects and the pieces the Satterthwaite approximation needs (:mod:`.lmm_inference`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize

from kbeffect.models.mixed.lmm_design import LmmStructure, build_structure, theta_layout
from kbeffect.models.mixed.lmm_deviance import evaluate, profiled_deviance
from kbeffect.models.mixed.lmm_inference import robust_cov, satterthwaite_pieces

__all__ = ["LmmFit", "fit_lmm"]

#: A relative standard deviation below this is reported as a boundary (singular) fit.
BOUNDARY_TOL = 1e-4


@dataclass(frozen=True, slots=True)
class LmmFit:
    """Result of :func:`fit_lmm` (arrays only; wrapped by :class:`MixedResult`).

    Attributes
    ----------
    params : ndarray, shape (p,)
        Fixed effects.
    param_names : tuple of str, length p
        Names of the fixed effects.
    cov_params : ndarray, shape (p, p)
        Model-based covariance ``sigma^2 A^{-1}``.
    cov_robust : ndarray, shape (p, p)
        Family-level cluster-robust (CR1, factor ``G / (G - 1)``) sandwich covariance.
    theta : ndarray, shape (n_theta,)
        Relative Cholesky factors in lme4's order.
    sigma : float
        Residual standard deviation.
    re_cov : dict of str to ndarray
        Covariance matrix (1 x 1, or 2 x 2 with a random slope: intercept, slope) of the
        random effects of each level.
    re_sd : dict of str to float
        Standard deviation of each random effect (``"family"``, ``"family:wave"``, ...).
    loglik : float
        Log-likelihood (REML log-likelihood for REML fits, as lme4's ``logLik``).
    deviance : float
        ``-2 * loglik``.
    reml : bool
        Whether the REML criterion was used.
    n_obs : int
        Number of rows.
    n_groups : tuple of int
        Groups at each level, outermost first.
    level_names : tuple of str
        Name of each grouping level.
    converged : bool
        Whether the optimiser converged (``False`` carries an explanation in ``message``).
    singular : bool
        Whether a random-effect standard deviation is on the boundary (zero).
    message : str
        Optimiser message and diagnostics.
    vcov_varpar : ndarray, shape (n_theta + 1, n_theta + 1) or None
        Asymptotic covariance of ``(theta, sigma)`` (twice the inverse Hessian of the
        deviance), for Satterthwaite degrees of freedom; ``None`` when not computed.
    jac_cov : ndarray, shape (n_theta + 1, p, p) or None
        Derivative of ``cov_params`` with respect to ``(theta, sigma)``.
    ranef : dict of str to ndarray
        Conditional modes (BLUPs) of the random effects of each level, shape
        ``(n_groups, 1)`` or ``(n_groups, 2)`` (intercept, slope), groups in the order of
        their codes.
    family : str
        Always ``"gaussian"``.
    """

    params: np.ndarray
    param_names: tuple[str, ...]
    cov_params: np.ndarray
    cov_robust: np.ndarray
    theta: np.ndarray
    sigma: float
    re_cov: dict[str, np.ndarray]
    re_sd: dict[str, float]
    loglik: float
    deviance: float
    reml: bool
    n_obs: int
    n_groups: tuple[int, ...]
    level_names: tuple[str, ...]
    converged: bool
    singular: bool
    message: str
    vcov_varpar: np.ndarray | None
    jac_cov: np.ndarray | None
    ranef: dict[str, np.ndarray]
    family: str = "gaussian"


def fit_lmm(
    y: np.ndarray,
    X: np.ndarray,
    groups: tuple[np.ndarray, ...],
    *,
    x_names: tuple[str, ...] | None = None,
    level_names: tuple[str, ...] | None = None,
    slope: np.ndarray | None = None,
    slope_levels: tuple[int, ...] = (),
    slope_name: str = "slope",
    reml: bool = True,
    weights: np.ndarray | None = None,
    start: np.ndarray | None = None,
    maxiter: int = 1000,
    satterthwaite: bool = True,
) -> LmmFit:
    """Fit a linear mixed model with nested random intercepts by profiled (RE)ML.

    Parameters
    ----------
    y : ndarray, shape (n,)
        Response.
    X : ndarray, shape (n, p)
        Fixed-effects design of full column rank.
    groups : tuple of ndarray of int, each shape (n,)
        Group codes, outermost (family) first; inner groups lie within one family.
    x_names : tuple of str, optional
        Names of the columns of ``X``.
    level_names : tuple of str, optional
        Names of the grouping levels (default ``"level0"``, ...).
    slope : ndarray, shape (n,), optional
        Covariate with a random slope.
    slope_levels : tuple of int
        Levels with a correlated random slope for ``slope``.
    slope_name : str
        Name of the slope covariate (used in ``re_sd`` keys).
    reml : bool
        REML (default) or ML.
    weights : ndarray, shape (G,), optional
        Family-level pseudo-likelihood weights, in the order of the sorted family codes.
    start : ndarray, shape (n_theta,), optional
        Starting ``theta`` (default: 1 for standard deviations, 0 for the off-diagonal).
    maxiter : int
        Maximum optimiser iterations.
    satterthwaite : bool
        Whether to compute the pieces for Satterthwaite degrees of freedom.

    Returns
    -------
    LmmFit
    """
    y = np.asarray(y, dtype=float)
    X = np.asarray(X, dtype=float)
    n_levels = len(groups)
    names = level_names or tuple(f"level{i}" for i in range(n_levels))
    xn = x_names or tuple(f"x{j}" for j in range(X.shape[1]))
    structure = build_structure(y, X, groups, slope=slope, slope_levels=slope_levels)
    n_fam = structure.n_groups[0]
    w = np.ones(n_fam) if weights is None else np.asarray(weights, dtype=float)
    layout = theta_layout(n_levels, structure.slope_levels)
    x0 = (
        np.array([0.0 if role == "l21" else 1.0 for _, role in layout])
        if start is None
        else np.asarray(start, dtype=float)
    )
    bounds = [(None, None) if role == "l21" else (0.0, None) for _, role in layout]
    res = optimize.minimize(
        profiled_deviance,
        x0,
        args=(structure, w, reml),
        jac=True,
        method="SLSQP",
        bounds=bounds,
        options={"maxiter": maxiter, "ftol": 1e-12},
    )
    theta = np.asarray(res.x, dtype=float)
    state = evaluate(theta, structure, w, reml=reml, gradient=True, scores=True)
    p = structure.n_fixed
    nu = state.n_eff - p if reml else state.n_eff
    sigma2 = state.r2 / nu
    a_inv = np.linalg.inv(state.A)
    cov = sigma2 * a_inv
    assert state.scores is not None
    cov_r = robust_cov(a_inv, state.scores, w)

    re_cov, re_sd, singular = _variance_components(theta, layout, names, slope_name, sigma2)
    converged, message = _diagnose(res, state.gradient, theta, layout)
    assert state.vinv_resid is not None
    ranef = _blups(theta, layout, names, groups, slope, state.vinv_resid)
    vcov_vp = jac = None
    if satterthwaite:
        vcov_vp, jac = satterthwaite_pieces(theta, float(np.sqrt(sigma2)), structure, w, reml)
    return LmmFit(
        params=state.beta,
        param_names=tuple(xn),
        cov_params=cov,
        cov_robust=cov_r,
        theta=theta,
        sigma=float(np.sqrt(sigma2)),
        re_cov=re_cov,
        re_sd=re_sd,
        loglik=-0.5 * state.deviance,
        deviance=state.deviance,
        reml=reml,
        n_obs=structure.n_obs,
        n_groups=structure.n_groups,
        level_names=tuple(names),
        converged=converged,
        singular=singular,
        message=message,
        vcov_varpar=vcov_vp,
        jac_cov=jac,
        ranef=ranef,
    )


def _blups(
    theta: np.ndarray,
    layout: list[tuple[int, str]],
    names: tuple[str, ...],
    groups: tuple[np.ndarray, ...],
    slope: np.ndarray | None,
    vinv_resid: np.ndarray,
) -> dict[str, np.ndarray]:
    """BLUPs ``b_g = Lambda Lambda' sum_{rows in g} z_a (V^{-1} e)_a`` per level.

    ``sigma^2`` cancels between ``G = sigma^2 Lambda Lambda'`` and ``Var(y) = sigma^2 V``.
    """
    out: dict[str, np.ndarray] = {}
    for lev, name in enumerate(names):
        codes = np.unique(np.asarray(groups[lev]), return_inverse=True)[1]
        vals = {role: theta[j] for j, (lv, role) in enumerate(layout) if lv == lev}
        s0 = np.bincount(codes, weights=vinv_resid)
        if "l21" in vals and slope is not None:
            lam = np.array([[vals["l11"], 0.0], [vals["l21"], vals["l22"]]])
            s1 = np.bincount(codes, weights=vinv_resid * slope)
            out[name] = np.column_stack([s0, s1]) @ (lam @ lam.T)
        else:
            out[name] = (vals["l11"] ** 2 * s0)[:, None]
    return out


def _variance_components(
    theta: np.ndarray,
    layout: list[tuple[int, str]],
    names: tuple[str, ...],
    slope_name: str,
    sigma2: float,
) -> tuple[dict[str, np.ndarray], dict[str, float], bool]:
    re_cov: dict[str, np.ndarray] = {}
    re_sd: dict[str, float] = {}
    singular = False
    for lev, name in enumerate(names):
        vals = {role: theta[j] for j, (lv, role) in enumerate(layout) if lv == lev}
        if "l21" in vals:
            lam = np.array([[vals["l11"], 0.0], [vals["l21"], vals["l22"]]])
            G = sigma2 * lam @ lam.T
            re_cov[name] = G
            re_sd[name] = float(np.sqrt(G[0, 0]))
            re_sd[f"{name}:{slope_name}"] = float(np.sqrt(G[1, 1]))
            singular |= bool(vals["l11"] < BOUNDARY_TOL or vals["l22"] < BOUNDARY_TOL)
        else:
            re_cov[name] = np.array([[sigma2 * vals["l11"] ** 2]])
            re_sd[name] = float(np.sqrt(sigma2) * vals["l11"])
            singular |= bool(vals["l11"] < BOUNDARY_TOL)
    return re_cov, re_sd, singular


def _diagnose(
    res: optimize.OptimizeResult,
    grad: np.ndarray | None,
    theta: np.ndarray,
    layout: list[tuple[int, str]],
) -> tuple[bool, str]:
    """Check the optimiser result and the projected gradient at the solution."""
    g = np.zeros_like(theta) if grad is None else grad.copy()
    for j, (_, role) in enumerate(layout):
        if role != "l21" and theta[j] <= 1e-10 and g[j] > 0:
            g[j] = 0.0  # at the lower bound with the gradient pointing outwards: fine
    max_grad = float(np.max(np.abs(g))) if g.size else 0.0
    ok = bool(res.success) or max_grad < 1e-3
    msg = f"{res.message}; max |projected gradient| = {max_grad:.2e}; iterations = {res.nit}"
    if max_grad >= 1e-3:
        ok = False
    return ok, str(msg)


def structure_for(
    y: np.ndarray,
    X: np.ndarray,
    groups: tuple[np.ndarray, ...],
    *,
    slope: np.ndarray | None = None,
    slope_levels: tuple[int, ...] = (),
) -> LmmStructure:
    """Return the batched structure :func:`fit_lmm` uses (for diagnostics and tests)."""
    return build_structure(
        np.asarray(y, float), np.asarray(X, float), groups, slope=slope, slope_levels=slope_levels
    )
