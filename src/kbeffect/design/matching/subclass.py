"""Subclassification on the propensity score and subclass-based matching weights.

Follows MatchIt's ``method = "subclass"``: subclass boundaries are quantiles of the
distance among the focal group (treated for the ATT, controls for the ATC, everyone for
the ATE); every unit falls into one subclass (``findInterval(..., all.inside = TRUE)``).
Weights follow MatchIt's ``weights.subclass``. One difference: a subclass that lacks
treated or control units is merged into a neighbouring subclass, whereas MatchIt >= 4.5
moves the nearest units of that group in from neighbouring subclasses ("scooting") and so
keeps the requested number of subclasses.
"""

from __future__ import annotations

import numpy as np

__all__ = ["merge_small_subclasses", "ps_subclasses", "subclass_weights"]


def ps_subclasses(
    distance: np.ndarray,
    treat: np.ndarray,
    *,
    n_subclass: int = 6,
    estimand: str = "ATT",
    eligible: np.ndarray | None = None,
) -> np.ndarray:
    """Return subclass codes 0..S-1 for eligible units and -1 for the others.

    Parameters
    ----------
    distance : ndarray of shape (n,)
    treat : ndarray of shape (n,) of 0/1
    n_subclass : int
        Number of quantile subclasses.
    estimand : {"ATT", "ATC", "ATE"}
        Whose quantiles define the boundaries.
    eligible : ndarray of shape (n,) bool, optional
    """
    n = len(distance)
    ok = np.ones(n, bool) if eligible is None else eligible
    ref = {"ATT": treat == 1, "ATC": treat == 0}.get(estimand, np.ones(n, bool))
    # quantiles over all units of the reference group, like MatchIt (type 7, na.rm)
    q = np.quantile(distance[ref], np.linspace(0, 1, n_subclass + 1))
    # findInterval(x, q, all.inside = TRUE): intervals [q_i, q_{i+1}), ends folded inside
    k = np.searchsorted(q, distance, side="right")
    k = np.clip(k, 1, len(q) - 1) - 1
    out = np.where(ok, k, -1).astype(np.int64)
    return merge_small_subclasses(out, treat)


def merge_small_subclasses(sub: np.ndarray, treat: np.ndarray, min_n: int = 1) -> np.ndarray:
    """Merge subclasses with fewer than ``min_n`` treated or control units into a neighbour.

    Codes are renumbered 0..S-1 in order; -1 (unmatched) is kept.
    """
    sub = sub.copy()
    while True:
        levels = np.unique(sub[sub >= 0])
        if len(levels) <= 1:
            break
        n1 = np.array([np.sum((sub == s) & (treat == 1)) for s in levels])
        n0 = np.array([np.sum((sub == s) & (treat == 0)) for s in levels])
        bad = np.flatnonzero((n1 < min_n) | (n0 < min_n))
        if len(bad) == 0:
            break
        b = bad[0]
        target = levels[b + 1] if b + 1 < len(levels) else levels[b - 1]
        sub[sub == levels[b]] = target
    levels = np.unique(sub[sub >= 0])
    remap = {int(s): i for i, s in enumerate(levels)}
    return np.array([remap.get(int(s), -1) for s in sub], dtype=np.int64)


def subclass_weights(sub: np.ndarray, treat: np.ndarray, estimand: str = "ATT") -> np.ndarray:
    """Return matching weights from subclass membership (MatchIt ``weights.subclass``).

    Units with code -1 get weight 0. Units in subclasses without both groups get 0.
    The weights of a non-focal group are rescaled to sum to that group's matched count.

    Parameters
    ----------
    sub : ndarray of shape (n,) of int
    treat : ndarray of shape (n,) of 0/1
    estimand : {"ATT", "ATC", "ATE"}
    """
    w = np.zeros(len(sub))
    inside = sub >= 0
    if not inside.any():
        return w
    S = int(sub[inside].max()) + 1
    n1 = np.bincount(sub[inside & (treat == 1)], minlength=S).astype(float)
    n0 = np.bincount(sub[inside & (treat == 0)], minlength=S).astype(float)
    both = (n1 > 0) & (n0 > 0)
    i1 = inside & (treat == 1)
    i0 = inside & (treat == 0)
    i1 &= both[np.where(inside, sub, 0)]
    i0 &= both[np.where(inside, sub, 0)]
    with np.errstate(divide="ignore", invalid="ignore"):
        if estimand == "ATT":
            w[i1] = 1.0
            w[i0] = (n1 / n0)[sub[i0]]
        elif estimand == "ATC":
            w[i0] = 1.0
            w[i1] = (n0 / n1)[sub[i1]]
        else:
            w[i1] = ((n1 + n0) / n1)[sub[i1]]
            w[i0] = ((n1 + n0) / n0)[sub[i0]]
    for grp in (i1, i0):
        tot = w[grp].sum()
        if tot > 0:
            w[grp] *= grp.sum() / tot
    return w
