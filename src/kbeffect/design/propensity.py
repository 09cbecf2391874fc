"""Propensity score models: logit/probit GLMs, regularised logit, any sklearn classifier.

The kernel :func:`fit_binary_glm` (iteratively reweighted least squares, the algorithm of
R's ``glm``) works on arrays and does no validation, so the bootstrap can call it on
resampled data. :func:`propensity_score` is the user-facing wrapper that validates the
input and returns a :class:`PropensityModel`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import special, stats

from kbeffect._results import Exclusions, Summary
from kbeffect._validation import as_generator, check_literal
from kbeffect.design._inputs import Covariates, DesignInputs, Missing, prepare_inputs
from kbeffect.errors import ConvergenceWarning, SpecificationError

__all__ = [
    "GlmFit",
    "PropensityModel",
    "fit_binary_glm",
    "fit_propensity",
    "propensity_score",
]

Link = Literal["logit", "probit", "linear_logit", "linear_probit"]
PSMethod = Literal["glm", "lasso", "ridge", "elasticnet"]
LINKS: tuple[str, ...] = ("logit", "probit", "linear_logit", "linear_probit")
PS_METHODS: tuple[str, ...] = ("glm", "lasso", "ridge", "elasticnet")
_EPS = 1e-12


@dataclass(frozen=True, slots=True)
class GlmFit:
    """A binary GLM fitted by IRLS.

    Attributes
    ----------
    coef : ndarray of shape (p + 1,)
        Intercept first, then one coefficient per column of ``X``.
    vcov : ndarray of shape (p + 1, p + 1)
        Inverse Fisher information (model-based covariance of ``coef``).
    linear_predictor : ndarray of shape (n,)
    ps : ndarray of shape (n,)
        Fitted probabilities.
    n_iter : int
    converged : bool
    """

    coef: np.ndarray
    vcov: np.ndarray
    linear_predictor: np.ndarray
    ps: np.ndarray
    n_iter: int
    converged: bool


def _link_mean(eta: np.ndarray, link: str) -> tuple[np.ndarray, np.ndarray]:
    """Return the mean and its derivative d mu / d eta for the logit or probit link."""
    if link == "logit":
        mu = special.expit(eta)
        return mu, mu * (1.0 - mu)
    return stats.norm.cdf(eta), stats.norm.pdf(eta)


def fit_binary_glm(
    X: np.ndarray,
    t: np.ndarray,
    *,
    link: Literal["logit", "probit"] = "logit",
    weights: np.ndarray | None = None,
    tol: float = 1e-12,
    max_iter: int = 100,
) -> GlmFit:
    """Fit a logit or probit GLM of ``t`` on ``X`` (an intercept is added) by IRLS.

    No validation: ``X`` is (n, p) float, ``t`` is (n,) 0/1. Starting values and the
    stopping rule (relative change in deviance) follow R's ``glm.fit``.
    """
    n = X.shape[0]
    Z = np.column_stack([np.ones(n), X])
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=float)
    y = np.asarray(t, dtype=float)
    mu = (w * y + 0.5) / (w + 1.0)
    eta = special.logit(mu) if link == "logit" else stats.norm.ppf(mu)
    dev_old = np.inf
    beta = np.zeros(Z.shape[1])
    converged = False
    it = 0
    for it in range(1, max_iter + 1):  # noqa: B007
        mu, dmu = _link_mean(eta, link)
        mu = np.clip(mu, _EPS, 1 - _EPS)
        dmu = np.maximum(dmu, _EPS)
        W = w * dmu**2 / (mu * (1.0 - mu))
        z = eta + (y - mu) / dmu
        ZW = Z * W[:, None]
        beta = np.linalg.lstsq(ZW.T @ Z, ZW.T @ z, rcond=None)[0]
        eta = Z @ beta
        mu_new = np.clip(_link_mean(eta, link)[0], _EPS, 1 - _EPS)
        dev = -2.0 * float(np.sum(w * (y * np.log(mu_new) + (1 - y) * np.log(1 - mu_new))))
        if abs(dev - dev_old) / (abs(dev) + 0.1) < tol:
            converged = True
            break
        dev_old = dev
    mu, dmu = _link_mean(eta, link)
    mu_c = np.clip(mu, _EPS, 1 - _EPS)
    W = w * np.maximum(dmu, _EPS) ** 2 / (mu_c * (1.0 - mu_c))
    vcov = np.linalg.pinv((Z * W[:, None]).T @ Z)
    return GlmFit(beta, vcov, eta, mu, it, converged)


@dataclass(frozen=True)
class PropensityModel:
    """A fitted propensity score model.

    Attributes
    ----------
    ps : ndarray of shape (n,)
        Estimated probability of treatment for each used row.
    linear_predictor : ndarray of shape (n,)
        Link-scale score (``logit(ps)`` for non-GLM classifiers).
    method : str
        ``"glm"``, ``"lasso"``, ``"ridge"``, ``"elasticnet"`` or ``"classifier"``.
    link : str
        Link of the GLM, with ``linear_`` when the distance is the linear predictor.
    columns : tuple of str
        Covariate design columns (no intercept).
    coef : Series or None
        Coefficients (intercept first) for GLMs and regularised logit.
    vcov : ndarray or None
        Model-based covariance of ``coef`` (GLM only).
    estimator : object or None
        The fitted scikit-learn estimator (regularised logit or classifier).
    converged : bool
    formula : str
        One-sided covariate formula.
    treatment : str
    exclusions : Exclusions
        Rows excluded for missing values (``missing="drop"``).
    rows : ndarray of shape (n,)
        Positions of the used rows in the input frame.
    """

    ps: np.ndarray
    linear_predictor: np.ndarray
    method: str
    link: str
    columns: tuple[str, ...]
    coef: pd.Series | None
    vcov: np.ndarray | None
    estimator: Any
    converged: bool
    formula: str
    treatment: str
    exclusions: Exclusions = field(default_factory=Exclusions)
    rows: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=int), repr=False)

    @property
    def uses_linear(self) -> bool:
        """Whether the matching distance is the linear predictor (``link="linear_*"``)."""
        return self.link.startswith("linear_")

    def distance(self) -> np.ndarray:
        """Return the matching distance: ``ps``, or the linear predictor for ``linear_*``."""
        return self.linear_predictor if self.uses_linear else self.ps

    def tidy(self) -> pd.DataFrame:
        """Return the coefficient table (estimate, std_error, z, p_value) for GLMs."""
        if self.coef is None:
            raise SpecificationError(
                f"a propensity model fitted with method={self.method!r} has no coefficient table."
            )
        est = self.coef.to_numpy()
        if self.vcov is None:
            return pd.DataFrame({"term": self.coef.index, "estimate": est})
        se = np.sqrt(np.diag(self.vcov))
        z = est / se
        return pd.DataFrame(
            {
                "term": self.coef.index,
                "estimate": est,
                "std_error": se,
                "z": z,
                "p_value": 2 * stats.norm.sf(np.abs(z)),
            }
        )

    def summary(self) -> Summary:
        """Return a :class:`~kbeffect._results.Summary` of the fit and the PS distribution."""
        header = {
            "Treatment": self.treatment,
            "Method": self.method,
            "Link": self.link,
            "Covariates": self.formula,
            "Units": len(self.ps),
            "Converged": self.converged,
        }
        tables = {"Propensity score": pd.Series(self.ps).describe().to_frame("ps").T}
        if self.coef is not None:
            tables = {"Coefficients": self.tidy().set_index("term"), **tables}
        return Summary("Propensity score model", header, tables, self.exclusions.notes())


def _sk_fit(
    estimator: Any, X: np.ndarray, t: np.ndarray, seed: Any = None
) -> tuple[Any, np.ndarray]:
    """Fit a clone of ``estimator``; every unset ``random_state`` is drawn from ``seed``."""
    from sklearn.base import clone

    if not hasattr(estimator, "fit") or not hasattr(estimator, "predict_proba"):
        raise SpecificationError(
            "distance/method as an estimator must be a scikit-learn classifier with "
            f"fit() and predict_proba(); got {type(estimator).__name__}."
        )
    est = clone(estimator)
    if hasattr(est, "get_params") and hasattr(est, "set_params"):
        unset = sorted(k for k, v in est.get_params(deep=True).items()
                       if (k == "random_state" or k.endswith("__random_state")) and v is None)
        if unset:
            rng = as_generator(seed)
            est.set_params(**{k: int(rng.integers(2**31 - 1)) for k in unset})
    est = est.fit(X, t)
    classes = list(est.classes_)
    ps = est.predict_proba(X)[:, classes.index(1)]
    return est, ps


def _regularised(method: str, X: np.ndarray, t: np.ndarray, seed: Any) -> Any:
    import inspect

    from sklearn.linear_model import LogisticRegressionCV
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    rng = as_generator(seed)
    kw: dict[str, Any] = {"Cs": 20, "cv": 5, "scoring": "neg_log_loss", "max_iter": 5000}
    kw["random_state"] = int(rng.integers(2**31 - 1))
    l1 = {"lasso": 1.0, "ridge": 0.0, "elasticnet": 0.5}[method]
    kw["solver"] = "lbfgs" if l1 == 0.0 else "saga"
    params = inspect.signature(LogisticRegressionCV).parameters
    if params.get("penalty") is not None and params["penalty"].default == "deprecated":
        # scikit-learn >= 1.8: the penalty is given by l1_ratios alone
        kw |= {"l1_ratios": (l1,), "use_legacy_attributes": False}
    elif method == "lasso":
        kw |= {"penalty": "l1"}
    elif method == "ridge":
        kw |= {"penalty": "l2"}
    else:
        kw |= {"penalty": "elasticnet", "l1_ratios": [0.5]}
    return make_pipeline(StandardScaler(), LogisticRegressionCV(**kw))


def fit_propensity(
    inputs: DesignInputs,
    *,
    method: Any = "glm",
    link: str = "logit",
    seed: int | np.random.Generator | None = None,
) -> PropensityModel:
    """Fit a propensity model on validated inputs (used by match() and weight())."""
    X, t = inputs.X, inputs.treat
    names = ("(Intercept)", *inputs.columns)
    coef = vcov = est = None
    converged = True
    if isinstance(method, str):
        check_literal("method", method, PS_METHODS)
        check_literal("link", link, LINKS)
        if method == "glm":
            base = "probit" if link.endswith("probit") else "logit"
            fit = fit_binary_glm(X, t, link=base)  # type: ignore[arg-type]
            if not fit.converged:
                import warnings

                warnings.warn(
                    f"the {base} propensity model did not converge in {fit.n_iter} iterations "
                    "(perfect separation?); check for covariates that predict treatment exactly.",
                    ConvergenceWarning,
                    stacklevel=3,
                )
            return PropensityModel(
                ps=fit.ps,
                linear_predictor=fit.linear_predictor,
                method="glm",
                link=link,
                columns=inputs.columns,
                coef=pd.Series(fit.coef, index=names),
                vcov=fit.vcov,
                estimator=None,
                converged=fit.converged,
                formula=inputs.formula,
                treatment=inputs.treatment,
                exclusions=inputs.exclusions,
                rows=inputs.rows,
            )
        if link not in ("logit", "linear_logit"):
            raise SpecificationError(f"method={method!r} supports link='logit' or 'linear_logit'.")
        est, ps = _sk_fit(_regularised(method, X, t, seed), X, t)
        lr = est[-1]
        scale = est[0].scale_
        b = lr.coef_.ravel() / scale
        b0 = float(np.ravel(lr.intercept_)[0]) - float(np.sum(b * est[0].mean_))
        coef = pd.Series(np.r_[b0, b], index=names)
        name = method
    else:
        est, ps = _sk_fit(method, X, t, seed)
        name = "classifier"
        if link not in ("logit", "linear_logit"):
            raise SpecificationError("a classifier propensity model supports link='logit' or "
                                     "'linear_logit' (distance on the logit of its probability).")
    ps = np.asarray(ps, dtype=float)
    lin = special.logit(np.clip(ps, _EPS, 1 - _EPS))
    return PropensityModel(
        ps=ps,
        linear_predictor=lin,
        method=name,
        link=link,
        columns=inputs.columns,
        coef=coef,
        vcov=vcov,
        estimator=est,
        converged=converged,
        formula=inputs.formula,
        treatment=inputs.treatment,
        exclusions=inputs.exclusions,
        rows=inputs.rows,
    )


def propensity_score(
    data: pd.DataFrame,
    *,
    treatment: str,
    covariates: Covariates,
    method: Any = "glm",
    link: Link = "logit",
    missing: Missing = "raise",
    seed: int | np.random.Generator | None = None,
) -> PropensityModel:
    """Fit a propensity score model for a binary, family-level treatment.

    Parameters
    ----------
    data : DataFrame
        One row per family.
    treatment : str
        Binary treatment column (bool or 0/1).
    covariates : str or list of str
        One-sided formula (``"~ income + C(education) + migration"``) or column names;
        string, categorical and boolean columns are dummy coded.
    method : {"glm", "lasso", "ridge", "elasticnet"} or sklearn classifier
        ``"glm"``: maximum likelihood GLM (as R's ``glm``); ``"lasso"``/``"ridge"``/
        ``"elasticnet"``: penalised logit with the penalty chosen by 5-fold cross-validation
        on standardised covariates; or any unfitted scikit-learn classifier with
        ``predict_proba`` (it is cloned and fitted).
    link : {"logit", "probit", "linear_logit", "linear_probit"}
        GLM link; ``linear_*`` makes the matching distance the linear predictor.
    missing : {"raise", "drop"}
        Missing treatment or covariate values raise (default) or are excluded and counted.
    seed : int, Generator or None
        Seed for the penalised fits and for a classifier's unset ``random_state``
        (parameters left at ``None``, also inside pipelines), so results are reproducible.

    Returns
    -------
    PropensityModel
    """
    inputs = prepare_inputs(data, treatment=treatment, covariates=covariates, missing=missing)
    return fit_propensity(inputs, method=method, link=link, seed=seed)
