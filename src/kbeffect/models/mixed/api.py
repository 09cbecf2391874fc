"""``kbeffect.mixed``: one entry point for linear, count and ordinal mixed models.

The function validates the arguments once, builds the arrays through
:func:`kbeffect._formula.design_matrices`, codes the grouping levels (inner levels are
coded *within* the outermost level, like lme4's ``family:child``), and calls a pure
kernel: :func:`~kbeffect.models.mixed.lmm.fit_lmm` for ``family="gaussian"``, and
``fit_glmm`` / ``fit_clmm`` from :mod:`kbeffect.models.mixed.glmm` for counts and the
ordinal severity. Everything is wrapped in a :class:`~.result.MixedResult`.
"""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd

from kbeffect._formula import design_matrices, formula_variables
from kbeffect._results import Exclusions
from kbeffect._validation import (
    check_columns,
    check_literal,
    check_no_missing,
    check_positive_int,
    check_probability,
)
from kbeffect.errors import (
    ConvergenceWarning,
    DataError,
    EstimationError,
    SpecificationError,
)
from kbeffect.models.mixed.result import MixedResult

__all__ = ["FAMILIES", "mixed"]

Family = Literal[
    "gaussian", "poisson", "negbin", "zip", "zinb", "hurdle_poisson", "hurdle_negbin", "ordinal"
]
FAMILIES: tuple[str, ...] = (
    "gaussian", "poisson", "negbin", "zip", "zinb", "hurdle_poisson", "hurdle_negbin", "ordinal",
)
_ZI_FAMILIES = ("zip", "zinb", "hurdle_poisson", "hurdle_negbin")


