"""The specifications the audit runs: the published design and better ones.

Each runner takes the family-level frame of :func:`kbeffect.audit.frame.analysis_frame`
and returns a :class:`SpecEstimate` of the effect of an order on the change in family total
incidents per year from T0 to T2 (T2 counts cover half a year and are doubled). Runners
differ in sample, design and model, one step at a time, so the audit shows which step
changes the conclusion.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from kbeffect.audit.frame import CONFOUNDERS, DEMOGRAPHICS, complete_on

__all__ = ["SpecEstimate", "published_anova", "run_ipw_did", "run_matched", "run_nb_mixed"]

_PS_DEMOGRAPHICS = "~ C(income) + paid_work + C(education) + migration + single_parent"
_PS_FULL = _PS_DEMOGRAPHICS + " + child_trauma_t0 + stress_t0 + competence_t0"


@dataclass(frozen=True)
class SpecEstimate:
    """One specification's estimate of the effect of an order.

    Attributes
    ----------
    spec : str
        Short identifier.
    label : str
        What the specification does, in words.
    scale : str
        ``"difference"`` (incidents per year) or ``"ratio"`` (ratio of rate ratios).
    estimate, std_error, conf_low, conf_high, p_value : float
        Point estimate and inference (95% intervals).
    n_treated, n_control : int
        Families with and without an order in the analysed sample.
    inference : str
        How the standard error was obtained.
    extra : dict
        Specification-specific statistics (e.g. the ANOVA's eta squared).
    """

    spec: str
    label: str
    scale: str
    estimate: float
    std_error: float
    conf_low: float
    conf_high: float
    p_value: float
    n_treated: int
    n_control: int
    inference: str
    extra: dict[str, Any] = field(default_factory=dict)


def _published_sample(frame: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, int]]:
    """Completers with violence at >= 1 wave and no missing matching variable (section 3.2)."""
    sample = frame[frame["completer"] & frame["violence_any"]]
    n_not = {"not a completer or no violence at any wave": int(len(frame) - len(sample))}
    sample, n_missing = complete_on(sample, list(DEMOGRAPHICS))
    n_not["missing matching variable"] = n_missing
    return sample, n_not


def _match(sample: pd.DataFrame, covariates: str, seed: int) -> pd.DataFrame:
    from kbeffect.design.matching.api import match

    m = match(sample, treatment="order", covariates=covariates, method="nearest",
              distance="glm", estimand="ATT", ratio=1, replace=False, seed=seed)
    return m.matched_data()


def published_anova(frame: pd.DataFrame, *, seed: int) -> tuple[
        SpecEstimate, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Run the published analysis: matched completers, RM-ANOVA of incidents (Table 5.8).

    Returns
    -------
    estimate : SpecEstimate
        Difference in mean change (T0 to T2, incidents per year) between matched groups with
        the two-sample t-test the ANOVA implies (pairs and nesting ignored).
    anova : DataFrame
        ``RMAnovaResult.tidy()`` of total incidents (per period, as published) by order x wave.
    means : DataFrame
        Mean total incidents per group and wave (the report's Table 5.8 layout).
    matched : DataFrame
        The matched families (for :func:`run_matched`, which reuses them).
    """
    from kbeffect.models.anova.api import rm_anova

    sample, _ = _published_sample(frame)
    matched = _match(sample, _PS_DEMOGRAPHICS, seed)
    long = matched.melt(id_vars=["family_id", "order"], value_vars=["total_w0", "total_w1",
                        "total_w2"], var_name="wave", value_name="total")
    long["wave"] = long["wave"].str[-1].astype(int)
    long["group"] = np.where(long["order"] == 1, "order", "voluntary")
    anova = rm_anova(long, dv="total", subject="family_id", within="wave", between="group")
    means = long.pivot_table(index="group", columns="wave", values="total", aggfunc="mean")
    means.columns = [f"T{w}" for w in means.columns]
    means["n_families"] = long.groupby("group")["family_id"].nunique()
    tab = anova.tidy()
    inter = tab[tab["term"].str.contains(":")].iloc[0]
    time = tab[tab["term"] == "wave"].iloc[0]
    t1 = matched.loc[matched["order"] == 1, "change_rate"]
    t0 = matched.loc[matched["order"] == 0, "change_rate"]
    diff = float(t1.mean() - t0.mean())
    se = float(np.sqrt(t1.var(ddof=1) / len(t1) + t0.var(ddof=1) / len(t0)))
    test = stats.ttest_ind(t1, t0, equal_var=False)
    est = SpecEstimate(
        spec="published", scale="difference",
        label="matched completers (5 demographics), RM-ANOVA / t-test",
        estimate=diff, std_error=se, conf_low=diff - 1.96 * se, conf_high=diff + 1.96 * se,
        p_value=float(test.pvalue), n_treated=len(t1), n_control=len(t0),
        inference="Welch t-test (ignores matching and nesting)",
        extra={"interaction_p": float(inter["p"]), "interaction_eta2": float(inter["partial_eta2"]),
               "interaction_label": str(inter["label"]), "time_eta2": float(time["partial_eta2"]),
               "time_p": float(time["p"])},
    )
    return est, tab, means, matched


def _boot_summary(res: Any) -> tuple[float, float, float, float, float]:
    row = res.tidy(ci_method="percentile").iloc[0]
    return (float(row["estimate"]), float(row["std_error"]), float(row["conf_low"]),
            float(row["conf_high"]), float(row["p_value"]))


def run_matched(frame: pd.DataFrame, *, confounders: bool, B: int, seed: int,
                progress: bool = False, matched: pd.DataFrame | None = None) -> SpecEstimate:
    """Estimate on matched completers with a pair-cluster bootstrap of the pair difference.

    ``confounders=False`` is the published match (5 demographics); ``True`` adds the
    baseline child trauma, parenting stress and competence that drive selection.
    ``matched`` passes the published match already made by :func:`published_anova`
    (used only with ``confounders=False``).
    """
    from kbeffect.inference.bootstrap.api import bootstrap
    from kbeffect.inference.bootstrap.estimators import PairDifference

    if confounders or matched is None:
        sample, _ = _published_sample(frame)
        formula = _PS_DEMOGRAPHICS
        if confounders:
            sample, _ = complete_on(sample, list(CONFOUNDERS))
            formula = _PS_FULL
        matched = _match(sample, formula, seed)
    res = bootstrap(PairDifference(pair="subclass", treatment="order", outcome="change_rate"),
                    matched, cluster="subclass", B=B, seed=seed, progress=progress)
    est, se, lo, hi, p = _boot_summary(res)
    n1 = int((matched["order"] == 1).sum())
    return SpecEstimate(
        spec="matched_confounders" if confounders else "published_pairs", scale="difference",
        label=("matched completers (demographics + trauma, stress, competence)" if confounders
               else "matched completers (5 demographics), pair-cluster bootstrap"),
        estimate=est, std_error=se, conf_low=lo, conf_high=hi, p_value=p, n_treated=n1,
        n_control=int(len(matched) - n1), inference=f"pair-cluster bootstrap, B={B}",
    )


def run_ipw_did(frame: pd.DataFrame, *, B: int, seed: int,
                progress: bool = False) -> SpecEstimate:
    """Propensity-weighted DiD (ATT) on every family observed at T0 and T2.

    No completer or violence restriction (the latter conditions on post-order waves); the
    propensity model adds the selection variables to the demographics; families are the
    bootstrap clusters and the propensity model is refitted in every replicate.
    """
    from kbeffect.effects.ipw_did import ipw_did
    from kbeffect.inference.bootstrap.api import bootstrap

    sample = frame[frame["observed_w0"] & frame["observed_w2"]]
    sample, _ = complete_on(sample, [*DEMOGRAPHICS, *CONFOUNDERS])
    fit = ipw_did(sample, treatment="order", covariates=_PS_FULL, outcome_pre="rate_w0",
                  outcome_post="rate_w2", unit="family_id", estimand="ATT")
    res = bootstrap(fit.bootstrap_spec(), sample, cluster="family_id", B=B, seed=seed,
                    progress=progress)
    est, se, lo, hi, p = _boot_summary(res)
    n1 = int(sample["order"].sum())
    return SpecEstimate(
        spec="ipw_did", scale="difference",
        label="IPW DiD (ATT), all families seen at T0 and T2, PS with selection variables",
        estimate=est, std_error=se, conf_low=lo, conf_high=hi, p_value=p, n_treated=n1,
        n_control=int(len(sample) - n1), inference=f"cluster bootstrap over families, B={B}",
        extra={"sandwich_se": float(fit.se)},
    )


def run_nb_mixed(frame: pd.DataFrame, parent_counts: pd.DataFrame) -> SpecEstimate:
    """Negative-binomial mixed model on every observed wave, ATT by g-computation.

    One row per reporting parent and wave (integer incident totals), family random intercept,
    log exposure offset (T2 = half a year). The selection variables enter with wave
    interactions, because they shape the trajectory and not only the level; demographics
    enter as main effects. The model's order x T2 coefficient is a conditional log ratio of
    rate ratios; the audit reports the marginal ATT on the difference scale (incidents per
    year, averaged over the random intercept and over the order families' covariates) by
    g-computation with a delta-method standard error from the family-level sandwich.
    """
    from kbeffect.effects.gcomp import wave_effects
    from kbeffect.models.mixed.api import mixed

    covs = [*DEMOGRAPHICS, *CONFOUNDERS]
    fam, _ = complete_on(frame, covs)
    data = parent_counts.merge(fam[["family_id", "order", *covs]], on="family_id", how="inner")
    formula = ("count ~ order * C(wave) + (child_trauma_t0 + stress_t0 + competence_t0)"
               " * C(wave) + C(income) + paid_work + C(education) + migration + single_parent")
    res = mixed(formula, data, groups="family_id", family="negbin", exposure="exposure",
                vcov="robust")
    coef = res.tidy().set_index("term").loc["order:C(wave)[T.2]"]
    g = wave_effects(res, data, treatment="order", wave="wave", baseline=0, waves=[2],
                     estimand="ATT", scale="difference", kind="marginal", per=1.0)
    row = g.tidy().iloc[0]
    n1 = int(fam.loc[fam["family_id"].isin(data["family_id"]), "order"].sum())
    n_fam = int(data["family_id"].nunique())
    return SpecEstimate(
        spec="nb_mixed", scale="difference",
        label="NB mixed model, all observed waves, exposure offset; ATT by g-computation",
        estimate=float(row["estimate"]), std_error=float(row["std_error"]),
        conf_low=float(row["conf_low"]), conf_high=float(row["conf_high"]),
        p_value=float(row["p_value"]), n_treated=n1, n_control=n_fam - n1,
        inference="delta method, family-level robust sandwich",
        extra={"conditional_ratio_of_rate_ratios": float(np.exp(coef["estimate"]))},
    )
