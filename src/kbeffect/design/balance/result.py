"""BalanceResult and :func:`balance`: covariate balance before and after adjustment."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from kbeffect._formula import design_matrices
from kbeffect._results import Exclusions, Summary
from kbeffect._validation import check_columns, check_literal
from kbeffect.design._inputs import Covariates, Missing, covariate_formula, prepare_inputs
from kbeffect.design.balance.stats import (
    SdDenom,
    balance_stats,
    effective_sample_size,
    is_binary,
    standardisers,
)
from kbeffect.errors import DataError, SpecificationError

__all__ = ["BalanceResult", "aggregate_children", "balance", "compute_balance", "default_sd_denom"]

STATS = ("mean_treated", "mean_control", "smd", "var_ratio", "ecdf_mean", "ecdf_max")
SD_DENOMS = ("treated", "control", "pooled", "all")


def default_sd_denom(estimand: str) -> SdDenom:
    """Return MatchIt/cobalt's default SMD denominator for an estimand."""
    return {"ATT": "treated", "ATC": "control"}.get(estimand, "pooled")  # type: ignore[return-value]


@dataclass(frozen=True)
class BalanceResult:
    """Covariate balance before (``_un``) and after (``_adj``) matching or weighting.

    Attributes
    ----------
    table : DataFrame
        One row per covariate column; columns ``level`` (family/child), ``type``
        (binary/continuous) and ``<stat>_un`` / ``<stat>_adj`` for ``mean_treated``,
        ``mean_control``, ``smd``, ``var_ratio``, ``ecdf_mean``, ``ecdf_max``.
    counts : DataFrame
        Units by group: all, adjusted (matched or weighted, > 0), effective sample
        size before and after, and unmatched/discarded.
    estimand : str
    s_d_denom : str
        SMD denominator (computed on the unadjusted sample).
    standardize_binary : bool
        Whether binary covariates get standardised differences (MatchIt) or raw ones (cobalt).
    adjusted_label : str
        "Matched" or "Weighted" (or "Adjusted").
    threshold : float or None
        SMD threshold for the ``balanced`` flag and plots.
    exclusions : Exclusions
    """

    table: pd.DataFrame
    counts: pd.DataFrame
    estimand: str
    s_d_denom: str
    standardize_binary: bool = True
    adjusted_label: str = "Adjusted"
    threshold: float | None = 0.1
    exclusions: Exclusions = field(default_factory=lambda: Exclusions(unit="families"))

    @property
    def max_abs_smd(self) -> tuple[float, float]:
        """Largest absolute SMD before and after adjustment."""
        t = self.table
        return float(np.nanmax(np.abs(t["smd_un"]))), float(np.nanmax(np.abs(t["smd_adj"])))

    def tidy(self) -> pd.DataFrame:
        """Return a long table: one row per covariate and sample (unadjusted/adjusted)."""
        rows = []
        for sample, suf in (("unadjusted", "_un"), ("adjusted", "_adj")):
            part = self.table[["level", "type", *[s + suf for s in STATS]]].copy()
            part.columns = ["level", "type", *STATS]
            part.insert(0, "sample", sample)
            rows.append(part.rename_axis("term").reset_index())
        return pd.concat(rows, ignore_index=True)

    def summary(self, *, un: bool = True) -> Summary:
        """Return a :class:`~kbeffect._results.Summary` with balance tables and sample sizes.

        Parameters
        ----------
        un : bool
            Also show the unadjusted balance (as MatchIt's ``summary(un = TRUE)``).
        """
        show = ["mean_treated", "mean_control", "smd", "var_ratio", "ecdf_mean", "ecdf_max"]
        tables: dict[str, pd.DataFrame] = {}
        if un:
            tables["Balance, all units"] = self.table[[s + "_un" for s in show]].set_axis(
                show, axis=1
            )
        adj = self.table[[s + "_adj" for s in show]].set_axis(show, axis=1)
        if self.threshold is not None:
            adj = adj.assign(balanced=np.abs(adj["smd"]) <= self.threshold)
        tables[f"Balance, {self.adjusted_label.lower()} units"] = adj
        tables["Sample sizes"] = self.counts
        header = {
            "Estimand": self.estimand,
            "SMD denominator": f"{self.s_d_denom} SD (unadjusted sample)",
            "Binary covariates": "standardised" if self.standardize_binary else "raw difference",
            "Max |SMD| before / after": "{:.3f} / {:.3f}".format(*self.max_abs_smd),
        }
        return Summary("Covariate balance", header, tables, self.exclusions.notes())

    def plot(self, kind: Literal["love"] = "love", **kwargs: Any) -> Any:
        """Draw the Love plot (see :func:`kbeffect.design.balance.plots.love_plot`)."""
        check_literal("kind", kind, ("love",))
        from kbeffect.design.balance.plots import love_plot

        kwargs.setdefault("threshold", self.threshold)
        return love_plot(self, **kwargs)


