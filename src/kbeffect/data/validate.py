"""Validation of a cohort against the schema, with hard errors and counted soft exclusions.

Hard errors (the data cannot be analysed as they are) raise :class:`~kbeffect.errors.SchemaError`
(missing or unknown columns, wrong dtypes) or :class:`~kbeffect.errors.DataError` (unknown
labels, waves outside 0-2, negative or non-integer counts, out-of-range scores, missing
values in required columns, duplicate rows, people without a family, broken nesting). All
problems found are reported in one message, each naming the table, the column and up to
three example ids.

Soft exclusions (rows or families that particular analyses leave out) are counted with
their reason in the returned :class:`~kbeffect.data.report.DataReport`; nothing is removed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

from kbeffect._validation import check_literal
from kbeffect.data import schema
from kbeffect.data.report import DataReport, soft_exclusions
from kbeffect.errors import DataError, SchemaError

if TYPE_CHECKING:
    from kbeffect.data.cohort import Cohort

__all__ = ["check_table", "validate_cohort", "validate_tables"]

UnknownColumns = Literal["error", "ignore"]

_MAX_EXAMPLES = 3


class _Problems:
    """Collects problems so all of them are reported at once."""

    def __init__(self) -> None:
        self.schema: list[str] = []
        self.data: list[str] = []

    def raise_if_any(self) -> None:
        msgs = self.schema + self.data
        if not msgs:
            return
        head = f"The cohort failed validation ({len(msgs)} problem(s)):\n- "
        cls = SchemaError if self.schema else DataError
        raise cls(head + "\n- ".join(msgs))


def _examples(df: pd.DataFrame, table: str, mask: np.ndarray | pd.Series) -> str:
    keys = [k for k in schema.KEYS[table] if k in df.columns]
    rows = df.loc[np.asarray(mask, dtype=bool), keys].head(_MAX_EXAMPLES)
    ids = [tuple(r) if len(keys) > 1 else r[0] for r in rows.itertuples(index=False, name=None)]
    label = "(" + ", ".join(keys) + ")" if len(keys) > 1 else (keys[0] if keys else "row")
    return f"e.g. {label} = {ids}"


def _is_bool_dtype(s: pd.Series) -> bool:
    return bool(ptypes.is_bool_dtype(s.dtype) or str(s.dtype) == "boolean")


def _dtype_ok(spec: schema.ColumnSpec, s: pd.Series) -> bool:
    if spec.kind == "int":
        return ptypes.is_integer_dtype(s.dtype) and not _is_bool_dtype(s)
    if spec.kind in ("float", "count"):
        return ptypes.is_numeric_dtype(s.dtype) and not _is_bool_dtype(s)
    if spec.kind == "bool":
        return _is_bool_dtype(s) or bool(s.isna().all() and spec.nullable)
    return (isinstance(s.dtype, pd.CategoricalDtype) or ptypes.is_object_dtype(s.dtype)
            or ptypes.is_string_dtype(s.dtype))


_EXPECTED = {"int": "an integer dtype (int64 or Int64)", "float": "a numeric dtype",
             "count": "a numeric dtype", "bool": "bool or pandas 'boolean'",
             "category": "categorical, string or object"}


def check_table(
    table: str, df: Any, *, unknown_columns: UnknownColumns = "error"
) -> tuple[str, ...]:
    """Check one table against its schema; raise on hard problems.

    Parameters
    ----------
    table : {"families", "parents", "children", "observations"}
        Which table.
    df : DataFrame
        The table.
    unknown_columns : {"error", "ignore"}
        Whether columns the schema does not know raise (default) or are ignored with a note.

    Returns
    -------
    tuple of str
        Notes (for example ignored columns).

    Raises
    ------
    SchemaError, DataError
        Listing every problem found, with the column and example ids.
    """
    problems = _Problems()
    notes = _check_table(table, df, problems, unknown_columns)
    problems.raise_if_any()
    return notes


def _check_table(table: str, df: Any, problems: _Problems,
                 unknown_columns: UnknownColumns) -> tuple[str, ...]:
    check_literal("table", table, schema.TABLES)
    check_literal("unknown_columns", unknown_columns, ("error", "ignore"))
    if not isinstance(df, pd.DataFrame):
        problems.schema.append(f"{table} must be a pandas DataFrame; got {type(df).__name__}.")
        return ()
    specs = {c.name: c for c in schema.TABLES[table]}
    notes: list[str] = []
    missing = [n for n, c in specs.items() if c.required and n not in df.columns]
    if missing:
        problems.schema.append(f"{table} lacks required column(s) {missing}.")
    unknown = [c for c in df.columns if c not in specs]
    if unknown and unknown_columns == "error":
        problems.schema.append(
            f"{table} has column(s) unknown to the schema: {unknown[:10]}. Rename them with a "
            "column mapping, drop them, or pass unknown_columns='ignore'.")
    elif unknown:
        notes.append(f"{table}: {len(unknown)} column(s) unknown to the schema ignored: "
                     f"{unknown[:10]}.")
    if df.columns.duplicated().any():
        problems.schema.append(f"{table} has duplicated column names "
                               f"{sorted(set(df.columns[df.columns.duplicated()]))}.")
        return tuple(notes)
    for name, spec in specs.items():
        if name in df.columns:
            _check_column(table, df, spec, problems)
    keys = list(schema.KEYS[table])
    if all(k in df.columns for k in keys):
        dup = df.duplicated(keys, keep=False).to_numpy()
        if dup.any():
            what = "person-wave-reporter" if table == "observations" else "id"
            problems.data.append(
                f"{table} has {int(dup.sum())} rows with a duplicated {what} key {keys}, "
                f"{_examples(df, table, dup)}.")
    return tuple(notes)


def _check_column(table: str, df: pd.DataFrame, spec: schema.ColumnSpec,
                  problems: _Problems) -> None:
    s = df[spec.name]
    where = f"{table}.{spec.name}"
    if not _dtype_ok(spec, s):
        problems.schema.append(f"{where} has dtype {s.dtype}; expected {_EXPECTED[spec.kind]}.")
        return
    na = s.isna().to_numpy()
    if na.any() and not spec.nullable:
        problems.data.append(f"{where} has {int(na.sum())} missing values but may not be "
                             f"missing, {_examples(df, table, na)}.")
    if spec.levels:
        present = ~na
        bad = present & ~s.isin(list(spec.levels)).to_numpy()
        if bad.any():
            labels = sorted({str(v) for v in s[bad]})[:5]
            what = "waves outside 0-2" if spec.name == "wave" else "unknown labels"
            problems.data.append(f"{where} has {int(bad.sum())} values with {what} {labels}; "
                                 f"allowed: {list(spec.levels)}, {_examples(df, table, bad)}.")
    if spec.kind in ("int", "float", "count") and (spec.low is not None or spec.high is not None):
        x = s.astype(float).to_numpy()
        with np.errstate(invalid="ignore"):
            if spec.kind == "count":
                neg = x < 0
                if neg.any():
                    problems.data.append(f"{where} has {int(neg.sum())} negative counts, "
                                         f"{_examples(df, table, neg)}.")
                frac = ~np.isnan(x) & (x != np.round(x))
                if frac.any():
                    problems.data.append(f"{where} has {int(frac.sum())} non-integer counts, "
                                         f"{_examples(df, table, frac)}.")
                low_bad = np.zeros_like(neg)
            else:
                low_bad = x < spec.low if spec.low is not None else np.zeros(len(x), bool)
            high_bad = x > spec.high if spec.high is not None else np.zeros(len(x), bool)
        out = low_bad | high_bad
        if out.any():
            unit = f" {spec.unit}" if spec.unit else ""
            problems.data.append(
                f"{where} has {int(out.sum())} values outside [{spec.low:g}, {spec.high:g}]{unit} "
                f"(observed {np.nanmin(x[out]):g} to {np.nanmax(x[out]):g}), "
                f"{_examples(df, table, out)}.")
    if spec.name == "kb_type" and "group" in df.columns:
        bad = (~na) & (df["group"].astype(object) != "kb").to_numpy()
        if bad.any():
            problems.data.append(f"{where} is set for {int(bad.sum())} families outside group "
                                 f"'kb', {_examples(df, table, bad)}.")


def _check_links(families: pd.DataFrame, parents: pd.DataFrame, children: pd.DataFrame,
                 observations: pd.DataFrame, problems: _Problems) -> None:
    fam_ids = pd.Index(families["family_id"])
    for name, df in (("parents", parents), ("children", children),
                     ("observations", observations)):
        orphan = ~df["family_id"].isin(fam_ids).to_numpy()
        if orphan.any():
            who = "rows" if name == "observations" else name
            problems.data.append(f"{name}: {int(orphan.sum())} {who} without a family in "
                                 f"families.family_id, {_examples(df, name, orphan)}.")
    both = pd.Index(parents["person_id"]).intersection(pd.Index(children["person_id"]))
    if len(both):
        problems.data.append(f"person_id values used for both a parent and a child: "
                             f"{list(both[:_MAX_EXAMPLES])}.")
    person_family = pd.concat([
        parents.set_index("person_id")["family_id"], children.set_index("person_id")["family_id"]
    ])
    person_family = person_family[~person_family.index.duplicated()]
    role = observations["role"].astype(object).to_numpy()
    reporter = observations["reporter"].astype(object).to_numpy()
    pid = observations["person_id"]
    rid = observations["reporter_id"]
    checks = {
        "rows whose person_id is not in the table of its role": ~np.where(
            role == "parent", pid.isin(parents["person_id"]), pid.isin(children["person_id"])),
        "rows whose reporter_id is not a parent of the study (reporter 'parent')":
            (reporter == "parent") & ~rid.isin(parents["person_id"]).to_numpy(),
        "child self-reports about someone else (reporter 'child' needs "
        "person_id == reporter_id and role 'child')":
            (reporter == "child") & ((pid != rid).to_numpy() | (role != "child")),
        "parent rows reported by someone other than that parent":
            (role == "parent") & (pid != rid).to_numpy(),
        "rows whose family_id differs from the subject's family": (
            pid.map(person_family).to_numpy() != observations["family_id"].to_numpy())
            & pid.isin(person_family.index).to_numpy(),
        "rows whose family_id differs from the reporter's family": (
            rid.map(person_family).to_numpy() != observations["family_id"].to_numpy())
            & rid.isin(person_family.index).to_numpy(),
    }
    for reason, mask in checks.items():
        mask = np.asarray(mask, dtype=bool)
        if mask.any():
            problems.data.append(f"observations: {int(mask.sum())} {reason}, "
                                 f"{_examples(observations, 'observations', mask)}.")


def validate_tables(
    families: pd.DataFrame, parents: pd.DataFrame, children: pd.DataFrame,
    observations: pd.DataFrame, *, unknown_columns: UnknownColumns = "error",
) -> tuple[str, ...]:
    """Run every hard check on the four tables; raise listing all problems.

    Parameters
    ----------
    families, parents, children, observations : DataFrame
        The cohort tables.
    unknown_columns : {"error", "ignore"}
        Whether columns unknown to the schema raise or are ignored with a note.

    Returns
    -------
    tuple of str
        Notes (ignored columns).

    Raises
    ------
    SchemaError
        If any column is missing, unknown or of the wrong dtype.
    DataError
        For any data problem (see the module docstring).
    """
    problems = _Problems()
    notes: list[str] = []
    tables = {"families": families, "parents": parents, "children": children,
              "observations": observations}
    for name, df in tables.items():
        notes += _check_table(name, df, problems, unknown_columns)
    if problems.schema:  # links need intact columns
        problems.raise_if_any()
    _check_links(families, parents, children, observations, problems)
    problems.raise_if_any()
    return tuple(notes)


def validate_cohort(cohort: Cohort, *, unknown_columns: UnknownColumns = "error") -> DataReport:
    """Validate a cohort and count the soft exclusions of the study's analyses.

    Parameters
    ----------
    cohort : Cohort
        The cohort.
    unknown_columns : {"error", "ignore"}
        Whether columns unknown to the schema raise (default) or are ignored with a note.

    Returns
    -------
    DataReport
        Table sizes and the counted soft exclusions (invalid questionnaires, preventive
        families, non-completers, families without violence, missing matching variables),
        none of which are removed from the cohort.

    Raises
    ------
    SchemaError, DataError
        On any hard problem; the message lists all of them.
    """
    notes = validate_tables(cohort.families, cohort.parents, cohort.children,
                            cohort.observations, unknown_columns=unknown_columns)
    return soft_exclusions(cohort, notes=notes)
