"""Alternatives to the mixed model that a methodologist compares with.

* :func:`gee`: population-averaged GEE with an exchangeable working correlation within
  family (statsmodels), robust (sandwich) standard errors clustered by family.
* :func:`did_fe`: within-unit difference-in-differences with unit (family or person) and
  wave fixed effects (linearmodels ``PanelOLS``), standard errors clustered by family.

Both return an :class:`AlternativeResult` whose :meth:`~AlternativeResult.tidy` has the
same columns as :meth:`kbeffect.models.mixed.MixedResult.tidy`.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from kbeffect._formula import design_matrices
from kbeffect._results import Exclusions, Summary
from kbeffect._validation import check_columns, check_literal
from kbeffect.errors import DataError, EstimationError, SpecificationError
from kbeffect.models.mixed.result import coef_plot, inference_table

__all__ = ["AlternativeResult", "did_fe", "gee"]


@dataclass(frozen=True)
class AlternativeResult:
    """Result of :func:`gee` or :func:`did_fe`.

    Attributes
    ----------
    method : str
        ``"gee"`` or ``"did_fe"``.
    formula : str
        Model formula.
    table : DataFrame
        Coefficient table (the output of :meth:`tidy`).
    n_obs : int
        Rows used.
    n_clusters : int
        Number of families (clusters of the standard errors).
    details : dict
        Method facts (working correlation, absorbed effects, ...).
    exclusions : Exclusions
        Rows left out and why.
    model : object
        The underlying statsmodels / linearmodels results object.
    """

    method: str
    formula: str
    table: pd.DataFrame
    n_obs: int
    n_clusters: int
    details: dict[str, Any] = field(default_factory=dict)
    exclusions: Exclusions = field(default_factory=Exclusions)
    model: Any = field(default=None, repr=False)

    def tidy(self) -> pd.DataFrame:
        """One row per term: ``term, estimate, std_error, statistic, df, p_value, conf_*``."""
        return self.table.copy()

    def summary(self) -> Summary:
        """Printable summary."""
        header = {"Method": self.method, "Formula": self.formula, "Observations": self.n_obs,
                  "Families (clusters)": self.n_clusters, **self.details}
        return Summary(title=f"{self.method}: {self.formula}", header=header,
                       tables={"Coefficients": self.table.set_index("term")},
                       notes=self.exclusions.notes())

    def plot(self) -> Any:
        """Coefficient plot; returns a matplotlib Figure."""
        tab = self.table[~self.table["term"].isin(["Intercept", "const"])]
        return coef_plot(tab, f"{self.method}: {self.formula}", 0.95)


def _prepare(
    formula: str, data: pd.DataFrame, extra: list[str], missing: str
) -> tuple[Any, pd.DataFrame, Exclusions]:
    check_columns(data, extra)
    excl = Exclusions(unit="rows")
    na = data[extra].isna().any(axis=1).to_numpy()
    if na.any():
        if missing == "raise":
            raise DataError(
                f"{int(na.sum())} rows have missing values in {extra}; pass missing='drop'."
            )
        excl = excl.add("missing value in a grouping or time column", data.index[na])
        data = data.loc[~na]
    dm = design_matrices(formula, data, missing=missing)  # type: ignore[arg-type]
    for reason, ids in dm.exclusions.ids.items():
        excl = excl.add(reason, ids)
    if dm.y is None:
        raise SpecificationError(f"formula {formula!r} has no response.")
    return dm, data.iloc[dm.rows], excl


def gee(
    formula: str,
    data: pd.DataFrame,
    *,
    groups: str = "family_id",
    family: Literal["gaussian", "poisson", "negbin"] = "gaussian",
    exposure: str | None = None,
    missing: Literal["raise", "drop"] = "raise",
    conf_level: float = 0.95,
) -> AlternativeResult:
    """GEE with an exchangeable working correlation within family (statsmodels).

    Parameters
    ----------
    formula : str
        Mean model, e.g. ``"score ~ C(group) * C(wave)"``.
    data : DataFrame
        Long data, one row per observation.
    groups : str
        Cluster column (the family).
    family : {"gaussian", "poisson", "negbin"}
        Mean-variance relation (identity link for gaussian, log link otherwise; ``negbin``
        with statsmodels' default dispersion ``alpha = 1``).
    exposure : str, optional
        Exposure column for counts (log offset).
    missing : {"raise", "drop"}
        Rows with missing values.
    conf_level : float
        Confidence level.

    Returns
    -------
    AlternativeResult
        Robust (sandwich) inference with normal reference distribution, as statsmodels.
    """
    import statsmodels.api as sm

    check_literal("family", family, ("gaussian", "poisson", "negbin"))
    check_literal("missing", missing, ("raise", "drop"))
    extra = [groups] + ([exposure] if exposure else [])
    dm, used, excl = _prepare(formula, data, extra, missing)
    if family == "gaussian":
        fam: Any = sm.families.Gaussian()
    elif family == "poisson":
        fam = sm.families.Poisson()
    else:
        fam = sm.families.NegativeBinomial(alpha=1.0)
    order = np.argsort(pd.factorize(used[groups], sort=True)[0], kind="stable")
    offset = None
    if exposure is not None:
        if family == "gaussian":
            raise SpecificationError("exposure applies to family='poisson' or 'negbin'.")
        ex = pd.to_numeric(used[exposure], errors="coerce").to_numpy(float)
        if not (np.isfinite(ex) & (ex > 0)).all():
            raise DataError(f"exposure column {exposure!r} must be numeric, finite and positive.")
        offset = np.log(ex)[order]
    model = sm.GEE(dm.y[order], dm.X[order], groups=used[groups].to_numpy()[order], family=fam,
                   cov_struct=sm.cov_struct.Exchangeable(), offset=offset)
    fit = model.fit()
    if not np.all(np.isfinite(fit.params)):
        raise EstimationError("GEE did not converge to finite estimates.")
    k = len(dm.columns)
    table = inference_table(list(dm.columns), np.asarray(fit.params), np.asarray(fit.bse),
                            np.full(k, np.inf), conf_level)
    details = {"Working correlation": "exchangeable",
               "Within-family correlation": float(fit.model.cov_struct.dep_params)}
    return AlternativeResult("gee", formula, table, len(used), int(used[groups].nunique()),
                             details, excl, fit)


def did_fe(
    formula: str,
    data: pd.DataFrame,
    *,
    unit: str = "family_id",
    time: str = "wave",
    cluster: str = "family_id",
    missing: Literal["raise", "drop"] = "raise",
    conf_level: float = 0.95,
) -> AlternativeResult:
    """Difference-in-differences with unit and wave fixed effects (linearmodels PanelOLS).

    Parameters
    ----------
    formula : str
        Outcome and the time-varying regressors, e.g. ``"score ~ kb:C(wave)"``; terms that
        do not vary within unit (the group main effect) are absorbed by the unit effects
        and dropped, as is the intercept.
    data : DataFrame
        Long data with one row per (unit, time).
    unit : str
        Panel unit with a fixed effect: the family, or the person (child) when the outcome
        is child-level (person effects absorb the family effects).
    time : str
        Wave column (wave fixed effects).
    cluster : str
        Column whose groups cluster the standard errors (the family).
    missing : {"raise", "drop"}
        Rows with missing values.
    conf_level : float
        Confidence level.

    Returns
    -------
    AlternativeResult
        Clustered (debiased) covariance, t inference with ``G - 1`` df.
    """
    from linearmodels.panel import PanelOLS

    check_literal("missing", missing, ("raise", "drop"))
    dm, used, excl = _prepare(formula, data, list(dict.fromkeys([unit, time, cluster])),
                              missing)
    if used.duplicated([unit, time]).any():
        raise DataError(
            f"did_fe needs one row per ({unit!r}, {time!r}); pass unit='person_id' for "
            "child-level outcomes or aggregate to the family first."
        )
    keep = [j for j, c in enumerate(dm.columns) if c != "Intercept"]
    names = [dm.columns[j] for j in keep]
    index = pd.MultiIndex.from_arrays([used[unit].to_numpy(), used[time].to_numpy()])
    exog = pd.DataFrame(dm.X[:, keep], index=index, columns=names)
    dep = pd.Series(dm.y, index=index, name="y")
    clusters = pd.DataFrame({"c": pd.factorize(used[cluster])[0]}, index=index)
    model = PanelOLS(dep, exog, entity_effects=True, time_effects=True, drop_absorbed=True,
                     check_rank=False)
    with warnings.catch_warnings():
        # absorbed terms are reported in ``details``; linearmodels' warning only repeats it
        warnings.simplefilter("ignore")
        fit = model.fit(cov_type="clustered", clusters=clusters, debiased=True)
    n_cl = int(used[cluster].nunique())
    k = len(fit.params)
    table = inference_table([str(n) for n in fit.params.index], fit.params.to_numpy(),
                            fit.std_errors.to_numpy(), np.full(k, n_cl - 1.0), conf_level)
    absorbed = [n for n in names if n not in fit.params.index]
    details = {"Fixed effects": f"{unit} + {time}",
               "Absorbed terms": ", ".join(absorbed) or "none"}
    return AlternativeResult("did_fe", formula, table, len(used), n_cl, details, excl, fit)