def aggregate_children(
    child_data: pd.DataFrame,
    child_covariates: Covariates,
    *,
    key: str,
    family_keys: pd.Series,
    how: Literal["mean", "max"] = "mean",
) -> tuple[np.ndarray, list[str]]:
    """Aggregate child covariates to one row per family (mean, or max, of the design columns).

    Returns the (n_families, q) matrix aligned with ``family_keys`` and column names.
    """
    check_columns(child_data, [key], table="child_data")
    formula = covariate_formula(child_covariates, child_data, key)
    dm = design_matrices(formula, child_data, missing="raise")
    cols = [c for c in dm.columns if c != "Intercept"]
    X = pd.DataFrame(dm.X, columns=list(dm.columns))[cols]
    X[key] = child_data[key].to_numpy()[dm.rows]
    agg = X.groupby(key).agg(how)
    missing = ~family_keys.isin(agg.index)
    if missing.any():
        raise DataError(
            f"{int(missing.sum())} families have no rows in child_data (key {key!r}); child "
            "covariates cannot be aggregated for them."
        )
    out = agg.loc[family_keys.to_numpy()].to_numpy(dtype=float)
    return out, [f"{c} [child {how}]" for c in cols]


def covariate_matrix(
    data: pd.DataFrame,
    inputs: Any,
    ok: np.ndarray,
    covariates: Covariates | None,
    *,
    child_data: pd.DataFrame | None,
    child_covariates: Covariates | None,
    key: str,
) -> tuple[np.ndarray, list[str], list[str]]:
    """Family covariates (default: those of the design) plus child covariates per family.

    Shared by :meth:`MatchResult.balance` and :meth:`WeightResult.balance`. Returns the
    matrix for the rows ``ok`` of ``data``, its column names and their levels
    ("family" / "child").
    """
    if covariates is None:
        X, cols = inputs.X, list(inputs.columns)
    else:
        inp = prepare_inputs(data.iloc[inputs.rows], treatment=inputs.treatment,
                             covariates=covariates, missing="raise")
        X, cols = inp.X, list(inp.columns)
    levels = ["family"] * len(cols)
    if child_data is not None:
        if child_covariates is None:
            raise SpecificationError("child_covariates is required with child_data.")
        Xc, ccols = aggregate_children(child_data, child_covariates, key=key,
                                       family_keys=data[key][ok])
        X = np.column_stack([X, Xc])
        cols = [*cols, *ccols]
        levels += ["child"] * len(ccols)
    return X, cols, levels


def compute_balance(
    X: np.ndarray,
    columns: Sequence[str],
    treat: np.ndarray,
    weights: np.ndarray,
    *,
    estimand: str,
    s_d_denom: SdDenom | None = None,
    standardize_binary: bool = True,
    levels: Sequence[str] | None = None,
    adjusted_label: str = "Adjusted",
    threshold: float | None = 0.1,
    discarded: np.ndarray | None = None,
    exclusions: Exclusions | None = None,
) -> BalanceResult:
    """Balance of the columns of ``X`` unadjusted and under ``weights`` (no validation).

    Parameters
    ----------
    X : ndarray of shape (n, p)
    columns : sequence of str, length p
    treat : ndarray of shape (n,) of 0/1
    weights : ndarray of shape (n,)
    estimand, s_d_denom, standardize_binary, levels, adjusted_label, threshold
        See :class:`BalanceResult`.
    discarded : ndarray of shape (n,) bool, optional
    exclusions : Exclusions, optional
    """
    sdd: SdDenom = s_d_denom or default_sd_denom(estimand)
    binary = is_binary(X)
    std = standardisers(X, treat, sdd, binary)
    one = np.ones(len(treat))
    un = balance_stats(X, treat, one, std=std, binary=binary, standardize_binary=standardize_binary)
    ad = balance_stats(
        X, treat, weights, std=std, binary=binary, standardize_binary=standardize_binary
    )
    table = pd.DataFrame(index=pd.Index(list(columns), name="term"))
    table["level"] = list(levels) if levels is not None else "family"
    table["type"] = np.where(binary, "binary", "continuous")
    for s in STATS:
        table[f"{s}_un"] = getattr(un, s)
        table[f"{s}_adj"] = getattr(ad, s)
    disc = np.zeros(len(treat), bool) if discarded is None else discarded
    counts = pd.DataFrame(index=["control", "treated"])
    counts["all"] = [int(np.sum(treat == g)) for g in (0, 1)]
    counts[adjusted_label.lower()] = [int(np.sum((treat == g) & (weights > 0))) for g in (0, 1)]
    counts["ess_all"] = [effective_sample_size(one[treat == g]) for g in (0, 1)]
    counts["ess_adjusted"] = [ad.ess_control, ad.ess_treated]
    counts["unmatched"] = [int(np.sum((treat == g) & (weights == 0) & ~disc)) for g in (0, 1)]
    counts["discarded"] = [int(np.sum((treat == g) & disc)) for g in (0, 1)]
    return BalanceResult(
        table=table,
        counts=counts,
        estimand=estimand,
        s_d_denom=sdd,
        standardize_binary=standardize_binary,
        adjusted_label=adjusted_label,
        threshold=threshold,
        exclusions=exclusions if exclusions is not None else Exclusions(unit="families"),
    )


