"""Broadcast family-level design columns onto person- or observation-level frames."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from kbeffect._validation import check_columns
from kbeffect.errors import DataError, SchemaError

__all__ = ["broadcast_by_key", "check_new_columns"]


def check_new_columns(frame: pd.DataFrame, names: list[str], *, table: str = "data") -> None:
    """Raise SchemaError if any of ``names`` already is a column of ``frame``."""
    clash = [c for c in names if c in frame.columns]
    if clash:
        raise SchemaError(
            f"{table} already has column(s) {clash}; kbeffect does not overwrite user columns. "
            "Pass other names (e.g. weights='ps_weight')."
        )


def broadcast_by_key(
    target: pd.DataFrame,
    family_keys: pd.Series,
    values: Mapping[str, np.ndarray],
    *,
    key: str,
    keep: np.ndarray | None = None,
    table: str = "data",
) -> pd.DataFrame:
    """Add family-level ``values`` to every row of ``target`` with the same ``key``.

    Parameters
    ----------
    target : DataFrame
        Person- or observation-level rows with a ``key`` column.
    family_keys : Series
        The key of each family, aligned with the arrays in ``values``.
    values : mapping of str to ndarray
        New column name -> one value per family.
    key : str
    keep : ndarray of bool, optional
        Families whose rows are kept (default all families in ``family_keys``).
    table : str
        Name of ``target`` for messages.

    Returns
    -------
    DataFrame
        The rows of ``target`` whose family is kept, with the new columns (index kept).
    """
    check_columns(target, [key], table=table)
    check_new_columns(target, list(values), table=table)
    if family_keys.duplicated().any():
        raise DataError(f"the family key {key!r} is not unique in the family-level data.")
    keep = np.ones(len(family_keys), bool) if keep is None else keep
    fam = pd.DataFrame({k: np.asarray(v) for k, v in values.items()})
    fam.index = pd.Index(family_keys.to_numpy())
    fam = fam[keep]
    rows = target[key].isin(fam.index).to_numpy()
    out = target.loc[rows].copy()
    looked = fam.loc[out[key].to_numpy()]
    for c in values:
        out[c] = looked[c].to_numpy()
    return out
