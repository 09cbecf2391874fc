"""Design layer: propensity scores, matching, weighting and balance diagnostics.

Functions take a family-level DataFrame (one row per family, the unit of treatment);
results broadcast family weights onto parents, children and waves by a key column
(``MatchResult.matched_data(data)``, ``WeightResult.expand(data)``).
"""

from kbeffect.design.balance import BalanceResult, balance
from kbeffect.design.matching import MatchResult, match
from kbeffect.design.propensity import PropensityModel, propensity_score
from kbeffect.design.weighting import (
    AttritionResult,
    WeightResult,
    WeightSet,
    attrition_weights,
    weight,
    weight_many,
)

__all__ = [
    "AttritionResult",
    "BalanceResult",
    "MatchResult",
    "PropensityModel",
    "WeightResult",
    "WeightSet",
    "attrition_weights",
    "balance",
    "match",
    "propensity_score",
    "weight",
    "weight_many",
]
