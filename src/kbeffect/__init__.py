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
    "Cohort": "kbeffect.data.cohort",
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
