"""rm_anova against statsmodels / pingouin / scipy, invariants, exclusions and errors."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pingouin as pg
import pytest
import statsmodels.api as sm
from scipy import stats
from statsmodels.stats.anova import AnovaRM

from kbeffect.errors import DataError, EstimationError, SchemaError, SpecificationError
from kbeffect.models.anova import RMAnovaResult, rm_anova


def simulate(sizes: dict[str, int], n_waves: int = 3, seed: int = 0, *, slope=(-1.0, -0.5),
             sd_subject: float = 2.0) -> pd.DataFrame:
    """Long data: random subject intercept, group-specific linear time trend."""
    rng = np.random.default_rng(seed)
    rows = []
    sid = 0
    for g, (name, n) in enumerate(sizes.items()):
        for _ in range(n):
            u = rng.normal(0, sd_subject)
            for w in range(n_waves):
                mu = 10 + u + slope[g % len(slope)] * w
                rows.append((f"id{sid:03d}", name, f"T{w}", mu + rng.normal(0, 1 + 0.3 * w)))
            sid += 1
    return pd.DataFrame(rows, columns=["id", "group", "wave", "y"])


# ------------------------------------------------------------------ peers
def test_balanced_mixed_matches_pingouin() -> None:
    d = simulate({"kb": 15, "vol": 15}, seed=1)
    res = rm_anova(d, dv="y", subject="id", between="group").tidy().set_index("term")
    pgo = pg.mixed_anova(d, dv="y", within="wave", subject="id", between="group",
                         correction=True).set_index("Source")
    pgo = pgo.rename(index={"Interaction": "group:wave"}).loc[res.index]
    np.testing.assert_allclose(res["ss"], pgo["SS"], rtol=1e-10)
    np.testing.assert_allclose(res["df"], pgo["DF1"], rtol=1e-12)
    np.testing.assert_allclose(res["df_error"], pgo["DF2"], rtol=1e-12)
    np.testing.assert_allclose(res["F"], pgo["F"], rtol=1e-10)
    np.testing.assert_allclose(res["p"], pgo["p_unc"], rtol=1e-9)
    np.testing.assert_allclose(res["partial_eta2"], pgo["np2"], rtol=1e-10)
    within = ["wave", "group:wave"]
    np.testing.assert_allclose(res.loc[within, "eps_gg"], pgo.loc[within, "eps"], rtol=1e-10)
    np.testing.assert_allclose(res.loc[within, "p_gg"], pgo.loc[within, "p_GG_corr"], rtol=1e-9)


def test_unbalanced_between_and_interaction_match_pingouin() -> None:
    # pingouin's within (time) effect is not type III when groups are unequal
    # (shared/design/reference-tools.md); its between and interaction terms are.
    d = simulate({"kb": 19, "vol": 8, "prev": 11}, seed=2)
    res = rm_anova(d, dv="y", subject="id", between="group").tidy().set_index("term")
    pgo = pg.mixed_anova(d, dv="y", within="wave", subject="id", between="group")
    pgo = pgo.set_index("Source").rename(index={"Interaction": "group:wave"})
    for term in ["group", "group:wave"]:
        np.testing.assert_allclose(res.loc[term, ["ss", "F", "p", "partial_eta2"]].astype(float),
                                   pgo.loc[term, ["SS", "F", "p_unc", "np2"]].astype(float),
                                   rtol=1e-9)


def test_one_way_matches_statsmodels_and_pingouin() -> None:
    d = simulate({"all": 25}, n_waves=4, seed=3)
    res = rm_anova(d, dv="y", subject="id")
    row = res.tidy().set_index("term").loc["wave"]
    sm_tab = AnovaRM(d, depvar="y", subject="id", within=["wave"]).fit().anova_table
    np.testing.assert_allclose(row["F"], sm_tab.loc["wave", "F Value"], rtol=1e-10)
    np.testing.assert_allclose(row["df_error"], sm_tab.loc["wave", "Den DF"], rtol=1e-12)
    np.testing.assert_allclose(row["p"], sm_tab.loc["wave", "Pr > F"], rtol=1e-9)
    pgo = pg.rm_anova(d, dv="y", within="wave", subject="id", correction=True, effsize="n2",
                      detailed=True).set_index("Source").loc["wave"]
    np.testing.assert_allclose(row["eta2"], pgo["n2"], rtol=1e-10)
    np.testing.assert_allclose(row["eps_gg"], pgo["eps"], rtol=1e-10)
    np.testing.assert_allclose(row["p_gg"], pgo["p_GG_corr"], rtol=1e-9)
    sph = res.sphericity().iloc[0]
    np.testing.assert_allclose(sph["W"], pgo["W_spher"], rtol=1e-10)
    spher = pg.sphericity(d, dv="y", within="wave", subject="id")
    np.testing.assert_allclose(sph["chi2"], spher.chi2, rtol=1e-10)
    assert sph["df"] == spher.dof
    np.testing.assert_allclose(sph["p"], spher.pval, rtol=1e-9)  # pingouin follows R
    chi2_only = rm_anova(d, dv="y", subject="id", mauchly_pvalue="chi2").sphericity().iloc[0]
    np.testing.assert_allclose(chi2_only["p"], stats.chi2.sf(spher.chi2, spher.dof), rtol=1e-12)
    anderson = rm_anova(d, dv="y", subject="id", mauchly_pvalue="anderson").sphericity().iloc[0]
    assert anderson["p"] != sph["p"] and abs(anderson["p"] / sph["p"] - 1) < 1e-2


def test_contrast_columns_are_the_tidy_names() -> None:
    d = simulate({"kb": 8, "vol": 7}, seed=2)
    res = rm_anova(d, dv="y", subject="id", between="group")
    assert list(res.contrasts().columns) == [
        "term", "estimate", "std_error", "statistic", "df", "p_value", "p_adjusted",
        "conf_low", "conf_high"]
    assert list(res.contrasts(by="group").columns)[:2] == ["term", "group"]


def test_paired_contrasts_are_paired_t_tests() -> None:
    d = simulate({"all": 18}, seed=4)
    res = rm_anova(d, dv="y", subject="id")
    tab = res.contrasts(adjust="none").set_index("term")
    wide = d.pivot(index="id", columns="wave", values="y")
    for a, b in [("T0", "T1"), ("T0", "T2"), ("T1", "T2")]:
        t = stats.ttest_rel(wide[a], wide[b])
        np.testing.assert_allclose(tab.loc[f"{a} - {b}", "statistic"], t.statistic, rtol=1e-10)
        np.testing.assert_allclose(tab.loc[f"{a} - {b}", "p_value"], t.pvalue, rtol=1e-9)


def test_group_averaged_contrast_matches_ols_on_difference_scores() -> None:
    d = simulate({"kb": 14, "vol": 6, "prev": 9}, seed=5)
    res = rm_anova(d, dv="y", subject="id", between="group")
    tab = res.contrasts({"T0 vs T2": [1, 0, -1]}, adjust="none").iloc[0]
    wide = d.pivot(index="id", columns="wave", values="y")
    grp = d.drop_duplicates("id").set_index("id").loc[wide.index, "group"]
    diff = (wide["T0"] - wide["T2"]).to_numpy()
    X = pd.get_dummies(grp).astype(float).to_numpy()  # cell means; unweighted mean of them
    ols = sm.OLS(diff, X).fit()
    t = ols.t_test(np.full((1, 3), 1 / 3))
    np.testing.assert_allclose(tab["estimate"], t.effect[0], rtol=1e-10)
    np.testing.assert_allclose(tab["std_error"], t.sd[0, 0], rtol=1e-10)
    np.testing.assert_allclose(tab["p_value"], t.pvalue, rtol=1e-9)


# ------------------------------------------------------------- invariants
def test_balanced_decomposition_and_eta_squared() -> None:
    d = simulate({"kb": 10, "vol": 10, "prev": 10}, seed=6)
    res = rm_anova(d, dv="y", subject="id", between="group")
    t = res.tidy()
    errors = t.drop_duplicates("stratum")["ss_error"].sum()
    total = ((d["y"] - d["y"].mean()) ** 2).sum()
    np.testing.assert_allclose(t["ss"].sum() + errors, total, rtol=1e-10)
    np.testing.assert_allclose(t["eta2"], t["ss"] / total, rtol=1e-12)
    assert np.all(t["eta2"] <= t["partial_eta2"])
    assert np.all(t["generalized_eta2"] <= t["partial_eta2"])


def test_invariant_to_row_order_and_labels() -> None:
    d = simulate({"kb": 12, "vol": 7}, seed=7)
    a = rm_anova(d, dv="y", subject="id", between="group").tidy()
    shuffled = d.sample(frac=1.0, random_state=1).assign(id=lambda x: "s" + x["id"])
    b = rm_anova(shuffled, dv="y", subject="id", between="group").tidy()
    pd.testing.assert_frame_equal(a, b, rtol=1e-10)


def test_categorical_between_with_unused_category_warns_nothing() -> None:
    # a categorical between factor with an unused level (e.g. the third policy group after
    # matching two of them) gives the same table, and no pandas deprecation warning
    d = simulate({"kb": 12, "vol": 9}, seed=4)
    ref = rm_anova(d, dv="y", subject="id", between="group").tidy()
    cat = d.assign(group=pd.Categorical(d["group"], categories=["vol", "prev", "kb"]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = rm_anova(cat, dv="y", subject="id", between="group")
    pd.testing.assert_frame_equal(res.tidy(), ref)
    assert res.between_levels == (("vol", "kb"),)


def test_greenhouse_geisser_is_conservative_and_hf_variants() -> None:
    d = simulate({"kb": 12, "vol": 7}, seed=8)
    lec = rm_anova(d, dv="y", subject="id", between="group").tidy().set_index("term")
    orig = rm_anova(d, dv="y", subject="id", between="group",
                    hf_method="huynh-feldt").tidy().set_index("term")
    gg, n, g, p = lec.loc["wave", "eps_gg"], 19, 2, 2
    assert lec.loc["wave", "p_gg"] >= lec.loc["wave", "p"]
    expected = (n * p * gg - 2) / (p * (n - g - p * gg))
    np.testing.assert_allclose(orig.loc["wave", "eps_hf"], expected, rtol=1e-12)
    expected_lec = ((n - g + 1) * p * gg - 2) / (p * (n - g - p * gg))
    np.testing.assert_allclose(lec.loc["wave", "eps_hf"], expected_lec, rtol=1e-12)
    one = simulate({"all": 15}, seed=9)
    e1 = rm_anova(one, dv="y", subject="id").tidy()["eps_hf"]
    e2 = rm_anova(one, dv="y", subject="id", hf_method="huynh-feldt").tidy()["eps_hf"]
    np.testing.assert_allclose(e1, e2, rtol=1e-12)


def test_two_level_within_has_no_sphericity_and_equal_tests() -> None:
    d = simulate({"kb": 9, "vol": 11}, n_waves=2, seed=10)
    res = rm_anova(d, dv="y", subject="id", between="group")
    assert res.sphericity().empty
    t = res.tidy().set_index("term")
    np.testing.assert_allclose(t.loc["wave", "p_gg"], t.loc["wave", "p"])
    mv = res.multivariate()
    mv_p = mv[mv["term"] == "wave"]["p"].to_numpy()
    np.testing.assert_allclose(mv_p, t.loc["wave", "p"], rtol=1e-10)


# -------------------------------------------------------------- exclusions
def test_incomplete_subjects_are_excluded_and_named() -> None:
    d = simulate({"kb": 10, "vol": 10}, seed=11)
    d.loc[(d["id"] == "id003") & (d["wave"] == "T2"), "y"] = np.nan
    d = d[~((d["id"] == "id015") & (d["wave"] == "T1"))]
    res = rm_anova(d, dv="y", subject="id", between="group")
    assert res.n_subjects == 18
    assert res.exclusions.total == 2
    (ids,) = res.exclusions.ids.values()
    assert set(ids) == {"id003", "id015"}
    assert "2 subjects excluded" in str(res.summary())
    complete = d[~d["id"].isin(["id003", "id015"])]
    ref = rm_anova(complete, dv="y", subject="id", between="group")
    pd.testing.assert_frame_equal(res.tidy(), ref.tidy())
    with pytest.raises(DataError, match="incomplete='exclude'"):
        rm_anova(d, dv="y", subject="id", between="group", incomplete="raise")


def test_missing_between_factor_raises_or_is_recorded() -> None:
    d = simulate({"kb": 8, "vol": 8}, seed=12)
    d.loc[d["id"] == "id002", "group"] = None
    with pytest.raises(DataError, match="group"):
        rm_anova(d, dv="y", subject="id", between="group")
    res = rm_anova(d, dv="y", subject="id", between="group", missing="drop")
    assert res.exclusions.counts == {"missing value in a between-subject factor": 1}
    assert res.n_subjects == 15


# ------------------------------------------------------------------ errors
def test_bad_input_raises_kbeffect_errors() -> None:
    d = simulate({"kb": 6, "vol": 6}, seed=13)
    with pytest.raises(SchemaError, match="grp"):
        rm_anova(d, dv="y", subject="id", between="grp")
    with pytest.raises(DataError, match="repeat"):
        rm_anova(pd.concat([d, d.iloc[:1]]), dv="y", subject="id")
    varying = d.copy()
    varying.loc[0, "group"] = "vol"
    with pytest.raises(DataError, match="vary within"):
        rm_anova(varying, dv="y", subject="id", between="group")
    with pytest.raises(DataError, match="numeric"):
        rm_anova(d.assign(y=d["y"].astype(str)), dv="y", subject="id")
    with pytest.raises(DataError, match="two levels"):
        rm_anova(d[d["wave"] == "T0"], dv="y", subject="id")
    with pytest.raises(SpecificationError, match="hf_method"):
        rm_anova(d, dv="y", subject="id", hf_method="hf")  # type: ignore[arg-type]
    with pytest.raises(SpecificationError, match="distinct"):
        rm_anova(d, dv="y", subject="id", between="wave")
    two = d.assign(sex=np.where(d["group"] == "kb", "f", "m"))
    with pytest.raises(EstimationError, match="no complete subject"):
        rm_anova(two, dv="y", subject="id", between=["group", "sex"])
    res = rm_anova(d, dv="y", subject="id", between="group")
    with pytest.raises(SpecificationError, match="sum to zero"):
        res.contrasts({"bad": [1, 0, 0]})
    with pytest.raises(SpecificationError, match="3 finite weights"):
        res.contrasts({"bad": [1, -1]})
    with pytest.raises(SpecificationError, match="adjust"):
        res.contrasts(adjust="fdr")  # type: ignore[arg-type]
    with pytest.raises(SpecificationError, match="by"):
        res.contrasts(by="sex")


def test_result_object() -> None:
    d = simulate({"kb": 10, "vol": 12}, seed=14)
    res = rm_anova(d, dv="y", subject="id", between="group")
    assert isinstance(res, RMAnovaResult)
    assert list(res.tidy()["term"]) == ["group", "wave", "group:wave"]
    assert set(res.tidy()["label"]) <= {"negligible", "small", "medium", "large"}
    s = res.summary()
    # (Summary.as_latex needs jinja2, which the environment lacks; see the report)
    assert "Mauchly" in str(s) and "<table>" in s._repr_html_()
    fig = res.plot()
    assert len(fig.axes[0].lines) >= 2
    desc = res.descriptives.set_index(["group", "cell"])["mean"]
    expected = d.groupby(["group", "wave"])["y"].mean()
    np.testing.assert_allclose(desc.to_numpy(), expected.to_numpy(), rtol=1e-12)
    mm = res.marginal_means(by="group")
    assert len(mm) == 6 and set(mm["group"]) == {"kb", "vol"}


# -------------------------------------------------------------- simulation
def test_recovers_known_time_effect() -> None:
    # true wave means (averaged over groups): 10, 9.25, 8.5; T0 - T2 = 1.5
    d = simulate({"kb": 300, "vol": 200}, seed=15, slope=(-1.0, -0.5))
    res = rm_anova(d, dv="y", subject="id", between="group")
    c = res.contrasts({"T0 vs T2": [1, 0, -1]}, adjust="none").iloc[0]
    assert abs(c["estimate"] - 1.5) < 4 * c["std_error"]
    by = res.contrasts({"T0 vs T2": [1, 0, -1]}, by="group", adjust="none").set_index("group")
    assert abs(by.loc["kb", "estimate"] - 2.0) < 4 * by.loc["kb", "std_error"]
    assert abs(by.loc["vol", "estimate"] - 1.0) < 4 * by.loc["vol", "std_error"]
    t = res.tidy().set_index("term")
    assert t.loc["wave", "p"] < 1e-6 and t.loc["group:wave", "p"] < 1e-6


@pytest.mark.slow
def test_type_one_error_under_null(study_size: str) -> None:
    reps = 400 if study_size == "reduced" else 2000
    rng = np.random.default_rng(16)
    rejections = np.zeros(3)
    for _ in range(reps):
        d = simulate({"kb": 12, "vol": 7, "prev": 9}, seed=rng, slope=(0.0,))
        t = rm_anova(d, dv="y", subject="id", between="group").tidy().set_index("term")
        p = [t.loc["wave", "p_gg"], t.loc["group:wave", "p_gg"], t.loc["group", "p"]]
        rejections += np.array(p) < 0.05
    rate = rejections / reps
    se = np.sqrt(0.05 * 0.95 / reps)
    assert np.all(np.abs(rate - 0.05) < 4 * se), rate
