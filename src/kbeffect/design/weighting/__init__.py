"""Weighting: propensity-score weights per estimand, entropy balancing, CBPS, attrition."""

from kbeffect.design.weighting.api import weight, weight_many
from kbeffect.design.weighting.attrition import AttritionResult, attrition_weights
from kbeffect.design.weighting.result import WeightResult, WeightSet

__all__ = [
    "AttritionResult",
    "WeightResult",
    "WeightSet",
    "attrition_weights",
    "weight",
    "weight_many",
]
