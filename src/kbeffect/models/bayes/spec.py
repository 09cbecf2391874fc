"""Backend-agnostic specification of a Bayesian longitudinal model.

:func:`build_spec` validates a formula, the grouping columns and the optional exposure,
weight and random-slope columns once, and returns a frozen :class:`BayesSpec` holding
plain numpy arrays. The PyMC model (:mod:`.build`) and the estimands (:mod:`.estimands`)
only read the spec, so a spec could equally feed another backend.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from kbeffect._formula import design_matrices
from kbeffect._results import Exclusions
from kbeffect._validation import check_columns, check_literal, check_no_missing
from kbeffect.errors import DataError, SpecificationError

from .families import FAMILIES, family_info

__all__ = ["BayesSpec", "build_spec", "normalise_groups"]


@dataclass(frozen=True, slots=True)
class BayesSpec:
    """Arrays and metadata of one model fitted to one data set.

    Attributes
    ----------
    formula : str
        Fixed-effects formula.
    family : str
        Outcome family.
    y : ndarray of shape (n,)
        Response (float for ``gaussian``, int otherwise; category codes for ``ordinal``).
    X : ndarray of shape (n, p)
        Fixed-effects design (no intercept column for ``ordinal``).
    columns : tuple of str
        Term names of the columns of ``X``.
    offset : ndarray of shape (n,)
        log(exposure); zeros when there is no exposure.
    weights : ndarray of shape (n,) or None
        Family-level likelihood weights, repeated on each row.
    family_idx : ndarray of shape (n,) or None
        0-based family index of each row (``groups[0]``).
    child_idx : ndarray of shape (n,) or None
        0-based index of the (family, child) pair of each row (``groups[1]``).
    slope : ndarray of shape (n,) or None
        Values of the random-slope variable.
    n_families, n_children : int
        Number of distinct families / children (0 without the grouping level).
    family_levels : ndarray of shape (n_families,)
        Family identifiers in index order.
    child_levels : tuple
        (family, child) identifier pairs in index order (empty without a child level).
    groups : tuple of str
        Grouping columns, outer first.
    random_slope : str or None
        Name of the random-slope variable.
    exposure, weights_column : str or None
        Names of the exposure and weight columns.
    categories : tuple
        Ordered response categories (``ordinal`` only).
    rows : ndarray of shape (n,)
        Positions (0-based) of the used rows in the input frame.
    exclusions : Exclusions
        Rows excluded and why.
    missing : {"raise", "drop"}
        The missing-value policy the spec was built with (kept for refits).
    design : object
        formulaic model spec, to rebuild ``X`` for counterfactual data.
    """

    formula: str
    family: str
    y: np.ndarray
    X: np.ndarray
    columns: tuple[str, ...]
    offset: np.ndarray
    weights: np.ndarray | None
    family_idx: np.ndarray | None
    child_idx: np.ndarray | None
    slope: np.ndarray | None
    n_families: int
    n_children: int
    family_levels: np.ndarray
    child_levels: tuple[object, ...]
    groups: tuple[str, ...]
    random_slope: str | None
    exposure: str | None
    weights_column: str | None
    categories: tuple[object, ...]
    rows: np.ndarray
    exclusions: Exclusions
    missing: str
    design: object = field(repr=False)

    @property
    def n(self) -> int:
        """Number of rows used."""
        return int(self.y.shape[0])

    def params(self) -> tuple[str, ...]:
        """Names of the scalar parameters (random-effect SDs, auxiliaries) of the model."""
        out: list[str] = []
        if self.family_idx is not None:
            out.append("sd_family")
        if self.child_idx is not None:
            out.append("sd_child")
        if self.slope is not None:
            out.append("sd_slope")
        return (*out, *family_info(self.family).aux)

    def data_arrays(self) -> dict[str, np.ndarray]:
        """Arrays that feed the model's data containers (what a refit may change)."""
        out: dict[str, np.ndarray] = {"X": self.X, "y_data": self.y, "offset": self.offset}
        if self.family_idx is not None:
            out["family_idx"] = self.family_idx
        if self.child_idx is not None:
            out["child_idx"] = self.child_idx
        if self.slope is not None:
            out["slope_x"] = self.slope
        if self.weights is not None:
            out["weights"] = self.weights
        return out

    def shape_key(self) -> tuple[object, ...]:
        """Return what must stay equal for a compiled model to be reused with new data."""
        return (
            self.family, self.columns, self.n_families, self.n_children,
            len(self.categories), self.slope is not None, self.weights is not None,
            self.exposure is not None,
        )


