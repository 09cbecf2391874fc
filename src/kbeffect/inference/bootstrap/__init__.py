"""Cluster, Bayesian and wild cluster bootstrap with batched kernels.

:func:`bootstrap` resamples families (or matched pairs) and re-runs a whole estimation
pipeline for every replicate as array computations over a ``(B, G)`` weight matrix:
see :mod:`.weights` (replicate weights), :mod:`.kernels` (batched logit, IPW weights,
weighted DiD, WLS), :mod:`.estimators` (what can be replicated), :mod:`.intervals`
(percentile, basic, normal, BCa, studentised), :mod:`.result`, :mod:`.generic` (looped
path) and :mod:`.wired` (re-matching and mixed-model contrasts in each replicate) and
:mod:`.wild` (restricted wild cluster bootstrap-t test).
"""

from kbeffect.inference.bootstrap.api import bootstrap
from kbeffect.inference.bootstrap.estimators import WLS, IPWDiD, PairDifference
from kbeffect.inference.bootstrap.generic import Generic
from kbeffect.inference.bootstrap.result import BootstrapResult
from kbeffect.inference.bootstrap.weights import replicate_weights
from kbeffect.inference.bootstrap.wild import WildTestResult, wild_test
from kbeffect.inference.bootstrap.wired import (
    mixed_contrast,
    rematched_difference,
    reweighted_difference,
)

__all__ = [
    "WLS",
    "BootstrapResult",
    "Generic",
    "IPWDiD",
    "PairDifference",
    "WildTestResult",
    "bootstrap",
    "mixed_contrast",
    "rematched_difference",
    "replicate_weights",
    "reweighted_difference",
    "wild_test",
]
