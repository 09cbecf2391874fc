"""``weight()`` and ``weight_many()``: balancing weights for family-level treatments."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import replace as dc_replace
from typing import Any, Literal

import numpy as np
import pandas as pd

from kbeffect._validation import as_generator, check_columns, check_literal, check_probability
from kbeffect.design._inputs import Covariates, DesignInputs, Missing, prepare_inputs
from kbeffect.design.propensity import PS_METHODS, PropensityModel, fit_propensity
from kbeffect.design.weighting.cbps import cbps_fit
from kbeffect.design.weighting.entropy import entropy_balance
from kbeffect.design.weighting.estimands import (
    ESTIMANDS,
    trim_mask,
    weights_from_ps,
)
from kbeffect.design.weighting.estimands import (
    stabilize as stabilize_weights,
)
from kbeffect.design.weighting.estimands import (
    truncate as truncate_weights,
)
from kbeffect.design.weighting.result import WeightResult, WeightSet
from kbeffect.errors import ConvergenceWarning, DataError, SpecificationError

__all__ = ["weight", "weight_many"]

Estimand = Literal["ATE", "ATT", "ATC", "ATO", "ATM"]


def _subset(inputs: DesignInputs, m: np.ndarray) -> DesignInputs:
    return dc_replace(inputs, data=inputs.data.iloc[m], rows=inputs.rows[m],
                      treat=inputs.treat[m], X=inputs.X[m])


def _one_stratum(
    inputs: DesignInputs, method: Any, link: str, estimand: str, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, Any]:
    """Return weights, propensity scores (NaN if none) and the model for one stratum."""
    X, t = inputs.X, inputs.treat
    if isinstance(method, str) and method == "ebal":
        if estimand not in ("ATT", "ATC", "ATE"):
            raise SpecificationError("method='ebal' supports estimand 'ATT', 'ATC' or 'ATE'.")
        fit = entropy_balance(X, t, estimand)
        if not fit.converged:
            warnings.warn(
                f"entropy balancing did not reach exact balance (max standardised imbalance "
                f"{fit.max_imbalance:.2g}); the covariates may be outside the convex hull of "
                "the group being reweighted.",
                ConvergenceWarning,
                stacklevel=4,
            )
        return fit.weights, np.full(len(t), np.nan), fit
    if isinstance(method, str) and method == "cbps":
        if estimand not in ("ATT", "ATC", "ATE"):
            raise SpecificationError("method='cbps' supports estimand 'ATT', 'ATC' or 'ATE'.")
        cb = cbps_fit(X, t, estimand)
        if not cb.converged:
            warnings.warn(
                f"CBPS balance conditions not solved (max {cb.max_condition:.2g}).",
                ConvergenceWarning,
                stacklevel=4,
            )
        names = ("(Intercept)", *inputs.columns)
        model = PropensityModel(
            ps=cb.ps, linear_predictor=cb.linear_predictor, method="cbps", link="logit",
            columns=inputs.columns, coef=pd.Series(cb.coef, index=names), vcov=None,
            estimator=None, converged=cb.converged, formula=inputs.formula,
            treatment=inputs.treatment, exclusions=inputs.exclusions, rows=inputs.rows,
        )
        return weights_from_ps(cb.ps, t, estimand), cb.ps, model
    model = fit_propensity(inputs, method=method, link=link, seed=rng)
    return weights_from_ps(model.ps, t, estimand), model.ps, model


def weight(
    data: pd.DataFrame,
    *,
    treatment: str,
    covariates: Covariates,
    method: Any = "glm",
    link: str = "logit",
    estimand: Estimand = "ATE",
    stabilize: bool = False,
    trim: float | None = None,
    truncate: float | None = None,
    by: str | None = None,
    missing: Missing = "raise",
    seed: int | np.random.Generator | None = None,
) -> WeightResult:
    """Estimate balancing weights for a binary family-level treatment (WeightIt-style).

    Parameters
    ----------
    data : DataFrame
        One row per family.
    treatment : str
        Binary treatment column (bool or 0/1).
    covariates : str or list of str
        One-sided formula or column names.
    method : {"glm", "lasso", "ridge", "elasticnet", "ebal", "cbps"} or sklearn classifier
        Propensity-score weighting (GLM, penalised logit or any classifier), entropy
        balancing (exact mean balance) or the just-identified covariate balancing
        propensity score.
    link : {"logit", "probit"}
        Link of the GLM propensity model.
    estimand : {"ATE", "ATT", "ATC", "ATO", "ATM"}
        ATO = overlap weights, ATM = matching weights (see
        :mod:`kbeffect.design.weighting.estimands` for the formulas).
    stabilize : bool
        Multiply ATE weights by the marginal share of the unit's group.
    trim : float, optional
        Trimming: families with a propensity score outside ``[trim, 1 - trim]`` get weight
        0 and are counted in the exclusions (e.g. 0.05 or 0.1, Crump et al.).
    truncate : float, optional
        Truncation: cap weights at this quantile (e.g. 0.99; WeightIt's ``trim(at=)``).
    by : str, optional
        Stratum column (e.g. families with / without an order): a separate model and
        weights within each stratum.
    missing : {"raise", "drop"}
    seed : int, Generator or None
        For cross-validated propensity models and a classifier's unset ``random_state``.

    Returns
    -------
    WeightResult
    """
    check_literal("estimand", estimand, ESTIMANDS)
    if isinstance(method, str):
        check_literal("method", method, (*PS_METHODS, "ebal", "cbps"))
    check_literal("link", link, ("logit", "probit"))
    if stabilize and estimand != "ATE":
        raise SpecificationError("stabilize=True applies to estimand='ATE' only.")
    if trim is not None:
        trim = check_probability("trim", trim)
        if trim >= 0.5:
            raise SpecificationError(f"trim must be below 0.5; got {trim}.")
        if method == "ebal":
            raise SpecificationError("trim needs a propensity score; not available with 'ebal'.")
    if truncate is not None:
        truncate = check_probability("truncate", truncate)
    rng = as_generator(seed)
    extra = [by] if by is not None else []
    inputs = prepare_inputs(
        data, treatment=treatment, covariates=covariates, missing=missing, extra=extra
    )
    n = len(inputs.treat)
    t = inputs.treat
    w = np.zeros(n)
    ps = np.full(n, np.nan)
    strata = inputs.data[by].to_numpy() if by is not None else np.zeros(n, dtype=int)
    models: dict[Any, Any] = {}
    excl = inputs.exclusions
    for s in pd.unique(strata):
        m = strata == s
        if t[m].min() == t[m].max():
            raise DataError(
                f"stratum {by}={s!r} has only {'treated' if t[m][0] else 'control'} families; "
                "weights cannot be estimated within it."
            )
        ws, pss, model = _one_stratum(_subset(inputs, m), method, link, estimand, rng)
        if stabilize:
            ws = stabilize_weights(ws, t[m])
        w[m], ps[m] = ws, pss
        models[s] = model
    if trim is not None:
        out = trim_mask(ps, trim)
        if out.any():
            excl = excl.add(f"propensity score outside [{trim}, {1 - trim}] (trimmed)",
                            inputs.data.index[out])
            w[out] = 0.0
    if truncate is not None:
        for s in pd.unique(strata):
            m = strata == s
            w[m] = truncate_weights(w[m], t[m], estimand, truncate)
    N, rows = inputs.n_input, inputs.rows
    w_full = np.zeros(N)
    w_full[rows] = w
    ps_full = np.full(N, np.nan)
    ps_full[rows] = ps
    t_full = np.full(N, -1, dtype=np.int64)
    t_full[rows] = t
    by_full = None
    if by is not None:
        by_full = np.full(N, None, dtype=object)
        by_full[rows] = strata
    name = method if isinstance(method, str) else "classifier"
    return WeightResult(
        weights=w_full,
        estimand=estimand,
        method=name,
        ps=ps_full,
        treat=t_full,
        by=by_full,
        propensity=models[next(iter(models))] if by is None else models,
        info={"treatment": treatment, "link": link if name in PS_METHODS else None,
              "stabilize": stabilize, "trim": trim, "truncate": truncate, "by": by},
        exclusions=excl,
        data=data,
        inputs=inputs,
    )


def weight_many(
    data: pd.DataFrame,
    *,
    treatments: Sequence[str],
    covariates: Covariates,
    by: str | None = None,
    **kwargs: Any,
) -> WeightSet:
    """Weights for several non-exclusive binary treatments (e.g. help types) at once.

    Each treatment gets its own propensity model (within each ``by`` stratum, such as
    families with and without an order), comparing families that received that help
    with those that did not; the other help types are not adjusted for unless they are
    listed in ``covariates``.

    Parameters
    ----------
    data : DataFrame
        One row per family.
    treatments : sequence of str
        Binary treatment columns.
    covariates : str or list of str
        Covariates of every treatment model.
    by : str, optional
        Stratum column.
    **kwargs
        Passed to :func:`weight` (method, estimand, trim, truncate, ...).

    Returns
    -------
    WeightSet
    """
    if isinstance(treatments, str) or not treatments:
        raise SpecificationError("treatments must be a non-empty list of column names.")
    check_columns(data, list(treatments))
    results = {
        tr: weight(data, treatment=tr, covariates=covariates, by=by, **kwargs)
        for tr in treatments
    }
    return WeightSet(results=results)



