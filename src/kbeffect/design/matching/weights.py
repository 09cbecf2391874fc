"""Matching weights and subclasses from a match matrix (MatchIt's ``weights.matrix``)."""

from __future__ import annotations

import numpy as np

__all__ = ["mahalanobis_points", "match_matrix_weights", "pair_subclasses", "pooled_cov"]


def match_matrix_weights(mm: np.ndarray, focal: np.ndarray, n: int) -> np.ndarray:
    """Return (n,) matching weights of a 1:k match (with or without replacement).

    A matched focal unit gets weight 1. A control gets, summed over the focal units it is
    matched to, one over the number of controls matched to that focal unit; the control
    weights are then rescaled to sum to the number of distinct matched controls, as in
    MatchIt. Units never matched get 0.

    Parameters
    ----------
    mm : ndarray of shape (n1, k)
        Control positions per focal unit (-1 where none).
    focal : ndarray of shape (n1,)
        Focal unit positions.
    n : int
        Number of units.
    """
    w = np.zeros(n)
    k_i = np.sum(mm >= 0, axis=1)
    matched = k_i > 0
    w[focal[matched]] = 1.0
    rows, cols = np.nonzero(mm >= 0)
    ctrl = mm[rows, cols]
    np.add.at(w, ctrl, 1.0 / k_i[rows])
    uniq = np.unique(ctrl)
    tot = w[uniq].sum()
    if tot > 0:
        w[uniq] *= len(uniq) / tot
    return w


def pair_subclasses(mm: np.ndarray, focal: np.ndarray, n: int) -> np.ndarray:
    """Return (n,) matched-set ids (0..S-1, -1 unmatched) for matching without replacement."""
    sub = np.full(n, -1, dtype=np.int64)
    matched = np.flatnonzero(np.any(mm >= 0, axis=1))
    ids = np.arange(len(matched))
    sub[focal[matched]] = ids
    for c in range(mm.shape[1]):
        r = mm[matched, c]
        ok = r >= 0
        sub[r[ok]] = ids[ok]
    return sub


def pooled_cov(X: np.ndarray, treat: np.ndarray) -> np.ndarray:
    """Return the pooled within-group covariance matrix (MatchIt ``pooled_cov``)."""
    Xc = X.astype(float).copy()
    groups = np.unique(treat)
    for g in groups:
        m = treat == g
        Xc[m] -= Xc[m].mean(axis=0)
    n = X.shape[0]
    return (Xc.T @ Xc) / (n - len(groups))


def mahalanobis_points(
    X: np.ndarray, treat: np.ndarray, eligible: np.ndarray | None = None
) -> np.ndarray:
    """Transform covariates so that Euclidean distance equals Mahalanobis distance.

    As MatchIt's ``transform_covariates(method = "mahalanobis")``: columns are scaled by
    their SD, the pooled within-group covariance is estimated on the eligible units, and
    the points are multiplied by a square root of its (generalised) inverse. Constant
    columns are dropped.
    """
    ok = np.ones(len(treat), bool) if eligible is None else eligible
    sd = X.std(axis=0, ddof=1)
    keep = (X.max(axis=0) - X.min(axis=0)) > np.sqrt(np.finfo(float).eps)
    if not keep.any():
        return X[:, :1].astype(float)
    Z = (X[:, keep] - X[:, keep].mean(axis=0)) / sd[keep]
    V = pooled_cov(Z[ok], treat[ok])
    inv = np.linalg.pinv(V)
    vals, vecs = np.linalg.eigh((inv + inv.T) / 2)
    root = vecs * np.sqrt(np.clip(vals, 0, None))
    return np.asarray(Z @ root)