def normalise_groups(groups: str | Sequence[str] | None) -> tuple[str, ...]:
    """Return ``groups`` as a tuple of at most two column names (outer first)."""
    if groups is None:
        return ()
    if isinstance(groups, str):
        return (groups,)
    out = tuple(groups)
    if not 1 <= len(out) <= 2 or not all(isinstance(g, str) for g in out):
        raise SpecificationError(
            "groups must be a column name or a sequence of one or two column names "
            f"(family, then child within family); got {groups!r}."
        )
    return out


def build_spec(
    formula: str,
    data: pd.DataFrame,
    *,
    family: str,
    groups: str | Sequence[str] | None = None,
    exposure: str | None = None,
    weights: str | None = None,
    random_slope: str | None = None,
    missing: Literal["raise", "drop"] = "raise",
    categories: Sequence[object] | None = None,
    levels: tuple[Sequence[object], Sequence[object]] | None = None,
) -> BayesSpec:
    """Validate the inputs and build a :class:`BayesSpec`.

    Parameters
    ----------
    formula : str
        ``"y ~ terms"``. For ``ordinal`` the left side must be a column name.
    data : DataFrame
        Long data: one row per subject x wave.
    family : str
        One of :data:`~.families.FAMILIES`.
    groups : str or sequence of str, optional
        Family column, optionally followed by the child column (child within family).
    exposure : str, optional
        Column with the length of the reference period (count families only).
    weights : str, optional
        Column with family-level weights (constant within a family).
    random_slope : str, optional
        Numeric column with a family-level random slope (needs ``groups``).
    missing : {"raise", "drop"}
        What to do with rows with missing values in a used column.
    categories : sequence, optional
        Ordinal categories in order (default: the ordered categorical's categories, or
        the sorted distinct values).
    levels : (family levels, child levels), optional
        Fixed random-effect levels (used by refits): families or children without rows
        keep a random effect drawn from its prior, which leaves the rest of the posterior
        unchanged. Every family/child in the data must be among them.

    Returns
    -------
    BayesSpec
    """
    check_literal("family", family, tuple(FAMILIES))
    check_literal("missing", missing, ("raise", "drop"))
    if not isinstance(formula, str) or "~" not in formula:
        raise SpecificationError(f"formula must be a two-sided string 'y ~ x'; got {formula!r}.")
    info = family_info(family)
    grp = normalise_groups(groups)
    if random_slope is not None and not grp:
        raise SpecificationError("random_slope needs groups (the family column).")
    if exposure is not None and not info.is_count:
        raise SpecificationError(f"exposure applies to count families only, not {family!r}.")
    lhs = formula.split("~", 1)[0].strip()
    extra = [c for c in (*grp, exposure, weights, random_slope) if c is not None]
    if family == "ordinal":
        extra.append(lhs)
    check_columns(data, extra)
    excl = Exclusions(unit="rows")
    frame = data
    kept = np.arange(len(data))
    if extra:
        na = data[extra].isna().any(axis=1).to_numpy()
        if na.any():
            if missing == "raise":
                check_no_missing(data, extra)
            excl = excl.add("missing value in a grouping/exposure/weight column", data.index[na])
            frame = data.loc[~na]
            kept = np.flatnonzero(~na)
    rhs = "~" + formula.split("~", 1)[1] if family == "ordinal" else formula
    dm = design_matrices(rhs, frame, missing=missing)
    for reason, n in dm.exclusions.counts.items():
        if n:
            excl = excl.add(reason, dm.exclusions.ids.get(reason, ()))
    used = frame.iloc[dm.rows]
    rows = kept[dm.rows]
    X, columns = dm.X, dm.columns
    cats: tuple[object, ...] = ()
    if family == "ordinal":
        y, cats = _ordinal_codes(used[lhs], categories)
        keep = [j for j, c in enumerate(columns) if c != "Intercept"]
        X, columns = X[:, keep], tuple(columns[j] for j in keep)
    elif dm.y is None:  # pragma: no cover - the formula was checked to be two-sided
        raise SpecificationError(f"formula {formula!r} has no response.")
    else:
        y = _check_response(family, dm.y, lhs)
    if X.shape[0] == 0:
        raise DataError("no rows left to fit after exclusions.")
    if X.shape[1] and np.linalg.matrix_rank(X) < X.shape[1]:
        raise SpecificationError(
            f"the design of {formula!r} is rank deficient (columns {list(columns)}); "
            "remove collinear terms."
        )
    offset = np.zeros(len(used))
    if exposure is not None:
        e = used[exposure].to_numpy(dtype=float)
        if np.any(~np.isfinite(e)) or np.any(e <= 0):
            raise DataError(f"exposure column {exposure!r} must be positive and finite.")
        offset = np.log(e)
    fam_idx = child_idx = slope = w = None
    n_fam = n_child = 0
    fam_levels: np.ndarray = np.array([])
    child_lv: tuple[object, ...] = ()
    if grp:
        fam_idx, fam_list = _codes(used[grp[0]], levels[0] if levels else None)
        n_fam, fam_levels = len(fam_list), np.asarray(fam_list)
        if len(grp) == 2:
            pairs = pd.Series(list(zip(used[grp[0]], used[grp[1]], strict=True)),
                              index=used.index)
            child_idx, child_arr = _codes(pairs, levels[1] if levels else None)
            n_child, child_lv = len(child_arr), tuple(child_arr)
    if random_slope is not None:
        slope = _numeric(used, random_slope)
    if weights is not None:
        w = _numeric(used, weights)
        if np.any(w <= 0):
            raise DataError(f"weights column {weights!r} must be positive.")
        if fam_idx is not None:
            wf = pd.Series(w).groupby(fam_idx).nunique()
            if (wf > 1).any():
                raise DataError(
                    f"weights column {weights!r} must be constant within each family "
                    f"({grp[0]!r}); {int((wf > 1).sum())} families have varying weights."
                )
    return BayesSpec(
        formula=formula, family=family, y=y, X=np.ascontiguousarray(X), columns=tuple(columns),
        offset=offset, weights=w, family_idx=fam_idx, child_idx=child_idx, slope=slope,
        n_families=n_fam, n_children=n_child, family_levels=np.asarray(fam_levels),
        child_levels=child_lv, groups=grp,
        random_slope=random_slope, exposure=exposure, weights_column=weights, categories=cats,
        rows=rows, exclusions=excl, missing=missing, design=dm.spec,
    )


