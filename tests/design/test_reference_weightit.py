"""Weights against WeightIt/cobalt formulas computed in R (tests/reference/weightit_*).

Fixtures are written by tests/reference/weightit_reference.R.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kbeffect.design import attrition_weights, weight

REF = Path(__file__).resolve().parents[1] / "reference"
COVS = ["x1", "x2", "x3"]


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    return pd.read_csv(REF / "weightit_data.csv")


@pytest.fixture(scope="module")
def ref() -> pd.DataFrame:
    return pd.read_csv(REF / "weightit_weights.csv")


@pytest.mark.parametrize("estimand", ["ATE", "ATT", "ATC", "ATO", "ATM"])
def test_weights_per_estimand(data: pd.DataFrame, ref: pd.DataFrame, estimand: str) -> None:
    res = weight(data, treatment="treat", covariates=COVS, estimand=estimand)
    np.testing.assert_allclose(res.ps, ref["ps"], rtol=1e-7)
    np.testing.assert_allclose(res.weights, ref[estimand], rtol=1e-6)


def test_stabilized_ate(data: pd.DataFrame, ref: pd.DataFrame) -> None:
    res = weight(data, treatment="treat", covariates=COVS, estimand="ATE", stabilize=True)
    np.testing.assert_allclose(res.weights, ref["ATE_stabilized"], rtol=1e-6)


@pytest.mark.parametrize(("estimand", "at", "col"), [("ATT", 0.9, "ATT_truncated"),
                                                     ("ATE", 0.95, "ATE_truncated")])
def test_truncation(data: pd.DataFrame, ref: pd.DataFrame, estimand: str, at: float,
                    col: str) -> None:
    res = weight(data, treatment="treat", covariates=COVS, estimand=estimand, truncate=at)
    np.testing.assert_allclose(res.weights, ref[col], rtol=1e-6)


def test_weights_within_strata(data: pd.DataFrame, ref: pd.DataFrame) -> None:
    res = weight(data, treatment="treat", covariates=COVS, estimand="ATE", by="stratum")
    np.testing.assert_allclose(res.weights, ref["ATE_by"], rtol=1e-6)
    assert set(res.propensity) == {"order", "voluntary"}


def test_balance_and_ess_match_cobalt_formulas(data: pd.DataFrame) -> None:
    exp = json.loads((REF / "weightit_balance.json").read_text())
    res = weight(data, treatment="treat", covariates=COVS, estimand="ATE")
    bal = res.balance()
    assert bal.s_d_denom == "pooled"
    for c in COVS:
        assert bal.table.loc[c, "smd_adj"] == pytest.approx(exp["smd_ate"][c], abs=1e-7)
    assert res.ess["treated"] == pytest.approx(exp["ess_ate"]["treated"], rel=1e-7)
    assert res.ess["control"] == pytest.approx(exp["ess_ate"]["control"], rel=1e-7)


def test_attrition_weights_monotone_stabilized(data: pd.DataFrame, ref: pd.DataFrame) -> None:
    res = attrition_weights(data, observed=["obs1", "obs2"], covariates=COVS)
    np.testing.assert_allclose(res.weights[:, 0], 1.0)
    np.testing.assert_allclose(res.weights[:, 1], ref["attr1"], rtol=1e-6)
    np.testing.assert_allclose(res.weights[:, 2], ref["attr2"], rtol=1e-6)
