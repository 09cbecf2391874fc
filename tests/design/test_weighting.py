"""Weighting: estimand invariants, entropy balancing, CBPS, trimming, several treatments."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import minimize

from kbeffect.design import weight, weight_many
from kbeffect.design.weighting.entropy import entropy_balance
from kbeffect.design.weighting.estimands import weights_from_ps
from kbeffect.errors import ConvergenceWarning, DataError, SchemaError, SpecificationError

from ._helpers import make_families

COVS = ["income", "paid_work", "migration", "single_parent", "stress"]


def _means(res, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:  # type: ignore[no-untyped-def]
    t, w = res.treat, res.weights
    return (np.average(X[t == 1], axis=0, weights=w[t == 1]),
            np.average(X[t == 0], axis=0, weights=w[t == 0]))


@pytest.fixture(scope="module")
def fam() -> pd.DataFrame:
    return make_families(800, seed=31, effect=2.0)


def test_weights_sum_as_estimand_requires(fam: pd.DataFrame) -> None:
    t = fam["kb"].to_numpy()
    att = weight(fam, treatment="kb", covariates=COVS, estimand="ATT")
    np.testing.assert_allclose(att.weights[t == 1], 1.0)
    atc = weight(fam, treatment="kb", covariates=COVS, estimand="ATC")
    np.testing.assert_allclose(atc.weights[t == 0], 1.0)
    # weights estimate the group sizes of the target population: E[sum of control ATT
    # weights] = n_treated, E[sum of ATE weights per group] = n
    assert att.weights[t == 0].sum() == pytest.approx(np.sum(t == 1), rel=0.1)
    ate = weight(fam, treatment="kb", covariates=COVS, estimand="ATE")
    for g in (0, 1):
        assert ate.weights[t == g].sum() == pytest.approx(len(t), rel=0.1)
    st = weight(fam, treatment="kb", covariates=COVS, estimand="ATE", stabilize=True)
    assert st.weights.sum() == pytest.approx(len(t), rel=0.1)
    np.testing.assert_allclose(st.weights / ate.weights, np.where(t == 1, t.mean(), 1 - t.mean()))
    # overlap weights: the logit score equation for the intercept, sum(t - e) = 0, makes
    # the two groups' weight totals equal exactly
    ato = weight(fam, treatment="kb", covariates=COVS, estimand="ATO")
    assert ato.weights[t == 1].sum() == pytest.approx(ato.weights[t == 0].sum(), rel=1e-9)
    atm = weight(fam, treatment="kb", covariates=COVS, estimand="ATM")
    assert atm.weights.max() <= 1.0 + 1e-12


def test_overlap_weights_balance_logit_covariates_exactly(fam: pd.DataFrame) -> None:
    # Li, Morgan & Zaslavsky (2018): with a logistic PS, ATO weights give exact mean balance
    res = weight(fam, treatment="kb", covariates=COVS, estimand="ATO")
    m1, m0 = _means(res, res.inputs.X)
    np.testing.assert_allclose(m1, m0, atol=1e-8)
    assert np.abs(res.balance().table["smd_adj"]).max() < 1e-6


@pytest.mark.parametrize("estimand", ["ATT", "ATC", "ATE"])
def test_entropy_balancing_exact_balance(fam: pd.DataFrame, estimand: str) -> None:
    res = weight(fam, treatment="kb", covariates=COVS, method="ebal", estimand=estimand)
    X, t = res.inputs.X, res.treat
    m1, m0 = _means(res, X)
    np.testing.assert_allclose(m1, m0, atol=1e-8)
    if estimand == "ATE":
        np.testing.assert_allclose(m1, X.mean(axis=0), atol=1e-8)
    for g in (0, 1):
        assert res.weights[t == g].sum() == pytest.approx(np.sum(t == g))
    assert np.isnan(res.ps).all()


def test_entropy_balancing_equals_primal_solution() -> None:
    # independent solve of the primal: min sum w log w  s.t. sum w = 1, sum w x = target
    rng = np.random.default_rng(3)
    X = rng.normal(size=(60, 2))
    t = (rng.random(60) < 0.4).astype(int)
    X[t == 1] += 0.3
    fit = entropy_balance(X, t, "ATT")
    C, target = X[t == 0], X[t == 1].mean(axis=0)
    n0 = len(C)
    cons = [{"type": "eq", "fun": lambda w: w.sum() - 1},
            {"type": "eq", "fun": lambda w: C.T @ w - target}]
    sol = minimize(lambda w: np.sum(w * np.log(w)), np.full(n0, 1 / n0), constraints=cons,
                   bounds=[(1e-10, 1)] * n0, method="SLSQP", options={"ftol": 1e-14,
                                                                       "maxiter": 1000})
    np.testing.assert_allclose(fit.weights[t == 0] / n0, sol.x, atol=1e-6)


@pytest.mark.parametrize("estimand", ["ATT", "ATC", "ATE"])
def test_cbps_balances_means_exactly(fam: pd.DataFrame, estimand: str) -> None:
    res = weight(fam, treatment="kb", covariates=COVS, method="cbps", estimand=estimand)
    m1, m0 = _means(res, res.inputs.X)
    np.testing.assert_allclose(m1, m0, atol=1e-8)
    t = res.treat
    if estimand == "ATT":
        assert res.weights[t == 0].sum() == pytest.approx(np.sum(t == 1))
    np.testing.assert_allclose(res.weights, weights_from_ps(res.ps, t, estimand))
    assert res.propensity.method == "cbps"


def test_ipw_recovers_true_effect_with_true_model() -> None:
    fam = make_families(6000, seed=5, effect=2.0)
    for est in ("ATE", "ATT", "ATO"):
        res = weight(fam, treatment="kb", covariates=COVS, estimand=est)
        t, w, y = res.treat, res.weights, fam["y"].to_numpy()
        eff = np.average(y[t == 1], weights=w[t == 1]) - np.average(y[t == 0], weights=w[t == 0])
        assert eff == pytest.approx(2.0, abs=0.15)
    naive = fam.loc[fam.kb == 1, "y"].mean() - fam.loc[fam.kb == 0, "y"].mean()
    assert abs(naive - 2.0) > 0.3


def test_trimming_is_counted_and_truncation_caps(fam: pd.DataFrame) -> None:
    res = weight(fam, treatment="kb", covariates=COVS, estimand="ATE", trim=0.1)
    out = (res.ps < 0.1) | (res.ps > 0.9)
    assert out.any()
    assert (res.weights[out] == 0).all()
    assert res.exclusions.total == int(out.sum())
    assert "trimmed" in str(res.summary())
    tr = weight(fam, treatment="kb", covariates=COVS, estimand="ATT", truncate=0.9)
    t = tr.treat
    cap = np.quantile(weight(fam, treatment="kb", covariates=COVS,
                             estimand="ATT").weights[t == 0], 0.9)
    assert tr.weights[t == 0].max() == pytest.approx(cap)


def test_weight_many_within_strata() -> None:
    rng = np.random.default_rng(8)
    fam = make_families(900, seed=9)
    fam["help_ggz"] = (rng.random(len(fam)) < 0.3 + 0.2 * fam["kb"]).astype(int)
    fam["help_youth"] = (rng.random(len(fam)) < 0.4 + 0.1 * fam["migration"]).astype(int)
    ws = weight_many(fam, treatments=["help_ggz", "help_youth"], covariates=COVS, by="kb",
                     estimand="ATE")
    assert list(ws) == ["help_ggz", "help_youth"] and len(ws) == 2
    assert ws.weights.shape == (len(fam), 2)
    # each help type, each stratum: its own model (compare with a direct fit in the stratum)
    sub = fam[fam.kb == 1]
    direct = weight(sub, treatment="help_ggz", covariates=COVS, estimand="ATE")
    np.testing.assert_allclose(ws["help_ggz"].weights[fam.kb.to_numpy() == 1], direct.weights)
    tidy = ws.tidy()
    assert set(tidy["treatment"]) == {"help_ggz", "help_youth"}
    assert (tidy["max_abs_smd_after"] < tidy["max_abs_smd_before"]).all()
    assert "help_youth" in str(ws.summary())
    per = ws.tidy(by_stratum=True)
    assert len(per) == 4 and set(per["stratum"]) == {0, 1}
    row = per[(per.treatment == "help_ggz") & (per.stratum == 1)].iloc[0]
    direct_bal = direct.balance()
    assert row["max_abs_smd_after"] == pytest.approx(direct_bal.max_abs_smd[1])
    assert row["n_treated"] == int(sub["help_ggz"].sum())
    with pytest.raises(SpecificationError, match="stratum"):
        direct.balance(stratum=1)


def test_expand_to_observations(fam: pd.DataFrame) -> None:
    res = weight(fam, treatment="kb", covariates=COVS, estimand="ATT", trim=0.05)
    obs = pd.DataFrame({"family_id": np.repeat(fam["family_id"].to_numpy(), 3),
                        "wave": np.tile([0, 1, 2], len(fam))})
    long = res.expand(obs)
    kept = res.weights > 0
    assert len(long) == 3 * kept.sum()
    w = pd.Series(res.weights, index=fam["family_id"])
    np.testing.assert_allclose(long["weights"], w.loc[long["family_id"]].to_numpy())
    with pytest.raises(SchemaError, match="weights"):
        res.expand(obs.assign(weights=1))


def test_summary_and_plots(fam: pd.DataFrame) -> None:
    import matplotlib.figure

    res = weight(fam, treatment="kb", covariates=COVS, estimand="ATO")
    s = res.summary()
    assert "Weights" in s.tables and "Balance, weighted units" in s.tables
    assert isinstance(res.plot(), matplotlib.figure.Figure)
    assert isinstance(res.plot("overlap"), matplotlib.figure.Figure)
    assert "ESS" in repr(res)


@pytest.mark.parametrize(("kw", "exc", "msg"), [
    ({"estimand": "ATX"}, SpecificationError, "estimand"),
    ({"method": "gbm"}, SpecificationError, "method"),
    ({"stabilize": True, "estimand": "ATT"}, SpecificationError, "stabilize"),
    ({"trim": 0.7}, SpecificationError, "trim"),
    ({"method": "ebal", "estimand": "ATO"}, SpecificationError, "ebal"),
    ({"by": "nope"}, SchemaError, "nope"),
])
def test_bad_arguments(fam: pd.DataFrame, kw: dict, exc: type, msg: str) -> None:
    with pytest.raises(exc, match=msg):
        weight(fam, treatment="kb", covariates=COVS, **kw)


def test_stratum_with_one_group_raises(fam: pd.DataFrame) -> None:
    with pytest.raises(DataError, match="stratum"):
        weight(fam.assign(s=fam["kb"]), treatment="kb", covariates=COVS, by="s")


def test_ebal_outside_hull_warns() -> None:
    df = pd.DataFrame({"t": [1, 1, 0, 0, 0], "x": [5.0, 6.0, 0.0, 1.0, 2.0]})
    with pytest.warns(ConvergenceWarning, match="entropy"):
        weight(df, treatment="t", covariates=["x"], method="ebal", estimand="ATT")


def test_weights_from_ps_unknown_estimand_is_a_specification_error() -> None:
    with pytest.raises(SpecificationError, match="estimand"):
        weights_from_ps(np.array([0.3, 0.6]), np.array([0, 1]), "ATX")
