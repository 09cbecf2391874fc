"""The generic (looped) bootstrap path: any estimator of a weighted or resampled sample.

Estimators without a batched kernel (mixed-model contrasts, re-matching inside each
replicate, anything user-written) are replicated one by one. Chunks of replicates can
still run in parallel threads (``n_jobs``) or Dask tasks, and draw the same weight matrix
as the batched path, so a generic and a batched version of one estimator give the same
replicates.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from kbeffect._results import Exclusions
from kbeffect._validation import check_literal
from kbeffect.errors import EstimationError, SpecificationError
from kbeffect.inference.bootstrap.estimators import ReplicateBatch, cluster_codes

__all__ = ["FAILURES", "Generic"]

#: Exceptions that mark a replicate as failed (counted on the result) instead of aborting.
FAILURES: tuple[type[BaseException], ...] = (
    np.linalg.LinAlgError,
    ZeroDivisionError,
    FloatingPointError,
    EstimationError,
)


@dataclass(frozen=True, slots=True)
class Generic:
    """Any estimator of a weighted sample (``mode="weights"``) or a resample (``"resample"``).

    Parameters
    ----------
    func : callable
        ``mode="weights"``: ``func(data, weights) -> float | 1-D array`` where ``weights``
        has one entry per row of ``data`` (the replicate's weight of the row's cluster:
        integer counts for the multinomial bootstrap, zero for clusters not drawn;
        Dirichlet weights for the Bayesian bootstrap).
        ``mode="resample"``: ``func(sample) -> float | 1-D array`` where ``sample`` holds
        the rows of every drawn cluster, repeated as often as it was drawn, and the
        cluster column is relabelled so that each drawn copy is a distinct cluster (what
        a mixed model or a matching routine needs). Multinomial bootstrap only.
    names : sequence of str, optional
        Names of the returned values (default ``"estimate"`` or ``theta0, theta1, ...``).
    mode : {"weights", "resample"}
        How a replicate is handed to ``func``.

    Notes
    -----
    A replicate whose evaluation raises one of :data:`FAILURES` (a singular fit, a
    :class:`~kbeffect.errors.EstimationError` such as an empty matched set) is recorded
    as failed (NaN) and counted on the result; other exceptions propagate.
    """

    func: Callable[..., Any]
    names: Sequence[str] | None = None
    mode: Literal["weights", "resample"] = "weights"

    def prepare(self, data: pd.DataFrame, cluster: str | None) -> _PreparedGeneric:
        """Validate ``data`` and return the prepared (looped) estimator."""
        if not callable(self.func):
            raise SpecificationError("estimator must be callable.")
        check_literal("mode", self.mode, ("weights", "resample"))
        codes, G = cluster_codes(data, cluster)
        return _PreparedGeneric(self, data, cluster, codes, G)


class _PreparedGeneric:
    supports_wild = False
    batched = False

    def __init__(
        self, spec: Generic, data: pd.DataFrame, cluster: str | None, codes: np.ndarray, G: int
    ) -> None:
        self.spec, self.data, self.cluster, self.codes = spec, data, cluster, codes
        self.n_clusters = G
        self.replicate_width = len(data)
        self.exclusions = Exclusions()
        self._members = [np.flatnonzero(codes == g) for g in range(G)] if spec.mode == (
            "resample") else []
        t0 = self._evaluate(np.ones(G))
        names = spec.names
        self.names = tuple(names) if names is not None else (
            ("estimate",) if t0.size == 1 else tuple(f"theta{j}" for j in range(t0.size))
        )
        if len(self.names) != t0.size:
            raise SpecificationError(
                f"names has {len(self.names)} entries but the estimator returns {t0.size} values."
            )

    def _evaluate(self, w: np.ndarray) -> np.ndarray:
        if self.spec.mode == "weights":
            out = self.spec.func(self.data, w[self.codes])
        else:
            out = self.spec.func(self._resample(w))
        return np.atleast_1d(np.asarray(out, dtype=float)).ravel()

    def _resample(self, w: np.ndarray) -> pd.DataFrame:
        counts = np.rint(w).astype(int)
        if np.any(np.abs(w - counts) > 0):
            raise SpecificationError(
                "Generic(mode='resample') needs integer cluster counts: use "
                "kind='multinomial' (or mode='weights' for the Bayesian bootstrap)."
            )
        rows, copy_id = [], []
        nxt = 0
        for g in np.flatnonzero(counts):
            for _ in range(counts[g]):
                rows.append(self._members[g])
                copy_id.append(np.full(self._members[g].size, nxt))
                nxt += 1
        sample = self.data.iloc[np.concatenate(rows)].reset_index(drop=True)
        if self.cluster is not None:
            sample[self.cluster] = np.concatenate(copy_id)
        return sample

    def run(self, W: np.ndarray, kind: str) -> ReplicateBatch:
        theta = np.full((W.shape[0], len(self.names)), np.nan)
        for b in range(W.shape[0]):
            try:
                theta[b] = self._evaluate(W[b])
            except FAILURES:
                continue
        return ReplicateBatch(theta=theta, se=None, ok=np.all(np.isfinite(theta), axis=1))

    def point(self) -> ReplicateBatch:
        t0 = self._evaluate(np.ones(self.n_clusters))[None, :]
        return ReplicateBatch(theta=t0, se=None, ok=np.all(np.isfinite(t0), axis=1))
