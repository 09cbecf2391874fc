"""Nearest-neighbour matching: hand-checked examples, an O(n^2) reference, invariants."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.spatial.distance import cdist

from kbeffect.design import match
from kbeffect.design.matching.nearest import nearest_match
from kbeffect.design.matching.weights import pooled_cov
from kbeffect.errors import DataError, EstimationError, SchemaError, SpecificationError

from ._helpers import as_dict, assert_valid_match, make_families, reference_nearest

COVS = ["income", "paid_work", "migration", "single_parent", "stress"]


def _frame(t: list[int], d: list[float]) -> pd.DataFrame:
    return pd.DataFrame({"family_id": range(len(t)), "t": t, "d": d, "x": d})


# ---------------------------------------------------------------- hand-checkable examples
def test_order_matters_largest_vs_smallest() -> None:
    # treated at 5 and 6; controls at 5.4 and 8
    df = _frame([1, 1, 0, 0], [5.0, 6.0, 5.4, 8.0])
    big = match(df, treatment="t", covariates=["x"], distance="d", m_order="largest")
    assert as_dict(big) == {0: [3], 1: [2]}  # 6 takes 5.4 first, 5 is left with 8
    small = match(df, treatment="t", covariates=["x"], distance="d", m_order="smallest")
    assert as_dict(small) == {0: [2], 1: [3]}


def test_ratio_two_matches_in_rounds() -> None:
    # treated 5, 6; controls 5.4, 5.5, 8, 9. Round 1: 6->5.5, 5->5.4; round 2: 6->8, 5->9
    df = _frame([1, 1, 0, 0, 0, 0], [5.0, 6.0, 5.4, 5.5, 8.0, 9.0])
    res = match(df, treatment="t", covariates=["x"], distance="d", ratio=2)
    assert as_dict(res) == {0: [2, 5], 1: [3, 4]}
    np.testing.assert_allclose(res.weights, 1.0)  # every unit used once, k_i = 2


def test_ties_go_to_the_control_earlier_in_the_data() -> None:
    df = _frame([0, 1, 0], [5.0, 6.0, 7.0])
    res = match(df, treatment="t", covariates=["x"], distance="d")
    assert as_dict(res) == {1: [0]}
    df2 = _frame([0, 1, 0], [7.0, 6.0, 5.0])
    assert as_dict(match(df2, treatment="t", covariates=["x"], distance="d")) == {1: [0]}


def test_caliper_leaves_far_treated_unmatched() -> None:
    df = _frame([1, 1, 0, 0], [0.30, 0.80, 0.32, 0.50])
    res = match(df, treatment="t", covariates=["x"], distance="d", caliper=0.1,
                std_caliper=False)
    assert as_dict(res) == {0: [2], 1: []}
    assert res.weights.tolist() == [1.0, 0.0, 1.0, 0.0]
    assert res.n_matched == {"treated": 1, "control": 1}


def test_std_caliper_is_in_sds_of_the_distance() -> None:
    df = make_families(300, seed=3)
    a = match(df, treatment="kb", covariates=COVS, caliper=0.2)
    sd = np.std(a.distance, ddof=1)
    b = match(df, treatment="kb", covariates=COVS, caliper=0.2 * sd, std_caliper=False)
    assert a.info["caliper"] == pytest.approx(0.2 * sd)
    np.testing.assert_array_equal(a.match_matrix, b.match_matrix)
    assert_valid_match(a, caliper=0.2 * sd)


def test_replacement_weights_hand_example() -> None:
    # both treated units share the nearest control (row 2); 2:1 gives k_i = 2
    df = _frame([1, 1, 0, 0, 0], [0.50, 0.52, 0.51, 0.40, 0.90])
    res = match(df, treatment="t", covariates=["x"], distance="d", ratio=2, replace=True)
    assert as_dict(res) == {0: [2, 3], 1: [2, 3]}
    # control 2: 1/2 + 1/2 = 1, control 3: 1; rescaled to sum to 2 matched controls
    np.testing.assert_allclose(res.weights, [1, 1, 1, 1, 0])
    assert (res.subclass == -1).all()  # no matched sets with replacement (as MatchIt)


# ---------------------------------------------------------------- against the O(n^2) matcher
@pytest.mark.parametrize("ratio", [1, 2, 3])
@pytest.mark.parametrize("replace", [False, True])
@pytest.mark.parametrize("caliper", [None, 0.02])
@pytest.mark.parametrize("order", ["largest", "smallest", "data", "random"])
def test_kernel_matches_reference(ratio: int, replace: bool, caliper: float | None,
                                  order: str) -> None:
    rng = np.random.default_rng(ratio * 100 + int(replace) * 10 + (caliper is None))
    n = 240
    d = rng.beta(2, 5, n)
    focal_mask = rng.random(n) < 0.3
    d[focal_mask] += 0.1
    fit = nearest_match(d, focal_mask, ratio=ratio, replace=replace, caliper=caliper,
                        order=order, rng=np.random.default_rng(5))
    focal = np.flatnonzero(focal_mask)
    if order == "largest":
        o = focal[np.argsort(-d[focal], kind="stable")]
    elif order == "smallest":
        o = focal[np.argsort(d[focal], kind="stable")]
    elif order == "random":
        o = focal[np.random.default_rng(5).permutation(len(focal))]
    else:
        o = focal
    exp = reference_nearest(d, focal_mask, ratio=ratio, replace=replace, caliper=caliper,
                            order=o)
    got = {int(f): [int(c) for c in row if c >= 0]
           for f, row in zip(fit.focal, fit.match_matrix, strict=True)}
    assert got == exp


@pytest.mark.parametrize("ratio", [1, 2])
def test_exact_strata_match_reference(ratio: int) -> None:
    df = make_families(500, seed=11)
    res = match(df, treatment="kb", covariates=COVS, exact=["income"], ratio=ratio,
                caliper=0.25)
    strata = pd.factorize(df["income"])[0]
    o = res.focal[np.argsort(-res.distance[res.focal], kind="stable")]
    exp = reference_nearest(res.distance, df["kb"].to_numpy() == 1, ratio=ratio,
                            caliper=res.info["caliper"], order=o, strata=strata)
    assert as_dict(res) == exp
    pairs = res.pairs()
    assert (df.loc[pairs["focal"], "income"].to_numpy()
            == df.loc[pairs["control"], "income"].to_numpy()).all()
    assert_valid_match(res, caliper=res.info["caliper"])


@pytest.mark.parametrize("kw", [
    {}, {"ratio": 2}, {"replace": True}, {"caliper": 0.1}, {"ratio": 3, "caliper": 0.3},
    {"discard": "both"}, {"discard": "control", "ratio": 2}, {"estimand": "ATC"},
    {"m_order": "random", "seed": 4}, {"link": "linear_logit", "caliper": 0.2},
])
def test_invariants(kw: dict) -> None:
    df = make_families(400, seed=7)
    res = match(df, treatment="kb", covariates=COVS, **kw)
    assert_valid_match(res, caliper=res.info["caliper"])


# ---------------------------------------------------------------- equivalent distance inputs
def test_equivalence_of_distance_inputs() -> None:
    df = make_families(300, seed=2)
    est = match(df, treatment="kb", covariates=COVS, m_order="data")
    ps = est.propensity.ps
    by_array = match(df, treatment="kb", covariates=COVS, distance=ps, m_order="data")
    by_column = match(df.assign(ps=ps), treatment="kb", covariates=COVS, distance="ps",
                      m_order="data")
    t = df["kb"].to_numpy() == 1
    dmat = np.abs(ps[t][:, None] - ps[~t][None, :])
    by_matrix = match(df, treatment="kb", covariates=COVS, distance=dmat, m_order="data")
    for other in (by_array, by_column, by_matrix):
        np.testing.assert_array_equal(est.match_matrix, other.match_matrix)
        np.testing.assert_allclose(est.weights, other.weights)


def test_linear_predictor_equals_matching_on_logit_ps() -> None:
    df = make_families(300, seed=9)
    lin = match(df, treatment="kb", covariates=COVS, link="linear_logit")
    ps = match(df, treatment="kb", covariates=COVS).propensity.ps
    manual = match(df, treatment="kb", covariates=COVS, distance=np.log(ps / (1 - ps)))
    np.testing.assert_array_equal(lin.match_matrix, manual.match_matrix)


def test_mahalanobis_equals_matrix_of_mahalanobis_distances() -> None:
    df = make_families(300, seed=5)
    cov = ["stress", "paid_work", "migration"]
    res = match(df, treatment="kb", covariates=cov, distance="mahalanobis", ratio=2)
    X = df[cov].to_numpy(dtype=float)
    Z = (X - X.mean(0)) / X.std(0, ddof=1)
    t = df["kb"].to_numpy()
    VI = np.linalg.inv(pooled_cov(Z, t))
    D = cdist(Z[t == 1], Z[t == 0], metric="mahalanobis", VI=VI)
    by_matrix = match(df, treatment="kb", covariates=cov, distance=D, ratio=2)
    np.testing.assert_array_equal(res.match_matrix, by_matrix.match_matrix)
    assert_valid_match(res)


def test_atc_equals_att_with_flipped_treatment() -> None:
    df = make_families(300, seed=6)
    atc = match(df, treatment="kb", covariates=COVS, estimand="ATC", m_order="largest")
    flipped = df.assign(kb=1 - df["kb"])
    att = match(flipped, treatment="kb", covariates=COVS, distance=atc.distance,
                m_order="largest")
    np.testing.assert_array_equal(atc.match_matrix, att.match_matrix)
    np.testing.assert_allclose(atc.weights, att.weights)


def test_discard_rules() -> None:
    df = make_families(400, seed=8)
    res = match(df, treatment="kb", covariates=COVS, discard="both")
    d, t = res.distance, res.treat
    lo = max(d[t == 1].min(), d[t == 0].min())
    hi = min(d[t == 1].max(), d[t == 0].max())
    np.testing.assert_array_equal(res.discarded, (d < lo) | (d > hi))
    ctrl = match(df, treatment="kb", covariates=COVS, discard="control")
    expected = (t == 0) & ((d < d[t == 1].min()) | (d > d[t == 1].max()))
    np.testing.assert_array_equal(ctrl.discarded, expected)
    assert ctrl.discarded.any()


# ---------------------------------------------------------------- missing values and errors
def test_missing_values_raise_by_default_and_drop_is_counted() -> None:
    df = make_families(200, seed=1)
    df["stress"] = df["stress"].astype(float)
    df.loc[[3, 10, 11], "stress"] = np.nan
    df.loc[[20], "kb"] = np.nan
    with pytest.raises(DataError, match="stress"):
        match(df, treatment="kb", covariates=COVS)
    res = match(df, treatment="kb", covariates=COVS, missing="drop")
    assert res.exclusions.counts == {"missing treatment (kb)": 1, "missing covariate": 3}
    assert len(res.weights) == len(df)
    assert (res.weights[[3, 10, 11, 20]] == 0).all() and (res.treat[[3, 20]] == -1).all()
    assert_valid_match(res)


@pytest.mark.parametrize(("kw", "exc", "msg"), [
    ({"method": "nearest", "ratio": 0}, SpecificationError, "ratio"),
    ({"method": "genetic"}, SpecificationError, "method"),
    ({"estimand": "ATE"}, SpecificationError, "estimand"),
    ({"m_order": "biggest"}, SpecificationError, "m_order"),
    ({"caliper": -1}, SpecificationError, "caliper"),
    ({"distance": "nope"}, SpecificationError, "distance"),
    ({"distance": np.ones(3)}, SpecificationError, "distance vector"),
    ({"method": "optimal", "caliper": 0.2}, SpecificationError, "caliper"),
    ({"exact": ["nope"]}, SchemaError, "nope"),
])
def test_bad_arguments(kw: dict, exc: type, msg: str) -> None:
    df = make_families(100, seed=1)
    with pytest.raises(exc, match=msg):
        match(df, treatment="kb", covariates=COVS, **kw)


def test_non_binary_treatment_and_empty_match() -> None:
    df = make_families(100, seed=1)
    with pytest.raises(DataError, match="kb"):
        match(df.assign(kb=df["kb"] * 2), treatment="kb", covariates=COVS)
    far = _frame([1, 0], [0.0, 1.0])
    with pytest.raises(EstimationError, match="no units"):
        match(far, treatment="t", covariates=["x"], distance="d", caliper=0.1,
              std_caliper=False)


# ---------------------------------------------------------------- matched data
def test_matched_data_expands_to_children_without_overwriting() -> None:
    df = make_families(200, seed=4)
    res = match(df, treatment="kb", covariates=COVS)
    rng = np.random.default_rng(0)
    kids = pd.DataFrame({"family_id": np.repeat(df["family_id"].to_numpy(), 2),
                         "age": rng.uniform(3, 18, 2 * len(df))})
    obs = kids.loc[kids.index.repeat(3)].reset_index(drop=True)
    obs["wave"] = np.tile([0, 1, 2], len(kids))
    md = res.matched_data(obs)
    fam = res.matched_data()
    assert len(fam) == res.n_matched["treated"] + res.n_matched["control"]
    assert len(md) == 6 * len(fam)
    w = fam.set_index("family_id")["weights"]
    np.testing.assert_allclose(md["weights"].to_numpy(), w.loc[md["family_id"]].to_numpy())
    assert md["subclass"].dtype == "Int64" and md["subclass"].min() == 1
    with pytest.raises(SchemaError, match="weights"):
        res.matched_data(obs.assign(weights=1.0))
    md2 = res.matched_data(obs.assign(weights=1.0), weights="match_w")
    assert (md2["weights"] == 1.0).all()
    # every matched set has one treated and one control family
    sizes = fam.groupby("subclass")["kb"].agg(["sum", "size"])
    assert (sizes["sum"] == 1).all() and (sizes["size"] == 2).all()


def test_summary_tidy_plot() -> None:
    df = make_families(300, seed=12)
    res = match(df, treatment="kb", covariates=COVS, caliper=0.2)
    s = res.summary()
    text = str(s)
    assert "Balance, matched units" in text and "Std" not in text
    assert "<table" in s._repr_html_()
    assert "\\begin{tabular}" in s.as_latex()
    tidy = res.tidy()
    assert set(tidy["sample"]) == {"unadjusted", "adjusted"}
    assert {"term", "smd", "var_ratio", "ecdf_max"} <= set(tidy.columns)
    import matplotlib.figure

    assert isinstance(res.plot(), matplotlib.figure.Figure)
    assert isinstance(res.plot("overlap"), matplotlib.figure.Figure)
    before, after = res.balance().max_abs_smd
    assert after < before


@pytest.mark.parametrize("kw", [{"replace": True, "ratio": 2}, {"ratio": 2},
                                {"caliper": 0.05, "std_caliper": False}])
def test_matrix_path_equals_vector_path(kw: dict) -> None:
    df = make_families(250, seed=13)
    est = match(df, treatment="kb", covariates=COVS, m_order="data", **kw)
    ps = est.distance
    t = df["kb"].to_numpy() == 1
    dmat = np.abs(ps[t][:, None] - ps[~t][None, :])
    by_matrix = match(df, treatment="kb", covariates=COVS, distance=dmat, m_order="data", **kw)
    np.testing.assert_array_equal(est.match_matrix, by_matrix.match_matrix)
    np.testing.assert_allclose(est.weights, by_matrix.weights)


def test_mahalanobis_with_replacement_and_exact_strata() -> None:
    df = make_families(300, seed=14)
    cov = ["stress", "paid_work", "migration"]
    rep = match(df, treatment="kb", covariates=cov, distance="mahalanobis", ratio=2,
                replace=True)
    assert_valid_match(rep)
    ex = match(df, treatment="kb", covariates=cov, distance="mahalanobis", exact=["income"])
    assert_valid_match(ex)
    p = ex.pairs()
    assert (df.loc[p["focal"], "income"].to_numpy()
            == df.loc[p["control"], "income"].to_numpy()).all()
    # with replacement every treated unit gets its two nearest controls in Mahalanobis
    # distance (checked against a brute-force scan of the same transformed points)
    from kbeffect.design.matching.weights import mahalanobis_points

    tt = df["kb"].to_numpy()
    Z = mahalanobis_points(df[cov].to_numpy(dtype=float), tt)
    D = cdist(Z[tt == 1], Z[tt == 0])
    near = np.flatnonzero(tt == 0)[np.argsort(D, axis=1, kind="stable")[:, :2]]
    np.testing.assert_array_equal(np.sort(rep.match_matrix, axis=1), np.sort(near, axis=1))


def test_random_order_is_reproducible() -> None:
    df = make_families(300, seed=15)
    a = match(df, treatment="kb", covariates=COVS, m_order="random", seed=3)
    b = match(df, treatment="kb", covariates=COVS, m_order="random", seed=3)
    np.testing.assert_array_equal(a.match_matrix, b.match_matrix)
