"""Ground truth: the count and ordinal GLMM kernels recover known parameters.

Data are simulated here from the models themselves (family intercepts, child intercepts,
T2 exposure of half a year). The slow studies repeat this over replicates and check that the
mean estimate is within Monte Carlo error of the truth and that 95% intervals cover;
``KBEFFECT_STUDY_SIZE=full`` runs them at the study's size (1,325 families).
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import expit

from conftest import kbeffect_study_size
from kbeffect.models.mixed.clmm import fit_clmm
from kbeffect.models.mixed.glmm import fit_glmm

BETA = np.array([1.0, 0.3, -0.2, -0.5, -0.1, -0.4])  # 1, order, w1, w2, order:w1, order:w2
THETA, SD_F, SD_C = 1.5, 0.6, 0.4


def simulate(G: int, rng: np.random.Generator, *, children: bool = False):
    """Three waves per family (15% missing after T0), optional 1-2 children per family."""
    nkid = 1 + (rng.random(G) < 0.6) if children else np.ones(G, dtype=int)
    fam = np.repeat(np.arange(G), 3 * nkid)
    kid = np.concatenate([np.repeat(np.arange(k), 3) for k in nkid])
    wave = np.concatenate([np.tile([0, 1, 2], k) for k in nkid])
    keep = (wave == 0) | (rng.random(wave.shape[0]) > 0.15)
    fam, kid, wave = fam[keep], kid[keep], wave[keep]
    order = rng.binomial(1, 0.4, G)[fam]
    w1, w2 = (wave == 1).astype(float), (wave == 2).astype(float)
    X = np.column_stack([np.ones(fam.shape[0]), order, w1, w2, order * w1, order * w2])
    off = np.log(np.where(wave == 2, 0.5, 1.0))
    u = rng.normal(0, SD_F, G)[fam]
    if children:
        u = u + rng.normal(0, SD_C, (G, 2))[fam, kid]
    mu = np.exp(X @ BETA + off + u)
    y = rng.negative_binomial(THETA, THETA / (THETA + mu)).astype(float)
    return y, X, fam, kid, off, u


def _truth_vector(children: bool) -> np.ndarray:
    sds = [SD_F, SD_C] if children else [SD_F]
    return np.r_[BETA, np.log(THETA), np.log(sds)]


def test_large_cohort_recovers_truth() -> None:
    rng = np.random.default_rng(20260522)
    y, X, fam, _, off, _ = simulate(1325, rng)
    fit = fit_glmm(y, X, (fam,), family="negbin", offset=off)
    z = (fit.theta - _truth_vector(False)) / np.sqrt(np.diag(fit.cov_theta))
    assert np.all(np.abs(z) < 4.0), z
    assert fit.converged


def _study(children: bool, n_rep: int, G: int) -> None:
    rng = np.random.default_rng(7 if children else 5)
    truth = _truth_vector(children)
    est, cover = [], []
    for _ in range(n_rep):
        y, X, fam, kid, off, _ = simulate(G, rng, children=children)
        groups = (fam, kid) if children else (fam,)
        fit = fit_glmm(y, X, groups, family="negbin", offset=off)
        se = np.sqrt(np.diag(fit.cov_theta))
        est.append(fit.theta)
        cover.append(np.abs(fit.theta - truth) < 1.96 * se)
    est_a = np.array(est)
    mc_se = est_a.std(axis=0, ddof=1) / np.sqrt(n_rep)
    # fixed effects and log(theta): unbiased within Monte Carlo error (ML bias is O(1/G))
    z = (est_a.mean(axis=0) - truth) / mc_se
    assert np.all(np.abs(z[:7]) < 3.5), z
    # the order x T2 effect, the estimand of interest: coverage of the 95% interval
    cov_rate = np.mean(np.array(cover)[:, 5])
    assert cov_rate >= (0.8 if n_rep < 50 else 0.92), cov_rate
    # random-effect SDs: ML shrinks them slightly; within 10% of the truth on average
    np.testing.assert_allclose(np.exp(est_a[:, 7:].mean(axis=0)), np.exp(truth[7:]), rtol=0.1)


@pytest.mark.slow
def test_nb_family_intercept_study() -> None:
    full = kbeffect_study_size() == "full"
    _study(False, n_rep=200 if full else 20, G=1325 if full else 300)


@pytest.mark.slow
def test_nb_family_child_intercept_study() -> None:
    full = kbeffect_study_size() == "full"
    _study(True, n_rep=200 if full else 20, G=1325 if full else 300)


@pytest.mark.slow
def test_ordinal_family_intercept_study() -> None:
    full = kbeffect_study_size() == "full"
    n_rep, G = (200, 1325) if full else (20, 300)
    rng = np.random.default_rng(11)
    beta = np.array([0.8, -0.2, -0.6, -0.1, -0.5])
    alpha = np.array([-0.3, 1.2])
    est = []
    for _ in range(n_rep):
        _, X, fam, _, _, u = simulate(G, rng)
        Xo = X[:, 1:]
        lat = Xo @ beta + u / SD_F + rng.logistic(size=X.shape[0])
        y = np.searchsorted(alpha, lat)
        fit = fit_clmm(y, Xo, (fam,))
        est.append(fit.theta)
    est_a = np.array(est)
    truth = np.r_[alpha, beta, 0.0]
    mc_se = est_a.std(axis=0, ddof=1) / np.sqrt(n_rep)
    z = (est_a.mean(axis=0)[:-1] - truth[:-1]) / mc_se[:-1]
    assert np.all(np.abs(z) < 3.5), z
    np.testing.assert_allclose(np.exp(est_a[:, -1].mean()), 1.0, rtol=0.1)


@pytest.mark.slow
def test_family_weights_correct_informative_selection() -> None:
    """Families with a high latent violence level are over-sampled (selection on u_j).

    The unweighted fit is biased; the family-level pseudo-likelihood with inverse selection
    probabilities recovers the population parameters, and its sandwich intervals cover.
    """
    full = kbeffect_study_size() == "full"
    n_rep, G_pop = (200, 4000) if full else (20, 1500)
    rng = np.random.default_rng(13)
    beta = np.array([1.0, 0.3, -0.5])
    truth = np.r_[beta, np.log(THETA), np.log(SD_F)]
    w_est, u_est, cover = [], [], []
    for _ in range(n_rep):
        order = rng.binomial(1, 0.4, G_pop)
        u = rng.normal(0, SD_F, G_pop)
        p_sel = expit(-0.8 + 1.5 * u / SD_F)
        sel = np.flatnonzero(rng.random(G_pop) < p_sel)
        fam = np.repeat(np.arange(sel.shape[0]), 3)
        wave = np.tile([0, 1, 2], sel.shape[0])
        X = np.column_stack([np.ones(fam.shape[0]), order[sel][fam], wave == 2]).astype(float)
        off = np.log(np.where(wave == 2, 0.5, 1.0))
        mu = np.exp(X @ beta + off + u[sel][fam])
        y = rng.negative_binomial(THETA, THETA / (THETA + mu)).astype(float)
        fw = fit_glmm(y, X, (fam,), family="negbin", offset=off, weights=1.0 / p_sel[sel])
        fu = fit_glmm(y, X, (fam,), family="negbin", offset=off)
        w_est.append(fw.theta)
        u_est.append(fu.theta)
        se = np.sqrt(np.diag(fw.cov_theta_robust))
        cover.append(np.abs(fw.theta - truth) < 1.96 * se)
    w_a, u_a = np.array(w_est), np.array(u_est)
    mc = w_a.std(axis=0, ddof=1) / np.sqrt(n_rep)
    z_w = (w_a.mean(axis=0) - truth) / mc
    z_u = (u_a.mean(axis=0) - truth) / (u_a.std(axis=0, ddof=1) / np.sqrt(n_rep))
    assert np.all(np.abs(z_w[:4]) < 3.5), z_w
    assert z_u[0] > 5.0, z_u  # the unweighted intercept is biased upwards
    assert np.mean(np.array(cover)[:, 0]) >= (0.8 if n_rep < 50 else 0.92)
    np.testing.assert_allclose(np.exp(w_a[:, -1].mean()), SD_F, rtol=0.1)
