r"""Optimal full matching as a minimum-cost edge cover, solved through the assignment problem.

A full matching partitions the units into matched sets that each hold one treated unit
and one or more controls, or one control and several treated units; its cost is the sum
of the treated-control distances inside the sets (optmatch's ``fullmatch`` objective
without ratio limits). Those sets are exactly the stars of a bipartite *edge cover*:
every unit lies on at least one chosen treated-control edge, and a minimum-cost edge
cover is a disjoint union of stars. So optimal full matching is the minimum-cost edge
cover, which reduces to a maximum-weight matching (Schrijver 2003, sec. 19.3): with
:math:`m_v` the cheapest edge at unit :math:`v`,

.. math:: \text{cover}^* = \sum_v m_v - \max_M \sum_{(i, j) \in M} (m_i + m_j - d_{ij}),

and the cover is the matching :math:`M` plus the cheapest edge of every unit that
:math:`M` leaves uncovered. The maximum-weight matching is solved exactly with
:func:`scipy.optimize.linear_sum_assignment`. Forbidden pairs (``inf``, e.g. outside a
caliper or an exact stratum) are never used; units with no allowed partner stay
unmatched.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import linear_sum_assignment
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from kbeffect.design.matching.optimal import MAX_CELLS
from kbeffect.errors import EstimationError

__all__ = ["full_match", "full_match_matrix"]


def full_match_matrix(dmat: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """Minimum-cost edge cover of a (n1, n0) distance matrix.

    Returns
    -------
    set_treated : ndarray of shape (n1,)
        Matched-set id of each row unit (-1 if it has no allowed partner).
    set_control : ndarray of shape (n0,)
        Matched-set id of each column unit (-1 if none).
    cost : float
        Total within-set treated-control distance.
    """
    n1, n0 = dmat.shape
    if n1 * n0 > MAX_CELLS:
        raise EstimationError(
            f"full matching needs a {n1} x {n0} distance matrix; that is too large. "
            "Use exact matching on a stratifying variable, or method='subclass'."
        )
    finite = np.isfinite(dmat)
    row_ok, col_ok = finite.any(axis=1), finite.any(axis=0)
    big = np.where(finite, dmat, np.inf)
    m_row = np.where(row_ok, big.min(axis=1, initial=np.inf), 0.0)
    m_col = np.where(col_ok, big.min(axis=0, initial=np.inf), 0.0)
    gain = np.where(finite, m_row[:, None] + m_col[None, :] - np.where(finite, dmat, 0.0), 0.0)
    gain = np.maximum(gain, 0.0)
    r, c = linear_sum_assignment(gain, maximize=True)
    keep = gain[r, c] > 0
    edges_r, edges_c = list(r[keep]), list(c[keep])
    covered_r = np.zeros(n1, bool)
    covered_c = np.zeros(n0, bool)
    covered_r[r[keep]] = True
    covered_c[c[keep]] = True
    for i in np.flatnonzero(row_ok & ~covered_r):
        edges_r.append(i)
        edges_c.append(int(np.argmin(big[i])))
    for j in np.flatnonzero(col_ok & ~covered_c):
        edges_r.append(int(np.argmin(big[:, j])))
        edges_c.append(j)
    er, ec = _star_forest(
        np.asarray(edges_r, dtype=np.int64), np.asarray(edges_c, dtype=np.int64), dmat, n1, n0
    )
    cost = float(dmat[er, ec].sum()) if len(er) else 0.0
    g = coo_matrix((np.ones(len(er)), (er, n1 + ec)), shape=(n1 + n0, n1 + n0))
    _, lab = connected_components(g, directed=False)
    used = np.zeros(n1 + n0, bool)
    used[er] = True
    used[n1 + ec] = True
    lab = np.where(used, lab, -1)
    _, relab = np.unique(lab[used], return_inverse=True)
    out = np.full(n1 + n0, -1, dtype=np.int64)
    out[used] = relab
    return out[:n1], out[n1:], cost


def _star_forest(
    er: np.ndarray, ec: np.ndarray, dmat: np.ndarray, n1: int, n0: int
) -> tuple[np.ndarray, np.ndarray]:
    """Drop cover edges whose two ends are both covered twice, costliest first.

    With zero distances (tied scores) the optimal cover built from the matching can join
    stars through a zero-cost edge (a treated-control path of length 3, a repeated edge),
    which would merge them into one set with several treated *and* several controls.
    Such an edge is redundant: dropping it keeps every unit covered and never raises the
    cost. After one pass every kept edge has an end of degree 1, so each component is a
    star (one treated or one control).
    """
    deg_r = np.bincount(er, minlength=n1)
    deg_c = np.bincount(ec, minlength=n0)
    keep = np.ones(len(er), bool)
    for k in np.argsort(-dmat[er, ec], kind="stable"):
        i, j = er[k], ec[k]
        if deg_r[i] >= 2 and deg_c[j] >= 2:
            keep[k] = False
            deg_r[i] -= 1
            deg_c[j] -= 1
    return er[keep], ec[keep]


def full_match(
    distance: np.ndarray,
    treat: np.ndarray,
    *,
    strata: np.ndarray | None = None,
    eligible: np.ndarray | None = None,
    caliper: float | None = None,
) -> np.ndarray:
    """Optimal full matching on a scalar distance; returns (n,) set ids (-1 unmatched).

    Parameters
    ----------
    distance : ndarray of shape (n,)
    treat : ndarray of shape (n,) of 0/1
    strata : ndarray of shape (n,), optional
        Exact-matching strata (sets never cross strata).
    eligible : ndarray of shape (n,) bool, optional
    caliper : float, optional
        Pairs farther apart are not allowed (units without an allowed partner stay
        unmatched).
    """
    n = len(distance)
    ok = np.ones(n, bool) if eligible is None else eligible
    codes = np.zeros(n, dtype=np.int64) if strata is None else strata
    out = np.full(n, -1, dtype=np.int64)
    next_id = 0
    for s in np.unique(codes[ok]):
        tr = np.flatnonzero(ok & (codes == s) & (treat == 1))
        co = np.flatnonzero(ok & (codes == s) & (treat == 0))
        if len(tr) == 0 or len(co) == 0:
            continue
        d = np.abs(distance[tr][:, None] - distance[co][None, :])
        if caliper is not None:
            d = np.where(d <= caliper, d, np.inf)
        st, sc, _ = full_match_matrix(d)
        for pos, lab in ((tr, st), (co, sc)):
            out[pos] = np.where(lab >= 0, lab + next_id, -1)
        next_id += int(max(st.max(initial=-1), sc.max(initial=-1)) + 1)
    return out
