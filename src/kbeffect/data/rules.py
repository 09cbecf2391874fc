"""The study's published classification rules, as tested functions.

* :func:`family_severity`: family violence severity none / moderate / frequent-or-severe,
  in the KB-study wording (``variant="report"``) and the cohort-2 policy tool's wording
  (``variant="policy_tool"``).
* :func:`violence_stopped`: no incident of child abuse or partner violence at a wave.
* :func:`trauma_clinical`: clinical range on at least one trauma scale.
* :func:`risk_cumulation` and :func:`policy_typology` live in
  :mod:`kbeffect.data.risk` and are re-exported here.

Severity thresholds
-------------------
Counts are those of the wave's reference period as reported (T2 covers half a year);
``family_severity(..., counts="per_year")`` annualises the mild counts first.
Per family-wave, with ``PV`` = the highest mild partner-violence count of any reporter
(``pv_minor``), ``CM`` = the highest mild child-abuse count any reporter gives for one
child (``cmp_minor`` of a parent on a child, ``cmc_minor`` of a child on themself) and
``S`` = whether anyone reports a severe incident (any ``pv_severe``, ``cmp_severe`` or
``cmc_severe`` > 0):

============================  ==========================  ==============================
category                      ``variant="report"``        ``variant="policy_tool"``
============================  ==========================  ==============================
frequent or severe            S or PV > 21 or CM >= 3     S or PV > 22 or CM > 2
none                          PV < 4 and CM == 0          PV <= 3 and CM == 0
moderate                      everything else             everything else
============================  ==========================  ==============================

The two wordings agree everywhere except at **exactly 22 mild partner-violence incidents**:
severe in the report (">21"; chapter 4 says "22 or more"), moderate in the tool (its
"moderate" is "> 3 and < 22" and its "severe" is "> 22", leaving 22 unassigned; we assign
it to moderate because it does not meet the tool's explicit severe criterion). The report's
moderate row says the highest mild child-abuse count "was 2"; we read it as "up to 2"
(1 or 2), which the tool states explicitly ("<= 2"). The report's literal moderate row
also requires PV in 4-21, which would leave families with PV < 4 and CM of 1 or 2
unclassified; both variants classify them as moderate (not none: CM > 0; not severe).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from kbeffect._results import Exclusions
from kbeffect._validation import check_columns, check_literal
from kbeffect.data import schema
from kbeffect.data.derive import InvalidRule, _with_totals, valid_rows
from kbeffect.data.risk import policy_typology, risk_cumulation
from kbeffect.errors import SchemaError, SpecificationError

__all__ = [
    "SEVERITY_LEVELS",
    "SEVERITY_THRESHOLDS",
    "classify_severity",
    "family_severity",
    "policy_typology",
    "risk_cumulation",
    "trauma_clinical",
    "trauma_columns",
    "violence_stopped",
]

SeverityVariant = Literal["report", "policy_tool"]

#: Ordered levels of the family violence severity.
SEVERITY_LEVELS: tuple[str, ...] = ("none", "moderate", "severe")

#: Thresholds per variant: the smallest mild-PV count that is severe, the largest mild-PV
#: count that is none, and the smallest mild-CM count that is severe.
SEVERITY_THRESHOLDS: dict[str, dict[str, int]] = {
    "report": {"pv_severe_from": 22, "pv_none_upto": 3, "cm_severe_from": 3},
    "policy_tool": {"pv_severe_from": 23, "pv_none_upto": 3, "cm_severe_from": 3},
}

_KEYS = ["family_id", "wave"]


def classify_severity(
    pv_minor: np.ndarray, cm_minor: np.ndarray, any_severe: np.ndarray, *,
    variant: SeverityVariant = "report",
) -> np.ndarray:
    """Classify family-waves from their highest counts (the kernel of :func:`family_severity`).

    Parameters
    ----------
    pv_minor, cm_minor : ndarray of float, shape (n,)
        Highest mild partner-violence and mild child-abuse count; NaN = not reported.
    any_severe : ndarray of float, shape (n,)
        1.0 if a severe incident is reported, 0.0 if not, NaN if unknown.
    variant : {"report", "policy_tool"}
        Rule wording (see the module docstring).

    Returns
    -------
    ndarray of object, shape (n,)
        ``"none"``, ``"moderate"``, ``"severe"`` or ``None`` (not determinable). A family
        is severe as soon as one known criterion says so, even if others are missing; it
        is none or moderate only when all three inputs are known.
    """
    check_literal("variant", variant, SEVERITY_THRESHOLDS)
    th = SEVERITY_THRESHOLDS[variant]
    pv = np.asarray(pv_minor, dtype=float)
    cm = np.asarray(cm_minor, dtype=float)
    sv = np.asarray(any_severe, dtype=float)
    with np.errstate(invalid="ignore"):
        severe = (sv > 0) | (pv >= th["pv_severe_from"]) | (cm >= th["cm_severe_from"])
        known = ~(np.isnan(pv) | np.isnan(cm) | np.isnan(sv))
        none = known & ~severe & (pv <= th["pv_none_upto"]) & (cm == 0)
    out = np.full(pv.shape, None, dtype=object)
    out[known] = "moderate"
    out[none] = "none"
    out[severe] = "severe"
    return out


def _severity_category(values: np.ndarray | pd.Series) -> pd.Categorical:
    return pd.Categorical(values, categories=list(SEVERITY_LEVELS), ordered=True)


def family_severity(
    observations: pd.DataFrame, *, variant: SeverityVariant = "report",
    counts: Literal["period", "per_year"] = "period", invalid: InvalidRule = "exclude",
) -> pd.DataFrame:
    """Family violence severity per family and wave from all members' reports.

    Parameters
    ----------
    observations : DataFrame
        The observations table with ``family_id``, ``wave`` and the count columns (or the
        totals of :func:`kbeffect.data.derive.add_violence_totals`).
    variant : {"report", "policy_tool"}
        ``"report"``: the KB-study rule (section 2.4.1); ``"policy_tool"``: the cohort-2
        tool's wording. They differ only at exactly 22 mild partner-violence incidents
        (see the module docstring for the full table).
    counts : {"period", "per_year"}
        ``"period"`` (default, as the report): thresholds apply to the counts of the
        wave's reference period, so a T2 count covers half a year. ``"per_year"``: mild
        counts are divided by ``exposure`` first (a T2 count is doubled), which makes the
        categories comparable across waves; severe incidents are unaffected.
    invalid : {"exclude", "include"}
        Treatment of questionnaires with ``valid == False`` (default: excluded, counted in
        ``attrs["exclusions"]``).

    Returns
    -------
    DataFrame
        One row per family-wave present in ``observations``: ``family_id``, ``wave``,
        ``pv_minor_max``, ``cm_minor_max`` (highest mild counts over reporters, and over
        children for child abuse), ``any_severe`` (float 0/1, NaN if nobody answered a
        violence instrument) and ``severity`` (ordered categorical none < moderate <
        severe). Counts are per reference period as reported (T2 = half a year), as in the
        report. Reporters who did not answer an instrument do not contribute to its
        maximum; a family-wave where nobody answered the partner-violence or neither
        child-abuse instrument is missing (NaN) unless a known count already makes it
        severe.
    """
    check_columns(observations, _KEYS, table="observations")
    check_literal("counts", counts, ("period", "per_year"))
    rows, exclusions = valid_rows(observations, invalid=invalid)
    obs = _with_totals(rows)
    if counts == "per_year":
        check_columns(obs, ["exposure"], table="observations")
        obs = obs.copy()
        for col in ("pv_minor", "cmp_minor", "cmc_minor"):
            obs[col] = obs[col] / obs["exposure"].astype(float)
    grouped = obs.groupby(_KEYS, sort=True)
    pv = grouped["pv_minor"].max()
    cm = pd.concat([grouped["cmp_minor"].max(), grouped["cmc_minor"].max()], axis=1).max(axis=1)
    sev = pd.concat([grouped[f"{p}_severe"].max() for p in ("pv", "cmp", "cmc")], axis=1)
    any_severe = (sev > 0).astype(float).where(sev.notna()).max(axis=1)
    severity = classify_severity(pv.to_numpy(), cm.to_numpy(), any_severe.to_numpy(),
                                 variant=variant)
    out = pd.DataFrame({"pv_minor_max": pv, "cm_minor_max": cm, "any_severe": any_severe})
    out = out.reset_index()
    out["severity"] = _severity_category(severity)
    out.attrs["exclusions"] = exclusions
    return out[[*_KEYS, "pv_minor_max", "cm_minor_max", "any_severe", "severity"]]


def violence_stopped(
    observations: pd.DataFrame, *, wave: int = 2, invalid: InvalidRule = "exclude"
) -> pd.DataFrame:
    """Whether violence stopped: nobody reports a child-abuse or partner-violence incident.

    Parameters
    ----------
    observations : DataFrame
        The observations table with ``family_id``, ``wave`` and the count columns.
    wave : {0, 1, 2}
        The wave judged (default 2: the last half year, as in the report).
    invalid : {"exclude", "include"}
        Treatment of questionnaires with ``valid == False``.

    Returns
    -------
    DataFrame
        ``family_id`` and ``stopped`` (bool) for every family with at least one answered
        violence instrument at ``wave``: True when every answered partner-violence and
        child-abuse total (parent and child reports) is zero. Families observed at another
        wave but not at ``wave``, and families observed at ``wave`` without any answered
        violence instrument, are absent and counted in ``attrs["exclusions"]`` (unit
        ``"families"``, with the invalid questionnaires as a separate reason).
    """
    check_columns(observations, _KEYS, table="observations")
    if wave not in schema.WAVES:
        raise SpecificationError(f"wave={wave!r} is not valid; expected one of {schema.WAVES}.")
    rows, invalid_ex = valid_rows(observations, invalid=invalid)
    obs = _with_totals(rows)
    at = obs[obs["wave"] == wave]
    totals = at[["pv_total", "cmp_total", "cmc_total"]]
    answered = totals.notna().any(axis=1)
    any_incident = (totals > 0).any(axis=1)
    fam_answered = answered.groupby(at["family_id"]).any()
    fam_incident = any_incident.groupby(at["family_id"]).any()
    keep = fam_answered[fam_answered].index
    out = pd.DataFrame({"family_id": keep,
                        "stopped": ~fam_incident.reindex(keep).to_numpy(bool)})
    exclusions = Exclusions(unit="families")
    all_families = pd.Index(observations["family_id"].unique())
    not_seen = all_families.difference(pd.Index(at["family_id"].unique()))
    no_answer = fam_answered.index[~fam_answered.to_numpy(bool)]
    if len(not_seen):
        exclusions = exclusions.add(f"no (valid) observation at wave {wave}", sorted(not_seen))
    if len(no_answer):
        exclusions = exclusions.add(f"no violence instrument answered at wave {wave}",
                                    sorted(no_answer))
    out.attrs["exclusions"] = exclusions
    out.attrs["invalid_rows"] = invalid_ex
    return out.sort_values("family_id", ignore_index=True)


def trauma_columns(columns: pd.Index | list[str] | None = None) -> list[str]:
    """Return the clinical trauma scale columns (TSI, TSCYC, TSCC).

    Parameters
    ----------
    columns : sequence of str, optional
        Restrict to those present in ``columns``.

    Returns
    -------
    list of str
        ``tsi_*``, ``tscyc_*`` and ``tscc_*`` column names.
    """
    names = ([f"tsi_{s}" for s in schema.TSI_SCALES]
             + [f"tscyc_{s}" for s in schema.TSCC_SCALES]
             + [f"tscc_{s}" for s in schema.TSCC_SCALES])
    if columns is None:
        return names
    present = set(columns)
    return [c for c in names if c in present]


def trauma_clinical(
    observations: pd.DataFrame, *, cutoff: float = schema.CLINICAL_T
) -> pd.Series:
    """Flag rows scoring in the clinical range on at least one trauma scale.

    Parameters
    ----------
    observations : DataFrame
        The observations table; the TSI, TSCYC and TSCC scale columns present are used.
    cutoff : float
        Clinical cut-off on the T-scores (default :data:`kbeffect.data.schema.CLINICAL_T`,
        65); a score counts as clinical when ``>= cutoff``.

    Returns
    -------
    Series of pandas ``boolean`` dtype, aligned to ``observations``
        True if any observed scale is ``>= cutoff``; False if at least one scale is observed
        and none reaches the cut-off; missing (``pd.NA``) when the row has no trauma scale.

    Raises
    ------
    SchemaError
        If ``observations`` has no trauma scale column at all.
    """
    check_columns(observations, [], table="observations")
    cols = trauma_columns(observations.columns)
    if not cols:
        raise SchemaError(
            "observations has no trauma scale column (tsi_*, tscyc_*, tscc_*); "
            f"expected some of {trauma_columns()[:3]} ..."
        )
    cutoff = float(cutoff)
    scores = observations[cols].astype(float)
    flag = (scores >= cutoff).any(axis=1)
    observed = scores.notna().any(axis=1)
    out = pd.Series(pd.array(flag.to_numpy(), dtype="boolean"), index=observations.index,
                    name="trauma_clinical")
    out[~observed.to_numpy()] = pd.NA
    return out
