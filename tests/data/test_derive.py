"""Derived violence totals, checked by hand and against a loop-based reference."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kbeffect.data import derive, schema
from kbeffect.errors import DataError, SchemaError


def test_add_violence_totals_by_hand(make, zero):
    obs = make([
        {"family_id": 1, "person_id": 1, "role": "parent", "reporter": "parent",
         "reporter_id": 1, "wave": 0,
         **zero("pv", psych_minor=3, phys_minor=2, sexual_severe=1, injury_severe=4)},
        {"family_id": 1, "person_id": 2, "role": "child", "reporter": "child",
         "reporter_id": 2, "wave": 0, **zero("cmc", witness_minor=7, phys_severe=2)},
    ])
    out = derive.add_violence_totals(obs)
    assert out.loc[0, ["pv_minor", "pv_severe", "pv_total"]].tolist() == [5, 5, 10]
    assert out.loc[1, ["cmc_minor", "cmc_severe", "cmc_total"]].tolist() == [7, 2, 9]
    # instruments the reporter did not answer are missing, not zero
    assert out.loc[0, ["cmp_total", "cmc_total"]].isna().all()
    assert out.loc[1, ["pv_total", "cmp_total"]].isna().all()
    # the input is untouched
    assert "pv_total" not in obs.columns


def test_add_violence_totals_incomplete_and_partial_columns(make, zero):
    counts = zero("pv", psych_minor=3)
    counts["pv_phys_severe"] = np.nan
    obs = make([{"family_id": 1, "person_id": 1, "role": "parent", "reporter": "parent",
                 "reporter_id": 1, "wave": 0, **counts}])
    out = derive.add_violence_totals(obs)
    assert out.loc[0, "pv_minor"] == 3
    assert np.isnan(out.loc[0, "pv_severe"]) and np.isnan(out.loc[0, "pv_total"])
    with pytest.raises(SchemaError, match="pv_injury_minor"):
        derive.add_violence_totals(obs.drop(columns=["pv_injury_minor"]))
    with pytest.raises(SchemaError, match="already has derived"):
        derive.add_violence_totals(out)
    # instruments absent altogether give missing totals
    no_cmc = obs.drop(columns=derive.instrument_columns("cmc"))
    assert derive.add_violence_totals(no_cmc)["cmc_total"].isna().all()


def test_family_incidents_worked_example(make, zero):
    rows = []
    for wave in (0, 2):
        rows += [
            {"family_id": 1, "person_id": 1, "role": "parent", "reporter": "parent",
             "reporter_id": 1, "wave": wave, **zero("pv", psych_minor=6, phys_severe=4)},
            {"family_id": 1, "person_id": 2, "role": "parent", "reporter": "parent",
             "reporter_id": 2, "wave": wave, **zero("pv", psych_minor=4)},
            {"family_id": 1, "person_id": 3, "role": "child", "reporter": "parent",
             "reporter_id": 1, "wave": wave, **zero("cmp", psych_minor=3)},
            {"family_id": 1, "person_id": 4, "role": "child", "reporter": "parent",
             "reporter_id": 1, "wave": wave, **zero("cmp", neglect_minor=4, phys_severe=1)},
            {"family_id": 1, "person_id": 3, "role": "child", "reporter": "parent",
             "reporter_id": 2, "wave": wave, **zero("cmp", psych_minor=1)},
            {"family_id": 1, "person_id": 4, "role": "child", "reporter": "parent",
             "reporter_id": 2, "wave": wave, **zero("cmp", psych_minor=1)},
            # child self-reports do not enter the parent-report total
            {"family_id": 1, "person_id": 4, "role": "child", "reporter": "child",
             "reporter_id": 4, "wave": wave, **zero("cmc", psych_minor=100)},
        ]
    out = derive.family_incidents(make(rows))
    # parent 1: 10 + (3 + 5) = 18; parent 2: 4 + (1 + 1) = 6; mean 12
    assert out["pv_total"].tolist() == [7.0, 7.0]
    assert out["cm_total"].tolist() == [5.0, 5.0]
    assert out["total"].tolist() == [12.0, 12.0]
    assert out["exposure"].tolist() == [1.0, 0.5]
    assert out["total_per_year"].tolist() == [12.0, 24.0]
    assert out["n_reporters"].tolist() == [2, 2]
    # parent 2 leaves one child's report incomplete: only parent 1 counts
    obs = make(rows)
    obs.loc[(obs["reporter_id"] == 2) & (obs["person_id"] == 4), "cmp_psych_minor"] = np.nan
    out = derive.family_incidents(obs)
    assert out["total"].tolist() == [18.0, 18.0]
    assert out["n_reporters"].tolist() == [1, 1]


def _reference_family_incidents(obs: pd.DataFrame) -> dict[tuple[int, int], float]:
    """Plain-loop reference for family_incidents (complete reports only)."""
    pv_cols = derive.instrument_columns("pv")
    cm_cols = derive.instrument_columns("cmp")
    out = {}
    for (fid, wave), g in obs.groupby(["family_id", "wave"]):
        totals = []
        for pid in g.loc[g["reporter"] == "parent", "reporter_id"].unique():
            own = g[(g["person_id"] == pid) & (g["reporter_id"] == pid)]
            kids = g[(g["reporter_id"] == pid) & (g["role"] == "child")]
            if len(own) != 1 or own[pv_cols].isna().any(axis=None) or len(kids) == 0:
                continue
            if kids[cm_cols].isna().any(axis=None):
                continue
            totals.append(own[pv_cols].to_numpy().sum() + kids[cm_cols].to_numpy().sum())
        out[(int(fid), int(wave))] = float(np.mean(totals)) if totals else np.nan
    return out


def test_family_incidents_matches_loop_reference(synth):
    cohort = synth(n_families=60, seed=3)
    obs = cohort.observations.copy()
    rng = np.random.default_rng(1)
    obs.loc[rng.random(len(obs)) < 0.05, "pv_psych_minor"] = np.nan  # some incomplete reports
    got = derive.family_incidents(obs).set_index(["family_id", "wave"])["total"]
    ref = _reference_family_incidents(obs)
    assert len(got) == len(ref)
    np.testing.assert_allclose(got.loc[list(ref)].to_numpy(), np.array(list(ref.values())))


def test_family_incidents_exposure_conflict(make, zero):
    obs = make([
        {"family_id": 1, "person_id": 1, "role": "parent", "reporter": "parent",
         "reporter_id": 1, "wave": 2, "exposure": 0.5, **zero("pv")},
        {"family_id": 1, "person_id": 2, "role": "child", "reporter": "parent",
         "reporter_id": 1, "wave": 2, "exposure": 1.0, **zero("cmp")},
    ])
    with pytest.raises(DataError, match="exposure"):
        derive.family_incidents(obs)
    with pytest.raises(SchemaError, match="reporter_id"):
        derive.family_incidents(obs.drop(columns="reporter_id"))


def test_valid_rows(make):
    obs = make([{"family_id": 1, "person_id": 1, "role": "parent", "reporter": "parent",
                 "reporter_id": 1, "wave": w, "valid": w != 1} for w in schema.WAVES])
    kept, ex = derive.valid_rows(obs)
    assert kept["wave"].tolist() == [0, 2]
    assert ex.total == 1
    obs["valid"] = obs["valid"].astype(object)
    obs.loc[0, "valid"] = None
    with pytest.raises(DataError, match="valid"):
        derive.valid_rows(obs)
