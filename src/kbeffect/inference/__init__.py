"""Inference layer: resampling-based uncertainty for kbeffect's estimators.

See :mod:`kbeffect.inference.bootstrap` (cluster, Bayesian and wild cluster bootstrap with
batched kernels; ``from kbeffect.inference.bootstrap import bootstrap``). The subpackage
is not re-exported here so that ``kbeffect.inference.bootstrap`` always names the
subpackage, not the function.
"""
