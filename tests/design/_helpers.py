"""Shared helpers for the design tests: synthetic families, a reference matcher, invariants."""

from __future__ import annotations

import numpy as np
import pandas as pd

from kbeffect.design import MatchResult


def make_families(n: int = 400, seed: int = 0, *, effect: float = 0.0) -> pd.DataFrame:
    """Synthetic family frame with confounded treatment (logit model known)."""
    rng = np.random.default_rng(seed)
    income = rng.choice(["lt1500", "1500_3000", "gt3000"], n, p=[0.4, 0.4, 0.2])
    paid_work = rng.random(n) < 0.5
    migration = rng.random(n) < 0.3
    single = rng.random(n) < 0.45
    stress = rng.normal(0, 1, n)
    lp = -0.8 + 0.6 * (income == "lt1500") - 0.4 * paid_work + 0.3 * migration + 0.7 * stress
    ps = 1 / (1 + np.exp(-lp))
    kb = rng.random(n) < ps
    y = 1.0 + effect * kb + 0.8 * stress + 0.5 * (income == "lt1500") + rng.normal(0, 1, n)
    return pd.DataFrame(
        {
            "family_id": np.arange(100, 100 + n),
            "income": income,
            "paid_work": paid_work,
            "migration": migration,
            "single_parent": single,
            "stress": stress,
            "kb": kb.astype(int),
            "true_ps": ps,
            "y": y,
        }
    )


def reference_nearest(
    d: np.ndarray,
    focal_mask: np.ndarray,
    *,
    ratio: int = 1,
    replace: bool = False,
    caliper: float | None = None,
    order: np.ndarray | None = None,
    strata: np.ndarray | None = None,
) -> dict[int, list[int]]:
    """O(n^2) greedy matcher written from MatchIt's documented semantics.

    Focal units in ``order`` (positions), ``ratio`` rounds; each takes the available
    control with the smallest |d_i - d_j| (ties: lowest position) within the caliper and
    the same stratum. Returns focal position -> list of control positions.
    """
    focal = np.flatnonzero(focal_mask)
    ctrl = np.flatnonzero(~focal_mask)
    order = focal if order is None else order
    used: set[int] = set()
    out: dict[int, list[int]] = {int(i): [] for i in focal}
    for r in range(ratio):
        for i in order:
            i = int(i)
            if len(out[i]) < r:
                continue
            best, best_d = -1, np.inf
            for j in ctrl:
                j = int(j)
                if not replace and j in used:
                    continue
                if replace and j in out[i]:
                    continue
                if strata is not None and strata[j] != strata[i]:
                    continue
                dist = abs(d[i] - d[j])
                if dist < best_d:
                    best, best_d = j, dist
            if best < 0 or (caliper is not None and best_d > caliper):
                continue
            out[i].append(best)
            used.add(best)
    return out


def as_dict(res: MatchResult) -> dict[int, list[int]]:
    """Match matrix of a MatchResult as focal position -> list of control positions."""
    return {
        int(f): [int(c) for c in row if c >= 0]
        for f, row in zip(res.focal, res.match_matrix, strict=True)
    }


def assert_valid_match(res: MatchResult, *, caliper: float | None = None) -> None:
    """Invariants of a 1:k nearest/optimal match (MatchIt's expect_good_matchit)."""
    t = res.treat
    focal_val = 0 if res.estimand == "ATC" else 1
    assert np.all(t[res.focal] == focal_val)
    mm = res.match_matrix
    ctrls = mm[mm >= 0]
    assert np.all(t[ctrls] == 1 - focal_val)
    assert len(np.unique(res.focal)) == len(res.focal)
    for row in mm:
        row = row[row >= 0]
        assert len(np.unique(row)) == len(row), "a control appears twice for one focal unit"
    # matched controls are left-aligned in each row
    assert np.all(np.diff((mm >= 0).astype(int), axis=1) <= 0)
    if res.info.get("replace") is False:
        assert len(np.unique(ctrls)) == len(ctrls), "a control was used twice"
    assert not np.any(res.discarded[ctrls]) and not np.any(res.discarded[res.focal[mm[:, 0] >= 0]])
    if caliper is not None:
        diffs = np.abs(res.distance[res.focal][:, None] - np.where(mm >= 0, res.distance[mm], 0))
        assert np.all(diffs[mm >= 0] <= caliper + 1e-12)
    # weights: matched focal units 1, unmatched 0; control weights sum to #matched controls
    matched_focal = res.focal[np.any(mm >= 0, axis=1)]
    np.testing.assert_allclose(res.weights[matched_focal], 1.0)
    other = t == 1 - focal_val
    assert res.weights[other].sum() == np.float64(len(np.unique(ctrls))) or np.isclose(
        res.weights[other].sum(), len(np.unique(ctrls))
    )
    assert np.all(res.weights[(t == focal_val)] >= 0)
    unmatched_ctrl = np.setdiff1d(np.flatnonzero(other), ctrls)
    np.testing.assert_allclose(res.weights[unmatched_ctrl], 0.0)
