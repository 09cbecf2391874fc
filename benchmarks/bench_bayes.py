"""Benchmark of kbeffect.bayes: effective samples per second and refit cost.

Compares, on a simulated cohort (families x 2 children x 3 waves, NB2 incident counts,
half-year exposure at T2, order x wave effect):

1. kbeffect.bayes(family="negbin", groups=("family_id", "child")) sampled with nutpie
   (numba-compiled log density), and
2. a plain PyMC model of the same structure (same non-centred random effects, same priors)
   sampled with ``pm.sample()``'s default NUTS sampler,

reporting compile and sampling wall time and bulk ESS per second of the fixed effects;
then the cost of a refit to new data of the same shape with the compiled model reused
(``BayesResult.refit``) against a fit that compiles again (a fresh ``kbeffect.bayes``
call) and a plain ``pm.sample`` refit after ``pm.set_data`` (which recompiles inside
``pm.sample``).

Usage::

    python benchmarks/bench_bayes.py [--families 300] [--draws 1000] [--tune 1000]
        [--chains 2] [--refits 3] [--out results.json]

Results are written as JSON (and printed as a markdown table); figures in
docs/benchmarks-bayes.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
import warnings

import numpy as np
import pandas as pd


def simulate(n_fam: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    fam = np.repeat(np.arange(n_fam), 6)
    child = np.tile([1, 1, 1, 2, 2, 2], n_fam)
    wave = np.tile([0, 1, 2], 2 * n_fam)
    kb = (rng.random(n_fam) < 0.4).astype(int)[fam]
    u_f = rng.normal(0, 0.5, n_fam)[fam]
    u_c = rng.normal(0, 0.4, 2 * n_fam)[fam * 2 + child - 1]
    exposure = np.where(wave == 2, 0.5, 1.0)
    eta = (1.0 + 0.2 * kb - 0.2 * (wave == 1) - 0.3 * (wave == 2)
           + np.log(0.6) * kb * (wave > 0) + u_f + u_c + np.log(exposure))
    mu = np.exp(eta)
    y = rng.negative_binomial(1.5, 1.5 / (1.5 + mu))
    return pd.DataFrame({"family_id": fam, "child": child, "wave": wave, "kb": kb,
                         "exposure": exposure, "y": y})


def plain_pymc_model(fit):
    """The same model written directly in PyMC (priors copied from the kbeffect fit)."""
    import pymc as pm

    s, pr = fit.spec, fit.priors
    coords = {"term": list(s.columns), "family": np.arange(s.n_families),
              "child": np.arange(s.n_children)}
    with pm.Model(coords=coords) as m:
        X = pm.Data("X", s.X)
        y = pm.Data("y_data", s.y)
        off = pm.Data("offset", s.offset)
        fi = pm.Data("family_idx", s.family_idx)
        ci = pm.Data("child_idx", s.child_idx)
        b = pm.Normal("b", mu=pr.b_mu, sigma=pr.b_sigma, dims="term")
        sd_f = pm.HalfNormal("sd_family", pr.scalars["sd_family"].sigma)
        sd_c = pm.HalfNormal("sd_child", pr.scalars["sd_child"].sigma)
        z_f = pm.Normal("z_family", 0, 1, dims="family")
        z_c = pm.Normal("z_child", 0, 1, dims="child")
        ist = pm.HalfNormal("inv_sqrt_theta", pr.scalars["inv_sqrt_theta"].sigma)
        eta = off + pm.math.dot(X, b) + (sd_f * z_f)[fi] + (sd_c * z_c)[ci]
        pm.NegativeBinomial("y", mu=pm.math.exp(eta), alpha=1 / ist**2, observed=y)
    return m


def ess_per_s(idata, seconds):
    import arviz as az

    ess = az.ess(idata, var_names=["b"], method="bulk")["b"].values
    return float(ess.min()), float(np.median(ess)), float(ess.min() / seconds)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--families", type=int, default=300)
    ap.add_argument("--draws", type=int, default=1000)
    ap.add_argument("--tune", type=int, default=1000)
    ap.add_argument("--chains", type=int, default=2)
    ap.add_argument("--refits", type=int, default=3)
    ap.add_argument("--out", default="bench_bayes_results.json")
    a = ap.parse_args()
    warnings.simplefilter("ignore")
    import pymc as pm

    from kbeffect.models.bayes import bayes

    common = {"draws": a.draws, "tune": a.tune, "chains": a.chains}
    data = simulate(a.families, 1)
    res: dict = {"families": a.families, "rows": len(data), **common,
                 "machine": f"{platform.machine()}, {os.cpu_count()} cores",
                 "pymc": pm.__version__}
    import nutpie

    res["nutpie"] = nutpie.__version__

    t0 = time.perf_counter()
    fit = bayes("y ~ kb * C(wave)", data, groups=("family_id", "child"), family="negbin",
                exposure="exposure", seed=1, cores=a.chains, **common)
    total = time.perf_counter() - t0
    e_min, e_med, eps = ess_per_s(fit.idata, fit.timings["sample_s"])
    res["kbeffect_nutpie"] = {
        "compile_s": fit.timings["compile_s"], "sample_s": fit.timings["sample_s"],
        "total_s": total, "ess_bulk_min": e_min, "ess_bulk_median": e_med,
        "ess_min_per_sample_s": eps, "ess_min_per_total_s": e_min / total,
        "divergences": fit.diagnostics.n_divergent,
    }

    model = plain_pymc_model(fit)
    t0 = time.perf_counter()
    with model:
        idata = pm.sample(random_seed=1, progressbar=False, cores=a.chains,
                          compute_convergence_checks=False, **common)
    total = time.perf_counter() - t0
    sampling = float(idata.posterior.attrs.get("sampling_time", total))
    e_min, e_med, eps = ess_per_s(idata, sampling)
    res["pymc_default"] = {
        "sample_s": sampling, "total_s": total, "compile_and_overhead_s": total - sampling,
        "ess_bulk_min": e_min, "ess_bulk_median": e_med, "ess_min_per_sample_s": eps,
        "ess_min_per_total_s": e_min / total,
        "divergences": int(idata.sample_stats["diverging"].sum()),
    }

    reuse, fresh, plain = [], [], []
    for r in range(a.refits):
        new = simulate(a.families, 100 + r)
        t0 = time.perf_counter()
        fit.refit(new, seed=r)
        reuse.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        bayes("y ~ kb * C(wave)", new, groups=("family_id", "child"), family="negbin",
              exposure="exposure", seed=r, cores=a.chains, **common)
        fresh.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        with model:
            pm.set_data({"y_data": new["y"].to_numpy()})
            pm.sample(random_seed=r, progressbar=False, cores=a.chains,
                      compute_convergence_checks=False, **common)
        plain.append(time.perf_counter() - t0)
    res["refit"] = {"kbeffect_reuse_s": reuse, "kbeffect_recompile_s": fresh,
                    "pymc_sample_s": plain}
    with open(a.out, "w") as fh:
        json.dump(res, fh, indent=1)
    k, p = res["kbeffect_nutpie"], res["pymc_default"]
    print(f"| sampler | compile+overhead (s) | sampling (s) | min bulk ESS | "
          f"ESS/s (sampling) | ESS/s (total) |\n|---|---|---|---|---|---|\n"
          f"| kbeffect + nutpie | {k['compile_s']:.1f} | {k['sample_s']:.1f} | "
          f"{k['ess_bulk_min']:.0f} | {k['ess_min_per_sample_s']:.0f} | "
          f"{k['ess_min_per_total_s']:.1f} |\n"
          f"| plain PyMC, pm.sample | {p['compile_and_overhead_s']:.1f} | {p['sample_s']:.1f} | "
          f"{p['ess_bulk_min']:.0f} | {p['ess_min_per_sample_s']:.0f} | "
          f"{p['ess_min_per_total_s']:.1f} |")
    print(f"refit: reuse {np.median(reuse):.1f} s, recompile {np.median(fresh):.1f} s, "
          f"plain pm.sample {np.median(plain):.1f} s (medians of {a.refits})")


if __name__ == "__main__":
    main()
