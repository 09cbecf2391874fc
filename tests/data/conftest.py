"""Fixtures for the data-layer tests: small synthetic cohorts built row by row."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest

from kbeffect.data import schema
from kbeffect.data.cohort import Cohort

OBS_COLUMNS = [c.name for c in schema.OBSERVATION_COLUMNS]


def make_obs(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """Observations from partial row dicts: unspecified measures are NaN, exposure by wave."""
    full = []
    for r in rows:
        row: dict[str, Any] = dict.fromkeys(OBS_COLUMNS, np.nan)
        row["valid"] = True
        row.update(r)
        row["exposure"] = r.get("exposure", schema.EXPOSURE_BY_WAVE[int(row["wave"])])
        full.append(row)
    out = pd.DataFrame(full, columns=OBS_COLUMNS)
    for c in ("family_id", "person_id", "reporter_id", "wave"):
        out[c] = out[c].astype("int64")
    for c in schema.OBSERVATION_COLUMNS:
        if c.kind == "bool" and c.name != "valid":
            out[c.name] = out[c.name].astype("boolean")
    out["valid"] = out["valid"].astype(bool)
    return out


def zeros(prefix: str, **counts: float) -> dict[str, float]:
    """All count columns of one instrument set to 0, then overridden by ``counts``."""
    subs = {"pv": schema.PV_SUBSCALES, "cmp": schema.CM_PARENT_SUBSCALES,
            "cmc": schema.CM_CHILD_SUBSCALES}[prefix]
    out = {f"{prefix}_{s}_{v}": 0.0 for s in subs for v in schema.SEVERITIES}
    out.update({f"{prefix}_{k}": float(v) for k, v in counts.items()})
    return out


def synth_cohort(n_families: int = 40, seed: int = 0) -> Cohort:
    """A small random cohort that satisfies every schema rule (for validation/reshape tests)."""
    rng = np.random.default_rng(seed)
    fams, pars, kids, obs = [], [], [], []
    pid = 1
    for f in range(1, n_families + 1):
        group = rng.choice(schema.GROUPS, p=[0.4, 0.5, 0.1])
        fams.append({
            "family_id": f, "group": group,
            "kb_type": rng.choice(schema.KB_TYPES) if group == "kb" else None,
            "stream": rng.choice(schema.STREAMS),
            "income": rng.choice(schema.INCOME_LEVELS), "paid_work": bool(rng.random() < .5),
            "education": rng.choice(schema.EDUCATION_LEVELS),
            "migration": bool(rng.random() < .3), "single_parent": bool(rng.random() < .6),
        })
        parent_ids = []
        for k in range(1 + int(rng.random() < 0.2)):
            pars.append({"person_id": pid, "family_id": f, "sex": ("mother", "father")[k],
                         "aces": int(rng.integers(0, 11)),
                         "drinks_week": float(rng.poisson(5)),
                         "partner_drinks_week": float(rng.poisson(6))})
            parent_ids.append(pid)
            pid += 1
        child_ids = []
        for _ in range(1 + int(rng.random() < 0.45)):
            age = float(np.round(rng.uniform(3, 18), 1))
            kids.append({"person_id": pid, "family_id": f, "sex": rng.choice(["girl", "boy"]),
                         "age": age})
            child_ids.append((pid, age))
            pid += 1
        last_wave = rng.choice([0, 1, 2], p=[0.2, 0.2, 0.6])
        for w in range(int(last_wave) + 1):
            for p in parent_ids:
                obs.append({"family_id": f, "person_id": p, "role": "parent",
                            "reporter": "parent", "reporter_id": p, "wave": w,
                            **_counts(rng, "pv"), "nosi_stress": float(rng.integers(25, 151)),
                            **{f"tsi_{s}": _t(rng) for s in schema.TSI_SCALES},
                            **({f"help_{h}": bool(rng.random() < .3) for h in schema.HELP_TYPES}
                               if w > 0 else {})})
                for c, _age in child_ids:
                    obs.append({"family_id": f, "person_id": c, "role": "child",
                                "reporter": "parent", "reporter_id": p, "wave": w,
                                **_counts(rng, "cmp"),
                                "attachment": float(np.clip(rng.normal(3.5, .7), 1, 5)),
                                **{f"tscyc_{s}": _t(rng)
                                   for s in schema.TSCC_SCALES}})
            for c, age in child_ids:
                if age >= 8:
                    obs.append({"family_id": f, "person_id": c, "role": "child",
                                "reporter": "child", "reporter_id": c, "wave": w,
                                **_counts(rng, "cmc"),
                                "emo_insecurity": float(np.clip(rng.normal(2.5, .7), 1, 5)),
                                **{f"tscc_{s}": _t(rng)
                                   for s in schema.TSCC_SCALES}})
    families = pd.DataFrame(fams)
    for col in ("group", "kb_type", "stream", "income", "education"):
        spec = {c.name: c for c in schema.FAMILY_COLUMNS}[col]
        families[col] = pd.Categorical(families[col], categories=list(spec.levels))
    for col in ("paid_work", "migration", "single_parent"):
        families[col] = families[col].astype("boolean")
    parents = pd.DataFrame(pars)
    parents["sex"] = pd.Categorical(parents["sex"], categories=["mother", "father"])
    parents["aces"] = parents["aces"].astype("Int64")
    children = pd.DataFrame(kids)
    children["sex"] = pd.Categorical(children["sex"], categories=["girl", "boy"])
    observations = make_obs(obs)
    for col in ("role", "reporter"):
        observations[col] = pd.Categorical(observations[col], categories=list(schema.ROLES))
    return Cohort(families, parents, children, observations, meta={"source": "synth", "seed": seed})


def _t(rng: np.random.Generator) -> float:
    return float(np.clip(rng.normal(50, 10), 20, 120))


def _counts(rng: np.random.Generator, prefix: str) -> dict[str, float]:
    out = zeros(prefix)
    for k in out:
        out[k] = float(rng.poisson(3) * (rng.random() < 0.5)) if k.endswith("minor") else float(
            rng.random() < 0.1)
    return out


@pytest.fixture
def cohort() -> Cohort:
    return synth_cohort()


@pytest.fixture
def make() -> Callable[[list[dict[str, Any]]], pd.DataFrame]:
    """Builder of observation tables from partial rows."""
    return make_obs


@pytest.fixture
def zero() -> Callable[..., dict[str, float]]:
    """All counts of one instrument at zero, with overrides."""
    return zeros


@pytest.fixture
def synth() -> Callable[..., Cohort]:
    """Generator of small random valid cohorts."""
    return synth_cohort
