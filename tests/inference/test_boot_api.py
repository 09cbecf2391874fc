"""kbeffect.bootstrap: paths agree, results are reproducible, SEs match theory."""

from __future__ import annotations

import importlib.util
import io
from typing import Any, cast

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from kbeffect.errors import DependencyError, SpecificationError
from kbeffect.inference.bootstrap import WLS, Generic, IPWDiD, PairDifference, bootstrap
from kbeffect.inference.bootstrap.parallel import ProgressBar

HAS_DASK = importlib.util.find_spec("dask") is not None


def _families(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x1, x2 = rng.normal(size=n), rng.binomial(1, 0.4, n)
    d = rng.binomial(1, 1 / (1 + np.exp(-(-0.4 + 0.7 * x1 + 0.5 * x2))))
    y0 = x1 + rng.normal(size=n)
    y2 = y0 + 0.5 * d + 0.3 * x1 + rng.normal(size=n)
    return pd.DataFrame({"fid": np.arange(n), "d": d, "x1": x1, "x2": x2, "y0": y0, "y2": y2})


def _children(G: int, seed: int, icc_u: float = 1.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    m = rng.integers(1, 4, G)
    fid = np.repeat(np.arange(G), m)
    g = rng.binomial(1, 0.5, G)[fid]
    x = rng.normal(size=fid.size) + rng.normal(size=G)[fid]
    y = 1 + 0.5 * x - 0.5 * g + icc_u * rng.normal(size=G)[fid] + rng.normal(size=fid.size)
    return pd.DataFrame({"fid": fid, "x": x, "g": g, "y": y})


SPEC = IPWDiD(treatment="d", covariates=("x1", "x2"), outcome_pre="y0", outcome_post="y2")


@pytest.fixture(scope="module")
def fam() -> pd.DataFrame:
    return _families(400, 1)


def test_same_seed_same_replicates_whatever_the_chunking(fam: pd.DataFrame) -> None:
    ref = bootstrap(SPEC, fam, cluster="fid", B=300, seed=11)
    options: list[dict[str, Any]] = [
        {"chunk_size": 1}, {"chunk_size": 37, "n_jobs": 2}, {"chunk_size": 64, "n_jobs": 3}
    ]
    for kw in options:
        other = bootstrap(SPEC, fam, cluster="fid", B=300, seed=11, **kw)
        # weights are bit-identical; estimates agree up to BLAS rounding of the batch shape
        np.testing.assert_allclose(other.theta, ref.theta, rtol=1e-12, atol=1e-14)
    assert not np.allclose(bootstrap(SPEC, fam, cluster="fid", B=300, seed=12).theta, ref.theta)


def _ipw_did_statsmodels(data: pd.DataFrame, w: np.ndarray) -> float:
    X = sm.add_constant(data[["x1", "x2"]].to_numpy())
    d = data["d"].to_numpy(float)
    ps = sm.GLM(d, X, family=sm.families.Binomial(), freq_weights=w).fit(tol=1e-14).predict(X)
    a = np.where(d == 1, 1.0, ps / (1 - ps)) * w
    delta = (data["y2"] - data["y0"]).to_numpy()
    t = d == 1
    return float(np.average(delta[t], weights=a[t]) - np.average(delta[~t], weights=a[~t]))


@pytest.mark.parametrize("kind", ["multinomial", "bayesian"])
def test_generic_looped_path_equals_batched_path(fam: pd.DataFrame, kind: Any) -> None:
    batched = bootstrap(SPEC, fam, cluster="fid", B=20, seed=5, kind=kind)
    looped = bootstrap(_ipw_did_statsmodels, fam, cluster="fid", B=20, seed=5, kind=kind)
    assert batched.batched and not looped.batched
    np.testing.assert_allclose(looped.theta, batched.theta, rtol=0, atol=1e-9)
    np.testing.assert_allclose(looped.theta0, batched.theta0, atol=1e-10)


def test_generic_threads_equal_serial(fam: pd.DataFrame) -> None:
    a = bootstrap(Generic(_ipw_did_statsmodels), fam, cluster="fid", B=12, seed=3)
    b = bootstrap(Generic(_ipw_did_statsmodels), fam, cluster="fid", B=12, seed=3, chunk_size=5,
                  n_jobs=2)
    np.testing.assert_array_equal(a.theta, b.theta)


@pytest.mark.skipif(HAS_DASK, reason="dask installed: the missing-extra error cannot occur")
def test_dask_backend_without_dask_names_the_extra(fam: pd.DataFrame) -> None:
    with pytest.raises(DependencyError, match=r"kbeffect\[dask\]"):
        bootstrap(SPEC, fam, cluster="fid", B=10, seed=1, backend="dask")


@pytest.mark.skipif(not HAS_DASK, reason="needs the dask extra")
def test_dask_backend_equals_threads(fam: pd.DataFrame) -> None:  # pragma: no cover
    a = bootstrap(SPEC, fam, cluster="fid", B=100, seed=1)
    b = bootstrap(SPEC, fam, cluster="fid", B=100, seed=1, backend="dask", chunk_size=30)
    np.testing.assert_allclose(a.theta, b.theta, rtol=1e-12)


def test_cluster_bootstrap_se_matches_cluster_robust_se() -> None:
    kids = _children(300, 2)
    fit = sm.OLS(kids["y"], sm.add_constant(kids[["x", "g"]])).fit(
        cov_type="cluster", cov_kwds={"groups": kids["fid"]}
    )
    boot = bootstrap(WLS("y ~ x + g"), kids, cluster="fid", B=2000, seed=4)
    # theory: the cluster bootstrap variance estimates the CR sandwich (MC error ~2%)
    np.testing.assert_allclose(boot.se.to_numpy(), fit.bse.to_numpy(), rtol=0.08)
    np.testing.assert_allclose(boot.theta0, fit.params.to_numpy(), atol=1e-10)
    assert boot.se0 is not None
    np.testing.assert_allclose(boot.se0, fit.bse.to_numpy(), rtol=1e-10)
    # the wild (Rademacher) replicate variance is exactly CR0 in expectation
    wild = bootstrap(WLS("y ~ x + g"), kids, cluster="fid", B=2000, seed=4, kind="rademacher")
    G, n, k = 300, len(kids), 3
    cr0 = fit.bse.to_numpy() / np.sqrt(G / (G - 1) * (n - 1) / (n - k))
    np.testing.assert_allclose(wild.se.to_numpy(), cr0, rtol=0.06)
    bayes = bootstrap(WLS("y ~ x + g"), kids, cluster="fid", B=2000, seed=4, kind="bayesian")
    np.testing.assert_allclose(bayes.se.to_numpy(), fit.bse.to_numpy(), rtol=0.08)
    # resampling rows ignores the family correlation: clearly smaller SE for the
    # family-level regressor g (and smaller for x, which varies partly between families)
    naive = bootstrap(WLS("y ~ x + g"), kids, cluster=None, B=2000, seed=4)
    assert naive.se["g"] < 0.85 * boot.se["g"]
    assert naive.se["x"] < boot.se["x"]


def test_pair_bootstrap_se_matches_paired_t_se() -> None:
    rng = np.random.default_rng(6)
    P = 150
    pairs = pd.DataFrame({"pair": np.repeat(np.arange(P), 2), "t": np.tile([1, 0], P),
                          "y": rng.normal(size=2 * P) + np.repeat(rng.normal(size=P), 2)})
    res = bootstrap(PairDifference("pair", "t", "y"), pairs, cluster="pair", B=3000, seed=7)
    diff = pairs[pairs.t == 1].y.to_numpy() - pairs[pairs.t == 0].y.to_numpy()
    assert res.theta0[0] == pytest.approx(diff.mean(), abs=1e-12)
    np.testing.assert_allclose(res.se.iloc[0], diff.std(ddof=1) / np.sqrt(P), rtol=0.06)
    stud = res.ci("studentized")
    lo, hi = stud.loc["pair_difference", ["conf_low", "conf_high"]]
    assert lo < diff.mean() < hi
    with pytest.raises(SpecificationError, match="resamples pairs"):
        bootstrap(PairDifference("pair", "t", "y"), pairs, cluster="t", B=10)


def test_result_accessors(fam: pd.DataFrame) -> None:
    res = bootstrap(SPEC, fam, cluster="fid", B=200, seed=8)
    tidy = res.tidy()
    assert list(tidy.columns[:6]) == ["term", "estimate", "std_error", "conf_low", "conf_high",
                                      "p_value"]
    assert res.replicates.shape == (200, 1)
    assert res.estimate.index.tolist() == ["ATT"]
    text = str(res.summary("bca"))
    assert "ATT" in text and "multinomial" in text and "batched" in text
    for m in ("percentile", "basic", "normal", "bca"):
        lo, hi = res.ci(m).loc["ATT"]
        assert lo < res.theta0[0] < hi
    assert 0 < res.pvalue().iloc[0] <= 1
    fig = res.plot()
    assert fig.axes and fig.axes[0].get_title().startswith("ATT")
    with pytest.raises(SpecificationError, match="param"):
        res.plot("nope")


def test_failed_replicates_are_counted_not_hidden(fam: pd.DataFrame) -> None:
    def flaky(data: pd.DataFrame, w: np.ndarray) -> float:
        if w[0] == 0:  # family 0 not drawn: pretend the fit failed
            raise np.linalg.LinAlgError("singular")
        return float(np.average(data["y2"], weights=w))

    res = bootstrap(flaky, fam, cluster="fid", B=100, seed=1)
    assert 0 < res.n_failed < 100
    assert res.tidy()["n_replicates"].iloc[0] == 100 - res.n_failed
    assert "gave no finite estimate" in str(res.summary())


def test_argument_errors(fam: pd.DataFrame) -> None:
    with pytest.raises(SpecificationError, match="wild"):
        bootstrap(SPEC, fam, cluster="fid", B=10, kind="webb")
    with pytest.raises(SpecificationError, match="kind"):
        bootstrap(SPEC, fam, B=10, kind=cast(Any, "parametric"))
    with pytest.raises(SpecificationError, match="B must"):
        bootstrap(SPEC, fam, B=1)
    with pytest.raises(SpecificationError, match="backend"):
        bootstrap(SPEC, fam, B=10, backend=cast(Any, "mpi"))
    with pytest.raises(SpecificationError, match="estimator"):
        bootstrap(42, fam, B=10)
    with pytest.raises(SpecificationError, match="DataFrame"):
        bootstrap(SPEC, cast(Any, fam.to_numpy()), B=10)
    with pytest.raises(SpecificationError, match="studentize"):
        bootstrap(lambda d, w: 1.0, fam, B=10, studentize=True)
    with pytest.raises(SpecificationError, match="studentized"):
        bootstrap(SPEC, fam, B=10, seed=1).ci("studentized")
    with pytest.raises(SpecificationError, match="bca"):
        bootstrap(WLS("y2 ~ d"), fam, B=20, kind="webb", seed=1).ci("bca")


def test_progress_bar_writes_to_stream(
    fam: pd.DataFrame, capsys: pytest.CaptureFixture[str]
) -> None:
    bootstrap(SPEC, fam, cluster="fid", B=50, seed=1, chunk_size=20, progress=True)
    err = capsys.readouterr().err
    assert "bootstrap [" in err and "50/50" in err
    bootstrap(SPEC, fam, cluster="fid", B=50, seed=1)
    assert capsys.readouterr().err == ""  # off by default
    buf = io.StringIO()
    bar = ProgressBar(4, stream=buf)
    bar.update(2)
    bar.update(2)
    assert "4/4" in buf.getvalue() and buf.getvalue().endswith("\n")


def test_generic_resample_mode_relabels_cluster_copies() -> None:
    kids = _children(40, 9)
    seen: list[int] = []

    def mean_and_clusters(sample: pd.DataFrame) -> float:
        seen.append(sample["fid"].nunique())
        return float(sample["y"].mean())

    def weighted_mean(data: pd.DataFrame, w: np.ndarray) -> float:
        return float(np.average(data["y"], weights=w))

    res = bootstrap(Generic(mean_and_clusters, mode="resample"), kids, cluster="fid", B=30,
                    seed=3)
    ref = bootstrap(Generic(weighted_mean), kids, cluster="fid", B=30, seed=3)
    np.testing.assert_allclose(res.theta, ref.theta, rtol=1e-13)
    assert set(seen) == {40}  # every drawn copy of a family is its own cluster
    with pytest.raises(SpecificationError, match="integer cluster counts"):
        bootstrap(Generic(mean_and_clusters, mode="resample"), kids, cluster="fid", B=5,
                  kind="bayesian")
    with pytest.raises(SpecificationError, match="mode"):
        bootstrap(Generic(weighted_mean, mode=cast(Any, "rows")), kids, B=5)


def test_seed_entropy_on_the_result_reproduces_the_bootstrap(fam: pd.DataFrame) -> None:
    a = bootstrap(SPEC, fam, cluster="fid", B=40, seed=np.random.default_rng(3))
    b = bootstrap(SPEC, fam, cluster="fid", B=40, seed=a.seed_entropy)
    np.testing.assert_array_equal(a.theta, b.theta)
