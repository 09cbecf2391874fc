"""The data layer on a cohort from the simulator: validation, I/O and rules end to end."""

from __future__ import annotations

import pandas as pd
import pytest

from kbeffect.data import derive, rules
from kbeffect.data.coerce import coerce_table
from kbeffect.data.readers import read_cohort, write_cohort

sim = pytest.importorskip("kbeffect.sim", reason="the cohort simulator is not importable")


@pytest.fixture(scope="module")
def simulated():
    return sim.simulate_cohort(n_families=300, seed=7, population_size=0)


def test_simulated_cohort_is_valid_and_reported(simulated):
    report = simulated.validate()
    tidy = report.tidy().set_index(["scope", "reason"])["n"]
    n_prev = int((simulated.families["group"] == "preventive").sum())
    assert tidy[("effect analyses", "preventive-help group (described at T0 only)")] == n_prev
    n_invalid = int((~simulated.observations["valid"]).sum())
    assert tidy[("all analyses",
                 "questionnaire failed the validity scales (valid == False)")] == n_invalid


def test_simulated_cohort_round_trips_through_parquet(simulated, tmp_path):
    write_cohort(simulated, tmp_path)
    back = read_cohort(directory=tmp_path)
    for name in ("families", "parents", "children", "observations"):
        pd.testing.assert_frame_equal(getattr(back, name),
                                      coerce_table(name, getattr(simulated, name)))
    assert back.meta["seed"] == 7


def test_rules_on_simulated_cohort(simulated):
    obs = simulated.observations
    sev = rules.family_severity(obs)
    n_family_waves = obs.loc[obs["valid"], ["family_id", "wave"]].drop_duplicates().shape[0]
    assert len(sev) == n_family_waves
    assert set(sev["severity"].dropna().unique()) <= {"none", "moderate", "severe"}
    stopped = rules.violence_stopped(obs)
    ex = stopped.attrs["exclusions"]
    # every family is either classified or counted as excluded: nothing vanishes
    assert len(stopped) + ex.total == simulated.families.shape[0]
    inc = derive.family_incidents(obs)
    t2 = inc[inc["wave"] == 2]
    assert (t2["total_per_year"] == 2 * t2["total"]).all()
    # families classified 'none' at T2 with complete reports have few incidents
    merged = sev.merge(inc, on=["family_id", "wave"])
    none = merged[(merged["severity"] == "none") & merged["total"].notna()]
    assert (none["pv_total"] <= 3).all()
    risk = rules.risk_cumulation(simulated.families, simulated.parents)
    typ = rules.policy_typology(obs, risk, missing="absent")
    assert typ["group"].notna().all() and set(typ["group"].unique()) <= {1, 2, 3, 4, 5}
