"""Robustness audit: structure, agreement with its building blocks, and ground truth."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kbeffect.audit import SPECS, robustness_audit
from kbeffect.audit.frame import analysis_frame, parent_incidents
from kbeffect.data.derive import family_incidents
from kbeffect.errors import DataError, SpecificationError
from kbeffect.models.anova.api import rm_anova
from kbeffect.sim import simulate_cohort


@pytest.fixture(scope="module")
def cohort():
    return simulate_cohort(1325, seed=1, population_size=0)


@pytest.fixture(scope="module")
def audit(cohort):
    return robustness_audit(cohort, bootstrap=199, seed=3)


def test_frame_counts_exclusions_and_keeps_every_family(cohort):
    frame, fam_excl, row_excl = analysis_frame(cohort)
    groups = cohort.families["group"].astype(str)
    assert len(frame) == int((groups != "preventive").sum())
    assert fam_excl.total == int((groups == "preventive").sum())
    assert row_excl.total == int((~cohort.observations["valid"]).sum())
    assert set(frame["order"]) == {0, 1}


def test_frame_totals_equal_family_incidents(cohort):
    frame, _, _ = analysis_frame(cohort)
    inc = family_incidents(cohort.observations)
    w2 = inc[inc["wave"] == 2].set_index("family_id")["total_per_year"]
    got = frame.set_index("family_id")["rate_w2"].dropna()
    pd.testing.assert_series_equal(got, w2.reindex(got.index), check_names=False)


def test_parent_counts_average_to_family_totals(cohort):
    counts = parent_incidents(cohort)
    fam = counts.groupby(["family_id", "wave"])["count"].mean()
    inc = family_incidents(cohort.observations).set_index(["family_id", "wave"])["total"]
    inc = inc.dropna()
    np.testing.assert_allclose(fam.reindex(inc.index).to_numpy(), inc.to_numpy())
    assert np.all(counts["count"] == np.round(counts["count"]))


def test_published_anova_equals_direct_rm_anova(audit, cohort):
    # rebuild the published sample and match independently, then run rm_anova directly
    from kbeffect.design.matching.api import match

    frame, _, _ = analysis_frame(cohort)
    demo = ["income", "paid_work", "education", "migration", "single_parent"]
    sample = frame[frame["completer"] & frame["violence_any"]].dropna(subset=demo)
    sample = sample.reset_index(drop=True)
    m = match(sample, treatment="order", method="nearest", estimand="ATT", seed=3,
              covariates="~ C(income) + paid_work + C(education) + migration + single_parent")
    md = m.matched_data()
    long = pd.concat([md[["family_id", "order"]].assign(wave=w, total=md[f"total_w{w}"])
                      for w in (0, 1, 2)])
    long["group"] = long["order"].map({1: "order", 0: "voluntary"})
    direct = rm_anova(long, dv="total", subject="family_id", within="wave", between="group")
    got = audit.anova.set_index("term")
    want = direct.tidy().set_index("term")
    for term in ("group", "wave", "group:wave"):
        assert got.loc[term, "F"] == pytest.approx(want.loc[term, "F"], rel=1e-12)
    pub = audit.estimates[0]
    assert pub.extra["interaction_p"] == pytest.approx(want.loc["group:wave", "p"])
    assert pub.n_treated == pub.n_control == md["order"].sum()
    assert audit.means.loc["order", "T0"] == pytest.approx(md.loc[md["order"] == 1,
                                                                  "total_w0"].mean())


def test_every_spec_runs_and_reports(audit):
    tab = audit.tidy()
    assert list(tab["spec"]) == list(SPECS)
    assert (tab["conf_low"] < tab["estimate"]).all() and (tab["estimate"] < tab["conf_high"]).all()
    assert tab["truth"].notna().all()
    text = str(audit.summary(suppress_below=10))
    assert "Published design" in text and "truth" in text
    # no row-level identifiers in the printed report
    assert "family_id" not in text


def _study(n_cohorts: int, scenario, first_seed: int) -> pd.DataFrame:
    rows = []
    for seed in range(first_seed, first_seed + n_cohorts):
        c = simulate_cohort(1325, seed=seed, scenario=scenario, population_size=0)
        t = robustness_audit(c, bootstrap=199, seed=seed).tidy()
        rows.append(t.assign(error=t["estimate"] - t["truth"], seed=seed))
    return pd.concat(rows, ignore_index=True)


@pytest.mark.slow
def test_specifications_are_unbiased_when_selection_does_not_confound(study_size):
    # Scenario(confounding=0): selection into an order still runs through child and parent
    # problems, but those no longer shape the change in violence, so every specification's
    # estimate of the ATT on change must be unbiased and its interval must cover.
    from kbeffect.sim import Scenario

    n = 60 if study_size == "full" else 10
    d = _study(n, Scenario().replace(confounding=0.0), first_seed=300)
    g = d.groupby("spec")["error"]
    bias, mcse = g.mean(), g.std() / np.sqrt(n)
    for spec in ("published", "ipw_did", "nb_mixed"):
        assert abs(bias[spec]) < 3.5 * mcse[spec] + 1.0, (spec, bias[spec], mcse[spec])
    if study_size == "full":
        cover = d.groupby("spec")["covers_truth"].mean()
        assert (cover > 0.85).all(), cover


def test_plot_returns_figure(audit):
    import matplotlib.figure

    fig = audit.plot()
    assert isinstance(fig, matplotlib.figure.Figure)


def test_bad_arguments(cohort):
    with pytest.raises(SpecificationError, match="specs"):
        robustness_audit(cohort, specs=("published", "anova_on_logs"))
    with pytest.raises(SpecificationError, match="bootstrap"):
        robustness_audit(cohort, bootstrap=10)
    only_kb = cohort.subset(cohort.families.loc[cohort.families["group"] == "kb", "family_id"])
    with pytest.raises(DataError, match="voluntary"):
        robustness_audit(only_kb)
