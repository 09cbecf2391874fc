"""Internal checks of the GLMM kernels: derivatives, quadrature, weights, prediction, warnings."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, stats
from scipy.special import expit

from kbeffect.errors import ConvergenceWarning, SpecificationError
from kbeffect.models.mixed.api import mixed
from kbeffect.models.mixed.families import COUNT_FAMILIES, CountFamily, OrdinalFamily
from kbeffect.models.mixed.glmm import fit_glmm, predict_mu
from kbeffect.models.mixed.glmm_laplace import nested_laplace_objective
from kbeffect.models.mixed.quadrature import GroupLayout, aghq_objective

ZERO_PART = ("zip", "zinb", "hurdle_poisson", "hurdle_negbin")


def _phi(name: str) -> np.ndarray:
    phi = [0.3] if name in ("negbin", "zinb", "hurdle_negbin") else []
    if name in ZERO_PART:
        phi += [-0.5, 0.4]
    return np.array(phi, dtype=float)


def _family(name: str, y: np.ndarray, Z: np.ndarray):
    if name == "ordinal":
        fam = OrdinalFamily(np.minimum(y, 3).astype(int), 4)
        fam.set_params(np.array([-1.0, 0.2, 1.5]))
        return fam, np.array([-1.0, 0.2, 1.5])
    fam = CountFamily(name, y, Z if name in ZERO_PART else None)
    fam.set_params(_phi(name))
    return fam, _phi(name)


@pytest.fixture(scope="module")
def small():
    rng = np.random.default_rng(2)
    G = 30
    g = np.repeat(np.arange(G), 4)
    child = np.tile([0, 0, 1, 1], G)
    n = g.shape[0]
    X = np.column_stack([np.ones(n), rng.normal(size=n)])
    y = rng.poisson(np.exp(0.3 + 0.5 * X[:, 1] + rng.normal(0, 0.7, G)[g])).astype(float)
    y[:8] = 0
    Z = np.column_stack([np.ones(n), rng.normal(size=n)])
    off = np.log(rng.choice([0.5, 1.0], n))
    return g, child, X, y, Z, off


@pytest.mark.parametrize("name", [*COUNT_FAMILIES, "ordinal"])
def test_family_derivatives_match_finite_differences(small, name) -> None:
    _, _, X, y, Z, _ = small
    eta = 0.2 + 0.5 * X[:, 1]
    fam, phi = _family(name, y, Z)
    _, l1, l2, l3, E, E1, E2 = fam.evaluate(eta, 3)
    h = 1e-5
    for k, lk in enumerate((l1, l2, l3)):
        up = fam.evaluate(eta + h, 2)[k] if k < 2 else fam.evaluate(eta + h, 2)[2]
        dn = fam.evaluate(eta - h, 2)[k] if k < 2 else fam.evaluate(eta - h, 2)[2]
        np.testing.assert_allclose(lk, (up - dn) / (2 * h), atol=2e-6)
    for M, k in ((fam.expand(E), 0), (fam.expand(E1), 1), (fam.expand(E2), 2)):
        for j in range(phi.shape[0]):
            d = np.zeros_like(phi)
            d[j] = h
            fam.set_params(phi + d)
            up = fam.evaluate(eta, 3)[k]
            fam.set_params(phi - d)
            dn = fam.evaluate(eta, 3)[k]
            fam.set_params(phi)
            np.testing.assert_allclose(M[:, j], (up - dn) / (2 * h), atol=2e-6)


def test_count_densities_match_scipy_and_normalise() -> None:
    y = np.arange(0, 200, dtype=float)
    eta = np.full(y.shape, np.log(3.0))
    th = np.exp(0.3)
    ref = {
        "poisson": stats.poisson.logpmf(y, 3.0),
        "negbin": stats.nbinom.logpmf(y, th, th / (th + 3.0)),
    }
    for name, expected in ref.items():
        fam = CountFamily(name, y)
        fam.set_params(_phi(name))
        np.testing.assert_allclose(fam.evaluate(eta, 0)[0], expected, rtol=1e-10, atol=1e-10)
    pi = expit(-0.5)
    for name in ZERO_PART:
        fam = CountFamily(name, y, np.ones((y.shape[0], 1)))
        fam.set_params(np.r_[_phi(name)[:-2], -0.5])
        p = np.exp(fam.evaluate(eta, 0)[0])
        np.testing.assert_allclose(p.sum(), 1.0, rtol=1e-10)
        p0 = (
            p[0]
            if name.startswith("hurdle")
            else p[0] - (1 - pi) * np.exp(ref["negbin" if name == "zinb" else "poisson"][0])
        )
        np.testing.assert_allclose(p0, pi, rtol=1e-10)
        mean = CountFamily(name, y, np.ones((1, 1))).mean(
            np.log(3.0), np.array([-0.5]), th if name in ("zinb", "hurdle_negbin") else None
        )
        np.testing.assert_allclose(mean, (p * y).sum(), rtol=1e-8)


@pytest.mark.parametrize("name", [*COUNT_FAMILIES, "ordinal"])
@pytest.mark.parametrize("levels", [1, 2])
def test_objective_gradient_is_exact(small, name, levels) -> None:
    g, child, X, y, Z, off = small
    lay = GroupLayout.build((g,) if levels == 1 else (g, child))
    o = lay.order
    fam, phi = _family(name, y[o], Z[o])
    Xs = X[o][:, 1:] if name == "ordinal" else X[o]
    beta = [0.5] if name == "ordinal" else [0.2, 0.4]
    theta = np.r_[beta, phi, [np.log(0.6)] * levels]
    obj = aghq_objective if levels == 1 else nested_laplace_objective
    for n_agq in (1, 5) if levels == 1 else (1,):
        state = {"u": np.zeros(30), "uc": np.zeros(60)}
        _, S = obj(theta, fam, Xs, off[o], lay, n_agq, state)
        num = []
        for k in range(theta.shape[0]):
            e = np.zeros_like(theta)
            e[k] = 1e-6
            up = obj(theta + e, fam, Xs, off[o], lay, n_agq, state)[0].sum()
            dn = obj(theta - e, fam, Xs, off[o], lay, n_agq, state)[0].sum()
            num.append((up - dn) / 2e-6)
        np.testing.assert_allclose(S.sum(axis=0), num, atol=5e-5, rtol=1e-6)


def test_aghq_converges_to_numerical_integral(small) -> None:
    g, _, X, y, _, off = small
    lay = GroupLayout.build((g,))
    o = lay.order
    fam = CountFamily("negbin", y[o])
    theta = np.array([0.2, 0.4, 0.3, np.log(0.9)])
    Q, _ = aghq_objective(theta, fam, X[o], off[o], lay, 25, {"u": np.zeros(30)})
    Qlap, _ = aghq_objective(theta, fam, X[o], off[o], lay, 1, {"u": np.zeros(30)})
    th, sd = np.exp(0.3), 0.9
    for j in (0, 7, 19):
        rows = np.flatnonzero(g == j)
        mu0 = np.exp(X[rows] @ theta[:2] + off[rows])

        def integrand(u, rows=rows, mu0=mu0):
            mu = mu0 * np.exp(u)
            return np.prod(stats.nbinom.pmf(y[rows], th, th / (th + mu))) * stats.norm.pdf(u, 0, sd)

        val, _ = integrate.quad(integrand, -8, 8, epsabs=0, epsrel=1e-12, limit=200)
        np.testing.assert_allclose(Q[j], np.log(val), rtol=0, atol=1e-9)
        assert abs(Qlap[j] - np.log(val)) > 1e-6  # Laplace is an approximation


def _nb_cohort(G: int, seed: int, sd: float = 0.6, theta: float = 2.0):
    rng = np.random.default_rng(seed)
    g = np.repeat(np.arange(G), 3)
    wave = np.tile([0, 1, 2], G)
    order = rng.binomial(1, 0.4, G)[g]
    X = np.column_stack([np.ones(3 * G), order, wave == 2, order * (wave == 2)]).astype(float)
    off = np.log(np.where(wave == 2, 0.5, 1.0))
    eta = X @ np.array([1.0, 0.3, -0.3, -0.4]) + off + rng.normal(0, sd, G)[g]
    mu = np.exp(eta)
    y = rng.negative_binomial(theta, theta / (theta + mu)).astype(float)
    return y, X, g, off


def test_integer_weights_equal_duplicated_families() -> None:
    y, X, g, off = _nb_cohort(80, 3)
    w = np.ones(80)
    w[:10] = 2.0
    fw = fit_glmm(y, X, (g,), family="negbin", offset=off, weights=w)
    dup = g < 10
    yd = np.r_[y, y[dup]]
    Xd = np.r_[X, X[dup]]
    gd = np.r_[g, g[dup] + 1000]
    fd = fit_glmm(yd, Xd, (gd,), family="negbin", offset=np.r_[off, off[dup]])
    np.testing.assert_allclose(fw.params, fd.params, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(fw.re_sd["family"], fd.re_sd["family"], rtol=1e-6)
    np.testing.assert_allclose(fw.loglik, fd.loglik, rtol=1e-10)
    np.testing.assert_allclose(fw.cov_params, fd.cov_params, rtol=1e-4, atol=1e-10)
    # scaling all weights changes neither the estimate nor the sandwich
    fs = fit_glmm(y, X, (g,), family="negbin", offset=off, weights=3.0 * w)
    np.testing.assert_allclose(fs.params, fw.params, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(fs.cov_robust, fw.cov_robust, rtol=1e-4, atol=1e-10)
    np.testing.assert_allclose(fs.loglik, 3.0 * fw.loglik, rtol=1e-10)


def test_sandwich_close_to_model_based_when_model_is_right() -> None:
    y, X, g, off = _nb_cohort(1000, 4)
    fit = fit_glmm(y, X, (g,), family="negbin", offset=off)
    ratio = np.sqrt(np.diag(fit.cov_robust)) / fit.std_errors
    assert np.all(np.abs(ratio - 1.0) < 0.15), ratio
    # under a misspecified Poisson model the sandwich is wider than the model-based SEs
    # for the within-family (wave) effects, which the family intercept does not protect
    fp = fit_glmm(y, X, (g,), family="poisson", offset=off)
    ratio = np.sqrt(np.diag(fp.cov_robust)) / fp.std_errors
    assert np.all(ratio[2:] > 1.2), ratio


def test_row_order_and_codes_do_not_matter() -> None:
    y, X, g, off = _nb_cohort(60, 5)
    f1 = fit_glmm(y, X, (g,), family="negbin", offset=off)
    perm = np.random.default_rng(0).permutation(y.shape[0])
    f2 = fit_glmm(y[perm], X[perm], (g[perm] * 7 + 100,), family="negbin", offset=off[perm])
    np.testing.assert_allclose(f1.params, f2.params, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(f1.ranef["family"], f2.ranef["family"], rtol=1e-6, atol=1e-8)
    assert f1.ranef["family"].shape == (60,)


def test_predict_mu_conditional_and_marginal() -> None:
    y, X, g, off = _nb_cohort(200, 6)
    fit = fit_glmm(y, X, (g,), family="negbin", offset=off)
    cond = predict_mu(fit, X[:6], off[:6])
    np.testing.assert_allclose(cond, np.exp(X[:6] @ fit.params[:4] + off[:6]))
    marg = fit.predict_mu(X[:6], off[:6], kind="marginal")
    np.testing.assert_allclose(marg, cond * np.exp(fit.re_sd["family"] ** 2 / 2), rtol=1e-10)
    yh = y.copy()
    yh[np.random.default_rng(1).random(y.shape[0]) < 0.3] = 0
    fh = fit_glmm(yh, X, (g,), family="hurdle_negbin", offset=off)
    mh = predict_mu(fh, X[:2], off[:2], kind="marginal")
    u = np.random.default_rng(2).normal(0, fh.re_sd["family"], 400_000)
    th, pi = np.exp(fh.params[4]), expit(fh.params[5])
    mu = np.exp(X[0] @ fh.params[:4] + off[0] + u)
    f0 = (th / (th + mu)) ** th
    np.testing.assert_allclose(mh[0], np.mean((1 - pi) * mu / (1 - f0)), rtol=5e-3)


def _warns(match: str):
    return pytest.warns(ConvergenceWarning, match=match)


def test_convergence_problems_warn_with_advice() -> None:
    y, X, g, off = _nb_cohort(150, 7)
    ys = y.copy()
    ys[X[:, 1] == 1] = 0  # an all-zero cell: its coefficient diverges
    with _warns("separation"):
        fit = fit_glmm(ys, X, (g,), family="poisson", offset=off)
    assert not fit.converged and "separation" in fit.message
    # identical counts in every family: no between-family variance at all
    gc = np.repeat(np.arange(40), 3)
    with _warns("estimated at zero"):
        fit = fit_glmm(np.full(120, 2.0), np.ones((120, 1)), (gc,), family="poisson")
    assert not fit.converged and fit.re_sd["family"] < 1e-3
    assert np.isnan(fit.cov_theta[-1, -1]) and np.isfinite(fit.cov_params[0, 0])
    rng = np.random.default_rng(8)
    yp = rng.poisson(np.exp(X @ np.array([1.0, 0.3, -0.3, -0.4]) + off)).astype(float)
    with _warns("zero-part probability"):
        fit_glmm(yp + 1.0, X, (g,), family="zip", offset=off)  # no zeros at all


def test_non_convergence_warns_exactly_once() -> None:
    # an iteration limit (optimiser failure) together with a diverging coefficient: both
    # reasons in one warning, and mixed() adds no second one
    y, X, g, off = _nb_cohort(150, 7)
    ys = y.copy()
    ys[X[:, 1] == 1] = 0
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        fit = fit_glmm(ys, X, (g,), family="poisson", offset=off, maxiter=2)
    conv = [w for w in seen if issubclass(w.category, ConvergenceWarning)]
    assert not fit.converged and len(conv) == 1
    assert "Try:" in str(conv[0].message)
    d = pd.DataFrame({"y": ys, "x": X[:, 1], "g": g})
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        mixed("y ~ x", d, groups="g", family="poisson")
    conv = [w for w in seen if issubclass(w.category, ConvergenceWarning)]
    assert len(conv) == 1 and "separation" in str(conv[0].message)


def test_nested_requires_laplace() -> None:
    y, X, g, _ = _nb_cohort(20, 9)
    with pytest.raises(SpecificationError, match="n_agq"):
        fit_glmm(y, X, (g, np.zeros_like(g)), family="poisson", n_agq=3)


def test_no_spurious_warning_on_a_clean_fit() -> None:
    y, X, g, off = _nb_cohort(200, 10)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fit = fit_glmm(y, X, (g,), family="negbin", offset=off, n_agq=7)
    assert fit.converged and fit.message == "converged"
    assert fit.param_names == ("x0", "x1", "x2", "x3", "log_theta")
    assert fit.theta_names[-1] == "log_sd:family"
    assert np.all(np.isfinite(fit.cov_theta))


def test_weights_equal_duplication_for_nested_and_ordinal() -> None:
    from kbeffect.models.mixed.clmm import fit_clmm

    rng = np.random.default_rng(12)
    G = 60
    g = np.repeat(np.arange(G), 6)
    c = np.tile([0, 0, 0, 1, 1, 1], G)
    x = rng.normal(size=g.shape[0])
    u = rng.normal(0, 0.5, G)[g] + rng.normal(0, 0.4, 2 * G)[2 * g + c]
    y = rng.poisson(np.exp(0.5 + 0.3 * x + u)).astype(float)
    X = np.column_stack([np.ones_like(x), x])
    w = np.where(np.arange(G) < 15, 2.0, 1.0)
    dup = g < 15
    gd, cd = np.r_[g, g[dup] + 1000], np.r_[c, c[dup]]
    fw = fit_glmm(y, X, (g, c), family="poisson", weights=w)
    fd = fit_glmm(np.r_[y, y[dup]], np.r_[X, X[dup]], (gd, cd), family="poisson")
    np.testing.assert_allclose(fw.theta, fd.theta, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(fw.loglik, fd.loglik, rtol=1e-10)
    yo = np.searchsorted([0.0, 1.0], 0.5 * x + u + rng.logistic(size=x.shape[0]))
    ow = fit_clmm(yo, x[:, None], (g,), weights=w)
    od = fit_clmm(np.r_[yo, yo[dup]], np.r_[x, x[dup]][:, None], (gd,))
    np.testing.assert_allclose(ow.theta, od.theta, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(ow.loglik, od.loglik, rtol=1e-10)
