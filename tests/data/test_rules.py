"""Published classification rules: worked examples at every threshold."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kbeffect.data import rules
from kbeffect.errors import SchemaError, SpecificationError


def _parent(fid, pid, wave=0, **kw):
    return {"family_id": fid, "person_id": pid, "role": "parent", "reporter": "parent",
            "reporter_id": pid, "wave": wave, **kw}


def _on_child(fid, cid, pid, wave=0, **kw):
    return {"family_id": fid, "person_id": cid, "role": "child", "reporter": "parent",
            "reporter_id": pid, "wave": wave, **kw}


def _self_child(fid, cid, wave=0, **kw):
    return {"family_id": fid, "person_id": cid, "role": "child", "reporter": "child",
            "reporter_id": cid, "wave": wave, **kw}


def _family(make, zero, fid, *, pv_minor=0, cm_minor=0, pv_severe=0, cm_severe=0):
    """One parent and one child; the counts go into the first subscale."""
    return make([
        _parent(fid, 10 * fid, **zero("pv", psych_minor=pv_minor, phys_severe=pv_severe)),
        _on_child(fid, 10 * fid + 1, 10 * fid,
                  **zero("cmp", psych_minor=cm_minor, neglect_severe=cm_severe)),
    ])


# (pv_minor, cm_minor, severe) -> (report, policy_tool)
THRESHOLD_CASES = [
    ((0, 0, 0), ("none", "none")),
    ((3, 0, 0), ("none", "none")),            # "fewer than 4" / "3 or fewer"
    ((4, 0, 0), ("moderate", "moderate")),    # lower bound of 4-21 / "more than 3"
    ((21, 0, 0), ("moderate", "moderate")),   # upper bound of 4-21
    ((22, 0, 0), ("severe", "moderate")),     # ">21" vs "<22 moderate, >22 severe": the only gap
    ((23, 0, 0), ("severe", "severe")),
    ((0, 1, 0), ("moderate", "moderate")),    # any child abuse is not none
    ((3, 2, 0), ("moderate", "moderate")),    # "up to 2" / "<= 2"
    ((21, 2, 0), ("moderate", "moderate")),
    ((0, 3, 0), ("severe", "severe")),        # ">= 3" / "> 2"
    ((0, 0, 1), ("severe", "severe")),        # one severe incident
]


@pytest.mark.parametrize(("counts", "expected"), THRESHOLD_CASES)
def test_severity_thresholds(make, zero, counts, expected):
    pv, cm, sev = counts
    obs = _family(make, zero, 1, pv_minor=pv, cm_minor=cm, pv_severe=sev)
    got_report = rules.family_severity(obs, variant="report")["severity"].iloc[0]
    got_tool = rules.family_severity(obs, variant="policy_tool")["severity"].iloc[0]
    assert (got_report, got_tool) == expected


def test_severity_uses_max_over_reporters_not_sum(make, zero):
    # two parents with 2 and 3 mild PV (sum 5 would be moderate); two children each with 2 mild
    # CM from the same parent (sum 4 would be severe): highest counts 3 and 2 -> moderate
    obs = make([
        _parent(1, 1, **zero("pv", psych_minor=2)),
        _parent(1, 2, **zero("pv", psych_minor=1, phys_minor=2)),
        _on_child(1, 3, 1, **zero("cmp", psych_minor=1, phys_minor=1)),
        _on_child(1, 4, 1, **zero("cmp", neglect_minor=2)),
        _on_child(1, 3, 2, **zero("cmp")),
        _on_child(1, 4, 2, **zero("cmp")),
    ])
    out = rules.family_severity(obs)
    assert out["pv_minor_max"].iloc[0] == 3
    assert out["cm_minor_max"].iloc[0] == 2
    assert out["severity"].iloc[0] == "moderate"


def test_severity_counts_child_self_report_and_subscale_sums(make, zero):
    base = [_parent(1, 1, **zero("pv")), _on_child(1, 2, 1, **zero("cmp"))]
    # parent reports nothing; the child reports 3 mild incidents over two subscales
    obs = make([*base, _self_child(1, 2, **zero("cmc", psych_minor=1, witness_minor=2))])
    assert rules.family_severity(obs)["severity"].iloc[0] == "severe"
    # a severe incident in the child's own report
    obs = make([*base, _self_child(1, 2, **zero("cmc", phys_severe=1))])
    assert rules.family_severity(obs)["severity"].iloc[0] == "severe"
    # partner-violence subscales add up: 2 psychological + 2 physical = 4 -> moderate
    obs = make([_parent(1, 1, **zero("pv", psych_minor=2, phys_minor=2)),
                _on_child(1, 2, 1, **zero("cmp"))])
    assert rules.family_severity(obs)["severity"].iloc[0] == "moderate"


def test_severity_is_ordered_and_keyed_by_family_wave(make, zero):
    obs = pd.concat([_family(make, zero, 1, pv_minor=30), _family(make, zero, 2)],
                    ignore_index=True)
    out = rules.family_severity(obs)
    assert list(out["family_id"]) == [1, 2]
    assert list(out["severity"].cat.categories) == ["none", "moderate", "severe"]
    assert out["severity"].cat.ordered
    assert out["severity"].iloc[0] > out["severity"].iloc[1]


def test_severity_missing_reports(make, zero):
    # nobody answered a violence instrument: undetermined
    obs = make([_parent(1, 1, nosi_stress=50.0)])
    assert pd.isna(rules.family_severity(obs)["severity"].iloc[0])
    # partner violence missing, but a known 3 mild child-abuse count already makes it severe
    obs = make([_parent(1, 1), _on_child(1, 2, 1, **zero("cmp", psych_minor=3))])
    assert rules.family_severity(obs)["severity"].iloc[0] == "severe"
    # partner violence missing and no child abuse: cannot tell none from moderate
    obs = make([_parent(1, 1), _on_child(1, 2, 1, **zero("cmp"))])
    assert pd.isna(rules.family_severity(obs)["severity"].iloc[0])


def test_severity_invalid_questionnaires_are_excluded_and_counted(make, zero):
    obs = make([
        _parent(1, 1, valid=False, **zero("pv", psych_minor=40)),
        _parent(1, 2, **zero("pv")),
        _on_child(1, 3, 2, **zero("cmp")),
    ])
    out = rules.family_severity(obs)
    assert out["severity"].iloc[0] == "none"
    ex = out.attrs["exclusions"]
    assert ex.total == 1
    assert ex.ids[next(iter(ex.counts))] == ((1, 1, 0),)
    kept = rules.family_severity(obs, invalid="include")
    assert kept["severity"].iloc[0] == "severe"
    assert kept.attrs["exclusions"].total == 0


def test_classify_kernel_and_bad_variant():
    got = rules.classify_severity(np.array([0, 22, np.nan]), np.array([0, 0, 0]),
                                  np.array([0, 0, 0]), variant="report")
    assert list(got) == ["none", "severe", None]
    with pytest.raises(SpecificationError, match="variant"):
        rules.classify_severity(np.zeros(1), np.zeros(1), np.zeros(1), variant="tool")  # type: ignore[arg-type]


def test_violence_stopped(make, zero):
    obs = make([
        # family 1: all zero at T2 -> stopped; incidents at T0 do not matter
        _parent(1, 1, wave=0, **zero("pv", psych_minor=9)),
        _parent(1, 1, wave=2, **zero("pv")),
        _on_child(1, 2, 1, wave=2, **zero("cmp")),
        # family 2: parent says zero, the child reports one mild incident -> not stopped
        _parent(2, 3, wave=2, **zero("pv")),
        _self_child(2, 4, wave=2, **zero("cmc", psych_minor=1)),
        # family 3: dropped out after T0 -> absent and counted
        _parent(3, 5, wave=0, **zero("pv")),
        # family 4: observed at T2 but no violence instrument answered -> absent and counted
        _parent(4, 6, wave=2, nosi_stress=40.0),
        # family 5: one severe incident only -> not stopped
        _parent(5, 7, wave=2, **zero("pv", injury_severe=1)),
    ])
    out = rules.violence_stopped(obs)
    assert out.set_index("family_id")["stopped"].to_dict() == {1: True, 2: False, 5: False}
    ex = out.attrs["exclusions"]
    assert ex.unit == "families"
    assert ex.counts == {"no (valid) observation at wave 2": 1,
                         "no violence instrument answered at wave 2": 1}
    assert rules.violence_stopped(obs, wave=0).set_index("family_id")["stopped"].to_dict() == {
        1: False, 3: True}
    with pytest.raises(SpecificationError, match="wave"):
        rules.violence_stopped(obs, wave=3)


def test_trauma_clinical_boundaries(make):
    obs = make([
        _parent(1, 1, tsi_anger=65.0),                        # at the cut-off: clinical
        _parent(1, 2, tsi_anger=64.9, tsi_depression=50.0),   # just below
        _parent(1, 3),                                        # no trauma scale
        _on_child(1, 4, 1, tscyc_pts=70.0, tscyc_anxiety=np.nan),
        _self_child(1, 4, tscc_dissociation=40.0),
    ])
    obs.index = [10, 11, 12, 13, 14]
    flag = rules.trauma_clinical(obs)
    assert list(flag.index) == [10, 11, 12, 13, 14]
    assert str(flag.dtype) == "boolean"
    assert flag.tolist() == [True, False, pd.NA, True, False]
    assert rules.trauma_clinical(obs, cutoff=70).tolist() == [False, False, pd.NA, True, False]
    with pytest.raises(SchemaError, match="trauma"):
        rules.trauma_clinical(obs[["family_id", "wave"]])


def test_rules_do_not_depend_on_row_order(synth):
    c = synth(n_families=40, seed=21)
    obs = c.observations
    shuffled = obs.sample(frac=1.0, random_state=3)
    for fn in (rules.family_severity, rules.violence_stopped):
        a, b = fn(obs), fn(shuffled)
        pd.testing.assert_frame_equal(a, b)
    pd.testing.assert_series_equal(rules.trauma_clinical(shuffled).sort_index(),
                                   rules.trauma_clinical(obs))
    # repeated calls give identical results (no hidden state, no randomness)
    pd.testing.assert_frame_equal(rules.family_severity(obs), rules.family_severity(obs))


def test_severity_per_period_or_per_year(make, zero):
    # 12 mild partner-violence incidents in the half year before T2: moderate as reported,
    # 24 a year (severe) when annualised; at T0 (one-year period) both readings agree
    rows = []
    for wave in (0, 2):
        rows += [_parent(1, 1, wave=wave, **zero("pv", psych_minor=12)),
                 _on_child(1, 2, 1, wave=wave, **zero("cmp", psych_minor=1))]
    obs = make(rows)
    period = rules.family_severity(obs)["severity"].tolist()
    per_year = rules.family_severity(obs, counts="per_year")
    assert period == ["moderate", "moderate"]
    assert per_year["severity"].tolist() == ["moderate", "severe"]
    assert per_year["pv_minor_max"].tolist() == [12.0, 24.0]
    # 2 mild child-abuse incidents in half a year: 4 a year, severe when annualised
    obs = make([_parent(1, 1, wave=2, **zero("pv")),
                _on_child(1, 2, 1, wave=2, **zero("cmp", phys_minor=2))])
    assert rules.family_severity(obs)["severity"].iloc[0] == "moderate"
    assert rules.family_severity(obs, counts="per_year")["severity"].iloc[0] == "severe"
    with pytest.raises(SpecificationError, match="counts"):
        rules.family_severity(obs, counts="annual")  # type: ignore[arg-type]
