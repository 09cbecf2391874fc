"""Benchmark: kbeffect's count and ordinal GLMM kernels vs R glmmTMB, lme4 and ordinal.

Every model is fitted to the same simulated cohort (1,325 families, three waves with 15%
dropout after T0, 1-2 children per family for the child-level models, T2 exposure of half
a year), written to a temporary CSV that R reads, so timings are side by side on one machine:

* kbeffect ``fit_glmm`` / ``fit_clmm`` (the kernels behind ``mixed(family=...)``);
* ``glmmTMB`` (Laplace) for Poisson, NB2, zero-inflated NB2, hurdle NB2 and nested NB2;
* ``lme4::glmer(nAGQ = 9)`` for the Poisson model by adaptive quadrature;
* ``ordinal::clmm`` (Laplace) for the severity category.

R times are taken inside R (``system.time``), so R's start-up is not counted; both sides
report the median of ``REPEATS`` fits. Run ``python benchmarks/bench_glmm.py`` (needs
``Rscript`` with glmmTMB, lme4, ordinal and jsonlite); it prints a Markdown table and writes
it to ``docs/benchmarks-glmm.md``.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from kbeffect.models.mixed.clmm import fit_clmm
from kbeffect.models.mixed.glmm import fit_glmm

REPEATS = 3
ROOT = Path(__file__).resolve().parents[1]

R_SCRIPT = r"""
suppressPackageStartupMessages({
  library(glmmTMB); library(lme4); library(ordinal); library(jsonlite) })
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1]); d$wave <- factor(d$wave); d$sev <- factor(d$severity, ordered = TRUE)
d1 <- d[d$child == 0, ]
f <- ~ order * wave + offset(log(exposure)) + (1 | family)
fits <- list(
  poisson = function() glmmTMB(update(f, y ~ .), data = d1, family = poisson),
  negbin = function() glmmTMB(update(f, y ~ .), data = d1, family = nbinom2),
  zinb = function() glmmTMB(update(f, yzi ~ .), data = d1, family = nbinom2, ziformula = ~ 1),
  hurdle_negbin = function() glmmTMB(update(f, yh ~ .), data = d1, family = truncated_nbinom2,
                                     ziformula = ~ 1),
  negbin_nested = function() glmmTMB(y ~ order * wave + offset(log(exposure)) +
                                       (1 | family / child), data = d, family = nbinom2),
  poisson_agq9 = function() glmer(y ~ order * wave + offset(log(exposure)) + (1 | family),
                                  data = d1, family = poisson, nAGQ = 9),
  ordinal = function() clmm(sev ~ order * wave + (1 | family), data = d1)
)
ll <- function(m) as.numeric(logLik(m))
out <- list()
for (nm in names(fits)) {
  m <- suppressWarnings(fits[[nm]]())
  times <- sapply(seq_len(as.integer(args[3])), function(i)
    system.time(suppressWarnings(fits[[nm]]()))[["elapsed"]])
  out[[nm]] <- list(time = median(times), loglik = ll(m))
}
out$version <- paste0("glmmTMB ", packageVersion("glmmTMB"), ", lme4 ", packageVersion("lme4"),
                      ", ordinal ", packageVersion("ordinal"))
