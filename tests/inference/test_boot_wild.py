"""Restricted wild cluster bootstrap-t test (WCR)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy.stats import norm

from kbeffect.errors import SpecificationError
from kbeffect.inference.bootstrap import WLS, IPWDiD, replicate_weights, wild_test
from kbeffect.inference.bootstrap.weights import root_seed_sequence


def _clustered(G: int, rng: np.random.Generator, beta_g: float = 0.0) -> pd.DataFrame:
    sizes = rng.integers(1, 15, G)  # unequal cluster sizes: where CR1 t-tests over-reject
    fid = np.repeat(np.arange(G), sizes)
    x = rng.normal(size=fid.size) + rng.normal(size=G)[fid]
    g = rng.binomial(1, 0.5, G)[fid]
    y = 1 + 0.3 * x + beta_g * g + rng.normal(size=G)[fid] + rng.normal(size=fid.size)
    return pd.DataFrame({"fid": fid, "x": x, "g": g, "y": y})


def test_replicate_t_equals_statsmodels_on_null_imposed_outcome() -> None:
    df = _clustered(12, np.random.default_rng(1))
    res = wild_test(WLS("y ~ x + g"), df, cluster="fid", param="g", null=0.2, B=15, seed=3)
    X = sm.add_constant(df[["x", "g"]].to_numpy())
    y, codes = df["y"].to_numpy(), df["fid"].to_numpy()
    full = sm.OLS(y, X).fit(cov_type="cluster", cov_kwds={"groups": codes})
    assert res.estimate == pytest.approx(full.params[2], abs=1e-12)
    assert res.statistic == pytest.approx((full.params[2] - 0.2) / full.bse[2], rel=1e-10)
    restricted = sm.OLS(y - 0.2 * X[:, 2], X[:, :2]).fit()  # g fixed at the null
    fitted = restricted.fittedvalues + 0.2 * X[:, 2]
    V = replicate_weights("webb", 12, 15, root_seed_sequence(3))
    for b in range(15):
        ystar = fitted + V[b][codes] * restricted.resid
        ref = sm.OLS(ystar, X).fit(cov_type="cluster", cov_kwds={"groups": codes})
        assert res.t_replicates[b] == pytest.approx((ref.params[2] - 0.2) / ref.bse[2],
                                                    rel=1e-9)
    assert "null imposed" in str(res.summary()) and res.plot().axes


def test_size_with_few_clusters_beats_cr1_t_test() -> None:
    rng = np.random.default_rng(2026)
    n_sim, rej_wild, rej_cr1 = 200, 0, 0
    for _ in range(n_sim):
        df = _clustered(10, rng)  # H0 true: beta_g = 0
        res = wild_test(WLS("y ~ x + g"), df, cluster="fid", param="g", B=199,
                        seed=rng, kind="webb")
        rej_wild += res.p_value <= 0.05
        rej_cr1 += 2 * norm.sf(abs(res.statistic)) <= 0.05
    # with 10 unequal clusters the normal CR1 test over-rejects; WCR stays near 5%
    assert rej_wild / n_sim < 0.09
    assert rej_cr1 > rej_wild


def test_wild_test_errors() -> None:
    df = _clustered(8, np.random.default_rng(3))
    with pytest.raises(SpecificationError, match="param"):
        wild_test(WLS("y ~ x"), df, cluster="fid", param="z")
    with pytest.raises(SpecificationError, match="kind"):
        bad: Any = "multinomial"
        wild_test(WLS("y ~ x"), df, cluster="fid", param="x", kind=bad)
    fam = df.assign(d=df.g, y0=df.y, y2=df.y + df.x)
    with pytest.raises(SpecificationError, match="linear"):
        wild_test(IPWDiD(treatment="d", covariates=("x",), outcome_pre="y0", outcome_post="y2"),
                  fam, cluster="fid", param="ATT")
