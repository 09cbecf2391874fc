"""kbeffect: causal effect estimation for three-wave family cohort studies.

Public names are imported lazily on first access, so ``import kbeffect`` is cheap and has
no side effects (no plotting backend, no PyMC import).
"""

from __future__ import annotations

import importlib
from typing import Any

from kbeffect.errors import (
    ConvergenceError,
    ConvergenceWarning,
    DataError,
    DependencyError,
    EstimationError,
    KbEffectError,
    KbEffectWarning,
    SchemaError,
    SpecificationError,
)

__version__ = "0.1.0.dev0"

# public name -> module that defines it
_LAZY: dict[str, str] = {
    # data
    "Cohort": "kbeffect.data.cohort",
    "read_cohort": "kbeffect.data.readers",
    "write_cohort": "kbeffect.data.readers",
    "validate_cohort": "kbeffect.data.validate",
    "DataReport": "kbeffect.data.report",
    "family_severity": "kbeffect.data.rules",
    "violence_stopped": "kbeffect.data.rules",
    "risk_cumulation": "kbeffect.data.rules",
    "policy_typology": "kbeffect.data.rules",
    "family_incidents": "kbeffect.data.derive",
    # designs
    **{n: "kbeffect.design" for n in (
        "match", "weight", "weight_many", "balance", "attrition_weights", "propensity_score",
        "MatchResult", "WeightResult", "WeightSet", "BalanceResult", "AttritionResult",
        "PropensityModel")},
    # simulator
    "simulate_cohort": "kbeffect.sim",
    "Scenario": "kbeffect.sim",
    "Truth": "kbeffect.sim",
    "calibration_table": "kbeffect.sim",
    # published analyses
    "rm_anova": "kbeffect.models.anova",
    "RMAnovaResult": "kbeffect.models.anova",
    "chi2_test": "kbeffect.models.classic",
    "fisher_test": "kbeffect.models.classic",
    "mcnemar_test": "kbeffect.models.classic",
    "cochran_q": "kbeffect.models.classic",
    "oneway_anova": "kbeffect.models.classic",
    "ttest": "kbeffect.models.classic",
    "ttest_summary": "kbeffect.models.classic",
    "TestResult": "kbeffect.models.classic",
    # multilevel models
    "mixed": "kbeffect.models.mixed.api",
    "MixedResult": "kbeffect.models.mixed.result",
    "gee": "kbeffect.models.mixed.alternatives",
    "did_fe": "kbeffect.models.mixed.alternatives",
    "bayes": "kbeffect.models.bayes",
    "BayesResult": "kbeffect.models.bayes",
    "Prior": "kbeffect.models.bayes",
    # inference
    "bootstrap": "kbeffect.inference.bootstrap",
    "BootstrapResult": "kbeffect.inference.bootstrap",
    "wild_test": "kbeffect.inference.bootstrap",
    # effects
    "ipw_did": "kbeffect.effects.ipw_did",
    "IPWDiDResult": "kbeffect.effects.ipw_did",
    "wave_effects": "kbeffect.effects.gcomp",
    "help_effects": "kbeffect.effects.gcomp",
    "effect_size_label": "kbeffect.effects.sizes",
    "convert_effect_size": "kbeffect.effects.sizes",
    "is_reportable": "kbeffect.effects.sizes",
    "adjust_pvalues": "kbeffect.effects.multiplicity",
    # audit
    "robustness_audit": "kbeffect.audit",
    "AuditResult": "kbeffect.audit",
}

__all__ = [
    "ConvergenceError",
    "ConvergenceWarning",
    "DataError",
    "DependencyError",
    "EstimationError",
    "KbEffectError",
    "KbEffectWarning",
    "SchemaError",
    "SpecificationError",
    *_LAZY,
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'kbeffect' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
