"""kbeffect.bayes for incident counts: NB agreement with glmmTMB, the result API, refits,
and (slow) coverage of the ATT's credible intervals on a cohort with known truth.

Reference values: tests/reference/bayes_glmmtmb.json, written by bayes_glmmtmb.R beside
it from the data it simulates (bayes_glmmtmb_data.csv). Sampling is kept small (2 chains
x 400 draws) and each model is compiled once per module.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from conftest import kbeffect_study_size
from kbeffect.errors import ConvergenceWarning

pytest.importorskip("pymc", reason="kbeffect.bayes needs the [bayes] extra (pymc)")
pytestmark = pytest.mark.bayes

REF = Path(__file__).resolve().parents[1] / "reference"
FORMULA = "{y} ~ kb * C(wave)"
DRAWS: dict[str, Any] = {"draws": 400, "tune": 400, "chains": 2, "cores": 1}


@pytest.fixture(scope="module")
def ref():
    data = pd.read_csv(REF / "bayes_glmmtmb_data.csv")
    with open(REF / "bayes_glmmtmb.json") as fh:
        return data, json.load(fh)


def _weak():
    from kbeffect.models.bayes import Prior

    return {"b": Prior.normal(0, 10), "Intercept": Prior.normal(0, 10)}


def _fit(data, family, y, seed, **kw):
    from kbeffect.models.bayes import bayes

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # small test runs: ESS < 400
        return bayes(FORMULA.format(y=y), data, groups="family_id", family=family,
                     exposure="exposure", priors=_weak(), seed=seed, **DRAWS, **kw)


@pytest.fixture(scope="module")
def nb_fit(ref):
    return _fit(ref[0], "negbin", "y_nb", seed=11)


def assert_agrees(fit, r, *, frac=0.3):
    tab = fit.tidy()
    fixed = tab[tab["effect"] == "fixed"]
    assert len(fixed) == len(r["estimate"])
    z = (fixed["estimate"].to_numpy() - np.asarray(r["estimate"])) / fixed["std_error"].to_numpy()
    assert np.all(np.abs(z) < frac), z
    # posterior SDs close to the ML standard errors (flat priors, 120 families)
    ratio = fixed["std_error"].to_numpy() / np.asarray(r["std_error"])
    assert np.all((ratio > 0.8) & (ratio < 1.35)), ratio
    post = fit.idata.posterior
    theta = post["theta"].values.ravel()
    assert abs(np.median(theta) - r["theta"]) < 0.6 * theta.std()
    sd = post["sd_family"].values.ravel()
    assert abs(np.median(sd) - r["sd_family"]) < 0.6 * sd.std()


def test_negbin_agrees_with_glmmtmb(nb_fit, ref):
    assert nb_fit.sampler == "nutpie"
    assert_agrees(nb_fit, ref[1]["negbin"])


def test_tidy_has_the_ml_columns(nb_fit):
    tab = nb_fit.tidy(level=0.9)
    ml = ["term", "estimate", "std_error", "statistic", "df", "p_value", "conf_low",
          "conf_high"]
    assert list(tab.columns[:8]) == ml
    assert {"r_hat", "ess_bulk", "ess_tail"} <= set(tab.columns)
    assert tab[["statistic", "df", "p_value"]].isna().all().all()
    draws = nb_fit.idata.posterior["b"].sel(term="kb").values.ravel()
    row = tab.set_index("term").loc["kb"]
    assert row["estimate"] == pytest.approx(draws.mean())
    assert row["conf_low"] == pytest.approx(np.quantile(draws, 0.05))
    assert list(tab["term"][-2:]) == ["sd__family_id", "theta"]


def test_att_rate_ratio_equals_exp_interaction_in_every_draw(nb_fit):
    eff = nb_fit.effect_draws("kb", estimand="ATT")
    b = nb_fit.idata.posterior["b"]
    for j, w in enumerate(eff.waves):
        inter = b.sel(term=f"kb:C(wave)[T.{w}]").values.ravel()
        np.testing.assert_allclose(eff.ratio[:, j], np.exp(inter), rtol=1e-10)
    tab = nb_fit.effects("kb", estimand="ATE", level=0.9)
    assert set(tab["wave"]) == {1, 2} and (tab["n_units"] == 120).all()
    diff = tab[tab["measure"] == "difference"]
    assert ((diff["prob_benefit"] >= 0) & (diff["prob_benefit"] <= 1)).all()


def test_refit_reuses_compiled_model_and_recovers_posterior(nb_fit, ref):
    data = ref[0]
    again = nb_fit.refit(data, seed=99)
    assert again.timings["reused"] and again.timings["compile_s"] == 0.0
    a, b = nb_fit.tidy(), again.tidy()
    # same data, new seed: posterior means agree up to Monte Carlo error
    mcse = a["std_error"] / np.sqrt(np.minimum(a["ess_bulk"], b["ess_bulk"]))
    assert np.all(np.abs(a["estimate"] - b["estimate"]) < 5 * np.sqrt(2) * mcse)
    # fewer rows (wave 2 missing for some families): still reused, fit changes
    fewer = data[~((data["wave"] == 2) & (data["family_id"] % 4 == 0))]
    part = nb_fit.refit(fewer, seed=3)
    assert part.timings["reused"] and part.spec.n == len(fewer)


def test_refit_to_a_subset_of_families_keeps_levels_and_reuses(nb_fit, ref):
    from kbeffect.models.bayes.api import refit_spec

    data = ref[0]
    half = data[data["family_id"] <= 60]
    fit = nb_fit.refit(half, seed=4)  # dropped families keep prior-only random effects
    assert fit.timings["reused"] and fit.spec.n_families == 120 and fit.spec.n == len(half)
    u = fit.idata.posterior["u_family"].values.reshape(-1, 120)
    sd = fit.idata.posterior["sd_family"].values.ravel()
    # families without rows: their effects are draws of Normal(0, sd_family)
    ratio = u[:, 60:].std(axis=1) / sd
    assert 0.85 < np.median(ratio) < 1.15
    tab = fit.tidy().set_index("term")
    assert tab.loc["kb", "std_error"] > nb_fit.tidy().set_index("term").loc["kb", "std_error"]
    # families that were not in the original fit: new levels, a new compile would follow
    other = data.assign(family_id=data["family_id"] + 1000)
    assert refit_spec(nb_fit.spec, other).shape_key() == nb_fit.spec.shape_key()
    assert refit_spec(nb_fit.spec, other[other["family_id"] < 1100]).shape_key() != \
        nb_fit.spec.shape_key()


def test_convergence_warning_names_problem_and_remedy(nb_fit, ref):
    import dataclasses

    from kbeffect.models.bayes.api import fit_spec

    tiny = dataclasses.replace(nb_fit.settings, draws=15, tune=15, seed=1)
    with pytest.warns(ConvergenceWarning, match="ESS .* Increase draws"):
        fit_spec(nb_fit.spec, nb_fit.priors, ref[0], settings=tiny, compiled=nb_fit.compiled)


def test_predictive_checks(nb_fit):
    post = nb_fit.predictive_check(seed=1, n_draws=200)
    assert list(post["statistic"]) == ["mean", "sd", "p_zero", "max"]
    ok = post.set_index("statistic")["p_value"]
    assert 0.05 < ok["mean"] < 0.95 and 0.05 < ok["p_zero"] < 0.95
    from kbeffect.errors import EstimationError

    with pytest.raises(EstimationError, match="tighter coefficient priors"):
        nb_fit.predictive_check("prior", seed=1, n_draws=100)  # N(0, 10) priors overflow
    # default priors (no sampling needed for the prior predictive)
    import dataclasses

    from kbeffect.models.bayes.build import build_model
    from kbeffect.models.bayes.priors import resolve_priors

    s = nb_fit.spec
    default = resolve_priors(family=s.family, columns=s.columns, X=s.X, y=s.y, offset=s.offset,
                             params=s.params(), slope=s.slope, overrides=None)
    cm = dataclasses.replace(nb_fit.compiled, model=build_model(s, default))
    prior = dataclasses.replace(nb_fit, priors=default, compiled=cm).predictive_check(
        "prior", seed=1, n_draws=100)
    # the prior predictive is much wider than the posterior predictive
    width = lambda t: (t["predictive_high"] - t["predictive_low"]).iloc[0]  # noqa: E731
    assert width(prior) > 3 * width(post)


def test_summary_and_plot(nb_fit):
    text = str(nb_fit.summary())
    assert "Bayesian negbin model" in text and "kb:C(wave)[T.2]" in text and "Priors" in text
    fig = nb_fit.plot()
    assert len(fig.axes) == 1
    import matplotlib.pyplot as plt

    plt.close(fig)


# ---------------------------------------------------------------------------------------
# Coverage of the ATT on a cohort with known truth (slow; reduced in CI).

RR_TRUE = 0.6


def simulate_nb_cohort(seed: int, n_fam: int = 120) -> tuple[pd.DataFrame, dict[int, float]]:
    """Families x 3 waves, NB2 counts, order x wave rate ratio 0.6, half-year exposure at T2.

    Returns the data and the sample ATT (difference in expected counts per year among
    order families) at waves 1 and 2, given the families' realised random effects.
    """
    rng = np.random.default_rng(seed)
    fam = np.repeat(np.arange(1, n_fam + 1), 3)
    wave = np.tile([0, 1, 2], n_fam)
    kb = (rng.random(n_fam) < 0.45).astype(int)[fam - 1]
    u = rng.normal(0, 0.5, n_fam)[fam - 1]
    exposure = np.where(wave == 2, 0.5, 1.0)
    base = 1.2 + 0.2 * kb - 0.2 * (wave == 1) - 0.3 * (wave == 2) + u
    eta = base + np.log(RR_TRUE) * kb * (wave > 0)
    mu = np.exp(eta + np.log(exposure))
    y = rng.negative_binomial(1.5, 1.5 / (1.5 + mu))
    att = {w: float(np.mean(np.exp(eta) - np.exp(base), where=(kb == 1) & (wave == w)))
           for w in (1, 2)}
    data = pd.DataFrame({"family_id": fam, "wave": wave, "kb": kb, "exposure": exposure,
                         "y_nb": y})
    return data, att


def coverage_study(nb_fit, n_rep: int, seed0: int = 1000) -> pd.DataFrame:
    """Refit the compiled NB model to ``n_rep`` simulated cohorts; one row per cohort x wave."""
    rows = []
    for r in range(n_rep):
        data, att = simulate_nb_cohort(seed0 + r)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            fit = nb_fit.refit(data, seed=seed0 + r)
        tab = fit.effects("kb", estimand="ATT", level=0.9).set_index(["measure", "wave"])
        for w in (1, 2):
            d, q = tab.loc[("difference", w)], tab.loc[("ratio", w)]
            rows.append({"rep": r, "wave": w, "reused": fit.timings["reused"],
                         "cover_ratio": q["conf_low"] <= RR_TRUE <= q["conf_high"],
                         "cover_diff": d["conf_low"] <= att[w] <= d["conf_high"],
                         "ratio_mean": q["estimate"], "diff_mean": d["estimate"],
                         "diff_true": att[w], "divergences": fit.diagnostics.n_divergent})
    return pd.DataFrame(rows)


@pytest.mark.slow
def test_att_credible_intervals_cover_truth_at_nominal_rate(nb_fit):
    n_rep = 200 if kbeffect_study_size() == "full" else 12
    res = coverage_study(nb_fit, n_rep)
    assert res["reused"].all()
    n = len(res)
    lowest = stats.binom.ppf(0.001, n, 0.90)  # fails with probability < 0.1% when calibrated
    highest = stats.binom.ppf(0.999, n, 0.90)
    for col in ("cover_ratio", "cover_diff"):
        k = int(res[col].sum())
        assert lowest <= k <= highest, (col, k, n)
    # posterior mean of the rate ratio is close to the truth on average
    assert abs(res["ratio_mean"].mean() - RR_TRUE) < 0.1