def mixed(
    formula: str,
    data: pd.DataFrame,
    *,
    groups: str | Sequence[str],
    family: Family = "gaussian",
    reml: bool = True,
    exposure: str | None = None,
    weights: str | pd.Series | None = None,
    random_slope: str | None = None,
    slope_level: str | None = None,
    vcov: Literal["model", "robust"] | None = None,
    missing: Literal["raise", "drop"] = "raise",
    zi_formula: str = "~ 1",
    n_agq: int = 1,
    conf_level: float = 0.95,
) -> MixedResult:
    """Fit a multilevel model for repeated measures nested in children and families.

    Parameters
    ----------
    formula : str
        Fixed part, e.g. ``"score ~ C(group) * C(wave) + age"``. For ``family="ordinal"``
        the intercept is replaced by the thresholds.
    data : DataFrame
        One row per observation (long format: every observed wave of every family).
    groups : str or sequence of str
        Grouping columns, outermost first, e.g. ``("family_id", "person_id")``. Each gets a
        random intercept; inner levels are coded within the outermost one (lme4's
        ``(1 | family_id) + (1 | family_id:person_id)``).
    family : {"gaussian", "poisson", "negbin", "zip", "zinb", "hurdle_poisson", \
"hurdle_negbin", "ordinal"}
        Response distribution. ``"negbin"`` is NB2; ``"zi*"`` zero-inflated; ``"hurdle_*"``
        hurdle models; ``"ordinal"`` a cumulative-logit model of an ordered category.
    reml : bool, default True
        REML (linear models only). Must be False with ``weights`` (pseudo-likelihood).
    exposure : str, optional
        Column with the exposure time of counts (years; the T2 window is 0.5); enters as
        the offset ``log(exposure)``.
    weights : str or Series, optional
        Family-level weights (propensity, matching or dropout weights): a column constant
        within family, or a Series indexed by the outermost group id. They enter the
        likelihood as pseudo-likelihood weights; standard errors are then the family-level
        sandwich.
    random_slope : str, optional
        Numeric column (usually ``"wave"``) with a correlated random slope (linear models).
    slope_level : str, optional
        Grouping column that carries the random slope (default: the outermost).
    vcov : {"model", "robust"}, optional
        Covariance of the fixed effects: model-based (with Satterthwaite df for linear
        models) or family-level cluster-robust. Default "robust" with weights, else "model".
    missing : {"raise", "drop"}
        What to do with rows that have missing values in any variable used.
    zi_formula : str
        One-sided formula of the zero-inflation / hurdle part.
    n_agq : int
        Quadrature points for count and ordinal models (1 = Laplace).
    conf_level : float
        Level of the confidence intervals in ``tidy()``.

    Returns
    -------
    MixedResult

    Raises
    ------
    SpecificationError
        Unknown option, or an option that does not apply to ``family``.
    SchemaError, DataError
        Missing columns, missing values, or weights that vary within a family.
    EstimationError
        Rank-deficient design or a failed fit.
    """
    check_literal("family", family, FAMILIES)
    check_literal("missing", missing, ("raise", "drop"))
    check_literal("vcov", vcov, ("model", "robust", None))
    n_agq = check_positive_int("n_agq", n_agq)
    conf_level = check_probability("conf_level", conf_level)
    group_cols = [groups] if isinstance(groups, str) else list(groups)
    if not group_cols:
        raise SpecificationError("groups must name at least one grouping column.")
    gaussian = family == "gaussian"
    if not gaussian and random_slope is not None:
        raise SpecificationError(
            f"random_slope is only available for family='gaussian'; got family={family!r}."
        )
    if exposure is not None and family in ("gaussian", "ordinal"):
        raise SpecificationError(f"exposure applies to count families, not family={family!r}.")
    if weights is not None and gaussian and reml:
        raise SpecificationError(
            "weights give a pseudo-likelihood, for which REML is not defined; pass reml=False."
        )
    if vcov is None:
        vcov = "robust" if weights is not None else "model"
    elif vcov == "model" and weights is not None:
        raise SpecificationError(
            "vcov='model' is not valid with pseudo-likelihood weights; use vcov='robust' "
            "(family-level sandwich) or the cluster bootstrap."
        )
    if slope_level is not None and slope_level not in group_cols:
        raise SpecificationError(f"slope_level={slope_level!r} must be one of groups {group_cols}.")
    if family not in _ZI_FAMILIES and zi_formula.replace(" ", "") != "~1":
        raise SpecificationError(
            f"zi_formula applies to {_ZI_FAMILIES}, not family={family!r}; got {zi_formula!r}."
        )
    extra = [*group_cols]
    extra += [c for c in (exposure, random_slope) if c is not None]
    if isinstance(weights, str):
        extra.append(weights)
    check_columns(data, extra)
    # variables of the zero part are checked for missing values with the rest, so that
    # missing="drop" excludes (and counts) those rows too
    zi_vars = formula_variables(zi_formula, data) if family in _ZI_FAMILIES else []

    work, excl = _drop_missing(data, [*extra, *(v for v in zi_vars if v not in extra)], missing)
    dm = design_matrices(formula, work, missing=missing)
    excl = _merge_exclusions(excl, dm.exclusions)
    used = work.iloc[dm.rows]
    if dm.y is None:
        raise SpecificationError(f"formula {formula!r} has no response (left-hand side).")
    X, x_names = dm.X, dm.columns
    if family == "ordinal":
        keep = [j for j, c in enumerate(x_names) if c != "Intercept"]
        X, x_names = X[:, keep], tuple(x_names[j] for j in keep)
    if X.shape[1] and np.linalg.matrix_rank(X.T @ X) < X.shape[1]:
        raise EstimationError(
            f"the fixed-effects design of {formula!r} is rank deficient (columns {x_names}); "
            "remove collinear terms (e.g. a covariate constant within a group x wave cell)."
        )
    codes = _code_groups(used, group_cols)
    n_fam = int(codes[0].max()) + 1
    if n_fam < 2:
        raise DataError(
            f"{group_cols[0]!r} has {n_fam} group(s) after exclusions; a mixed model needs "
            "at least two (and many more for stable variance estimates)."
        )
    w = _family_weights(used, weights, group_cols[0], n_fam) if weights is not None else None

    zi = None
    if gaussian:
        from kbeffect.models.mixed.lmm import fit_lmm

        slope_levels: tuple[int, ...] = ()
        slope = None
        if random_slope is not None:
            slope = pd.to_numeric(used[random_slope], errors="coerce").to_numpy(float)
            if not np.isfinite(slope).all():
                raise DataError(f"random_slope column {random_slope!r} must be numeric.")
            slope_levels = (group_cols.index(slope_level) if slope_level else 0,)
        fit: Any = fit_lmm(
            dm.y, X, codes, x_names=x_names, level_names=tuple(group_cols), slope=slope,
            slope_levels=slope_levels, slope_name=random_slope or "slope", reml=reml,
            weights=w, satterthwaite=vcov == "model",
        )
    else:
        zi = design_matrices(zi_formula, used) if family in _ZI_FAMILIES else None
        fit = _fit_other(family, dm.y, X, x_names, codes, used, exposure, w, zi, n_agq,
                         group_cols)
    _warn_fit(fit)
    if vcov == "robust" and getattr(fit, "cov_robust", None) is None:
        raise EstimationError(
            f"the {family} kernel returned no family-level robust covariance; use "
            "vcov='model' (unweighted fits) or the cluster bootstrap."
        )
    return MixedResult(
        fit=fit,
        formula=formula,
        family=family,
        groups=tuple(group_cols),
        vcov_type=vcov,
        conf_level=conf_level,
        exclusions=excl,
        group_index=_group_index(used, group_cols),
        spec=dm.spec,
        zi_spec=zi.spec if zi is not None else None,
        exposure=exposure,
        weighted=weights is not None,
        random_slope=random_slope,
        reml=bool(reml and gaussian),
    )


