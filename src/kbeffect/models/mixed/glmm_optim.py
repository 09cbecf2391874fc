"""Maximisation of a (weighted) GLMM log-likelihood given per-group values and scores.

Shared by :func:`kbeffect.models.mixed.glmm.fit_glmm` and
:func:`kbeffect.models.mixed.clmm.fit_clmm`: L-BFGS-B on the exact gradient, then a few
Newton steps on the Hessian obtained by central differences of the gradient (which also
gives the model-based covariance), then the family-level sandwich.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import minimize

from kbeffect.errors import ConvergenceError, ConvergenceWarning

__all__ = ["OptimResult", "maximise"]

Array = NDArray[np.float64]
Objective = Callable[[Array], tuple[Array, Array]]


@dataclass(frozen=True, slots=True)
class OptimResult:
    """Maximiser of ``sum_j w_j Q_j(theta)``.

    Attributes
    ----------
    theta : ndarray (P,)
    loglik : float
        Weighted log-likelihood at ``theta``.
    hessian : ndarray (P, P)
        Hessian of the negative weighted log-likelihood.
    cov : ndarray (P, P)
        Inverse Hessian (NaN rows/columns for parameters on a bound).
    cov_robust : ndarray (P, P)
        Family-level sandwich ``H^-1 B H^-1`` with ``B = G/(G-1) sum_j w_j^2 s_j s_j^T``.
    grad_max : float
        Largest absolute gradient component at ``theta`` (free parameters).
    converged : bool
    message : str
    on_bound : ndarray of bool (P,)
    """

    theta: Array
    loglik: float
    hessian: Array
    cov: Array
    cov_robust: Array
    grad_max: float
    converged: bool
    message: str
    on_bound: NDArray[np.bool_]


def _fd_hessian(grad: Callable[[Array], Array], theta: Array, free: NDArray[np.bool_]) -> Array:
    P = theta.shape[0]
    H = np.zeros((P, P))
    for k in np.flatnonzero(free):
        h = 1e-4 * max(1.0, abs(theta[k]))
        e = np.zeros(P)
        e[k] = h
        H[:, k] = (grad(theta + e) - grad(theta - e)) / (2.0 * h)
    return 0.5 * (H + H.T)


def maximise(
    objective: Objective,
    theta0: Array,
    bounds: list[tuple[float | None, float | None]],
    weights: Array | None,
    *,
    maxiter: int = 500,
    what_to_try: str = "",
    warn: bool = True,
) -> OptimResult:
    """Maximise the weighted sum of per-group log-likelihoods returned by ``objective``.

    Parameters
    ----------
    objective : callable
        ``theta -> (Q (G,), S (G, P))``.
    theta0 : ndarray (P,)
        Start.
    bounds : list of (low, high)
        Box constraints (None for unbounded), used for log-SD and log-dispersion parameters.
    weights : ndarray (G,) or None
        Family-level pseudo-likelihood weights.
    maxiter : int
        Iteration limit of L-BFGS-B.
    what_to_try : str
        Advice appended to convergence messages.
    warn : bool
        Emit a :class:`ConvergenceWarning` when the fit did not converge. Callers that
        run further checks and warn once themselves (``fit_glmm``) pass False.
    """
    cache: dict[bytes, tuple[Array, Array]] = {}

    def evaluate(theta: Array) -> tuple[Array, Array]:
        key = theta.tobytes()
        if key not in cache:
            if len(cache) > 64:
                cache.clear()
            cache[key] = objective(theta)
        return cache[key]

    def f(theta: Array) -> float:
        Q, _ = evaluate(theta)
        val = -float(Q.sum() if weights is None else weights @ Q)
        return val if np.isfinite(val) else 1e300

    def grad(theta: Array) -> Array:
        _, S = evaluate(theta)
        return -(S.sum(axis=0) if weights is None else weights @ S)

    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        res = minimize(
            f,
            theta0,
            jac=grad,
            method="L-BFGS-B",
            bounds=bounds,
            options={"maxiter": maxiter, "ftol": 1e-13, "gtol": 1e-7, "maxcor": 20},
        )
    theta = np.asarray(res.x, dtype=float)
    lo = np.array([-np.inf if b[0] is None else b[0] for b in bounds])
    hi = np.array([np.inf if b[1] is None else b[1] for b in bounds])
    on_bound = (theta <= lo + 1e-6) | (theta >= hi - 1e-6)
    free = ~on_bound
    if not np.isfinite(f(theta)) or f(theta) >= 1e300:
        raise ConvergenceError(
            "The GLMM log-likelihood is not finite at the optimiser's solution "
            f"({res.message}). {what_to_try}"
        )
    # Newton polishing on the free parameters (Hessian recomputed only if the estimate moved)
    H = _fd_hessian(grad, theta, free)
    theta_h = theta.copy()
    for _ in range(10):
        g = grad(theta)
        Hf = H[np.ix_(free, free)]
        try:
            step_f = np.linalg.solve(Hf, -g[free])
        except np.linalg.LinAlgError:
            break
        if not np.all(np.isfinite(step_f)) or g[free] @ step_f >= 0:
            break
        step = np.zeros_like(theta)
        step[free] = step_f
        f0, t = f(theta), 1.0
        while t > 1e-4 and not f(np.clip(theta + t * step, lo, hi)) <= f0 + 1e-12 * abs(f0):
            t *= 0.5
        if t <= 1e-4:
            break
        theta = np.clip(theta + t * step, lo, hi)
        if np.max(np.abs(t * step_f)) < 1e-10:
            break
    if np.max(np.abs(theta - theta_h)) > 1e-5:
        H = _fd_hessian(grad, theta, free)
    g = grad(theta)
    grad_max = float(np.max(np.abs(g[free]))) if free.any() else 0.0
    P = theta.shape[0]
    cov = np.full((P, P), np.nan)
    cov_rob = np.full((P, P), np.nan)
    Hf = H[np.ix_(free, free)]
    eig = np.linalg.eigvalsh(Hf) if free.any() else np.ones(1)
    pd = bool(np.all(eig > 0))
    messages = []
    if pd:
        inv = np.linalg.inv(Hf)
        cov[np.ix_(free, free)] = inv
        _, S = evaluate(theta)
        Sw = S if weights is None else S * weights[:, None]
        G = S.shape[0]
        B = (G / max(G - 1, 1)) * (Sw[:, free].T @ Sw[:, free])
        cov_rob[np.ix_(free, free)] = inv @ B @ inv
    else:
        messages.append("the Hessian is not positive definite at the solution")
    scale = max(1.0, abs(f(theta)))
    if grad_max > 1e-3 * np.sqrt(scale):
        messages.append(f"the largest gradient component is {grad_max:.2g}")
    converged = pd and not messages
    message = "converged" if converged else "; ".join(messages)
    if warn and not converged:
        warnings.warn(
            f"GLMM fit may not have converged: {message}. {what_to_try}",
            ConvergenceWarning,
            stacklevel=3,
        )
    return OptimResult(theta, -f(theta), H, cov, cov_rob, grad_max, converged, message, on_bound)
