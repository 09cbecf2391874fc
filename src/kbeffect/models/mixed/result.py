"""``MixedResult``: the result object of :func:`kbeffect.mixed`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from kbeffect._results import Exclusions, Summary
from kbeffect._validation import check_literal
from kbeffect.errors import EstimationError, SpecificationError
from kbeffect.models.mixed.lmm_tables import coef_plot, inference_table

__all__ = ["MixedResult", "coef_plot", "inference_table"]


@dataclass(frozen=True)
class MixedResult:
    """A fitted multilevel model (linear, count or ordinal).

    Use :meth:`tidy` for the coefficient table, :meth:`summary` for a printable report,
    :attr:`variance_components` for the random-effect variances, :meth:`contrast` for
    linear combinations (group x wave contrasts) and :meth:`predict` for predictions on
    new data (the building block of g-computation, :mod:`kbeffect.effects.gcomp`).

    Attributes
    ----------
    fit : LmmFit or GlmmFit
        The kernel's output (arrays).
    formula : str
        Fixed-effects formula.
    family : str
        Response family.
    groups : tuple of str
        Grouping columns, outermost first.
    vcov_type : {"model", "robust"}
        Covariance used for inference: model-based (linear models: Satterthwaite df) or
        family-level cluster-robust CR1 (t with ``G - 1`` df for linear models).
    conf_level : float
        Default level of confidence intervals.
    exclusions : Exclusions
        Rows left out and why.
    group_index : dict of str to Index
        Labels of the groups of each level (inner levels: (family, inner) pairs).
    spec : object
        Formula spec that rebuilds the design for new data.
    zi_spec : object or None
        Spec of the zero-inflation / hurdle design (zero-inflated and hurdle families).
    exposure : str or None
        Exposure column (count models).
    weighted : bool
        Whether family pseudo-likelihood weights were used.
    random_slope : str or None
        Column with a random slope.
    reml : bool
        Whether the REML criterion was used.
    """

    fit: Any
    formula: str
    family: str
    groups: tuple[str, ...]
    vcov_type: str
    conf_level: float
    exclusions: Exclusions = field(default_factory=Exclusions)
    group_index: dict[str, pd.Index] = field(default_factory=dict)
    spec: Any = None
    zi_spec: Any = None
    exposure: str | None = None
    weighted: bool = False
    random_slope: str | None = None
    reml: bool = False

    # ----------------------------------------------------------------- accessors
    @property
    def param_names(self) -> tuple[str, ...]:
        """Names of all estimated parameters (fixed effects first)."""
        return tuple(self.fit.param_names)

    @property
    def params(self) -> pd.Series:
        """Estimates of all parameters (fixed effects, then auxiliary ones)."""
        return pd.Series(np.asarray(self.fit.params, float), index=list(self.param_names))

    def cov(self) -> pd.DataFrame:
        """Covariance matrix of the parameters used for inference (``vcov_type``)."""
        mat = self.fit.cov_robust if self.vcov_type == "robust" else self.fit.cov_params
        if mat is None:
            raise EstimationError(
                f"the {self.family} fit has no {self.vcov_type} covariance; use vcov='model'."
            )
        names = list(self.param_names)
        return pd.DataFrame(np.asarray(mat, float), index=names, columns=names)

    @property
    def bse(self) -> pd.Series:
        """Standard errors (square roots of the diagonal of :meth:`cov`)."""
        return pd.Series(np.sqrt(np.diag(self.cov().to_numpy())), index=list(self.param_names))

    @property
    def loglik(self) -> float:
        """Log-likelihood (REML log-likelihood for REML fits, as lme4's ``logLik``)."""
        return float(self.fit.loglik)

    @property
    def n_obs(self) -> int:
        """Number of observations used."""
        return int(self.fit.n_obs)

    @property
    def n_groups(self) -> dict[str, int]:
        """Number of groups at each level."""
        return dict(zip(self.groups, (int(g) for g in self.fit.n_groups), strict=False))

    def _df(self, contrasts: np.ndarray) -> np.ndarray:
        """Return the reference df (inf = normal) of each contrast row."""
        q = contrasts.shape[0]
        if self.family != "gaussian":
            return np.full(q, np.inf)
        if self.vcov_type == "robust":
            return np.full(q, float(self.fit.n_groups[0] - 1))
        from kbeffect.models.mixed.lmm_inference import satterthwaite_df

        if self.fit.vcov_varpar is None:
            return np.full(q, np.inf)
        return satterthwaite_df(contrasts, self.fit.cov_params, self.fit.vcov_varpar,
                                self.fit.jac_cov)

    # ----------------------------------------------------------------- tables
    def contrast(
        self,
        contrasts: np.ndarray | pd.DataFrame,
        *,
        names: list[str] | None = None,
        conf_level: float | None = None,
    ) -> pd.DataFrame:
        """Estimate linear combinations of the parameters.

        Parameters
        ----------
        contrasts : ndarray or DataFrame, shape (q, k)
            One combination per row; ``k`` is the number of fixed effects or of all
            parameters. A DataFrame's columns are matched to parameter names.
        names : list of str, optional
            Row labels (default the DataFrame index, or ``c0, c1, ...``).
        conf_level : float, optional
            Confidence level (default the result's).

        Returns
        -------
        DataFrame
            Columns ``term, estimate, std_error, statistic, df, p_value, conf_low,
            conf_high`` (``df`` is inf for normal-based inference).
        """
        k_all = len(self.param_names)
        if isinstance(contrasts, pd.DataFrame):
            unknown = [c for c in contrasts.columns if c not in self.param_names]
            if unknown:
                raise SpecificationError(f"contrasts has unknown parameter(s) {unknown}.")
            full = contrasts.reindex(columns=list(self.param_names), fill_value=0.0)
            L = full.to_numpy(float)
            names = names or [str(i) for i in contrasts.index]
        else:
            L = np.atleast_2d(np.asarray(contrasts, float))
        if L.shape[1] > k_all:
            raise SpecificationError(f"contrasts has {L.shape[1]} columns; the model has {k_all}.")
        L = np.pad(L, ((0, 0), (0, k_all - L.shape[1])))
        names = names or [f"c{i}" for i in range(L.shape[0])]
        est = L @ self.params.to_numpy()
        se = np.sqrt(np.einsum("qp,pr,qr->q", L, self.cov().to_numpy(), L))
        df = self._df(L[:, : self._n_fixed])
        return inference_table(names, est, se, df, conf_level or self.conf_level)

    @property
    def _n_fixed(self) -> int:
        """Number of fixed effects (count / ordinal kernels report ``n_fixed``)."""
        return int(getattr(self.fit, "n_fixed", len(self.param_names)))

    def wald_test(self, terms: str | Sequence[str]) -> pd.DataFrame:
        """Joint test that the named coefficients are zero (e.g. all group x wave terms).

        Parameters
        ----------
        terms : str or sequence of str
            Coefficient names, or a prefix shared by them (``"kb:C(wave)"`` selects
            ``kb:C(wave)[T.1]`` and ``kb:C(wave)[T.2]``).

        Returns
        -------
        DataFrame
            One row: ``terms, statistic, num_df, den_df, p_value, eta2_partial``. Linear
            models with ``vcov="model"`` give lmerTest's F with Satterthwaite denominator
            df; robust linear fits an F with ``G - 1`` df; count and ordinal models a Wald
            chi-square divided by ``num_df`` (``den_df`` inf). ``eta2_partial`` is
            ``F q / (F q + den_df)`` (NaN for chi-square tests).
        """
        names = self.param_names
        if isinstance(terms, str):
            chosen = [terms] if terms in names else [n for n in names if n.startswith(terms)]
        else:
            unknown = [t for t in terms if t not in names]
            if unknown:
                raise SpecificationError(
                    f"unknown coefficient(s) {unknown}; available: {list(names)}.")
            chosen = list(terms)
        if not chosen:
            raise SpecificationError(f"no coefficient matches {terms!r}; available: "
                                     f"{list(names)}.")
        L = np.array([[1.0 if n == c else 0.0 for n in self.param_names] for c in chosen])
        beta = self.params.to_numpy()
        V = self.cov().to_numpy()
        q = len(chosen)
        if self.family == "gaussian" and self.vcov_type == "model" and \
                self.fit.vcov_varpar is not None:
            from kbeffect.models.mixed.lmm_inference import satterthwaite_f

            F, q, den = satterthwaite_f(L, beta, V, self.fit.vcov_varpar, self.fit.jac_cov)
        else:
            Lb = L @ beta
            F = float(Lb @ np.linalg.solve(L @ V @ L.T, Lb) / q)
            den = float(self.fit.n_groups[0] - 1) if self.family == "gaussian" else np.inf
        p = float(stats.f.sf(F, q, den) if np.isfinite(den) else stats.chi2.sf(F * q, q))
        eta = F * q / (F * q + den) if np.isfinite(den) else np.nan
        return pd.DataFrame({"terms": [", ".join(chosen)], "statistic": [F], "num_df": [q],
                             "den_df": [den], "p_value": [p], "eta2_partial": [eta]})

    def tidy(self, *, conf_level: float | None = None) -> pd.DataFrame:
        """One row per parameter: estimate, std_error, statistic, df, p_value, interval.

        Parameters
        ----------
        conf_level : float, optional
            Confidence level (default the result's ``conf_level``).

        Returns
        -------
        DataFrame
            Columns ``term, estimate, std_error, statistic, df, p_value, conf_low,
            conf_high``; inference uses ``vcov_type``.
        """
        k = len(self.param_names)
        out = self.contrast(np.eye(k), names=list(self.param_names), conf_level=conf_level)
        return out

    @property
    def variance_components(self) -> pd.DataFrame:
        """Random-effect variances (and the residual variance of linear models).

        Returns
        -------
        DataFrame
            Columns ``level, term, variance, std_dev, corr`` (``corr`` is the
            intercept-slope correlation for a random slope).
        """
        rows: list[dict[str, Any]] = []
        re_cov = getattr(self.fit, "re_cov", None)
        if re_cov:
            for level, G in re_cov.items():
                G = np.atleast_2d(G)
                rows.append({"level": level, "term": "(Intercept)", "variance": G[0, 0],
                             "std_dev": np.sqrt(G[0, 0]), "corr": np.nan})
                if G.shape[0] == 2:
                    corr = G[0, 1] / np.sqrt(G[0, 0] * G[1, 1]) if G[0, 0] * G[1, 1] > 0 else 0.0
                    rows.append({"level": level, "term": self.random_slope, "variance": G[1, 1],
                                 "std_dev": np.sqrt(G[1, 1]), "corr": corr})
        else:
            for level, sd in self.fit.re_sd.items():
                rows.append({"level": level, "term": "(Intercept)", "variance": sd**2,
                             "std_dev": sd, "corr": np.nan})
        sigma = getattr(self.fit, "sigma", None)
        if sigma is not None:
            rows.append({"level": "Residual", "term": "", "variance": sigma**2,
                         "std_dev": sigma, "corr": np.nan})
        return pd.DataFrame(rows, columns=["level", "term", "variance", "std_dev", "corr"])

    def ranef(self, level: str | None = None) -> pd.DataFrame:
        """Conditional modes (BLUPs) of the random effects of one level.

        Parameters
        ----------
        level : str, optional
            Grouping column (default the outermost, the family).

        Returns
        -------
        DataFrame
            Indexed by group label (inner levels by ``(family, inner)``), one column per
            random effect (``"(Intercept)"``, and the slope column with a random slope).
        """
        level = level or self.groups[0]
        check_literal("level", level, self.groups)
        values = np.atleast_2d(np.asarray(self.fit.ranef[level], float))
        if values.shape[0] == 1 and values.shape[1] != 1:
            values = values.T
        cols = ["(Intercept)", self.random_slope or "slope"][: values.shape[1]]
        return pd.DataFrame(values, index=self.group_index.get(level), columns=cols)

    def summary(self) -> Summary:
        """Return a printable :class:`~kbeffect._results.Summary` of the fit."""
        header = {
            "Model": f"{self.family} mixed model"
            + (" (REML)" if self.reml else " (ML)" if self.family == "gaussian" else ""),
            "Formula": self.formula,
            "Groups": ", ".join(f"{g} ({n})" for g, n in self.n_groups.items()),
            "Observations": self.n_obs,
            "Log-likelihood": f"{self.loglik:.3f}",
            "Std. errors": "family-level cluster-robust (CR1)" if self.vcov_type == "robust"
            else "model-based" + (", Satterthwaite df" if self.family == "gaussian" else ""),
            "Weights": "family pseudo-likelihood weights" if self.weighted else "none",
            "Converged": bool(self.fit.converged),
        }
        notes = self.exclusions.notes()
        if not self.fit.converged:
            notes += (f"The optimiser did not converge: {self.fit.message}",)
        return Summary(
            title="Multilevel model",
            header=header,
            tables={"Coefficients": self.tidy().set_index("term"),
                    "Variance components": self.variance_components},
            notes=notes,
        )

    def plot(self, *, intercept: bool = False) -> Any:
        """Coefficient plot (estimates with confidence intervals); returns a Figure."""
        tab = self.tidy()
        if not intercept:
            tab = tab[~tab["term"].isin(["Intercept", "(Intercept)"])]
        return coef_plot(tab, f"{self.family} mixed model: {self.formula}", self.conf_level)

    # ----------------------------------------------------------------- predictions
    def design(self, newdata: pd.DataFrame) -> np.ndarray:
        """Fixed-effects design matrix of ``newdata`` with the fitted coding."""
        X = np.asarray(self.spec.get_model_matrix(newdata), dtype=float)
        if self.family == "ordinal":
            names = [str(c) for c in self.spec.get_model_matrix(newdata.iloc[:1]).columns]
            X = X[:, [j for j, c in enumerate(names) if c != "Intercept"]]
        return X

    def predict(
        self,
        newdata: pd.DataFrame,
        *,
        kind: Literal["conditional", "marginal"] = "conditional",
    ) -> np.ndarray:
        """Predict the expected response for new data, on the response scale.

        Parameters
        ----------
        newdata : DataFrame
            Rows to predict (formula variables, and the exposure column for counts).
        kind : {"conditional", "marginal"}
            ``"conditional"``: at random effects equal to zero (a typical family);
            ``"marginal"``: averaged over the random-effect distribution (population
            mean). They coincide for linear models.

        Returns
        -------
        ndarray, shape (len(newdata),)
        """
        check_literal("kind", kind, ("conditional", "marginal"))
        X = self.design(newdata)
        if self.family == "gaussian":
            return X @ np.asarray(self.fit.params, float)
        if self.family == "ordinal":
            raise SpecificationError(
                "predict() gives expected counts or scores; use predict_proba() for the "
                "category probabilities of the ordinal model."
            )
        from kbeffect.models.mixed import glmm

        offset = np.log(newdata[self.exposure].to_numpy(float)) if self.exposure else None
        zi_X = None
        if self.zi_spec is not None:
            zi_X = np.asarray(self.zi_spec.get_model_matrix(newdata), dtype=float)
        return np.asarray(glmm.predict_mu(self.fit, X, offset, zi_X, kind=kind), float)

    def predict_proba(
        self,
        newdata: pd.DataFrame,
        *,
        kind: Literal["conditional", "marginal"] = "conditional",
    ) -> np.ndarray:
        """Predict category probabilities of an ordinal model, shape (len(newdata), K).

        ``kind="marginal"`` averages over the random intercepts (all levels).
        """
        check_literal("kind", kind, ("conditional", "marginal"))
        if self.family != "ordinal":
            raise SpecificationError("predict_proba() needs family='ordinal'.")
        from kbeffect.models.mixed import clmm

        return np.asarray(clmm.predict_proba(self.fit, self.design(newdata), kind=kind), float)
