"""kbeffect.bayes Gaussian, Bernoulli and ordinal families vs statsmodels (weak priors).

Data are simulated here; references are statsmodels MixedLM (Gaussian, family random
intercepts), Logit (Bernoulli) and OrderedModel (cumulative logit). With weak priors
and these sample sizes the posterior mean must lie within a fraction of a posterior SD
of the maximum-likelihood estimate, and the posterior SD near the ML standard error.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest

from kbeffect.errors import ConvergenceWarning

pytest.importorskip("pymc", reason="kbeffect.bayes needs the [bayes] extra (pymc)")
pytestmark = pytest.mark.bayes

SETTINGS: dict[str, Any] = {"draws": 400, "tune": 400, "chains": 2, "cores": 1}


def _weak(intercept: bool = True):
    from kbeffect.models.bayes import Prior

    out = {"b": Prior.normal(0, 100)}
    if intercept:
        out["Intercept"] = Prior.normal(0, 100)
    return out


def _fit(formula, data, family, seed, **kw):
    from kbeffect.models.bayes import bayes

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return bayes(formula, data, family=family, seed=seed, **SETTINGS, **kw)


def _check(tab, est, se, *, frac=0.3):
    z = (tab["estimate"].to_numpy() - est) / tab["std_error"].to_numpy()
    assert np.all(np.abs(z) < frac), z
    ratio = tab["std_error"].to_numpy() / se
    assert np.all((ratio > 0.85) & (ratio < 1.2)), ratio


def test_gaussian_random_intercept_agrees_with_mixedlm():
    import statsmodels.formula.api as smf

    rng = np.random.default_rng(3)
    n_fam = 80
    d = pd.DataFrame({"family_id": np.repeat(np.arange(n_fam), 3),
                      "wave": np.tile([0, 1, 2], n_fam)})
    d["kb"] = (rng.random(n_fam) < 0.5).astype(int)[d["family_id"]]
    u = rng.normal(0, 6, n_fam)[d["family_id"]]
    d["stress"] = (55 + 2 * d["kb"] - 1.5 * d["wave"] - 2.5 * d["kb"] * d["wave"] + u
                   + rng.normal(0, 5, len(d)))
    fit = _fit("stress ~ kb * C(wave)", d, "gaussian", seed=1, groups="family_id",
               priors=_weak())
    ml = smf.mixedlm("stress ~ kb * C(wave)", d, groups=d["family_id"]).fit(reml=True)
    tab = fit.tidy()
    fixed = tab[tab["effect"] == "fixed"]
    names = list(fixed["term"])
    est = ml.fe_params.reindex(names)
    _check(fixed, est.to_numpy(), ml.bse_fe.reindex(names).to_numpy())
    aux = tab.set_index("term")
    sigma = aux.loc["sigma"]
    assert abs(sigma["estimate"] - np.sqrt(ml.scale)) < 0.5 * sigma["std_error"]
    sd_fam = fit.idata.posterior["sd_family"].values.ravel()
    assert abs(np.median(sd_fam) - np.sqrt(ml.cov_re.iloc[0, 0])) < 0.6 * sd_fam.std()
    # the ATT difference of a Gaussian model is the interaction coefficient in every draw
    eff = fit.effect_draws("kb")
    b = fit.idata.posterior["b"]
    np.testing.assert_allclose(eff.difference[:, 1],
                               b.sel(term="kb:C(wave)[T.2]").values.ravel(), rtol=1e-10)


def test_bernoulli_agrees_with_logit_via_pymc_fallback(monkeypatch):
    """Also the fallback: nutpie fails to compile -> warning, PyMC's NUTS samples."""
    import nutpie
    import statsmodels.formula.api as smf

    from kbeffect.errors import KbEffectWarning

    def broken(*args, **kwargs):
        raise RuntimeError("simulated numba failure")

    monkeypatch.setattr(nutpie, "compile_pymc_model", broken)

    rng = np.random.default_rng(8)
    n = 500
    d = pd.DataFrame({"x": rng.normal(size=n), "kb": rng.integers(0, 2, n)})
    p = 1 / (1 + np.exp(-(-0.3 + 0.8 * d["x"] + 0.5 * d["kb"])))
    d["stopped"] = (rng.random(n) < p).astype(int)
    with pytest.warns(KbEffectWarning, match="falling back to PyMC's NUTS"):
        fit = _fit("stopped ~ x + kb", d, "bernoulli", seed=2, priors=_weak())
    assert fit.sampler == "pymc" and fit.diagnostics.n_draws == 800
    ml = smf.logit("stopped ~ x + kb", d).fit(disp=0)
    tab = fit.tidy()
    _check(tab, ml.params.reindex(tab["term"]).to_numpy(), ml.bse.reindex(tab["term"]).to_numpy())
    eff = fit.effects("kb", time=None, contrast="level", estimand="ATE", benefit="increase")
    assert list(eff["measure"]) == ["difference", "ratio"]
    # risk difference from the ML fit, by the same g-computation
    p1 = ml.predict(d.assign(kb=1)).mean()
    p0 = ml.predict(d.assign(kb=0)).mean()
    row = eff.iloc[0]
    assert abs(row["estimate"] - (p1 - p0)) < 0.3 * row["std_error"]


def test_ordinal_agrees_with_orderedmodel():
    from statsmodels.miscmodels.ordinal_model import OrderedModel

    rng = np.random.default_rng(5)
    n = 600
    d = pd.DataFrame({"x": rng.normal(size=n), "kb": rng.integers(0, 2, n)})
    latent = 0.7 * d["x"] - 0.6 * d["kb"] + rng.logistic(size=n)
    labels = np.array(["none", "moderate", "severe"])
    d["severity"] = pd.Categorical(labels[np.digitize(latent, [-0.5, 1.0])],
                                   categories=list(labels), ordered=True)
    fit = _fit("severity ~ x + kb", d, "ordinal", seed=3, priors=_weak(intercept=False))
    ml = OrderedModel(d["severity"].cat.codes, d[["x", "kb"]], distr="logit").fit(
        method="bfgs", disp=0)
    tab = fit.tidy()
    fixed = tab[tab["effect"] == "fixed"]
    _check(fixed, ml.params[["x", "kb"]].to_numpy(), ml.bse[["x", "kb"]].to_numpy())
    cuts = tab[tab["effect"] == "threshold"]
    assert list(cuts["term"]) == ["none|moderate", "moderate|severe"]
    thresholds = ml.model.transform_threshold_params(ml.params)[1:-1]
    z = (cuts["estimate"].to_numpy() - thresholds) / cuts["std_error"].to_numpy()
    assert np.all(np.abs(z) < 0.3), z
