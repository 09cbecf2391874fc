"""Attrition weights: ground truth under MAR dropout, combination with treatment weights."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kbeffect.design import attrition_weights, match, weight
from kbeffect.errors import DataError, SchemaError, SpecificationError

from ._helpers import make_families

COVS = ["income", "paid_work", "migration", "single_parent", "stress"]


def _with_dropout(n: int, seed: int) -> pd.DataFrame:
    fam = make_families(n, seed=seed)
    rng = np.random.default_rng(seed + 1)
    p1 = 1 / (1 + np.exp(-(1.0 - 0.9 * fam["stress"])))
    fam["obs1"] = rng.random(n) < p1
    p2 = 1 / (1 + np.exp(-(1.2 - 0.6 * fam["stress"] + 0.5 * fam["paid_work"])))
    fam["obs2"] = fam["obs1"] & (rng.random(n) < p2)
    return fam


def test_weights_recover_full_cohort_mean() -> None:
    fam = _with_dropout(8000, seed=1)
    res = attrition_weights(fam, observed=["obs1", "obs2"], covariates=["stress", "paid_work"])
    full = fam["stress"].mean()
    comp = fam["obs2"].to_numpy()
    naive = fam.loc[comp, "stress"].mean()
    weighted = np.average(fam.loc[comp, "stress"], weights=res.weights[comp, 2])
    assert abs(naive - full) > 0.2
    assert weighted == pytest.approx(full, abs=0.05)
    # stabilised weights average about 1 among the observed
    assert res.weights[comp, 2].mean() == pytest.approx(1.0, abs=0.05)
    tidy = res.tidy()
    assert tidy["n_observed"].tolist() == [len(fam), int(fam.obs1.sum()), int(comp.sum())]
    assert "By wave" in str(res.summary())


def test_combine_and_expand() -> None:
    fam = _with_dropout(600, seed=2)
    att = attrition_weights(fam, observed=["obs1", "obs2"], covariates=COVS)
    tw = weight(fam, treatment="kb", covariates=COVS, estimand="ATT")
    comb = att.combine(tw)
    np.testing.assert_allclose(comb["weight"], comb["treatment_weight"] * comb["attrition_weight"])
    assert len(comb) == len(fam) + fam.obs1.sum() + fam.obs2.sum()
    m = match(fam, treatment="kb", covariates=COVS)
    comb_m = att.combine(m)
    assert set(comb_m["family_id"]) == set(fam.loc[m.weights > 0, "family_id"])
    obs = pd.DataFrame({"family_id": np.repeat(fam["family_id"].to_numpy(), 3),
                        "wave": np.tile([0, 1, 2], len(fam)), "y": 1.0})
    long = att.expand(obs, tw)
    assert len(long) == len(comb)
    key = comb.set_index(["family_id", "wave"])["weight"]
    np.testing.assert_allclose(long["weight"], key.loc[list(zip(long.family_id, long.wave,
                                                                 strict=True))].to_numpy())
    with pytest.raises(SchemaError, match="weight"):
        att.expand(obs.assign(weight=1.0))
    with pytest.raises(SpecificationError, match="one weight per family"):
        att.combine(np.ones(3))


def test_non_monotone_dropout() -> None:
    fam = _with_dropout(500, seed=3)
    fam.loc[fam.index[:5], ["obs1", "obs2"]] = [False, True]
    with pytest.raises(DataError, match="non-monotone"):
        attrition_weights(fam, observed=["obs1", "obs2"], covariates=COVS)
    res = attrition_weights(fam, observed=["obs1", "obs2"], covariates=COVS, monotone=False,
                            stabilize=False)
    comp = fam["obs2"].to_numpy()
    np.testing.assert_allclose(res.weights[comp, 2], 1 / res.prob[comp, 2])
    with pytest.raises(SpecificationError, match="waves"):
        attrition_weights(fam, observed=["obs1", "obs2"], covariates=COVS, waves=[0, 1])


def test_no_dropout_at_first_follow_up() -> None:
    # Everyone seen at T1 (a single value in the first indicator) is a valid pattern: the
    # T1 weights are 1 and T2 is modelled as usual, identical to modelling T2 directly.
    fam = _with_dropout(600, seed=11)
    fam["obs1"] = True
    fam["obs2"] = fam["obs2"] | (np.random.default_rng(3).random(len(fam)) < 0.3)
    res = attrition_weights(fam, observed=["obs1", "obs2"], covariates=COVS)
    assert np.all(res.weights[:, 1] == 1.0)
    assert res.models[1] is None
    only_t2 = attrition_weights(fam, observed=["obs2"], covariates=COVS)
    np.testing.assert_allclose(res.weights[:, 2], only_t2.weights[:, 1], rtol=1e-12)
    with pytest.raises(DataError, match="no family is observed"):
        attrition_weights(fam.assign(obs2=False), observed=["obs1", "obs2"], covariates=COVS)
