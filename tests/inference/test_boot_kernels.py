"""Every batched replicate equals the unbatched fit on the explicitly resampled data."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from kbeffect.inference.bootstrap import kernels as K
from kbeffect.inference.bootstrap import replicate_weights
from kbeffect.inference.bootstrap.estimators import WLS, IPWDiD, PairDifference

TOL = 1e-10


@pytest.fixture(scope="module")
def fam() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    n = 120
    x1, x2 = rng.normal(size=n), rng.binomial(1, 0.4, n)
    d = rng.binomial(1, 1 / (1 + np.exp(-(-0.3 + 0.8 * x1 + 0.5 * x2))))
    y0 = x1 + rng.normal(size=n)
    y2 = y0 + 0.4 * d + 0.3 * x1 + rng.normal(size=n)
    return pd.DataFrame({"fid": np.arange(n), "d": d, "x1": x1, "x2": x2, "y0": y0, "y2": y2})


@pytest.fixture(scope="module")
def kids() -> pd.DataFrame:
    rng = np.random.default_rng(8)
    G = 50
    sizes = rng.integers(1, 4, G)
    fid = np.repeat(np.arange(G), sizes)
    u = rng.normal(size=G)[fid]
    x = rng.normal(size=fid.size)
    g = rng.binomial(1, 0.5, G)[fid]
    y = 1 + 0.5 * x - 0.7 * g + u + rng.normal(size=fid.size)
    a = rng.uniform(0.5, 2.0, fid.size)
    return pd.DataFrame({"fid": fid, "x": x, "g": g, "y": y, "a": a})


def _resample_rows(codes: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows of the resample (cluster drawn k times -> its rows k times) and new cluster ids."""
    rows, ids, nxt = [], [], 0
    for g, k in enumerate(w.astype(int)):
        members = np.flatnonzero(codes == g)
        for _ in range(k):
            rows.append(members)
            ids.append(np.full(members.size, nxt))
            nxt += 1
    return np.concatenate(rows), np.concatenate(ids)


def test_logit_batched_equals_statsmodels_on_resamples(fam: pd.DataFrame) -> None:
    X = sm.add_constant(fam[["x1", "x2"]].to_numpy())
    d = fam["d"].to_numpy(float)
    W = replicate_weights("multinomial", len(fam), 15, seed=1)
    fit = K.logit_irls_batched(X, d, W)
    assert fit.converged.all()
    for b in range(W.shape[0]):
        idx = np.repeat(np.arange(len(fam)), W[b].astype(int))
        ref = sm.Logit(d[idx], X[idx]).fit(method="newton", tol=1e-14, maxiter=100, disp=0)
        np.testing.assert_allclose(fit.beta[b], ref.params, rtol=0, atol=TOL)


def test_logit_batched_bayesian_weights_equal_glm_freq_weights(fam: pd.DataFrame) -> None:
    X = sm.add_constant(fam[["x1", "x2"]].to_numpy())
    d = fam["d"].to_numpy(float)
    W = replicate_weights("bayesian", len(fam), 5, seed=2)
    fit = K.logit_irls_batched(X, d, W)
    for b in range(W.shape[0]):
        ref = sm.GLM(d, X, family=sm.families.Binomial(), freq_weights=W[b]).fit(
            tol=1e-15, maxiter=200
        )
        np.testing.assert_allclose(fit.beta[b], ref.params, rtol=0, atol=TOL)


def test_logit_flags_separation() -> None:
    X = np.column_stack([np.ones(8), np.arange(8.0)])
    d = (np.arange(8) >= 4).astype(float)
    fit = K.logit_irls_batched(X, d, np.ones((1, 8)), max_iter=30)
    assert not fit.converged[0]
    assert np.isnan(fit.beta[0]).all()


@pytest.mark.parametrize("estimand", ["att", "ate", "ato"])
def test_ipw_did_replicates_equal_refit_on_resamples(fam: pd.DataFrame, estimand: Any) -> None:
    spec = IPWDiD(treatment="d", covariates=("x1", "x2"), outcome_pre="y0", outcome_post="y2",
                  estimand=estimand)
    prep = spec.prepare(fam, "fid")
    W = replicate_weights("multinomial", len(fam), 12, seed=3)
    got = prep.run(W, "multinomial").theta[:, 0]
    X = sm.add_constant(fam[["x1", "x2"]].to_numpy())
    d = fam["d"].to_numpy(float)
    delta = (fam["y2"] - fam["y0"]).to_numpy()
    for b in range(W.shape[0]):
        idx = np.repeat(np.arange(len(fam)), W[b].astype(int))
        ps = sm.Logit(d[idx], X[idx]).fit(method="newton", tol=1e-14, disp=0).predict(X[idx])
        dd = d[idx]
        w = {"att": np.where(dd == 1, 1, ps / (1 - ps)),
             "ate": np.where(dd == 1, 1 / ps, 1 / (1 - ps)),
             "ato": np.where(dd == 1, 1 - ps, ps)}[estimand]
        # weighted DiD = coefficient of d in WLS of the change score on d
        ref = sm.WLS(delta[idx], sm.add_constant(dd), weights=w).fit().params[1]
        assert got[b] == pytest.approx(ref, abs=TOL)


