"""Input handling shared by the classic tests: contingency tables, samples, long to wide."""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from kbeffect._results import Exclusions
from kbeffect._validation import check_columns, check_literal, check_no_missing
from kbeffect.errors import DataError, SpecificationError

__all__ = ["as_sample", "contingency", "wide_complete"]

Missing = Literal["raise", "drop"]


def contingency(
    data: Any, row: str | None, col: str | None, missing: Missing
) -> tuple[np.ndarray, list[Any], list[Any], Exclusions]:
    """Build a counts table from a DataFrame and two column names, or check a given one.

    Returns
    -------
    table : ndarray of int, shape (r, c)
    row_labels, col_labels : list
    exclusions : Exclusions
        Rows with a missing row or column value (``missing="drop"``).
    """
    check_literal("missing", missing, ("raise", "drop"))
    exclusions = Exclusions(unit="rows")
    if row is None and col is None:
        if isinstance(data, pd.DataFrame):
            table = data.to_numpy()
            rl: list[Any] = list(data.index)
            cl: list[Any] = list(data.columns)
        else:
            table = np.asarray(data)
            if table.ndim != 2:
                raise SpecificationError("table must be two-dimensional (rows x columns).")
            rl, cl = list(range(table.shape[0])), list(range(table.shape[1]))
        if table.ndim != 2 or not np.issubdtype(table.dtype, np.number):
            raise DataError("table must be a two-dimensional table of counts.")
        if np.any(table < 0) or np.any(table != np.round(table)) or not np.isfinite(table).all():
            raise DataError("table must hold non-negative integer counts.")
        table = table.astype(np.int64)
    elif row is None or col is None:
        raise SpecificationError("give both row and col (column names), or a table of counts.")
    else:
        check_columns(data, [row, col])
        bad = data[row].isna() | data[col].isna()
        if bad.any():
            if missing == "raise":
                check_no_missing(data, [row, col])
            exclusions = exclusions.add(f"missing value in {row!r} or {col!r}",
                                        data.index[bad])
        tab = pd.crosstab(data.loc[~bad, row], data.loc[~bad, col])
        table, rl, cl = tab.to_numpy().astype(np.int64), list(tab.index), list(tab.columns)
    if table.shape[0] < 2 or table.shape[1] < 2:
        raise DataError(f"need at least a 2 x 2 table; got shape {table.shape}.")
    return table, rl, cl, exclusions


def as_sample(name: str, x: ArrayLike, missing: Missing) -> tuple[np.ndarray, np.ndarray]:
    """1-d float array without NaNs, and the positions of the NaNs (which raise by default)."""
    arr = x.to_numpy(dtype=float) if isinstance(x, pd.Series) else (
        np.asarray(x, dtype=float).ravel()
    )
    if np.isinf(arr).any():
        raise DataError(f"{name} has infinite values.")
    nan = np.isnan(arr)
    if nan.any() and missing == "raise":
        raise DataError(
            f"{name} has {int(nan.sum())} missing values; pass missing='drop' to exclude them "
            "(the exclusions are reported on the result)."
        )
    return arr[~nan], np.flatnonzero(nan)


def wide_complete(
    data: pd.DataFrame,
    *,
    dv: str,
    subject: str,
    within: str,
    incomplete: Literal["exclude", "raise"],
) -> tuple[pd.DataFrame, Exclusions]:
    """Subjects x levels table of complete subjects; incomplete ones excluded or raised."""
    check_literal("incomplete", incomplete, ("exclude", "raise"))
    check_columns(data, [dv, subject, within])
    check_no_missing(data, [subject, within])
    if data.duplicated([subject, within]).any():
        raise DataError(f"rows repeat a ({subject}, {within}) combination.")
    wide = data.set_index([subject, within])[dv].unstack(within)
    if isinstance(data[within].dtype, pd.CategoricalDtype):
        wide = wide[[c for c in data[within].cat.categories if c in wide.columns]]
    bad = wide.isna().any(axis=1)
    exclusions = Exclusions(unit="subjects")
    if bad.any():
        if incomplete == "raise":
            raise DataError(f"{int(bad.sum())} subjects lack a value at some level of {within!r}.")
        exclusions = exclusions.add(f"incomplete: no value at every level of {within!r}",
                                    wide.index[bad])
    return wide[~bad], exclusions
