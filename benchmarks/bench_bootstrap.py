"""Benchmark: cluster bootstrap of the propensity-weighted DiD ATT, batched vs looped.

2,000 replicates of ``kbeffect.ipw_did`` (ATT, logit propensity model on the report's five
matching variables refitted in every replicate) on a 1,325-family cohort, against
straightforward loops that refit with statsmodels on each resample. Both sides use the
*same* replicate weight matrix, so their bootstrap SEs must agree to rounding; a second
batched run with another seed shows the Monte Carlo error.

Run:  .venv/bin/python benchmarks/bench_bootstrap.py [--B 2000] [--loop-B 2000]
(``--loop-B`` < B times the loops on the first replicates and extrapolates linearly.)
Results are printed as a Markdown table (copied to docs/benchmarks-bootstrap.md).
"""

from __future__ import annotations

import os

# one BLAS thread on both sides: fair, and what kbeffect's kernels use anyway
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse
import platform
import time

import numpy as np
import pandas as pd
import statsmodels.api as sm
import statsmodels.formula.api as smf
from scipy.special import expit

import kbeffect
from kbeffect.effects.ipw_did import ipw_did
from kbeffect.inference.bootstrap import bootstrap, replicate_weights
from kbeffect.inference.bootstrap.weights import root_seed_sequence

COVARIATES = ["income", "paid_work", "education", "migration", "single_parent"]
FORMULA = "d ~ C(income) + paid_work + C(education) + migration + single_parent"
#: Scenario "continuous": baseline stress also enters the propensity model, so no two
#: families share a covariate pattern and the batched logit works on all 1,325 rows.
SCENARIOS = {"categorical": [], "continuous": ["stress_t0"]}


def cohort(n: int = 1325, seed: int = 2026) -> pd.DataFrame:
    """Family-level cohort: the report's matching variables, an order, a change score."""
    rng = np.random.default_rng(seed)
    income = rng.choice(["lt1500", "1500_3000", "gt3000"], n, p=[0.45, 0.35, 0.20])
    education = rng.choice(["primary", "lower_secondary", "upper_secondary", "higher"], n,
                           p=[0.15, 0.35, 0.35, 0.15])
    paid_work = rng.binomial(1, 0.5, n)
    migration = rng.binomial(1, 0.35, n)
    single = rng.binomial(1, 0.45, n)
    lin = (-0.6 + 0.5 * (income == "lt1500") - 0.3 * paid_work + 0.3 * (education == "primary")
           + 0.2 * migration + 0.4 * single)
    d = rng.binomial(1, expit(lin))
    stress0 = 3.0 + 0.3 * single + 0.2 * (income == "lt1500") + rng.normal(0, 0.6, n)
    stress2 = stress0 - 0.2 - 0.15 * d + 0.1 * single + rng.normal(0, 0.5, n)
    return pd.DataFrame({
        "family_id": np.arange(1, n + 1), "d": d, "income": income, "education": education,
        "paid_work": paid_work, "migration": migration, "single_parent": single,
        "stress_t0": stress0, "stress_t2": stress2,
    })


def att_statsmodels_formula(sample: pd.DataFrame, formula: str) -> float:
    """What a user would write: formula logit, predict, weighted means."""
    ps = smf.logit(formula, data=sample).fit(disp=0, method="newton", tol=1e-12).predict(sample)
    w = np.where(sample["d"] == 1, 1.0, ps / (1 - ps))
    delta = (sample["stress_t2"] - sample["stress_t0"]).to_numpy()
    t = sample["d"].to_numpy() == 1
    return float(np.average(delta[t], weights=w[t]) - np.average(delta[~t], weights=w[~t]))


def att_statsmodels_arrays(X: np.ndarray, d: np.ndarray, delta: np.ndarray) -> float:
    """A tighter loop: design matrix built once, sm.Logit on the resampled arrays."""
    beta = sm.Logit(d, X).fit(disp=0, method="newton", tol=1e-12).params
    ps = expit(X @ beta)
    w = np.where(d == 1, 1.0, ps / (1 - ps))
    t = d == 1
    return float(np.average(delta[t], weights=w[t]) - np.average(delta[~t], weights=w[~t]))


