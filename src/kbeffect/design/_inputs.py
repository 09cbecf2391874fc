"""Shared input handling for the design layer: treatment, covariates, missing values.

Every public function of :mod:`kbeffect.design` turns its ``data``, ``treatment`` and
``covariates`` arguments into a :class:`DesignInputs` here, so that the rules are the
same everywhere: the treatment must be binary (bool or 0/1), covariates are a one-sided
formula or a list of column names (string, categorical and boolean columns are dummy
coded by formulaic), and a missing value in any required column raises a
:class:`~kbeffect.errors.DataError` unless ``missing="drop"``, in which case the rows are
excluded and counted in an :class:`~kbeffect._results.Exclusions`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from kbeffect._formula import design_matrices, formula_variables
from kbeffect._results import Exclusions
from kbeffect._validation import check_columns, check_literal
from kbeffect.errors import DataError, SpecificationError

__all__ = ["Covariates", "DesignInputs", "covariate_formula", "prepare_inputs", "treatment_vector"]

Covariates = str | Sequence[str]
Missing = Literal["raise", "drop"]


@dataclass(frozen=True, slots=True)
class DesignInputs:
    """Validated arrays for one design (propensity model, matching or weighting).

    Attributes
    ----------
    data : DataFrame
        The rows of the input that are used (original index kept), all columns.
    rows : ndarray of shape (n,)
        Positions (0-based) of the used rows in the input frame.
    treat : ndarray of shape (n,)
        Treatment indicator coded 0/1 (int8).
    X : ndarray of shape (n, p)
        Covariate design matrix **without** intercept.
    columns : tuple of str
        Names of the columns of ``X``.
    variables : tuple of str
        The data columns the covariate specification refers to.
    formula : str
        The one-sided covariate formula that was used.
    treatment : str
        Name of the treatment column.
    n_input : int
        Number of rows of the input frame.
    exclusions : Exclusions
        Rows excluded (only with ``missing="drop"``).
    """

    data: pd.DataFrame
    rows: np.ndarray
    treat: np.ndarray
    X: np.ndarray
    columns: tuple[str, ...]
    variables: tuple[str, ...]
    formula: str
    treatment: str
    n_input: int
    exclusions: Exclusions


def covariate_formula(covariates: Covariates, data: pd.DataFrame, treatment: str) -> str:
    """Return a one-sided formula for ``covariates`` (a formula or a list of columns).

    A two-sided formula must have the treatment on the left (``"treated ~ x1 + x2"``).
    """
    if isinstance(covariates, str):
        if "~" not in covariates:
            raise SpecificationError(
                f"covariates={covariates!r} is not a formula; pass a formula such as "
                "'~ income + C(education)' or a list of column names."
            )
        lhs, rhs = covariates.split("~", 1)
        if lhs.strip() and lhs.strip() != treatment:
            raise SpecificationError(
                f"the covariate formula has {lhs.strip()!r} on the left but treatment="
                f"{treatment!r}; leave the left-hand side empty or use the treatment column."
            )
        if not rhs.strip():
            raise SpecificationError("covariates: the formula has no right-hand side.")
        return "~ " + rhs.strip()
    if isinstance(covariates, Sequence) and not isinstance(covariates, bytes):
        cols = list(covariates)
        if not cols or not all(isinstance(c, str) for c in cols):
            raise SpecificationError(
                "covariates must be a formula string or a non-empty list of column names; "
                f"got {covariates!r}."
            )
        check_columns(data, cols)
        if treatment in cols:
            raise SpecificationError(f"the treatment column {treatment!r} is among the covariates.")
        return "~ " + " + ".join(_term(c) for c in cols)
    raise SpecificationError(
        f"covariates must be a formula string or a list of column names; got {covariates!r}."
    )


def _term(col: str) -> str:
    return col if col.isidentifier() else f"`{col}`"


def treatment_vector(values: pd.Series, name: str) -> np.ndarray:
    """Return a binary treatment column as int8 0/1, or raise DataError naming it."""
    if pd.api.types.is_bool_dtype(values):
        return values.to_numpy(dtype=np.int8)
    try:
        arr = pd.to_numeric(values, errors="raise").to_numpy(dtype=float)
    except (TypeError, ValueError):
        raise DataError(
            f"treatment column {name!r} must be boolean or coded 0/1; got values "
            f"{list(pd.unique(values))[:5]}."
        ) from None
    bad = ~np.isin(arr, (0.0, 1.0))
    if bad.any():
        raise DataError(
            f"treatment column {name!r} must be boolean or coded 0/1; found "
            f"{sorted(set(arr[bad].tolist()))[:5]}."
        )
    return arr.astype(np.int8)


def prepare_inputs(
    data: Any,
    *,
    treatment: str,
    covariates: Covariates,
    missing: Missing = "raise",
    extra: Sequence[str] = (),
    unit: str = "families",
    both_groups: bool = True,
) -> DesignInputs:
    """Validate ``data``/``treatment``/``covariates`` and build the design arrays.

    Parameters
    ----------
    data : DataFrame
        One row per unit (family).
    treatment : str
        Binary treatment column.
    covariates : str or sequence of str
        One-sided formula or column names.
    missing : {"raise", "drop"}
        Rows with a missing treatment, covariate or ``extra`` value raise (default) or are
        excluded and counted.
    extra : sequence of str
        Further required columns (exact-matching variables, strata).
    unit : str
        What a row is, for the exclusion counts.
    both_groups : bool
        Require both values of ``treatment`` (default); False for callers that only use it
        as one of several 0/1 indicators (attrition weights).

    Returns
    -------
    DesignInputs
    """
    check_literal("missing", missing, ("raise", "drop"))
    if not isinstance(treatment, str):
        raise SpecificationError(f"treatment must be a column name; got {treatment!r}.")
    check_columns(data, [treatment, *extra])
    formula = covariate_formula(covariates, data, treatment)
    variables = formula_variables(formula, data)
    if not variables:
        raise SpecificationError(f"the covariate formula {formula!r} uses no data column.")
    needed = list(dict.fromkeys([treatment, *variables, *extra]))
    na = data[needed].isna()
    excl = Exclusions(unit=unit)
    if na.to_numpy().any():
        if missing == "raise":
            bad = {c: int(n) for c, n in na.sum().items() if n > 0}
            detail = ", ".join(f"{c!r} ({n} rows)" for c, n in bad.items())
            raise DataError(
                f"missing values in {detail}. Matching and weighting need complete treatment "
                "and covariates (as in MatchIt); impute them, or pass missing='drop' to "
                "exclude those rows (the exclusions are counted on the result)."
            )
        if na[treatment].any():
            excl = excl.add(f"missing treatment ({treatment})", data.index[na[treatment]])
        rest = na.drop(columns=[treatment]).any(axis=1) & ~na[treatment]
        if rest.any():
            excl = excl.add("missing covariate", data.index[rest])
    keep = ~na.any(axis=1).to_numpy()
    used = data.loc[keep]
    if len(used) == 0:
        raise DataError("no rows left after excluding rows with missing values.")
    treat = treatment_vector(used[treatment], treatment)
    if both_groups and treat.min() == treat.max():
        raise DataError(f"treatment column {treatment!r} has a single value; need both groups.")
    dm = design_matrices(formula, used, missing="raise")
    cols = list(dm.columns)
    X = dm.X
    if "Intercept" in cols:
        j = cols.index("Intercept")
        X = np.delete(X, j, axis=1)
        cols.pop(j)
    if X.shape[1] == 0:
        raise SpecificationError(f"the covariate formula {formula!r} has no covariate column.")
    return DesignInputs(
        data=used,
        rows=np.flatnonzero(keep),
        treat=treat,
        X=np.ascontiguousarray(X, dtype=float),
        columns=tuple(cols),
        variables=tuple(variables),
        formula=formula,
        treatment=treatment,
        n_input=len(data),
        exclusions=excl,
    )