def _drop_missing(
    data: pd.DataFrame, columns: list[str], missing: str
) -> tuple[pd.DataFrame, Exclusions]:
    excl = Exclusions(unit="rows")
    na = data[columns].isna().any(axis=1).to_numpy()
    if not na.any():
        return data, excl
    if missing == "raise":
        check_no_missing(data, columns)
    excl = excl.add(
        "missing value in a grouping, exposure, slope, weight or zero-part column", data.index[na]
    )
    return data.loc[~na], excl


def _merge_exclusions(a: Exclusions, b: Exclusions) -> Exclusions:
    out = a
    for reason, ids in b.ids.items():
        out = out.add(reason, ids)
    return out


def _code_groups(used: pd.DataFrame, cols: list[str]) -> tuple[np.ndarray, ...]:
    """Integer codes ``0..G-1`` per level; inner levels coded within the outermost."""
    outer = pd.factorize(used[cols[0]], sort=True)[0]
    codes = [np.asarray(outer, dtype=np.int64)]
    for c in cols[1:]:
        key = pd.MultiIndex.from_arrays([used[cols[0]], used[c]])
        codes.append(np.asarray(pd.factorize(key, sort=True)[0], dtype=np.int64))
    return tuple(codes)


def _group_index(used: pd.DataFrame, cols: list[str]) -> dict[str, pd.Index]:
    """Labels of the groups of each level in the order of their integer codes."""
    out: dict[str, pd.Index] = {cols[0]: pd.Index(np.sort(used[cols[0]].unique()), name=cols[0])}
    for c in cols[1:]:
        key = pd.MultiIndex.from_arrays([used[cols[0]], used[c]])
        out[c] = pd.MultiIndex.from_tuples(sorted(set(key)), names=[cols[0], c])
    return out


