"""Effects of an order (and of help types) on change, on the scale people understand.

:func:`wave_effects` turns a fitted mixed model with a treatment x wave interaction into
g-computation estimands: for the target population (ATT: units with an order; ATE: all
units), every unit's baseline row is copied with the treatment set to each arm and the wave
set to each wave, the model predicts the expected response, and the predictions are
averaged. The effect on change from the baseline wave to wave ``k`` is

* ``scale="difference"``: ``(m_1k - m_10) - (m_0k - m_00)``, the difference in mean change
  (scale points; expected incidents per ``per`` years for counts);
* ``scale="ratio"``: ``(m_1k / m_10) / (m_0k / m_00)``, the ratio of rate ratios (counts);
* ``statistic="prob_lowest"`` (ordinal model): ``m`` is the probability of the lowest
  category (no violence) instead of the mean, so the difference scale gives the difference
  in the change of the probability of no violence.

Standard errors use the delta method with the result's covariance (model-based or
family-level robust); the Jacobian is exact for linear models, numerical otherwise. For
linear models on the difference scale, the contrast is linear in the fixed effects and gets
Satterthwaite degrees of freedom.

:func:`help_effects` fits one model per (outcome, help type) with help x wave, within each
stratum (families with / without an order) and pooled with the three-way interaction,
adjusted for baseline severity x wave, and adjusts the p-values across help types and
outcomes (Holm or Benjamini-Hochberg, :func:`kbeffect.effects.multiplicity.adjust_pvalues`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from kbeffect._results import Summary
from kbeffect._validation import check_columns, check_literal
from kbeffect.effects.multiplicity import adjust_pvalues
from kbeffect.errors import DataError, SpecificationError
from kbeffect.models.mixed.result import MixedResult, coef_plot, inference_table

__all__ = ["GcompResult", "help_effects", "partial_eta_squared", "wave_effects"]


@dataclass(frozen=True)
class GcompResult:
    """Effects of treatment on change between waves, by g-computation.

    Attributes
    ----------
    estimand : {"ATT", "ATE"}
    scale : {"difference", "ratio"}
    statistic : {"mean", "prob_lowest"}
    arms : DataFrame
        Mean predicted outcome per (arm, wave): columns ``arm, wave, mean``.
    table : DataFrame
        One row per wave contrast: ``term, estimate, std_error, statistic, df, p_value,
        conf_low, conf_high`` (ratio rows: inference on the log scale, interval
        back-transformed, ``std_error`` by the delta method).
    n_units : int
        Units (baseline rows) in the target population.
    """

    estimand: str
    scale: str
    statistic: str
    arms: pd.DataFrame
    table: pd.DataFrame
    n_units: int

    def tidy(self) -> pd.DataFrame:
        """Return the effect table."""
        return self.table.copy()

    def summary(self) -> Summary:
        """Printable summary."""
        return Summary(
            title=f"G-computation: {self.estimand} on change ({self.scale}, {self.statistic})",
            header={"Estimand": self.estimand, "Scale": self.scale, "Units": self.n_units},
            tables={"Effects": self.table.set_index("term"), "Arm means": self.arms},
        )

    def plot(self) -> Any:
        """Effect estimates with confidence intervals; returns a Figure."""
        return coef_plot(self.table, f"{self.estimand} ({self.scale})", 0.95)


def wave_effects(
    result: MixedResult,
    data: pd.DataFrame,
    *,
    treatment: str,
    treated: Any = 1,
    control: Any = 0,
    wave: str = "wave",
    baseline: Any = 0,
    waves: Sequence[Any] | None = None,
    estimand: Literal["ATT", "ATE"] = "ATT",
    scale: Literal["difference", "ratio"] = "difference",
    statistic: Literal["mean", "prob_lowest"] = "mean",
    kind: Literal["conditional", "marginal"] = "marginal",
    per: float = 1.0,
    weights: str | None = None,
    conf_level: float = 0.95,
) -> GcompResult:
    """G-computation of the effect of treatment on change from the baseline wave.

    Parameters
    ----------
    result : MixedResult
        A model whose formula contains ``treatment`` and ``wave`` (with their interaction).
    data : DataFrame
        The data the model was fitted on (or the population to standardise to); the rows
        at ``wave == baseline`` define the units and their covariates.
    treatment : str
        Treatment column (e.g. ``"kb"``, 1 = order).
    treated, control : object
        Values of ``treatment`` for the two arms.
    wave : str
        Wave column.
    baseline : object
        Baseline wave (T0).
    waves : sequence, optional
        Follow-up waves (default: every other wave in ``data``).
    estimand : {"ATT", "ATE"}
        Average over treated units, or over all units.
    scale : {"difference", "ratio"}
        Difference in mean change, or ratio of ratios (rate ratio for counts).
    statistic : {"mean", "prob_lowest"}
        Expected response, or (ordinal models) probability of the lowest category.
    kind : {"conditional", "marginal"}
        Predictions at random effects zero, or averaged over them (identical for linear
        models).
    per : float
        Exposure (years) at which count models predict, so estimands are per ``per`` years.
    weights : str, optional
        Column of non-negative unit weights for the standardisation (e.g. matching or
        propensity weights, to standardise to a weighted population); default equal.
    conf_level : float
        Confidence level.

    Returns
    -------
    GcompResult
    """
    check_literal("estimand", estimand, ("ATT", "ATE"))
    check_literal("scale", scale, ("difference", "ratio"))
    check_literal("statistic", statistic, ("mean", "prob_lowest"))
    check_literal("kind", kind, ("conditional", "marginal"))
    check_columns(data, [treatment, wave])
    if statistic == "prob_lowest" and result.family != "ordinal":
        raise SpecificationError("statistic='prob_lowest' needs an ordinal model.")
    if statistic == "mean" and result.family == "ordinal":
        raise SpecificationError("for an ordinal model use statistic='prob_lowest'.")
    base = data[data[wave] == baseline]
    if estimand == "ATT":
        base = base[base[treatment] == treated]
    if base.empty:
        raise SpecificationError(f"no rows at {wave} == {baseline!r} in the target population.")
    unit_w = np.ones(len(base))
    if weights is not None:
        check_columns(data, [weights])
        unit_w = base[weights].to_numpy(float)
        if not np.isfinite(unit_w).all() or (unit_w < 0).any() or unit_w.sum() <= 0:
            raise SpecificationError(f"weights column {weights!r} must be finite, "
                                     "non-negative and not all zero.")
    unit_w = unit_w / unit_w.sum()
    follow = list(waves) if waves is not None else [w for w in sorted(data[wave].unique())
                                                     if w != baseline]
    all_waves = [baseline, *follow]
    arms = [(a, w) for a in (control, treated) for w in all_waves]
    designs = []
    for a, w in arms:
        nd = base.copy()
        nd[treatment] = a
        nd[wave] = w
        if result.exposure:
            nd[result.exposure] = per
        designs.append(nd)
    means_fn = _arm_means_function(result, designs, statistic, kind, unit_w)
    theta = result.params.to_numpy()
    m = means_fn(theta)
    J = _jacobian(means_fn, theta, exact=result.family == "gaussian")
    V = result.cov().to_numpy()
    nw = len(all_waves)
    rows: list[pd.DataFrame] = []
    for j, w in enumerate(follow, start=1):
        c = np.zeros(len(arms))
        c[[nw + j, nw, j, 0]] = [1.0, -1.0, -1.0, 1.0]  # (m1k - m10) - (m0k - m00)
        term = f"{treatment}: change {baseline}->{w}"
        if scale == "difference":
            g = c @ J
            if result.family == "gaussian":
                tab = result.contrast(g[None, :], names=[term], conf_level=conf_level)
                tab["estimate"] = c @ m
            else:
                se = np.sqrt(g @ V @ g)
                tab = inference_table([term], np.array([c @ m]), np.array([se]),
                                      np.array([np.inf]), conf_level)
        else:
            if np.any(m <= 0):
                raise SpecificationError("scale='ratio' needs positive predicted means.")
            g = (c / m) @ J
            se_log = float(np.sqrt(g @ V @ g))
            log_r = float(c @ np.log(m))
            tab = inference_table([term], np.array([log_r]), np.array([se_log]),
                                  np.array([np.inf]), conf_level)
            for col in ("estimate", "conf_low", "conf_high"):
                tab[col] = np.exp(tab[col])
            tab["std_error"] = tab["estimate"] * se_log
        rows.append(tab)
    arms_df = pd.DataFrame({"arm": [a for a, _ in arms], "wave": [w for _, w in arms],
                            "mean": m})
    return GcompResult(estimand, scale, statistic, arms_df,
                       pd.concat(rows, ignore_index=True), len(base))


def _arm_means_function(
    result: MixedResult, designs: list[pd.DataFrame], statistic: str, kind: str,
    unit_w: np.ndarray,
) -> Callable[[np.ndarray], np.ndarray]:
    """Return ``theta -> weighted mean prediction per arm`` (theta: all model parameters)."""
    if result.family == "gaussian":
        means = np.stack([unit_w @ result.design(d) for d in designs])
        return lambda th: means @ th[: means.shape[1]]

    def fn(th: np.ndarray) -> np.ndarray:
        fit = dataclasses.replace(result.fit, params=th)
        res = dataclasses.replace(result, fit=fit)
        if statistic == "prob_lowest":
            return np.array([unit_w @ res.predict_proba(d, kind=kind)[:, 0]  # type: ignore[arg-type]
                             for d in designs])
        return np.array([unit_w @ res.predict(d, kind=kind) for d in designs])  # type: ignore[arg-type]

    return fn


def _jacobian(
    fn: Callable[[np.ndarray], np.ndarray], theta: np.ndarray, *, exact: bool
) -> np.ndarray:
    """Jacobian of ``fn`` at ``theta`` (central differences; exact for linear ``fn``)."""
    f0 = fn(theta)
    J = np.empty((f0.size, theta.size))
    for j in range(theta.size):
        h = 1.0 if exact else 1e-5 * max(1.0, abs(theta[j]))
        e = np.zeros_like(theta)
        e[j] = h
        J[:, j] = (fn(theta + e) - fn(theta - e)) / (2.0 * h)
    return J


def partial_eta_squared(statistic: Any, df: Any) -> np.ndarray:
    """Partial eta squared of a one-df test, ``t^2 / (t^2 + df)`` (``F = t^2``).

    Comparable with the repeated-measures eta squared of the report (conventions
    .02/.13/.26) when ``df`` is the error df of the contrast (Satterthwaite for mixed
    models).
    """
    t2 = np.asarray(statistic, float) ** 2
    return t2 / (t2 + np.asarray(df, float))


def help_effects(
    data: pd.DataFrame,
    *,
    outcomes: Sequence[str],
    help_types: Sequence[str],
    groups: str | Sequence[str] = ("family_id", "person_id"),
    wave: str = "wave",
    by: str | None = "kb",
    adjust: str | None = None,
    unit: str | None = None,
    method: Literal["holm", "bh", "bonferroni", "none"] = "holm",
    missing: Literal["raise", "drop"] = "drop",
) -> pd.DataFrame:
    """Effect of each help type on change (help x wave), with multiplicity control.

    A unit (``unit``, default the innermost group) counts as receiving help type ``h`` when
    ``h`` is true at any wave (help is recorded at follow-up waves only). For each outcome
    and help type, a linear mixed model ``outcome ~ h * C(wave) + (adjust) * C(wave)`` is
    fitted within each level of ``by`` and pooled as ``outcome ~ h * C(wave) * by + ...``;
    the pooled rows report the difference of the help effect between strata.

    Parameters
    ----------
    data : DataFrame
        Long data.
    outcomes, help_types : sequence of str
        Outcome columns and help-type columns (boolean or 0/1).
    groups : str or sequence of str
        Grouping columns for :func:`kbeffect.mixed`.
    wave : str
        Wave column.
    by : str or None
        Stratifying column (the order indicator); ``None`` fits one model per pair.
    adjust : str, optional
        Formula fragment for baseline confounders (e.g. ``"baseline_severity"``); enters
        with its interaction with wave (who gets help depends on baseline severity).
    unit : str, optional
        Column identifying the unit that receives help.
    method : {"holm", "bh", "bonferroni", "none"}
        Adjustment across help types x outcomes, separately per stratum and wave contrast.
    missing : {"raise", "drop"}
        Passed to :func:`kbeffect.mixed` (default drop: outcomes are partly missing).

    Returns
    -------
    DataFrame
        One row per (stratum, outcome, help type, wave term): tidy columns plus
        ``p_adjusted`` and ``eta2_partial``.
    """
    from kbeffect.models.mixed.api import mixed

    check_literal("method", method, ("holm", "bh", "bonferroni", "none"))
    group_cols = [groups] if isinstance(groups, str) else list(groups)
    unit = unit or group_cols[-1]
    check_columns(data, [*outcomes, *help_types, wave, *group_cols, unit, *([by] if by else [])])
    extra = f" + ({adjust}) * C({wave})" if adjust else ""
    strata: list[tuple[str, pd.DataFrame, str]] = []
    if by is None:
        strata.append(("all", data, ""))
    else:
        for level in sorted(data[by].dropna().unique()):
            strata.append((f"{by}={level}", data[data[by] == level], ""))
        strata.append(("pooled (difference)", data, f" * {by}"))
    # a unit is one ``unit`` id within its outer groups (ids may be coded within families)
    unit_keys = group_cols[: group_cols.index(unit) + 1] if unit in group_cols else [unit]
    out = []
    for h in help_types:
        values = pd.to_numeric(data[h], errors="coerce")
        bad = values.isna() & data[h].notna()
        if bad.any():
            raise DataError(
                f"help type column {h!r} must be boolean or 0/1; got non-numeric values such "
                f"as {data.loc[bad, h].unique()[:3].tolist()}."
            )
        ever = values.gt(0).groupby([data[k] for k in unit_keys]).transform("max").astype(float)
        for label, sub, inter in strata:
            sub = sub.assign(**{f"{h}_ever": ever.loc[sub.index]})
            for y in outcomes:
                f = f"{y} ~ {h}_ever * C({wave}){inter}{extra}"
                res = mixed(f, sub, groups=group_cols, missing=missing)
                tab = res.tidy()
                key = f"{h}_ever:C({wave})"
                want = tab["term"].str.startswith(key)
                if by is not None and inter:
                    want &= tab["term"].str.endswith(f":{by}")
                else:
                    want &= tab["term"].str.count(":") == 1
                rows = tab[want].assign(stratum=label, outcome=y, help=h)
                out.append(rows)
    table = pd.concat(out, ignore_index=True)
    table["wave_term"] = table["term"].str.extract(r"\[T\.([^\]]+)\]", expand=False)
    table["p_adjusted"] = np.nan
    for _, idx in table.groupby(["stratum", "wave_term"]).groups.items():
        table.loc[idx, "p_adjusted"] = adjust_pvalues(table.loc[idx, "p_value"].to_numpy(),
                                                      method)
    table["eta2_partial"] = partial_eta_squared(table["statistic"], table["df"])
    cols = ["stratum", "outcome", "help", "term", "estimate", "std_error", "statistic", "df",
            "p_value", "p_adjusted", "conf_low", "conf_high", "eta2_partial"]
    return table[cols]
