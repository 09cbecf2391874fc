"""Replicate the robustness audit over simulated cohorts (the study in docs/audit.md).

Usage: python docs/scripts/audit_study.py FIRST_SEED LAST_SEED OUT.csv [--no-confounding]
"""

from __future__ import annotations

import sys

import pandas as pd

from kbeffect.audit import robustness_audit
from kbeffect.sim import Scenario, simulate_cohort


def main(argv: list[str]) -> None:
    """Run the audit on cohorts FIRST_SEED..LAST_SEED-1 and write every tidy row to OUT."""
    first, last, out = int(argv[0]), int(argv[1]), argv[2]
    scenario = Scenario().replace(confounding=0.0) if "--no-confounding" in argv else Scenario()
    rows = []
    for seed in range(first, last):
        cohort = simulate_cohort(1325, seed=seed, scenario=scenario, population_size=0)
        tab = robustness_audit(cohort, bootstrap=199, seed=seed).tidy()
        rows.append(tab.assign(seed=seed))
    pd.concat(rows).to_csv(out, index=False)


if __name__ == "__main__":
    main(sys.argv[1:])
