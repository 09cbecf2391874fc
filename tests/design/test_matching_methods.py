"""Optimal pair, full, CEM, exact and subclass matching against brute force and hand examples."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from kbeffect.design import match
from kbeffect.design.matching.cem import coarsen, sturges_bins
from kbeffect.design.matching.full import full_match_matrix
from kbeffect.design.matching.optimal import optimal_match_matrix
from kbeffect.design.matching.subclass import subclass_weights
from kbeffect.errors import SpecificationError

from ._helpers import assert_valid_match, make_families

COVS = ["income", "paid_work", "migration", "single_parent", "stress"]


def _total(res) -> float:  # type: ignore[no-untyped-def]
    mm = res.match_matrix
    ok = mm >= 0
    f = np.repeat(res.focal[:, None], mm.shape[1], axis=1)
    return float(np.abs(res.distance[f[ok]] - res.distance[mm[ok]]).sum())


# ---------------------------------------------------------------- optimal pair matching
@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("ratio", [1, 2])
def test_optimal_equals_brute_force(seed: int, ratio: int) -> None:
    rng = np.random.default_rng(seed)
    n1, n0 = 3, 7
    D = rng.random((n1, n0))
    fit = optimal_match_matrix(D, np.arange(n1), np.arange(n0), ratio=ratio)
    got = sum(D[i, j] for i in range(n1) for j in fit.match_matrix[i] if j >= 0)
    best = np.inf
    for perm in itertools.permutations(range(n0), n1 * ratio):
        cost = sum(D[k // ratio, perm[k]] for k in range(n1 * ratio))
        best = min(best, cost)
    assert got == pytest.approx(best)
    assert (fit.match_matrix >= 0).all()


def test_optimal_not_worse_than_greedy_and_valid() -> None:
    df = make_families(400, seed=21)
    opt = match(df, treatment="kb", covariates=COVS, method="optimal")
    nn = match(df, treatment="kb", covariates=COVS, method="nearest")
    assert_valid_match(opt)
    assert _total(opt) <= _total(nn) + 1e-12
    opt2 = match(df, treatment="kb", covariates=COVS, method="optimal", ratio=2,
                 exact=["single_parent"])
    assert_valid_match(opt2)
    pairs = opt2.pairs()
    assert (df.loc[pairs["focal"], "single_parent"].to_numpy()
            == df.loc[pairs["control"], "single_parent"].to_numpy()).all()


def test_optimal_hand_example_beats_greedy() -> None:
    # greedy (largest first): 0.6 takes 0.55, so 0.5 is left with 0.9: total 0.05 + 0.4
    # optimal: 0.5 -> 0.55 and 0.6 -> 0.9: total 0.05 + 0.3
    df = pd.DataFrame({"t": [1, 1, 0, 0], "d": [0.5, 0.6, 0.55, 0.9], "x": 0.0})
    opt = match(df, treatment="t", covariates=["x"], distance="d", method="optimal")
    got = {int(f): int(r[0]) for f, r in zip(opt.focal, opt.match_matrix, strict=True)}
    assert got == {0: 2, 1: 3}
    assert _total(opt) == pytest.approx(0.35)
    greedy = match(df, treatment="t", covariates=["x"], distance="d")
    assert _total(greedy) == pytest.approx(0.45)


# ---------------------------------------------------------------- full matching
def _brute_edge_cover(D: np.ndarray) -> float:
    n1, n0 = D.shape
    edges = [(i, j) for i in range(n1) for j in range(n0)]
    best = np.inf
    for mask in range(1, 2 ** len(edges)):
        chosen = [e for k, e in enumerate(edges) if mask >> k & 1]
        if {i for i, _ in chosen} == set(range(n1)) and {j for _, j in chosen} == set(range(n0)):
            best = min(best, sum(D[i, j] for i, j in chosen))
    return best


@pytest.mark.parametrize("seed", range(8))
def test_full_matching_is_minimum_cost_edge_cover(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n1, n0 = (3, 4) if seed % 2 else (4, 3)
    D = rng.random((n1, n0))
    st, sc, cost = full_match_matrix(D)
    assert cost == pytest.approx(_brute_edge_cover(D))
    assert (st >= 0).all() and (sc >= 0).all()
    # every matched set is a star: one treated or one control
    for s in np.unique(np.r_[st, sc]):
        assert min(np.sum(st == s), np.sum(sc == s)) == 1


@pytest.mark.parametrize("seed", range(6))
def test_full_matching_sets_are_stars_with_tied_distances(seed: int) -> None:
    # tied scores (discrete covariates) give zero distances; the cover used to chain stars
    # through zero-cost edges into sets with several treated and several controls
    rng = np.random.default_rng(seed)
    n1, n0 = (3, 4) if seed % 2 else (4, 3)
    D = np.abs(rng.integers(0, 3, n1)[:, None] - rng.integers(0, 3, n0)[None, :]).astype(float)
    st, sc, cost = full_match_matrix(D)
    assert cost == pytest.approx(_brute_edge_cover(D))
    assert (st >= 0).all() and (sc >= 0).all()
    for s in np.unique(np.r_[st, sc]):
        assert min(np.sum(st == s), np.sum(sc == s)) == 1
    st0, sc0, _ = full_match_matrix(np.zeros((2, 3)))
    assert len(np.unique(np.r_[st0, sc0])) == 2  # two stars, not one 2 x 3 set


def test_full_matching_with_discrete_scores_gives_stars() -> None:
    df = make_families(300, seed=1)
    res = match(df, treatment="kb", covariates=["income", "paid_work"], method="full")
    t = res.treat
    for s in np.unique(res.subclass[res.subclass >= 0]):
        inset = res.subclass == s
        assert min(np.sum(t[inset] == 1), np.sum(t[inset] == 0)) == 1


def test_full_matching_result() -> None:
    df = make_families(300, seed=22)
    res = match(df, treatment="kb", covariates=COVS, method="full")
    t = res.treat
    assert (res.weights > 0).all()  # full matching keeps every unit
    np.testing.assert_allclose(res.weights[t == 1], 1.0)
    assert res.weights[t == 0].sum() == pytest.approx(np.sum(t == 0))
    np.testing.assert_allclose(res.weights, subclass_weights(res.subclass, t, "ATT"))
    for s in np.unique(res.subclass):
        inset = res.subclass == s
        assert min(np.sum(t[inset] == 1), np.sum(t[inset] == 0)) == 1
    # balance improves on the propensity score
    before, after = res.balance().max_abs_smd
    assert after < before
    cal = match(df, treatment="kb", covariates=COVS, method="full", caliper=0.05)
    assert (cal.weights == 0).sum() > 0


# ---------------------------------------------------------------- CEM / exact / subclass
def test_coarsen_follows_findinterval_and_sturges() -> None:
    x = np.array([0.0, 1.0, 2.0, 2.5, 4.0])
    # 2 bins: breaks -inf, 2, inf -> values at the break go up
    np.testing.assert_array_equal(coarsen(x, 2), [0, 0, 1, 1, 1])
    np.testing.assert_array_equal(coarsen(x, [1.0, 3.0]), [0, 1, 1, 1, 2])
    assert sturges_bins(400) == 10 and sturges_bins(8) == 4


def test_cem_hand_example() -> None:
    df = pd.DataFrame({
        "t":   [1, 0, 0, 1, 0, 1],
        "g":   ["a", "a", "a", "b", "c", "c"],
        "age": [1.0, 1.2, 9.0, 5.0, 5.0, 9.5],
    })
    res = match(df, treatment="t", covariates=["g", "age"], method="cem",
                cutpoints={"age": [5.0]})
    # strata: (a, low) {0 T, 1 C}; (a, high) {2 C}; (b, high) {3 T}; (c, high) {4 C, 5 T}
    np.testing.assert_array_equal(res.weights, [1, 1, 0, 0, 1, 1])
    assert res.subclass[0] == res.subclass[1] != res.subclass[4] == res.subclass[5]
    assert res.subclass[2] == -1 and res.subclass[3] == -1


@pytest.mark.parametrize(
    ("cutpoints", "match_"),
    [({"agee": [5.0]}, "not CEM variables"), ({"age": -2}, r"cutpoints\['age'\]"),
     ({"age": [np.nan]}, r"cutpoints\['age'\]"), ({"age": True}, r"cutpoints\['age'\]")],
)
def test_cem_cutpoints_are_checked(cutpoints: dict, match_: str) -> None:
    # a misspelt variable used to be ignored silently (default bins); bad bins crashed numpy
    df = pd.DataFrame({"t": [1, 0, 0, 1, 0, 1], "g": list("aaabcc"),
                       "age": [1.0, 1.2, 9.0, 5.0, 5.0, 9.5]})
    with pytest.raises(SpecificationError, match=match_):
        match(df, treatment="t", covariates=["g", "age"], method="cem", cutpoints=cutpoints)


def test_exact_matching_weights() -> None:
    df = pd.DataFrame({"t": [1, 0, 0, 1, 1, 0, 0], "g": list("aaabbcc"), "x": 0.0})
    res = match(df, treatment="t", covariates=["g"], method="exact")
    # stratum a: 1 T, 2 C -> controls 1/2 each; b no control; c no treated
    w = res.weights
    assert w[0] == 1 and w[3] == 0 and w[4] == 0 and w[5] == 0 and w[6] == 0
    assert w[1] == w[2] == pytest.approx(1.0)  # 0.5 each rescaled to sum to 2 controls


def test_subclass_weights_ate_hand_example() -> None:
    sub = np.array([0, 0, 0, 1, 1, 1, 1])
    t = np.array([1, 0, 0, 1, 1, 1, 0])
    w = subclass_weights(sub, t, "ATE")
    # subclass 0: n=3, n1=1, n0=2 -> T 3, C 1.5; subclass 1: n=4, n1=3, n0=1 -> T 4/3, C 4
    raw = np.array([3, 1.5, 1.5, 4 / 3, 4 / 3, 4 / 3, 4])
    raw[t == 1] *= 4 / raw[t == 1].sum()
    raw[t == 0] *= 3 / raw[t == 0].sum()
    np.testing.assert_allclose(w, raw)


def test_subclass_method_invariants() -> None:
    df = make_families(500, seed=23)
    res = match(df, treatment="kb", covariates=COVS, method="subclass", subclass=5)
    assert res.info["subclasses"] == 5
    t = res.treat
    np.testing.assert_allclose(res.weights[t == 1], 1.0)
    assert res.weights[t == 0].sum() == pytest.approx(np.sum((t == 0) & (res.weights > 0)))
    # treated units are split into (nearly) equal quintiles
    counts = np.bincount(res.subclass[t == 1])
    assert counts.max() - counts.min() <= 1


def test_full_and_optimal_equivalent_distance_inputs() -> None:
    from scipy.spatial.distance import cdist

    from kbeffect.design.matching.weights import mahalanobis_points

    df = make_families(160, seed=24)
    cov = ["stress", "paid_work", "migration"]
    t = df["kb"].to_numpy()
    Z = mahalanobis_points(df[cov].to_numpy(dtype=float), t)
    D = cdist(Z[t == 1], Z[t == 0])
    rows, cols = np.flatnonzero(t == 1), np.flatnonzero(t == 0)

    def set_cost(res) -> float:  # type: ignore[no-untyped-def]
        # sum of treated-control distances inside each matched set
        sub = res.subclass
        same = (sub[rows][:, None] == sub[cols][None, :]) & (sub[rows][:, None] >= 0)
        return float(D[same].sum())

    # 1-D-like costs have many tied optima, so compare the optimal costs, not the sets
    for method in ("optimal", "full"):
        a = match(df, treatment="kb", covariates=cov, method=method, distance="mahalanobis")
        b = match(df, treatment="kb", covariates=cov, method=method, distance=D)
        assert set_cost(a) == pytest.approx(set_cost(b), rel=1e-12)
        assert (a.weights > 0).sum() == (b.weights > 0).sum()
    ps = match(df, treatment="kb", covariates=COVS, method="full")
    d = ps.distance
    Dps = np.abs(d[t == 1][:, None] - d[t == 0][None, :])
    via_matrix = match(df, treatment="kb", covariates=COVS, method="full", distance=Dps)
    np.testing.assert_allclose(ps.weights, via_matrix.weights)
    ate = match(df, treatment="kb", covariates=COVS, method="full", estimand="ATE")
    for g in (0, 1):
        assert ate.weights[t == g].sum() == pytest.approx(np.sum(t == g))


def test_small_subclasses_are_merged() -> None:
    from kbeffect.design.matching.subclass import merge_small_subclasses

    sub = np.array([0, 0, 1, 1, 2, 2, 2])
    t = np.array([1, 0, 1, 1, 1, 0, 0])  # subclass 1 has no control
    out = merge_small_subclasses(sub, t)
    np.testing.assert_array_equal(out, [0, 0, 1, 1, 1, 1, 1])
    last = merge_small_subclasses(np.array([0, 0, 1, -1]), np.array([1, 0, 1, 0]))
    np.testing.assert_array_equal(last, [0, 0, 0, -1])
