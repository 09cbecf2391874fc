"""Generic estimators wired to other layers: re-matching and mixed-model contrasts."""

from __future__ import annotations

from typing import Any, cast

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

from kbeffect.errors import SpecificationError
from kbeffect.inference.bootstrap import IPWDiD, bootstrap, replicate_weights
from kbeffect.inference.bootstrap.weights import root_seed_sequence
from kbeffect.inference.bootstrap.wired import (
    mixed_contrast,
    rematched_difference,
    reweighted_difference,
)


def _resample(data: pd.DataFrame, cluster: str, w: np.ndarray) -> pd.DataFrame:
    ids = np.sort(data[cluster].unique())
    parts, nxt = [], 0
    for g, k in zip(ids, w.astype(int), strict=True):
        for _ in range(k):
            parts.append(data[data[cluster] == g].assign(**{cluster: nxt}))
            nxt += 1
    return pd.concat(parts, ignore_index=True)


def test_rematching_each_replicate_equals_exact_stratified_att() -> None:
    rng = np.random.default_rng(4)
    n = 120
    fam = pd.DataFrame({"fid": np.arange(n), "inc": rng.choice(["a", "b", "c"], n)})
    fam["d"] = rng.binomial(1, np.where(fam.inc == "a", 0.6, 0.35))
    fam["y"] = 0.5 * fam.d + (fam.inc == "a") + rng.normal(size=n)
    est = rematched_difference(treatment="d", outcome="y", covariates=["inc"], method="exact")
    res = bootstrap(est, fam, cluster="fid", B=6, seed=2)
    W = replicate_weights("multinomial", n, 6, root_seed_sequence(2))

    def stratified_att(s: pd.DataFrame) -> float:
        # exact-matching ATT = sum over strata of (treated share) x (mean diff)
        g = s.groupby(["inc", "d"]).y.agg(["mean", "size"]).unstack()
        g = g.dropna()
        w = g[("size", 1)] / g[("size", 1)].sum()
        return float(np.sum(w * (g[("mean", 1)] - g[("mean", 0)])))

    assert res.theta0[0] == pytest.approx(stratified_att(fam), abs=1e-12)
    for b in range(6):
        assert res.theta[b, 0] == pytest.approx(stratified_att(_resample(fam, "fid", W[b])),
                                                abs=1e-12)


def test_mixed_contrast_each_replicate_equals_statsmodels_mixedlm() -> None:
    rng = np.random.default_rng(8)
    G = 40
    fid = np.repeat(np.arange(G), rng.integers(1, 4, G))
    df = pd.DataFrame({"fid": fid, "x": rng.normal(size=fid.size),
                       "g": rng.binomial(1, 0.5, G)[fid]})
    df["y"] = 1 + 0.5 * df.x - 0.7 * df.g + rng.normal(size=G)[fid] + rng.normal(size=fid.size)
    est = mixed_contrast("y ~ x + g", groups="fid",
                         contrasts={"g_effect": {"g": 1.0}, "x_plus_g": {"x": 1.0, "g": 1.0}})
    res = bootstrap(est, df, cluster="fid", B=4, seed=5)
    assert res.names == ("g_effect", "x_plus_g")
    W = replicate_weights("multinomial", G, 4, root_seed_sequence(5))
    for b in range(4):
        s = _resample(df, "fid", W[b])
        fe = smf.mixedlm("y ~ x + g", s, groups=s["fid"]).fit(reml=True).fe_params
        np.testing.assert_allclose(res.theta[b], [fe["g"], fe["x"] + fe["g"]], atol=1e-4)
    with pytest.raises(SpecificationError, match="contrasts"):
        mixed_contrast("y ~ x", groups="fid", contrasts={})


def test_reweighting_each_replicate_equals_batched_ipw_did() -> None:
    rng = np.random.default_rng(6)
    n = 150
    fam = pd.DataFrame({"fid": np.arange(n), "x": rng.normal(size=n),
                        "inc": rng.choice(["a", "b"], n)})
    fam["d"] = rng.binomial(1, 1 / (1 + np.exp(-(0.7 * fam.x + 0.4 * (fam.inc == "a")))))
    fam["y0"] = rng.normal(size=n)
    fam["y2"] = fam.y0 + 0.5 * fam.d + fam.x + rng.normal(size=n)
    fam["change"] = fam.y2 - fam.y0
    for estimand in ("ATT", "ATE", "ATO"):
        generic = reweighted_difference(treatment="d", outcome="change", covariates=["x", "inc"],
                                        estimand=estimand)
        batched = IPWDiD(treatment="d", covariates=("x", "inc"), outcome_pre="y0",
                         outcome_post="y2", estimand=cast(Any, estimand.lower()))
        a = bootstrap(generic, fam, cluster="fid", B=8, seed=9)
        b = bootstrap(batched, fam, cluster="fid", B=8, seed=9)
        np.testing.assert_allclose(a.theta0, b.theta0, atol=1e-8)
        np.testing.assert_allclose(a.theta, b.theta, atol=1e-8)
