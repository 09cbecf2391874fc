"""Reproduce the style of the report's Table 5.8 on a simulated, matched cohort.

Table 5.8 of the report (finding F5.8-incidents): matched Kb (child protection order) and
no-Kb (voluntary help) families, 263 vs 263; mean total violence incidents (partner
violence + child maltreatment, parent report) at T0 / T1 / T2; repeated-measures ANOVA
over the three waves with the time effect (eta squared .22, p < .001) and the group x time
interaction (not significant). The T2 window is half a year, T0 and T1 one year; the report
compares the counts as printed, and so does the first analysis below.

Steps
-----
1. Simulate a cohort of 1,325 families (``kbeffect.sim.simulate_cohort``).
2. Total incidents per family and wave (``kbeffect.data.derive.family_incidents``).
3. Completers: Kb and voluntary families with a total at all three waves (the RM-ANOVA
   needs every wave; ``rm_anova`` would exclude the others itself and say so).
4. 1:1 nearest-neighbour propensity-score matching (without replacement, no caliper) of
   Kb to voluntary families on T0 characteristics (``kbeffect.design.match``); families
   with a missing matching covariate are left out and counted.
5. ``kbeffect.models.anova.rm_anova`` on the matched families; printed as the report
   prints it (means per wave, eta squared and p for time and group x time), followed by
   the full univariate / sphericity / multivariate output and the T0-T2 contrasts.

The report's "eta squared" is taken to be SPSS's partial eta squared; the label follows
Table 2.2's repeated-measures thresholds (.02 / .13 / .26).

Run:  python examples/table_5_8.py  [seed]
"""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd

from kbeffect.data.derive import family_incidents
from kbeffect.design import match
from kbeffect.models.anova import rm_anova
from kbeffect.sim import simulate_cohort


def p_text(p: float) -> str:
    """P-value as the report prints it."""
    if p < 0.001:
        return "p < .001"
    if p < 0.01:
        return "p < .01"
    if p < 0.05:
        return "p < .05"
    return "n.s."


def report_table(res, dv: str) -> str:
    """Means per group and wave and the two RM-ANOVA effects, in the report's style."""
    desc = res.descriptives.pivot(index="group", columns="cell", values="mean")
    desc = desc.rename(index={"kb": "Kb", "voluntary": "no-Kb"})[["T0", "T1", "T2"]]
    n = res.descriptives.groupby("group")["n"].first().rename(
        index={"kb": "Kb", "voluntary": "no-Kb"})
    lines = [f"Mean {dv} by group (n families)", ""]
    lines.append(f"{'':<14}{'T0':>8}{'T1':>8}{'T2':>8}")
    for g, row in desc.iterrows():
        lines.append(f"{g + f' ({n[g]})':<14}" + "".join(f"{v:>8.0f}" for v in row))
    t = res.tidy().set_index("term")
    lines.append("")
    for term, name in (("wave", "Time effect"), ("group:wave", "Group x time")):
        r = t.loc[term]
        eta = f"{r['partial_eta2']:.3f}".lstrip("0")
        sig = p_text(r["p_gg"])
        lines.append(f"{name:<14}eta2 = {eta}, {sig}  ({r['label']}; F({r['df']:.0f}, "
                     f"{r['df_error']:.0f}) = {r['F']:.2f}, GG eps = {r['eps_gg']:.2f})")
    return "\n".join(lines)


def main(seed: int = 2022) -> None:
    cohort = simulate_cohort(1325, seed=seed, population_size=0, truth=False)
    fam = cohort.families
    fam = fam[fam["group"].isin(["kb", "voluntary"])].copy()
    inc = family_incidents(cohort.observations)
    inc["wave"] = inc["wave"].map({0: "T0", 1: "T1", 2: "T2"})
    wide = inc.pivot(index="family_id", columns="wave", values="total")
    completers = wide.index[wide.notna().all(axis=1)]
    fam = fam[fam["family_id"].isin(completers)].copy()
    fam["kb"] = fam["group"] == "kb"
    fam["t0_total"] = fam["family_id"].map(wide["T0"])
    fam["log_t0_total"] = np.log1p(fam["t0_total"])
    covs = ["income", "education", "migration", "single_parent", "stream", "log_t0_total"]
    n_missing_cov = int(fam[covs].isna().any(axis=1).sum())
    m = match(fam, treatment="kb", covariates=covs, method="nearest", missing="drop", seed=seed)
    matched = m.matched_data()
    long = inc[inc["family_id"].isin(matched["family_id"])].merge(
        matched[["family_id", "group"]], on="family_id")
    print(f"Simulated cohort (seed {seed}): {cohort}")
    print(f"Completers: {int(fam['kb'].sum())} Kb, {int((~fam['kb']).sum())} voluntary "
          f"({n_missing_cov} without complete matching covariates); matched families: "
          f"{m.n_matched}")
    print()
    res = rm_anova(long, dv="total", subject="family_id", within="wave", between="group")
    print("Table 5.8 (style): total violence incidents (T0/T1: past year; T2: past half year)")
    print(report_table(res, "incidents"))
    print()
    per_year = rm_anova(long, dv="total_per_year", subject="family_id", within="wave",
                        between="group")
    print("Same analysis on incidents per year (T2 doubled to a one-year rate)")
    print(report_table(per_year, "incidents per year"))
    print()
    print(res.summary())
    print()
    print("Planned contrasts between waves (Holm-adjusted), averaged over groups")
    print(res.contrasts({"T0 vs T1": [1, -1, 0], "T0 vs T2": [1, 0, -1]}).to_string(
        index=False, float_format=lambda x: f"{x:.4g}"))


if __name__ == "__main__":
    pd.set_option("display.width", 140)
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 2022)