def _family_weights(
    used: pd.DataFrame, weights: str | pd.Series | Mapping[Any, float], outer: str, n_fam: int
) -> np.ndarray:
    fam_sorted = np.sort(used[outer].unique())
    if isinstance(weights, str):
        per = used.groupby(outer, sort=True)[weights]
        if (per.nunique(dropna=False) > 1).any():
            raise DataError(
                f"weights column {weights!r} varies within {outer!r}; family-level weights "
                "must be constant within each family."
            )
        w = per.first().reindex(fam_sorted).to_numpy(float)
    else:
        series = pd.Series(weights)
        missing_ids = [f for f in fam_sorted if f not in series.index]
        if missing_ids:
            raise DataError(
                f"weights has no value for {len(missing_ids)} {outer!r} id(s), e.g. "
                f"{missing_ids[:3]}."
            )
        w = series.reindex(fam_sorted).to_numpy(float)
    if w.size != n_fam or not np.isfinite(w).all() or (w < 0).any() or w.sum() <= 0:
        raise DataError("weights must be finite, non-negative and not all zero.")
    return w


def _fit_other(
    family: Any,
    y: np.ndarray,
    X: np.ndarray,
    x_names: tuple[str, ...],
    codes: tuple[np.ndarray, ...],
    used: pd.DataFrame,
    exposure: str | None,
    w: np.ndarray | None,
    zi: Any,
    n_agq: int,
    group_cols: list[str],
) -> Any:
    """Call the count (:mod:`.glmm`) and ordinal (:mod:`.clmm`) kernels."""
    try:
        kernel: Any = importlib.import_module(
            "kbeffect.models.mixed." + ("clmm" if family == "ordinal" else "glmm")
        )
    except ImportError as exc:  # pragma: no cover - depends on the build
        raise EstimationError(
            f"family={family!r} needs the count/ordinal kernels, which could not be imported "
            f"({exc}); use family='gaussian' or kbeffect.models.mixed.gee()."
        ) from exc
    names = tuple(group_cols)
    if family == "ordinal":
        y_codes = np.asarray(y, dtype=float)
        if not np.allclose(y_codes, np.round(y_codes)) or y_codes.min() < 0:
            raise DataError("an ordinal response must be integer codes 0, 1, 2, ... (ordered).")
        return kernel.fit_clmm(y_codes.astype(np.int64), X, codes, weights=w, n_agq=n_agq,
                               x_names=x_names, group_names=names)
    if (y < 0).any() or not np.allclose(y, np.round(y)):
        raise DataError(f"family={family!r} needs non-negative integer counts as response.")
    offset = None
    if exposure is not None:
        ex = pd.to_numeric(used[exposure], errors="coerce").to_numpy(float)
        if not (np.isfinite(ex) & (ex > 0)).all():
            raise DataError(f"exposure column {exposure!r} must be numeric, finite and positive.")
        offset = np.log(ex)
    zi_X = zi_names = None
    if zi is not None:
        zi_X, zi_names = zi.X, zi.columns
    return kernel.fit_glmm(y, X, codes, family=family, offset=offset, weights=w,
                           n_agq=n_agq, zi_X=zi_X, x_names=x_names, zi_names=zi_names,
                           group_names=names)


def _warn_fit(fit: Any) -> None:
    """Warn about a linear fit that did not converge or is singular.

    The count and ordinal kernels (``fit_glmm``, ``fit_clmm``) already emit one
    ConvergenceWarning with the reason and what to try, so only the linear kernel,
    which does not warn, is reported here: every problem is warned about once.
    """
    if not fit.converged and fit.family == "gaussian":
        warnings.warn(
            f"the gaussian mixed model did not converge ({fit.message}). Try rescaling "
            "covariates (e.g. age in decades), removing a random slope or a variance "
            "component close to zero, or reml=False; do not use these estimates as they are.",
            ConvergenceWarning,
            stacklevel=3,
        )
    if getattr(fit, "singular", False):
        warnings.warn(
            "singular fit: a random-effect SD is estimated at zero or an intercept-slope "
            f"correlation at +-1 ({fit.re_sd}). The model "
            "is over-parameterised for these data; consider dropping that grouping level or "
            "the random slope.",
            ConvergenceWarning,
            stacklevel=3,
        )