def balance(
    data: pd.DataFrame,
    *,
    treatment: str,
    covariates: Covariates,
    weights: Any = None,
    estimand: str = "ATT",
    s_d_denom: SdDenom | None = None,
    binary: Literal["std", "raw"] = "std",
    child_data: pd.DataFrame | None = None,
    child_covariates: Covariates | None = None,
    key: str = "family_id",
    threshold: float | None = 0.1,
    missing: Missing = "raise",
) -> BalanceResult:
    """Covariate balance of a family-level treatment, before and after adjustment.

    Parameters
    ----------
    data : DataFrame
        One row per family.
    treatment : str
        Binary treatment column.
    covariates : str or list of str
        Family covariates (formula or column names); factors are dummy coded.
    weights : array, str, MatchResult or WeightResult, optional
        Adjustment weights aligned with the rows of ``data`` (a column name, an array, or
        a result whose ``weights`` are used). ``None`` reports the unadjusted balance twice.
    estimand : {"ATT", "ATC", "ATE", "ATO", "ATM"}
        Sets the default SMD denominator (taken from a result when one is passed).
    s_d_denom : {"treated", "control", "pooled", "all"}, optional
        SMD denominator, computed on the unadjusted sample (MatchIt/cobalt convention).
    binary : {"std", "raw"}
        Standardise binary covariates (MatchIt) or report raw proportion differences (cobalt).
    child_data : DataFrame, optional
        Child-level rows with the family ``key``; ``child_covariates`` are averaged per
        family and added to the table with level "child".
    child_covariates : str or list of str, optional
    key : str
        Family identifier in ``data`` and ``child_data``.
    threshold : float or None
        SMD threshold for the balance flag and the Love plot.
    missing : {"raise", "drop"}

    Returns
    -------
    BalanceResult
    """
    check_literal("binary", binary, ("std", "raw"))
    check_literal("estimand", estimand, ("ATT", "ATC", "ATE", "ATO", "ATM"))
    if s_d_denom is not None:
        check_literal("s_d_denom", s_d_denom, SD_DENOMS)
    label = "Adjusted"
    disc_all: np.ndarray | None = None
    if hasattr(weights, "weights") and hasattr(weights, "estimand"):
        label = "Matched" if type(weights).__name__ == "MatchResult" else "Weighted"
        estimand = weights.estimand
        w_all = np.asarray(weights.weights, dtype=float)
        if getattr(weights, "discarded", None) is not None:
            disc_all = np.asarray(weights.discarded, dtype=bool)
    elif isinstance(weights, str):
        check_columns(data, [weights])
        w_all = data[weights].to_numpy(dtype=float)
    elif weights is None:
        w_all = np.ones(len(data))
    else:
        w_all = np.asarray(weights, dtype=float)
    if w_all.shape != (len(data),):
        raise SpecificationError(
            f"weights must have one value per row of data ({len(data)}); got shape {w_all.shape}."
        )
    if np.any(~np.isfinite(w_all)) or np.any(w_all < 0):
        raise DataError("weights must be finite and non-negative.")
    inputs = prepare_inputs(data, treatment=treatment, covariates=covariates, missing=missing)
    X, cols = inputs.X, list(inputs.columns)
    levels = ["family"] * len(cols)
    if child_data is not None:
        if child_covariates is None:
            raise SpecificationError("child_covariates is required with child_data.")
        check_columns(data, [key])
        Xc, ccols = aggregate_children(
            child_data, child_covariates, key=key, family_keys=inputs.data[key]
        )
        X = np.column_stack([X, Xc])
        cols += ccols
        levels += ["child"] * len(ccols)
    return compute_balance(
        X,
        cols,
        inputs.treat,
        w_all[inputs.rows],
        estimand=estimand,
        s_d_denom=s_d_denom,
        standardize_binary=binary == "std",
        levels=levels,
        adjusted_label=label,
        threshold=threshold,
        discarded=None if disc_all is None else disc_all[inputs.rows],
        exclusions=inputs.exclusions,
    )
