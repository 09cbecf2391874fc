"""Bayesian longitudinal models in PyMC (optional extra ``kbeffect[bayes]``).

:func:`bayes` fits Gaussian, Poisson, negative-binomial, zero-inflated and hurdle
negative-binomial, ordinal and Bernoulli mixed models (random intercepts for families and
children within families, optional random slope) by NUTS, with nutpie as the default
sampler. :class:`BayesResult` wraps the ArviZ ``InferenceData`` and offers ``tidy()``
with the maximum-likelihood result's columns, predictive checks, causal estimands over
the draws and ``refit`` without recompiling. PyMC, nutpie and ArviZ are imported only
when a model is fitted.
"""

from __future__ import annotations

from .api import bayes
from .estimands import EffectDraws, effect_draws, summarise_effects
from .families import FAMILIES
from .priors import Prior
from .result import BayesResult
from .sample import Diagnostics

__all__ = [
    "FAMILIES",
    "BayesResult",
    "Diagnostics",
    "EffectDraws",
    "Prior",
    "bayes",
    "effect_draws",
    "summarise_effects",
]
