"""Coarsened exact matching (MatchIt's ``method = "cem"`` with its default binning).

Numeric covariates are cut into equal-width bins between their minimum and maximum, the
number of bins given by Sturges' rule (``ceil(log2(n) + 1)``) unless ``cutpoints`` says
otherwise, with the outer bins open (``findInterval`` on ``-inf, ..., inf``). Other
covariates are matched exactly. Strata with both groups form the subclasses.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

__all__ = ["cem_subclasses", "coarsen", "sturges_bins"]


def sturges_bins(n: int) -> int:
    """Return Sturges' number of classes, ``ceil(log2(n) + 1)`` (R ``nclass.Sturges``)."""
    return int(np.ceil(np.log2(n) + 1))


def coarsen(x: np.ndarray, cut: int | Sequence[float]) -> np.ndarray:
    """Return bin codes of a numeric vector: ``cut`` bins of equal width, or cut points.

    Codes follow R's ``findInterval(x, c(-Inf, inner breaks, Inf))``: a value equal to a
    break goes to the upper bin.
    """
    if isinstance(cut, int | np.integer):
        breaks = np.linspace(np.min(x), np.max(x), int(cut) + 1)[1:-1]
    else:
        breaks = np.unique(np.asarray(cut, dtype=float))
    return np.searchsorted(breaks, x, side="right").astype(np.int64)


def cem_subclasses(
    frame: pd.DataFrame,
    treat: np.ndarray,
    *,
    cutpoints: Mapping[str, int | Sequence[float]] | None = None,
    eligible: np.ndarray | None = None,
) -> np.ndarray:
    """Return CEM subclass codes (0..S-1; -1 for units in strata without both groups).

    Parameters
    ----------
    frame : DataFrame
        The matching variables, one row per unit (no missing values).
    treat : ndarray of shape (n,) of 0/1
    cutpoints : mapping of column to int (bins) or cut points, optional
        Default: Sturges' rule for every numeric, non-boolean column.
    eligible : ndarray of shape (n,) bool, optional
    """
    n = len(frame)
    ok = np.ones(n, bool) if eligible is None else eligible
    cutpoints = dict(cutpoints or {})
    codes = []
    for col in frame.columns:
        x = frame[col]
        numeric = pd.api.types.is_numeric_dtype(x) and not pd.api.types.is_bool_dtype(x)
        if numeric and cutpoints.get(col) != 0:
            cut = cutpoints.get(col, sturges_bins(n))
            codes.append(coarsen(x.to_numpy(dtype=float), cut))
        else:
            codes.append(pd.factorize(x, sort=True)[0].astype(np.int64))
    key = pd.MultiIndex.from_arrays(codes) if len(codes) > 1 else pd.Index(codes[0])
    stratum = pd.factorize(key)[0]
    s1 = set(stratum[ok & (treat == 1)].tolist())
    s0 = set(stratum[ok & (treat == 0)].tolist())
    common = sorted(s1 & s0)
    remap = {s: i for i, s in enumerate(common)}
    out = np.array([remap.get(int(s), -1) for s in stratum], dtype=np.int64)
    out[~ok] = -1
    return out
