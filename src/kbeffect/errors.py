"""Exceptions and warnings raised by kbeffect.

Every error that user input can trigger is one of these classes, so callers can
catch ``KbEffectError`` for anything kbeffect rejects. Errors about data also derive
from :class:`ValueError`, so code written against pandas/numpy conventions keeps working.
Messages name the offending column or argument and say what was expected.
"""

from __future__ import annotations

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
]


class KbEffectError(Exception):
    """Base class of every exception kbeffect raises on purpose."""


class DataError(KbEffectError, ValueError):
    """The data violate a rule of the study (range, nesting, duplicates, missing values)."""


class SchemaError(DataError):
    """A table lacks a required column, has an unknown one, or a column has the wrong type."""


class SpecificationError(KbEffectError, ValueError):
    """An argument, formula or option is invalid (unknown value, wrong type, conflicts)."""


class EstimationError(KbEffectError, RuntimeError):
    """An estimator could not produce a result (singular design, empty matched set, ...)."""


class ConvergenceError(EstimationError):
    """An optimiser or sampler failed to converge; the message says what to try."""


class DependencyError(KbEffectError, ImportError):
    """An optional dependency is missing; the message names the pip extra to install."""


class KbEffectWarning(UserWarning):
    """Base class of kbeffect's warnings."""


class ConvergenceWarning(KbEffectWarning):
    """A fit converged doubtfully (boundary estimate, large gradient, diagnostics)."""
