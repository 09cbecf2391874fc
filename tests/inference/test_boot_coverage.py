"""Coverage of cluster vs naive (row-level) bootstrap intervals for the IPW DiD ATT.

Children (1-2 per family) share a family effect on their change score, treatment is a
family-level decision with measured confounders, and the true ATT is 0.5. The cluster
bootstrap (families resampled, logit refitted) should cover the truth at about the
nominal rate; the naive bootstrap over children should not (too narrow).

Two designs: ``"synthetic"`` (everything generated here) and ``"cohort"`` (families,
children, covariates with their missing values and the order/voluntary assignment from
:func:`kbeffect.sim.simulate_cohort`; only the child change scores are generated here,
so that the true ATT is known exactly).
``KBEFFECT_STUDY_SIZE=full`` runs the full study reported in docs/bootstrap.md.
"""

from __future__ import annotations

from typing import Any, cast

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit

from conftest import kbeffect_study_size
from kbeffect.effects.ipw_did import ipw_did
from kbeffect.inference.bootstrap import bootstrap

TRUE_ATT = 0.5
SIZES = {  # (Monte Carlo datasets, bootstrap replicates, families)
    "reduced": (60, 199, 250),
    "full": (1000, 499, 300),
}
COHORT_SIZES = {"reduced": (30, 199, 400), "full": (1000, 499, 600)}
COHORT_COVARIATES = ["income", "paid_work", "education", "migration", "single_parent"]


def simulate_children(n_families: int, rng: np.random.Generator, sd_family: float = 1.2
                      ) -> pd.DataFrame:
    """Child-level change scores nested in families (ICC of the change about 0.59)."""
    x = rng.normal(size=n_families)
    z = rng.binomial(1, 0.4, n_families)
    d = rng.binomial(1, expit(-0.3 + 0.8 * x + 0.5 * z))
    u = sd_family * rng.normal(size=n_families)
    m = rng.integers(1, 3, n_families)  # 1 or 2 children per family, as in the cohort
    f = np.repeat(np.arange(n_families), m)
    y0 = x[f] + rng.normal(size=f.size)
    y2 = y0 + TRUE_ATT * d[f] + 0.6 * x[f] + 0.4 * z[f] + u[f] + rng.normal(size=f.size)
    return pd.DataFrame({"family_id": f, "d": d[f], "x": x[f], "z": z[f], "y0": y0, "y2": y2})


def cohort_children(n_families: int, rng: np.random.Generator, sd_family: float = 1.2
                    ) -> pd.DataFrame:
    """Child rows of a simulated cohort (order vs voluntary families) with change scores."""
    from kbeffect.sim import simulate_cohort

    seed = int(rng.integers(2**31))
    cohort = simulate_cohort(n_families, seed=seed, truth=False)
    fam = cohort.families[cohort.families["group"].isin(["kb", "voluntary"])]
    fam = fam.assign(d=(fam["group"] == "kb").astype(int))[["family_id", "d",
                                                            *COHORT_COVARIATES]]
    kids = cohort.children[["family_id", "person_id"]].merge(fam, on="family_id")
    for c in ("paid_work", "migration", "single_parent"):
        kids[c] = kids[c].astype("float")  # nullable boolean -> float with NaN
    fam_ids, f = np.unique(kids["family_id"].to_numpy(), return_inverse=True)
    u = sd_family * rng.normal(size=fam_ids.size)
    y0 = rng.normal(size=len(kids))
    kids["y0"] = y0
    kids["y2"] = y0 + TRUE_ATT * kids["d"].to_numpy() + u[f] + rng.normal(size=len(kids))
    return kids


def coverage_study(n_sim: int, B: int, n_families: int, seed: int = 2026,
                   design: str = "synthetic", extra_methods: bool = False) -> pd.DataFrame:
    """Return one row per simulated data set: CIs of the cluster/naive bootstrap, sandwich.

    ``extra_methods=True`` adds the coverage of the cluster bootstrap's BCa, studentised
    (per-replicate sandwich), normal and basic intervals.
    """
    ss = np.random.SeedSequence(seed)
    rows = []
    for child in ss.spawn(n_sim):
        rng = np.random.default_rng(child)
        if design == "cohort":
            kids = cohort_children(n_families, rng)
            covs, missing = COHORT_COVARIATES, cast(Any, "drop")
        else:
            kids = simulate_children(n_families, rng)
            covs, missing = ["x", "z"], cast(Any, "raise")
        res = ipw_did(kids, treatment="d", covariates=covs, outcome_pre="y0",
                      outcome_post="y2", cluster="family_id", missing=missing)
        row = {"estimate": res.estimate, "se_sandwich_cluster": res.se,
               "n_children": res.n_treated + res.n_control}
        lo, hi = res.conf_int()
        row["cover_sandwich_cluster"] = lo <= TRUE_ATT <= hi
        for name, cluster in (("cluster", "family_id"), ("naive", None)):
            boot = bootstrap(res, kids, cluster=cluster, B=B, seed=rng,
                             studentize=extra_methods and cluster is not None)
            ci = boot.ci("percentile").iloc[0]
            row[f"se_{name}"] = boot.se.iloc[0]
            row[f"width_{name}"] = ci["conf_high"] - ci["conf_low"]
            row[f"cover_{name}"] = ci["conf_low"] <= TRUE_ATT <= ci["conf_high"]
            if extra_methods and cluster is not None:
                for method in ("bca", "studentized", "normal", "basic"):
                    lo, hi = boot.ci(method).iloc[0]
                    row[f"cover_{name}_{method}"] = lo <= TRUE_ATT <= hi
        rows.append(row)
    return pd.DataFrame(rows)


@pytest.mark.slow
def test_cluster_bootstrap_covers_naive_does_not() -> None:
    size = kbeffect_study_size()
    n_sim, B, G = SIZES["full" if size == "full" else "reduced"]
    out = coverage_study(n_sim, B, G)
    sd_mc = out["estimate"].std(ddof=1)
    # the cluster bootstrap SE estimates the true sampling SD; the naive one is too small
    assert out["se_cluster"].mean() == pytest.approx(sd_mc, rel=0.25 if size != "full" else 0.06)
    assert out["width_naive"].mean() < 0.92 * out["width_cluster"].mean()
    if size == "full":
        assert abs(out["cover_cluster"].mean() - 0.95) < 0.02
        assert out["cover_naive"].mean() < 0.925
    else:
        assert out["cover_cluster"].mean() >= 0.85


def _has_simulator() -> bool:
    try:
        from kbeffect.sim import simulate_cohort  # noqa: F401
    except ImportError:
        return False
    return True


@pytest.mark.slow
def test_cluster_bootstrap_covers_on_simulated_cohort_structure() -> None:
    if not _has_simulator():  # pragma: no cover - the simulator is part of the package
        pytest.fail("kbeffect.sim.simulate_cohort is missing")
    size = kbeffect_study_size()
    n_sim, B, G = COHORT_SIZES["full" if size == "full" else "reduced"]
    out = coverage_study(n_sim, B, G, design="cohort")
    assert out["width_naive"].mean() < 0.92 * out["width_cluster"].mean()
    if size == "full":
        assert abs(out["cover_cluster"].mean() - 0.95) < 0.02
        assert out["cover_naive"].mean() < 0.93
    else:
        assert out["cover_cluster"].mean() >= 0.8