def run(fam: pd.DataFrame, extra: list[str], B: int, LB: int, seed: int) -> None:
    """Time one scenario and print its Markdown table."""
    covs = COVARIATES + extra
    formula = FORMULA + "".join(f" + {c}" for c in extra)
    res = ipw_did(fam, treatment="d", covariates=covs, outcome_pre="stress_t0",
                  outcome_post="stress_t2", unit="family_id")
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        boot = bootstrap(res, fam, cluster="family_id", B=B, seed=seed)
        times.append(time.perf_counter() - t0)
    t_vec = min(times)
    boot2 = bootstrap(res, fam, cluster="family_id", B=B, seed=seed + 1)

    W = replicate_weights("multinomial", len(fam), B, root_seed_sequence(seed))
    t0 = time.perf_counter()
    loop_f = []
    for b in range(LB):
        sample = fam.iloc[np.repeat(np.arange(len(fam)), W[b].astype(int))]
        loop_f.append(att_statsmodels_formula(sample, formula))
    t_formula = (time.perf_counter() - t0) * B / LB

    X = np.asarray(pd.get_dummies(fam[covs], columns=["income", "education"],
                                  drop_first=True, dtype=float))
    X = np.column_stack([np.ones(len(fam)), X])
    d = fam["d"].to_numpy(float)
    delta = (fam["stress_t2"] - fam["stress_t0"]).to_numpy()
    t0 = time.perf_counter()
    loop_a = []
    for b in range(LB):
        idx = np.repeat(np.arange(len(fam)), W[b].astype(int))
        loop_a.append(att_statsmodels_arrays(X[idx], d[idx], delta[idx]))
    t_arrays = (time.perf_counter() - t0) * B / LB

    theta = boot.theta[:LB, 0]
    diff_f = np.max(np.abs(theta - np.asarray(loop_f)))
    diff_a = np.max(np.abs(theta - np.asarray(loop_a)))
    se_loop = f"{np.std(loop_f, ddof=1):.5f}" if LB == B else "-"
    print(f"\n### Propensity covariates: {', '.join(covs)}\n")
    print(f"families: {len(fam)} ({res.n_treated} treated), propensity columns: "
          f"{len(res.ps_coef)}, ATT = {res.estimate:.4f}, sandwich SE = {res.se:.5f}\n")
    print("| method | time for B replicates (s) | speed-up of batched | bootstrap SE |")
    print("|---|---:|---:|---:|")
    print(f"| kbeffect batched (seed {seed}) | {t_vec:.2f} | - | {boot.se.iloc[0]:.5f} |")
    print(f"| kbeffect batched (seed {seed + 1}) | - | - | {boot2.se.iloc[0]:.5f} |")
    print(f"| statsmodels loop, formula (smf.logit), seed {seed} weights | {t_formula:.1f} | "
          f"{t_formula / t_vec:.0f}x | {se_loop} |")
    print(f"| statsmodels loop, arrays (sm.Logit), seed {seed} weights | {t_arrays:.1f} | "
          f"{t_arrays / t_vec:.0f}x | - |")
    print(f"\nmax |replicate difference|, batched vs formula loop: {diff_f:.1e}; "
          f"vs array loop: {diff_a:.1e}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--B", type=int, default=2000)
    ap.add_argument("--loop-B", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    B, LB = args.B, min(args.loop_B, args.B)
    extrap = "" if LB == B else f"; loops timed on {LB} replicates, extrapolated to {B}"
    print(f"kbeffect {kbeffect.__version__}, numpy {np.__version__}, Python "
          f"{platform.python_version()}, {platform.machine()}, {os.cpu_count()} CPUs, "
          f"one BLAS thread, B = {B}{extrap}")
    fam = cohort()
    for extra in SCENARIOS.values():
        run(fam, extra, B, LB, args.seed)


if __name__ == "__main__":
    main()
