"""Family-level arrays for the propensity-weighted difference-in-differences.

Accepts a wide frame (one row per family, ``outcome_pre`` and ``outcome_post`` columns)
or a long frame (one row per family and wave: ``outcome``, ``wave``, ``unit``) and returns
the arrays the kernels need. Rows are never dropped silently: with ``missing="drop"``
every excluded family is counted, by reason, in the returned :class:`Exclusions`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from kbeffect._formula import design_matrices, formula_variables
from kbeffect._results import Exclusions
from kbeffect._validation import check_columns
from kbeffect.errors import DataError, SpecificationError

__all__ = ["FamilyArrays", "family_arrays"]


@dataclass(frozen=True, slots=True)
class FamilyArrays:
    """Validated unit-level arrays.

    Attributes
    ----------
    X : ndarray of shape (n, p)
        Propensity design matrix (intercept first).
    columns : tuple of str
        Names of the columns of ``X``.
    d : ndarray of shape (n,)
        Treatment indicator (0.0 / 1.0).
    delta : ndarray of shape (n,)
        Change score ``post - pre``.
    frame : DataFrame
        The wide frame of the ``n`` used units (for cluster look-ups; never returned to users).
    unit : str or None
        Name of the unit-id column, if any.
    exclusions : Exclusions
        Units left out and why.
    """

    X: np.ndarray
    columns: tuple[str, ...]
    d: np.ndarray
    delta: np.ndarray
    frame: pd.DataFrame
    unit: str | None
    exclusions: Exclusions


def _covariate_formula(covariates: tuple[str, ...] | str) -> str:
    if isinstance(covariates, str):
        f = covariates.strip()
        if not f.startswith("~"):
            raise SpecificationError(
                f"covariates={covariates!r}: give a one-sided formula ('~ x1 + C(x2)') or a "
                "list of column names."
            )
        return f
    cov = tuple(covariates)
    if not all(isinstance(c, str) for c in cov):
        raise SpecificationError(f"covariates must be column names; got {covariates!r}.")
    return "~ " + (" + ".join(f"Q('{c}')" if not c.isidentifier() else c for c in cov) or "1")


def _long_to_wide(
    data: pd.DataFrame,
    *,
    outcome: str,
    wave: str,
    unit: str,
    waves: tuple[Any, Any],
    constant: list[str],
) -> pd.DataFrame:
    check_columns(data, [outcome, wave, unit, *constant])
    pre, post = waves
    sub = data[data[wave].isin([pre, post])]
    dup = sub.duplicated([unit, wave])
    if dup.any():
        raise DataError(
            f"{int(dup.sum())} rows repeat a ({unit!r}, {wave!r}) pair; ipw_did needs one row "
            "per unit and wave (aggregate children/reporters to the family first)."
        )
    for c in constant:
        varying = sub.groupby(unit)[c].nunique(dropna=False) > 1
        if varying.any():
            raise DataError(
                f"column {c!r} varies within {unit!r} across waves for {int(varying.sum())} "
                "units; treatment and covariates must be baseline (constant) values."
            )
    base = sub.drop_duplicates(unit).set_index(unit)[constant].sort_index()
    y = sub.pivot(index=unit, columns=wave, values=outcome)
    out = base.copy()
    out["_kb_pre"] = y[pre] if pre in y.columns else np.nan
    out["_kb_post"] = y[post] if post in y.columns else np.nan
    return out.reset_index()


def family_arrays(
    data: pd.DataFrame,
    *,
    treatment: str,
    covariates: tuple[str, ...] | str,
    outcome_pre: str | None = None,
    outcome_post: str | None = None,
    outcome: str | None = None,
    wave: str | None = None,
    unit: str | None = None,
    waves: tuple[Any, Any] = (0, 2),
    missing: Literal["raise", "drop"] = "raise",
) -> FamilyArrays:
    """Validate the data of :func:`kbeffect.ipw_did` and build its arrays.

    See :func:`kbeffect.ipw_did` for the parameters.

    Returns
    -------
    FamilyArrays
    """
    if not isinstance(data, pd.DataFrame):
        raise SpecificationError(f"data must be a pandas DataFrame; got {type(data).__name__}.")
    formula = _covariate_formula(covariates)
    cov_cols = formula_variables(formula, data) if formula.strip() != "~ 1" else []
    long = outcome is not None or wave is not None
    if long:
        if outcome is None or wave is None or unit is None:
            raise SpecificationError(
                "a long frame needs outcome=, wave= and unit= (or pass outcome_pre= and "
                "outcome_post= with a wide frame)."
            )
        if outcome_pre is not None or outcome_post is not None:
            raise SpecificationError("pass either outcome_pre/outcome_post or outcome/wave.")
        wide = _long_to_wide(
            data, outcome=outcome, wave=wave, unit=unit, waves=waves,
            constant=[treatment, *[c for c in cov_cols if c != unit]],
        )
        pre_col, post_col = "_kb_pre", "_kb_post"
        pre_name, post_name = f"{outcome} at {wave}={waves[0]}", f"{outcome} at {wave}={waves[1]}"
    else:
        if outcome_pre is None or outcome_post is None:
            raise SpecificationError("pass outcome_pre= and outcome_post= (or outcome=, wave=).")
        check_columns(data, [treatment, outcome_pre, outcome_post, *([unit] if unit else [])])
        if unit is not None and data[unit].duplicated().any():
            raise DataError(
                f"column {unit!r} (unit) has duplicated ids; expected one row per unit."
            )
        wide = data.reset_index(drop=True)
        pre_col, post_col = outcome_pre, outcome_post
        pre_name, post_name = outcome_pre, outcome_post
    excl = Exclusions(unit="families")
    ids = wide[unit] if unit is not None and unit in wide.columns else wide.index.to_series()
    for col, name in ((treatment, treatment), (pre_col, pre_name), (post_col, post_name)):
        na = wide[col].isna().to_numpy()
        if na.any():
            if missing == "raise":
                raise DataError(
                    f"{int(na.sum())} units have no value of {name!r}; pass missing='drop' to "
                    "exclude them (they are counted on the result)."
                )
            excl = excl.add(f"missing {name}", ids[na])
            wide, ids = wide[~na], ids[~na]
    dm = design_matrices(formula, wide, missing=missing)
    if dm.exclusions.total:
        excl = excl.add("missing covariate", ids.iloc[np.setdiff1d(np.arange(len(wide)), dm.rows)])
    wide = wide.iloc[dm.rows].reset_index(drop=True)
    d_raw = wide[treatment]
    if not d_raw.isin([0, 1, True, False]).all():
        raise DataError(f"column {treatment!r} (treatment) must be 0/1 or boolean.")
    d = d_raw.to_numpy(dtype=float)
    if d.sum() < 2 or (1 - d).sum() < 2:
        raise DataError(f"column {treatment!r} needs at least two treated and two control units.")
    delta = wide[post_col].to_numpy(dtype=float) - wide[pre_col].to_numpy(dtype=float)
    return FamilyArrays(
        X=dm.X, columns=dm.columns, d=d, delta=delta, frame=wide, unit=unit, exclusions=excl
    )
