"""Family-level analysis frame for the robustness audit.

One row per family of the order and voluntary groups, with the matching demographics, the
baseline problems that drive selection into an order (chapter 4), and family total incidents
per wave (Table 5.8 definition, :func:`kbeffect.data.derive.family_incidents`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from kbeffect._results import Exclusions
from kbeffect.data.cohort import Cohort
from kbeffect.data.derive import family_incidents, valid_rows
from kbeffect.data.rules import family_severity, trauma_clinical
from kbeffect.errors import DataError

__all__ = ["CONFOUNDERS", "DEMOGRAPHICS", "analysis_frame", "complete_on", "parent_incidents"]

#: The five matching variables of the published design (section 3.2.2).
DEMOGRAPHICS: tuple[str, ...] = ("income", "paid_work", "education", "migration", "single_parent")
#: Baseline problems through which families select into an order (chapter 4).
CONFOUNDERS: tuple[str, ...] = ("child_trauma_t0", "stress_t0", "competence_t0")


def _baseline_problems(obs: pd.DataFrame) -> pd.DataFrame:
    """Per family at T0: any child in the clinical trauma range, mean stress and competence."""
    t0 = obs[obs["wave"] == 0]
    child = t0[t0["role"] == "child"]
    flag = trauma_clinical(child).astype("float")
    trauma = flag.groupby(child["family_id"]).max().rename("child_trauma_t0")
    parent = t0[(t0["role"] == "parent") & (t0["reporter"] == "parent")]
    scales = parent.groupby("family_id")[["nosi_stress", "nosi_competence"]].mean()
    scales.columns = ["stress_t0", "competence_t0"]
    return pd.concat([trauma, scales], axis=1)


def analysis_frame(cohort: Cohort) -> tuple[pd.DataFrame, Exclusions, Exclusions]:
    """Build the family-level frame of the audit.

    Parameters
    ----------
    cohort : Cohort
        A validated cohort (simulated or read from files).

    Returns
    -------
    frame : DataFrame
        One row per order or voluntary family: ``family_id``, ``order`` (1 = order,
        0 = voluntary help), ``kb_type``, the five :data:`DEMOGRAPHICS`, the
        :data:`CONFOUNDERS`, ``total_w{0,1,2}`` (family total incidents in the wave's
        period), ``rate_w{0,1,2}`` (the same per year), ``observed_w{0,1,2}``,
        ``completer`` (all three waves with a total) and ``violence_any`` (frequent/severe or
        moderate violence at one or more observed waves).
    families_excluded : Exclusions
        Families left out (preventive help), with counts.
    rows_excluded : Exclusions
        Questionnaires left out (failed validity scales), with counts.

    Raises
    ------
    DataError
        If the cohort has no order or no voluntary families.
    """
    fam = cohort.families
    excl = Exclusions(unit="families")
    prev = fam["group"].astype(str) == "preventive"
    if prev.any():
        excl = excl.add("preventive help (described at T0 only, not in effect analyses)",
                        fam.loc[prev, "family_id"])
    fam = fam.loc[~prev]
    groups = set(fam["group"].astype(str))
    if not {"kb", "voluntary"} <= groups:
        raise DataError(
            f"the audit compares groups 'kb' and 'voluntary'; families has groups {sorted(groups)}."
        )
    obs, rows_excl = valid_rows(cohort.observations)
    inc = family_incidents(obs, invalid="include")
    wide_total = inc.pivot(index="family_id", columns="wave", values="total")
    wide_rate = inc.pivot(index="family_id", columns="wave", values="total_per_year")
    sev = family_severity(obs)
    violent = sev.assign(v=sev["severity"].astype(str) != "none").groupby("family_id")["v"].any()

    out = fam[["family_id", "group", "kb_type", *DEMOGRAPHICS]].copy()
    out.insert(1, "order", (out.pop("group").astype(str) == "kb").astype(int))
    out = out.merge(_baseline_problems(obs), left_on="family_id", right_index=True, how="left")
    for w in (0, 1, 2):
        total = wide_total.get(w, pd.Series(dtype=float))
        rate = wide_rate.get(w, pd.Series(dtype=float))
        out[f"total_w{w}"] = out["family_id"].map(total).astype(float)
        out[f"rate_w{w}"] = out["family_id"].map(rate).astype(float)
        out[f"observed_w{w}"] = out[f"total_w{w}"].notna()
    out["completer"] = out[[f"observed_w{w}" for w in (0, 1, 2)]].all(axis=1)
    out["violence_any"] = out["family_id"].map(violent).fillna(False).astype(bool)
    for col in ("paid_work", "migration", "single_parent"):
        out[col] = out[col].astype("float")
    out["child_trauma_t0"] = out["child_trauma_t0"].astype(float)
    out["change_rate"] = out["rate_w2"] - out["rate_w0"]
    return out.reset_index(drop=True), excl, rows_excl


def complete_on(frame: pd.DataFrame, columns: list[str]) -> tuple[pd.DataFrame, int]:
    """Rows of ``frame`` with no missing value in ``columns``, and how many were left out."""
    ok = frame[columns].notna().all(axis=1).to_numpy()
    return frame.loc[ok].reset_index(drop=True), int(np.sum(~ok))


def parent_incidents(cohort: Cohort) -> pd.DataFrame:
    """Integer incident totals per reporting parent and wave, for count models.

    Each parent's own partner-violence total plus their child-abuse totals over the children
    they report on (the per-parent term of :func:`kbeffect.data.derive.family_incidents`).
    Parents with a missing component at a wave are left out of that wave (counted in
    ``attrs["n_incomplete"]``); invalid questionnaires are excluded.

    Returns
    -------
    DataFrame
        ``family_id``, ``reporter_id``, ``wave``, ``exposure`` (years) and ``count``.
    """
    from kbeffect.data.derive import add_violence_totals

    obs, _ = valid_rows(cohort.observations)
    obs = add_violence_totals(obs[obs["reporter"] == "parent"])
    keys = ["family_id", "reporter_id", "wave"]
    own = obs[obs["role"] == "parent"].groupby(keys)[["pv_total", "exposure"]].first()
    child = obs[obs["role"] == "child"]
    by_key = [child[k] for k in keys]
    has_nan = child["cmp_total"].isna().groupby(by_key).any()
    cm = child["cmp_total"].groupby(by_key).sum(min_count=1).where(~has_nan)
    out = own.join(cm, how="left")
    # a parent who reports on no child contributes partner violence only
    reported_children = out.index.isin(cm.index)
    out["count"] = out["pv_total"] + out["cmp_total"].where(reported_children, 0.0)
    complete = out["count"].notna()
    result = out.loc[complete, ["exposure", "count"]].reset_index()
    result.attrs["n_incomplete"] = int((~complete).sum())
    return result
