"""Realise a simulated world into the four cohort tables of :mod:`kbeffect.data.schema`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from kbeffect.data import schema
from kbeffect.sim import _constants as C
from kbeffect.sim._engine import World
from kbeffect.sim.attrition import draw_presence
from kbeffect.sim.violence import draw_counts, zero_probs
from kbeffect.sim.wellbeing import scale_specs

__all__ = ["Realised", "build_tables", "realise"]

_PV_SEV = np.array([C.PV_SEVERE[k] for k in schema.PV_SUBSCALES])
_CMP_SEV = np.array([C.CMP_SEVERE[k] for k in schema.CM_PARENT_SUBSCALES])
_CMC_SEV = np.array([C.CMC_SEVERE[k] for k in schema.CM_CHILD_SUBSCALES])
_COUNT_MAX = 2000.0


@dataclass(frozen=True, slots=True)
class Realised:
    """Realised outcomes of a world under its actual treatment (shapes in brackets).

    Attributes
    ----------
    active : (n_families, 3) bool
    pv, cmp, cmc : tuples (minor, severe) of (n_rows, n_subscales, 3)
    z_parent : (n_parents, 5, 3);  z_child : (n_children, 4, 3)
    help_parent : (n_parents, 9, 2);  help_child : (n_children, 9, 2)
    present : (n_families, 3) bool
    """

    active: np.ndarray
    pv: tuple[np.ndarray, np.ndarray]
    cmp: tuple[np.ndarray, np.ndarray]
    cmc: tuple[np.ndarray, np.ndarray]
    z_parent: np.ndarray
    z_child: np.ndarray
    help_parent: np.ndarray
    help_child: np.ndarray
    present: np.ndarray


def realise(world: World, rng: np.random.Generator) -> Realised:
    """Draw the outcomes of every family under its actual treatment."""
    s, sc = world.structure, world.scenario
    order = world.order
    ph, ch = world.help_under(order)
    vm = world.violence_under(order, ph)
    active = world.vnoise.u_active < vm.p_active
    pi_pv, pi_cmp, pi_cmc = zero_probs(sc)
    fp, fpair, fc = s.parent_family, s.parent_family[s.pair_parent], s.child_family
    severe_ok = ~world.vnoise.mild_only
    pv = draw_counts(vm.mu_pv, active[fp], pi_pv, _PV_SEV * severe_ok[fp][:, None], sc, rng)
    cmp = draw_counts(vm.mu_cmp, active[fpair], pi_cmp, _CMP_SEV * severe_ok[fpair][:, None],
                      sc, rng)
    cmc = draw_counts(vm.mu_cmc, active[fc], pi_cmc, _CMC_SEV * severe_ok[fc][:, None], sc, rng)
    pm, pload, cm, cload = world.wellbeing_under(order, ph, ch)
    zp = pm + pload[None, :, None] * active[fp][:, None, :] + world.wnoise.occasion_parent
    zc = cm + cload[None, :, None] * active[fc][:, None, :] + world.wnoise.occasion_child
    # observed baseline severity: mean over parents of own pv + reported child abuse (T0)
    per_parent = pv[0][:, :, 0].sum(1) + pv[1][:, :, 0].sum(1)
    np.add.at(per_parent, s.pair_parent, cmp[0][:, :, 0].sum(1) + cmp[1][:, :, 0].sum(1))
    base = np.bincount(fp, weights=per_parent, minlength=s.n_families) / s.n_parents_family
    present = draw_presence(sc, base, active[:, 1].astype(int) + active[:, 2], rng)
    return Realised(active=active, pv=pv, cmp=cmp, cmc=cmc, z_parent=zp, z_child=zc,
                    help_parent=ph, help_child=ch, present=present)


def _cat(values: np.ndarray, levels: tuple[str, ...]) -> Any:
    return pd.Categorical.from_codes(values.astype(np.int64),
                                     dtype=pd.CategoricalDtype(list(levels)))


def _nullable_bool(x: np.ndarray) -> pd.Series:
    out = pd.Series(x > 0.5, dtype="boolean")
    out[np.isnan(x)] = pd.NA
    return out


def build_tables(world: World, real: Realised, rng: np.random.Generator) -> dict[str, pd.DataFrame]:
    """Return the ``families``, ``parents``, ``children`` and ``observations`` tables."""
    s = world.structure
    n, n_p, n_c = s.n_families, s.parent_family.shape[0], s.child_family.shape[0]
    fam_id = np.arange(1, n + 1)
    par_id = np.arange(1, n_p + 1)
    chi_id = np.arange(n_p + 1, n_p + n_c + 1)
    families = pd.DataFrame({
        "family_id": fam_id,
        "group": _cat(s.group, schema.GROUPS),
        "kb_type": _cat(s.kb_type, schema.KB_TYPES),
        "stream": _cat(s.stream, schema.STREAMS),
        "income": _cat(s.income, schema.INCOME_LEVELS),
        "paid_work": _nullable_bool(s.paid_work),
        "education": _cat(s.education, schema.EDUCATION_LEVELS),
        "migration": _nullable_bool(s.migration),
        "single_parent": _nullable_bool(s.single_parent),
    })
    parents = pd.DataFrame({
        "person_id": par_id, "family_id": fam_id[s.parent_family],
        "sex": _cat(s.parent_father.astype(np.int8), ("mother", "father")),
        "aces": s.parent_aces, "drinks_week": s.parent_drinks,
        "partner_drinks_week": s.parent_partner_drinks,
    })
    children = pd.DataFrame({
        "person_id": chi_id, "family_id": fam_id[s.child_family],
        "sex": _cat((~s.child_girl).astype(np.int8), ("girl", "boy")), "age": s.child_age,
    })
    # validity: one draw per reporter and wave (a questionnaire booklet)
    rate = world.scenario.invalid_rate
    valid_parent = rng.random((n_p, 3)) >= rate
    valid_child = rng.random((n_c, 3)) >= rate
    blocks = []
    for w in schema.WAVES:
        blocks.append(_parent_rows(world, real, w, par_id, fam_id, valid_parent, rng))
        blocks.append(_pair_rows(world, real, w, par_id, chi_id, fam_id, valid_parent, rng))
        blocks.append(_child_rows(world, real, w, chi_id, fam_id, valid_child, rng))
    obs = pd.concat(blocks, ignore_index=True)
    columns = [c.name for c in schema.OBSERVATION_COLUMNS]
    obs = obs.reindex(columns=columns)
    for col in schema.count_columns():
        obs[col.name] = obs[col.name].astype(float)
    for h in schema.HELP_TYPES:
        obs[f"help_{h}"] = obs[f"help_{h}"].astype("boolean")
    for c in ("role", "reporter"):
        obs[c] = pd.Categorical(obs[c], categories=list(schema.ROLES))
    obs["valid"] = obs["valid"].astype(bool)
    obs = obs.sort_values(["family_id", "wave", "person_id", "reporter_id"], ignore_index=True)
    return {"families": families, "parents": parents, "children": children, "observations": obs}


def _counts(prefix: str, subs: tuple[str, ...], minor: np.ndarray, severe: np.ndarray,
            rows: np.ndarray, w: int) -> dict[str, np.ndarray]:
    out = {}
    for j, sub in enumerate(subs):
        out[f"{prefix}_{sub}_minor"] = np.minimum(minor[rows, j, w], _COUNT_MAX)
        out[f"{prefix}_{sub}_severe"] = np.minimum(severe[rows, j, w], _COUNT_MAX)
    return out


def _scales(reporter: str, z: np.ndarray, rows: np.ndarray, w: int,
            rng: np.random.Generator) -> dict[str, np.ndarray]:
    names = C.PARENT_CONSTRUCTS if reporter == "parent_self" else C.CHILD_CONSTRUCTS
    out = {}
    for spec in scale_specs(reporter):
        zc = z[rows, names.index(spec.construct), w]
        err = rng.standard_normal(rows.shape[0])
        x = spec.mean + spec.sd * (spec.loading * zc + np.sqrt(1.0 - spec.loading**2) * err)
        out[spec.column] = np.clip(x, spec.low, spec.high)
    return out


def _help_cols(help_arr: np.ndarray, rows: np.ndarray, w: int) -> dict[str, np.ndarray]:
    out = {}
    for j, h in enumerate(schema.HELP_TYPES):
        if w == 0:
            out[f"help_{h}"] = np.full(rows.shape[0], np.nan)
        else:
            out[f"help_{h}"] = help_arr[rows, j, w - 1].astype(float)
    return out


def _base(fam: np.ndarray, person: np.ndarray, role: str, reporter: str, rid: np.ndarray,
          w: int, valid: np.ndarray) -> dict[str, object]:
    return {"family_id": fam, "person_id": person, "role": role, "reporter": reporter,
            "reporter_id": rid, "wave": np.full(fam.shape[0], w, dtype=np.int64),
            "exposure": np.full(fam.shape[0], C.EXPOSURE[w]), "valid": valid}


def _parent_rows(world: World, real: Realised, w: int, par_id: np.ndarray, fam_id: np.ndarray,
                 valid: np.ndarray, rng: np.random.Generator) -> pd.DataFrame:
    s = world.structure
    rows = np.flatnonzero(real.present[s.parent_family, w])
    d = _base(fam_id[s.parent_family[rows]], par_id[rows], "parent", "parent", par_id[rows], w,
              valid[rows, w])
    d.update(_counts("pv", schema.PV_SUBSCALES, *real.pv, rows, w))
    d.update(_scales("parent_self", real.z_parent, rows, w, rng))
    d.update(_help_cols(real.help_parent, rows, w))
    return pd.DataFrame(d)


def _pair_rows(world: World, real: Realised, w: int, par_id: np.ndarray, chi_id: np.ndarray,
               fam_id: np.ndarray, valid: np.ndarray, rng: np.random.Generator) -> pd.DataFrame:
    s = world.structure
    rows = np.flatnonzero(real.present[s.parent_family[s.pair_parent], w])
    par, chi = s.pair_parent[rows], s.pair_child[rows]
    d = _base(fam_id[s.parent_family[par]], chi_id[chi], "child", "parent", par_id[par], w,
              valid[par, w])
    d.update(_counts("cmp", schema.CM_PARENT_SUBSCALES, *real.cmp, rows, w))
    sc = _scales("parent_child", real.z_child, chi, w, rng)
    young = s.child_age[chi] < 13.0
    for k in list(sc):
        if k.startswith("tscyc_"):
            sc[k] = np.where(young, sc[k], np.nan)
    d.update(sc)
    d.update(_help_cols(real.help_child, chi, w))
    return pd.DataFrame(d)


def _child_rows(world: World, real: Realised, w: int, chi_id: np.ndarray, fam_id: np.ndarray,
                valid: np.ndarray, rng: np.random.Generator) -> pd.DataFrame:
    s = world.structure
    rows = np.flatnonzero(s.child_self & real.present[s.child_family, w])
    d = _base(fam_id[s.child_family[rows]], chi_id[rows], "child", "child", chi_id[rows], w,
              valid[rows, w])
    d.update(_counts("cmc", schema.CM_CHILD_SUBSCALES, *real.cmc, rows, w))
    d.update(_scales("child_self", real.z_child, rows, w, rng))
    return pd.DataFrame(d)
