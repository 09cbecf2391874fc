"""The result of :func:`kbeffect.bootstrap`: replicates, standard errors, intervals."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from kbeffect._results import Exclusions, Summary, lazy_pyplot
from kbeffect._validation import check_literal, check_probability
from kbeffect.errors import SpecificationError
from kbeffect.inference.bootstrap import intervals as I
from kbeffect.inference.bootstrap.weights import WILD_KINDS

__all__ = ["BootstrapResult", "CIMethod"]

CIMethod = Literal["percentile", "basic", "normal", "bca", "studentized"]
_METHODS: tuple[str, ...] = ("percentile", "basic", "normal", "bca", "studentized")


@dataclass(frozen=True)
class BootstrapResult:
    """Replicates of an estimator under a cluster (or wild cluster) bootstrap.

    Attributes
    ----------
    names : tuple of str
        Parameter names (``k`` of them).
    theta0 : ndarray of shape (k,)
        Full-sample estimate.
    se0 : ndarray of shape (k,) or None
        Full-sample (CR1) standard error, for estimators that have one.
    theta : ndarray of shape (B, k)
        Replicate estimates (NaN for failed replicates). Kept for plotting.
    theta_se : ndarray of shape (B, k) or None
        Per-replicate standard errors (studentised intervals).
    kind : str
        Weight kind: ``multinomial``, ``bayesian``, ``rademacher`` or ``webb``.
    cluster : str or None
        Resampling-unit column (None: rows).
    n_clusters : int
        Number of resampling units ``G``.
    seed_entropy : int
        Entropy of the root seed sequence (rerun with ``seed=seed_entropy``).
    batched : bool
        Whether the replicates were computed by batched kernels (else looped).
    exclusions : Exclusions
        Units the estimator excluded before resampling.
    """

    names: tuple[str, ...]
    theta0: np.ndarray
    se0: np.ndarray | None
    theta: np.ndarray
    theta_se: np.ndarray | None
    kind: str
    cluster: str | None
    n_clusters: int
    seed_entropy: int
    batched: bool
    exclusions: Exclusions = field(default_factory=Exclusions)
    _jackknife: Callable[[], np.ndarray] | None = field(default=None, repr=False)
    _cache: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    # ------------------------------------------------------------------ accessors
    @property
    def n_replicates(self) -> int:
        """Number of replicates ``B`` requested."""
        return int(self.theta.shape[0])

    @property
    def n_failed(self) -> int:
        """Replicates that produced no finite estimate (left out of SEs and intervals)."""
        return int(np.sum(~np.all(np.isfinite(self.theta), axis=1)))

    @property
    def estimate(self) -> pd.Series:
        """Full-sample estimate per parameter."""
        return pd.Series(self.theta0, index=list(self.names), name="estimate")

    @property
    def se(self) -> pd.Series:
        """Bootstrap standard error: SD (``ddof=1``) of the finite replicates."""
        sd = [np.std(self._t(j), ddof=1) for j in range(len(self.names))]
        return pd.Series(sd, index=list(self.names), name="std_error")

    @property
    def replicates(self) -> pd.DataFrame:
        """Replicate estimates, one row per replicate (``B x k``)."""
        return pd.DataFrame(self.theta, columns=list(self.names))

    def _t(self, j: int) -> np.ndarray:
        t = self.theta[:, j]
        return t[np.isfinite(t)]

    def _index(self, param: str | int | None) -> list[int]:
        if param is None:
            return list(range(len(self.names)))
        if isinstance(param, int) and 0 <= param < len(self.names):
            return [param]
        if param in self.names:
            return [self.names.index(str(param))]
        raise SpecificationError(f"param={param!r} is not one of {list(self.names)}.")

    def jackknife(self) -> np.ndarray:
        """Leave-one-cluster-out estimates, shape ``(G, k)`` (computed once, on demand)."""
        if self._jackknife is None:
            raise SpecificationError("this result has no jackknife (BCa needs the estimator).")
        if "jack" not in self._cache:
            self._cache["jack"] = self._jackknife()
        return np.asarray(self._cache["jack"])

    # ------------------------------------------------------------------ inference
    def ci(self, method: CIMethod = "percentile", level: float = 0.95) -> pd.DataFrame:
        """Confidence intervals for every parameter.

        Parameters
        ----------
        method : {"percentile", "basic", "normal", "bca", "studentized"}
            Interval type (Davison & Hinkley 1997, ch. 5; identical to ``boot::boot.ci``
            on the same replicates). ``"bca"`` uses jackknife-over-clusters acceleration and
            needs a resampling bootstrap; ``"studentized"`` needs per-replicate SEs
            (weighted least squares and matched-pair estimators).
        level : float
            Confidence level in (0, 1).

        Returns
        -------
        DataFrame
            Index: parameter names; columns ``conf_low``, ``conf_high``.
        """
        check_literal("method", method, _METHODS)
        level = check_probability("level", level)
        if method == "bca" and self.kind in WILD_KINDS:
            raise SpecificationError("method='bca' needs a resampling bootstrap, not a wild one.")
        tse, se0 = self.theta_se, self.se0
        if method == "studentized" and (tse is None or se0 is None):
            raise SpecificationError(
                "method='studentized' needs per-replicate standard errors; this estimator has "
                "none (use 'percentile', 'basic', 'normal' or 'bca')."
            )
        rows = []
        for j in range(len(self.names)):
            t0, t = float(self.theta0[j]), self.theta[:, j]
            if method == "percentile":
                lo_hi = I.percentile_ci(t, level)
            elif method == "basic":
                lo_hi = I.basic_ci(t0, t, level)
            elif method == "normal":
                lo_hi = I.normal_ci(t0, t, level)
            elif method == "bca":
                L = I.jackknife_influence(self.jackknife()[:, j])
                lo_hi = I.bca_ci(t0, t, L, level)
            elif tse is not None and se0 is not None:  # studentized (availability checked)
                lo_hi = I.studentized_ci(t0, float(se0[j]), t, tse[:, j], level)
            rows.append(lo_hi)
        return pd.DataFrame(rows, index=list(self.names), columns=["conf_low", "conf_high"])

    def pvalue(
        self, null: float = 0.0, method: Literal["percentile", "studentized"] = "percentile"
    ) -> pd.Series:
        """Two-sided bootstrap p-values for ``H0: theta = null``.

        ``"percentile"`` inverts the equal-tailed percentile interval; ``"studentized"`` is
        the symmetric bootstrap-t p-value (recommended for the wild bootstrap).
        """
        check_literal("method", method, ("percentile", "studentized"))
        out = []
        for j in range(len(self.names)):
            if method == "percentile":
                out.append(I.pvalue_percentile(self.theta[:, j], null))
            else:
                if self.theta_se is None or self.se0 is None:
                    raise SpecificationError("method='studentized' needs per-replicate SEs.")
                out.append(
                    I.pvalue_studentized(
                        float(self.theta0[j]), float(self.se0[j]), self.theta[:, j],
                        self.theta_se[:, j], null,
                    )
                )
        return pd.Series(out, index=list(self.names), name="p_value")

    # ------------------------------------------------------------------ reporting
    def tidy(self, ci_method: CIMethod = "percentile", level: float = 0.95) -> pd.DataFrame:
        """One row per parameter: estimate, bootstrap SE, interval, p-value, replicates."""
        ci = self.ci(ci_method, level)
        pmethod: Literal["percentile", "studentized"] = (
            "studentized" if ci_method == "studentized" else "percentile"
        )
        return pd.DataFrame(
            {
                "term": list(self.names),
                "estimate": self.theta0,
                "std_error": self.se.to_numpy(),
                "conf_low": ci["conf_low"].to_numpy(),
                "conf_high": ci["conf_high"].to_numpy(),
                "p_value": self.pvalue(method=pmethod).to_numpy(),
                "n_replicates": self.n_replicates - self.n_failed,
            }
        ).assign(ci_method=ci_method, level=level)

    def summary(self, ci_method: CIMethod = "percentile", level: float = 0.95) -> Summary:
        """Return a :class:`~kbeffect._results.Summary` of the bootstrap."""
        header = {
            "kind": f"{self.kind} ({'wild ' if self.kind in WILD_KINDS else ''}cluster bootstrap)",
            "resampling unit": self.cluster or "rows",
            "clusters": self.n_clusters,
            "replicates": f"{self.n_replicates} ({self.n_failed} failed)",
            "computation": "batched" if self.batched else "looped",
            "seed entropy": self.seed_entropy,
        }
        notes = list(self.exclusions.notes())
        if self.n_failed:
            notes.append(
                f"{self.n_failed} replicates gave no finite estimate (non-convergence or an "
                "empty arm) and are left out of the SE and intervals."
            )
        table = self.tidy(ci_method, level).set_index("term")
        return Summary(
            title="Bootstrap", header=header, tables={"Estimates": table}, notes=tuple(notes)
        )

    def plot(self, param: str | int | None = None, *, ci_method: CIMethod = "percentile",
             level: float = 0.95, bins: int = 40) -> Any:
        """Histogram of the replicate distribution with the estimate and the interval.

        Returns
        -------
        matplotlib.figure.Figure
        """
        plt = lazy_pyplot()
        idx = self._index(param)
        fig, axes = plt.subplots(1, len(idx), figsize=(4.5 * len(idx), 3.2), squeeze=False)
        ci = self.ci(ci_method, level)
        for ax, j in zip(axes[0], idx, strict=True):
            name = self.names[j]
            ax.hist(self._t(j), bins=bins, color="0.75", edgecolor="white")
            ax.axvline(self.theta0[j], color="k", lw=1.5, label="estimate")
            for v in ci.loc[name]:
                ax.axvline(v, color="C3", ls="--", lw=1)
            ax.set_title(f"{name}: {ci_method} {level:.0%} CI")
            ax.set_xlabel("replicate estimate")
        axes[0][0].set_ylabel("replicates")
        fig.tight_layout()
        return fig
