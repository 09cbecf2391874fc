"""Batched estimation kernels: one call fits every bootstrap replicate.

All kernels take a weight matrix ``W`` of shape ``(B, n)`` (replicate ``b`` weights unit
``i`` by ``W[b, i]``; integer counts reproduce a resample with duplicated units) and return
arrays with a leading replicate axis. They do no argument checking (callers validate
once) and never loop over replicates in Python.

Cost. Quantities that are linear in the weights are aggregated to per-cluster sufficient
statistics first (``X_g' X_g``, ``X_g' y_g``), so a replicate of weighted least squares
costs ``O(G p^2)`` (a matrix product ``(B, G) @ (G, p^2)``), not ``O(n p^2)``. The logit
Newton step needs the fitted probabilities of every unit and costs ``O(n p^2)`` per
replicate and iteration, again as one ``(B, n) @ (n, p^2)`` product.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy.special import expit

__all__ = [
    "ClusterSums",
    "LogitBatch",
    "WLSBatch",
    "cluster_sums",
    "ipw_weight_derivative",
    "ipw_weights",
    "logit_irls_batched",
    "outer_rows_upper",
    "weighted_did",
    "wls_batched",
    "wls_wild",
]

Estimand = Literal["att", "ate", "ato"]


@dataclass(frozen=True, slots=True)
class LogitBatch:
    """Logistic regressions fitted for every replicate.

    Attributes
    ----------
    beta : ndarray of shape (B, p)
        Coefficients (NaN for replicates that did not converge).
    converged : ndarray of shape (B,)
        Whether the Newton iterations converged.
    n_iter : int
        Iterations run (the maximum over replicates).
    """

    beta: np.ndarray
    converged: np.ndarray
    n_iter: int


def _outer_rows(X: np.ndarray) -> np.ndarray:
    """Return ``(n, p*p)`` row-wise outer products ``x_i x_i'`` (flattened)."""
    n, p = X.shape
    return (X[:, :, None] * X[:, None, :]).reshape(n, p * p)


def outer_rows_upper(X: np.ndarray) -> np.ndarray:
    """Return ``(n, p(p+1)/2)`` upper-triangle entries of ``x_i x_i'`` (row-major order)."""
    iu, ju = np.triu_indices(X.shape[1])
    return X[:, iu] * X[:, ju]


def _symmetric_from_upper(flat: np.ndarray, p: int) -> np.ndarray:
    """Return ``(B, p, p)`` symmetric matrices from ``(B, p(p+1)/2)`` upper triangles."""
    iu, ju = np.triu_indices(p)
    out = np.empty((flat.shape[0], p, p))
    out[:, iu, ju] = flat
    out[:, ju, iu] = flat
    return out


def logit_irls_batched(
    X: np.ndarray,
    d: np.ndarray,
    W: np.ndarray,
    *,
    beta0: np.ndarray | None = None,
    tol: float = 1e-12,
    max_iter: int = 50,
    XX: np.ndarray | None = None,
) -> LogitBatch:
    r"""Fit ``logit P(d = 1 | x) = x' beta`` by weighted Newton-Raphson for all replicates.

    Parameters
    ----------
    X : ndarray of shape (n, p)
        Design matrix (with intercept column if wanted).
    d : ndarray of shape (n,)
        Binary response (0/1).
    W : ndarray of shape (B, n)
        Non-negative frequency weights per replicate.
    beta0 : ndarray of shape (p,) or (B, p), optional
        Starting values (default zeros). The full-sample estimate is a good start.
    tol : float
        Convergence when ``max |step| <= tol * (1 + max |beta|)`` in a replicate.
    max_iter : int
        Maximum Newton iterations.
    XX : ndarray of shape (n, p(p+1)/2), optional
        Precomputed upper triangles of the row-wise outer products of ``X``
        (:func:`outer_rows_upper`; reused across chunks).

    Returns
    -------
    LogitBatch

    Notes
    -----
    The Newton step for replicate ``b`` solves
    :math:`(\sum_i W_{bi} p_{bi}(1-p_{bi}) x_i x_i') \delta_b = \sum_i W_{bi}(d_i - p_{bi}) x_i`,
    which is exactly the IRLS step of a binomial GLM with frequency weights ``W[b]``; the
    fixed point is the maximum-likelihood estimate on the resampled data.
    """
    _n, p = X.shape
    B = W.shape[0]
    XX = outer_rows_upper(X) if XX is None else XX
    beta = np.zeros((B, p)) if beta0 is None else np.broadcast_to(beta0, (B, p)).copy()
    active = np.ones(B, dtype=bool)
    converged = np.zeros(B, dtype=bool)
    it = 0
    for it in range(1, max_iter + 1):  # noqa: B007 - n_iter reported
        idx = np.flatnonzero(active)
        Wa = W if idx.size == B else W[idx]
        pr = expit(beta[idx] @ X.T)  # (b, n), reused in place below
        resid = d - pr
        resid *= Wa
        grad = resid @ X
        pr *= 1.0 - pr
        pr *= Wa
        H = _symmetric_from_upper(pr @ XX, p)
        try:
            step = np.linalg.solve(H, grad[:, :, None])[:, :, 0]
        except np.linalg.LinAlgError:
            step = np.stack([_safe_solve(h, g) for h, g in zip(H, grad, strict=True)])
        beta[idx] += step
        size = np.max(np.abs(step), axis=1)
        scale = 1.0 + np.max(np.abs(beta[idx]), axis=1)
        done = size <= tol * scale
        bad = ~np.isfinite(size)
        converged[idx[done]] = True
        active[idx[done | bad]] = False
        if not active.any():
            break
    beta[~converged] = np.nan
    return LogitBatch(beta=beta, converged=converged, n_iter=it)


