r"""Attrition (dropout) weights per wave, and their combination with treatment weights.

With response indicators :math:`R_{iw}` (family :math:`i` observed at wave :math:`w`;
everyone is observed at baseline) and monotone dropout, the inverse probability of
remaining in the study is

.. math:: a_{iw} = \prod_{v \le w} \frac{1}{\Pr(R_{iv} = 1 \mid R_{i,v-1} = 1, x_i)},

with one propensity model per wave fitted among the families still in the study.
Stabilised weights multiply each factor by the marginal retention rate
:math:`\Pr(R_{iv} = 1 \mid R_{i,v-1} = 1)`. With ``monotone=False`` each wave's
response is modelled on its own: :math:`a_{iw} = 1 / \Pr(R_{iw} = 1 \mid x_i)`.
The analysis weight of an observation of family :math:`i` at wave :math:`w` is the
product of its treatment (matching or balancing) weight and :math:`a_{iw}`
(Seaman & White 2013), which :meth:`AttritionResult.combine` returns.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from dataclasses import replace as dc_replace
from typing import Any

import numpy as np
import pandas as pd

from kbeffect._results import Exclusions, Summary
from kbeffect._validation import check_columns
from kbeffect.design._expand import check_new_columns
from kbeffect.design._inputs import Covariates, Missing, prepare_inputs, treatment_vector
from kbeffect.design.propensity import PropensityModel, fit_propensity
from kbeffect.errors import DataError, SpecificationError

__all__ = ["AttritionResult", "attrition_weights"]


@dataclass(frozen=True)
class AttritionResult:
    """Inverse-probability-of-attrition weights per family and wave.

    Attributes
    ----------
    weights : ndarray of shape (n_input, n_waves)
        Column 0 is baseline (1); 0 where the family is not observed.
    prob : ndarray of shape (n_input, n_waves)
        Fitted response probability of each wave's model (NaN outside its risk set).
    observed : ndarray of shape (n_input, n_waves) bool
    waves : tuple
        Wave labels (baseline first).
    models : dict
        Wave -> PropensityModel (None when nobody dropped out at that wave).
    stabilized, monotone : bool
    key : str
        Family identifier column.
    exclusions : Exclusions
    data : DataFrame
    """

    weights: np.ndarray
    prob: np.ndarray
    observed: np.ndarray
    waves: tuple[Any, ...]
    models: dict[Any, PropensityModel | None]
    stabilized: bool
    monotone: bool
    key: str
    exclusions: Exclusions
    data: pd.DataFrame = field(repr=False)

    def to_long(self, *, wave: str = "wave", name: str = "attrition_weight") -> pd.DataFrame:
        """Return one row per observed (family, wave) with the attrition weight."""
        keys = self.data[self.key].to_numpy()
        parts = []
        for j, w in enumerate(self.waves):
            m = self.observed[:, j]
            parts.append(pd.DataFrame({self.key: keys[m], wave: w, name: self.weights[m, j]}))
        return pd.concat(parts, ignore_index=True)

    def combine(
        self, treatment_weights: Any, *, wave: str = "wave", name: str = "weight"
    ) -> pd.DataFrame:
        """Multiply attrition weights by family treatment weights.

        Parameters
        ----------
        treatment_weights : WeightResult, MatchResult or array of shape (n_input,)
            Family weights aligned with the same family frame.
        wave, name : str
            Column names of the wave and of the combined weight.

        Returns
        -------
        DataFrame
            Columns key, wave, ``treatment_weight``, ``attrition_weight`` and ``name``,
            one row per observed (family, wave) whose treatment weight is positive.
        """
        tw = np.asarray(getattr(treatment_weights, "weights", treatment_weights), dtype=float)
        if tw.shape != (len(self.data),):
            raise SpecificationError(
                f"treatment_weights must have one weight per family ({len(self.data)}); "
                f"got shape {tw.shape}."
            )
        data = getattr(treatment_weights, "data", None)
        if data is not None and not data[self.key].equals(self.data[self.key]):
            raise SpecificationError(
                "treatment_weights were estimated on a different family frame."
            )
        long = self.to_long(wave=wave)
        fam = pd.Series(tw, index=self.data[self.key].to_numpy())
        long["treatment_weight"] = fam.loc[long[self.key].to_numpy()].to_numpy()
        long[name] = long["treatment_weight"] * long["attrition_weight"]
        return long.loc[long[name] > 0].reset_index(drop=True)

    def expand(
        self, data: pd.DataFrame, treatment_weights: Any = None, *, wave: str = "wave",
        name: str = "weight",
    ) -> pd.DataFrame:
        """Add the (combined) weight to observation-level rows matched on key and wave.

        Rows of (family, wave) cells without a positive weight are dropped. An existing
        column ``name`` raises SchemaError.
        """
        check_columns(data, [self.key, wave], table="data")
        check_new_columns(data, [name])
        if treatment_weights is None:
            cells = self.to_long(wave=wave, name=name)
        else:
            cells = self.combine(treatment_weights, wave=wave, name=name)[[self.key, wave, name]]
        cell_idx = pd.MultiIndex.from_frame(cells[[self.key, wave]])
        pos = cell_idx.get_indexer(pd.MultiIndex.from_frame(data[[self.key, wave]]))
        keep = pos >= 0
        out = data.loc[keep].copy()
        out[name] = cells[name].to_numpy()[pos[keep]]
        return out

    def tidy(self) -> pd.DataFrame:
        """Return one row per wave: observed families, retention and weight summaries."""
        rows = []
        for j, w in enumerate(self.waves):
            ww = self.weights[self.observed[:, j], j]
            rows.append({"wave": w, "n_observed": int(self.observed[:, j].sum()),
                         "mean_weight": float(ww.mean()), "max_weight": float(ww.max()),
                         "ess": float(ww.sum() ** 2 / np.sum(ww**2))})
        return pd.DataFrame(rows)

    def summary(self) -> Summary:
        """Return a Summary of the per-wave attrition weights."""
        header = {"Waves": len(self.waves), "Monotone": self.monotone,
                  "Stabilised": self.stabilized, "Families": len(self.data)}
        return Summary("Attrition weights", header, {"By wave": self.tidy().set_index("wave")},
                       self.exclusions.notes())


def attrition_weights(
    data: pd.DataFrame,
    *,
    observed: Sequence[str],
    covariates: Covariates,
    waves: Sequence[Any] | None = None,
    key: str = "family_id",
    monotone: bool = True,
    stabilize: bool = True,
    method: Any = "glm",
    link: str = "logit",
    missing: Missing = "raise",
    seed: int | np.random.Generator | None = None,
) -> AttritionResult:
    """Inverse probability of attrition weights for each follow-up wave.

    Parameters
    ----------
    data : DataFrame
        One row per family (observed at baseline).
    observed : sequence of str
        Boolean columns, one per follow-up wave in order: family observed at that wave.
    covariates : str or list of str
        Baseline predictors of dropout (formula or column names).
    waves : sequence, optional
        Labels of baseline and follow-up waves (default ``0, 1, ..., len(observed)``).
    key : str
        Family identifier.
    monotone : bool
        Model wave ``w`` among families observed at ``w - 1`` and multiply (default); a
        non-monotone pattern then raises DataError. False: one model per wave on everyone.
    stabilize : bool
        Multiply by the marginal retention rate.
    method, link
        Propensity model of the response (see :func:`kbeffect.design.propensity_score`).
    missing : {"raise", "drop"}
        Missing covariates or response indicators.
    seed : int, Generator or None

    Returns
    -------
    AttritionResult
    """
    if isinstance(observed, str) or not observed:
        raise SpecificationError("observed must be a non-empty list of column names.")
    obs_cols = list(observed)
    check_columns(data, [key, *obs_cols])
    labels = tuple(waves) if waves is not None else tuple(range(len(obs_cols) + 1))
    if len(labels) != len(obs_cols) + 1:
        raise SpecificationError(
            f"waves needs {len(obs_cols) + 1} labels (baseline + {len(obs_cols)} follow-ups)."
        )
    inputs = prepare_inputs(
        data, treatment=obs_cols[0], covariates=covariates, missing=missing, extra=obs_cols,
        both_groups=False,
    )
    n, W = len(inputs.treat), len(obs_cols) + 1
    R = np.ones((n, W), dtype=bool)
    for j, c in enumerate(obs_cols, start=1):
        R[:, j] = treatment_vector(inputs.data[c], c).astype(bool)
    if monotone:
        bad = np.any(R[:, 1:] & ~R[:, :-1], axis=1)
        if bad.any():
            raise DataError(
                f"{int(bad.sum())} families return after missing a wave (non-monotone dropout "
                f"in {obs_cols}); pass monotone=False to model each wave separately."
            )
    A = np.zeros((n, W))
    A[:, 0] = 1.0
    P = np.full((n, W), np.nan)
    models: dict[Any, PropensityModel | None] = {}
    for j in range(1, W):
        risk = R[:, j - 1] if monotone else np.ones(n, bool)
        r = R[risk, j]
        if r.all() or not r.any():
            p = np.ones(risk.sum()) if r.all() else np.full(risk.sum(), np.nan)
            if not r.any():
                raise DataError(f"no family is observed at wave {labels[j]!r}.")
            models[labels[j]] = None
        else:
            sub = dc_replace(inputs, data=inputs.data.iloc[risk], rows=inputs.rows[risk],
                             treat=r.astype(np.int8), X=inputs.X[risk], treatment=obs_cols[j - 1])
            model = fit_propensity(sub, method=method, link=link, seed=seed)
            models[labels[j]] = model
            p = model.ps
        P[risk, j] = p
        factor = np.zeros(n)
        factor[risk] = (float(r.mean()) if stabilize else 1.0) / p
        prev = A[:, j - 1] if monotone else np.ones(n)
        A[:, j] = np.where(R[:, j], prev * factor, 0.0)
    N, rows = inputs.n_input, inputs.rows
    Af = np.zeros((N, W))
    Af[rows] = A
    Pf = np.full((N, W), np.nan)
    Pf[rows] = P
    Rf = np.zeros((N, W), dtype=bool)
    Rf[rows] = R
    return AttritionResult(
        weights=Af, prob=Pf, observed=Rf, waves=labels, models=models, stabilized=stabilize,
        monotone=monotone, key=key, exclusions=inputs.exclusions, data=data,
    )
