"""Risk cumulation (kb7 and policy16) and the five-group typology: worked examples."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kbeffect.data import rules
from kbeffect.data.risk import KB7_FACTORS, TYPOLOGY_LABELS
from kbeffect.errors import SpecificationError


def _families(rows):
    base = {"income": "gt3000", "paid_work": True, "education": "higher", "single_parent": False}
    out = pd.DataFrame([{**base, **r} for r in rows])
    for c in ("paid_work", "single_parent"):
        out[c] = out[c].astype("boolean")
    return out


def _parents(rows):
    base = {"aces": 0, "drinks_week": 0.0, "partner_drinks_week": 0.0}
    out = pd.DataFrame([{**base, **r} for r in rows])
    out["aces"] = out["aces"].astype("Int64")
    return out


def test_kb7_each_factor_at_its_threshold():
    fams = _families([{"family_id": i} for i in range(1, 8)])
    fams.loc[0, "income"] = "lt1500"          # poverty
    fams.loc[0, "paid_work"] = False          # unemployment: under 12 hours
    fams.loc[0, "education"] = "primary"      # low education
    fams.loc[1, "single_parent"] = True
    fams.loc[1, "income"] = "1500_3000"       # not poor
    fams.loc[1, "education"] = "lower_secondary"  # not low
    pars = _parents([
        {"person_id": 1, "family_id": 1},
        {"person_id": 2, "family_id": 2, "aces": 4, "drinks_week": 8.5,
         "partner_drinks_week": 8.0},
        {"person_id": 3, "family_id": 3, "aces": 3, "drinks_week": 8.0},
        {"person_id": 4, "family_id": 4, "partner_drinks_week": 9.0},
    ])
    out = rules.risk_cumulation(fams, pars).set_index("family_id")
    assert out.loc[1, ["poverty", "unemployment", "low_education"]].tolist() == [True] * 3
    assert out.loc[1, "n_factors"] == 3 and out.loc[1, "cumulation"]           # exactly 3
    # family 2: aces 4 (yes), 8.5 drinks (yes), partner exactly 8 (no: "more than 8"), single
    assert out.loc[2, "aces_4plus"] and out.loc[2, "risky_drinking"]
    assert not out.loc[2, "partner_risky_drinking"]
    assert out.loc[2, "n_factors"] == 3 and out.loc[2, "cumulation"]
    # family 3: aces 3 and 8 drinks are below the thresholds
    assert out.loc[3, "n_factors"] == 0 and not out.loc[3, "cumulation"]
    assert out.loc[4, "partner_risky_drinking"] and out.loc[4, "n_factors"] == 1
    # families without a participating parent: parent factors unknown
    assert out.loc[5, "n_unknown"] == 3 and out.loc[5, "n_factors"] == 0
    assert pd.isna(out.loc[5, "cumulation"])  # 0 known + 3 unknown could reach 3
    assert list(out.columns) == [*KB7_FACTORS, "n_factors", "n_unknown", "cumulation"]


def test_kb7_missing_values_use_three_valued_logic():
    fams = _families([
        {"family_id": 1, "income": None, "paid_work": False, "single_parent": True},
        {"family_id": 2, "income": None},
        {"family_id": 3, "income": None, "paid_work": None, "education": "primary"},
    ])
    pars = _parents([{"person_id": i, "family_id": i} for i in (1, 2, 3)])
    out = rules.risk_cumulation(fams, pars).set_index("family_id")
    assert out.loc[1, "n_factors"] == 2 and out.loc[1, "n_unknown"] == 1
    assert pd.isna(out.loc[1, "cumulation"])          # 2 known + 1 unknown: undetermined
    assert out.loc[2, "n_unknown"] == 1
    assert not pd.isna(out.loc[2, "cumulation"]) and not out.loc[2, "cumulation"]  # 0 + 1 < 3
    assert out.loc[3, "n_unknown"] == 2 and pd.isna(out.loc[3, "cumulation"])


def test_kb7_two_parent_rule():
    fams = _families([{"family_id": 1, "single_parent": True, "income": "lt1500"}])
    pars = _parents([
        {"person_id": 1, "family_id": 1, "aces": 1},
        {"person_id": 2, "family_id": 1, "aces": 6, "drinks_week": 12.0},
    ])
    any_rule = rules.risk_cumulation(fams, pars).iloc[0]
    first = rules.risk_cumulation(fams, pars, parent_rule="first").iloc[0]
    assert any_rule["n_factors"] == 4 and any_rule["cumulation"]
    assert first["n_factors"] == 2 and not first["cumulation"]
    # "any" is Kleene: one parent unknown, the other negative -> unknown
    pars.loc[1, ["aces", "drinks_week"]] = [pd.NA, np.nan]
    out = rules.risk_cumulation(fams, pars).iloc[0]
    assert pd.isna(out["aces_4plus"]) and pd.isna(out["risky_drinking"])


def test_policy16_counts_ace_items_and_needs_extra_factors():
    fams = _families([{"family_id": 1}, {"family_id": 2, "income": "lt1500"},
                      {"family_id": 3}])
    pars = _parents([{"person_id": 1, "family_id": 1, "aces": 4},
                     {"person_id": 2, "family_id": 2, "aces": 4},
                     {"person_id": 3, "family_id": 3, "aces": None}])
    extra = pd.DataFrame({"family_id": [1, 2, 3], "parenting_stress": [False, False, True],
                          "youth_problem_behaviour": [False, False, True]})
    out = rules.risk_cumulation(fams, pars, variant="policy16", extra=extra).set_index(
        "family_id")
    assert out.loc[1, "n_factors"] == 4 and not out.loc[1, "cumulation"]   # 4 of 16
    assert out.loc[2, "n_factors"] == 5 and out.loc[2, "cumulation"]       # 5 of 16
    assert out.loc[3, "n_unknown"] == 10 and pd.isna(out.loc[3, "cumulation"])
    assert out.attrs["threshold"] == 5
    with pytest.raises(SpecificationError, match="parenting_stress"):
        rules.risk_cumulation(fams, pars, variant="policy16")
    with pytest.raises(SpecificationError, match="youth_problem_behaviour"):
        rules.risk_cumulation(fams, pars, variant="policy16",
                              extra=extra.drop(columns="youth_problem_behaviour"))
    with pytest.raises(SpecificationError, match="policy16"):
        rules.risk_cumulation(fams, pars, extra=extra)
    with pytest.raises(SpecificationError, match="variant"):
        rules.risk_cumulation(fams, pars, variant="kb16")  # type: ignore[arg-type]


def _obs_for_typology(make, fid, *, child_t=50.0, parent_t=50.0, attach=4.0, insec=2.0):
    return make([
        {"family_id": fid, "person_id": 10 * fid, "role": "parent", "reporter": "parent",
         "reporter_id": 10 * fid, "wave": 0, "tsi_anger": parent_t},
        {"family_id": fid, "person_id": 10 * fid + 1, "role": "child", "reporter": "parent",
         "reporter_id": 10 * fid, "wave": 0, "tscyc_pts": child_t, "attachment": attach,
         "emo_insecurity": insec},
    ])


TYPOLOGY_CASES = [
    ({}, False, 1),
    ({}, True, 2),
    ({"insec": 3.0}, True, 3),                       # at the insecurity cut-off
    ({"insec": 2.99}, False, 1),
    ({"attach": 2.99, "insec": 3.5}, True, 4),       # below the attachment cut-off
    ({"attach": 3.0}, False, 1),
    ({"parent_t": 65.0, "attach": 1.0}, False, 5),   # parent trauma
    ({"child_t": 80.0}, True, 5),                    # child trauma
]


@pytest.mark.parametrize(("kw", "cum", "group"), TYPOLOGY_CASES)
def test_policy_typology_cascade(make, kw, cum, group):
    obs = _obs_for_typology(make, 1, **kw)
    out = rules.policy_typology(obs, {1: cum})
    assert out["group"].iloc[0] == group
    assert group in TYPOLOGY_LABELS


def test_policy_typology_missing_rule(make):
    obs = _obs_for_typology(make, 1, insec=np.nan)
    # emotional insecurity unknown and no heavier problem: undetermined, or absent
    assert pd.isna(rules.policy_typology(obs, {1: False})["group"].iloc[0])
    assert rules.policy_typology(obs, {1: False}, missing="absent")["group"].iloc[0] == 1
    # a heavier known problem decides regardless
    obs = _obs_for_typology(make, 1, insec=np.nan, child_t=70.0)
    assert rules.policy_typology(obs, {1: False})["group"].iloc[0] == 5
    # family without observations at the wave: all flags unknown
    out = rules.policy_typology(obs, {1: False, 2: True})
    assert out["family_id"].tolist() == [1, 2] and pd.isna(out["group"].iloc[1])
    # custom cut-offs are parameters
    obs = _obs_for_typology(make, 1, attach=3.4)
    assert rules.policy_typology(obs, {1: False}, attachment_cutoff=3.5)["group"].iloc[0] == 4


def test_policy_typology_with_risk_frame(synth):
    c = synth(n_families=30, seed=5)
    risk = rules.risk_cumulation(c.families, c.parents)
    out = rules.policy_typology(c.observations, risk, missing="absent")
    assert len(out) == 30 and out["group"].notna().all()
    # recompute group 5 membership independently from the row-level flags
    at0 = c.observations[c.observations["wave"] == 0]
    tr = rules.trauma_clinical(at0).fillna(False).groupby(at0["family_id"]).any()
    expected5 = set(tr[tr].index)
    assert set(out.loc[out["group"] == 5, "family_id"]) == expected5
