"""Batched M-estimation sandwich of the IPW DiD: one standard error per replicate.

The same estimating equations as :func:`kbeffect.effects.ipw_did.ipw_did_sandwich`,
evaluated for every replicate of a ``(B, G)`` cluster-weight matrix from pattern-level
sums (see :class:`~kbeffect.inference.bootstrap.estimators.IPWDiD`): the Jacobian needs
only ``(B, P)`` pattern quantities, the meat the ``(B, G, p + 2)`` cluster scores, each
drawn copy of a cluster being its own cluster (``M_b = sum_g W_bg psi_bg psi_bg'``).
Used for studentised intervals.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from kbeffect.inference.bootstrap import kernels as K

__all__ = ["ipw_did_se_batched"]


def ipw_did_se_batched(
    *,
    W: np.ndarray,
    Xp: np.ndarray,
    dp: np.ndarray,
    XXu: np.ndarray,
    M: Any,
    S: Any,
    N: np.ndarray,
    Sb: np.ndarray,
    e: np.ndarray,
    estimand: K.Estimand,
) -> np.ndarray:
    """Return the sandwich standard error of the IPW DiD for every replicate.

    Parameters
    ----------
    W : ndarray of shape (B, G)
        Cluster weights.
    Xp : ndarray of shape (P, p)
        Covariate pattern rows.
    dp : ndarray of shape (P,)
        Treatment of each pattern.
    XXu : ndarray of shape (P, p(p+1)/2)
        :func:`~.kernels.outer_rows_upper` of ``Xp``.
    M, S : sparse matrices of shape (G, P)
        Units and change-score sums per cluster and pattern.
    N, Sb : ndarray of shape (B, P)
        ``W @ M`` and ``W @ S``.
    e : ndarray of shape (B, P)
        Replicate propensity scores.
    estimand : {"att", "ate", "ato"}

    Returns
    -------
    ndarray of shape (B,)
    """
    B, P = N.shape
    p = Xp.shape[1]
    k = p + 2
    a = K.ipw_weights(e, dp, estimand)
    da = K.ipw_weight_derivative(e, dp, estimand)
    t = (dp == 1).astype(float)
    c = 1.0 - t
    with np.errstate(invalid="ignore", divide="ignore"):
        mu1 = (a * t * Sb).sum(1) / (a * t * N).sum(1)
        mu0 = (a * c * Sb).sum(1) / (a * c * N).sum(1)
    A = np.zeros((B, k, k))
    A[:, :p, :p] = -K._symmetric_from_upper((N * e * (1 - e)) @ XXu, p)
    A[:, p, :p] = (da * t * (Sb - mu1[:, None] * N)) @ Xp
    A[:, p + 1, :p] = (da * c * (Sb - mu0[:, None] * N)) @ Xp
    A[:, p, p] = -(a * t * N).sum(1)
    A[:, p + 1, p + 1] = -(a * c * N).sum(1)
    G = W.shape[1]
    # cluster scores psi[b, g, :]
    Z = ((dp[None, :] - e)[:, :, None] * Xp[None, :, :]).transpose(1, 0, 2).reshape(P, B * p)
    psi = np.empty((B, G, k))
    psi[:, :, :p] = np.asarray(M @ Z).reshape(G, B, p).transpose(1, 0, 2)
    at, ac = (a * t).T, (a * c).T  # (P, B)
    psi[:, :, p] = (np.asarray(S @ at) - np.asarray(M @ at) * mu1[None, :]).T
    psi[:, :, p + 1] = (np.asarray(S @ ac) - np.asarray(M @ ac) * mu0[None, :]).T
    meat = np.matmul((psi * W[:, :, None]).transpose(0, 2, 1), psi)
    try:
        Ainv = np.linalg.inv(A)
    except np.linalg.LinAlgError:
        return np.full(B, np.nan)
    V = Ainv @ meat @ Ainv.transpose(0, 2, 1)
    var = V[:, p, p] + V[:, p + 1, p + 1] - 2 * V[:, p, p + 1]
    return np.sqrt(np.clip(var, 0.0, None))
