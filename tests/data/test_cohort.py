"""Cohort accessors, family table, description and long/wide round trips."""

from __future__ import annotations

from dataclasses import FrozenInstanceError, replace

import numpy as np
import pandas as pd
import pytest

from kbeffect.data import schema
from kbeffect.data.cohort import Cohort
from kbeffect.data.reshape import from_wide, to_wide
from kbeffect.errors import DataError, SchemaError, SpecificationError


def test_constructible_as_the_simulator_does(synth):
    c = synth(n_families=5, seed=0)
    bare = Cohort(c.families, c.parents, c.children, c.observations)
    assert bare.truth is None and bare.meta == {}
    assert Cohort(c.families, c.parents, c.children, c.observations).meta is not bare.meta
    with pytest.raises(FrozenInstanceError):
        bare.truth = 1  # type: ignore[misc]
    assert "5 families" in repr(bare)


def test_subset_keeps_tables_consistent_and_records_history(synth):
    c = synth(n_families=30, seed=1)
    sub = c.subset([3, 1, 3])
    assert sorted(sub.families["family_id"]) == [1, 3]
    for name in ("parents", "children", "observations"):
        assert set(getattr(sub, name)["family_id"]) == {1, 3}
        want = getattr(c, name)
        assert len(getattr(sub, name)) == int(want["family_id"].isin([1, 3]).sum())
    assert sub.meta["history"] == ("subset to 2 families",)
    assert "history" not in c.meta  # the original is untouched
    sub.validate()
    with pytest.raises(DataError, match="not families of the cohort"):
        c.subset([1, 999])


def test_completers_and_at_wave(synth):
    c = synth(n_families=40, seed=2)
    waves = c.observations.groupby("family_id")["wave"].agg(set)
    full = {f for f, w in waves.items() if w == {0, 1, 2}}
    assert set(c.completers().families["family_id"]) == full
    t0t1 = {f for f, w in waves.items() if {0, 1} <= w}
    assert set(c.completers(waves=(0, 1)).families["family_id"]) == t0t1
    hist = c.completers().meta["history"][0]
    assert f"{len(c.families) - len(full)} families left out" in hist
    w2 = c.at_wave(2)
    assert set(w2.observations["wave"]) == {2}
    assert set(w2.families["family_id"]) == {f for f, w in waves.items() if 2 in w}
    with pytest.raises(SpecificationError):
        c.at_wave(3)
    with pytest.raises(SpecificationError):
        c.completers(waves=(0, 5))


def test_completers_invalid_rule(synth, make):
    c = synth(n_families=10, seed=3)
    obs = c.observations.copy()
    fam = next(f for f, w in obs.groupby("family_id")["wave"] if set(w) == {0, 1, 2})
    obs.loc[(obs["family_id"] == fam) & (obs["wave"] == 2), "valid"] = False
    c2 = replace(c, observations=obs)
    from kbeffect.data.ops import completers

    assert fam in set(completers(c2).families["family_id"])
    assert fam not in set(completers(c2, invalid="exclude").families["family_id"])


def test_families_with_violence(make, zero):
    def fam_rows(fid, pv_minor, wave=0):
        return [
            {"family_id": fid, "person_id": 10 * fid, "role": "parent", "reporter": "parent",
             "reporter_id": 10 * fid, "wave": wave, **zero("pv", psych_minor=pv_minor)},
            {"family_id": fid, "person_id": 10 * fid + 1, "role": "child",
             "reporter": "parent", "reporter_id": 10 * fid, "wave": wave, **zero("cmp")},
        ]
    obs = make(fam_rows(1, 0) + fam_rows(1, 5, wave=1) + fam_rows(2, 2) + fam_rows(3, 0))
    fams = pd.DataFrame({"family_id": [1, 2, 3]})
    c = Cohort(fams, pd.DataFrame({"family_id": []}), pd.DataFrame({"family_id": []}), obs)
    # family 1: moderate at T1; family 2: 2 mild incidents = severity none; family 3: nothing
    assert c.families_with_violence().families["family_id"].tolist() == [1]
    assert c.families_with_violence(rule="any_incident").families["family_id"].tolist() == [1, 2]


def test_family_table(synth):
    c = synth(n_families=25, seed=4)
    ft = c.family_table()
    assert len(ft) == len(c.families) and ft["family_id"].tolist() == c.families[
        "family_id"].tolist()
    for _, row in ft.sample(8, random_state=0).iterrows():
        kids = c.children[c.children["family_id"] == row["family_id"]]
        pars = c.parents[c.parents["family_id"] == row["family_id"]]
        assert row["n_children"] == len(kids)
        assert row["n_parents"] == len(pars)
        assert row["both_parents"] == (len(pars) == 2)
        assert row["mean_child_age"] == pytest.approx(kids["age"].mean())
        assert row["any_child_8plus"] == bool((kids["age"] >= 8).any())
        assert row["n_girls"] == int((kids["sex"] == "girl").sum())


