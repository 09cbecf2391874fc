"""Helpers of :func:`kbeffect.design.match`: common support, strata, distance dispatch."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from kbeffect.design.matching.full import full_match, full_match_matrix
from kbeffect.design.matching.nearest import NearestFit
from kbeffect.design.matching.optimal import optimal_match_matrix
from kbeffect.design.matching.weights import mahalanobis_points
from kbeffect.errors import SpecificationError

__all__ = ["check_cutpoints", "discard_mask", "exact_strata", "full_sets", "optimal_points"]


def discard_mask(distance: np.ndarray, treat: np.ndarray, option: str) -> np.ndarray:
    """Return the units outside common support (MatchIt's ``discard``)."""
    if option == "none":
        return np.zeros(len(treat), bool)
    d1, d0 = distance[treat == 1], distance[treat == 0]
    if option == "both":
        lo, hi = max(d0.min(), d1.min()), min(d0.max(), d1.max())
    elif option == "control":
        lo, hi = d1.min(), d1.max()
    else:
        lo, hi = d0.min(), d0.max()
    out = (distance < lo) | (distance > hi)
    if option == "control":
        out &= treat == 0
    elif option == "treated":
        out &= treat == 1
    return out


def check_cutpoints(
    cutpoints: Mapping[str, int | Sequence[float]], columns: Sequence[str]
) -> dict[str, int | Sequence[float]]:
    """Validate CEM ``cutpoints``: known variables, bins >= 0 (0 = exact) or finite cut points."""
    if not isinstance(cutpoints, Mapping):
        raise SpecificationError(
            f"cutpoints must be a mapping of variable to bins or cut points; got {cutpoints!r}."
        )
    unknown = [k for k in cutpoints if k not in columns]
    if unknown:
        raise SpecificationError(
            f"cutpoints names {unknown} that are not CEM variables; expected some of "
            f"{list(columns)}."
        )
    for k, v in cutpoints.items():
        if isinstance(v, bool):
            ok = False
        elif isinstance(v, int | np.integer):
            ok = v >= 0
        else:
            try:
                arr = np.asarray(v, dtype=float)
            except (TypeError, ValueError):
                arr = np.array([np.nan])
            ok = arr.ndim == 1 and arr.size > 0 and bool(np.all(np.isfinite(arr)))
        if not ok:
            raise SpecificationError(
                f"cutpoints[{k!r}] must be a number of bins >= 0 (0 = exact) or a list of "
                f"finite cut points; got {v!r}."
            )
    return dict(cutpoints)


def exact_strata(frame: pd.DataFrame) -> np.ndarray:
    """Return exact-matching stratum codes from the columns of ``frame``."""
    key = pd.MultiIndex.from_frame(frame.astype(str)) if frame.shape[1] > 1 else frame.iloc[:, 0]
    return pd.factorize(key)[0].astype(np.int64)


def full_sets(
    dist: np.ndarray | None,
    dmat: np.ndarray | None,
    points: np.ndarray | None,
    kind: str,
    t: np.ndarray,
    focal_mask: np.ndarray,
    strata: np.ndarray | None,
    eligible: np.ndarray,
    caliper: float | None,
) -> np.ndarray:
    """Full matching set ids for whichever distance was given."""
    if dist is not None:
        return full_match(dist, t, strata=strata, eligible=eligible, caliper=caliper)
    n = len(t)
    sub = np.full(n, -1, dtype=np.int64)
    if dmat is not None:
        if strata is not None:
            raise SpecificationError("exact is not available with a distance matrix.")
        d = dmat if caliper is None else np.where(dmat <= caliper, dmat, np.inf)
        # rows are focal units: map back to treated/control positions
        rows, cols = np.flatnonzero(focal_mask), np.flatnonzero(~focal_mask)
        sr, sc, _ = full_match_matrix(d)
        sub[rows], sub[cols] = sr, sc
        return sub
    from scipy.spatial.distance import cdist

    if points is None:  # pragma: no cover - every distance kind is handled above
        raise SpecificationError("no distance for matching.")
    pts = mahalanobis_points(points, t, eligible) if kind == "mahalanobis" else points
    codes = np.zeros(n, dtype=np.int64) if strata is None else strata
    next_id = 0
    for s in np.unique(codes[eligible]):
        tr = np.flatnonzero(eligible & (codes == s) & (t == 1))
        co = np.flatnonzero(eligible & (codes == s) & (t == 0))
        if len(tr) == 0 or len(co) == 0:
            continue
        sr, sc, _ = full_match_matrix(cdist(pts[tr], pts[co]))
        sub[tr] = np.where(sr >= 0, sr + next_id, -1)
        sub[co] = np.where(sc >= 0, sc + next_id, -1)
        next_id += int(max(sr.max(initial=-1), sc.max(initial=-1)) + 1)
    return sub


def optimal_points(
    pts: np.ndarray,
    focal_mask: np.ndarray,
    ratio: int,
    strata: np.ndarray | None,
    eligible: np.ndarray,
) -> NearestFit:
    """Optimal matching on points (Euclidean / Mahalanobis), stratum by stratum."""
    from scipy.spatial.distance import cdist

    focal = np.flatnonzero(focal_mask & eligible)
    ctrl = np.flatnonzero(~focal_mask & eligible)
    mm = np.full((len(focal), ratio), -1, dtype=np.int64)
    codes = np.zeros(len(focal_mask), dtype=np.int64) if strata is None else strata
    for s in np.unique(codes[focal]):
        fi = np.flatnonzero(codes[focal] == s)
        cp = ctrl[codes[ctrl] == s]
        sub = optimal_match_matrix(cdist(pts[focal[fi]], pts[cp]), focal[fi], cp, ratio=ratio)
        mm[fi] = sub.match_matrix
    return NearestFit(focal=focal, match_matrix=mm)
