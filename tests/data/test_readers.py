"""Readers and writers: Parquet/CSV round trips, SPSS with value labels, column mappings."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyreadstat
import pytest

from kbeffect.data.coerce import coerce_table
from kbeffect.data.mapping import load_mapping
from kbeffect.data.readers import read_cohort, read_table, write_cohort
from kbeffect.errors import DataError, SchemaError, SpecificationError

TABLES = ("families", "parents", "children", "observations")


def _expected(cohort, name):
    return coerce_table(name, getattr(cohort, name))


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_write_read_round_trip(synth, tmp_path, fmt):
    c = synth(n_families=25, seed=11)
    obs = c.observations.copy()
    obs.loc[[2, 5], "valid"] = False
    c = type(c)(c.families, c.parents, c.children, obs, meta={"seed": 11, "scenario": "x"})
    files = write_cohort(c, tmp_path, format=fmt)
    assert sorted(files) == sorted([*TABLES, "meta"])
    back = read_cohort(directory=tmp_path)
    for name in TABLES:
        pd.testing.assert_frame_equal(getattr(back, name), _expected(c, name),
                                      check_dtype=True)
    assert back.meta["seed"] == 11 and back.meta["sources"]["families"] == f"families.{fmt}"
    back.validate()
    with pytest.raises(SpecificationError, match="overwrite=True"):
        write_cohort(c, tmp_path, format=fmt)
    write_cohort(c, tmp_path, format=fmt, overwrite=True)


def test_coerce_is_idempotent_and_reproducible(synth):
    a, b = synth(n_families=15, seed=12), synth(n_families=15, seed=12)
    for name in TABLES:
        once = coerce_table(name, getattr(a, name))
        pd.testing.assert_frame_equal(coerce_table(name, once), once)
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name))


MAPPING_TOML = """
[columns]
gezin = "family_id"

[families.columns]
groep = "group"
maatregel = "kb_type"
stroom = "stream"
inkomen = "income"
werk = "paid_work"
opleiding = "education"
migratie = "migration"
eenouder = "single_parent"

[families.values.paid_work]
1 = true
2 = false

[families.values.income]
1 = "lt1500"
2 = "1500_3000"
3 = "gt3000"

