"""Derived violence measures: instrument totals per row and family incident totals per wave.

All functions are pure: they take the ``observations`` table (see
:mod:`kbeffect.data.schema`) and return new DataFrames; the input is never modified.

Conventions
-----------
* Counts are incidents **in the wave's reference period as reported**: the past year at
  waves 0 and 1 and the past half year at wave 2. ``family_incidents`` also returns
  ``total_per_year = total / exposure``.
* An instrument total is missing (NaN) when the row's reporter did not answer that
  instrument (every subscale missing) **and** when the instrument was answered
  incompletely (some subscale missing): a partial sum would silently treat unanswered
  items as zero incidents.
* Rows whose questionnaire failed the validity scales (``valid == False``) are excluded
  from family-level aggregates by default; the count is attached to the result as
  ``result.attrs["exclusions"]`` (a :class:`kbeffect._results.Exclusions`).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from kbeffect._results import Exclusions
from kbeffect._validation import check_columns, check_literal
from kbeffect.data import schema
from kbeffect.errors import DataError, SchemaError

__all__ = [
    "INSTRUMENTS",
    "add_violence_totals",
    "family_incidents",
    "instrument_columns",
    "valid_rows",
]

InvalidRule = Literal["exclude", "include"]

#: Violence instruments: prefix -> subscales (see :func:`kbeffect.data.schema.count_columns`).
INSTRUMENTS: dict[str, tuple[str, ...]] = {
    "pv": schema.PV_SUBSCALES,
    "cmp": schema.CM_PARENT_SUBSCALES,
    "cmc": schema.CM_CHILD_SUBSCALES,
}

TOTAL_COLUMNS: tuple[str, ...] = tuple(
    f"{p}_{s}" for p in INSTRUMENTS for s in ("minor", "severe", "total")
)


def instrument_columns(prefix: str, severity: str | None = None) -> list[str]:
    """Return the count columns of one instrument.

    Parameters
    ----------
    prefix : {"pv", "cmp", "cmc"}
        Instrument: partner violence, child abuse parent version, child abuse child version.
    severity : {"minor", "severe"}, optional
        Restrict to one severity; default both.

    Returns
    -------
    list of str
        Column names such as ``"pv_phys_minor"``.
    """
    check_literal("prefix", prefix, INSTRUMENTS)
    sevs = schema.SEVERITIES if severity is None else (check_literal("severity", severity,
                                                                     schema.SEVERITIES),)
    return [f"{prefix}_{sub}_{sev}" for sub in INSTRUMENTS[prefix] for sev in sevs]


def _complete_sum(frame: pd.DataFrame) -> pd.Series:
    """Row sum that is NaN as soon as one summand is missing."""
    total = frame.sum(axis=1, min_count=1)
    return total.where(frame.notna().all(axis=1))


def add_violence_totals(observations: pd.DataFrame) -> pd.DataFrame:
    """Return a copy of ``observations`` with minor, severe and total counts per instrument.

    Parameters
    ----------
    observations : DataFrame
        The observations table. For each instrument (``pv``, ``cmp``, ``cmc``) either all of
        its subscale count columns are present or none is.

    Returns
    -------
    DataFrame
        A copy with nine added float columns: ``pv_minor``, ``pv_severe``, ``pv_total``,
        ``cmp_minor``, ``cmp_severe``, ``cmp_total``, ``cmc_minor``, ``cmc_severe``,
        ``cmc_total``. Each is the sum over the instrument's subscales
        (``<prefix>_<subscale>_<severity>``); ``*_total`` sums both severities. A value is
        NaN when any summand is missing (instrument not answered by this row's reporter, or
        answered incompletely); an instrument whose columns are all absent gives NaN.

    Raises
    ------
    SchemaError
        If ``observations`` is not a DataFrame, already holds one of the total columns, or
        holds only part of an instrument's count columns.
    """
    check_columns(observations, [], table="observations")
    clash = [c for c in TOTAL_COLUMNS if c in observations.columns]
    if clash:
        raise SchemaError(
            f"observations already has derived column(s) {clash}; drop them before calling "
            "add_violence_totals()."
        )
    out = observations.copy()
    for prefix in INSTRUMENTS:
        cols = instrument_columns(prefix)
        present = [c for c in cols if c in out.columns]
        if present and len(present) < len(cols):
            missing = [c for c in cols if c not in out.columns]
            raise SchemaError(
                f"observations has part of the {prefix!r} count columns: {missing} are absent. "
                "Add them (NaN where not answered) so instrument totals are not partial sums."
            )
        if not present:
            for sev in ("minor", "severe", "total"):
                out[f"{prefix}_{sev}"] = np.nan
            continue
        counts = out[cols].astype(float)
        minor = _complete_sum(counts[instrument_columns(prefix, "minor")])
        severe = _complete_sum(counts[instrument_columns(prefix, "severe")])
        out[f"{prefix}_minor"] = minor
        out[f"{prefix}_severe"] = severe
        out[f"{prefix}_total"] = minor + severe
    return out


def valid_rows(
    observations: pd.DataFrame, *, invalid: InvalidRule = "exclude"
) -> tuple[pd.DataFrame, Exclusions]:
    """Split off questionnaires that failed the validity scales.

    Parameters
    ----------
    observations : DataFrame
        The observations table; the ``valid`` column is optional (absent = all valid).
    invalid : {"exclude", "include"}
        Whether rows with ``valid == False`` are excluded (default) or kept.

    Returns
    -------
    rows : DataFrame
        The rows to analyse.
    exclusions : Exclusions
        Count (unit ``"rows"``) of excluded rows, with their ``(person_id, reporter_id,
        wave)`` keys as ids.

    Raises
    ------
    DataError
        If ``valid`` has missing values.
    """
    check_literal("invalid", invalid, ("exclude", "include"))
    exclusions = Exclusions(unit="rows")
    if "valid" not in observations.columns or invalid == "include":
        return observations, exclusions
    valid = observations["valid"]
    if valid.isna().any():
        raise DataError(
            f"observations column 'valid' has {int(valid.isna().sum())} missing values; "
            "it must be True or False on every row."
        )
    bad = ~valid.astype(bool)
    if bad.any():
        keys = [k for k in schema.KEYS["observations"] if k in observations.columns]
        ids = list(observations.loc[bad, keys].itertuples(index=False, name=None))
        exclusions = exclusions.add("questionnaire failed the validity scales (valid == False)",
                                    ids)
    return observations.loc[~bad], exclusions


def _with_totals(observations: pd.DataFrame) -> pd.DataFrame:
    if all(c in observations.columns for c in TOTAL_COLUMNS):
        return observations
    return add_violence_totals(observations)


def _group_complete_sum(values: pd.Series, keys: list[pd.Series]) -> pd.Series:
    """Group sum that is NaN for groups with a missing value."""
    grouped = values.groupby(keys, sort=True)
    total = grouped.sum(min_count=1)
    has_nan = values.isna().groupby(keys, sort=True).any()
    return total.where(~has_nan)


def family_incidents(
    observations: pd.DataFrame, *, invalid: InvalidRule = "exclude"
) -> pd.DataFrame:
    """Total violence incidents per family and wave (parent reports), as in Table 5.8.

    For each parent who reports at a family-wave, the parent's total is their own
    partner-violence total (``pv_total`` on the row where they report on themselves) plus
    the sum of their child-abuse totals (``cmp_total``) over the children they report on.
    The family value is the **mean over the family's reporting parents** with a complete
    total. The report does not state how the two parents of a family are combined; the mean
    keeps one- and two-parent families on the same scale (a sum would double partner
    violence that both partners report about the same relationship).

    Parameters
    ----------
    observations : DataFrame
        The observations table with ``family_id``, ``person_id``, ``role``, ``reporter``,
        ``reporter_id``, ``wave``, ``exposure`` and the count columns (or the totals from
        :func:`add_violence_totals`).
    invalid : {"exclude", "include"}
        Treatment of questionnaires with ``valid == False`` (default: excluded and counted).

    Returns
    -------
    DataFrame
        One row per family-wave with at least one parent report, sorted by family and wave:
        ``family_id``, ``wave``, ``pv_total``, ``cm_total``, ``total`` (means over reporting
        parents of their partner-violence, child-abuse and combined totals; incidents per
        reference period), ``exposure`` (years), ``total_per_year`` (``total / exposure``)
        and ``n_reporters`` (parents with a complete total). A parent whose partner-violence
        total or one of whose child reports is missing does not contribute; a family-wave
        without any complete parent total has NaN values and ``n_reporters == 0``.
        ``attrs["exclusions"]`` counts the excluded invalid questionnaires.

    Raises
    ------
    SchemaError
        If a required column is missing.
    DataError
        If ``exposure`` differs between rows of the same wave of a family.
    """
    need = ["family_id", "person_id", "role", "reporter", "reporter_id", "wave", "exposure"]
    check_columns(observations, need, table="observations")
    rows, exclusions = valid_rows(observations, invalid=invalid)
    obs = _with_totals(rows)
    by_parent = obs[obs["reporter"] == "parent"]
    self_rows = by_parent[(by_parent["role"] == "parent")
                          & (by_parent["person_id"] == by_parent["reporter_id"])]
    child_rows = by_parent[by_parent["role"] == "child"]
    keys = ["family_id", "wave", "reporter_id"]
    reporters = by_parent[keys].drop_duplicates().set_index(keys).sort_index()
    pv = self_rows.groupby(keys)["pv_total"].first()
    cm = _group_complete_sum(child_rows["cmp_total"], [child_rows[k] for k in keys])
    per_parent = reporters.assign(pv_total=pv, cm_total=cm)
    per_parent["total"] = per_parent["pv_total"] + per_parent["cm_total"]
    complete = per_parent["total"].notna()
    per_parent.loc[~complete, ["pv_total", "cm_total"]] = np.nan
    fam = per_parent.groupby(level=["family_id", "wave"])[["pv_total", "cm_total", "total"]].mean()
    fam["n_reporters"] = complete.groupby(level=["family_id", "wave"]).sum().astype(int)
    exposure = _family_wave_exposure(obs)
    fam["exposure"] = exposure.reindex(fam.index)
    fam["total_per_year"] = fam["total"] / fam["exposure"]
    out = fam.reset_index()[["family_id", "wave", "pv_total", "cm_total", "total", "exposure",
                             "total_per_year", "n_reporters"]]
    out.attrs["exclusions"] = exclusions
    return out


def _family_wave_exposure(obs: pd.DataFrame) -> pd.Series:
    grouped = obs.groupby(["family_id", "wave"])["exposure"]
    lo, hi = grouped.min(), grouped.max()
    bad = ~np.isclose(lo.to_numpy(float), hi.to_numpy(float), equal_nan=True)
    if bad.any():
        example = list(lo.index[bad][:3])
        raise DataError(
            f"observations column 'exposure' differs within family-waves {example} "
            f"({int(bad.sum())} family-waves in all); one reference period per wave is expected."
        )
    return lo