def _safe_solve(h: np.ndarray, g: np.ndarray) -> np.ndarray:
    try:
        return np.linalg.solve(h, g)
    except np.linalg.LinAlgError:
        return np.full_like(g, np.nan)


def ipw_weights(e: np.ndarray, d: np.ndarray, estimand: Estimand) -> np.ndarray:
    """Return inverse-probability (balancing) weights for an estimand.

    Parameters
    ----------
    e : ndarray of shape (..., n)
        Propensity scores ``P(d = 1 | x)``.
    d : ndarray of shape (n,)
        Treatment indicator (0/1).
    estimand : {"att", "ate", "ato"}
        ``"att"``: treated 1, controls ``e / (1 - e)``; ``"ate"``: treated ``1 / e``,
        controls ``1 / (1 - e)``; ``"ato"`` (overlap weights, Li, Morgan & Zaslavsky 2018):
        treated ``1 - e``, controls ``e``.

    Returns
    -------
    ndarray of the shape of ``e``
        Unnormalised weights (the DiD kernel normalises within arms: Hajek form).
    """
    if estimand == "att":
        return np.where(d == 1, 1.0, e / (1.0 - e))
    if estimand == "ate":
        return np.where(d == 1, 1.0 / e, 1.0 / (1.0 - e))
    return np.where(d == 1, 1.0 - e, e)


def ipw_weight_derivative(e: np.ndarray, d: np.ndarray, estimand: Estimand) -> np.ndarray:
    """Return ``d a / d eta``: derivative of :func:`ipw_weights` in the linear predictor.

    ATT: treated 0, controls ``e/(1-e)``; ATE: ``-(1-e)/e``, ``e/(1-e)``; ATO:
    ``-e(1-e)``, ``e(1-e)`` (treated, controls). Shapes as in :func:`ipw_weights`.
    """
    if estimand == "att":
        return np.where(d == 1, 0.0, e / (1 - e))
    if estimand == "ate":
        return np.where(d == 1, -(1 - e) / e, e / (1 - e))
    return np.where(d == 1, -e * (1 - e), e * (1 - e))


def weighted_did(
    sum_delta: np.ndarray, count: np.ndarray, d: np.ndarray, a: np.ndarray
) -> np.ndarray:
    """Weighted difference in mean change scores, treated minus control (Hajek form).

    Units are grouped in cells that share the balancing weight (one cell per unit in the
    simplest case); the kernel only needs per-cell sums.

    Parameters
    ----------
    sum_delta : ndarray of shape (B, P)
        Bootstrap-weighted sum of the change scores (post minus pre) per cell.
    count : ndarray of shape (B, P)
        Bootstrap-weighted number of units per cell.
    d : ndarray of shape (P,)
        Treatment indicator (0/1) of the cell.
    a : ndarray of shape (B, P)
        Balancing weight of the cell (:func:`ipw_weights`).

    Returns
    -------
    ndarray of shape (B,)
        ``sum(a d S) / sum(a d N) - sum(a (1-d) S) / sum(a (1-d) N)``.
    """
    t = d == 1
    aS, aN = a * sum_delta, a * count
    with np.errstate(invalid="ignore", divide="ignore"):
        m1 = aS[:, t].sum(axis=1) / aN[:, t].sum(axis=1)
        m0 = aS[:, ~t].sum(axis=1) / aN[:, ~t].sum(axis=1)
    return np.asarray(m1 - m0)


@dataclass(frozen=True, slots=True)
class ClusterSums:
    """Per-cluster sufficient statistics of a weighted linear model.

    Attributes
    ----------
    xtx : ndarray of shape (G, p, p)
        ``sum_{i in g} a_i x_i x_i'`` (``a``: analytic/row weights).
    xty : ndarray of shape (G, p)
        ``sum_{i in g} a_i x_i y_i``.
    nobs : ndarray of shape (G,)
        Rows per cluster.
    """

    xtx: np.ndarray
    xty: np.ndarray
    nobs: np.ndarray