write_json(out, args[2], digits = NA, auto_unbox = TRUE)
"""


def cohort(G: int = 1325, seed: int = 2026) -> pd.DataFrame:
    """Counts, zero-inflated / hurdle counts and a 3-level severity per child and wave."""
    rng = np.random.default_rng(seed)
    nkid = 1 + (rng.random(G) < 0.6)
    fam = np.repeat(np.arange(G), 3 * nkid)
    kid = np.concatenate([np.repeat(np.arange(k), 3) for k in nkid])
    wave = np.concatenate([np.tile([0, 1, 2], k) for k in nkid])
    keep = (wave == 0) | (rng.random(wave.shape[0]) > 0.15)
    fam, kid, wave = fam[keep], kid[keep], wave[keep]
    order = rng.binomial(1, 0.4, G)[fam]
    exposure = np.where(wave == 2, 0.5, 1.0)
    u = rng.normal(0, 0.6, G)[fam] + rng.normal(0, 0.4, (G, 2))[fam, kid]
    eta = 1.0 + 0.3 * order - 0.2 * (wave == 1) - 0.5 * (wave == 2) - 0.4 * order * (wave == 2)
    mu = np.exp(eta + np.log(exposure) + u)
    y = rng.negative_binomial(1.5, 1.5 / (1.5 + mu))
    yzi = np.where(rng.random(y.shape[0]) < 0.25, 0, y)
    pos = y.copy()
    while np.any(pos == 0):
        redo = pos == 0
        pos[redo] = rng.negative_binomial(1.5, 1.5 / (1.5 + mu[redo]))
    yh = np.where(rng.random(y.shape[0]) < 0.35, 0, pos)
    lat = 0.8 * order - 0.6 * (wave == 2) + 1.2 * u + rng.logistic(size=y.shape[0])
    sev = np.searchsorted([-0.3, 1.2], lat)
    return pd.DataFrame(
        dict(
            family=fam,
            child=kid,
            wave=wave,
            order=order,
            exposure=exposure,
            y=y,
            yzi=yzi,
            yh=yh,
            severity=sev,
        )
    )


def _design(d: pd.DataFrame, intercept: bool = True) -> np.ndarray:
    o = d["order"].to_numpy(float)
    w1 = (d["wave"] == 1).to_numpy(float)
    w2 = (d["wave"] == 2).to_numpy(float)
    cols = [o, w1, w2, o * w1, o * w2]
    return np.column_stack(([np.ones(len(d))] if intercept else []) + cols)


def kbeffect_fits(d: pd.DataFrame) -> dict[str, tuple[float, float]]:
    d1 = d[d["child"] == 0]
    X1, off1 = _design(d1), np.log(d1["exposure"].to_numpy())
    g1 = (d1["family"].to_numpy(),)
    runs = {
        "poisson": lambda: fit_glmm(d1["y"].to_numpy(float), X1, g1, family="poisson", offset=off1),
        "negbin": lambda: fit_glmm(d1["y"].to_numpy(float), X1, g1, family="negbin", offset=off1),
        "zinb": lambda: fit_glmm(d1["yzi"].to_numpy(float), X1, g1, family="zinb", offset=off1),
        "hurdle_negbin": lambda: fit_glmm(
            d1["yh"].to_numpy(float), X1, g1, family="hurdle_negbin", offset=off1
        ),
        "negbin_nested": lambda: fit_glmm(
            d["y"].to_numpy(float),
            _design(d),
            (d["family"].to_numpy(), d["child"].to_numpy()),
            family="negbin",
            offset=np.log(d["exposure"].to_numpy()),
        ),
        "poisson_agq9": lambda: fit_glmm(
            d1["y"].to_numpy(float), X1, g1, family="poisson", offset=off1, n_agq=9
        ),
        "ordinal": lambda: fit_clmm(d1["severity"].to_numpy(), _design(d1, False), g1),
    }
    out = {}
    for name, run in runs.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = run()
            times = []
            for _ in range(REPEATS):
                t0 = time.perf_counter()
                run()
                times.append(time.perf_counter() - t0)
        out[name] = (float(np.median(times)), fit.loglik)
    return out


def main() -> None:
    d = cohort()
    py = kbeffect_fits(d)
    with tempfile.TemporaryDirectory() as tmp:
        csv, js, rs = (Path(tmp) / n for n in ("d.csv", "r.json", "b.R"))
        d.to_csv(csv, index=False)
        rs.write_text(R_SCRIPT)
        subprocess.run(["Rscript", str(rs), str(csv), str(js), str(REPEATS)], check=True)
        r = json.loads(js.read_text())
    labels = {
        "poisson": "Poisson, family intercept (Laplace) vs glmmTMB",
        "negbin": "NB2, family intercept (Laplace) vs glmmTMB",
        "zinb": "zero-inflated NB2 (Laplace) vs glmmTMB",
        "hurdle_negbin": "hurdle NB2 (Laplace) vs glmmTMB truncated_nbinom2",
        "negbin_nested": "NB2, family / child intercepts (Laplace) vs glmmTMB",
        "poisson_agq9": "Poisson, family intercept, 9-point AGHQ vs glmer(nAGQ = 9)",
        "ordinal": "cumulative logit, family intercept (Laplace) vs ordinal::clmm",
    }
    n1 = int((d["child"] == 0).sum())
    lines = [
        "# Benchmark: count and ordinal mixed models (kbeffect vs R)",
        "",
        f"Simulated cohort: {d['family'].nunique()} families, {n1} family-wave rows "
        f"({len(d)} child-wave rows for the nested model). Median of {REPEATS} fits each; R timed "
        f"inside R. Machine: {platform.machine()}, {os.cpu_count()} cores (shared), Python "
        f"{platform.python_version()}; R packages: {r['version']}.",
        "",
        "| model | kbeffect (s) | R (s) | log-lik kbeffect | log-lik R |",
        "|---|---:|---:|---:|---:|",
    ]
    for k, lab in labels.items():
        t, ll = py[k]
        rl = r[k]["loglik"]
        note = " (deviance-based)" if k == "poisson_agq9" else ""
        lines.append(f"| {lab} | {t:.2f} | {r[k]['time']:.2f} | {ll:.3f} | {rl:.3f}{note} |")
    lines += [
        "",
        "glmer's log-likelihood for nAGQ > 1 omits the constant of the Poisson density, so it "
        "is not comparable; its estimates are compared in tests/models/test_glmm_reference.py.",
        "The machine's two cores are shared with other jobs: timings vary by a factor of ~2 "
        "between runs; compare the columns of one run.",
    ]
    text = "\n".join(lines) + "\n"
    (ROOT / "docs" / "benchmarks-glmm.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
