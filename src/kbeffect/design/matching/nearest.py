"""Greedy nearest-neighbour matching kernels (MatchIt's ``method = "nearest"`` semantics).

Focal units (treated for the ATT, controls for the ATC) are processed in the given
order; each takes the nearest still-available control (absolute difference of the
distance), provided it lies within the caliper. With ``ratio = k`` matching runs in ``k``
rounds, as in MatchIt: every focal unit gets its first control before any gets a second.
With replacement each focal unit takes its ``k`` nearest controls independently.

The one-dimensional kernel sorts the controls once and keeps two union-find arrays of
"next available control to the left / right", so a match costs a binary search plus
near-constant pointer chasing: ``O((n0 + n1 k) log n0)`` instead of the ``O(n0 n1)`` of a
distance matrix. Ties between equally distant controls on both sides go to the control
earlier in the data. All kernels take arrays and do no validation.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass
from typing import Literal

import numpy as np

__all__ = [
    "NearestFit",
    "focal_order",
    "nearest_match",
    "nearest_match_matrix",
    "nearest_match_points",
]

Order = Literal["largest", "smallest", "random", "data"]


@dataclass(frozen=True, slots=True)
class NearestFit:
    """Matched sets of a nearest-neighbour match.

    Attributes
    ----------
    focal : ndarray of shape (n1,)
        Positions of the focal units, in data order.
    match_matrix : ndarray of shape (n1, ratio)
        Positions of the controls matched to each focal unit (``-1`` where none), in
        the order they were matched.
    """

    focal: np.ndarray
    match_matrix: np.ndarray


def focal_order(
    distance: np.ndarray | None, focal: np.ndarray, order: Order, rng: np.random.Generator
) -> np.ndarray:
    """Return the indices into ``focal`` in matching order (MatchIt's ``m.order``)."""
    n1 = len(focal)
    if order == "data" or distance is None:
        return np.arange(n1) if order != "random" else rng.permutation(n1)
    if order == "random":
        return rng.permutation(n1)
    d = distance[focal]
    if order == "largest":
        return np.argsort(-d, kind="stable")
    return np.argsort(d, kind="stable")


def _strata_groups(
    focal: np.ndarray, ctrl: np.ndarray, strata: np.ndarray | None
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Return (indices into ``focal``, control positions) per exact-matching stratum."""
    if strata is None:
        return [(np.arange(len(focal)), ctrl)]
    return [
        (np.flatnonzero(strata[focal] == s), ctrl[strata[ctrl] == s])
        for s in np.unique(strata[focal])
    ]


def _find(parent: list[int], i: int) -> int:
    # path-halving union-find: returns the representative (next available slot)
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i


def _match_1d_norep(
    dist_f: np.ndarray,
    dist_c: np.ndarray,
    ctrl_pos: np.ndarray,
    order: np.ndarray,
    ratio: int,
    caliper: float | None,
) -> np.ndarray:
    """Greedy matching without replacement on one distance; returns (n_f, ratio) positions."""
    n_f = len(dist_f)
    out = np.full((n_f, ratio), -1, dtype=np.int64)
    m = len(dist_c)
    if m == 0 or n_f == 0:
        return out
    srt = np.lexsort((ctrl_pos, dist_c))
    vals = dist_c[srt].tolist()
    pos = ctrl_pos[srt].tolist()
    # right[i]: next available slot >= i (m = none); left[i + 1]: next available <= i (0 = none)
    right = list(range(m + 1))
    left = list(range(m + 1))
    cal = np.inf if caliper is None else float(caliper)
    df = dist_f.tolist()
    order_l = order.tolist()
    active = [True] * n_f
    for r in range(ratio):
        for i in order_l:
            if not active[i]:
                continue
            v = df[i]
            k = bisect_left(vals, v)
            rj = _find(right, k)
            lj = _find(left, k) - 1  # left is shifted by one: slot j lives at j + 1
            best = -1
            if rj < m:
                best = rj
            if lj >= 0:
                if best < 0:
                    best = lj
                else:
                    dl, dr = v - vals[lj], vals[rj] - v
                    if dl < dr or (dl == dr and pos[lj] < pos[rj]):
                        best = lj
            if best < 0 or abs(vals[best] - v) > cal:
                active[i] = False
                continue
            out[i, r] = pos[best]
            right[best] = best + 1
            left[best + 1] = best
    return out


def _match_1d_rep(
    dist_f: np.ndarray, dist_c: np.ndarray, ctrl_pos: np.ndarray, ratio: int, caliper: float | None
) -> np.ndarray:
    """Return the k nearest controls of each focal unit, with replacement (vectorised)."""
    n_f, m = len(dist_f), len(dist_c)
    out = np.full((n_f, ratio), -1, dtype=np.int64)
    if m == 0 or n_f == 0:
        return out
    srt = np.lexsort((ctrl_pos, dist_c))
    vals, pos = dist_c[srt], ctrl_pos[srt]
    k = min(ratio, m)
    start = np.searchsorted(vals, dist_f, side="left")
    window = np.arange(-k, k)[None, :] + start[:, None]
    valid = (window >= 0) & (window < m)
    wc = np.clip(window, 0, m - 1)
    d = np.where(valid, np.abs(vals[wc] - dist_f[:, None]), np.inf)
    # ties broken by data position: sort on (distance, position)
    key = np.where(valid, pos[wc], np.iinfo(np.int64).max)
    idx = np.lexsort((key, d), axis=1)[:, :k]
    chosen_d = np.take_along_axis(d, idx, axis=1)
    chosen = pos[np.take_along_axis(wc, idx, axis=1)]
    cal = np.inf if caliper is None else float(caliper)
    ok = np.isfinite(chosen_d) & (chosen_d <= cal)
    out[:, :k] = np.where(ok, chosen, -1)  # sorted by distance: misses are at the end
    return out


def nearest_match(
    distance: np.ndarray,
    focal_mask: np.ndarray,
    *,
    ratio: int = 1,
    replace: bool = False,
    caliper: float | None = None,
    order: Order = "largest",
    strata: np.ndarray | None = None,
    eligible: np.ndarray | None = None,
    rng: np.random.Generator | None = None,
) -> NearestFit:
    """Greedy nearest-neighbour matching on a scalar distance (PS or linear predictor).

    Parameters
    ----------
    distance : ndarray of shape (n,)
    focal_mask : ndarray of shape (n,) bool
        True for the units that receive matches (treated for the ATT).
    ratio : int
        Controls per focal unit.
    replace : bool
        Whether a control can be matched to several focal units.
    caliper : float or None
        Largest allowed absolute distance difference (already in distance units).
    order : {"largest", "smallest", "random", "data"}
        Matching order of the focal units.
    strata : ndarray of shape (n,) of int, optional
        Exact-matching strata codes; matches only within a stratum.
    eligible : ndarray of shape (n,) bool, optional
        Units that may take part (False for discarded units).
    rng : Generator, optional
        Used for ``order="random"``.

    Returns
    -------
    NearestFit
    """
    rng = np.random.default_rng() if rng is None else rng
    n = len(distance)
    ok = np.ones(n, bool) if eligible is None else eligible
    focal = np.flatnonzero(focal_mask & ok)
    ctrl = np.flatnonzero(~focal_mask & ok)
    ordr = focal_order(distance, focal, order, rng)
    mm = np.full((len(focal), ratio), -1, dtype=np.int64)
    groups = _strata_groups(focal, ctrl, strata)
    rank = np.empty(len(focal), dtype=np.int64)
    rank[ordr] = np.arange(len(focal))
    for fi, cpos in groups:
        if len(fi) == 0:
            continue
        if replace:
            mm[fi] = _match_1d_rep(distance[focal[fi]], distance[cpos], cpos, ratio, caliper)
        else:
            sub_order = np.argsort(rank[fi], kind="stable")
            mm[fi] = _match_1d_norep(
                distance[focal[fi]], distance[cpos], cpos, sub_order, ratio, caliper
            )
    return NearestFit(focal=focal, match_matrix=mm)


def nearest_match_points(
    points: np.ndarray,
    focal_mask: np.ndarray,
    *,
    ratio: int = 1,
    replace: bool = False,
    order: Order = "data",
    strata: np.ndarray | None = None,
    eligible: np.ndarray | None = None,
    rng: np.random.Generator | None = None,
) -> NearestFit:
    """Greedy nearest-neighbour matching on Euclidean distance between ``points``.

    Mahalanobis matching passes covariates already transformed so that Euclidean distance
    equals Mahalanobis distance. A k-d tree finds the nearest controls; without
    replacement the query widens until an available control is found.

    Parameters
    ----------
    points : ndarray of shape (n, q)
    focal_mask, ratio, replace, order, strata, eligible, rng
        As in :func:`nearest_match` (``order`` only ``"data"`` or ``"random"``).
    """
    from scipy.spatial import cKDTree

    rng = np.random.default_rng() if rng is None else rng
    n = points.shape[0]
    ok = np.ones(n, bool) if eligible is None else eligible
    focal = np.flatnonzero(focal_mask & ok)
    ctrl = np.flatnonzero(~focal_mask & ok)
    ordr = focal_order(None, focal, order, rng)
    rank = np.empty(len(focal), dtype=np.int64)
    rank[ordr] = np.arange(len(focal))
    mm = np.full((len(focal), ratio), -1, dtype=np.int64)
    groups = _strata_groups(focal, ctrl, strata)
    for fi, cpos in groups:
        if len(fi) == 0 or len(cpos) == 0:
            continue
        tree = cKDTree(points[cpos])
        m = len(cpos)
        if replace:
            k = min(ratio, m)
            _, idx = tree.query(points[focal[fi]], k=k)
            idx = np.asarray(idx).reshape(len(fi), k)
            mm[fi, :k] = cpos[idx]
            continue
        taken = np.zeros(m, bool)
        n_left = m
        sub = fi[np.argsort(rank[fi], kind="stable")]
        for _r in range(ratio):
            for i in sub:
                if n_left == 0:
                    break
                if _r > 0 and mm[i, _r - 1] < 0:
                    continue
                q = points[focal[i]]
                k = 1
                while True:
                    kk = min(k, m)
                    _, idx = tree.query(q, k=kk)
                    idx = np.atleast_1d(idx)
                    free = idx[~taken[idx]]
                    if len(free):
                        j = int(free[0])
                        break
                    k *= 4
                taken[j] = True
                n_left -= 1
                mm[i, _r] = cpos[j]
    return NearestFit(focal=focal, match_matrix=mm)


def nearest_match_matrix(
    dmat: np.ndarray,
    focal: np.ndarray,
    ctrl: np.ndarray,
    *,
    ratio: int = 1,
    replace: bool = False,
    caliper: float | None = None,
    order_idx: np.ndarray | None = None,
) -> NearestFit:
    """Greedy matching on a user-supplied distance matrix (rows focal, columns controls).

    Parameters
    ----------
    dmat : ndarray of shape (n1, n0)
        Distances; ``inf`` forbids a pair.
    focal, ctrl : ndarray of shape (n1,), (n0,)
        Positions of the row and column units.
    ratio, replace, caliper
        As in :func:`nearest_match`.
    order_idx : ndarray of shape (n1,), optional
        Matching order of the rows (default data order).
    """
    n1, n0 = dmat.shape
    mm = np.full((n1, ratio), -1, dtype=np.int64)
    order_idx = np.arange(n1) if order_idx is None else order_idx
    cal = np.inf if caliper is None else caliper
    if replace:
        k = min(ratio, n0)
        idx = np.argsort(dmat, axis=1, kind="stable")[:, :k]
        dd = np.take_along_axis(dmat, idx, axis=1)
        mm[:, :k] = np.where(np.isfinite(dd) & (dd <= cal), ctrl[idx], -1)
        return NearestFit(focal=focal, match_matrix=mm)
    avail = np.ones(n0, bool)
    for r in range(ratio):
        for i in order_idx:
            if r > 0 and mm[i, r - 1] < 0:
                continue
            row = np.where(avail, dmat[i], np.inf)
            j = int(np.argmin(row))
            if not np.isfinite(row[j]) or row[j] > cal:
                continue
            mm[i, r] = ctrl[j]
            avail[j] = False
    return NearestFit(focal=focal, match_matrix=mm)
