"""Count GLMM kernel: Poisson, NB2, zero-inflated and hurdle models with random intercepts.

``fit_glmm`` is a pure kernel on numpy arrays (no validation; the public entry point is
:func:`kbeffect.models.mixed.api.mixed`). One grouping level (family) is integrated by
adaptive Gauss-Hermite quadrature (``n_agq = 1`` is the Laplace approximation of glmmTMB,
``n_agq > 1`` matches ``lme4::glmer(nAGQ = n_agq)``); nested family / child intercepts use
the Laplace approximation (:mod:`kbeffect.models.mixed.glmm_laplace`). Family-level weights
enter as pseudo-likelihood weights ``sum_j w_j log L_j`` and ``cov_robust`` is the
family-level sandwich, which stays valid under such weighting.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from kbeffect.errors import ConvergenceWarning, SpecificationError
from kbeffect.models.mixed.families import CountFamily, OrdinalFamily, make_family
from kbeffect.models.mixed.glmm_laplace import nested_laplace_objective
from kbeffect.models.mixed.glmm_optim import maximise
from kbeffect.models.mixed.quadrature import GroupLayout, aghq_objective, gauss_hermite

__all__ = ["GlmmFit", "fit_glmm", "predict_mu"]

Array = NDArray[np.float64]
GlmmFamily = Literal["poisson", "negbin", "zip", "zinb", "hurdle_poisson", "hurdle_negbin"]

_TRY = (
    "Try: rescaling continuous covariates, a simpler model (drop the child level or the "
    "zero part), family='poisson' if theta is very large, or start= from a simpler fit."
)


@dataclass(frozen=True, slots=True)
class GlmmFit:
    """Result of :func:`fit_glmm` or :func:`kbeffect.models.mixed.clmm.fit_clmm`.

    Attributes
    ----------
    params : ndarray (p_total,)
        Count model: fixed effects (log-rate scale), then ``log_theta`` (NB2 size,
        Var = mu + mu^2/theta) where present, then zero-part coefficients (logit scale,
        named ``"zi:<name>"``). Ordinal model: thresholds first (``"threshold:k|k+1"``),
        then fixed effects.
    param_names : tuple of str
    cov_params : ndarray (p_total, p_total)
        Model-based covariance (inverse Hessian of the full likelihood, block for ``params``).
    cov_robust : ndarray (p_total, p_total) or None
        Family-level sandwich covariance (``G/(G-1)`` small-sample factor).
    re_sd : dict of str to float
        Random-intercept SD per level, on the linear-predictor scale.
    loglik : float
        (Weighted) log-likelihood at the estimate (AGHQ / Laplace approximation).
    n_obs : int
    n_groups : tuple of int
        Groups per level, outermost first.
    converged : bool
    message : str
    family : str
    theta : ndarray (p_total + n_levels,)
        Full parameter vector: ``params`` then ``log(sd)`` of each level.
    theta_names : tuple of str
    cov_theta : ndarray (P, P)
        Model-based covariance of ``theta`` (NaN for a log-SD on its lower bound).
    cov_theta_robust : ndarray (P, P)
    ranef : dict of str to ndarray
        Conditional modes of the random intercepts; outer level in the order of the sorted
        unique outer codes, inner level in (outer, inner) sorted order.
    n_agq : int
        Quadrature nodes (1 = Laplace).
    n_fixed : int
        Number of fixed-effect columns of ``X``.
    """

    params: Array
    param_names: tuple[str, ...]
    cov_params: Array
    cov_robust: Array | None
    re_sd: dict[str, float]
    loglik: float
    n_obs: int
    n_groups: tuple[int, ...]
    converged: bool
    message: str
    family: str
    theta: Array
    theta_names: tuple[str, ...]
    cov_theta: Array
    cov_theta_robust: Array
    ranef: dict[str, Array]
    n_agq: int
    n_fixed: int

    @property
    def std_errors(self) -> Array:
        """Model-based standard errors of ``params``."""
        return np.sqrt(np.diag(self.cov_params))

    def predict_mu(
        self,
        X: Array,
        offset: Array | None = None,
        zi_X: Array | None = None,
        *,
        kind: Literal["conditional", "marginal"] = "conditional",
    ) -> Array:
        """Shortcut for :func:`predict_mu`."""
        return predict_mu(self, X, offset, zi_X, kind=kind)


def _poisson_start(y: Array, X: Array, offset: Array) -> Array:
    """Fixed-effect Poisson regression by Newton (start values)."""
    mu0 = max(float(np.mean(y)), 1e-3)
    beta = np.linalg.lstsq(X, np.full(y.shape[0], np.log(mu0)) - offset, rcond=None)[0]
    for _ in range(25):
        eta = np.clip(X @ beta + offset, -30, 30)
        mu = np.exp(eta)
        step = np.linalg.lstsq(X * np.sqrt(mu)[:, None], (y - mu) / np.sqrt(mu), rcond=None)[0]
        beta = beta + step
        if np.max(np.abs(step)) < 1e-8:
            break
    return np.asarray(beta, dtype=float)


def _diagnose(res: Any, names: list[str], levels: tuple[str, ...]) -> list[str]:
    """Boundary and divergence checks that L-BFGS-B does not report as failures."""
    k = len(levels)
    th = res.theta
    out = []
    for i, lv in enumerate(levels):
        if res.on_bound[th.shape[0] - k + i] and th[th.shape[0] - k + i] < 0:
            out.append(
                f"the random-intercept SD of level {lv!r} is estimated at zero (singular fit); "
                "its standard error is not available: consider dropping that level"
            )
    for j, nm in enumerate(names):
        if nm == "log_theta" and res.on_bound[j]:
            side = (
                "infinite (no overdispersion): use the Poisson family"
                if th[j] > 0
                else ("near zero: check for extreme counts")
            )
            out.append(f"the NB2 size theta is estimated {side}")
        elif abs(th[j]) > 15.0:
            what = (
                "zero-part probability is ~0 or 1"
                if nm.startswith("zi:")
                else ("estimate diverges (separation: a cell with all-zero or all-equal outcomes?)")
            )
            out.append(f"parameter {nm!r} = {th[j]:.3g}: {what}; simplify the model")
    return out


def build_fit(
    res: Any,
    lay: GroupLayout,
    p: int,
    names: list[str],
    levels: tuple[str, ...],
    state: dict[str, Array],
    n_obs: int,
    n_agq: int,
    family: str,
    *,
    reorder: Any = None,
) -> GlmmFit:
    """Assemble a :class:`GlmmFit` from an optimiser result (shared with ``fit_clmm``)."""
    k = len(levels)
    P = res.theta.shape[0]
    idx = np.arange(P - k) if reorder is None else np.asarray(reorder)
    theta = res.theta
    full_idx = np.r_[idx, np.arange(P - k, P)]
    theta_out = theta[full_idx]
    cov = res.cov[np.ix_(full_idx, full_idx)]
    rob = res.cov_robust[np.ix_(full_idx, full_idx)]
    pn = tuple(names[i] for i in idx)
    problems = _diagnose(res, names, levels)
    converged = bool(res.converged) and not problems
    message = "; ".join(([] if res.converged else [res.message]) + problems) or "converged"
    if not converged:  # the one warning of a fit (``maximise`` is told not to warn)
        warnings.warn(f"GLMM fit may not have converged: {message}. {_TRY}",
                      ConvergenceWarning, stacklevel=3)
    ranef = {levels[0]: state["u"].copy()}
    if k == 2:
        ranef[levels[1]] = state["uc"].copy()
    return GlmmFit(
        params=theta_out[: P - k],
        param_names=pn,
        cov_params=cov[: P - k, : P - k],
        cov_robust=rob[: P - k, : P - k],
        re_sd={lv: float(np.exp(theta[P - k + i])) for i, lv in enumerate(levels)},
        loglik=float(res.loglik),
        n_obs=n_obs,
        n_groups=lay.n_groups,
        converged=converged,
        message=message,
        family=family,
        theta=theta_out,
        theta_names=(*pn, *(f"log_sd:{lv}" for lv in levels)),
        cov_theta=cov,
        cov_theta_robust=rob,
        ranef=ranef,
        n_agq=n_agq,
        n_fixed=p,
    )


def run_kernel(
    fam: CountFamily | OrdinalFamily,
    X: Array,
    offset: Array,
    lay: GroupLayout,
    theta0: Array,
    bounds: list[tuple[float | None, float | None]],
    weights: Array | None,
    n_agq: int,
    maxiter: int,
) -> tuple[Any, dict[str, Array]]:
    """Optimise the AGHQ (one level) or nested Laplace (two levels) likelihood."""
    G = lay.starts.shape[0]
    state: dict[str, Array] = {"u": np.zeros(G)}
    if lay.cstarts is not None:
        if n_agq != 1:
            raise SpecificationError(
                f"n_agq={n_agq} is not available with nested random intercepts; use n_agq=1 "
                "(Laplace) or a single grouping level."
            )
        state["uc"] = np.zeros(lay.cstarts.shape[0])
        obj = nested_laplace_objective
    else:
        obj = aghq_objective

    def objective(theta: Array) -> tuple[Array, Array]:
        return obj(theta, fam, X, offset, lay, n_agq, state)

    res = maximise(objective, theta0, bounds, weights, maxiter=maxiter, what_to_try=_TRY,
                   warn=False)
    objective(res.theta)  # leave the modes of the estimate in ``state``
    return res, state


def fit_glmm(
    y: Array,
    X: Array,
    groups: tuple[NDArray[Any], ...],
    *,
    family: GlmmFamily,
    offset: Array | None = None,
    weights: Array | None = None,
    n_agq: int = 1,
    zi_X: Array | None = None,
    start: Array | None = None,
    maxiter: int = 500,
    x_names: tuple[str, ...] | None = None,
    zi_names: tuple[str, ...] | None = None,
    group_names: tuple[str, ...] = ("family", "child"),
) -> GlmmFit:
    """Fit a count GLMM with random intercepts by maximum (pseudo-)likelihood.

    Parameters
    ----------
    y : ndarray (n,)
        Non-negative counts.
    X : ndarray (n, p)
        Fixed-effect design (including the intercept column).
    groups : tuple of ndarray (n,)
        Integer-coded grouping factors from outermost to innermost: ``(family,)`` or
        ``(family, child)``; child codes may repeat across families.
    family : {"poisson", "negbin", "zip", "zinb", "hurdle_poisson", "hurdle_negbin"}
    offset : ndarray (n,), optional
        Offset on the log scale (log exposure), in the count part.
    weights : ndarray (G,), optional
        Family-level pseudo-likelihood weights, one per outer group in the order of the
        sorted unique outer codes (codes 0..G-1 index ``weights`` directly).
    n_agq : int
        Gauss-Hermite nodes for one grouping level (1 = Laplace, as glmmTMB). Nested
        levels require 1.
    zi_X : ndarray (n, q), optional
        Design of the zero-inflation / hurdle part (logit link); default intercept only.
    start : ndarray, optional
        Start for the full vector ``[beta, extras, log_sd per level]``.
    maxiter : int
        L-BFGS-B iteration limit.
    x_names, zi_names : tuple of str, optional
        Column names of ``X`` and ``zi_X`` (used in ``param_names``).
    group_names : tuple of str
        Level names used in ``re_sd`` and ``ranef``.

    Returns
    -------
    GlmmFit
        Random effects enter only the count part (as glmmTMB's conditional model).
    """
    y = np.asarray(y, dtype=float)
    X = np.asarray(X, dtype=float)
    n, p = X.shape
    off = np.zeros(n) if offset is None else np.asarray(offset, dtype=float)
    lay = GroupLayout.build(tuple(groups))
    o = lay.order
    ys, Xs, offs = y[o], X[o], off[o]
    zs = None if zi_X is None else np.asarray(zi_X, dtype=float)[o]
    fam = make_family(family, ys, zs)
    levels = tuple(group_names[: len(groups)])
    xn = list(x_names) if x_names is not None else [f"x{j}" for j in range(p)]
    names = list(xn)
    if fam.nb:
        names.append("log_theta")
    if fam.Z is not None:
        q = fam.Z.shape[1]
        zn = (
            list(zi_names)
            if zi_names is not None
            else (["(Intercept)"] if zi_X is None else [f"z{j}" for j in range(q)])
        )
        names += [f"zi:{nm}" for nm in zn]
    if start is None:
        pos = ys > 0 if fam.hurdle else np.ones(n, dtype=bool)
        beta0 = _poisson_start(ys[pos], Xs[pos], offs[pos])
        extra: list[float] = []
        if fam.nb:
            mu = np.exp(Xs @ beta0 + offs)
            over = max(float(np.mean((ys - mu) ** 2 - mu)) / max(float(np.mean(mu**2)), 1e-8), 1e-2)
            extra.append(float(np.log(min(1.0 / over, 1e3))))
        if fam.Z is not None:
            p0 = float(np.mean(ys == 0))
            if not fam.hurdle:
                p0 = max(p0 - float(np.mean(np.exp(-np.exp(Xs @ beta0 + offs)))), 0.05)
            gam = np.zeros(fam.Z.shape[1])
            gam[0] = np.log(min(max(p0, 0.02), 0.98) / (1 - min(max(p0, 0.02), 0.98)))
            extra += list(gam)
        theta0 = np.r_[beta0, extra, np.full(len(groups), np.log(0.5))]
    else:
        theta0 = np.asarray(start, dtype=float)
    bounds: list[tuple[float | None, float | None]] = [(None, None)] * p
    if fam.nb:
        bounds.append((-10.0, 15.0))
    bounds += [(None, None)] * fam.n_zi
    bounds += [(-8.0, 5.0)] * len(groups)
    w = None
    if weights is not None:
        w = np.asarray(weights, dtype=float)
    res, state = run_kernel(fam, Xs, offs, lay, theta0, bounds, w, n_agq, maxiter)
    return build_fit(res, lay, p, names, levels, state, n, n_agq, family)


def predict_mu(
    fit: GlmmFit,
    X: Array,
    offset: Array | None = None,
    zi_X: Array | None = None,
    *,
    kind: Literal["conditional", "marginal"] = "conditional",
) -> Array:
    """Predict the expected count for new rows.

    Parameters
    ----------
    fit : GlmmFit
        A count fit (``fit_glmm``).
    X : ndarray (n, p)
    offset : ndarray (n,), optional
        Log exposure.
    zi_X : ndarray (n, q), optional
        Zero-part design (default intercept only, as in the fit's default).
    kind : {"conditional", "marginal"}
        ``"conditional"``: mean with all random intercepts at 0 (a typical family).
        ``"marginal"``: mean averaged over the random intercepts (population average),
        integrating ``u ~ N(0, sum of the level variances)`` with 40-point Gauss-Hermite
        quadrature (exact ``exp(sigma^2/2)`` factor for Poisson / NB; needed for hurdle).

    Returns
    -------
    ndarray (n,)
    """
    X = np.asarray(X, dtype=float)
    n, p = X.shape
    eta = X @ fit.params[:p] + (0.0 if offset is None else np.asarray(offset, dtype=float))
    fam = CountFamily(fit.family, np.zeros(n), zi_X)
    theta = float(np.exp(fit.params[p])) if fam.nb else None
    zeta = None
    if fam.Z is not None:
        zeta = fam.Z @ fit.params[p + fam.n_theta :]
    if kind == "conditional":
        return fam.mean(eta, zeta, theta)
    sd = float(np.sqrt(sum(s * s for s in fit.re_sd.values())))
    z, w = gauss_hermite(40)
    u = np.sqrt(2.0) * sd * z
    vals = fam.mean(eta[None, :] + u[:, None], None if zeta is None else zeta[None, :], theta)
    return np.asarray((w[:, None] * vals).sum(axis=0) / np.sqrt(np.pi))
