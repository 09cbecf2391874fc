"""Cumulative-logit mixed model (ordinal severity category), as ``ordinal::clmm``.

The model is ``P(Y_i <= k | u) = logistic(alpha_k - x_i' beta - u_family [- u_child])`` for
k = 0..K-2 with increasing thresholds ``alpha``: a positive coefficient moves families towards
higher (more severe) categories. ``X`` carries no intercept (the thresholds play its role).
One grouping level is integrated by adaptive Gauss-Hermite quadrature (``n_agq = 1``:
Laplace, ``clmm``'s default; ``n_agq > 1`` as ``clmm(nAGQ = n_agq)``); family / child
intercepts use the Laplace approximation.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray
from scipy.special import expit

from kbeffect.errors import DataError
from kbeffect.models.mixed.families import OrdinalFamily
from kbeffect.models.mixed.glmm import GlmmFit, build_fit, run_kernel
from kbeffect.models.mixed.quadrature import GroupLayout, gauss_hermite

__all__ = ["fit_clmm", "predict_proba"]

Array = NDArray[np.float64]


def fit_clmm(
    y_codes: NDArray[np.int_],
    X: Array,
    groups: tuple[NDArray[Any], ...],
    *,
    weights: Array | None = None,
    n_agq: int = 1,
    n_categories: int | None = None,
    start: Array | None = None,
    maxiter: int = 500,
    x_names: tuple[str, ...] | None = None,
    group_names: tuple[str, ...] = ("family", "child"),
) -> GlmmFit:
    """Fit a cumulative-logit model with random intercepts.

    Parameters
    ----------
    y_codes : ndarray of int (n,)
        Category codes 0..K-1 (0 = lowest, e.g. "none").
    X : ndarray (n, p)
        Fixed-effect design without an intercept column.
    groups : tuple of ndarray (n,)
        ``(family,)`` or ``(family, child)`` integer codes, outermost first.
    weights : ndarray (G,), optional
        Family-level pseudo-likelihood weights (order of the sorted unique family codes).
    n_agq : int
        Quadrature nodes for one level (1 = Laplace); nested levels need 1.
    n_categories : int, optional
        K; default ``max(y_codes) + 1``. Every category must be observed.
    start : ndarray, optional
        Start for ``[beta, thresholds, log_sd per level]`` (internal order).
    maxiter : int
        L-BFGS-B iteration limit.
    x_names : tuple of str, optional
        Column names of ``X``.
    group_names : tuple of str
        Level names for ``re_sd`` and ``ranef``.

    Returns
    -------
    GlmmFit
        ``params`` holds the K-1 thresholds first (``"threshold:0|1"``, ...), then the
        fixed effects; ``family`` is ``"ordinal"``.

    Raises
    ------
    DataError
        If a category between 0 and K-1 is never observed (its threshold is not identified).
    """
    yc = np.asarray(y_codes).astype(int)
    X = np.asarray(X, dtype=float)
    n, p = X.shape
    K = int(yc.max()) + 1 if n_categories is None else int(n_categories)
    counts = np.bincount(yc, minlength=K)
    if np.any(counts == 0):
        missing = np.flatnonzero(counts == 0).tolist()
        raise DataError(
            f"y_codes: categories {missing} are never observed; merge them with a neighbour "
            "before fitting the ordinal model."
        )
    lay = GroupLayout.build(tuple(groups))
    o = lay.order
    fam = OrdinalFamily(yc[o], K)
    levels = tuple(group_names[: len(groups)])
    xn = list(x_names) if x_names is not None else [f"x{j}" for j in range(p)]
    tn = [f"threshold:{k}|{k + 1}" for k in range(K - 1)]
    if start is None:
        cum = np.cumsum(counts)[:-1] / n
        theta0 = np.r_[np.zeros(p), np.log(cum / (1.0 - cum)), np.full(len(groups), np.log(0.5))]
    else:
        theta0 = np.asarray(start, dtype=float)
    bounds: list[tuple[float | None, float | None]] = [(None, None)] * (p + K - 1)
    bounds += [(-8.0, 5.0)] * len(groups)
    w = None if weights is None else np.asarray(weights, dtype=float)
    res, state = run_kernel(fam, X[o], np.zeros(n), lay, theta0, bounds, w, n_agq, maxiter)
    reorder = np.r_[np.arange(p, p + K - 1), np.arange(p)]
    return build_fit(res, lay, p, xn + tn, levels, state, n, n_agq, "ordinal", reorder=reorder)


def predict_proba(
    fit: GlmmFit,
    X: Array,
    *,
    kind: Literal["conditional", "marginal"] = "conditional",
) -> Array:
    """Category probabilities for new rows of an ordinal fit.

    Parameters
    ----------
    fit : GlmmFit
        Result of :func:`fit_clmm`.
    X : ndarray (n, p)
    kind : {"conditional", "marginal"}
        ``"conditional"``: random intercepts at 0; ``"marginal"``: averaged over
        ``u ~ N(0, sum of level variances)`` by 40-point Gauss-Hermite quadrature.

    Returns
    -------
    ndarray (n, K)
    """
    X = np.asarray(X, dtype=float)
    p = fit.n_fixed
    n_thr = fit.params.shape[0] - p
    alpha = fit.params[:n_thr]
    eta = X @ fit.params[n_thr:]
    if kind == "conditional":
        u, w = np.zeros(1), np.ones(1)
    else:
        sd = float(np.sqrt(sum(s * s for s in fit.re_sd.values())))
        z, w = gauss_hermite(40)
        u, w = np.sqrt(2.0) * sd * z, w / np.sqrt(np.pi)
    cdf = expit(alpha[None, None, :] - eta[None, :, None] - u[:, None, None])  # (Q, n, K-1)
    cdf = np.concatenate([np.zeros((*cdf.shape[:2], 1)), cdf, np.ones((*cdf.shape[:2], 1))], -1)
    probs = np.diff(cdf, axis=-1)
    return np.asarray(np.tensordot(w, probs, axes=1))
