"""Column mappings from a user's variable names and codes to kbeffect's.

A mapping is a dict, or a TOML file with the same structure::

    # applied to every table (optional)
    [columns]
    gezinsnummer = "family_id"

    [families.columns]
    groep = "group"
    inkomen = "income"

    [families.values.group]       # keyed by kbeffect's column name
    1 = "kb"
    2 = "voluntary"
    3 = "preventive"

    [observations.columns]
    meting = "wave"

Value keys are matched to the data by number when both are numeric (``"1"`` matches
``1`` and ``1.0``) and by text otherwise. Every non-missing value of a recoded column
must have an entry; an unmapped value raises instead of becoming missing.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from kbeffect.data import schema
from kbeffect.errors import DataError, SpecificationError

__all__ = ["ColumnMapping", "load_mapping"]

_TABLE_KEYS = {"columns", "values"}


@dataclass(frozen=True)
class ColumnMapping:
    """A parsed column mapping.

    Parameters
    ----------
    columns : dict of str to dict of str to str
        Per table (and ``"*"`` for all tables): user column -> kbeffect column.
    values : dict of str to dict of str to dict
        Per table (and ``"*"``): kbeffect column -> {user code: kbeffect value}.
    """

    columns: dict[str, dict[str, str]] = field(default_factory=dict)
    values: dict[str, dict[str, dict[Any, Any]]] = field(default_factory=dict)

    def columns_for(self, table: str) -> dict[str, str]:
        """Return the renaming for ``table`` (global entries first, table entries override)."""
        return {**self.columns.get("*", {}), **self.columns.get(table, {})}

    def values_for(self, table: str) -> dict[str, dict[Any, Any]]:
        """Return the value recodes for ``table`` keyed by kbeffect column."""
        return {**self.values.get("*", {}), **self.values.get(table, {})}

    def apply(self, table: str, df: pd.DataFrame) -> pd.DataFrame:
        """Rename and recode ``df`` (a copy) for ``table``.

        Raises
        ------
        SpecificationError
            If a mapped column is absent, or two columns map to one name.
        DataError
            If a recoded column has a value without an entry.
        """
        ren = self.columns_for(table)
        absent = [c for c in self.columns.get(table, {}) if c not in df.columns]
        if absent:
            raise SpecificationError(f"mapping for {table} renames column(s) {absent} that "
                                     f"the file does not have; it has {list(df.columns)[:20]}.")
        ren = {k: v for k, v in ren.items() if k in df.columns}
        targets = [ren.get(c, c) for c in df.columns]
        dup = sorted({t for t in targets if targets.count(t) > 1})
        if dup:
            raise SpecificationError(f"mapping for {table} gives several columns the name(s) "
                                     f"{dup}.")
        out = df.rename(columns=ren)
        for col, codes in self.values_for(table).items():
            if col in out.columns:
                out[col] = recode(out[col], codes, where=f"{table}.{col}")
        return out


def _norm(v: Any) -> Any:
    if isinstance(v, bool):
        return v
    try:
        return float(v)
    except (TypeError, ValueError):
        return str(v)


def recode(s: pd.Series, codes: Mapping[Any, Any], *, where: str = "column") -> pd.Series:
    """Recode ``s`` through ``codes`` (matching numbers as numbers); raise on unmapped values.

    Parameters
    ----------
    s : Series
        Values to recode.
    codes : mapping
        ``{code: value}``.
    where : str
        Column name for messages.

    Returns
    -------
    Series
        Object series of recoded values (missing stays missing).
    """
    lookup = {_norm(k): v for k, v in codes.items()}
    obj = s.astype(object)
    present = obj.notna().to_numpy()
    keys = [_norm(v) if p else None for v, p in zip(obj, present, strict=True)]
    unmapped = sorted({str(obj.iloc[i]) for i, k in enumerate(keys)
                       if present[i] and k not in lookup})
    if unmapped:
        raise DataError(f"{where} has values without an entry in the value mapping: "
                        f"{unmapped[:5]}; mapped codes: {list(codes)[:10]}.")
    vals = [lookup[k] if p else None for k, p in zip(keys, present, strict=True)]
    return pd.Series(vals, index=s.index, dtype=object)


def load_mapping(mapping: ColumnMapping | Mapping[str, Any] | str | Path | None) -> ColumnMapping:
    """Parse a mapping given as a :class:`ColumnMapping`, a dict, a TOML path or ``None``.

    Parameters
    ----------
    mapping : ColumnMapping, dict, str, Path or None
        See the module docstring for the structure.

    Returns
    -------
    ColumnMapping
        The parsed mapping (empty for ``None``).

    Raises
    ------
    SpecificationError
        For unknown tables or keys, or values of the wrong type.
    """
    if mapping is None:
        return ColumnMapping()
    if isinstance(mapping, ColumnMapping):
        return mapping
    if isinstance(mapping, str | Path):
        path = Path(mapping)
        if not path.is_file():
            raise SpecificationError(f"mapping file {str(path)!r} does not exist.")
        try:
            with path.open("rb") as fh:
                mapping = tomllib.load(fh)
        except tomllib.TOMLDecodeError as exc:
            raise SpecificationError(f"mapping file {str(path)!r} is not valid TOML: "
                                     f"{exc}.") from None
    if not isinstance(mapping, Mapping):
        raise SpecificationError("mapping must be a dict, a path to a TOML file or None; got "
                                 f"{type(mapping).__name__}.")
    columns: dict[str, dict[str, str]] = {}
    values: dict[str, dict[str, dict[Any, Any]]] = {}
    for key, body in mapping.items():
        if key in _TABLE_KEYS:
            table, part = "*", {key: body}
        elif key in schema.TABLES:
            table, part = key, body
        else:
            raise SpecificationError(f"mapping has unknown key {key!r}; expected one of "
                                     f"{sorted([*_TABLE_KEYS, *schema.TABLES])}.")
        if not isinstance(part, Mapping) or set(part) - _TABLE_KEYS:
            raise SpecificationError(f"mapping[{key!r}] must hold only 'columns' and "
                                     "'values' tables.")
        cols = part.get("columns", {})
        if not isinstance(cols, Mapping) or not all(isinstance(v, str) for v in cols.values()):
            raise SpecificationError(f"mapping[{key!r}]['columns'] must map names to names.")
        vals = part.get("values", {})
        if not isinstance(vals, Mapping) or not all(isinstance(v, Mapping) for v in vals.values()):
            raise SpecificationError(f"mapping[{key!r}]['values'] must map columns to "
                                     "{code: value} tables.")
        columns.setdefault(table, {}).update(dict(cols))
        values.setdefault(table, {}).update({k: dict(v) for k, v in vals.items()})
    return ColumnMapping(columns=columns, values=values)
