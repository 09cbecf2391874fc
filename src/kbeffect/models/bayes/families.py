"""Outcome families of the Bayesian models: likelihoods (PyMC) and means over draws (numpy).

Parametrisations match the maximum-likelihood side (:mod:`kbeffect.models.mixed`) and
glmmTMB, so the two can be compared term by term:

``gaussian``
    y ~ Normal(eta, sigma) (wellbeing scales).
``poisson``
    y ~ Poisson(mu), log(mu) = eta + log(exposure).
``negbin``
    NB2: Var(y) = mu + mu^2 / theta (glmmTMB ``nbinom2``; PyMC's ``alpha`` is ``theta``).
``zinb``
    P(y = 0) = pi + (1 - pi) f(0), P(y = k) = (1 - pi) f(k), logit(pi) = ``zi``
    (glmmTMB ``nbinom2`` with ``ziformula = ~1``).
``hurdle_negbin``
    P(y = 0) = pi, P(y = k) = (1 - pi) f(k) / (1 - f(0)), logit(pi) = ``hu``; ``eta`` is the
    log mean of the untruncated NB (glmmTMB ``truncated_nbinom2`` with ``ziformula = ~1``).
``ordinal``
    Cumulative logit: P(Y <= k) = logistic(c_k - eta), k = 0..K-2 (ordinal::clm/clmm).
``bernoulli``
    P(y = 1) = logistic(eta).

The zero-inflation and hurdle probabilities are intercept-only in this version.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray
from scipy.special import expit

__all__ = ["FAMILIES", "FamilyInfo", "FamilyName", "expected_value", "family_info"]

FamilyName = Literal[
    "gaussian", "poisson", "negbin", "zinb", "hurdle_negbin", "ordinal", "bernoulli"
]


@dataclass(frozen=True, slots=True)
class FamilyInfo:
    """Static facts about a family.

    Attributes
    ----------
    name : str
        Family name.
    link : str
        Link of ``eta``: ``identity``, ``log``, ``logit`` or ``cumulative_logit``.
    response : str
        Kind of response: ``real``, ``count``, ``binary`` or ``ordinal``.
    aux : tuple of str
        Names of the family's free auxiliary parameters in the PyMC model.
    """

    name: str
    link: str
    response: str
    aux: tuple[str, ...]

    @property
    def is_count(self) -> bool:
        """Whether the response is a count (exposure offsets apply)."""
        return self.response == "count"


FAMILIES: dict[str, FamilyInfo] = {
    "gaussian": FamilyInfo("gaussian", "identity", "real", ("sigma",)),
    "poisson": FamilyInfo("poisson", "log", "count", ()),
    "negbin": FamilyInfo("negbin", "log", "count", ("inv_sqrt_theta",)),
    "zinb": FamilyInfo("zinb", "log", "count", ("inv_sqrt_theta", "zi")),
    "hurdle_negbin": FamilyInfo("hurdle_negbin", "log", "count", ("inv_sqrt_theta", "hu")),
    "ordinal": FamilyInfo("ordinal", "cumulative_logit", "ordinal", ("cutpoints",)),
    "bernoulli": FamilyInfo("bernoulli", "logit", "binary", ()),
}


def family_info(name: str) -> FamilyInfo:
    """Return the :class:`FamilyInfo` of ``name`` (validated by the caller)."""
    return FAMILIES[name]


def add_likelihood(
    family: str, eta: Any, y: Any, aux: dict[str, Any], *, name: str = "y"
) -> Any:
    """Add the observed response of ``family`` to the PyMC model in context.

    Parameters
    ----------
    family : str
        Family name.
    eta : TensorVariable of shape (n,)
        Linear predictor including random effects and offset.
    y : TensorVariable of shape (n,)
        Data container holding the response.
    aux : dict
        Auxiliary random variables (``sigma``, ``theta``, ``zi``, ``hu``, ``cutpoints``).
    name : str
        Name of the observed variable.

    Returns
    -------
    TensorVariable
        The observed random variable.
    """
    import pymc as pm

    if family == "gaussian":
        return pm.Normal(name, mu=eta, sigma=aux["sigma"], observed=y)
    if family == "bernoulli":
        return pm.Bernoulli(name, logit_p=eta, observed=y)
    if family == "ordinal":
        # Written out (instead of pm.OrderedLogistic, whose K-column Categorical graph takes
        # minutes to compile with numba): P(Y = y) = F(c_y - eta) - F(c_{y-1} - eta).
        return pm.CustomDist(
            name, eta, aux["cutpoints"], logp=_ordinal_logp, random=_ordinal_random,
            observed=y, dtype="int64",
        )
    mu = pm.math.exp(eta)
    if family == "poisson":
        return pm.Poisson(name, mu=mu, observed=y)
    if family == "negbin":
        return pm.NegativeBinomial(name, mu=mu, alpha=aux["theta"], observed=y)
    if family == "zinb":
        psi = 1.0 - pm.math.invlogit(aux["zi"])
        return pm.ZeroInflatedNegativeBinomial(
            name, psi=psi, mu=mu, alpha=aux["theta"], observed=y
        )
    if family == "hurdle_negbin":
        psi = 1.0 - pm.math.invlogit(aux["hu"])
        return pm.HurdleNegativeBinomial(name, psi=psi, mu=mu, alpha=aux["theta"], observed=y)
    raise ValueError(f"unknown family {family!r}")  # pragma: no cover - validated upstream


def _ordinal_logp(value: Any, eta: Any, cutpoints: Any) -> Any:
    """Cumulative-logit log-probability of categories ``value`` (0..K-1)."""
    import pytensor.tensor as pt

    k1 = cutpoints.shape[-1]
    hi = pt.clip(value, 0, k1 - 1)
    lo = pt.clip(value - 1, 0, k1 - 1)
    f_hi = pt.switch(pt.ge(value, k1), 1.0, pt.sigmoid(cutpoints[hi] - eta))
    f_lo = pt.switch(pt.le(value, 0), 0.0, pt.sigmoid(cutpoints[lo] - eta))
    return pt.log(f_hi - f_lo)


def _ordinal_random(
    eta: NDArray[np.float64],
    cutpoints: NDArray[np.float64],
    rng: np.random.Generator | None = None,
    size: tuple[int, ...] | None = None,
) -> NDArray[np.int64]:
    """Draw categories from the latent-logistic representation of the cumulative logit."""
    gen = rng if rng is not None else np.random.default_rng()
    shape = size if size is not None else np.broadcast_shapes(np.shape(eta))
    latent = np.broadcast_to(eta, shape) + gen.logistic(size=shape)
    return (latent[..., None] > np.asarray(cutpoints)[..., None, :]).sum(axis=-1).astype(np.int64)


def expected_value(
    family: str, eta: NDArray[np.float64], aux: dict[str, NDArray[np.float64]]
) -> NDArray[np.float64]:
    """Mean of the response given the linear predictor, vectorised over draws.

    Parameters
    ----------
    family : str
        Family name.
    eta : ndarray of shape (S, n)
        Linear predictor per draw and unit (offset included where wanted).
    aux : dict of str to ndarray
        Auxiliary draws: ``theta``, ``zi``, ``hu`` of shape (S,), ``cutpoints`` of
        shape (S, K - 1).

    Returns
    -------
    ndarray of shape (S, n)
        E[y | eta]: the mean for real and count families, P(y = 1) for ``bernoulli`` and
        the expected category index (0..K-1) for ``ordinal``.
    """
    if family == "gaussian":
        return eta
    if family == "bernoulli":
        return np.asarray(expit(eta))
    if family == "ordinal":
        c = aux["cutpoints"]  # (S, K-1)
        return np.asarray(expit(eta[:, :, None] - c[:, None, :]).sum(axis=2))
    mu = np.exp(np.minimum(eta, 700.0))
    if family in ("poisson", "negbin"):
        return mu
    if family == "zinb":
        return (1.0 - expit(aux["zi"]))[:, None] * mu
    if family == "hurdle_negbin":
        theta = aux["theta"][:, None]
        log_f0 = -theta * np.log1p(mu / theta)
        p_pos = -np.expm1(log_f0)
        return (1.0 - expit(aux["hu"]))[:, None] * mu / p_pos
    raise ValueError(f"unknown family {family!r}")  # pragma: no cover
