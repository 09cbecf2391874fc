"""Balance statistics against numpy/scipy references, child aggregation, result objects."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from kbeffect.design import balance, match
from kbeffect.design.balance.stats import (
    balance_stats,
    ecdf_stats,
    effective_sample_size,
    is_binary,
    standardisers,
    weighted_var,
)
from kbeffect.errors import DataError, SpecificationError

from ._helpers import make_families

COVS = ["income", "paid_work", "migration", "single_parent", "stress"]


def test_weighted_variance_equals_numpy_aweights() -> None:
    rng = np.random.default_rng(1)
    X = rng.normal(size=(50, 3))
    w = rng.uniform(0.1, 3, 50)
    got = weighted_var(X, w, np.zeros(3, bool))
    exp = [np.cov(X[:, j], aweights=w, ddof=1) for j in range(3)]
    np.testing.assert_allclose(got, exp, rtol=1e-12)


def test_unweighted_ecdf_max_is_ks_statistic() -> None:
    rng = np.random.default_rng(2)
    x = np.r_[rng.normal(0, 1, 70), rng.normal(0.4, 1.3, 90)]
    t = np.r_[np.ones(70), np.zeros(90)].astype(int)
    _, mx = ecdf_stats(x, t, np.ones(len(x)))
    assert mx == pytest.approx(stats.ks_2samp(x[t == 1], x[t == 0]).statistic)


def test_integer_weights_equal_replicated_data() -> None:
    rng = np.random.default_rng(3)
    x = rng.normal(size=40).round(1)
    t = (rng.random(40) < 0.5).astype(int)
    w = rng.integers(1, 4, 40).astype(float)
    mean_, mx = ecdf_stats(x, t, w)
    xr, tr = np.repeat(x, w.astype(int)), np.repeat(t, w.astype(int))
    mean_r, mx_r = ecdf_stats(xr, tr, np.ones(len(xr)))
    assert mx == pytest.approx(mx_r)
    assert mx == pytest.approx(stats.ks_2samp(xr[tr == 1], xr[tr == 0]).statistic)
    assert mean_ == pytest.approx(mean_r)


def test_smd_denominators_and_binary_handling() -> None:
    rng = np.random.default_rng(4)
    n = 200
    t = (rng.random(n) < 0.4).astype(int)
    X = np.column_stack([rng.normal(t * 0.5, 1 + t), rng.random(n) < 0.3 + 0.2 * t])
    X = X.astype(float)
    b = is_binary(X)
    assert b.tolist() == [False, True]
    s_t = standardisers(X, t, "treated", b)
    assert s_t[0] == pytest.approx(X[t == 1, 0].std(ddof=1))
    p1 = X[t == 1, 1].mean()
    assert s_t[1] == pytest.approx(np.sqrt(p1 * (1 - p1)))
    s_p = standardisers(X, t, "pooled", b)
    v1, v0 = X[t == 1, 0].var(ddof=1), X[t == 0, 0].var(ddof=1)
    assert s_p[0] == pytest.approx(np.sqrt((v1 + v0) / 2))
    s_a = standardisers(X, t, "all", b)
    assert s_a[0] == pytest.approx(X[:, 0].std(ddof=1))
    one = np.ones(n)
    raw = balance_stats(X, t, one, std=s_t, binary=b, standardize_binary=False)
    assert raw.smd[1] == pytest.approx(X[t == 1, 1].mean() - X[t == 0, 1].mean())
    assert np.isnan(raw.var_ratio[1]) and raw.var_ratio[0] == pytest.approx(
        X[t == 1, 0].var(ddof=1) / X[t == 0, 0].var(ddof=1))
    assert effective_sample_size(np.array([1.0, 1.0, 2.0])) == pytest.approx(16 / 6)


def test_balance_function_with_weights_and_children() -> None:
    fam = make_families(300, seed=5)
    rng = np.random.default_rng(5)
    n_kids = rng.integers(1, 3, len(fam))
    kids = pd.DataFrame({
        "family_id": np.repeat(fam["family_id"].to_numpy(), n_kids),
        "age": rng.uniform(3, 18, n_kids.sum()),
        "girl": rng.random(n_kids.sum()) < 0.5,
    })
    res = match(fam, treatment="kb", covariates=COVS)
    bal = balance(fam, treatment="kb", covariates=COVS, weights=res, child_data=kids,
                  child_covariates=["age", "girl"])
    assert bal.estimand == "ATT" and bal.adjusted_label == "Matched"
    child = bal.table[bal.table["level"] == "child"]
    assert list(child.index) == ["age [child mean]", "girl [child mean]"]
    agg = kids.groupby("family_id")["age"].mean().loc[fam["family_id"]].to_numpy()
    t = fam["kb"].to_numpy()
    assert child.loc["age [child mean]", "mean_treated_un"] == pytest.approx(agg[t == 1].mean())
    w = res.weights
    assert child.loc["age [child mean]", "mean_control_adj"] == pytest.approx(
        np.average(agg[t == 0], weights=w[t == 0]))
    # same table through the result method
    via = res.balance(child_data=kids, child_covariates=["age", "girl"], distance=False)
    pd.testing.assert_frame_equal(via.table, bal.table)
    with pytest.raises(DataError, match="no rows in child_data"):
        balance(fam, treatment="kb", covariates=COVS, child_data=kids.iloc[5:],
                child_covariates=["age"])


def test_balance_arguments_and_outputs() -> None:
    fam = make_families(200, seed=6)
    w = np.ones(len(fam))
    bal = balance(fam, treatment="kb", covariates=COVS, weights=w, estimand="ATE",
                  binary="raw")
    assert bal.s_d_denom == "pooled"
    np.testing.assert_allclose(bal.table["smd_un"], bal.table["smd_adj"])
    tidy = bal.tidy()
    assert len(tidy) == 2 * len(bal.table)
    s = bal.summary()
    assert "Max |SMD|" in str(s) and "<table" in s._repr_html_()
    import matplotlib.figure

    assert isinstance(bal.plot(), matplotlib.figure.Figure)
    assert isinstance(bal.plot(stat="ecdf_max"), matplotlib.figure.Figure)
    assert balance(fam.assign(w=2.0), treatment="kb", covariates=COVS,
                   weights="w").table.shape == bal.table.shape
    with pytest.raises(SpecificationError, match="one value per row"):
        balance(fam, treatment="kb", covariates=COVS, weights=np.ones(3))
    with pytest.raises(DataError, match="non-negative"):
        balance(fam, treatment="kb", covariates=COVS, weights=-w)
    with pytest.raises(SpecificationError, match="s_d_denom"):
        balance(fam, treatment="kb", covariates=COVS, s_d_denom="weighted")  # type: ignore[arg-type]


def test_balance_of_a_match_result_counts_discarded_units() -> None:
    # balance(data, weights=m) must report the same counts as m.balance(): discarded units
    # are counted as discarded, not as unmatched.
    fam = make_families(400, seed=3)
    m = match(fam, treatment="kb", covariates=["income", "stress"], discard="both")
    assert m.discarded.sum() > 0
    own = m.balance().counts
    via = balance(fam, treatment="kb", covariates=["income", "stress"], weights=m).counts
    pd.testing.assert_frame_equal(via, own)
    assert via["discarded"].sum() == int(m.discarded.sum())
