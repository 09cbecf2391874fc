"""Estimators the bootstrap can replicate, as frozen specifications.

A specification holds the options of an estimator (columns, formula, estimand). Its
``prepare(data, cluster)`` validates the data once and returns a *prepared* estimator:
arrays and per-cluster statistics plus a ``run(W, kind)`` method that evaluates the
estimator for every row of a ``(B, G)`` cluster-weight matrix at once.

Batched: :class:`IPWDiD` (propensity-weighted difference-in-differences of a change score,
logit refitted in each replicate), :class:`WLS` (weighted least squares, any formula) and
:class:`PairDifference` (matched-pair difference, pair-cluster bootstrap). Looped:
:class:`~kbeffect.inference.bootstrap.generic.Generic`, any function of a weighted or
resampled data set.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

import numpy as np
import pandas as pd

from kbeffect._formula import design_matrices
from kbeffect._results import Exclusions
from kbeffect._validation import check_columns, check_literal, check_no_missing
from kbeffect.errors import DataError, SpecificationError
from kbeffect.inference.bootstrap import kernels as K
from kbeffect.inference.bootstrap._family import FamilyArrays, family_arrays
from kbeffect.inference.bootstrap._ipw_sandwich import ipw_did_se_batched

__all__ = [
    "WLS",
    "IPWDiD",
    "PairDifference",
    "Prepared",
    "ReplicateBatch",
    "cluster_codes",
]


@dataclass(frozen=True, slots=True)
class ReplicateBatch:
    """Estimates for a batch of replicates.

    Attributes
    ----------
    theta : ndarray of shape (B, k)
        Estimates (NaN where a replicate failed).
    se : ndarray of shape (B, k) or None
        Per-replicate standard errors, when the estimator has them (studentised CI).
    ok : ndarray of shape (B,)
        Replicates that produced finite estimates.
    """

    theta: np.ndarray
    se: np.ndarray | None
    ok: np.ndarray


class Prepared(Protocol):
    """What ``spec.prepare(data, cluster)`` returns."""

    names: tuple[str, ...]
    n_clusters: int
    supports_wild: bool
    batched: bool
    exclusions: Exclusions

    def point(self) -> ReplicateBatch:
        """Return the full-sample estimate as a batch of one."""
        ...

    def run(self, W: np.ndarray, kind: str) -> ReplicateBatch:
        """Evaluate the estimator for every row of the ``(B, G)`` weight matrix ``W``."""
        ...


def cluster_codes(data: pd.DataFrame, cluster: str | None) -> tuple[np.ndarray, int]:
    """Return the cluster code ``0..G-1`` of each row and ``G`` (rows are clusters if None).

    Clusters are numbered in sorted order of their ids, so the replicate weights of a
    cluster do not depend on the row order of the data.
    """
    if cluster is None:
        return np.arange(len(data)), len(data)
    check_columns(data, [cluster])
    check_no_missing(data, [cluster])
    codes, uniques = pd.factorize(data[cluster], sort=True)
    return codes.astype(np.intp), len(uniques)


def _batch(theta: np.ndarray, se: np.ndarray | None = None) -> ReplicateBatch:
    theta = np.asarray(theta, dtype=float)
    theta = theta[:, None] if theta.ndim == 1 else theta
    ok = np.all(np.isfinite(theta), axis=1)
    return ReplicateBatch(theta=theta, se=se, ok=ok)


# --------------------------------------------------------------------------- IPW DiD
@dataclass(frozen=True, slots=True)
class IPWDiD:
    """Propensity-weighted difference-in-differences of a family-level change score.

    Parameters are those of :func:`kbeffect.ipw_did`; see there.
    """

    treatment: str
    covariates: tuple[str, ...] | str
    outcome_pre: str | None = None
    outcome_post: str | None = None
    outcome: str | None = None
    wave: str | None = None
    unit: str | None = None
    waves: tuple[Any, Any] = (0, 2)
    estimand: Literal["att", "ate", "ato"] = "att"
    missing: Literal["raise", "drop"] = "raise"
    replicate_se: bool = False

    def __post_init__(self) -> None:
        check_literal("estimand", self.estimand, ("att", "ate", "ato"))
        check_literal("missing", self.missing, ("raise", "drop"))

    def arrays(self, data: pd.DataFrame) -> FamilyArrays:
        """Validate ``data`` and return the unit-level arrays (see :func:`family_arrays`)."""
        return family_arrays(
            data,
            treatment=self.treatment,
            covariates=self.covariates,
            outcome_pre=self.outcome_pre,
            outcome_post=self.outcome_post,
            outcome=self.outcome,
            wave=self.wave,
            unit=self.unit,
            waves=self.waves,
            missing=self.missing,
        )

    def prepare(self, data: pd.DataFrame, cluster: str | None) -> _PreparedIPWDiD:
        """Validate ``data`` and return the prepared batched estimator."""
        fa = self.arrays(data)
        codes, G = cluster_codes(fa.frame, cluster)
        return _PreparedIPWDiD(
            fa=fa, codes=codes, n_clusters=G, estimand=self.estimand,
            replicate_se=self.replicate_se,
        )


@dataclass
class _PreparedIPWDiD:
    """Prepared IPW DiD: units aggregated to covariate patterns.

    Units with the same covariate row and treatment (a *pattern*) share the propensity
    score, so the logit and the weighted means only need, per replicate, the
    bootstrap-weighted count and change-score sum of each pattern: ``W @ M`` and
    ``W @ S`` with sparse ``(G, P)`` incidence matrices. With family-level covariates and
    child-level rows this shrinks the work from rows to families.
    """

    fa: FamilyArrays
    codes: np.ndarray
    n_clusters: int
    estimand: Literal["att", "ate", "ato"]
    replicate_se: bool = False
    names: tuple[str, ...] = ()
    supports_wild: bool = False
    batched: bool = True
    exclusions: Exclusions = field(default_factory=Exclusions)
    replicate_width: int = 0
    _Xp: np.ndarray = field(init=False, repr=False)
    _dp: np.ndarray = field(init=False, repr=False)
    _XX: np.ndarray = field(init=False, repr=False)
    _MT: Any = field(init=False, repr=False)
    _ST: Any = field(init=False, repr=False)
    _beta_hat: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        from scipy import sparse

        fa = self.fa
        self.names = (self.estimand.upper(),)
        self.exclusions = fa.exclusions
        keys = np.column_stack([fa.X, fa.d])
        uniq, pat = np.unique(keys, axis=0, return_inverse=True)
        pat = pat.ravel()
        P, G = len(uniq), self.n_clusters
        self._Xp, self._dp = uniq[:, :-1], uniq[:, -1]
        self._XX = K.outer_rows_upper(self._Xp)
        ones = np.ones(len(pat))
        # transposed (P, G) incidence / change-score sums: (M' W')' = W M
        self._MT = sparse.csr_matrix((ones, (pat, self.codes)), shape=(P, G))
        self._ST = sparse.csr_matrix((fa.delta, (pat, self.codes)), shape=(P, G))
        self.replicate_width = 8 * P  # (B, P) temporaries of a Newton step
        if self.replicate_se:  # (B, G, p + 2) cluster scores of the sandwich
            self.replicate_width += 3 * G * (self._Xp.shape[1] + 2) + P * self._Xp.shape[1]
        fit = K.logit_irls_batched(self._Xp, self._dp, self._counts(np.ones((1, G))), XX=self._XX)
        if not fit.converged[0]:
            raise DataError(
                "the propensity logit did not converge on the full sample (separation?); "
                "simplify the covariates or check for a covariate that predicts treatment."
            )
        self._beta_hat = fit.beta[0]

    def _counts(self, W: np.ndarray) -> np.ndarray:
        return np.asarray((self._MT @ W.T).T)

    def run(self, W: np.ndarray, kind: str) -> ReplicateBatch:
        N = self._counts(W)
        fit = K.logit_irls_batched(self._Xp, self._dp, N, beta0=self._beta_hat, XX=self._XX)
        e = 1.0 / (1.0 + np.exp(-(fit.beta @ self._Xp.T)))
        a = K.ipw_weights(e, self._dp, self.estimand)
        S = np.asarray((self._ST @ W.T).T)
        theta = K.weighted_did(S, N, self._dp, a)
        if not self.replicate_se:
            return _batch(theta)
        with np.errstate(invalid="ignore", divide="ignore"):
            se = ipw_did_se_batched(
                W=W, Xp=self._Xp, dp=self._dp, XXu=self._XX, M=self._MT.T.tocsr(),
                S=self._ST.T.tocsr(), N=N, Sb=S, e=e, estimand=self.estimand,
            )
        return _batch(theta, se[:, None])

    def point(self) -> ReplicateBatch:
        return self.run(np.ones((1, self.n_clusters)), "multinomial")


# --------------------------------------------------------------------------- WLS
@dataclass(frozen=True, slots=True)
class WLS:
    """Weighted least squares ``formula`` with optional row weights column ``weights``.

    The multinomial and Bayesian bootstraps refit on resampled clusters; the wild kinds
    perturb cluster residual scores. Every replicate carries its CR1 standard errors, so
    studentised intervals are available.
    """

    formula: str
    weights: str | None = None
    missing: Literal["raise", "drop"] = "raise"

    def prepare(self, data: pd.DataFrame, cluster: str | None) -> _PreparedWLS:
        """Validate ``data`` and return the prepared batched estimator."""
        check_literal("missing", self.missing, ("raise", "drop"))
        dm = design_matrices(self.formula, data, missing=self.missing)
        if dm.y is None:
            raise SpecificationError(f"formula {self.formula!r} needs a response (y ~ ...).")
        used = data.iloc[dm.rows]
        a = None
        if self.weights is not None:
            check_columns(used, [self.weights])
            check_no_missing(used, [self.weights])
            a = used[self.weights].to_numpy(dtype=float)
            if np.any(a < 0):
                raise DataError(f"column {self.weights!r} (weights) has negative values.")
        codes, G = cluster_codes(used, cluster)
        sums = K.cluster_sums(dm.X, dm.y, codes, G, a)
        return _PreparedWLS(sums=sums, names=dm.columns, n_clusters=G, exclusions=dm.exclusions)


@dataclass
class _PreparedWLS:
    sums: K.ClusterSums
    names: tuple[str, ...]
    n_clusters: int
    exclusions: Exclusions
    supports_wild: bool = True
    batched: bool = True
    replicate_width: int = 0
    _beta_hat: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.replicate_width = 3 * self.sums.xty.size  # (B, G, p) cluster scores
        xtx = self.sums.xtx.sum(axis=0)
        if np.linalg.matrix_rank(xtx) < xtx.shape[0]:
            raise DataError(f"the design matrix is rank deficient (columns {list(self.names)}).")
        self._beta_hat = np.linalg.solve(xtx, self.sums.xty.sum(axis=0))

    def run(self, W: np.ndarray, kind: str) -> ReplicateBatch:
        if kind in ("rademacher", "webb"):
            fit = K.wls_wild(self.sums, self._beta_hat, W)
        else:
            with np.errstate(invalid="ignore", divide="ignore"):
                try:
                    fit = K.wls_batched(self.sums, W)
                except np.linalg.LinAlgError:
                    return self._looped(W)
        return _batch(fit.beta, fit.se)

    def _looped(self, W: np.ndarray) -> ReplicateBatch:
        # A singular replicate (e.g. a dummy with no drawn cluster): fit one by one, NaN it.
        theta = np.full((W.shape[0], len(self.names)), np.nan)
        se = np.full_like(theta, np.nan)
        for b in range(W.shape[0]):
            try:
                fit = K.wls_batched(self.sums, W[b : b + 1])
            except np.linalg.LinAlgError:
                continue
            theta[b], se[b] = fit.beta[0], fit.se[0]
        return _batch(theta, se)

    def point(self) -> ReplicateBatch:
        fit = K.wls_batched(self.sums, np.ones((1, self.n_clusters)))
        return _batch(fit.beta, fit.se)


# --------------------------------------------------------------------------- matched pairs
@dataclass(frozen=True, slots=True)
class PairDifference:
    """Mean within-pair difference ``outcome[treated] - outcome[control]`` over matched pairs.

    Rows are matched units with a ``pair`` id (1:k matching: the controls of a pair are
    averaged). The bootstrap resamples whole pairs (pair-cluster bootstrap; Austin & Small
    2014, Abadie & Spiess 2022); per-replicate standard errors are the CR1 standard errors
    of the pair mean, so studentised intervals are available.
    """

    pair: str
    treatment: str
    outcome: str

    def prepare(self, data: pd.DataFrame, cluster: str | None) -> _PreparedWLS:
        """Validate ``data`` and return the prepared batched estimator."""
        cols = [self.pair, self.treatment, self.outcome]
        check_columns(data, cols)
        check_no_missing(data, cols)
        if cluster is not None and cluster != self.pair:
            raise SpecificationError(
                f"cluster={cluster!r}: the matched-pair difference resamples pairs; pass "
                f"cluster={self.pair!r} or None."
            )
        d = data[self.treatment].to_numpy()
        if not np.isin(d, (0, 1, True, False)).all():
            raise DataError(f"column {self.treatment!r} (treatment) must be 0/1 or boolean.")
        g = data.groupby([self.pair, data[self.treatment].astype(int)])[self.outcome].mean()
        wide = g.unstack()
        if wide.shape[1] != 2 or wide.isna().any().any():
            raise DataError(
                f"every pair in {self.pair!r} needs at least one treated and one control row."
            )
        diff = (wide[1] - wide[0]).to_numpy(dtype=float)
        X = np.ones((len(diff), 1))
        sums = K.cluster_sums(X, diff, np.arange(len(diff)), len(diff))
        return _PreparedWLS(
            sums=sums, names=("pair_difference",), n_clusters=len(diff), exclusions=Exclusions()
        )
