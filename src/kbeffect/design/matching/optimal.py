"""Optimal pair (and k:1) matching: the assignment problem on a distance matrix.

Minimises the total within-pair distance over all 1:k matchings without replacement
(MatchIt's ``method = "optimal"``, which calls optmatch). Solved exactly with
:func:`scipy.optimize.linear_sum_assignment` (Jonker-Volgenant) after repeating each focal
row ``ratio`` times, stratum by stratum when exact matching is asked for. The cost matrix
is dense, so this is for cohorts up to a few thousand units per stratum.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import linear_sum_assignment

from kbeffect.design.matching.nearest import NearestFit
from kbeffect.errors import EstimationError

__all__ = ["MAX_CELLS", "optimal_match", "optimal_match_matrix"]

#: Largest cost matrix (cells) the dense solver accepts.
MAX_CELLS = 60_000_000


def optimal_match_matrix(
    dmat: np.ndarray, focal: np.ndarray, ctrl: np.ndarray, *, ratio: int = 1
) -> NearestFit:
    """Solve the 1:``ratio`` assignment problem on a (n1, n0) distance matrix.

    ``inf`` entries forbid a pair. Controls matched to a focal unit are listed by
    increasing distance. No validation.
    """
    n1, n0 = dmat.shape
    mm = np.full((n1, ratio), -1, dtype=np.int64)
    if n1 == 0 or n0 == 0:
        return NearestFit(focal=focal, match_matrix=mm)
    if n1 * ratio * n0 > MAX_CELLS:
        raise EstimationError(
            f"optimal matching needs a {n1 * ratio} x {n0} cost matrix; that is too large. "
            "Use method='nearest' or exact matching on a stratifying variable."
        )
    cost = np.repeat(dmat, ratio, axis=0)
    finite = np.isfinite(cost)
    big = (np.max(cost[finite]) + 1.0) * (n1 * ratio + 1) if finite.any() else 1.0
    cost = np.where(finite, cost, big)
    rows, cols = linear_sum_assignment(cost)
    keep = finite[rows, cols]
    rows, cols = rows[keep], cols[keep]
    owner = rows // ratio
    dist = dmat[owner, cols]
    o = np.lexsort((dist, owner))
    owner, cols = owner[o], cols[o]
    slot = np.zeros(len(owner), dtype=np.int64)
    if len(owner):
        starts = np.r_[0, np.flatnonzero(np.diff(owner)) + 1]
        counts = np.diff(np.r_[starts, len(owner)])
        slot = np.arange(len(owner)) - np.repeat(starts, counts)
    mm[owner, slot] = ctrl[cols]
    return NearestFit(focal=focal, match_matrix=mm)


def optimal_match(
    distance: np.ndarray,
    focal_mask: np.ndarray,
    *,
    ratio: int = 1,
    strata: np.ndarray | None = None,
    eligible: np.ndarray | None = None,
) -> NearestFit:
    """Optimal 1:``ratio`` matching on a scalar distance, within exact strata if given.

    Parameters
    ----------
    distance : ndarray of shape (n,)
    focal_mask : ndarray of shape (n,) bool
    ratio : int
    strata : ndarray of shape (n,) of int, optional
    eligible : ndarray of shape (n,) bool, optional

    Returns
    -------
    NearestFit
    """
    n = len(distance)
    ok = np.ones(n, bool) if eligible is None else eligible
    focal = np.flatnonzero(focal_mask & ok)
    ctrl = np.flatnonzero(~focal_mask & ok)
    mm = np.full((len(focal), ratio), -1, dtype=np.int64)
    codes = np.zeros(n, dtype=np.int64) if strata is None else strata
    for s in np.unique(codes[focal]):
        fi = np.flatnonzero(codes[focal] == s)
        cpos = ctrl[codes[ctrl] == s]
        dm = np.abs(distance[focal[fi]][:, None] - distance[cpos][None, :])
        sub = optimal_match_matrix(dm, focal[fi], cpos, ratio=ratio)
        mm[fi] = sub.match_matrix
    return NearestFit(focal=focal, match_matrix=mm)
