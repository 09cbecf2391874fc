"""The one module that talks to formulaic.

``design_matrices`` turns a Wilkinson formula and a DataFrame into numpy arrays and never
drops a row silently: rows with missing values raise by default, or are excluded and
counted in the returned :class:`~kbeffect._results.Exclusions` when ``missing="drop"``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from kbeffect._results import Exclusions
from kbeffect._validation import check_literal
from kbeffect.errors import DataError, SchemaError, SpecificationError

__all__ = ["DesignMatrices", "design_matrices", "formula_variables"]


@dataclass(frozen=True, slots=True)
class DesignMatrices:
    """Arrays built from a formula.

    Attributes
    ----------
    y : ndarray of shape (n,) or None
        Response (None for a one-sided formula).
    X : ndarray of shape (n, p)
        Fixed-effects design matrix.
    columns : tuple of str
        Names of the columns of ``X``.
    rows : ndarray of shape (n,)
        Positions (0-based) of the used rows in the input frame.
    exclusions : Exclusions
        Rows excluded and why.
    spec : object
        formulaic model spec, to build matrices for new data with the same coding.
    """

    y: np.ndarray | None
    X: np.ndarray
    columns: tuple[str, ...]
    rows: np.ndarray
    exclusions: Exclusions
    spec: object


def formula_variables(formula: str, data: pd.DataFrame) -> list[str]:
    """Return the data columns a formula refers to (in order of appearance)."""
    from formulaic import Formula

    try:
        f = Formula(formula)
        names = [str(v) for v in f.required_variables]
    except Exception as exc:  # formulaic raises several parser errors
        raise SpecificationError(f"could not parse formula {formula!r}: {exc}") from exc
    missing = [v for v in names if v not in data.columns]
    if missing:
        raise SchemaError(f"formula {formula!r} uses column(s) {missing} not in the data.")
    return [c for c in data.columns if c in set(names)]


def design_matrices(
    formula: str, data: pd.DataFrame, *, missing: Literal["raise", "drop"] = "raise"
) -> DesignMatrices:
    """Build the response and design matrix of ``formula`` on ``data``.

    Parameters
    ----------
    formula : str
        Wilkinson formula (``"y ~ x1 + C(x2)"``) or one-sided (``"~ x1 + x2"``).
    data : DataFrame
        Input data.
    missing : {"raise", "drop"}
        What to do with rows that have a missing value in a formula variable.

    Returns
    -------
    DesignMatrices
    """
    from formulaic import model_matrix

    check_literal("missing", missing, ("raise", "drop"))
    variables = formula_variables(formula, data)
    na = data[variables].isna().any(axis=1).to_numpy()
    excl = Exclusions(unit="rows")
    if na.any():
        if missing == "raise":
            cols = [c for c in variables if data[c].isna().any()]
            raise DataError(
                f"{int(na.sum())} rows have missing values in {cols} (formula {formula!r}); "
                "pass missing='drop' to exclude them (they are counted on the result)."
            )
        excl = excl.add("missing value in a formula variable", data.index[na])
    used = data.loc[~na]
    mm = model_matrix(formula, used, na_action="raise")
    if hasattr(mm, "rhs"):
        y = np.asarray(mm.lhs, dtype=float).ravel()
        rhs = mm.rhs
    else:
        y, rhs = None, mm
    return DesignMatrices(
        y=y,
        X=np.asarray(rhs, dtype=float),
        columns=tuple(str(c) for c in rhs.columns),
        rows=np.flatnonzero(~na),
        exclusions=excl,
        spec=rhs.model_spec,
    )
