"""Validation: every hard error names table, column and example ids; soft exclusions counted."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from kbeffect.data.validate import check_table, validate_cohort
from kbeffect.errors import DataError, SchemaError


def _set(df, row, col, value):
    out = df.copy()
    if col in out.columns and isinstance(out[col].dtype, pd.CategoricalDtype):
        out[col] = out[col].astype(object)
    out.loc[row, col] = value
    return out


def test_valid_cohort_passes_and_counts_soft_exclusions(synth):
    c = synth(n_families=50, seed=2)
    obs = c.observations.copy()
    obs.loc[[3, 10, 11], "valid"] = False
    fams = c.families.copy()
    fams["income"] = fams["income"].astype(object)
    fams.loc[[0, 1], "income"] = None
    fams.loc[[1, 2], "migration"] = pd.NA
    c = replace(c, observations=obs, families=fams)
    report = c.validate()
    tidy = report.tidy().set_index(["scope", "reason"])["n"]
    assert tidy[("all analyses", "questionnaire failed the validity scales (valid == False)")] == 3
    n_prev = int((c.families["group"] == "preventive").sum())
    assert tidy[("effect analyses", "preventive-help group (described at T0 only)")] == n_prev
    waves = c.observations.groupby("family_id")["wave"].nunique()
    assert tidy[("completers analyses", "observed at 2 of 3 waves")] == int((waves == 2).sum())
    assert tidy[("completers analyses", "observed at 1 of 3 waves")] == int((waves == 1).sum())
    # each family counted once, under its first missing matching variable
    assert tidy[("matching", "missing matching variable 'income'")] == 2
    assert tidy[("matching", "missing matching variable 'migration'")] == 1
    assert report.n_rows["observations"] == len(c.observations)
    text = str(report.summary())
    assert "Soft exclusions" in text and "preventive" in text
    # nothing was removed
    assert len(c.observations) == report.n_rows["observations"]


SCHEMA_CASES = [
    ("families", lambda d: d.drop(columns="group"),
     r"families lacks required column\(s\) \['group'\]"),
    ("families", lambda d: d.assign(extra=1), r"unknown to the schema: \['extra'\]"),
    ("observations", lambda d: d.assign(wave=d["wave"].astype(float)),
     r"observations\.wave has dtype float64"),
    ("families", lambda d: d.assign(family_id=d["family_id"].astype(str)),
     r"families\.family_id has dtype (object|str)"),
    ("families", lambda d: d.assign(paid_work=d["paid_work"].astype(str)),
     r"families\.paid_work has dtype"),
    ("children", lambda d: d.assign(age=d["age"].astype(str)),
     r"children\.age has dtype (object|str)"),
]


@pytest.mark.parametrize(("table", "edit", "message"), SCHEMA_CASES)
def test_schema_errors(synth, table, edit, message):
    c = synth(n_families=10, seed=1)
    bad = replace(c, **{table: edit(getattr(c, table))})
    with pytest.raises(SchemaError, match=message):
        bad.validate()


def test_unknown_columns_can_be_ignored_with_a_note(synth):
    c = synth(n_families=10, seed=1)
    bad = replace(c, families=c.families.assign(extra=1))
    report = bad.validate(unknown_columns="ignore")
    assert any("extra" in n for n in report.notes)


def _data_case(c, case):
    f, p, k, o = c.families, c.parents, c.children, c.observations
    if case == "group":
        return replace(c, families=_set(f, 0, "group", "ots"))
    if case == "wave":
        return replace(c, observations=_set(o, 0, "wave", 3))
    if case == "negative":
        return replace(c, observations=_set(o, 0, "pv_phys_minor", -2.0))
    if case == "fraction":
        return replace(c, observations=_set(o, 0, "pv_phys_minor", 2.5))
    if case == "orphan_child":
        return replace(c, children=_set(k, 0, "family_id", 999))
    if case == "duplicate":
        return replace(c, observations=pd.concat([o, o.iloc[[0]]], ignore_index=True))
    if case == "likert":
        row = o.index[o["attachment"].notna()][0]
        return replace(c, observations=_set(o, row, "attachment", 6.0))
    if case == "nosi":
        return replace(c, observations=_set(o, 0, "nosi_stress", 10.0))
    if case == "missing_required":
        return replace(c, children=_set(k, 0, "age", np.nan))
    if case == "kb_type":
        row = f.index[f["group"] != "kb"][0]
        return replace(c, families=_set(f, row, "kb_type", "ots"))
    if case == "shared_id":
        return replace(c, children=_set(k, 0, "person_id", int(p["person_id"].iloc[0])))
    if case == "wrong_family":
        row = o.index[o["role"] == "parent"][0]
        other = int(f["family_id"].iloc[-1]) if o.loc[row, "family_id"] != f["family_id"].iloc[
            -1] else int(f["family_id"].iloc[0])
        return replace(c, observations=_set(o, row, "family_id", other))
    if case == "self_report":
        row = o.index[o["reporter"] == "child"][0]
        return replace(c, observations=_set(o, row, "person_id",
                                            int(k["person_id"].iloc[-1])))
    raise AssertionError(case)


DATA_CASES = [
    ("group", r"families.group has 1 values with unknown labels \['ots'\]"),
    ("wave", r"observations.wave has 1 values with waves outside 0-2 \['3'\]"),
    ("negative", r"observations.pv_phys_minor has 1 negative counts, e.g. \(person_id, "
                 r"reporter_id, wave\) = \[\(1, 1, 0\)\]"),
    ("fraction", "pv_phys_minor has 1 non-integer counts"),
    ("orphan_child", r"children: 1 children without a family .* e.g. person_id = \[\d+\]"),
    ("duplicate", r"observations has 2 rows with a duplicated person-wave-reporter key"),
    ("likert", r"observations.attachment has 1 values outside \[1, 5\] mean item score"),
    ("nosi", r"observations.nosi_stress has 1 values outside \[25, 150\]"),
    ("missing_required", "children.age has 1 missing values but may not be missing"),
    ("kb_type", "families.kb_type is set for 1 families outside group 'kb'"),
    ("shared_id", "person_id values used for both a parent and a child"),
    ("wrong_family", "family_id differs from the subject's family"),
    ("self_report", "child self-reports about someone else"),
]


@pytest.mark.parametrize(("case", "message"), DATA_CASES)
def test_data_errors(synth, case, message):
    c = synth(n_families=12, seed=4)
    c.validate()  # the unedited cohort is valid
    with pytest.raises(DataError, match=message) as err:
        _data_case(c, case).validate()
    assert not isinstance(err.value, SchemaError)


def test_all_problems_reported_together(synth):
    c = synth(n_families=12, seed=4)
    bad = replace(c, families=_set(c.families, 0, "group", "x"),
                  observations=_set(c.observations, 0, "pv_psych_minor", -1.0))
    with pytest.raises(DataError, match=r"2 problem\(s\)") as err:
        validate_cohort(bad)
    assert "families.group" in str(err.value) and "pv_psych_minor" in str(err.value)


def test_check_table_rejects_non_frames():
    with pytest.raises(SchemaError, match="families must be a pandas DataFrame"):
        check_table("families", {"family_id": [1]})


def test_design_departures_are_noted_not_errors(synth):
    c = synth(n_families=30, seed=8)
    assert c.validate().notes == ()
    obs = c.observations.copy()
    obs.loc[obs["wave"] == 2, "exposure"] = 1.0
    kids = c.children.copy()
    selfrep = obs.loc[obs["reporter"] == "child", "person_id"].iloc[0]
    kids.loc[kids["person_id"] == selfrep, "age"] = 7.5
    fams = pd.concat([c.families, c.families.iloc[[0]].assign(family_id=999)],
                     ignore_index=True)
    notes = replace(c, observations=obs, children=kids, families=fams).validate().notes
    n_t2 = int((obs["wave"] == 2).sum())
    n_young = int(((obs["reporter"] == "child") & (obs["person_id"] == selfrep)).sum())
    assert f"{n_t2} observation rows have an exposure different" in " ".join(notes)
    assert f"{n_young} child self-reports come from children under 8" in " ".join(notes)
    assert "1 families have no participating parent." in notes
    assert "1 families have no participating child." in notes


def test_families_with_only_invalid_questionnaires_are_counted(synth):
    # The effect-analysis exclusions must account for every non-preventive family that is
    # not in the effect sample; a family whose questionnaires are all invalid has no
    # severity at all and used to vanish from the counts.
    from kbeffect.data.ops import families_with_violence

    c = synth(n_families=60, seed=4)
    target = c.families.loc[c.families["group"] != "preventive", "family_id"].iloc[:2].tolist()
    obs = c.observations.copy()
    obs.loc[obs["family_id"].isin(target), "valid"] = False
    c = replace(c, observations=obs)
    tidy = c.validate().tidy().set_index(["scope", "reason"])["n"]
    assert tidy[("effect analyses", "only invalid questionnaires (valid == False)")] == 2
    effect = tidy.loc["effect analyses"]
    non_prev = c.families.loc[c.families["group"] != "preventive", "family_id"]
    kept = set(families_with_violence(c).families["family_id"]) & set(non_prev)
    n_excluded = int(effect.sum()) - int(effect["preventive-help group (described at T0 only)"])
    assert len(non_prev) - n_excluded == len(kept)
