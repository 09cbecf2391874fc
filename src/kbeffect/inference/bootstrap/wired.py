"""Ready-made generic estimators built on other kbeffect layers.

Both refit a whole model on every resample (looped path, :class:`.generic.Generic` with
``mode="resample"``), so families drawn twice enter as two distinct families:

* :func:`rematched_difference`: propensity matching redone inside each replicate
  (:func:`kbeffect.design.match`), then the matching-weighted difference in means;
* :func:`reweighted_difference`: balancing weights re-estimated inside each replicate
  (:func:`kbeffect.design.weight`: GLM, penalised, entropy balancing, CBPS; any estimand),
  then the weighted difference in means;
* :func:`mixed_contrast`: a multilevel model refitted in each replicate
  (:func:`kbeffect.models.mixed.mixed`), returning linear contrasts of its parameters.

For a fixed matched sample use the batched
:class:`~kbeffect.inference.bootstrap.estimators.PairDifference` (pair-cluster bootstrap)
instead, which is orders of magnitude faster.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from kbeffect.errors import EstimationError, SpecificationError
from kbeffect.inference.bootstrap.generic import Generic

__all__ = ["mixed_contrast", "rematched_difference", "reweighted_difference"]


def rematched_difference(
    *, treatment: str, outcome: str, covariates: str | Sequence[str], **match_kwargs: Any
) -> Generic:
    """Return an estimator that re-matches every replicate, then compares outcomes.

    Parameters
    ----------
    treatment : str
        Binary treatment column.
    outcome : str
        Outcome column (e.g. a change score).
    covariates : str or list of str
        Matching covariates (passed to :func:`kbeffect.design.match`).
    **match_kwargs
        Further options of :func:`kbeffect.design.match` (``method``, ``ratio``,
        ``caliper``, ``estimand``, ...).

    Returns
    -------
    Generic
        ``func(sample)`` = weighted mean of ``outcome`` in the treated minus the control
        arm of the matched sample, with MatchIt's matching weights (ATT by default).
        Use with ``kbeffect.bootstrap(..., cluster="family_id", kind="multinomial")``.
    """
    from kbeffect.design import match

    cov = covariates if isinstance(covariates, str) else list(covariates)

    def estimate(sample: pd.DataFrame) -> float:
        m = match(sample, treatment=treatment, covariates=cov, **match_kwargs)
        w = np.asarray(m.weights, dtype=float)
        t = sample[treatment].to_numpy().astype(int) == 1
        y = sample[outcome].to_numpy(dtype=float)
        if w[t].sum() == 0 or w[~t].sum() == 0:
            raise EstimationError("the matched sample has an empty arm.")
        return float(np.average(y[t], weights=w[t]) - np.average(y[~t], weights=w[~t]))

    return Generic(estimate, names=("matched_difference",), mode="resample")


def reweighted_difference(
    *, treatment: str, outcome: str, covariates: str | Sequence[str], **weight_kwargs: Any
) -> Generic:
    """Return an estimator that re-estimates balancing weights in every replicate.

    Parameters
    ----------
    treatment, outcome : str
        Binary treatment and outcome (e.g. change score) columns.
    covariates : str or list of str
        Weighting covariates (passed to :func:`kbeffect.design.weight`).
    **weight_kwargs
        Further options of :func:`kbeffect.design.weight` (``method``, ``estimand``,
        ``trim``, ...).

    Returns
    -------
    Generic
        ``func(sample)`` = weighted mean of ``outcome`` in the treated minus the control
        arm. For logit-PS weights of the ATT/ATE/ATO on a change score, the batched
        :class:`~kbeffect.inference.bootstrap.estimators.IPWDiD` gives the same
        replicates much faster; this path serves entropy balancing, CBPS, trimming, ...
    """
    from kbeffect.design import weight

    cov = covariates if isinstance(covariates, str) else list(covariates)

    def estimate(sample: pd.DataFrame) -> float:
        w = np.asarray(weight(sample, treatment=treatment, covariates=cov,
                              **weight_kwargs).weights, dtype=float)
        t = sample[treatment].to_numpy().astype(int) == 1
        y = sample[outcome].to_numpy(dtype=float)
        if w[t].sum() == 0 or w[~t].sum() == 0:
            raise EstimationError("the weighted sample has an empty arm.")
        return float(np.average(y[t], weights=w[t]) - np.average(y[~t], weights=w[~t]))

    return Generic(estimate, names=("weighted_difference",), mode="resample")


def mixed_contrast(
    formula: str,
    *,
    groups: str | Sequence[str],
    contrasts: Mapping[str, Mapping[str, float]],
    **mixed_kwargs: Any,
) -> Generic:
    """Return an estimator that refits a multilevel model and returns contrasts.

    Parameters
    ----------
    formula : str
        Fixed part of the model (see :func:`kbeffect.models.mixed.mixed`).
    groups : str or sequence of str
        Grouping columns, outermost (the resampled cluster) first.
    contrasts : mapping of str to mapping of str to float
        ``{name: {parameter: coefficient, ...}}``: each contrast is a linear combination
        of the fixed-effect parameters (names as in the model's ``params``).
    **mixed_kwargs
        Further options of :func:`kbeffect.models.mixed.mixed` (``family``, ``exposure``,
        ``reml``, ...).

    Returns
    -------
    Generic
        ``func(sample)`` = the contrasts of the model refitted on ``sample``. Use with
        ``kbeffect.bootstrap(..., cluster=<outermost group>, kind="multinomial")``.
    """
    from kbeffect.models.mixed import mixed

    if not contrasts:
        raise SpecificationError("contrasts must name at least one linear combination.")
    L = pd.DataFrame.from_dict({k: dict(v) for k, v in contrasts.items()}, orient="index")
    L = L.fillna(0.0)

    def estimate(sample: pd.DataFrame) -> np.ndarray:
        fit = mixed(formula, sample, groups=groups, **mixed_kwargs)
        return fit.contrast(L)["estimate"].to_numpy(dtype=float)

    return Generic(estimate, names=tuple(L.index), mode="resample")