def _codes(values: pd.Series, levels: Sequence[object] | None) -> tuple[np.ndarray, list[object]]:
    """Integer codes of ``values`` and the levels they index (sorted, or ``levels``)."""
    if levels is None:
        codes, uniques = pd.factorize(values, sort=True)
        return codes.astype(np.int64), list(uniques)
    index = pd.Index(list(levels), tupleize_cols=False)
    codes = index.get_indexer(pd.Index(values.tolist(), tupleize_cols=False))
    if np.any(codes < 0):
        raise DataError(f"{int((codes < 0).sum())} rows belong to groups outside `levels`.")
    return codes.astype(np.int64), list(levels)


def _numeric(frame: pd.DataFrame, column: str) -> np.ndarray:
    try:
        v = frame[column].to_numpy(dtype=float)
    except (TypeError, ValueError):
        raise DataError(f"column {column!r} must be numeric.") from None
    if not np.all(np.isfinite(v)):
        raise DataError(f"column {column!r} must be finite.")
    return v


def _check_response(family: str, y: np.ndarray, name: str) -> np.ndarray:
    if not np.all(np.isfinite(y)):
        raise DataError(f"response {name!r} must be finite.")
    if family == "gaussian":
        return y.astype(float)
    if family == "bernoulli" and not np.all(np.isin(y, (0.0, 1.0))):
        raise DataError(f"response {name!r} must be 0/1 for family='bernoulli'.")
    if np.any(y < 0) or np.any(y != np.round(y)):
        raise DataError(f"response {name!r} must hold non-negative integer counts for {family!r}.")
    return y.astype(np.int64)


def _ordinal_codes(
    y: pd.Series, categories: Sequence[object] | None
) -> tuple[np.ndarray, tuple[object, ...]]:
    if categories is not None:
        cats = tuple(categories)
    elif isinstance(y.dtype, pd.CategoricalDtype):
        cats = tuple(y.cat.categories)
    else:
        cats = tuple(sorted(pd.unique(y)))
    if len(cats) < 3:
        raise SpecificationError(
            f"family='ordinal' needs at least 3 ordered categories; got {list(cats)} "
            "(use family='bernoulli' for two)."
        )
    lookup = {c: i for i, c in enumerate(cats)}
    unknown = sorted({v for v in y if v not in lookup}, key=str)
    if unknown:
        raise DataError(f"ordinal response {y.name!r} has values {unknown} not in {list(cats)}.")
    return np.array([lookup[v] for v in y], dtype=np.int64), cats
