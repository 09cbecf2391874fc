"""Cohort operations: subsets, completers, waves, family-level tables and descriptions.

The methods of :class:`kbeffect.data.cohort.Cohort` are thin wrappers of these functions.
Every subset keeps the four tables consistent (people and observations of the kept
families only) and records the step in ``meta["history"]``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from kbeffect._results import Summary, suppress_small_cells
from kbeffect._validation import check_columns, check_literal
from kbeffect.data import schema
from kbeffect.data.derive import add_violence_totals, valid_rows
from kbeffect.data.rules import family_severity
from kbeffect.errors import DataError, SpecificationError

if TYPE_CHECKING:
    from kbeffect.data.cohort import Cohort

__all__ = [
    "at_wave",
    "completers",
    "describe",
    "families_with_violence",
    "family_table",
    "subset",
]

ViolenceRule = Literal["severity", "any_incident"]


def _with_history(meta: dict[str, Any], step: str) -> dict[str, Any]:
    out = dict(meta)
    out["history"] = (*tuple(meta.get("history", ())), step)
    return out


def subset(cohort: Cohort, family_ids: Iterable[Any], *, step: str | None = None) -> Cohort:
    """Return the cohort restricted to ``family_ids`` (all four tables, order kept).

    Parameters
    ----------
    cohort : Cohort
        The cohort.
    family_ids : iterable
        Families to keep; every id must exist in ``cohort.families``.
    step : str, optional
        Description recorded in ``meta["history"]``.

    Returns
    -------
    Cohort
        A new cohort; ``truth`` is carried over unchanged.

    Raises
    ------
    DataError
        If an id is not a family of the cohort.
    """
    ids = pd.Index(pd.unique(np.asarray(list(family_ids))))
    unknown = ids.difference(pd.Index(cohort.families["family_id"]))
    if len(unknown):
        raise DataError(f"family_ids has {len(unknown)} ids that are not families of the "
                        f"cohort, e.g. {list(unknown[:3])}.")

    def keep(df: pd.DataFrame) -> pd.DataFrame:
        return df[df["family_id"].isin(ids)].reset_index(drop=True)

    return replace(
        cohort,
        families=keep(cohort.families), parents=keep(cohort.parents),
        children=keep(cohort.children), observations=keep(cohort.observations),
        meta=_with_history(cohort.meta, step or f"subset to {len(ids)} families"),
    )


def _waves_seen(cohort: Cohort, invalid: Literal["exclude", "include"]) -> pd.Series:
    obs, _ = valid_rows(cohort.observations, invalid=invalid)
    return obs.groupby("family_id")["wave"].agg(lambda w: frozenset(int(x) for x in w))


def completers(cohort: Cohort, waves: Sequence[int] = schema.WAVES, *,
               invalid: Literal["exclude", "include"] = "include") -> Cohort:
    """Families observed at every wave in ``waves`` (any row of any member counts).

    Parameters
    ----------
    cohort : Cohort
        The cohort.
    waves : sequence of int
        Required waves (default all three).
    invalid : {"include", "exclude"}
        Whether invalid questionnaires count as an observation (default: they do; use
        ``"exclude"`` to require a valid questionnaire at each wave).

    Returns
    -------
    Cohort
        The completers; ``meta["history"]`` records how many families were left out.
    """
    need = frozenset(int(w) for w in waves)
    if not need or not need <= set(schema.WAVES):
        raise SpecificationError(f"waves={tuple(waves)!r} must be a non-empty subset of "
                                 f"{schema.WAVES}.")
    seen = _waves_seen(cohort, invalid)
    keep = [f for f, w in seen.items() if need <= w]
    n_out = len(cohort.families) - len(keep)
    return subset(cohort, keep, step=f"completers of waves {sorted(need)}: {n_out} families "
                                     "left out")


def at_wave(cohort: Cohort, wave: int) -> Cohort:
    """Observations of one wave, and the families observed at that wave.

    Parameters
    ----------
    cohort : Cohort
        The cohort.
    wave : {0, 1, 2}
        The wave.

    Returns
    -------
    Cohort
        Families with at least one row at ``wave`` (their people and only that wave's
        observations).
    """
    if wave not in schema.WAVES:
        raise SpecificationError(f"wave={wave!r} is not valid; expected one of {schema.WAVES}.")
    obs = cohort.observations
    fams = obs.loc[obs["wave"] == wave, "family_id"].unique()
    out = subset(cohort, fams, step=f"families observed at wave {wave}")
    rows = out.observations[out.observations["wave"] == wave].reset_index(drop=True)
    return replace(out, observations=rows, meta=_with_history(out.meta, f"wave {wave} only"))


def families_with_violence(cohort: Cohort, *, rule: ViolenceRule = "severity") -> Cohort:
    """Families with violence at one or more waves (the report's effect-analysis sample).

    Parameters
    ----------
    cohort : Cohort
        The cohort.
    rule : {"severity", "any_incident"}
        ``"severity"`` (default, as the report): family severity moderate or severe
        (:func:`kbeffect.data.rules.family_severity`) at some wave; ``"any_incident"``: at
        least one incident of partner violence or child abuse reported by anyone.

    Returns
    -------
    Cohort
        The families meeting the rule.
    """
    check_literal("rule", rule, ("severity", "any_incident"))
    obs, _ = valid_rows(cohort.observations)
    if rule == "severity":
        sev = family_severity(obs, invalid="include")
        hit = sev["severity"].astype(object).isin(["moderate", "severe"])
        keep = sev.loc[hit.to_numpy(), "family_id"].unique()
    else:
        tot = add_violence_totals(obs)[["pv_total", "cmp_total", "cmc_total"]]
        hit = (tot > 0).any(axis=1)
        keep = obs.loc[hit.to_numpy(), "family_id"].unique()
    return subset(cohort, keep, step=f"families with violence at >= 1 wave (rule={rule!r})")


def family_table(cohort: Cohort) -> pd.DataFrame:
    """Families joined with per-family aggregates of their parents and children.

    Returns
    -------
    DataFrame
        The families table plus ``n_parents``, ``both_parents``, ``n_children``,
        ``mean_child_age``, ``min_child_age``, ``max_child_age``, ``any_child_8plus``
        (a child old enough to self-report), ``any_child_12plus`` and ``n_girls``.
        Families without children get 0 counts and missing ages.
    """
    fam = cohort.families
    check_columns(fam, ["family_id"], table="families")
    children = cohort.children.assign(
        _girl=(cohort.children["sex"].astype(object) == "girl").astype(int))
    kids = children.groupby("family_id").agg(
        n_children=("person_id", "size"), mean_child_age=("age", "mean"),
        min_child_age=("age", "min"), max_child_age=("age", "max"), n_girls=("_girl", "sum"),
    )
    n_par = cohort.parents.groupby("family_id").size().rename("n_parents")
    out = fam.merge(n_par, left_on="family_id", right_index=True, how="left")
    out = out.merge(kids, left_on="family_id", right_index=True, how="left")
    for col in ("n_parents", "n_children", "n_girls"):
        out[col] = out[col].fillna(0).astype("int64")
    pos = list(out.columns).index("n_parents") + 1
    out.insert(pos, "both_parents", out["n_parents"] >= 2)
    out["any_child_8plus"] = out["max_child_age"].ge(8).fillna(False).astype(bool)
    out["any_child_12plus"] = out["max_child_age"].ge(12).fillna(False).astype(bool)
    return out.reset_index(drop=True)


def describe(cohort: Cohort, *, suppress_below: int | None = None) -> Summary:
    """Describe a cohort by counts per group and wave (no row-level data).

    Parameters
    ----------
    cohort : Cohort
        The cohort.
    suppress_below : int, optional
        Replace counts ``0 < n < suppress_below`` by missing (small-cell suppression).

    Returns
    -------
    Summary
        Tables "People at T0 by group" (families, parents, mothers, fathers, children,
        children 8+) and "Observed by wave and group" (families, parent and child
        self-reports, parent reports on children, invalid questionnaires).
    """
    fam = family_table(cohort)
    group = fam.set_index("family_id")["group"].astype(object)
    par = cohort.parents.assign(group=cohort.parents["family_id"].map(group))
    kid = cohort.children.assign(group=cohort.children["family_id"].map(group))
    groups = [g for g in schema.GROUPS if g in set(group)] + sorted(
        {str(g) for g in group if g not in schema.GROUPS})
    people = pd.DataFrame({
        "families": group.value_counts(),
        "parents": par["group"].value_counts(),
        "mothers": par.loc[par["sex"].astype(object) == "mother", "group"].value_counts(),
        "fathers": par.loc[par["sex"].astype(object) == "father", "group"].value_counts(),
        "children": kid["group"].value_counts(),
        "children_8plus": kid.loc[kid["age"] >= 8, "group"].value_counts(),
    }).reindex(groups).fillna(0).astype("int64")
    people.loc["total"] = people.sum()
    obs = cohort.observations.assign(group=cohort.observations["family_id"].map(group))
    role = obs["role"].astype(object)
    rep = obs["reporter"].astype(object)
    invalid = ~obs["valid"].astype(bool) if "valid" in obs.columns else pd.Series(False,
                                                                                   obs.index)
    keys = [obs["wave"], obs["group"]]
    waves = pd.DataFrame({
        "families": obs.groupby(keys)["family_id"].nunique(),
        "parent_self_reports": (role == "parent").groupby(keys).sum(),
        "parent_reports_on_children": ((role == "child") & (rep == "parent")).groupby(keys).sum(),
        "child_self_reports": (rep == "child").groupby(keys).sum(),
        "invalid_questionnaires": invalid.groupby(keys).sum(),
    }).fillna(0).astype("int64")
    waves.index = waves.index.set_names(["wave", "group"])
    tables = {"People at T0 by group": people, "Observed by wave and group": waves}
    notes: tuple[str, ...] = ()
    if suppress_below is not None:
        if suppress_below < 1:
            raise SpecificationError(f"suppress_below must be >= 1; got {suppress_below!r}.")
        tables = {k: suppress_small_cells(v, threshold=suppress_below, total_row="total")
                  for k, v in tables.items()}
        notes = (f"Counts between 1 and {suppress_below - 1} are suppressed, with a "
                 "complementary cell where a total would reveal them.",)
    hist = cohort.meta.get("history", ())
    header: dict[str, Any] = {"families": len(cohort.families),
                              "observations": len(cohort.observations),
                              "simulated": cohort.truth is not None}
    if hist:
        header["selection"] = "; ".join(hist)
    return Summary(title="Cohort description", header=header, tables=tables, notes=notes)
