"""Read a cohort from CSV, Parquet or SPSS (.sav) files, and write one to disk.

Reading goes: file -> rename and recode through the column mapping -> SPSS value labels
(for category and boolean columns the mapping does not recode) -> schema dtypes
(:func:`kbeffect.data.coerce.coerce_table`) -> validation. No row is dropped; SPSS
user-missing codes become missing values, as in SPSS itself.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from kbeffect._validation import check_literal
from kbeffect.data import schema
from kbeffect.data.coerce import coerce_table
from kbeffect.data.cohort import Cohort
from kbeffect.data.mapping import ColumnMapping, load_mapping, recode
from kbeffect.errors import DependencyError, SpecificationError

__all__ = ["SUFFIXES", "read_cohort", "read_table", "write_cohort"]

Source = str | Path | pd.DataFrame
#: File suffixes the readers understand.
SUFFIXES: tuple[str, ...] = (".csv", ".parquet", ".sav")


def _read_raw(path: Path) -> tuple[pd.DataFrame, dict[str, dict[Any, str]]]:
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return pd.read_csv(path), {}
    if suffix == ".parquet":
        return pd.read_parquet(path), {}
    if suffix == ".sav":
        try:
            import pyreadstat
        except ImportError:  # pragma: no cover - pyreadstat is a dependency
            raise DependencyError("reading .sav files needs pyreadstat: "
                                  "pip install pyreadstat") from None
        df, meta = pyreadstat.read_sav(str(path), apply_value_formats=False)
        return df, dict(meta.variable_value_labels)
    raise SpecificationError(f"cannot read {str(path)!r}: expected a file ending in "
                             f"{', '.join(SUFFIXES)}.")


def read_table(
    source: Source, table: str, *, mapping: ColumnMapping | Mapping[str, Any] | str | Path |
    None = None,
) -> tuple[pd.DataFrame, dict[str, dict[str, str]]]:
    """Read one table, rename and recode it, and convert it to the schema's dtypes.

    Parameters
    ----------
    source : str, Path or DataFrame
        A .csv, .parquet or .sav file, or a DataFrame already in memory.
    table : {"families", "parents", "children", "observations"}
        Which table it is.
    mapping : ColumnMapping, dict, path to TOML, optional
        Column names and value codes (see :mod:`kbeffect.data.mapping`).

    Returns
    -------
    table : DataFrame
        The converted table (not yet validated).
    value_labels : dict
        SPSS value labels per kbeffect column (``{column: {code: label}}``, codes as text),
        empty for other formats.

    Raises
    ------
    SpecificationError
        For an unknown suffix, a missing file or a bad mapping.
    SchemaError, DataError
        If a column cannot be converted (see :func:`kbeffect.data.coerce.coerce_table`).
    """
    check_literal("table", table, schema.TABLES)
    cmap = load_mapping(mapping)
    labels: dict[str, dict[Any, str]]
    if isinstance(source, pd.DataFrame):
        raw, labels = source, {}
    else:
        path = Path(source)
        if not path.is_file():
            raise SpecificationError(f"{table} file {str(path)!r} does not exist.")
        raw, labels = _read_raw(path)
    renamed = cmap.columns_for(table)
    labels = {renamed.get(k, k): v for k, v in labels.items()}
    df = cmap.apply(table, raw)
    recoded = set(cmap.values_for(table))
    kinds = {c.name: c.kind for c in schema.TABLES[table]}
    for col, codes in labels.items():
        if col in df.columns and col not in recoded and kinds.get(col) in ("category", "bool"):
            df[col] = recode(df[col], codes, where=f"{table}.{col} (SPSS value labels)")
    out = coerce_table(table, df)
    text_labels = {c: {_code_text(k): str(v) for k, v in codes.items()}
                   for c, codes in labels.items()}
    return out, text_labels


def _code_text(code: Any) -> str:
    """Text of an SPSS code: integral numbers without a decimal point (``1.0`` -> ``"1"``)."""
    if isinstance(code, float) and code.is_integer():
        return str(int(code))
    return str(code)


def _find(directory: Path, table: str) -> Path:
    hits = [directory / f"{table}{s}" for s in SUFFIXES if (directory / f"{table}{s}").is_file()]
    if len(hits) != 1:
        found = "none" if not hits else [h.name for h in hits]
        raise SpecificationError(f"directory {str(directory)!r} must hold exactly one of "
                                 f"{[table + s for s in SUFFIXES]}; found {found}.")
    return hits[0]


def read_cohort(
    families: Source | None = None, parents: Source | None = None,
    children: Source | None = None, observations: Source | None = None, *,
    directory: str | Path | None = None,
    mapping: ColumnMapping | Mapping[str, Any] | str | Path | None = None,
    validate: bool = True, unknown_columns: Literal["error", "ignore"] = "error",
) -> Cohort:
    """Read the four tables of a cohort from files (or frames) into a :class:`Cohort`.

    Parameters
    ----------
    families, parents, children, observations : str, Path or DataFrame
        Each table as a .csv, .parquet or .sav file, or a DataFrame.
    directory : str or Path, optional
        Instead of the four sources: a directory holding ``families.<ext>``,
        ``parents.<ext>``, ``children.<ext>`` and ``observations.<ext>`` (as written by
        :func:`write_cohort`); ``meta.json`` there is read into ``Cohort.meta``.
    mapping : ColumnMapping, dict, path to TOML, optional
        User names and codes -> kbeffect's (see :mod:`kbeffect.data.mapping`).
    validate : bool
        Run :func:`kbeffect.data.validate.validate_tables` (default True).
    unknown_columns : {"error", "ignore"}
        Passed to validation.

    Returns
    -------
    Cohort
        ``meta`` holds ``sources`` (file names per table) and ``value_labels`` (SPSS value
        labels per table and column, if any).

    Raises
    ------
    SpecificationError
        For missing sources or files.
    SchemaError, DataError
        From conversion or validation.
    """
    given = {"families": families, "parents": parents, "children": children,
             "observations": observations}
    meta: dict[str, Any] = {}
    if directory is not None:
        if any(v is not None for v in given.values()):
            raise SpecificationError("pass either directory= or the four table sources, not "
                                     "both.")
        d = Path(directory)
        if not d.is_dir():
            raise SpecificationError(f"directory {str(d)!r} does not exist.")
        given = {t: _find(d, t) for t in given}
        if (d / "meta.json").is_file():
            meta.update(json.loads((d / "meta.json").read_text()))
    missing = [t for t, v in given.items() if v is None]
    if missing:
        raise SpecificationError(f"read_cohort() needs a source for {missing}.")
    present: dict[str, Source] = {t: v for t, v in given.items() if v is not None}
    cmap = load_mapping(mapping)
    tables: dict[str, pd.DataFrame] = {}
    labels: dict[str, dict[str, dict[str, str]]] = {}
    sources: dict[str, str] = {}
    for name, src in present.items():
        tables[name], lab = read_table(src, name, mapping=cmap)
        if lab:
            labels[name] = lab
        sources[name] = "<DataFrame>" if isinstance(src, pd.DataFrame) else Path(src).name
    meta["sources"] = sources
    if labels:
        meta["value_labels"] = labels
    if validate:
        from kbeffect.data.validate import validate_tables

        validate_tables(tables["families"], tables["parents"], tables["children"],
                        tables["observations"], unknown_columns=unknown_columns)
    return Cohort(tables["families"], tables["parents"], tables["children"],
                  tables["observations"], meta=meta)


def write_cohort(
    cohort: Cohort, directory: str | Path, *, format: Literal["parquet", "csv"] = "parquet",
    overwrite: bool = False,
) -> dict[str, Path]:
    """Write the four tables (and JSON-serialisable ``meta``) to ``directory``.

    Parameters
    ----------
    cohort : Cohort
        The cohort. ``truth`` is not written (it is not tabular).
    directory : str or Path
        Target directory (created if needed).
    format : {"parquet", "csv"}
        File format; Parquet keeps dtypes, CSV is converted back by :func:`read_cohort`.
    overwrite : bool
        Whether existing table files may be replaced (default False).

    Returns
    -------
    dict of str to Path
        The written files, keyed by table (and ``"meta"``).

    Raises
    ------
    SpecificationError
        If a file exists and ``overwrite`` is False.
    """
    check_literal("format", format, ("parquet", "csv"))
    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    out: dict[str, Path] = {}
    for name in schema.TABLES:
        path = d / f"{name}.{format}"
        if path.exists() and not overwrite:
            raise SpecificationError(f"{str(path)!r} exists; pass overwrite=True to replace it.")
        df: pd.DataFrame = getattr(cohort, name)
        if format == "parquet":
            df.to_parquet(path, index=False)
        else:
            df.to_csv(path, index=False)
        out[name] = path
    meta_path = d / "meta.json"
    meta_path.write_text(json.dumps(cohort.meta, indent=2, sort_keys=True, default=str))
    out["meta"] = meta_path
    return out
