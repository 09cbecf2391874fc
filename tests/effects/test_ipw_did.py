"""kbeffect.ipw_did: estimate, M-estimation sandwich SE, data handling, bootstrap."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy.special import expit

from kbeffect.effects.ipw_did import ipw_did
from kbeffect.errors import DataError, SchemaError, SpecificationError
from kbeffect.inference.bootstrap import bootstrap, replicate_weights
from kbeffect.inference.bootstrap.weights import root_seed_sequence

TRUE_EFFECT = 0.5


def _families(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x1 = rng.normal(size=n)
    inc = rng.choice(["low", "mid", "high"], size=n, p=[0.3, 0.4, 0.3])
    d = rng.binomial(1, expit(-0.4 + 0.7 * x1 + 0.6 * (inc == "low")))
    y0 = x1 + rng.normal(size=n)
    # change depends on x1 and income (confounding of the naive DiD), constant effect
    y2 = y0 + TRUE_EFFECT * d + 0.6 * x1 + 0.5 * (inc == "low") + rng.normal(size=n)
    return pd.DataFrame({"fid": np.arange(100, 100 + n), "d": d, "x1": x1, "income": inc,
                         "y0": y0, "y2": y2})


@pytest.fixture(scope="module")
def fam() -> pd.DataFrame:
    return _families(800, 3)


def _stacked_psi(theta: np.ndarray, X: np.ndarray, d: np.ndarray, delta: np.ndarray,
                 estimand: str) -> np.ndarray:
    """Independent re-statement of the estimating equations (per unit, (n, p + 2))."""
    p = X.shape[1]
    beta, mu1, mu0 = theta[:p], theta[p], theta[p + 1]
    e = expit(X @ beta)
    a1 = {"att": np.ones_like(e), "ate": 1 / e, "ato": 1 - e}[estimand]
    a0 = {"att": e / (1 - e), "ate": 1 / (1 - e), "ato": e}[estimand]
    return np.column_stack([X * (d - e)[:, None], a1 * d * (delta - mu1),
                            a0 * (1 - d) * (delta - mu0)])


@pytest.mark.parametrize("estimand", ["att", "ate", "ato"])
def test_estimate_and_sandwich_against_independent_computation(
    fam: pd.DataFrame, estimand: Any
) -> None:
    res = ipw_did(fam, treatment="d", covariates=["x1", "income"], outcome_pre="y0",
                  outcome_post="y2", estimand=estimand)
    X = np.column_stack([np.ones(len(fam)), (fam.income == "low"), (fam.income == "mid"),
                         fam.x1]).astype(float)
    d = fam["d"].to_numpy(float)
    delta = (fam.y2 - fam.y0).to_numpy()
    logit = sm.Logit(d, X).fit(method="newton", tol=1e-14, disp=0)
    # propensity model = statsmodels Logit (formulaic orders the columns as the formula)
    np.testing.assert_allclose(np.sort(res.ps_coef.to_numpy()), np.sort(logit.params), atol=1e-9)
    e = logit.predict(X)
    a = {"att": np.where(d == 1, 1, e / (1 - e)), "ate": np.where(d == 1, 1 / e, 1 / (1 - e)),
         "ato": np.where(d == 1, 1 - e, e)}[estimand]
    wls = sm.WLS(delta, sm.add_constant(d), weights=a).fit()
    assert res.estimate == pytest.approx(wls.params[1], abs=1e-10)
    # sandwich with a finite-difference Jacobian of the independent estimating equations
    theta = np.concatenate([logit.params, res.mean_change])
    k, h = theta.size, 1e-6
    A = np.empty((k, k))
    for j in range(k):
        step = np.zeros(k)
        step[j] = h
        A[:, j] = (_stacked_psi(theta + step, X, d, delta, estimand).sum(0)
                   - _stacked_psi(theta - step, X, d, delta, estimand).sum(0)) / (2 * h)
    psi = _stacked_psi(theta, X, d, delta, estimand)
    np.testing.assert_allclose(psi.sum(0), 0, atol=1e-8)
    Ainv = np.linalg.inv(A)
    V = Ainv @ (psi.T @ psi) @ Ainv.T
    c = np.zeros(k)
    c[-2:] = [1, -1]
    assert res.se == pytest.approx(np.sqrt(c @ V @ c), rel=1e-6)


def test_bootstrap_se_agrees_with_sandwich_and_truth_is_covered(fam: pd.DataFrame) -> None:
    estimand: Any
    for estimand in ("att", "ato"):
        res = ipw_did(fam, treatment="d", covariates=["x1", "income"], outcome_pre="y0",
                      outcome_post="y2", estimand=estimand)
        boot = bootstrap(res, fam, cluster="fid", B=3000, seed=21)
        # theory: both estimate the same asymptotic variance (MC error of the SE ~1.3%)
        assert boot.se.iloc[0] == pytest.approx(res.se, rel=0.07)
        assert boot.theta0[0] == pytest.approx(res.estimate, abs=1e-12)
        assert abs(res.estimate - TRUE_EFFECT) < 3.5 * res.se
    # ignoring the propensity model would be badly confounded here
    naive = (fam.y2 - fam.y0)[fam.d == 1].mean() - (fam.y2 - fam.y0)[fam.d == 0].mean()
    assert abs(naive - TRUE_EFFECT) > 4 * res.se


def test_long_frame_equals_wide(fam: pd.DataFrame) -> None:
    long = fam.melt(id_vars=["fid", "d", "x1", "income"], value_vars=["y0", "y2"],
                    var_name="wave", value_name="y")
    long["wave"] = long["wave"].map({"y0": 0, "y2": 2})
    extra = long[long.wave == 0].assign(wave=1)  # a middle wave is ignored
    long = pd.concat([long, extra]).sample(frac=1, random_state=1)
    a = ipw_did(fam, treatment="d", covariates=["x1", "income"], outcome_pre="y0",
                outcome_post="y2")
    b = ipw_did(long, treatment="d", covariates=["x1", "income"], outcome="y", wave="wave",
                unit="fid")
    assert b.estimate == pytest.approx(a.estimate, abs=1e-12)
    assert b.se == pytest.approx(a.se, rel=1e-10)
    boot_a = bootstrap(a, fam, cluster="fid", B=50, seed=1)
    boot_b = bootstrap(b, long, cluster="fid", B=50, seed=1)
    # same families (sorted by id in both) -> same replicates
    np.testing.assert_allclose(boot_a.theta, boot_b.theta, atol=1e-12)


def test_formula_covariates_and_cluster_option(fam: pd.DataFrame) -> None:
    a = ipw_did(fam, treatment="d", covariates=["x1", "income"], outcome_pre="y0",
                outcome_post="y2")
    b = ipw_did(fam, treatment="d", covariates="~ x1 + C(income)", outcome_pre="y0",
                outcome_post="y2", cluster="fid")  # every family its own cluster
    assert b.estimate == pytest.approx(a.estimate, abs=1e-12)
    assert b.se == pytest.approx(a.se, rel=1e-12)
    lo, hi = a.conf_int()
    assert lo < a.estimate < hi and a.pvalue < 0.05
    t = a.tidy()
    assert t.loc[0, "term"] == "ATT" and t.loc[0, "std_error"] == pytest.approx(a.se)
    assert "sandwich" in str(a.summary())
    assert a.plot().axes


def test_missing_values_raise_or_are_counted(fam: pd.DataFrame) -> None:
    bad = fam.copy()
    bad.loc[[0, 1], "y2"] = np.nan
    bad.loc[5, "x1"] = np.nan
    kw: dict[str, Any] = {"treatment": "d", "covariates": ["x1", "income"], "outcome_pre": "y0",
          "outcome_post": "y2", "unit": "fid"}
    with pytest.raises(DataError, match="y2"):
        ipw_did(bad, **kw)
    res = ipw_did(bad, missing="drop", **kw)
    assert res.exclusions.counts == {"missing y2": 2, "missing covariate": 1}
    assert res.exclusions.ids["missing y2"] == (100, 101)
    assert res.n_treated + res.n_control == len(fam) - 3
    ref = ipw_did(fam.drop(index=[0, 1, 5]), **kw)
    assert res.estimate == pytest.approx(ref.estimate, abs=1e-12)
    boot = bootstrap(res, bad, cluster="fid", B=60, seed=1)
    assert boot.exclusions.total == 3 and "excluded" in str(boot.summary())


def test_bad_input(fam: pd.DataFrame) -> None:
    kw: dict[str, Any] = {"covariates": ["x1"], "outcome_pre": "y0", "outcome_post": "y2"}
    with pytest.raises(DataError, match="treatment"):
        ipw_did(fam.assign(d=fam.d * 2), treatment="d", **kw)
    with pytest.raises(SchemaError, match="nope"):
        ipw_did(fam, treatment="nope", **kw)
    with pytest.raises(SpecificationError, match="estimand"):
        bad: Any = "atc"
        ipw_did(fam, treatment="d", estimand=bad, **kw)
    with pytest.raises(SpecificationError, match="outcome_pre"):
        ipw_did(fam, treatment="d", covariates=["x1"])
    with pytest.raises(DataError, match="unit"):
        ipw_did(pd.concat([fam, fam]), treatment="d", unit="fid", **kw)
    long = fam.assign(wave=0)
    with pytest.raises(DataError, match="repeat"):
        ipw_did(pd.concat([long, long]), treatment="d", covariates=["x1"], outcome="y0",
                wave="wave", unit="fid")
    sep = fam.assign(x1=fam.d.astype(float))  # covariate predicts treatment perfectly
    with pytest.raises(DataError, match="separation"):
        ipw_did(sep, treatment="d", **kw)


@pytest.mark.parametrize("estimand", ["att", "ate", "ato"])
def test_replicate_sandwich_se_equals_ipw_did_on_resampled_data(estimand: Any) -> None:
    # children (rows) nested in families; family-level treatment and covariates
    rng = np.random.default_rng(12)
    fam = _families(60, 5)
    kids = fam.loc[np.repeat(fam.index, rng.integers(1, 3, len(fam)))].reset_index(drop=True)
    kids["y2"] = kids["y2"] + rng.normal(size=len(kids))
    kw: dict[str, Any] = {"treatment": "d", "covariates": ["x1", "income"], "outcome_pre": "y0",
          "outcome_post": "y2", "estimand": estimand}
    res = ipw_did(kids, cluster="fid", **kw)
    boot = bootstrap(res, kids, cluster="fid", B=6, seed=4, studentize=True)
    assert boot.se0 is not None and boot.theta_se is not None
    assert boot.se0[0] == pytest.approx(res.se, rel=1e-10)
    W = replicate_weights("multinomial", 60, 6, root_seed_sequence(4))
    ids = np.sort(kids["fid"].unique())
    for b in range(6):
        parts = [kids[kids.fid == g].assign(copy=c) for g, k in zip(ids, W[b].astype(int),
                                                                     strict=True)
                 for c in range(k)]
        sample = pd.concat(parts, ignore_index=True)
        sample["cl"] = sample["fid"].astype(str) + "_" + sample["copy"].astype(str)
        ref = ipw_did(sample, cluster="cl", **kw)
        assert boot.theta[b, 0] == pytest.approx(ref.estimate, abs=1e-10)
        assert boot.theta_se[b, 0] == pytest.approx(ref.se, rel=1e-8)
    big = bootstrap(res, kids, cluster="fid", B=199, seed=4, studentize=True)
    lo, hi = big.ci("studentized").iloc[0]
    assert lo < res.estimate < hi
    assert 0 < big.pvalue(method="studentized").iloc[0] <= 1


def test_estimand_is_case_insensitive_like_match_and_weight():
    import numpy as np
    import pandas as pd

    from kbeffect.effects.ipw_did import ipw_did

    rng = np.random.default_rng(0)
    n = 300
    x = rng.normal(size=n)
    d = (rng.random(n) < 1 / (1 + np.exp(-x))).astype(int)
    df = pd.DataFrame({"id": np.arange(n), "d": d, "x": x, "pre": rng.normal(size=n)})
    df["post"] = df["pre"] + 0.5 * d + x + rng.normal(size=n)
    up = ipw_did(df, treatment="d", covariates=["x"], outcome_pre="pre", outcome_post="post",
                 estimand="ATT")
    low = ipw_did(df, treatment="d", covariates=["x"], outcome_pre="pre", outcome_post="post",
                  estimand="att")
    assert up.estimate == low.estimate and up.se == low.se
    assert up.tidy()["term"].iloc[0] == "ATT"
