"""WeightResult and WeightSet: balancing weights with diagnostics."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from kbeffect._results import Exclusions, Summary
from kbeffect._validation import check_literal
from kbeffect.design._expand import broadcast_by_key
from kbeffect.design._inputs import Covariates, DesignInputs
from kbeffect.design.balance.result import BalanceResult, compute_balance, covariate_matrix
from kbeffect.design.balance.stats import SdDenom, effective_sample_size
from kbeffect.errors import SpecificationError

__all__ = ["WeightResult", "WeightSet"]


@dataclass(frozen=True)
class WeightResult:
    """The result of :func:`kbeffect.design.weight`.

    Arrays of length ``n_input`` are aligned with the rows of the input frame; rows
    excluded (missing values, trimming, outside the ``by`` strata) have weight 0 and are
    counted in ``exclusions``.

    Attributes
    ----------
    weights : ndarray of shape (n_input,)
    estimand : str
    method : str
        ``"glm"``, ``"lasso"``, ..., ``"classifier"``, ``"ebal"`` or ``"cbps"``.
    ps : ndarray of shape (n_input,)
        Propensity score (NaN for entropy balancing or excluded rows).
    treat : ndarray of shape (n_input,)
        0/1, -1 for rows excluded for missing values.
    by : ndarray of shape (n_input,) or None
        Stratum of each row when weights were estimated within strata.
    propensity : PropensityModel, dict of PropensityModel, or None
        The fitted model (one per stratum with ``by``).
    info : dict
        Options: stabilize, trim, truncate, by, treatment.
    exclusions : Exclusions
    data : DataFrame
    inputs : DesignInputs
    """

    weights: np.ndarray
    estimand: str
    method: str
    ps: np.ndarray
    treat: np.ndarray
    by: np.ndarray | None
    propensity: Any
    info: dict[str, Any]
    exclusions: Exclusions
    data: pd.DataFrame = field(repr=False)
    inputs: DesignInputs = field(repr=False)

    def __repr__(self) -> str:
        ess = self.ess
        return (
            f"WeightResult(method={self.method!r}, estimand={self.estimand!r}, "
            f"ESS treated={ess['treated']:.1f}, ESS control={ess['control']:.1f})"
        )

    @property
    def ess(self) -> dict[str, float]:
        """Effective sample size of each group."""
        return {
            "treated": effective_sample_size(self.weights[self.treat == 1]),
            "control": effective_sample_size(self.weights[self.treat == 0]),
        }

    def weight_summary(self) -> pd.DataFrame:
        """Return min, max, mean, coefficient of variation and ESS of the weights by group."""
        rows = {}
        for g, name in ((1, "treated"), (0, "control")):
            w = self.weights[(self.treat == g)]
            w = w[w > 0]
            rows[name] = {
                "n": int(np.sum(self.treat == g)),
                "n_weighted": len(w),
                "min": float(w.min()) if len(w) else np.nan,
                "max": float(w.max()) if len(w) else np.nan,
                "mean": float(w.mean()) if len(w) else np.nan,
                "cv": float(w.std(ddof=1) / w.mean()) if len(w) > 1 else np.nan,
                "ess": effective_sample_size(w),
            }
        return pd.DataFrame(rows).T

    def balance(
        self,
        covariates: Covariates | None = None,
        *,
        child_data: pd.DataFrame | None = None,
        child_covariates: Covariates | None = None,
        key: str = "family_id",
        s_d_denom: SdDenom | None = None,
        binary: Literal["std", "raw"] = "std",
        threshold: float | None = 0.1,
        stratum: Any = None,
    ) -> BalanceResult:
        """Return covariate balance before and after weighting.

        Parameters are those of :meth:`kbeffect.design.MatchResult.balance` (without the
        distance row), plus ``stratum``: with weights estimated ``by`` a stratum column,
        the balance within one stratum (default: all strata pooled).
        """
        check_literal("binary", binary, ("std", "raw"))
        ok = self.treat >= 0
        X, cols, levels = covariate_matrix(
            self.data, self.inputs, ok, covariates, child_data=child_data,
            child_covariates=child_covariates, key=key)
        t, w = self.treat[ok], self.weights[ok]
        if stratum is not None:
            if self.by is None:
                raise SpecificationError("stratum= needs weights estimated with by=.")
            inside = self.by[ok] == stratum
            if not inside.any():
                raise SpecificationError(f"stratum={stratum!r} is not a level of by.")
            X, t, w = X[inside], t[inside], w[inside]
        return compute_balance(
            X,
            cols,
            t,
            w,
            estimand=self.estimand,
            s_d_denom=s_d_denom,
            standardize_binary=binary == "std",
            levels=levels,
            adjusted_label="Weighted",
            threshold=threshold,
            exclusions=self.exclusions,
        )

    def summary(self, *, un: bool = True, **balance_kwargs: Any) -> Summary:
        """Return a Summary: options, weight distribution and covariate balance."""
        inner = self.balance(**balance_kwargs).summary(un=un)
        header = {
            "Method": self.method,
            "Estimand": self.estimand,
            **{k: v for k, v in self.info.items() if v is not None and v is not False},
            **inner.header,
        }
        tables = {"Weights": self.weight_summary(), **inner.tables}
        return Summary("Balancing weights", header, tables, inner.notes)

    def tidy(self, **balance_kwargs: Any) -> pd.DataFrame:
        """Return the balance table in long form."""
        return self.balance(**balance_kwargs).tidy()

    def plot(self, kind: Literal["love", "overlap"] = "love", **kwargs: Any) -> Any:
        """Draw the Love plot or the propensity overlap plot (unweighted vs weighted)."""
        check_literal("kind", kind, ("love", "overlap"))
        if kind == "love":
            return self.balance().plot(**kwargs)
        from kbeffect.design.balance.plots import overlap_plot

        ok = (self.treat >= 0) & np.isfinite(self.ps)
        if not ok.any():
            raise SpecificationError(f"method={self.method!r} has no propensity score to plot.")
        return overlap_plot(self.ps[ok], self.treat[ok], self.weights[ok], **kwargs)

    def expand(
        self,
        data: pd.DataFrame,
        *,
        key: str = "family_id",
        name: str = "weights",
        include_zero: bool = False,
    ) -> pd.DataFrame:
        """Broadcast the family weights onto person- or observation-level rows.

        Parameters
        ----------
        data : DataFrame
            Rows (parents, children, waves) with the family ``key``.
        key : str
        name : str
            New column; an existing column of that name raises SchemaError.
        include_zero : bool
            Keep rows of families with weight 0 (trimmed or excluded ones are dropped by
            default).

        Returns
        -------
        DataFrame
        """
        keep = (self.weights > 0) | (include_zero & (self.treat >= 0))
        return broadcast_by_key(data, self.data[key], {name: self.weights}, key=key, keep=keep)


@dataclass(frozen=True)
class WeightSet:
    """Weights for several non-exclusive binary treatments (one model per treatment).

    Attributes
    ----------
    results : dict of str to WeightResult
        One result per treatment column, in the order given.
    """

    results: Mapping[str, WeightResult]

    def __getitem__(self, treatment: str) -> WeightResult:
        return self.results[treatment]

    def __iter__(self) -> Any:
        return iter(self.results)

    def __len__(self) -> int:
        return len(self.results)

    @property
    def weights(self) -> pd.DataFrame:
        """Weights as a DataFrame: one column per treatment, aligned with the input rows."""
        first = next(iter(self.results.values()))
        return pd.DataFrame(
            {k: r.weights for k, r in self.results.items()}, index=first.data.index
        )

    def tidy(self, *, by_stratum: bool = False, **balance_kwargs: Any) -> pd.DataFrame:
        """Return one row per treatment: ESS by group and max |SMD| before and after.

        With ``by_stratum=True`` (weights estimated ``by`` a stratum), one row per
        treatment and stratum, balance measured within the stratum.
        """
        rows = []
        for k, r in self.results.items():
            strata: list[Any] = [None]
            if by_stratum:
                if r.by is None:
                    raise SpecificationError("by_stratum=True needs weights estimated with by=.")
                strata = list(pd.unique(r.by[r.treat >= 0]))
            for s in strata:
                b = r.balance(stratum=s, **balance_kwargs)
                before, after = b.max_abs_smd
                counts = b.counts.to_numpy(dtype=float)
                cidx = {name: i for i, name in enumerate(b.counts.columns)}
                row: dict[str, Any] = {"treatment": k}
                if by_stratum:
                    row["stratum"] = s
                row |= {
                    "n_treated": int(counts[1, cidx["all"]]),
                    "n_control": int(counts[0, cidx["all"]]),
                    "ess_treated": float(counts[1, cidx["ess_adjusted"]]),
                    "ess_control": float(counts[0, cidx["ess_adjusted"]]),
                    "max_abs_smd_before": before,
                    "max_abs_smd_after": after,
                }
                rows.append(row)
        return pd.DataFrame(rows)

    def summary(self, **balance_kwargs: Any) -> Summary:
        """Return a Summary with one row per treatment."""
        first = next(iter(self.results.values()))
        header = {"Treatments": len(self.results), "Estimand": first.estimand,
                  "Method": first.method, "Stratified by": first.info.get("by")}
        return Summary("Weights for several treatments", header,
                       {"Balance by treatment": self.tidy(**balance_kwargs).set_index("treatment")})