[parents.columns]
persoon = "person_id"
"""


def _spss_families(c):
    f = c.families
    group_code = {"kb": 1, "voluntary": 2, "preventive": 3}
    return pd.DataFrame({
        "gezin": f["family_id"].astype(float),
        "groep": f["group"].astype(object).map(group_code).astype(float),
        "maatregel": f["kb_type"].astype(object).map({"ots": 1.0, "ots_uhp": 2.0}),
        "stroom": f["stream"].astype(object).map({"vt": 1.0, "gi": 2.0}),
        "inkomen": f["income"].astype(object).map({"lt1500": 1, "1500_3000": 2,
                                                   "gt3000": 3}).astype(float),
        "werk": f["paid_work"].astype(bool).map({True: 1.0, False: 2.0}),
        "opleiding": f["education"].astype(object).map(
            {"primary": 1.0, "lower_secondary": 2.0, "upper_secondary": 3.0, "higher": 4.0}),
        "migratie": f["migration"].astype(bool).astype(float),
        "eenouder": f["single_parent"].astype(bool).astype(float),
    })


SPSS_LABELS = {
    "groep": {1: "kb", 2: "voluntary", 3: "preventive"},
    "maatregel": {1: "ots", 2: "ots_uhp"},
    "stroom": {1: "vt", 2: "gi"},
    "inkomen": {1: "< 1500", 2: "1500-3000", 3: "> 3000"},  # overridden by the mapping
    "werk": {1: "ja", 2: "nee"},                            # overridden by the mapping
    "opleiding": {1: "primary", 2: "lower_secondary", 3: "upper_secondary", 4: "higher"},
    "migratie": {0: "no", 1: "yes"},
    "eenouder": {0: "nee", 1: "ja"},
}


def test_spss_with_value_labels_and_toml_mapping(synth, tmp_path):
    c = synth(n_families=20, seed=13)
    sav = tmp_path / "gezinnen.sav"
    raw = _spss_families(c)
    raw.loc[0, "inkomen"] = np.nan  # a missing income stays missing
    pyreadstat.write_sav(raw, str(sav), variable_value_labels=SPSS_LABELS)
    toml = tmp_path / "mapping.toml"
    toml.write_text(MAPPING_TOML)
    parents = c.parents.rename(columns={"family_id": "gezin", "person_id": "persoon"})
    cohort = read_cohort(families=sav, parents=parents, children=c.children,
                         observations=c.observations, mapping=toml)
    fam = cohort.families
    want = _expected(c, "families")
    assert fam["group"].tolist() == want["group"].tolist()      # via SPSS labels
    assert fam["kb_type"].astype(object).where(fam["kb_type"].notna(), None).tolist() == \
        want["kb_type"].astype(object).where(want["kb_type"].notna(), None).tolist()
    assert fam["paid_work"].tolist() == want["paid_work"].tolist()  # via the mapping: 1/2
    assert pd.isna(fam.loc[0, "income"])
    assert fam["income"].iloc[1:].tolist() == want["income"].iloc[1:].tolist()
    assert fam["migration"].tolist() == want["migration"].tolist()  # labels no/yes
    assert fam["single_parent"].tolist() == want["single_parent"].tolist()  # labels nee/ja
    assert list(fam["group"].cat.categories) == ["kb", "voluntary", "preventive"]
    labels = cohort.meta["value_labels"]["families"]
    assert labels["group"] == {"1": "kb", "2": "voluntary", "3": "preventive"}
    assert cohort.meta["sources"]["families"] == "gezinnen.sav"
    cohort.validate()


def test_spss_labels_outside_schema_need_a_mapping(synth, tmp_path):
    c = synth(n_families=10, seed=14)
    raw = _spss_families(c)
    sav = tmp_path / "f.sav"
    labels = {**SPSS_LABELS, "groep": {1: "KB", 2: "vrijwillig", 3: "preventief"}}
    pyreadstat.write_sav(raw, str(sav), variable_value_labels=labels)
    mapping = load_mapping({
        "columns": {"gezin": "family_id"},
        "families": {"columns": {"groep": "group", "maatregel": "kb_type", "stroom": "stream",
                                 "inkomen": "income", "werk": "paid_work",
                                 "opleiding": "education", "migratie": "migration",
                                 "eenouder": "single_parent"},
                     "values": {"paid_work": {"1": True, "2": False},
                                "income": {"1": "lt1500", "2": "1500_3000", "3": "gt3000"}}},
    })
    with pytest.raises(DataError, match=r"families.group has .* unknown labels \['KB'"):
        read_table(sav, "families", mapping=mapping)
    # recoding the codes directly through the mapping wins over the labels
    fixed = load_mapping({**{"columns": mapping.columns["*"]},
                          "families": {"columns": mapping.columns["families"],
                                       "values": {**mapping.values["families"],
                                                  "group": {1: "kb", 2: "voluntary",
                                                            3: "preventive"}}}})
    fam, lab = read_table(sav, "families", mapping=fixed)
    assert fam["group"].tolist() == c.families["group"].tolist()
    assert lab["group"]["1"] == "KB"


def test_mapping_errors(tmp_path, synth):
    c = synth(n_families=5, seed=15)
    with pytest.raises(SpecificationError, match="unknown key 'famillies'"):
        load_mapping({"famillies": {"columns": {}}})
    with pytest.raises(SpecificationError, match="only 'columns' and 'values'"):
        load_mapping({"families": {"rename": {}}})
    with pytest.raises(SpecificationError, match="does not exist"):
        load_mapping(tmp_path / "nope.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[families\n")
    with pytest.raises(SpecificationError, match="not valid TOML"):
        load_mapping(bad)
    with pytest.raises(SpecificationError, match=r"renames column\(s\) \['groep'\]"):
        read_table(c.families, "families", mapping={"families": {"columns": {"groep": "group"}}})
    with pytest.raises(SpecificationError, match="several columns"):
        read_table(c.families, "families",
                   mapping={"families": {"columns": {"stream": "group"}}})
    recode = {"families": {"values": {"group": {"kb": "kb", "voluntary": "voluntary"}}}}
    with pytest.raises(DataError, match=r"families.group has values without an entry.*preventive"):
        read_table(c.families.assign(group=c.families["group"].astype(object).where(
            c.families.index != 0, "preventive")), "families", mapping=recode)


def test_reader_errors(tmp_path, synth):
    c = synth(n_families=5, seed=16)
    with pytest.raises(SpecificationError, match="does not exist"):
        read_table(tmp_path / "f.csv", "families")
    (tmp_path / "f.xlsx").write_text("x")
    with pytest.raises(SpecificationError, match=r"\.csv, \.parquet, \.sav"):
        read_table(tmp_path / "f.xlsx", "families")
    with pytest.raises(SpecificationError, match="needs a source"):
        read_cohort(families=c.families)
    with pytest.raises(SpecificationError, match="exactly one of"):
        read_cohort(directory=tmp_path)
    with pytest.raises(SchemaError, match=r"families\.family_id cannot be read as integers"):
        read_table(c.families.assign(family_id="a"), "families")
    with pytest.raises(DataError, match=r"families\.family_id has 1 non-integer"):
        read_table(c.families.assign(family_id=[1.5, 2, 3, 4, 5]), "families")
    with pytest.raises(DataError, match=r"families\.paid_work has 1 values that are not true"):
        read_table(c.families.assign(paid_work=["yes", "no", "maybe", "no", "yes"]),
                   "families")
    # validation runs by default, with the same errors as Cohort.validate
    obs = c.observations.copy()
    obs.loc[0, "wave"] = 5
    with pytest.raises(DataError, match="waves outside 0-2"):
        read_cohort(families=c.families, parents=c.parents, children=c.children,
                    observations=obs)
    raw = read_cohort(families=c.families, parents=c.parents, children=c.children,
                      observations=obs, validate=False)
    assert raw.observations.loc[0, "wave"] == 5  # nothing silently fixed or dropped


def _to_spss(df):
    """SPSS has numbers and strings only: booleans as 0/1, categories as text."""
    out = df.copy()
    for col in out.columns:
        s = out[col]
        if str(s.dtype) in ("bool", "boolean"):
            out[col] = s.astype("Float64").astype(float)
        elif isinstance(s.dtype, pd.CategoricalDtype):
            out[col] = s.astype(object).where(s.notna(), "")
        elif str(s.dtype) == "Int64":
            out[col] = s.astype(float)
    return out


def test_all_tables_from_spss(synth, tmp_path):
    c = synth(n_families=15, seed=17)
    paths = {}
    for name in TABLES:
        paths[name] = tmp_path / f"{name}.sav"
        pyreadstat.write_sav(_to_spss(getattr(c, name)), str(paths[name]))
    back = read_cohort(**paths)
    for name in TABLES:
        pd.testing.assert_frame_equal(getattr(back, name), _expected(c, name))
    assert read_cohort(directory=tmp_path).observations.shape == c.observations.shape