def test_wls_replicates_and_cluster_se_equal_statsmodels(kids: pd.DataFrame) -> None:
    prep = WLS("y ~ x + g", weights="a").prepare(kids, "fid")
    codes = kids["fid"].to_numpy()
    W = replicate_weights("multinomial", prep.n_clusters, 10, seed=4)
    out = prep.run(W, "multinomial")
    X = sm.add_constant(kids[["x", "g"]].to_numpy())
    y, a = kids["y"].to_numpy(), kids["a"].to_numpy()
    for b in range(W.shape[0]):
        rows, cl = _resample_rows(codes, W[b])
        ref = sm.WLS(y[rows], X[rows], weights=a[rows]).fit(
            cov_type="cluster", cov_kwds={"groups": cl}
        )
        np.testing.assert_allclose(out.theta[b], ref.params, rtol=0, atol=TOL)
        assert out.se is not None
        np.testing.assert_allclose(out.se[b], ref.bse, rtol=1e-10)
    point = prep.point()
    ref0 = sm.WLS(y, X, weights=a).fit(cov_type="cluster", cov_kwds={"groups": codes})
    np.testing.assert_allclose(point.theta[0], ref0.params, atol=TOL)
    assert point.se is not None
    np.testing.assert_allclose(point.se[0], ref0.bse, rtol=1e-10)


def test_wls_bayesian_weights_equal_statsmodels(kids: pd.DataFrame) -> None:
    prep = WLS("y ~ x + g").prepare(kids, "fid")
    codes = kids["fid"].to_numpy()
    W = replicate_weights("bayesian", prep.n_clusters, 5, seed=5)
    out = prep.run(W, "bayesian")
    X = sm.add_constant(kids[["x", "g"]].to_numpy())
    for b in range(W.shape[0]):
        ref = sm.WLS(kids["y"].to_numpy(), X, weights=W[b][codes]).fit()
        np.testing.assert_allclose(out.theta[b], ref.params, rtol=0, atol=TOL)


@pytest.mark.parametrize("kind", ["rademacher", "webb"])
def test_wild_replicates_equal_refit_on_perturbed_outcome(kids: pd.DataFrame, kind: Any) -> None:
    prep = WLS("y ~ x + g", weights="a").prepare(kids, "fid")
    codes = kids["fid"].to_numpy()
    V = replicate_weights(kind, prep.n_clusters, 8, seed=6)
    out = prep.run(V, kind)
    X = sm.add_constant(kids[["x", "g"]].to_numpy())
    y, a = kids["y"].to_numpy(), kids["a"].to_numpy()
    full = sm.WLS(y, X, weights=a).fit()
    for b in range(V.shape[0]):
        ystar = full.fittedvalues + V[b][codes] * full.resid
        ref = sm.WLS(ystar, X, weights=a).fit(cov_type="cluster", cov_kwds={"groups": codes})
        np.testing.assert_allclose(out.theta[b], ref.params, rtol=0, atol=TOL)
        assert out.se is not None
        np.testing.assert_allclose(out.se[b], ref.bse, rtol=1e-10)


def test_wild_multipliers_have_unit_variance() -> None:
    for kind in ("rademacher", "webb"):
        V = replicate_weights(kind, 400, 200, seed=9)
        assert abs(V.mean()) < 0.01 and abs(V.var() - 1) < 0.01
    assert set(np.unique(replicate_weights("rademacher", 10, 64, seed=1))) == {-1.0, 1.0}
    assert np.unique(replicate_weights("webb", 30, 64, seed=1)).size == 6


def test_pair_difference_equals_resampled_pair_means() -> None:
    rng = np.random.default_rng(10)
    P = 30
    pairs = pd.DataFrame({
        "pair": np.repeat(np.arange(P), 3),
        "t": np.tile([1, 0, 0], P),  # 1:2 matching: controls of a pair are averaged
        "y": rng.normal(size=3 * P),
    })
    prep = PairDifference("pair", "t", "y").prepare(pairs, "pair")
    diff = (pairs[pairs.t == 1].groupby("pair").y.mean()
            - pairs[pairs.t == 0].groupby("pair").y.mean()).to_numpy()
    W = replicate_weights("multinomial", P, 10, seed=11)
    out = prep.run(W, "multinomial")
    for b in range(W.shape[0]):
        idx = np.repeat(np.arange(P), W[b].astype(int))
        ref = sm.OLS(diff[idx], np.ones(idx.size)).fit(
            cov_type="cluster", cov_kwds={"groups": np.arange(idx.size)}
        )
        assert out.theta[b, 0] == pytest.approx(ref.params[0], abs=TOL)
        assert out.se is not None
        assert out.se[b, 0] == pytest.approx(ref.bse[0], rel=1e-10)


def test_cluster_sums_aggregate(kids: pd.DataFrame) -> None:
    X = sm.add_constant(kids[["x"]].to_numpy())
    codes = kids["fid"].to_numpy()
    s = K.cluster_sums(X, kids["y"].to_numpy(), codes, 50)
    g = 3
    Xg = X[codes == g]
    np.testing.assert_allclose(s.xtx[g], Xg.T @ Xg)
    np.testing.assert_allclose(s.nobs.sum(), len(kids))
