"""Bring a table read from a file to the schema's dtypes, or say precisely why not.

Used by the readers before validation. Empty or whitespace-only text in category and
boolean columns is a missing value (SPSS stores missing strings as blanks). Conversion
never loses information silently:
an integer column with fractional values, a category with labels outside the schema, or a
boolean column with values other than true/false raise instead of becoming missing.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

from kbeffect._validation import check_literal
from kbeffect.data import schema
from kbeffect.errors import DataError, SchemaError

__all__ = ["BOOL_STRINGS", "coerce_table"]

#: Text values read as booleans (case-insensitive), e.g. from CSV files or SPSS labels.
BOOL_STRINGS: dict[str, bool] = {
    "true": True, "false": False, "yes": True, "no": False, "1": True, "0": False,
    "1.0": True, "0.0": False, "ja": True, "nee": False,
}


def _to_int(name: str, s: pd.Series) -> pd.Series:
    if ptypes.is_bool_dtype(s.dtype):
        raise SchemaError(f"{name} holds booleans; expected integers.")
    try:
        x = pd.to_numeric(s.astype(object).where(s.notna(), np.nan), errors="raise")
    except (TypeError, ValueError) as exc:
        raise SchemaError(f"{name} cannot be read as integers ({exc}).") from None
    xf = x.astype(float)
    frac = xf.notna() & (xf != np.round(xf))
    if frac.any():
        raise DataError(f"{name} has {int(frac.sum())} non-integer values, e.g. "
                        f"{xf[frac].head(3).tolist()}.")
    if xf.isna().any():
        return xf.astype("Int64")
    return xf.astype("int64")


def _to_float(name: str, s: pd.Series) -> pd.Series:
    if ptypes.is_bool_dtype(s.dtype) or str(s.dtype) == "boolean":
        raise SchemaError(f"{name} holds booleans; expected numbers.")
    try:
        return pd.to_numeric(s.astype(object).where(s.notna(), np.nan),
                             errors="raise").astype(float)
    except (TypeError, ValueError) as exc:
        raise SchemaError(f"{name} cannot be read as numbers ({exc}).") from None


def _to_bool(name: str, s: pd.Series, nullable: bool) -> pd.Series:
    if ptypes.is_bool_dtype(s.dtype) or str(s.dtype) == "boolean":
        out = s.astype("boolean")
    else:
        obj = _blank_to_missing(s)
        present = obj.notna()
        if ptypes.is_numeric_dtype(s.dtype):
            bad = present & ~s.isin([0, 1])
            keys = obj
        else:
            keys = obj.where(~present, obj.astype(str).str.strip().str.lower())
            bad = present & ~keys.isin(list(BOOL_STRINGS))
        if bad.any():
            raise DataError(f"{name} has {int(bad.sum())} values that are not true/false, "
                            f"e.g. {sorted({str(v) for v in obj[bad]})[:5]}; recode them with "
                            "a value mapping.")
        vals = [pd.NA if not p else (bool(k) if not isinstance(k, str) else BOOL_STRINGS[k])
                for k, p in zip(keys, present, strict=True)]
        out = pd.Series(pd.array(vals, dtype="boolean"), index=s.index)
    if not nullable and not out.isna().any():
        return out.astype(bool)
    return out


def _blank_to_missing(s: pd.Series) -> pd.Series:
    """Object copy of ``s`` with empty or whitespace-only text as missing (SPSS blanks)."""
    obj = s.astype(object)
    blank = obj.map(lambda v: isinstance(v, str) and not v.strip()).astype(bool)
    return obj.where(~blank, None)


def _to_category(name: str, s: pd.Series, levels: tuple[str | int, ...]) -> pd.Series:
    obj = _blank_to_missing(s)
    present = obj.notna()
    text = obj.where(~present, obj.astype(str))
    unknown = present & ~text.isin([str(v) for v in levels])
    if unknown.any():
        labels = sorted({str(v) for v in text[unknown]})[:5]
        raise DataError(f"{name} has {int(unknown.sum())} values with unknown labels {labels}; "
                        f"allowed: {list(levels)}. Recode them with a value mapping.")
    return pd.Series(pd.Categorical(text, categories=[str(v) for v in levels]), index=s.index)


def coerce_table(table: str, df: pd.DataFrame) -> pd.DataFrame:
    """Return a copy of ``df`` with every schema column converted to the schema's dtype.

    Parameters
    ----------
    table : {"families", "parents", "children", "observations"}
        Which table.
    df : DataFrame
        The table as read (columns already renamed to kbeffect's names).

    Returns
    -------
    DataFrame
        ``int`` columns as ``int64`` (``Int64`` when missing values exist, so validation
        can report them), ``float``/``count`` as ``float64``, ``bool`` as ``bool`` (non-nullable)
        or pandas ``boolean``, ``category`` as categorical with the schema's levels in order.
        Columns unknown to the schema are left as they are.

    Raises
    ------
    SchemaError
        If a column cannot be converted (text in a numeric column).
    DataError
        For fractional integers, unknown category labels or non-boolean values.
    """
    check_literal("table", table, schema.TABLES)
    out = df.copy()
    for spec in schema.TABLES[table]:
        if spec.name not in out.columns:
            continue
        name = f"{table}.{spec.name}"
        s = out[spec.name]
        if spec.kind == "int":
            out[spec.name] = _to_int(name, s)
        elif spec.kind in ("float", "count"):
            out[spec.name] = _to_float(name, s)
        elif spec.kind == "bool":
            out[spec.name] = _to_bool(name, s, spec.nullable)
        else:
            out[spec.name] = _to_category(name, s, spec.levels)
    return out
