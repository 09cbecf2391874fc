"""Cluster, Bayesian and wild cluster bootstrap with batched kernels.

:func:`bootstrap` resamples families (or matched pairs) and re-runs a whole estimation
pipeline for every replicate as array computations over a ``(B, G)`` weight matrix:
see :mod:`.weights` (replicate weights), :mod:`.kernels` (batched logit, IPW weights,
weighted DiD, WLS), :mod:`.estimators` (what can be replicated), :mod:`.intervals`
(percentile, basic, normal, BCa, studentised) and :mod:`.result`.
"""

from kbeffect.inference.bootstrap.api import bootstrap
from kbeffect.inference.bootstrap.estimators import WLS, IPWDiD, PairDifference
from kbeffect.inference.bootstrap.generic import Generic
from kbeffect.inference.bootstrap.result import BootstrapResult
from kbeffect.inference.bootstrap.weights import replicate_weights

__all__ = [
    "WLS",
    "BootstrapResult",
    "Generic",
    "IPWDiD",
    "PairDifference",
    "bootstrap",
    "replicate_weights",
]
