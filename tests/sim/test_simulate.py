"""Tests of kbeffect.sim.simulate_cohort: contract, determinism, truth, causal structure."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from kbeffect.data import schema
from kbeffect.data.cohort import Cohort
from kbeffect.data.validate import validate_cohort
from kbeffect.errors import SpecificationError
from kbeffect.sim import Scenario, Truth, simulate_cohort


@pytest.fixture(scope="module")
def cohort() -> Cohort:
    return simulate_cohort(1325, seed=11, population_size=0)


def test_returns_cohort_that_passes_data_validation(cohort: Cohort) -> None:
    assert isinstance(cohort, Cohort)
    report = validate_cohort(cohort)  # the data layer's independent schema check
    assert "passed" in str(report)
    assert isinstance(cohort.truth, Truth)
    assert cohort.meta["seed"] == 11
    assert cohort.meta["scenario"] == Scenario().to_dict()


def test_tables_have_schema_columns_and_types(cohort: Cohort) -> None:
    for name, specs in schema.TABLES.items():
        table = getattr(cohort, name)
        assert list(table.columns) == [s.name for s in specs], name
        for spec in specs:
            col = table[spec.name]
            if spec.kind == "category" and spec.name not in ("role", "reporter"):
                assert isinstance(col.dtype, pd.CategoricalDtype), spec.name
                assert list(col.cat.categories) == list(spec.levels), spec.name
            if spec.kind == "count":
                assert col.dtype == np.float64, spec.name
    ids = pd.concat([cohort.parents["person_id"], cohort.children["person_id"]])
    assert ids.is_unique


def test_rows_follow_the_design(cohort: Cohort) -> None:
    obs = cohort.observations
    kids = cohort.children.set_index("person_id")["age"]
    self_rows = obs[obs["reporter"] == "child"]
    assert (self_rows["person_id"] == self_rows["reporter_id"]).all()
    assert (self_rows["person_id"].map(kids) >= 8).all()
    assert self_rows[[c for c in obs if c.startswith("pv_")]].isna().all().all()
    assert self_rows[[c for c in obs if c.startswith("cmc_")]].notna().all().all()
    on_child = obs[(obs["reporter"] == "parent") & (obs["role"] == "child")]
    old = on_child["person_id"].map(kids) >= 13
    assert on_child.loc[old, "tscyc_pts"].isna().all()
    assert on_child.loc[~old, "tscyc_pts"].notna().all()
    assert on_child[[c for c in obs if c.startswith("cmp_")]].notna().all().all()
    parent_rows = obs[obs["role"] == "parent"]
    assert parent_rows[[c for c in obs if c.startswith("pv_")]].notna().all().all()
    helps = [f"help_{h}" for h in schema.HELP_TYPES]
    assert obs.loc[obs["wave"] == 0, helps].isna().all().all()
    assert obs.loc[(obs["wave"] > 0) & (obs["reporter"] == "parent"), helps].notna().all().all()
    assert 0.01 < 1 - obs["valid"].mean() < 0.04
    # exposure: half a year at T2
    assert set(obs.loc[obs["wave"] == 2, "exposure"]) == {0.5}
    # a dropped-out family has no rows at that wave; every family is observed at T0
    waves = obs.groupby("family_id")["wave"].agg(set)
    assert waves.map(lambda s: 0 in s).all()
    assert 0.6 < waves.map(lambda s: 1 in s).mean() < 0.85


def test_same_seed_same_cohort_and_truth() -> None:
    a = simulate_cohort(300, seed=5, population_size=0)
    b = simulate_cohort(300, seed=5, population_size=0)
    c = simulate_cohort(300, seed=6, population_size=0)
    for name in ("families", "parents", "children", "observations"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name))
    pd.testing.assert_frame_equal(a.truth.effects, b.truth.effects)
    assert not a.observations.equals(c.observations)


def test_generator_seed_is_accepted() -> None:
    a = simulate_cohort(200, seed=np.random.default_rng(3), truth=False)
    b = simulate_cohort(200, seed=np.random.default_rng(3), truth=False)
    pd.testing.assert_frame_equal(a.observations, b.observations)
    assert a.truth is None and a.meta["seed"] is None


def test_truth_json_round_trip(cohort: Cohort, tmp_path: object) -> None:
    truth = cohort.truth
    back = Truth.from_json(truth.to_json())
    pd.testing.assert_frame_equal(back.effects, truth.effects)
    pd.testing.assert_frame_equal(back.parameters, truth.parameters)
    assert back.scenario == truth.scenario
    path = f"{tmp_path}/truth.json"
    truth.to_json(path)
    assert Truth.from_json(path).effect("order", "parenting_stress") == truth.effect(
        "order", "parenting_stress")
    assert Scenario.from_dict(truth.scenario) == Scenario()


def test_truth_covers_every_treatment_outcome_and_contrast(cohort: Cohort) -> None:
    e = cohort.truth.effects
    assert set(e["treatment"]) == {"order", *(f"help_{h}" for h in schema.HELP_TYPES)}
    assert set(e["estimand"]) == {"ATT", "ATE"}
    assert set(e["population"]) == {"all", "completers"}
    assert set(e["wave"]) == {1, 2}
    keys = ["treatment", "outcome", "wave", "estimand", "population", "level", "scale"]
    assert not e.duplicated(keys).any()
    assert e["value"].notna().all()
    ratio = e[(e["scale"] == "ratio")]
    assert np.allclose(ratio["value"], ratio["mean_treated"] / ratio["mean_control"])


def test_null_scenario_has_zero_effects() -> None:
    truth = simulate_cohort(400, seed=2, scenario=Scenario.null(), population_size=0).truth
    diff = truth.effects[truth.effects["scale"] == "difference"]
    assert np.abs(diff["value"]).max() < 1e-9
    ratio = truth.effects[truth.effects["scale"] == "ratio"]
    assert np.allclose(ratio["value"], 1.0)


def test_effects_have_the_set_signs_and_can_be_reversed() -> None:
    sc = Scenario()
    rev = sc.replace(order_log_rr=-sc.order_log_rr, order_stop_logodds=-sc.order_stop_logodds,
                     order_wellbeing={k: -v for k, v in sc.order_wellbeing},
                     help_log_rr={"dv_specialist": 0.4}, help_stop_logodds={"dv_specialist": -0.4})
    t = simulate_cohort(1500, seed=3, scenario=sc, population_size=0).truth
    r = simulate_cohort(1500, seed=3, scenario=rev, population_size=0).truth
    for outcome, sign in (("parenting_stress", -1), ("competence", -1), ("child_trauma", -1),
                          ("attachment", 1), ("no_violence", 1)):
        assert np.sign(t.effect("order", outcome)) == sign, outcome
        assert np.sign(r.effect("order", outcome)) == -sign, outcome
    assert t.effect("help_dv_specialist", "total_per_year", scale="ratio") < 0.9
    assert r.effect("help_dv_specialist", "total_per_year", scale="ratio") > 1.1
    assert t.effect("help_medical", "total_per_year") == 0.0


def test_att_differs_from_ate_under_heterogeneity() -> None:
    t = simulate_cohort(3000, seed=4, population_size=0).truth
    att, ate = t.effect("order", "parenting_stress"), t.effect("order", "parenting_stress",
                                                                 estimand="ATE")
    assert att < ate < 0  # order families have more child problems: larger effect
    flat = simulate_cohort(3000, seed=4, scenario=Scenario(effect_heterogeneity=0.0),
                           population_size=0).truth
    gap_flat = flat.effect("order", "parenting_stress") - flat.effect(
        "order", "parenting_stress", estimand="ATE")
    # without effect modification only the nonlinear paths (violence, clipping) remain
    assert abs(gap_flat) < 0.5 * abs(att - ate)


def test_population_truth_is_close_to_a_large_sample() -> None:
    c = simulate_cohort(20_000, seed=8, population_size=20_000)
    e = c.truth.effects.set_index(["treatment", "outcome", "wave", "estimand", "population",
                                   "scale", "level"])
    for outcome, tol in (("parenting_stress", 0.4), ("no_violence", 0.015),
                         ("total_per_year", 1.5)):
        key = ("order", outcome, 2, "ATT", "all", "difference")
        assert e.loc[(*key, "sample"), "value"] == pytest.approx(
            e.loc[(*key, "population"), "value"], abs=tol)


def _logit_lr_pvalue(y: np.ndarray, x: pd.DataFrame) -> float:
    fit = sm.Logit(y, sm.add_constant(x.astype(float))).fit(disp=0)
    return float(fit.llr_pvalue)


def test_selection_runs_through_problems_not_demographics() -> None:
    c = simulate_cohort(6000, seed=9, truth=False)
    demo = ["income", "education", "paid_work", "migration", "single_parent"]
    fam = c.families[c.families["group"] != "preventive"].dropna(subset=demo)
    y = (fam["group"] == "kb").to_numpy(float)
    x = pd.get_dummies(fam[["income", "education"]], drop_first=True).assign(
        paid_work=fam["paid_work"].astype(float), migration=fam["migration"].astype(float),
        single=fam["single_parent"].astype(float))
    assert _logit_lr_pvalue(y, x) > 0.001  # demographics do not predict an order
    o = c.observations
    base = o[(o["wave"] == 0) & (o["role"] == "parent")].groupby("family_id")["nosi_stress"].mean()
    stress = base.reindex(fam["family_id"]).to_numpy()
    assert _logit_lr_pvalue(y, pd.DataFrame({"stress": stress})) < 1e-6


def test_completers_population_differs_under_mar() -> None:
    c = simulate_cohort(4000, seed=13, scenario=Scenario(attrition_strength=1.0),
                        population_size=0)
    t = c.truth
    base_all = t.effects.query("treatment == 'order' and outcome == 'total_per_year' and "
                               "estimand == 'ATT' and wave == 2 and scale == 'difference' "
                               "and population == 'all'")["mean_baseline"].iloc[0]
    base_comp = t.effects.query("treatment == 'order' and outcome == 'total_per_year' and "
                                "estimand == 'ATT' and wave == 2 and scale == 'difference' "
                                "and population == 'completers'")["mean_baseline"].iloc[0]
    assert base_comp < 0.9 * base_all  # severe families drop out: completers are milder
    n_comp = c.observations.groupby("family_id")["wave"].nunique().eq(3)
    kb = c.families.set_index("family_id")["group"] == "kb"
    row = t.effects.query("treatment == 'order' and outcome == 'total_per_year' and "
                          "estimand == 'ATT' and wave == 2 and scale == 'difference' and "
                          "population == 'completers'")
    assert row["n"].iloc[0] == int((n_comp & kb.reindex(n_comp.index)).sum())


def test_expected_potential_outcomes_match_simulated_data() -> None:
    """Closed-form expectations (ZINB zeros, clipped normals) agree with realised data."""
    sc = Scenario(attrition="mcar", invalid_rate=0.0)
    c = simulate_cohort(30_000, seed=12, scenario=sc, population_size=0)
    from kbeffect.data.derive import family_incidents
    from kbeffect.data.rules import violence_stopped

    fam = c.families.set_index("family_id")["group"].astype(str)
    e = c.truth.effects
    att = e[(e["treatment"] == "order") & (e["estimand"] == "ATT") & (e["wave"] == 2)
            & (e["scale"] == "difference") & (e["level"] == "sample")
            & (e["population"] == "all")].set_index("outcome")
    inc = family_incidents(c.observations)
    inc2 = inc[(inc["wave"] == 2) & (inc["family_id"].map(fam) == "kb")]
    # realised order families are the treated: their observed mean estimates mean_treated
    m_t = att.loc["total_per_year", "mean_treated"]
    assert inc2["total_per_year"].mean() == pytest.approx(m_t, rel=0.06)
    stop = violence_stopped(c.observations, wave=2)
    stop = stop[stop["family_id"].map(fam) == "kb"]
    assert stop["stopped"].mean() == pytest.approx(att.loc["no_violence", "mean_treated"],
                                                   abs=0.02)
    o = c.observations
    rows = o[(o["wave"] == 2) & (o["role"] == "parent") & (o["family_id"].map(fam) == "kb")]
    assert rows["nosi_stress"].mean() == pytest.approx(
        att.loc["parenting_stress", "mean_treated"], abs=0.6)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [({"n_families": 0}, "n_families"), ({"n_families": 2.5}, "n_families"),
     ({"scenario": {"order_log_rr": 0}}, "scenario"), ({"seed": "x"}, "seed"),
     ({"population_size": -1}, "population_size")],
)
def test_bad_arguments_raise(kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(SpecificationError, match=match):
        simulate_cohort(**{"n_families": 50, **kwargs})  # type: ignore[arg-type]


def test_scenario_validation_and_replace() -> None:
    with pytest.raises(SpecificationError, match="attrition"):
        Scenario(attrition="random")  # type: ignore[arg-type]
    with pytest.raises(SpecificationError, match="no field"):
        Scenario().replace(order_effect=1.0)
    with pytest.raises(SpecificationError, match="icc_family"):
        Scenario(icc_family=1.2)
    with pytest.raises(SpecificationError, match="key"):
        Scenario(order_wellbeing=(("happiness", 1.0),))
    s = Scenario().replace(order_wellbeing={"attachment": 0.5})
    assert s.order_effect("attachment") == 0.5
    assert s.order_effect("parenting_stress") == Scenario().order_effect("parenting_stress")
    assert Scenario.null().order_effect("child_trauma") == 0.0
    assert hash(Scenario()) == hash(Scenario())


def _baseline_by_completion(c: Cohort) -> tuple[float, float, float]:
    from kbeffect.data.derive import family_incidents

    inc = family_incidents(c.observations, invalid="include")
    waves = c.observations.groupby("family_id")["wave"].nunique()
    base = np.log1p(inc[inc["wave"] == 0].set_index("family_id")["total"])
    done = waves.reindex(base.index) == 3
    return float(base[done].mean()), float(base[~done].mean()), float(done.mean())


@pytest.mark.parametrize("mechanism", ["mar", "mcar", "mnar"])
def test_attrition_mechanisms(mechanism: str) -> None:
    sc = Scenario(attrition=mechanism, attrition_strength=0.6)  # type: ignore[arg-type]
    c = simulate_cohort(8000, seed=21, scenario=sc, truth=False)
    done, dropped, share = _baseline_by_completion(c)
    assert share == pytest.approx(0.56, abs=0.03)  # marginal rates fixed by the calibration
    if mechanism == "mar":
        assert dropped - done > 0.2  # more severe families drop out
    elif mechanism == "mcar":
        assert abs(dropped - done) < 0.08
    else:  # dropout follows later violence, which baseline severity only partly predicts
        assert dropped - done > 0.0


def test_truth_accessors_and_structural_parameters(cohort: Cohort) -> None:
    t = cohort.truth
    sc = Scenario()
    assert t.parameter("order_log_rr_w2") == sc.order_log_rr
    assert t.parameter("order_log_rr_w1") == pytest.approx(sc.wave1_share * sc.order_log_rr)
    assert t.parameter("heterogeneity_mean_att") > t.parameter("heterogeneity_mean_ate") > 0.9
    # nosi_stress: SD 19 x standardised effect, loading 1
    assert t.parameter("order_x_wave_w2:nosi_stress") == pytest.approx(
        19.0 * sc.order_effect("parenting_stress"))
    with pytest.raises(SpecificationError, match="no true effect"):
        t.effect("order", "happiness")
    with pytest.raises(SpecificationError, match="no structural parameter"):
        t.parameter("nope")
    assert "effects" in repr(t)


def test_help_goes_where_violence_persists() -> None:
    """Confounding by indication: without any help effect, helped families fare worse."""
    from kbeffect.data.rules import violence_stopped

    sc = Scenario.null(attrition="mcar")
    c = simulate_cohort(6000, seed=17, scenario=sc, population_size=0)
    o = c.observations
    got = o[(o["reporter"] == "parent") & (o["role"] == "parent") & (o["wave"] > 0)]
    dv = got.groupby("family_id")["help_dv_specialist"].agg(lambda s: bool(s.astype(bool).any()))
    stop = violence_stopped(o, wave=2).set_index("family_id")["stopped"]
    both = pd.concat([dv.rename("dv"), stop], axis=1, join="inner")
    assert both.loc[both["dv"], "stopped"].mean() < both.loc[~both["dv"], "stopped"].mean() - 0.05
    none = Scenario.null(attrition="mcar", indication=0.0)
    c0 = simulate_cohort(6000, seed=17, scenario=none, population_size=0)
    o0 = c0.observations
    got0 = o0[(o0["reporter"] == "parent") & (o0["role"] == "parent") & (o0["wave"] > 0)]
    dv0 = got0.groupby("family_id")["help_dv_specialist"].agg(
        lambda s: bool(s.astype(bool).any()))
    stop0 = violence_stopped(o0, wave=2).set_index("family_id")["stopped"]
    both0 = pd.concat([dv0.rename("dv"), stop0], axis=1, join="inner")
    gap0 = both0.loc[both0["dv"], "stopped"].mean() - both0.loc[~both0["dv"], "stopped"].mean()
    assert abs(gap0) < 0.04  # no indication: help unrelated to the prognosis


def _two_parent_correlation(c: Cohort) -> float:
    o = c.observations
    rows = o[(o["wave"] == 0) & (o["role"] == "parent")]
    two = rows.groupby("family_id")["nosi_stress"].transform("size") == 2
    pairs = rows[two].sort_values(["family_id", "person_id"])["nosi_stress"].to_numpy()
    return float(np.corrcoef(pairs[0::2], pairs[1::2])[0, 1])


def test_scenario_knobs_act_as_documented() -> None:
    base = dict(n_families=6000, seed=23, truth=False)
    lo = _two_parent_correlation(simulate_cohort(scenario=Scenario(icc_family=0.0), **base))
    hi = _two_parent_correlation(simulate_cohort(scenario=Scenario(icc_family=0.6), **base))
    assert hi - lo > 0.3  # icc_family: shared family variance of wellbeing

    def dispersion(shape: float) -> float:
        o = simulate_cohort(scenario=Scenario(nb_shape=shape), **base).observations
        y = o.loc[(o["wave"] == 0) & (o["role"] == "parent"), "pv_psych_minor"]
        return float(y.var() / y.mean())

    assert dispersion(0.5) > 1.3 * dispersion(20.0)

    def child_to_parent(bias: float) -> float:
        o = simulate_cohort(scenario=Scenario(reporter_bias=bias), **base).observations
        cols = ["psych_minor", "psych_severe", "phys_minor", "phys_severe"]
        me = o[o["reporter"] == "child"]
        kids = set(me["person_id"])
        par = o[(o["reporter"] == "parent") & o["person_id"].isin(kids)]
        return float(me[[f"cmc_{c}" for c in cols]].sum(axis=1).mean()
                     / par[[f"cmp_{c}" for c in cols]].sum(axis=1).mean())

    assert child_to_parent(1.0) / child_to_parent(0.0) == pytest.approx(np.e, rel=0.2)

    def zero_share(z: float) -> float:
        o = simulate_cohort(scenario=Scenario(zero_inflation=z), **base).observations
        return float((o.loc[o["role"] == "parent", "pv_phys_minor"] == 0).mean())

    assert zero_share(1.5) > zero_share(1.0) > zero_share(0.0)


def test_population_effects_cache_cannot_be_corrupted_by_callers() -> None:
    # the cached table used to be returned itself: editing it changed every later cohort
    from kbeffect.sim.api import population_effects

    sc = Scenario()
    first = population_effects(sc, 2_000)
    expected = first.copy()
    first["value"] = 0.0
    again = population_effects(sc, 2_000)
    pd.testing.assert_frame_equal(again, expected)
    c = simulate_cohort(50, seed=1, population_size=2_000)
    pop = c.truth.effects[c.truth.effects["level"] == "population"].reset_index(drop=True)
    pd.testing.assert_frame_equal(pop, expected.reset_index(drop=True))
    population_effects.cache_clear()
