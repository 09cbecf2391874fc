"""Compare a (simulated) cohort with the published margins: :func:`calibration_table`.

Populations, as in the report where it says, and our choice where it does not:

* structure, background and baseline problems: all families, parents and children at T0
  (Tables 3.1, 4.3, chapter 4), valid questionnaires only;
* attrition: all T0 families;
* violence (chapter 5) and violence stopped: **completers** (families with rows at all
  three waves) with violence reported at one or more waves, in the order and voluntary
  groups. The report used the propensity-matched sample; matching is left to the design
  layer, so the calibration uses the unmatched completers (documented in
  ``docs/calibration.md``). Family totals use :func:`kbeffect.data.derive.family_incidents`,
  severity :func:`kbeffect.data.rules.family_severity` (``variant="report"``) and stopping
  :func:`kbeffect.data.rules.violence_stopped`;
* help over the 1.5 years: completers; a person received a type when it is reported at
  wave 1 or 2 (children: by either parent).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from kbeffect._validation import check_columns
from kbeffect.data import schema
from kbeffect.data.cohort import Cohort
from kbeffect.data.derive import add_violence_totals, family_incidents
from kbeffect.data.rules import family_severity, trauma_clinical, violence_stopped
from kbeffect.errors import SpecificationError
from kbeffect.sim._targets import TARGETS, Target

__all__ = ["CALIBRATION_SEED", "calibration_table"]

#: Seed of the default-size cohort shown in ``docs/calibration.md`` and checked by the
#: calibration test (every margin within tolerance).
CALIBRATION_SEED = 183

_COLUMNS = ["margin", "group", "wave", "target", "tolerance", "simulated", "difference",
            "within_tolerance", "key", "source"]


class _Ctx:
    """Derived tables shared by the margin computations (built once per cohort)."""

    def __init__(self, cohort: Cohort) -> None:
        fam = cohort.families
        obs = cohort.observations
        for name, table in (("families", fam), ("parents", cohort.parents),
                            ("children", cohort.children), ("observations", obs)):
            check_columns(table, [c.name for c in schema.TABLES[name] if c.required], table=name)
        self.fam = fam
        self.group = fam.set_index("family_id")["group"].astype(str)
        self.parents = cohort.parents.assign(group=cohort.parents["family_id"].map(self.group))
        self.children = cohort.children.assign(
            group=cohort.children["family_id"].map(self.group))
        self.obs_all = obs
        self.obs = add_violence_totals(obs[obs["valid"].astype(bool)])
        self.obs["group"] = self.obs["family_id"].map(self.group)
        fw = obs[["family_id", "wave"]].drop_duplicates()
        self.present: dict[int, set[int]] = {
            w: set(fw.loc[fw["wave"] == w, "family_id"].astype(int).tolist()) for w in (0, 1, 2)}
        complete = self.present[0] & self.present[1] & self.present[2]
        stopped = pd.concat([violence_stopped(obs, wave=w).assign(wave=w) for w in (0, 1, 2)])
        ever = stopped.groupby("family_id")["stopped"].agg(lambda s: bool((~s).any()))
        self.completers = complete
        self.violent = complete & set(ever.index[ever.to_numpy(bool)])
        self.stopped2 = stopped[stopped["wave"] == 2].set_index("family_id")["stopped"]
        self.incidents = family_incidents(obs)
        self.severity = family_severity(obs, variant="report")

    def in_group(self, frame: pd.DataFrame, group: str) -> pd.DataFrame:
        return frame if group == "all" else frame[frame["group"] == group]


def _pct(x: pd.Series) -> float:
    x = x.dropna()
    return float(100.0 * x.astype(float).mean()) if len(x) else np.nan


def _structure(c: _Ctx, t: Target) -> float:
    fam, par, ch = c.fam, c.parents, c.children
    key = t.key
    if key.startswith("share_group:"):
        return _pct(fam["group"].astype(str) == key.split(":")[1])
    if key == "uhp":
        return _pct(fam.loc[fam["group"] == "kb", "kb_type"].astype(str) == "ots_uhp")
    if key == "parents_per_family":
        return len(par) / len(fam)
    if key == "both_parents":
        return _pct(par.groupby("family_id").size().reindex(fam["family_id"], fill_value=0) == 2)
    if key == "fathers":
        return _pct(c.in_group(par, t.group)["sex"].astype(str) == "father")
    if key == "children_per_family":
        return len(ch) / len(fam)
    if key == "girls":
        return _pct(ch["sex"].astype(str) == "girl")
    if key == "age_3_12":
        return _pct(ch["age"] < 13)
    if key == "age_13_18":
        return _pct(ch["age"] >= 13)
    if key == "self_report":
        o = c.obs_all
        selfrep = set(o.loc[(o["wave"] == 0) & (o["reporter"] == "child"), "person_id"])
        return _pct(ch["person_id"].isin(selfrep))
    raise KeyError(key)


def _background(c: _Ctx, t: Target) -> float:
    f = c.in_group(c.fam.assign(group=c.fam["group"].astype(str)), t.group)
    var, _, level = t.key.partition(":")
    if var in ("income", "education"):
        return _pct((f[var].astype(str) == level).where(f[var].notna()))
    if var == "no_paid_work":
        return _pct(~f["paid_work"].astype("boolean"))
    return _pct(f[var].astype("boolean"))


def _problems(c: _Ctx, t: Target) -> float:
    o0 = c.obs[c.obs["wave"] == 0]
    if t.key == "child_trauma":
        rows = o0[o0["role"] == "child"]
        flag = trauma_clinical(rows).astype("Float64")
        per_child = flag.groupby(rows["person_id"]).max()
        grp = rows.groupby("person_id")["group"].first()
        return _pct(per_child[grp == t.group])
    if t.key == "parent_trauma":
        rows = o0[(o0["role"] == "parent") & (o0["group"] == t.group)]
        return _pct(trauma_clinical(rows).astype("Float64"))
    if t.key in ("drinking_own", "drinking_partner"):
        col = "drinks_week" if t.key == "drinking_own" else "partner_drinks_week"
        p = c.in_group(c.parents, t.group)
        return _pct((p[col] > 8).where(p[col].notna()))
    if t.key == "stress_gap":
        rows = o0[o0["role"] == "parent"]
        kb = rows.loc[rows["group"] == "kb", "nosi_stress"].dropna()
        vol = rows.loc[rows["group"] == "voluntary", "nosi_stress"].dropna()
        pooled = np.sqrt(((len(kb) - 1) * kb.var() + (len(vol) - 1) * vol.var())
                         / (len(kb) + len(vol) - 2))
        return float((kb.mean() - vol.mean()) / pooled)
    raise KeyError(t.key)


def _attrition(c: _Ctx, t: Target) -> float:
    n0 = len(c.present[0])
    if t.key == "present":
        return 100.0 * len(c.present[t.wave or 0] & c.present[0]) / n0
    return 100.0 * len(c.completers) / n0


def _violence(c: _Ctx, t: Target) -> float:
    fams = {f for f in c.violent if c.group.get(f) == t.group}
    key, _, sub = t.key.partition(":")
    if key == "total":
        inc = c.incidents
        return float(inc.loc[inc["family_id"].isin(fams) & (inc["wave"] == t.wave), "total"].mean())
    if key == "severity":
        sev = c.severity
        s = sev.loc[sev["family_id"].isin(fams) & (sev["wave"] == t.wave), "severity"]
        return _pct((s.astype(str) == sub).where(s.notna()))
    if key == "stopped":
        return _pct(c.stopped2[c.stopped2.index.isin(fams)])
    o = c.obs[c.obs["family_id"].isin(fams) & (c.obs["wave"] == t.wave)]
    if key.startswith("pv"):
        rows = o[(o["role"] == "parent") & (o["reporter"] == "parent")]
        total = rows["pv_total"]
    elif key.startswith("cmp"):
        rows = o[(o["role"] == "child") & (o["reporter"] == "parent")]
        total = rows["cmp_total"] if not sub else (rows[f"cmp_{sub}_minor"]
                                                   + rows[f"cmp_{sub}_severe"])
    else:
        rows = o[o["reporter"] == "child"]
        total = rows[[f"cmc_{s}_{v}" for s in ("psych", "phys")
                      for v in schema.SEVERITIES]].sum(axis=1, min_count=4)
    if key.endswith("_any"):
        return _pct((total > 0).where(total.notna()))
    return float(total.mean())


def _help(c: _Ctx, t: Target) -> float:
    role = t.key.split(":")[0].removeprefix("help_")
    h = t.key.split(":")[1]
    o = c.obs[c.obs["family_id"].isin(c.completers) & (c.obs["wave"] > 0)
              & (c.obs["group"] == t.group) & (c.obs["reporter"] == "parent")
              & (c.obs["role"] == role)]
    if h == "any_formal":
        cols = [f"help_{x}" for x in schema.HELP_TYPES if x != "informal"]
        got = o[cols].astype("Float64").max(axis=1)
    else:
        got = o[f"help_{h}"].astype("Float64")
    return _pct(got.groupby(o["person_id"]).max())


_DISPATCH: dict[str, Callable[[_Ctx, Target], float]] = {}
for _k in ("share_group", "uhp", "parents_per_family", "both_parents", "fathers",
           "children_per_family", "girls", "age_3_12", "age_13_18", "self_report"):
    _DISPATCH[_k] = _structure
for _k in ("income", "no_paid_work", "education", "migration", "single_parent"):
    _DISPATCH[_k] = _background
for _k in ("child_trauma", "parent_trauma", "drinking_own", "drinking_partner", "stress_gap"):
    _DISPATCH[_k] = _problems
for _k in ("present", "all_waves"):
    _DISPATCH[_k] = _attrition
for _k in ("total", "severity", "stopped", "pv_any", "pv_mean", "cmp_any", "cmp_mean",
           "cmc_any", "cmc_mean"):
    _DISPATCH[_k] = _violence
for _k in ("help_parent", "help_child"):
    _DISPATCH[_k] = _help


def calibration_table(cohort: Cohort) -> pd.DataFrame:
    """Compare a cohort's margins with the published targets of ``calibration_targets.md``.

    Parameters
    ----------
    cohort : Cohort
        A simulated (or real) cohort with the four schema tables.

    Returns
    -------
    pandas.DataFrame
        One row per published margin: ``margin``, ``group``, ``wave``, ``target``,
        ``tolerance`` (absolute, in the target's unit), ``simulated``, ``difference``
        (simulated - target), ``within_tolerance``, ``key`` and ``source`` (id in
        ``published_findings.md``). Percentages are in percent.

    Raises
    ------
    SpecificationError
        If ``cohort`` is not a :class:`~kbeffect.data.cohort.Cohort`.
    """
    if not isinstance(cohort, Cohort):
        raise SpecificationError(f"cohort must be a kbeffect Cohort; got {type(cohort).__name__}.")
    ctx = _Ctx(cohort)
    rows = []
    for t in TARGETS:
        sim = _DISPATCH[t.key.split(":")[0]](ctx, t)
        tol = t.tolerance * abs(t.target) if t.tol_kind == "rel" else t.tolerance
        rows.append({"margin": t.margin + (f" [{t.key.split(':')[1]}]" if ":" in t.key else ""),
                     "group": t.group, "wave": t.wave, "target": t.target, "tolerance": tol,
                     "simulated": sim, "difference": sim - t.target,
                     "within_tolerance": bool(np.isfinite(sim)
                                              and abs(sim - t.target) <= tol + 1e-12),
                     "key": t.key, "source": t.source})
    out = pd.DataFrame(rows, columns=_COLUMNS)
    out["wave"] = out["wave"].astype("Int64")
    return out
