"""Linear mixed model kernel: gradient, weights, statsmodels MixedLM, ground truth."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

from conftest import kbeffect_study_size
from kbeffect.errors import ConvergenceWarning
from kbeffect.models.mixed import fit_lmm, mixed
from kbeffect.models.mixed.lmm_design import build_structure
from kbeffect.models.mixed.lmm_deviance import evaluate


def simulate(n_fam=200, seed=0, *, effect=-0.4, sd_child=0.7, drop=0.2, reporters=False,
             mar=0.0):
    """Families with 1-2 children, three waves; truth kb:wave = effect.

    Dropout after T0 is random (``drop``) or, with ``mar > 0``, MAR: monotone dropout whose
    log-odds rise by ``mar`` per unit of the observed T0 response above 10, in families with
    an order only.
    """
    rng = np.random.default_rng(seed)
    rows = []
    for f in range(n_fam):
        kb = int(rng.random() < 0.4)
        u_f, s_f = rng.normal(0, 1.0), rng.normal(0, 0.3)
        r_eff = rng.normal(0, 0.5, size=2)
        for c in range(int(rng.integers(1, 3))):
            u_c = rng.normal(0, sd_child)
            age = rng.uniform(3, 18)
            gone = False
            for w in range(3):
                if w > 0 and (gone or rng.random() < drop):
                    continue
                rep = int(rng.integers(0, 2)) if reporters else 0
                y = (10 + 0.5 * kb - 0.8 * w + effect * kb * w + 0.1 * age + u_f + s_f * w
                     + u_c + (r_eff[rep] if reporters else 0.0) + rng.normal(0, 1.2))
                rows.append((f, c, rep, w, kb, age, y))
                if w == 0 and mar and kb:
                    gone = rng.random() < 1.0 / (1.0 + np.exp(-(-1.0 + mar * (y - 11.0))))
    return pd.DataFrame(rows, columns=["family_id", "child", "reporter", "wave", "kb", "age",
                                       "y"])


def _arrays(d, slope=False):
    X = np.column_stack([np.ones(len(d)), d.kb, d.wave, d.kb * d.wave, d.age])
    g = (d.family_id.to_numpy(), (d.family_id * 10 + d.child).to_numpy())
    return d.y.to_numpy(float), X, g


@pytest.mark.parametrize("reml", [True, False])
@pytest.mark.parametrize("slope", [False, True])
def test_analytic_gradient_matches_finite_differences(reml, slope):
    d = simulate(80, seed=1)
    y, X, g = _arrays(d)
    s = build_structure(y, X, g, slope=d.wave.to_numpy(float), slope_levels=(0,) if slope else ())
    w = np.random.default_rng(2).uniform(0.5, 2.0, s.n_groups[0])
    theta = np.array([0.8, 0.1, 0.3, 0.6]) if slope else np.array([0.8, 0.6])
    grad = evaluate(theta, s, w, reml=reml, gradient=True).gradient
    num = np.empty_like(theta)
    for j in range(theta.size):
        e = np.zeros_like(theta)
        e[j] = 1e-6
        num[j] = (evaluate(theta + e, s, w, reml=reml).deviance
                  - evaluate(theta - e, s, w, reml=reml).deviance) / 2e-6
    np.testing.assert_allclose(grad, num, rtol=1e-5, atol=1e-5)


def test_integer_family_weights_equal_duplicating_families():
    d = simulate(120, seed=3)
    fam_w = pd.Series(np.random.default_rng(4).integers(1, 4, 120), index=range(120))
    dup = pd.concat(
        [d[d.family_id == f].assign(family_id=f * 100 + k) for f in range(120)
         for k in range(int(fam_w[f]))],
        ignore_index=True,
    )
    weighted = mixed("y ~ kb * wave + age", d, groups=("family_id", "child"), weights=fam_w,
                     reml=False)
    copied = mixed("y ~ kb * wave + age", dup, groups=("family_id", "child"), reml=False,
                   vcov="model")
    np.testing.assert_allclose(weighted.params, copied.params, rtol=1e-6)
    np.testing.assert_allclose(weighted.variance_components["variance"],
                               copied.variance_components["variance"], rtol=1e-5)
    assert weighted.loglik == pytest.approx(copied.loglik, rel=1e-9)


@pytest.mark.parametrize("reml", [True, False])
def test_single_level_matches_statsmodels_mixedlm(reml):
    d = simulate(150, seed=5)
    sm = smf.mixedlm("y ~ kb * wave + age", d, groups="family_id").fit(reml=reml)
    res = mixed("y ~ kb * wave + age", d, groups="family_id", reml=reml)
    names = list(sm.fe_params.index)
    np.testing.assert_allclose(res.params[names], sm.fe_params, rtol=1e-5)
    # statsmodels inverts the observed Hessian of all parameters (fixed and variance), lme4
    # and kbeffect use sigma^2 (X'V^-1 X)^-1 (tested against lme4 to 1e-4): close, not equal.
    np.testing.assert_allclose(res.bse[names], sm.bse_fe, rtol=5e-3)
    assert res.loglik == pytest.approx(sm.llf, abs=1e-4)
    vc = res.variance_components.set_index("level")["variance"]
    assert vc["family_id"] == pytest.approx(float(sm.cov_re.iloc[0, 0]), rel=1e-4)
    assert vc["Residual"] == pytest.approx(sm.scale, rel=1e-4)


def test_crossed_levels_within_family_match_statsmodels_variance_components():
    """Child and reporter crossed within family: statsmodels vc_formula fits the same model."""
    d = simulate(150, seed=6, reporters=True)
    sm = smf.mixedlm("y ~ kb * wave + age", d, groups="family_id", re_formula="1",
                     vc_formula={"child": "0 + C(child)", "reporter": "0 + C(reporter)"}
                     ).fit(reml=True)
    res = mixed("y ~ kb * wave + age", d, groups=("family_id", "child", "reporter"))
    np.testing.assert_allclose(res.params[list(sm.fe_params.index)], sm.fe_params, rtol=1e-4)
    assert res.loglik == pytest.approx(sm.llf, abs=1e-3)
    vc = res.variance_components.set_index("level")["variance"]
    sm_vc = dict(zip(sm.model.exog_vc.names, sm.vcomp, strict=True))
    assert vc["child"] == pytest.approx(sm_vc["child"], rel=1e-3)
    assert vc["reporter"] == pytest.approx(sm_vc["reporter"], rel=1e-3)
    assert vc["family_id"] == pytest.approx(float(sm.cov_re.iloc[0, 0]), rel=1e-3)


def test_singular_fit_warns_with_advice():
    """No child-level variance in the truth: some draws estimate it at exactly zero."""
    for seed in range(30):
        d = simulate(150, seed=seed, sd_child=0.0)
        fit = fit_lmm(*_arrays(d), level_names=("family_id", "child"))
        if fit.singular:
            break
    else:
        pytest.fail("no singular fit in 30 draws without child variance")
    assert fit.re_sd["child"] < 1e-3 * fit.re_sd["family_id"]
    with pytest.warns(ConvergenceWarning, match="singular fit"):
        mixed("y ~ kb * wave + age", d, groups=("family_id", "child"))


def test_non_convergence_is_reported_not_silent():
    d = simulate(60, seed=8)
    y, X, g = _arrays(d)
    fit = fit_lmm(y, X, g, maxiter=1)
    assert not fit.converged
    assert "projected gradient" in fit.message


@pytest.mark.slow
def test_order_effect_is_unbiased_under_mar_dropout_when_the_model_is_right():
    """Correct model (family slope, child intercept): kb:wave unbiased under MAR dropout.

    The completers-only change-score contrast on the same data is biased.
    """
    n_rep = 60 if kbeffect_study_size() == "full" else 15
    est, se, comp = [], [], []
    for r in range(n_rep):
        d = simulate(400, seed=100 + r, effect=-0.4, drop=0.1, mar=1.0)
        with warnings.catch_warnings():  # a few draws put the slope correlation at +-1
            warnings.simplefilter("ignore", ConvergenceWarning)
            res = mixed("y ~ kb * wave + age", d, groups=("family_id", "child"),
                        random_slope="wave")
        est.append(res.params["kb:wave"])
        se.append(res.bse["kb:wave"])
        wide = d.pivot_table(index=["family_id", "child", "kb"], columns="wave",
                             values="y").dropna().reset_index()
        comp.append(smf.ols("d ~ kb", wide.assign(d=wide[2] - wide[0])).fit().params["kb"] / 2)
    est, comp = np.asarray(est), np.asarray(comp)
    mc_se = est.std(ddof=1) / np.sqrt(n_rep)
    assert abs(est.mean() + 0.4) < 3.5 * mc_se
    assert np.mean(se) == pytest.approx(est.std(ddof=1), rel=0.4)
    assert comp.mean() + 0.4 > 3.5 * comp.std(ddof=1) / np.sqrt(n_rep)


@pytest.mark.parametrize("reml", [True, False])
def test_varpar_gradient_and_hessian_match_finite_differences(reml):
    from kbeffect.models.mixed.lmm_deviance import varpar_deviance, varpar_gradient
    from kbeffect.models.mixed.lmm_inference import jacobian_of_gradient, numerical_hessian

    d = simulate(80, seed=11)
    y, X, g = _arrays(d)
    s = build_structure(y, X, g, slope=d.wave.to_numpy(float), slope_levels=(0,))
    w = np.ones(s.n_groups[0])
    vp = np.array([0.8, 0.1, 0.3, 0.6, 1.1])
    num = np.array([(varpar_deviance(vp + e, s, w, reml) - varpar_deviance(vp - e, s, w, reml))
                    / 2e-6 for e in np.eye(5) * 1e-6])
    np.testing.assert_allclose(varpar_gradient(vp, s, w, reml), num, rtol=1e-5, atol=1e-4)
    H1 = jacobian_of_gradient(lambda v: varpar_gradient(v, s, w, reml), vp)
    H2 = numerical_hessian(lambda v: varpar_deviance(v, s, w, reml), vp)
    np.testing.assert_allclose(H1, H2, rtol=1e-4, atol=1e-3)
