"""The :class:`DataReport`: table sizes and counted soft exclusions of a validated cohort."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from kbeffect._results import Exclusions, Summary
from kbeffect.data import schema
from kbeffect.data.derive import valid_rows
from kbeffect.data.rules import family_severity

if TYPE_CHECKING:
    from kbeffect.data.cohort import Cohort

__all__ = ["MATCHING_VARIABLES", "DataReport", "design_notes", "soft_exclusions"]

#: Family variables the report matched on; families missing one were not matched.
MATCHING_VARIABLES: tuple[str, ...] = (
    "income", "paid_work", "education", "migration", "single_parent",
)

#: Scopes of the soft exclusions, in display order.
SCOPES: dict[str, str] = {
    "all analyses": "rows left out of every analysis",
    "effect analyses": "families left out of the report's order-vs-voluntary effect analyses",
    "completers analyses": "families left out of completers-only analyses",
    "matching": "families the report could not match",
}


@dataclass(frozen=True)
class DataReport:
    """What :func:`kbeffect.data.validate.validate_cohort` returns.

    Nothing has been removed from the cohort; the report counts what analyses would leave
    out and why.

    Parameters
    ----------
    n_rows : dict of str to int
        Rows per table.
    exclusions : dict of str to Exclusions
        Soft exclusions per scope (``"all analyses"``: invalid questionnaires, in rows;
        ``"effect analyses"``, ``"completers analyses"``, ``"matching"``: in families).
    notes : tuple of str
        Remarks from validation (ignored columns, ...).
    """

    n_rows: dict[str, int]
    exclusions: dict[str, Exclusions] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    def tidy(self) -> pd.DataFrame:
        """Return one row per (scope, reason): ``scope``, ``reason``, ``n``, ``unit``."""
        rows = [
            {"scope": scope, "reason": reason, "n": int(n), "unit": ex.unit}
            for scope, ex in self.exclusions.items() for reason, n in ex.counts.items()
        ]
        return pd.DataFrame(rows, columns=["scope", "reason", "n", "unit"])

    def summary(self) -> Summary:
        """Return a :class:`~kbeffect._results.Summary` with sizes and exclusions."""
        sizes = pd.DataFrame({"rows": pd.Series(self.n_rows, dtype=int)})
        return Summary(
            title="Cohort data report",
            header={"validation": "passed", **{f"n {k}": v for k, v in self.n_rows.items()}},
            tables={"Table sizes": sizes, "Soft exclusions (nothing removed)": self.tidy()},
            notes=self.notes,
        )

    def __str__(self) -> str:
        return str(self.summary())


def soft_exclusions(cohort: Cohort, *, notes: tuple[str, ...] = ()) -> DataReport:
    """Count the soft exclusions of a cohort (assumed valid) by scope and reason.

    Parameters
    ----------
    cohort : Cohort
        A cohort that passed the hard checks.
    notes : tuple of str
        Notes to carry into the report.

    Returns
    -------
    DataReport
        See :class:`DataReport`.
    """
    fam, obs = cohort.families, cohort.observations
    _, invalid = valid_rows(obs)
    scopes: dict[str, Exclusions] = {"all analyses": invalid}

    effect = Exclusions(unit="families")
    prev = fam.loc[fam["group"].astype(object) == "preventive", "family_id"]
    effect = effect.add("preventive-help group (described at T0 only)", prev.tolist())
    seen: dict[Any, frozenset[int]] = {
        f: frozenset(int(x) for x in w) for f, w in obs.groupby("family_id")["wave"]}
    never = fam.loc[~fam["family_id"].isin(list(seen)), "family_id"]
    effect = effect.add("family without any observation", never.tolist())
    severity = family_severity(obs)
    violent = severity.groupby("family_id")["severity"].apply(
        lambda s: bool((s.astype(object).isin(["moderate", "severe"])).any()))
    no_violence = violent.index[~violent.to_numpy(bool)]
    prev_ids = set(prev)
    effect = effect.add("no violence (severity 'none' or undetermined) at any wave",
                        [f for f in no_violence if f not in prev_ids])
    # observed, but every questionnaire invalid: no severity row, so not counted above
    judged = set(violent.index)
    effect = effect.add("only invalid questionnaires (valid == False)",
                        [f for f in seen if f not in judged and f not in prev_ids])
    scopes["effect analyses"] = effect

    completers = Exclusions(unit="families")
    all_waves = frozenset(schema.WAVES)
    for n_waves in (2, 1):
        ids = [f for f, w in seen.items() if len(w) == n_waves and w != all_waves]
        completers = completers.add(f"observed at {n_waves} of 3 waves", ids)
    completers = completers.add("never observed", never.tolist())
    scopes["completers analyses"] = completers

    matching = Exclusions(unit="families")
    counted = pd.Series(False, index=fam.index)
    for var in MATCHING_VARIABLES:  # each family counted once, under its first missing variable
        first = fam[var].isna() & ~counted
        counted |= first
        matching = matching.add(f"missing matching variable {var!r}",
                                fam.loc[first, "family_id"].tolist())
    scopes["matching"] = matching
    n_rows = {"families": len(fam), "parents": len(cohort.parents),
              "children": len(cohort.children), "observations": len(obs)}
    return DataReport(n_rows=n_rows, exclusions=scopes, notes=(*notes, *design_notes(cohort)))


def design_notes(cohort: Cohort) -> tuple[str, ...]:
    """Remarks on departures from the study design that are not errors.

    Families without a participating parent or child, child self-reports below age 8, and
    reference periods (``exposure``) that differ from the design (one year at T0 and T1,
    half a year at T2).

    Parameters
    ----------
    cohort : Cohort
        A cohort that passed the hard checks.

    Returns
    -------
    tuple of str
        One line per kind of departure found (empty when none).
    """
    out: list[str] = []
    fam_ids = cohort.families["family_id"]
    for name, who in (("parents", "parent"), ("children", "child")):
        n = int((~fam_ids.isin(getattr(cohort, name)["family_id"])).sum())
        if n:
            out.append(f"{n} families have no participating {who}.")
    obs = cohort.observations
    age = obs["person_id"].map(cohort.children.set_index("person_id")["age"])
    young = (obs["reporter"].astype(object) == "child").to_numpy() & (age < 8).to_numpy()
    if young.any():
        out.append(f"{int(young.sum())} child self-reports come from children under 8 at T0 "
                   "(the design has self-reports from age 8).")
    design = obs["wave"].map(schema.EXPOSURE_BY_WAVE).astype(float)
    off = ~np.isclose(obs["exposure"].astype(float), design)
    if off.any():
        out.append(f"{int(off.sum())} observation rows have an exposure different from the "
                   "design (1 year at T0 and T1, 0.5 year at T2).")
    return tuple(out)
