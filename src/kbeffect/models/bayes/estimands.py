"""Causal estimands over posterior draws, as array operations (draws x units).

For a binary treatment ``a`` (an order, or a help type) and a wave variable ``t``, the
model's effect on the link scale for unit i at wave w is

- ``contrast="did"`` (default; a treatment fixed at T0 such as an order):
  Delta_i(w) = [eta_i(1, w) - eta_i(1, ref)] - [eta_i(0, w) - eta_i(0, ref)], the
  treatment x wave part of the model: how much more the outcome changed from the
  reference wave ``ref`` with the treatment than without (parallel trends on the link
  scale). Baseline group differences are not counted as effects.
- ``contrast="level"`` (a time-varying treatment such as help received in the period):
  Delta_i(w) = eta_i(1, w) - eta_i(0, w).

Here ``eta_i(a, w)`` is the fixed-effects predictor of unit i with its own covariates and
``a``/``t`` set as shown; random effects and offsets cancel. Each unit keeps its observed
linear predictor (random effects included) as its observed potential outcome and gets
the other one by adding or subtracting Delta: for a treated unit
``mu_i(1) = g^-1(eta_i)`` and ``mu_i(0) = g^-1(eta_i - Delta_i)``; for an untreated unit
``mu_i(0) = g^-1(eta_i)`` and ``mu_i(1) = g^-1(eta_i + Delta_i)``. Means are on the
response scale (expected counts per unit of exposure, i.e. per year, for count families;
probabilities for ``bernoulli``; expected category index for ``ordinal``).

For every draw s and wave w, with m_a the (weighted) mean of mu(a) over the units of the
estimand (treated for ATT, untreated for ATC, all for ATE) observed at wave w:
``difference = m_1 - m_0`` and ``ratio = m_1 / m_0`` (a rate ratio for count families).
The probability of benefit is the share of draws with ``difference < 0`` (or ``> 0`` with
``benefit="increase"``). With a log link and no treatment interactions other than with
the wave, ``ratio`` equals ``exp`` of the treatment x wave coefficient in every draw.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from kbeffect._validation import check_columns, check_literal, check_probability
from kbeffect.errors import DataError, SpecificationError

from .families import expected_value
from .spec import BayesSpec

__all__ = [
    "EffectDraws",
    "PosteriorDraws",
    "effect_draws",
    "extract_draws",
    "linear_predictor",
    "summarise_effects",
]


@dataclass(frozen=True, slots=True)
class PosteriorDraws:
    """Posterior draws flattened over chains.

    Attributes
    ----------
    b : ndarray of shape (S, p)
        Fixed-effect coefficients.
    u_family, u_slope : ndarray of shape (S, n_families) or None
        Family intercepts and slopes.
    u_child : ndarray of shape (S, n_children) or None
        Child intercepts.
    aux : dict of str to ndarray
        ``sigma``, ``theta``, ``zi``, ``hu`` of shape (S,); ``cutpoints`` of shape (S, K-1).
    """

    b: np.ndarray
    u_family: np.ndarray | None
    u_slope: np.ndarray | None
    u_child: np.ndarray | None
    aux: dict[str, np.ndarray]

    @property
    def n_draws(self) -> int:
        """Number of draws S."""
        return int(self.b.shape[0])


def _flat(post: Any, name: str) -> np.ndarray | None:
    if name not in post:
        return None
    v = np.asarray(post[name].values, dtype=float)
    return v.reshape(v.shape[0] * v.shape[1], *v.shape[2:])


def extract_draws(idata: Any, spec: BayesSpec) -> PosteriorDraws:
    """Pull the draws the estimands need out of an InferenceData."""
    post = idata.posterior
    b = _flat(post, "b")
    n = int(post.sizes["chain"] * post.sizes["draw"])
    if b is None:
        b = np.zeros((n, 0))
    names = ("sigma", "theta", "zi", "hu", "cutpoints")
    aux = {k: v for k in names if (v := _flat(post, k)) is not None}
    return PosteriorDraws(
        b=b, u_family=_flat(post, "u_family"), u_slope=_flat(post, "u_slope"),
        u_child=_flat(post, "u_child"), aux=aux,
    )


def linear_predictor(
    draws: PosteriorDraws, spec: BayesSpec, *, offset: bool = True
) -> np.ndarray:
    """Return eta of every draw and row, shape (S, n), random effects included."""
    eta = draws.b @ spec.X.T
    if offset:
        eta = eta + spec.offset[None, :]
    if draws.u_family is not None and spec.family_idx is not None:
        eta = eta + draws.u_family[:, spec.family_idx]
        if draws.u_slope is not None and spec.slope is not None:
            eta = eta + draws.u_slope[:, spec.family_idx] * spec.slope[None, :]
    if draws.u_child is not None and spec.child_idx is not None:
        eta = eta + draws.u_child[:, spec.child_idx]
    return np.asarray(eta)


@dataclass(frozen=True, slots=True)
class EffectDraws:
    """Posterior draws of an effect at each wave.

    Attributes
    ----------
    estimand : str
        ``ATT``, ``ATC`` or ``ATE``.
    treatment : str
        Treatment column.
    waves : tuple
        Waves at which the effect is evaluated.
    mean_treated, mean_untreated : ndarray of shape (S, W)
        Mean potential outcome with and without the treatment.
    n_units : ndarray of shape (W,)
        Units (rows) averaged over at each wave.
    """

    estimand: str
    treatment: str
    waves: tuple[object, ...]
    mean_treated: np.ndarray
    mean_untreated: np.ndarray
    n_units: np.ndarray

    @property
    def difference(self) -> np.ndarray:
        """Draws of m_1 - m_0, shape (S, W)."""
        return self.mean_treated - self.mean_untreated

    @property
    def ratio(self) -> np.ndarray:
        """Draws of m_1 / m_0, shape (S, W)."""
        return self.mean_treated / self.mean_untreated


def _counterfactual_X(
    spec: BayesSpec, frame: pd.DataFrame, treatment: str, a: int, time: str | None, t: object
) -> np.ndarray:
    cf = frame.copy()
    col = frame[treatment]
    cf[treatment] = pd.Series(a == 1 if pd.api.types.is_bool_dtype(col) else a, index=cf.index,
                              dtype=col.dtype)
    if time is not None and t is not None:
        cf[time] = pd.Series(t, index=cf.index, dtype=frame[time].dtype)
    mm = spec.design.get_model_matrix(cf)  # type: ignore[attr-defined]
    missing = [c for c in spec.columns if c not in mm.columns]
    if missing:  # pragma: no cover - formulaic keeps the columns of the spec
        raise SpecificationError(f"could not rebuild design columns {missing} for the contrast.")
    return np.asarray(mm[list(spec.columns)], dtype=float)


def effect_draws(
    spec: BayesSpec,
    idata: Any,
    frame: pd.DataFrame,
    *,
    treatment: str,
    time: str | None = "wave",
    reference: object = 0,
    estimand: Literal["ATT", "ATC", "ATE"] = "ATT",
    contrast: Literal["did", "level"] = "did",
) -> EffectDraws:
    """Posterior draws of the effect of ``treatment`` at each wave (see module docstring).

    Parameters
    ----------
    spec : BayesSpec
        The fitted model's spec.
    idata : InferenceData
        Its posterior.
    frame : DataFrame
        The rows used in the fit (``data.iloc[spec.rows]``).
    treatment : str
        0/1 or boolean treatment column used in the formula.
    time : str or None
        Wave column (None: a single contrast over all rows; needs ``contrast="level"``).
    reference : object
        Reference wave of the ``did`` contrast.
    estimand : {"ATT", "ATC", "ATE"}
        Units averaged over.
    contrast : {"did", "level"}
        Change from the reference wave, or level at each wave.

    Returns
    -------
    EffectDraws
    """
    check_literal("estimand", estimand, ("ATT", "ATC", "ATE"))
    check_literal("contrast", contrast, ("did", "level"))
    check_columns(frame, [treatment] + ([time] if time is not None else []))
    if treatment not in spec.formula:
        raise SpecificationError(f"treatment {treatment!r} does not appear in the formula.")
    if time is None and contrast == "did":
        raise SpecificationError("contrast='did' needs time (the wave column).")
    a = frame[treatment].to_numpy()
    if pd.isna(a).any() or not np.all(np.isin(a.astype(float), (0.0, 1.0))):
        raise DataError(f"treatment column {treatment!r} must be 0/1 or boolean without gaps.")
    a = a.astype(float)
    draws = extract_draws(idata, spec)
    t_obs = frame[time].to_numpy() if time is not None else np.zeros(len(frame))
    if contrast == "did":
        delta_x = (
            _counterfactual_X(spec, frame, treatment, 1, time, None)
            - _counterfactual_X(spec, frame, treatment, 1, time, reference)
            - _counterfactual_X(spec, frame, treatment, 0, time, None)
            + _counterfactual_X(spec, frame, treatment, 0, time, reference)
        )
        waves = tuple(w for w in sorted(pd.unique(t_obs)) if w != reference)
    else:
        delta_x = _counterfactual_X(spec, frame, treatment, 1, None, None) - _counterfactual_X(
            spec, frame, treatment, 0, None, None
        )
        waves = tuple(sorted(pd.unique(t_obs)))
    delta = draws.b @ delta_x.T  # (S, n)
    eta = linear_predictor(draws, spec, offset=False)  # rates per unit exposure
    mu1 = expected_value(spec.family, eta + (1.0 - a) * delta, draws.aux)
    mu0 = expected_value(spec.family, eta - a * delta, draws.aux)
    keep = {"ATT": a == 1, "ATC": a == 0, "ATE": np.ones(len(a), dtype=bool)}[estimand]
    w = spec.weights if spec.weights is not None else np.ones(len(a))
    # (n, W) weight matrix: unit i counts at wave w when selected and observed at w.
    W = np.column_stack([(keep & (t_obs == wv)) * w for wv in waves])
    n_units = (W > 0).sum(axis=0)
    if np.any(n_units == 0):
        empty = [wv for wv, k in zip(waves, n_units, strict=True) if k == 0]
        raise DataError(f"no units for the {estimand} of {treatment!r} at wave(s) {empty}.")
    W = W / W.sum(axis=0, keepdims=True)
    return EffectDraws(
        estimand=estimand, treatment=treatment, waves=waves,
        mean_treated=mu1 @ W, mean_untreated=mu0 @ W, n_units=n_units,
    )


def summarise_effects(
    eff: EffectDraws,
    *,
    level: float = 0.95,
    benefit: Literal["decrease", "increase"] = "decrease",
) -> pd.DataFrame:
    """Tidy table of an :class:`EffectDraws`: one row per wave and measure.

    Columns: estimand, treatment, wave, measure (``difference``/``ratio``), estimate
    (posterior mean), std_error (posterior SD), conf_low, conf_high (equal-tailed
    credible interval at ``level``), prob_benefit (share of draws in which the treatment
    lowers the outcome, or raises it with ``benefit="increase"``), n_units.
    """
    level = check_probability("level", level)
    check_literal("benefit", benefit, ("decrease", "increase"))
    lo, hi = (1 - level) / 2, 1 - (1 - level) / 2
    diff = eff.difference
    better = diff < 0 if benefit == "decrease" else diff > 0
    rows = []
    for measure, arr in (("difference", diff), ("ratio", eff.ratio)):
        q = np.quantile(arr, [lo, hi], axis=0)
        for j, wv in enumerate(eff.waves):
            rows.append({
                "estimand": eff.estimand, "treatment": eff.treatment, "wave": wv,
                "measure": measure, "estimate": float(arr[:, j].mean()),
                "std_error": float(arr[:, j].std(ddof=1)), "conf_low": float(q[0, j]),
                "conf_high": float(q[1, j]), "prob_benefit": float(better[:, j].mean()),
                "n_units": int(eff.n_units[j]),
            })
    return pd.DataFrame(rows)
