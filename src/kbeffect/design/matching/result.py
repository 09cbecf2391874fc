"""MatchResult: matched sets, weights and diagnostics of :func:`kbeffect.design.match`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from kbeffect._results import Exclusions, Summary
from kbeffect._validation import check_literal
from kbeffect.design._expand import broadcast_by_key, check_new_columns
from kbeffect.design._inputs import Covariates, DesignInputs
from kbeffect.design.balance.result import BalanceResult, compute_balance, covariate_matrix
from kbeffect.design.balance.stats import SdDenom
from kbeffect.design.propensity import PropensityModel
from kbeffect.errors import SpecificationError

__all__ = ["MatchResult"]


@dataclass(frozen=True)
class MatchResult:
    """The result of :func:`kbeffect.design.match`.

    Arrays of length ``n_input`` are aligned with the rows of the input frame (rows
    excluded for missing values have weight 0, subclass -1 and distance NaN).

    Attributes
    ----------
    method : str
        ``"nearest"``, ``"optimal"``, ``"cem"``, ``"exact"`` or ``"subclass"``.
    estimand : str
    distance_kind : str
        How distances were measured (``"glm (logit)"``, ``"mahalanobis"``, ``"user"``, ...).
    weights : ndarray of shape (n_input,)
        Matching weights (MatchIt conventions; 0 = not in the matched sample).
    subclass : ndarray of shape (n_input,)
        Matched set / subclass id, -1 when none (and for matching with replacement).
    distance : ndarray of shape (n_input,)
        Scalar distance (propensity score or linear predictor), NaN if none.
    discarded : ndarray of shape (n_input,) bool
        Units dropped by ``discard`` (outside common support).
    treat : ndarray of shape (n_input,)
        Treatment 0/1 (-1 for rows excluded for missing values).
    focal : ndarray of shape (n1,)
        Input-row positions of the focal units (treated for the ATT).
    match_matrix : ndarray of shape (n1, ratio)
        Input-row positions of the controls matched to each focal unit (-1 none); empty
        (shape (n1, 0)) for subclass-type methods.
    propensity : PropensityModel or None
    info : dict
        Options as used: ratio, replace, caliper (absolute), m_order, exact, discard, ...
    exclusions : Exclusions
        Families excluded for missing values (``missing="drop"``).
    data : DataFrame
        The input frame (kept to build matched data; not printed).
    inputs : DesignInputs
        Validated covariate arrays (for balance).
    """

    method: str
    estimand: str
    distance_kind: str
    weights: np.ndarray
    subclass: np.ndarray
    distance: np.ndarray
    discarded: np.ndarray
    treat: np.ndarray
    focal: np.ndarray
    match_matrix: np.ndarray
    propensity: PropensityModel | None
    info: dict[str, Any]
    exclusions: Exclusions
    data: pd.DataFrame = field(repr=False)
    inputs: DesignInputs = field(repr=False)

    def __repr__(self) -> str:
        n_m = [int(np.sum((self.treat == g) & (self.weights > 0))) for g in (1, 0)]
        return (
            f"MatchResult(method={self.method!r}, estimand={self.estimand!r}, "
            f"distance={self.distance_kind!r}, matched treated={n_m[0]}, "
            f"matched control={n_m[1]})"
        )

    @property
    def n_matched(self) -> dict[str, int]:
        """Number of matched treated and control units."""
        return {
            "treated": int(np.sum((self.treat == 1) & (self.weights > 0))),
            "control": int(np.sum((self.treat == 0) & (self.weights > 0))),
        }

    def pairs(self) -> pd.DataFrame:
        """Return one row per (focal unit, matched control) with their index labels.

        Columns: ``focal`` and ``control`` (index labels of the input frame), ``rank``
        (1 = first control matched), ``subclass`` and ``distance_diff`` (absolute
        difference of the scalar distance, NaN without one).
        """
        if self.match_matrix.shape[1] == 0:
            raise SpecificationError(
                f"method={self.method!r} forms subclasses, not pairs; use matched_data()."
            )
        r, c = np.nonzero(self.match_matrix >= 0)
        f = self.focal[r]
        ctl = self.match_matrix[r, c]
        idx = self.data.index
        return pd.DataFrame(
            {
                "focal": idx[f],
                "control": idx[ctl],
                "rank": c + 1,
                "subclass": self.subclass[f] + 1,
                "distance_diff": np.abs(self.distance[f] - self.distance[ctl]),
            }
        )

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
        distance: bool = True,
    ) -> BalanceResult:
        """Return covariate balance before and after matching.

        Parameters
        ----------
        covariates : str or list of str, optional
            Family covariates; default those used for matching.
        child_data, child_covariates, key
            Child covariates averaged per family (level "child" in the table).
        s_d_denom : {"treated", "control", "pooled", "all"}, optional
            Default from the estimand (treated for the ATT).
        binary : {"std", "raw"}
        threshold : float or None
        distance : bool
            Include the propensity score / distance as the first row (as MatchIt).
        """
        check_literal("binary", binary, ("std", "raw"))
        ok = self.treat >= 0
        X, cols, levels = covariate_matrix(
            self.data, self.inputs, ok, covariates, child_data=child_data,
            child_covariates=child_covariates, key=key)
        if distance and np.isfinite(self.distance[ok]).all():
            X = np.column_stack([self.distance[ok], X])
            cols = ["distance", *cols]
            levels = ["family", *levels]
        return compute_balance(
            X,
            cols,
            self.treat[ok],
            self.weights[ok],
            estimand=self.estimand,
            s_d_denom=s_d_denom,
            standardize_binary=binary == "std",
            levels=levels,
            adjusted_label="Matched",
            threshold=threshold,
            discarded=self.discarded[ok],
            exclusions=self.exclusions,
        )

    def summary(self, *, un: bool = True, **balance_kwargs: Any) -> Summary:
        """Return a Summary: matching options, sample sizes and balance (MatchIt style)."""
        bal = self.balance(**balance_kwargs)
        inner = bal.summary(un=un)
        header = {
            "Method": self.method,
            "Distance": self.distance_kind,
            "Estimand": self.estimand,
            **{k: v for k, v in self.info.items() if v is not None},
            **inner.header,
        }
        notes = inner.notes
        return Summary(f"Matching ({self.method})", header, inner.tables, notes)

    def tidy(self, **balance_kwargs: Any) -> pd.DataFrame:
        """Return the balance table in long form (see :meth:`BalanceResult.tidy`)."""
        return self.balance(**balance_kwargs).tidy()

    def plot(self, kind: Literal["love", "overlap"] = "love", **kwargs: Any) -> Any:
        """Draw the Love plot (``"love"``) or propensity overlap plot (``"overlap"``)."""
        check_literal("kind", kind, ("love", "overlap"))
        if kind == "love":
            return self.balance().plot(**kwargs)
        from kbeffect.design.balance.plots import overlap_plot

        ok = self.treat >= 0
        if not np.isfinite(self.distance[ok]).all():
            raise SpecificationError("an overlap plot needs a scalar distance (propensity score).")
        return overlap_plot(self.distance[ok], self.treat[ok], self.weights[ok], **kwargs)

    def matched_data(
        self,
        data: pd.DataFrame | None = None,
        *,
        key: str = "family_id",
        weights: str = "weights",
        subclass: str | None = "subclass",
        distance: str | None = "distance",
        include_unmatched: bool = False,
    ) -> pd.DataFrame:
        """Return the matched sample with ``weights``, ``subclass`` and ``distance`` columns.

        Parameters
        ----------
        data : DataFrame, optional
            Person- or observation-level rows (parents, children, waves) with the family
            ``key``: every row gets its family's weight, subclass and distance. Default:
            the family-level input frame.
        key : str
            Family identifier linking ``data`` to the matched families.
        weights, subclass, distance : str or None
            Names of the new columns (None leaves one out). Existing columns are never
            overwritten: a clash raises :class:`~kbeffect.errors.SchemaError`.
        include_unmatched : bool
            Keep unmatched families (weight 0) as well.

        Returns
        -------
        DataFrame
        """
        cols: dict[str, np.ndarray] = {weights: self.weights}
        if subclass is not None:
            cols[subclass] = np.where(self.subclass >= 0, self.subclass + 1.0, np.nan)
        if distance is not None:
            cols[distance] = self.distance
        keep = (self.weights > 0) | (include_unmatched & (self.treat >= 0))
        if data is None:
            check_new_columns(self.data, list(cols))
            out = self.data.loc[keep].copy()
            for c, v in cols.items():
                out[c] = v[keep]
            if subclass is not None:
                out[subclass] = out[subclass].astype("Int64")
            return out
        out = broadcast_by_key(data, self.data[key], cols, key=key, keep=keep)
        if subclass is not None:
            out[subclass] = out[subclass].astype("Int64")
        return out
