"""Repeated-measures and mixed ANOVA: type III tests, sphericity, MANOVA, contrasts.

Public entry point :func:`rm_anova`; the kernels in :mod:`.kernels`, :mod:`.fit`,
:mod:`.sphericity` and :mod:`.manova` work on numpy arrays and validate nothing.
"""

from kbeffect.models.anova.api import rm_anova
from kbeffect.models.anova.result import RMAnovaResult

__all__ = ["RMAnovaResult", "rm_anova"]
