"""Multilevel longitudinal models fitted by maximum likelihood.

:func:`mixed` is the entry point (linear, count and ordinal mixed models) and returns a
:class:`MixedResult`. :func:`fit_lmm` is the pure linear-mixed-model kernel. The
alternatives a methodologist compares with are :func:`gee` (exchangeable GEE) and
:func:`did_fe` (within-family difference-in-differences with family fixed effects).
"""

from kbeffect.models.mixed.alternatives import AlternativeResult, did_fe, gee
from kbeffect.models.mixed.api import mixed
from kbeffect.models.mixed.lmm import LmmFit, fit_lmm
from kbeffect.models.mixed.result import MixedResult

__all__ = ["AlternativeResult", "LmmFit", "MixedResult", "did_fe", "fit_lmm", "gee", "mixed"]
