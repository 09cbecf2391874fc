"""Cumulative-logit mixed model against ordinal::clmm (Laplace, nAGQ = 9, nested).

Reference values: tests/reference/glmmtmb_reference.json (entries ``clmm_*``), written by
tests/reference/glmmtmb_reference.R.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit

from kbeffect.errors import DataError, SpecificationError
from kbeffect.models.mixed.clmm import fit_clmm, predict_proba

REF = Path(__file__).resolve().parents[1] / "reference"


@pytest.fixture(scope="module")
def ref() -> dict:
    return json.loads((REF / "glmmtmb_reference.json").read_text())


def design(d: pd.DataFrame, *, x: bool = True) -> tuple[np.ndarray, tuple[str, ...]]:
    w1 = (d["wave"] == 1).to_numpy(float)
    w2 = (d["wave"] == 2).to_numpy(float)
    o = d["order"].to_numpy(float)
    cols = {"order": o, "wave1": w1, "wave2": w2}
    if x:
        cols["x"] = d["x"].to_numpy(float)
    cols["order:wave1"] = o * w1
    cols["order:wave2"] = o * w2
    return np.column_stack(list(cols.values())), tuple(cols)


def check(fit, r: dict, names: tuple[str, ...]) -> None:
    assert fit.converged, fit.message
    expected_names = tuple(f"threshold:{k}" for k in r["thresholds"]) + names
    assert fit.param_names == expected_names
    est = np.r_[list(r["thresholds"].values()), list(r["fixed"].values())]
    # clmm's nlminb stops where the surface is flat to ~1e-9 log-likelihood units, which
    # leaves differences of < 1e-4 standard errors; kbeffect's log-likelihood is as high
    np.testing.assert_allclose(fit.params, est, rtol=3e-4, atol=1e-6)
    assert np.all(np.abs(fit.params - est) < 1e-4 * fit.std_errors)
    se = np.array(list(r["se"].values()))[: est.shape[0]]
    np.testing.assert_allclose(fit.std_errors, se, rtol=1e-3)
    for level, sd in r["re_sd"].items():
        np.testing.assert_allclose(fit.re_sd["child" if level == "fc" else level], sd, rtol=1e-3)
    assert fit.loglik >= r["loglik"] - 1e-6
    np.testing.assert_allclose(fit.loglik, r["loglik"], atol=1e-5, rtol=0)


@pytest.mark.parametrize(("key", "n_agq"), [("clmm_laplace", 1), ("clmm_agq9", 9)])
def test_family_intercept_matches_clmm(ref, key, n_agq) -> None:
    d = pd.read_csv(REF / "glmmtmb_family_data.csv")
    X, names = design(d)
    fit = fit_clmm(
        d["severity"].to_numpy(), X, (d["family"].to_numpy(),), n_agq=n_agq, x_names=names
    )
    check(fit, ref[key], names)
    assert fit.family == "ordinal"


def test_family_child_intercepts_match_clmm(ref) -> None:
    d = pd.read_csv(REF / "glmmtmb_child_data.csv")
    X, names = design(d, x=False)
    fit = fit_clmm(
        d["severity"].to_numpy(), X, (d["family"].to_numpy(), d["child"].to_numpy()), x_names=names
    )
    check(fit, ref["clmm_nested"], names)


def test_predict_proba_conditional_and_marginal() -> None:
    d = pd.read_csv(REF / "glmmtmb_family_data.csv")
    X, names = design(d)
    fit = fit_clmm(d["severity"].to_numpy(), X, (d["family"].to_numpy(),), x_names=names)
    cond = predict_proba(fit, X[:5])
    alpha, beta = fit.params[:2], fit.params[2:]
    eta = X[:5] @ beta
    F = expit(alpha[None, :] - eta[:, None])
    np.testing.assert_allclose(cond, np.diff(np.c_[np.zeros(5), F, np.ones(5)], axis=1))
    marg = predict_proba(fit, X[:5], kind="marginal")
    np.testing.assert_allclose(marg.sum(axis=1), 1.0)
    # Monte Carlo integration over the family intercept as an independent check
    u = np.random.default_rng(1).normal(0, fit.re_sd["family"], 400_000)
    mc = np.mean(expit(alpha[0] - eta[0] - u))
    np.testing.assert_allclose(marg[0, 0], mc, atol=3e-3)
    # averaging over u pulls probabilities towards the extremes less than conditioning
    assert not np.allclose(marg, cond, atol=1e-3)


def test_unobserved_category_and_nested_agq_rejected() -> None:
    rng = np.random.default_rng(0)
    g = np.repeat(np.arange(20), 3)
    y = rng.choice([0, 2], size=60)
    with pytest.raises(DataError, match="never observed"):
        fit_clmm(y, rng.normal(size=(60, 1)), (g,))
    y = rng.integers(0, 3, 60)
    with pytest.raises(SpecificationError, match="n_agq"):
        fit_clmm(y, rng.normal(size=(60, 1)), (g, np.tile([0, 1, 1], 20)), n_agq=5)
