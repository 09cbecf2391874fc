"""Converters between the long observations table and a wide one-row-per-subject layout.

Long: one row per (subject, reporter, wave). Wide: one row per (subject, reporter) with a
column ``<measure>_t<wave>`` per measure and wave and an indicator ``observed_t<wave>``
saying whether the row existed at that wave, so that :func:`from_wide` restores exactly the
rows of the long table (a wave observed with every measure missing stays a row).
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from kbeffect._validation import check_columns
from kbeffect.data import schema
from kbeffect.errors import DataError, SpecificationError

__all__ = ["DEFAULT_INDEX", "from_wide", "to_wide", "wide_name"]

#: Columns identifying a subject-reporter pair (constant over waves).
DEFAULT_INDEX: tuple[str, ...] = ("family_id", "person_id", "role", "reporter", "reporter_id")


def wide_name(measure: str, wave: int, *, sep: str = "_t") -> str:
    """Return the wide column name of ``measure`` at ``wave`` (``"pv_phys_minor_t2"``)."""
    return f"{measure}{sep}{int(wave)}"


def _check_waves(waves: Sequence[int]) -> tuple[int, ...]:
    waves = tuple(int(w) for w in waves)
    bad = [w for w in waves if w not in schema.WAVES]
    if bad or not waves or len(set(waves)) != len(waves):
        raise SpecificationError(f"waves={waves!r} is not valid; expected distinct values "
                                 f"from {schema.WAVES}.")
    return waves


def _check_measures(measures: Sequence[str] | str, index: Sequence[str]) -> list[str]:
    if isinstance(measures, str):
        measures = [measures]
    measures = list(measures)
    if not measures:
        raise SpecificationError("measures must name at least one column.")
    clash = [m for m in measures if m in index or m == "wave"]
    if clash:
        raise SpecificationError(f"measures {clash} are index columns; they cannot be "
                                 "spread over waves.")
    if len(set(measures)) != len(measures):
        raise SpecificationError(f"measures has duplicates: {measures}.")
    return measures


def to_wide(
    observations: pd.DataFrame, measures: Sequence[str] | str, *,
    index: Sequence[str] = DEFAULT_INDEX, waves: Sequence[int] = schema.WAVES, sep: str = "_t",
) -> pd.DataFrame:
    """Spread measures over waves: one row per subject-reporter pair.

    Parameters
    ----------
    observations : DataFrame
        Long table with the ``index`` columns, ``wave`` and the ``measures``.
    measures : str or sequence of str
        Columns to spread.
    index : sequence of str
        Columns that identify a row of the wide table; they must be constant over waves.
    waves : sequence of int
        Waves to keep, in column order (rows of other waves are not used).
    sep : str
        Separator between measure name and wave number.

    Returns
    -------
    DataFrame
        ``index`` columns, then ``observed_t<w>`` (bool) for each wave, then
        ``<measure>_t<w>`` for each measure and wave. Sorted by ``index``. Measures keep
        their dtype where pandas can (missing waves become NaN / NA).

    Raises
    ------
    SchemaError
        If a column is missing.
    DataError
        If a subject-reporter pair has more than one row at a wave.
    """
    index = list(index)
    measures = _check_measures(measures, index)
    waves = _check_waves(waves)
    check_columns(observations, [*index, "wave", *measures], table="observations")
    obs = observations[observations["wave"].isin(waves)]
    dup = obs.duplicated([*index, "wave"], keep=False)
    if dup.any():
        ex = obs.loc[dup, [*index, "wave"]].head(3).to_dict("records")
        raise DataError(f"observations has {int(dup.sum())} rows with a duplicated "
                        f"{[*index, 'wave']} key, e.g. {ex}; to_wide needs one row per wave.")
    keys = obs[index].drop_duplicates().sort_values(index, ignore_index=True)
    wide = keys.copy()
    parts: dict[str, pd.Series] = {}
    by_wave = {w: obs[obs["wave"] == w] for w in waves}
    for w in waves:
        at = keys.merge(by_wave[w][index].assign(_hit=True), on=index, how="left")
        parts[wide_name("observed", w, sep=sep)] = at["_hit"].notna()
    for m in measures:
        for w in waves:
            at = keys.merge(by_wave[w][[*index, m]], on=index, how="left")
            parts[wide_name(m, w, sep=sep)] = at[m]
    return pd.concat([wide, pd.DataFrame(parts, index=wide.index)], axis=1)


def from_wide(
    wide: pd.DataFrame, measures: Sequence[str] | str, *,
    index: Sequence[str] = DEFAULT_INDEX, waves: Sequence[int] = schema.WAVES, sep: str = "_t",
) -> pd.DataFrame:
    """Gather ``<measure>_t<w>`` columns back into the long layout (inverse of :func:`to_wide`).

    Parameters
    ----------
    wide : DataFrame
        Wide table with the ``index`` columns and ``<measure><sep><w>`` columns.
    measures : str or sequence of str
        Measures to gather.
    index : sequence of str
        Identifying columns copied onto every long row.
    waves : sequence of int
        Waves to gather.
    sep : str
        Separator used in the wide names.

    Returns
    -------
    DataFrame
        ``index`` columns, ``wave`` (int64) and ``measures``, one row per subject-reporter
        pair and wave where ``observed_t<w>`` is True. Without ``observed_t<w>`` columns a
        row is created where any measure is non-missing at that wave; wide cells of
        unobserved waves are then, by construction, not rows of the long table.

    Raises
    ------
    SchemaError
        If a wide column is missing.
    DataError
        If a measure has a value at a wave that ``observed_t<w>`` marks unobserved.
    """
    index = list(index)
    measures = _check_measures(measures, index)
    waves = _check_waves(waves)
    cols = [wide_name(m, w, sep=sep) for m in measures for w in waves]
    check_columns(wide, [*index, *cols], table="wide")
    frames = []
    for w in waves:
        part = wide[index].copy()
        part["wave"] = w
        for m in measures:
            part[m] = wide[wide_name(m, w, sep=sep)].to_numpy()
            part[m] = part[m].astype(wide[wide_name(m, w, sep=sep)].dtype)
        has_value = wide[[wide_name(m, w, sep=sep) for m in measures]].notna().any(axis=1)
        flag = wide_name("observed", w, sep=sep)
        if flag in wide.columns:
            observed = wide[flag].astype(bool)
            stray = has_value & ~observed
            if stray.any():
                raise DataError(f"wide has {int(stray.sum())} rows with values at wave {w} "
                                f"although {flag!r} is False.")
        else:
            observed = has_value
        frames.append(part[observed.to_numpy()])
    out = pd.concat(frames, ignore_index=True)
    out["wave"] = out["wave"].astype("int64")
    return out.sort_values([*index, "wave"], ignore_index=True)
