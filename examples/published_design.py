"""Rebuild the report's matched sample on a simulated cohort, and a design that does better.

The report compared families with a child protection order ("kb") with families that had
voluntary help only, after 1:1 nearest-neighbour matching on a logit propensity score of
five demographics (income, paid work, education, migration background, single parent),
among completers with no missing matching variables and violence at one or more waves
(263 treated, 405 eligible controls, 263 pairs). Selection into an order ran through
child trauma and parenting stress, which that score leaves out. This script

1. simulates a cohort (``kbeffect.sim.simulate_cohort``) and selects the analysis sample
   as the report did;
2. reproduces the published design and shows the balance it leaves on baseline child
   trauma and parenting stress;
3. adds those baseline problems to the propensity model (with a 0.2 SD caliper), and
   balances them exactly by entropy balancing, and compares the three designs;
4. broadcasts the matching weights onto the parent/child x wave observations.

Run:  .venv/bin/python examples/published_design.py [--seed 2024] [--plot love.png]
"""

from __future__ import annotations

import argparse

import pandas as pd

from kbeffect.data import ops
from kbeffect.data.rules import trauma_clinical
from kbeffect.design import match, weight
from kbeffect.sim import simulate_cohort

DEMOGRAPHICS = ["income", "paid_work", "education", "migration", "single_parent"]
BASELINE_PROBLEMS = ["child_trauma", "parenting_stress", "parent_competence"]


def analysis_sample(seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return (families, observations) of the report's effect-analysis sample."""
    cohort = simulate_cohort(1325, seed=seed, population_size=0, truth=False)
    sample = ops.families_with_violence(ops.completers(cohort))
    fam = ops.family_table(sample)
    fam = fam[fam["group"].astype(str).isin(["kb", "voluntary"])].reset_index(drop=True)
    fam["kb"] = (fam["group"].astype(str) == "kb").astype(int)
    obs = sample.observations
    t0 = obs[obs["wave"] == 0]
    # baseline child trauma: any child of the family clinical on a TSCYC/TSCC scale
    kids = t0[t0["role"] == "child"]
    trauma = trauma_clinical(kids).astype("float").groupby(kids["family_id"]).max()
    # baseline parenting stress and competence: mean over the family's parents (self-report)
    par = t0[(t0["role"] == "parent") & (t0["reporter"] == "parent")]
    stress = par.groupby("family_id")[["nosi_stress", "nosi_competence"]].mean()
    fam["child_trauma"] = fam["family_id"].map(trauma)
    fam["parenting_stress"] = fam["family_id"].map(stress["nosi_stress"])
    fam["parent_competence"] = fam["family_id"].map(stress["nosi_competence"])
    return fam, obs[obs["family_id"].isin(fam["family_id"])]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=2024)
    ap.add_argument("--plot", default=None, help="write a Love plot of the three designs")
    args = ap.parse_args()

    fam, obs = analysis_sample(args.seed)
    print(f"Analysis sample: {int(fam.kb.sum())} families with an order, "
          f"{int((1 - fam.kb).sum())} with voluntary help only.\n")

    # 1. the published design: 1:1 NN on a logit PS of five demographics, complete cases
    published = match(fam, treatment="kb", covariates=DEMOGRAPHICS, method="nearest",
                      distance="glm", link="logit", ratio=1, replace=False,
                      missing="drop", seed=args.seed)
    print(published)
    print("Excluded for missing matching variables:", published.exclusions.counts, "\n")
    check = DEMOGRAPHICS + BASELINE_PROBLEMS

    # families missing a baseline problem score cannot enter the comparison of designs
    complete = fam.dropna(subset=check).reset_index(drop=True)
    published = match(complete, treatment="kb", covariates=DEMOGRAPHICS, seed=args.seed)
    bal_pub = published.balance(check, distance=False)
    print(published.summary(covariates=check, distance=False))

    # 2. a design that also balances child trauma and parenting stress
    better = match(complete, treatment="kb", covariates=check, caliper=0.2, seed=args.seed)
    bal_better = better.balance(check, distance=False)
    # 3. entropy balancing: exact mean balance on every covariate, all treated kept
    ebal = weight(complete, treatment="kb", covariates=check, method="ebal", estimand="ATT")
    bal_ebal = ebal.balance()

    rows = ["child_trauma", "parenting_stress", "parent_competence"]
    table = pd.DataFrame({
        "unmatched": bal_pub.table.loc[rows, "smd_un"],
        "published (demographics)": bal_pub.table.loc[rows, "smd_adj"],
        "PS + baseline problems, caliper 0.2": bal_better.table.loc[rows, "smd_adj"],
        "entropy balancing": bal_ebal.table.loc[rows, "smd_adj"],
    })
    print("\nStandardised mean differences (treated SD) on baseline problems")
    print(table.round(3).to_string())
    sizes = pd.DataFrame({
        "published": published.n_matched, "PS + problems": better.n_matched,
        "entropy balancing (ESS)": {k: round(v, 1) for k, v in ebal.ess.items()},
    })
    print("\nMatched / effective sample sizes\n" + sizes.to_string())

    # 4. family weights onto parents, children and waves
    long = published.matched_data(obs, weights="match_weight", subclass="pair",
                                  distance=None)
    print(f"\nMatched observations: {len(long)} rows of "
          f"{long['family_id'].nunique()} families; weights by wave:")
    print(long.groupby("wave")["match_weight"].agg(["size", "sum"]).to_string())

    if args.plot:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, axes = plt.subplots(1, 2, figsize=(12, 4.5), sharey=True)
        bal_pub.plot(ax=axes[0])
        axes[0].set_title("Published design: PS on demographics")
        bal_better.plot(ax=axes[1])
        axes[1].set_title("PS on demographics + baseline problems")
        fig.savefig(args.plot, dpi=120, bbox_inches="tight")
        print(f"\nLove plot written to {args.plot}")


if __name__ == "__main__":
    main()