def cluster_sums(
    X: np.ndarray, y: np.ndarray, codes: np.ndarray, n_clusters: int, a: np.ndarray | None = None
) -> ClusterSums:
    """Aggregate a weighted linear model to per-cluster cross-products.

    Parameters
    ----------
    X : ndarray of shape (n, p)
    y : ndarray of shape (n,)
    codes : ndarray of shape (n,)
        Cluster code ``0..G-1`` of each row.
    n_clusters : int
        ``G``.
    a : ndarray of shape (n,), optional
        Row weights (default 1).

    Returns
    -------
    ClusterSums
    """
    n, p = X.shape
    a = np.ones(n) if a is None else a
    xtx = np.zeros((n_clusters, p * p))
    np.add.at(xtx, codes, a[:, None] * _outer_rows(X))
    xty = np.zeros((n_clusters, p))
    np.add.at(xty, codes, (a * y)[:, None] * X)
    nobs = np.bincount(codes, minlength=n_clusters).astype(float)
    return ClusterSums(xtx=xtx.reshape(n_clusters, p, p), xty=xty, nobs=nobs)


@dataclass(frozen=True, slots=True)
class WLSBatch:
    """Weighted least squares fitted for every replicate.

    Attributes
    ----------
    beta : ndarray of shape (B, p)
        Coefficients.
    se : ndarray of shape (B, p)
        Cluster-robust (CR1) standard errors of each replicate.
    """

    beta: np.ndarray
    se: np.ndarray


def _cr1_se(
    scores: np.ndarray, bread: np.ndarray, W: np.ndarray, nobs: np.ndarray, p: int
) -> np.ndarray:
    """CR1 standard errors from cluster scores ``(B, G, p)`` and inverse Hessians ``(B, p, p)``.

    Cluster ``g`` enters replicate ``b`` ``W[b, g]`` times as that many distinct clusters.
    """
    meat = np.einsum("bg,bgi,bgj->bij", W, scores, scores)
    g_eff = W.sum(axis=1)
    n_eff = W @ nobs
    factor = g_eff / (g_eff - 1.0) * (n_eff - 1.0) / (n_eff - p)
    V = bread @ meat @ bread * factor[:, None, None]
    return np.sqrt(np.clip(np.diagonal(V, axis1=1, axis2=2), 0.0, None))


def wls_batched(sums: ClusterSums, W: np.ndarray) -> WLSBatch:
    """Fit weighted least squares on every cluster-resampled replicate.

    Parameters
    ----------
    sums : ClusterSums
        Per-cluster statistics of the original sample.
    W : ndarray of shape (B, G)
        Cluster weights (counts for the multinomial bootstrap).

    Returns
    -------
    WLSBatch
        ``beta[b] = (sum_g W_bg X_g'A_gX_g)^{-1} sum_g W_bg X_g'A_g y_g`` and the CR1
        standard errors of replicate ``b`` (as statsmodels' ``cov_type="cluster"`` on the
        resampled data, each drawn copy of a cluster being its own cluster).
    """
    G, p, _ = sums.xtx.shape
    xtx = (W @ sums.xtx.reshape(G, p * p)).reshape(-1, p, p)
    xty = W @ sums.xty
    bread = np.linalg.inv(xtx)
    beta = np.einsum("bij,bj->bi", bread, xty)
    scores = sums.xty[None, :, :] - np.einsum("gij,bj->bgi", sums.xtx, beta)
    return WLSBatch(beta=beta, se=_cr1_se(scores, bread, W, sums.nobs, p))


def wls_wild(sums: ClusterSums, beta_hat: np.ndarray, V: np.ndarray) -> WLSBatch:
    r"""Wild cluster bootstrap of weighted least squares.

    Replicate ``b`` refits the model on ``y*_b = X beta_hat + V[b, g(i)] * e_i`` where ``e``
    are the residuals ``y - X beta_hat``; as the fit is linear in ``y``,

    .. math:: \beta^*_b = \hat\beta + (X'AX)^{-1} \sum_g V_{bg} s_g,
              \qquad s_g = X_g' A_g \hat e_g.

    Parameters
    ----------
    sums : ClusterSums
        Per-cluster statistics of the original sample.
    beta_hat : ndarray of shape (p,)
        Coefficients that generate ``y*``: the full-sample estimate (unrestricted wild
        bootstrap, WCU) or the estimate under a null hypothesis (restricted, WCR).
    V : ndarray of shape (B, G)
        Rademacher or Webb multipliers.

    Returns
    -------
    WLSBatch
        Replicate coefficients and their CR1 standard errors (each cluster counted once).
    """
    _G, p, _ = sums.xtx.shape
    bread = np.linalg.inv(sums.xtx.sum(axis=0))
    s = sums.xty - np.einsum("gij,j->gi", sums.xtx, beta_hat)
    dev = (V @ s) @ bread  # bread is symmetric
    beta = beta_hat[None, :] + dev
    scores = V[:, :, None] * s[None, :, :] - np.einsum("gij,bj->bgi", sums.xtx, dev)
    ones = np.ones_like(V)
    breads = np.broadcast_to(bread, (V.shape[0], p, p))
    return WLSBatch(beta=beta, se=_cr1_se(scores, breads, ones, sums.nobs, p))
