"""kbeffect.design against MatchIt 4.5.1 reference values (tests/reference/matchit_*).

The fixtures are written by tests/reference/matchit_reference.R. Nearest-neighbour matched
sets from this MatchIt version are not used as expected values (see
shared/design/reference-tools.md); they are tested against an O(n^2) reference matcher in
test_matching_nearest.py instead.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kbeffect.design import balance, match, propensity_score
from kbeffect.design.matching.weights import mahalanobis_points, match_matrix_weights

REF = Path(__file__).resolve().parents[1] / "reference"
COVS = ["x1", "x2", "x3", "edu"]
R_TO_PY = {"eduprimary": "edu[T.primary]", "edusecondary": "edu[T.secondary]"}


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    d = pd.read_csv(REF / "matchit_data.csv")
    d["edu"] = pd.Categorical(d["edu"], categories=["higher", "primary", "secondary"])
    return d


def _r_balance(name: str) -> pd.DataFrame:
    tab = pd.read_csv(REF / name)
    tab["term"] = tab["term"].replace(R_TO_PY)
    return tab.set_index("term")


def _compare(res_table: pd.DataFrame, ref: pd.DataFrame, suffix: str) -> None:
    terms = [t for t in ref.index if t in res_table.index]
    assert len(terms) >= 5
    for stat in ("mean_treated", "mean_control", "smd", "var_ratio", "ecdf_mean", "ecdf_max"):
        got = res_table.loc[terms, f"{stat}_{suffix}"].to_numpy(dtype=float)
        exp = ref.loc[terms, stat].to_numpy(dtype=float)
        np.testing.assert_allclose(got, exp, rtol=1e-6, atol=1e-9, err_msg=stat)


@pytest.mark.parametrize("link", ["logit", "probit", "linear_logit"])
def test_propensity_scores_match_r_glm(data: pd.DataFrame, link: str) -> None:
    ref = pd.read_csv(REF / "matchit_ps.csv")
    model = propensity_score(data, treatment="treat", covariates=COVS, link=link)
    # R's glm stops at a relative deviance change of 1e-8; for the probit (Fisher scoring,
    # linear convergence) that leaves R's estimate ~1e-6 from the optimum we reach.
    rtol = 2e-5 if link == "probit" else 1e-7
    np.testing.assert_allclose(model.distance(), ref[link], rtol=rtol, atol=1e-9)


@pytest.mark.parametrize("link", ["logit", "probit"])
def test_coefficients_match_r_glm(data: pd.DataFrame, link: str) -> None:
    coef = json.loads((REF / "matchit_coef.json").read_text())[link]
    model = propensity_score(data, treatment="treat", covariates=COVS, link=link)
    assert model.coef is not None
    got = dict(zip(model.coef.index, model.coef.to_numpy(), strict=True))
    names = {"(Intercept)": "(Intercept)", "x1": "x1", "x2": "x2", "x3": "x3", **R_TO_PY}
    for r_name, value in coef.items():
        rel = 2e-5 if link == "probit" else 1e-7
        assert got[names[r_name]] == pytest.approx(value, rel=rel, abs=1e-9)


@pytest.mark.parametrize(("estimand", "fname"), [("ATT", "matchit_balance_all_att.csv"),
                                                 ("ATE", "matchit_balance_all_ate.csv")])
def test_unadjusted_balance_matches_summary_matchit(
    data: pd.DataFrame, estimand: str, fname: str
) -> None:
    ref = _r_balance(fname)
    d = data.assign(distance=pd.read_csv(REF / "matchit_ps.csv")["logit"])
    res = balance(d, treatment="treat", covariates=["distance", *COVS], estimand=estimand)
    _compare(res.table, ref, "un")


@pytest.mark.parametrize("estimand", ["ATT", "ATE"])
def test_subclassification_matches_matchit(data: pd.DataFrame, estimand: str) -> None:
    ref = pd.read_csv(REF / f"matchit_subclass_{estimand.lower()}.csv")
    res = match(data, treatment="treat", covariates=COVS, method="subclass", subclass=5,
                estimand=estimand)
    np.testing.assert_array_equal(res.subclass + 1, ref["subclass"])
    np.testing.assert_allclose(res.weights, ref["weights"], rtol=1e-10)
    bal = res.balance()
    _compare(bal.table, _r_balance(f"matchit_subclass_{estimand.lower()}_balance.csv"), "adj")


def test_cem_matches_matchit(data: pd.DataFrame) -> None:
    ref = pd.read_csv(REF / "matchit_cem.csv")
    res = match(data, treatment="treat", covariates=COVS, method="cem")
    np.testing.assert_allclose(res.weights, ref["weights"], rtol=1e-10)
    # same partition of matched units into strata (labels may differ)
    matched = ref["subclass"].notna().to_numpy()
    np.testing.assert_array_equal(res.subclass >= 0, matched)
    pairs = pd.crosstab(res.subclass[matched], ref["subclass"][matched])
    assert ((pairs > 0).sum(axis=1) == 1).all() and ((pairs > 0).sum(axis=0) == 1).all()
    _compare(res.balance(distance=False).table, _r_balance("matchit_cem_balance.csv"), "adj")


def test_weights_from_match_matrix_match_matchit(data: pd.DataFrame) -> None:
    mm = pd.read_csv(REF / "matchit_nn_replace_mm.csv")
    focal = mm["focal"].to_numpy() - 1
    cols = mm[["c1", "c2"]].to_numpy(dtype=float)
    m = np.where(np.isnan(cols), -1, cols - 1).astype(np.int64)
    w = match_matrix_weights(m, focal, len(data))
    ref = pd.read_csv(REF / "matchit_nn_replace_weights.csv")["weights"].to_numpy()
    np.testing.assert_allclose(w, ref, rtol=1e-10)
    # balance statistics under MatchIt's own weights
    d = data.assign(distance=pd.read_csv(REF / "matchit_ps.csv")["logit"])
    res = balance(d, treatment="treat", covariates=["distance", *COVS], weights=ref)
    _compare(res.table, _r_balance("matchit_nn_replace_balance.csv"), "adj")


def test_mahalanobis_transform_matches_matchit(data: pd.DataFrame) -> None:
    block = pd.read_csv(REF / "matchit_mahalanobis_block.csv", index_col=0)
    X = data[["x1", "x2", "x3"]].to_numpy(dtype=float)
    t = data["treat"].to_numpy()
    Z = mahalanobis_points(X, t)
    rows = block.index.to_numpy() - 1
    cols = block.columns.astype(int).to_numpy() - 1
    D = np.sqrt(((Z[rows][:, None, :] - Z[cols][None, :, :]) ** 2).sum(-1))
    np.testing.assert_allclose(D, block.to_numpy(), rtol=1e-8)