def test_describe_counts_and_suppression(synth):
    c = synth(n_families=40, seed=5)
    s = c.describe()
    people = s.tables["People at T0 by group"]
    assert people.loc["total", "families"] == 40
    assert people.loc["total", "children"] == len(c.children)
    assert people.loc["kb", "families"] == int((c.families["group"] == "kb").sum())
    by_wave = s.tables["Observed by wave and group"]
    assert by_wave["child_self_reports"].sum() == int((c.observations["reporter"] == "child")
                                                      .sum())
    sup = c.describe(suppress_below=10)
    small = (people > 0) & (people < 10)
    assert small.to_numpy().any()
    got = sup.tables["People at T0 by group"]
    for g in people.index:
        for col in people.columns:
            if small.loc[g, col]:
                assert pd.isna(got.loc[g, col])
            elif not pd.isna(got.loc[g, col]):
                assert got.loc[g, col] == people.loc[g, col]
    # no column leaks a single small cell through its total (complementary suppression)
    body = got.drop(index="total")
    for col in people.columns:
        assert body[col].isna().sum() != 1
    assert "suppressed" in sup.notes[0]
    # no row-level data: no person ids anywhere in the tables
    assert all("person_id" not in t.columns for t in s.tables.values())
    assert "Cohort description" in str(s)
    assert "tabular" in sup.as_latex() and "<table" in sup._repr_html_()


MEASURES = ["pv_phys_minor", "tsi_anger", "attachment", "help_ggz"]


def test_wide_round_trip(synth):
    c = synth(n_families=30, seed=6)
    obs = c.observations
    wide = c.to_wide(MEASURES)
    assert wide.duplicated(["person_id", "reporter_id"]).sum() == 0
    assert {"observed_t0", "tsi_anger_t2", "help_ggz_t1"} <= set(wide.columns)
    back = from_wide(wide, MEASURES)
    cols = ["family_id", "person_id", "role", "reporter", "reporter_id", "wave", *MEASURES]
    want = obs[cols].sort_values(["family_id", "person_id", "role", "reporter",
                                  "reporter_id", "wave"], ignore_index=True)
    pd.testing.assert_frame_equal(back[cols], want, check_categorical=False)
    # a value lands in the right cell
    row = obs.iloc[7]
    w = wide[(wide["person_id"] == row["person_id"])
             & (wide["reporter_id"] == row["reporter_id"])]
    assert w[f"tsi_anger_t{row['wave']}"].iloc[0] == row["tsi_anger"] or (
        np.isnan(row["tsi_anger"]) and np.isnan(w[f"tsi_anger_t{row['wave']}"].iloc[0]))


def test_wide_errors_and_options(synth):
    c = synth(n_families=10, seed=7)
    obs = c.observations
    with pytest.raises(DataError, match="duplicated"):
        to_wide(pd.concat([obs, obs.iloc[[0]]]), "tsi_anger")
    with pytest.raises(SpecificationError, match="index columns"):
        to_wide(obs, ["person_id"])
    with pytest.raises(SpecificationError, match="waves"):
        to_wide(obs, "tsi_anger", waves=(0, 4))
    with pytest.raises(SchemaError, match="nosuch"):
        to_wide(obs, "nosuch")
    only = to_wide(obs, "tsi_anger", waves=(0, 2), sep=".")
    assert "tsi_anger.2" in only.columns and "tsi_anger.1" not in only.columns
    wide = to_wide(obs, "tsi_anger")
    bad = wide.copy()
    idx = bad.index[~bad["observed_t2"] & bad["observed_t0"]][0]
    bad.loc[idx, "tsi_anger_t2"] = 50.0
    with pytest.raises(DataError, match="observed_t2"):
        from_wide(bad, "tsi_anger")
    # without indicators, rows are made where a measure is present
    no_flags = wide.drop(columns=[f"observed_t{w}" for w in schema.WAVES])
    back = from_wide(no_flags, "tsi_anger")
    assert back["tsi_anger"].notna().all()
    assert len(back) == int(obs["tsi_anger"].notna().sum())


def test_constructor_rejects_non_frames(synth):
    c = synth(n_families=3, seed=0)
    with pytest.raises(SchemaError, match=r"Cohort\.children must be a pandas DataFrame"):
        Cohort(c.families, c.parents, c.children.to_dict(), c.observations)
    with pytest.raises(SpecificationError, match="meta must be a dict"):
        Cohort(c.families, c.parents, c.children, c.observations, meta=[])  # type: ignore[arg-type]


def test_to_wide_agrees_with_pandas_pivot(synth):
    c = synth(n_families=30, seed=9)
    obs = c.observations
    keys = ["person_id", "reporter_id"]
    ref = obs.pivot(index=keys, columns="wave", values="tsi_anger")
    wide = to_wide(obs, "tsi_anger").set_index(keys)
    for w in schema.WAVES:
        np.testing.assert_array_equal(wide[f"tsi_anger_t{w}"].to_numpy(),
                                      ref.reindex(wide.index)[w].to_numpy())
        observed = obs.groupby(keys)["wave"].agg(lambda s, w=w: w in set(s))
        np.testing.assert_array_equal(wide[f"observed_t{w}"].to_numpy(),
                                      observed.reindex(wide.index).to_numpy())
