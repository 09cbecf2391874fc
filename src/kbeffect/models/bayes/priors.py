"""Weakly informative default priors, documented and overridable.

Defaults are set on interpretable scales once, from the data the model is first fitted
to, and then kept (also by :meth:`BayesResult.refit`, so a refit reuses the compiled
model). ``s_y`` is the standard deviation of the response for the ``gaussian`` family and
1 for every other family (whose coefficients are log rate ratios, log odds ratios or
cumulative log odds ratios). ``sd(x_j)`` is the standard deviation of design column j.

Defaults:

- ``Intercept``: Normal(m_0, 2.5 s_y); m_0 is the mean of y (gaussian), the log of the
  crude rate sum(y) / sum(exposure) (counts), or the logit of the mean (bernoulli).
- each other coefficient: Normal(0, 2.5 s_y / sd(x_j)) for ``gaussian`` (rstanarm's
  autoscaled default), Normal(0, 1 / sd(x_j)) for the log and logit links: a one-SD change
  in x_j has a prior SD of 1 on the log rate / log odds scale (for a 0/1 order indicator
  with half the families treated, Normal(0, 2): rate ratios between 1/50 and 50).
- ``sd_family``, ``sd_child``: HalfNormal(s_y), SDs of the family and child intercepts.
- ``sd_slope``: HalfNormal(s_y / sd(slope)), SD of the family slopes.
- ``sigma``: Exponential(1 / s_y), residual SD (gaussian).
- ``inv_sqrt_theta``: HalfNormal(1), 1/sqrt(theta) of the NB2 (the Stan prior-choice
  recommendation; 0 is the Poisson limit).
- ``zi`` / ``hu``: Normal(0, 1.5), logit of the zero-inflation / hurdle probability
  (close to uniform on 0-1).
- ``cutpoints``: Normal(0, 2.5) each, ordered, ordinal thresholds on the logit scale.

Override any of them with ``priors={name: Prior...}``: a coefficient by its term name
(``"kb:wave"``), every non-intercept coefficient at once with ``"b"``. Coefficients and
``zi``/``hu``/``cutpoints`` take a :meth:`Prior.normal`; scale parameters take
:meth:`Prior.halfnormal`, :meth:`Prior.exponential` or :meth:`Prior.halfstudentt`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.special import logit

from kbeffect.errors import SpecificationError

__all__ = ["Prior", "ResolvedPriors", "resolve_priors"]

_SCALE_PARAMS = ("sd_family", "sd_child", "sd_slope", "sigma", "inv_sqrt_theta")
_LOCATION_PARAMS = ("zi", "hu", "cutpoints")


@dataclass(frozen=True, slots=True)
class Prior:
    """A prior distribution for one parameter (or one group of coefficients).

    Build it with the constructors :meth:`normal`, :meth:`halfnormal`,
    :meth:`exponential` and :meth:`halfstudentt`.

    Attributes
    ----------
    dist : str
        ``normal``, ``halfnormal``, ``exponential`` or ``halfstudentt``.
    mu, sigma, lam, nu : float
        Parameters (only those of ``dist`` are used).
    """

    dist: str
    mu: float = 0.0
    sigma: float = 1.0
    lam: float = 1.0
    nu: float = 3.0

    @classmethod
    def normal(cls, mu: float = 0.0, sigma: float = 1.0) -> Prior:
        """Normal(mu, sigma)."""
        return cls("normal", mu=float(mu), sigma=_positive("sigma", sigma))

    @classmethod
    def halfnormal(cls, sigma: float = 1.0) -> Prior:
        """Half-normal with scale ``sigma`` (for standard deviations)."""
        return cls("halfnormal", sigma=_positive("sigma", sigma))

    @classmethod
    def exponential(cls, lam: float = 1.0) -> Prior:
        """Exponential with rate ``lam`` (mean 1/lam)."""
        return cls("exponential", lam=_positive("lam", lam))

    @classmethod
    def halfstudentt(cls, nu: float = 3.0, sigma: float = 1.0) -> Prior:
        """Half Student-t with ``nu`` degrees of freedom and scale ``sigma``."""
        return cls("halfstudentt", nu=_positive("nu", nu), sigma=_positive("sigma", sigma))

    def __str__(self) -> str:
        if self.dist == "normal":
            return f"Normal({self.mu:.3g}, {self.sigma:.3g})"
        if self.dist == "halfnormal":
            return f"HalfNormal({self.sigma:.3g})"
        if self.dist == "exponential":
            return f"Exponential({self.lam:.3g})"
        return f"HalfStudentT({self.nu:.3g}, {self.sigma:.3g})"

    def to_pymc(self, name: str, **kwargs: Any) -> Any:
        """Create the PyMC random variable ``name`` in the model in context."""
        import pymc as pm

        if self.dist == "normal":
            return pm.Normal(name, mu=self.mu, sigma=self.sigma, **kwargs)
        if self.dist == "halfnormal":
            return pm.HalfNormal(name, sigma=self.sigma, **kwargs)
        if self.dist == "exponential":
            return pm.Exponential(name, lam=self.lam, **kwargs)
        return pm.HalfStudentT(name, nu=self.nu, sigma=self.sigma, **kwargs)


def _positive(name: str, value: float) -> float:
    v = float(value)
    if not np.isfinite(v) or v <= 0:
        raise SpecificationError(
            f"prior parameter {name} must be a positive number; got {value!r}."
        )
    return v


@dataclass(frozen=True, slots=True)
class ResolvedPriors:
    """Priors of one model after defaults and overrides are applied.

    Attributes
    ----------
    b_mu, b_sigma : ndarray of shape (p,)
        Normal prior of each fixed-effect coefficient, in design-column order.
    scalars : dict of str to Prior
        Priors of the random-effect SDs and auxiliary parameters present in the model.
    """

    b_mu: np.ndarray
    b_sigma: np.ndarray
    scalars: dict[str, Prior]

    def table(self, columns: tuple[str, ...]) -> dict[str, str]:
        """Return ``{parameter: prior}`` as text, for summaries and docs."""
        pairs = zip(columns, self.b_mu, self.b_sigma, strict=True)
        out = {c: str(Prior.normal(m, s)) for c, m, s in pairs}
        out.update({k: str(v) for k, v in self.scalars.items()})
        return out


def resolve_priors(
    *,
    family: str,
    columns: tuple[str, ...],
    X: np.ndarray,
    y: np.ndarray,
    offset: np.ndarray,
    params: tuple[str, ...],
    slope: np.ndarray | None,
    overrides: Mapping[str, Prior] | None,
) -> ResolvedPriors:
    """Apply the documented defaults, then the user's overrides.

    Parameters
    ----------
    family : str
        Family name.
    columns : tuple of str
        Fixed-effect term names (design columns).
    X : ndarray of shape (n, p)
        Design matrix.
    y : ndarray of shape (n,)
        Response (category codes for ``ordinal``).
    offset : ndarray of shape (n,)
        Log exposure (zeros when none).
    params : tuple of str
        Scalar/auxiliary parameter names present in the model.
    slope : ndarray of shape (n,) or None
        Random-slope variable.
    overrides : mapping of str to Prior, optional
        User priors.

    Returns
    -------
    ResolvedPriors
    """
    s_y = float(np.std(y)) if family == "gaussian" else 1.0
    if not np.isfinite(s_y) or s_y <= 0:
        s_y = 1.0
    sd_x = np.std(X, axis=0)
    b_mu = np.zeros(len(columns))
    # 2.5 s_y per SD of x on the identity scale (rstanarm); 1 per SD of x on log/logit
    # scales, so that the prior predictive of counts stays within plausible orders of size.
    mult = 2.5 * s_y if family == "gaussian" else 1.0
    b_sigma = np.where(sd_x > 0, mult / np.where(sd_x > 0, sd_x, 1.0), mult)
    if "Intercept" in columns:
        j = columns.index("Intercept")
        b_mu[j] = _intercept_location(family, y, offset)
        b_sigma[j] = 2.5 * s_y
    scalars: dict[str, Prior] = {}
    for p in params:
        if p in ("sd_family", "sd_child"):
            scalars[p] = Prior.halfnormal(s_y)
        elif p == "sd_slope":
            sd_s = float(np.std(slope)) if slope is not None else 1.0
            scalars[p] = Prior.halfnormal(s_y / (sd_s if sd_s > 0 else 1.0))
        elif p == "sigma":
            scalars[p] = Prior.exponential(1.0 / s_y)
        elif p == "inv_sqrt_theta":
            scalars[p] = Prior.halfnormal(1.0)
        elif p in ("zi", "hu"):
            scalars[p] = Prior.normal(0.0, 1.5)
        elif p == "cutpoints":
            scalars[p] = Prior.normal(0.0, 2.5)
    for key, prior in (overrides or {}).items():
        if not isinstance(prior, Prior):
            raise SpecificationError(
                f"priors[{key!r}] must be a kbeffect Prior (e.g. Prior.normal(0, 1)); "
                f"got {type(prior).__name__}."
            )
        if key == "b" or key in columns:
            _require(key, prior, ("normal",))
            idx = [columns.index(key)] if key in columns else [
                j for j, c in enumerate(columns) if c != "Intercept"
            ]
            b_mu[idx] = prior.mu
            b_sigma[idx] = prior.sigma
        elif key in scalars:
            allowed = ("normal",) if key in _LOCATION_PARAMS else (
                "halfnormal", "exponential", "halfstudentt"
            )
            _require(key, prior, allowed)
            scalars[key] = prior
        else:
            known = ["b", *columns, *scalars]
            raise SpecificationError(
                f"priors has unknown key {key!r}; this model's parameters are {known}."
            )
    return ResolvedPriors(b_mu=b_mu, b_sigma=b_sigma, scalars=scalars)


def _require(key: str, prior: Prior, allowed: tuple[str, ...]) -> None:
    if prior.dist not in allowed:
        raise SpecificationError(
            f"priors[{key!r}] must be one of {list(allowed)} distributions; got {prior.dist!r}."
        )


def _intercept_location(family: str, y: np.ndarray, offset: np.ndarray) -> float:
    if family == "gaussian":
        return float(np.mean(y))
    if family == "bernoulli":
        p = float(np.clip(np.mean(y), 0.01, 0.99))
        return float(logit(p))
    if family == "ordinal":
        return 0.0
    rate = (float(np.sum(y)) + 0.5) / float(np.sum(np.exp(offset)))
    return float(np.log(rate))
