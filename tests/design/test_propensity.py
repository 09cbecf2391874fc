"""Propensity models against statsmodels and scikit-learn; covariate specification rules."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from kbeffect.design import match, propensity_score
from kbeffect.errors import DataError, SchemaError, SpecificationError

from ._helpers import make_families

COVS = ["income", "paid_work", "migration", "single_parent", "stress"]


@pytest.fixture(scope="module")
def fam() -> pd.DataFrame:
    return make_families(600, seed=41)


@pytest.mark.parametrize("link", ["logit", "probit"])
def test_glm_matches_statsmodels(fam: pd.DataFrame, link: str) -> None:
    model = propensity_score(fam, treatment="kb", covariates=COVS, link=link)
    X = sm.add_constant(np.column_stack([
        (fam["income"] == "gt3000"), (fam["income"] == "lt1500"), fam["paid_work"],
        fam["migration"], fam["single_parent"], fam["stress"]]).astype(float))
    cls = sm.Logit if link == "logit" else sm.Probit
    ref = cls(fam["kb"].to_numpy(), X).fit(disp=0, tol=1e-12, maxiter=200)
    assert model.columns == ("income[T.gt3000]", "income[T.lt1500]", "paid_work",
                             "migration", "single_parent", "stress")
    np.testing.assert_allclose(model.coef.to_numpy(), ref.params, rtol=1e-6, atol=1e-8)
    # standard errors from the expected information, as R's glm: for the probit (not a
    # canonical link) that is statsmodels' GLM, not Probit (observed Hessian)
    fam_sm = sm.families.Binomial(
        link=sm.families.links.Logit() if link == "logit" else sm.families.links.Probit()
    )
    glm = sm.GLM(fam["kb"].to_numpy(), X, family=fam_sm).fit(tol=1e-12)
    np.testing.assert_allclose(model.tidy()["std_error"], glm.bse, rtol=1e-5)
    np.testing.assert_allclose(model.ps, ref.predict(), rtol=1e-7)
    assert model.converged
    assert "Coefficients" in str(model.summary())


def test_formula_and_column_list_agree(fam: pd.DataFrame) -> None:
    a = propensity_score(fam, treatment="kb", covariates=COVS)
    b = propensity_score(fam, treatment="kb",
                         covariates="kb ~ income + paid_work + migration + single_parent + stress")
    np.testing.assert_allclose(a.ps, b.ps)
    c = propensity_score(fam, treatment="kb", covariates="~ C(income) + stress + stress:paid_work")
    assert "stress:paid_work" in c.columns


def test_regularised_and_classifier(fam: pd.DataFrame) -> None:
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(0)
    big = make_families(3000, seed=2).assign(noise=rng.normal(size=3000))
    lasso = propensity_score(big, treatment="kb", covariates=[*COVS, "noise"], method="lasso",
                             seed=1)
    glm = propensity_score(big, treatment="kb", covariates=[*COVS, "noise"])
    assert abs(lasso.coef["noise"]) <= abs(glm.coef["noise"]) + 1e-12
    assert np.corrcoef(lasso.ps, glm.ps)[0, 1] > 0.99
    ridge = propensity_score(fam, treatment="kb", covariates=COVS, method="ridge", seed=1)
    assert ridge.method == "ridge" and np.all((ridge.ps > 0) & (ridge.ps < 1))
    # an unpenalised sklearn logit reproduces the GLM
    lr = propensity_score(fam, treatment="kb", covariates=COVS,
                          method=LogisticRegression(C=1e10, max_iter=5000, tol=1e-10))
    base = propensity_score(fam, treatment="kb", covariates=COVS)
    np.testing.assert_allclose(lr.ps, base.ps, atol=1e-4)
    np.testing.assert_allclose(lr.linear_predictor, base.linear_predictor, atol=1e-3)
    rf = match(fam, treatment="kb", covariates=COVS,
               distance=RandomForestClassifier(n_estimators=50, min_samples_leaf=20,
                                               random_state=0))
    assert rf.propensity.method == "classifier" and rf.n_matched["treated"] > 0
    with pytest.raises(SpecificationError, match="predict_proba"):
        propensity_score(fam, treatment="kb", covariates=COVS, method=object())


def test_seed_reaches_an_unseeded_classifier(fam: pd.DataFrame) -> None:
    # a classifier left at random_state=None used to ignore seed: runs differed
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    rf = RandomForestClassifier(n_estimators=20, max_features=2)
    a = propensity_score(fam, treatment="kb", covariates=COVS, method=rf, seed=7)
    b = propensity_score(fam, treatment="kb", covariates=COVS, method=rf, seed=7)
    c = propensity_score(fam, treatment="kb", covariates=COVS, method=rf, seed=8)
    np.testing.assert_array_equal(a.ps, b.ps)
    assert not np.array_equal(a.ps, c.ps)
    assert rf.random_state is None  # the user's estimator is not modified
    pipe = make_pipeline(StandardScaler(), rf)
    p1 = propensity_score(fam, treatment="kb", covariates=COVS, method=pipe, seed=3)
    p2 = propensity_score(fam, treatment="kb", covariates=COVS, method=pipe, seed=3)
    np.testing.assert_array_equal(p1.ps, p2.ps)
    m1 = match(fam, treatment="kb", covariates=COVS, distance=rf, seed=5)
    m2 = match(fam, treatment="kb", covariates=COVS, distance=rf, seed=5)
    np.testing.assert_array_equal(m1.weights, m2.weights)


def test_missing_and_bad_inputs(fam: pd.DataFrame) -> None:
    bad = fam.copy()
    bad["income"] = bad["income"].astype(object)
    bad.loc[[1, 2], "income"] = None
    with pytest.raises(DataError, match="'income' \\(2 rows\\)"):
        propensity_score(bad, treatment="kb", covariates=COVS)
    ok = propensity_score(bad, treatment="kb", covariates=COVS, missing="drop")
    assert ok.exclusions.total == 2 and len(ok.ps) == len(fam) - 2
    assert "2 families excluded" in str(ok.summary())
    with pytest.raises(DataError, match="single value"):
        propensity_score(fam.assign(kb=1), treatment="kb", covariates=COVS)
    with pytest.raises(DataError, match="boolean or coded 0/1"):
        propensity_score(fam.assign(kb="yes"), treatment="kb", covariates=COVS)
    with pytest.raises(SchemaError, match="nope"):
        propensity_score(fam, treatment="kb", covariates=["nope"])
    with pytest.raises(SpecificationError, match="left"):
        propensity_score(fam, treatment="kb", covariates="y ~ stress")
    with pytest.raises(SpecificationError, match="among the covariates"):
        propensity_score(fam, treatment="kb", covariates=["kb", "stress"])
    with pytest.raises(SpecificationError, match="link"):
        propensity_score(fam, treatment="kb", covariates=COVS, link="cloglog")  # type: ignore[arg-type]
    with pytest.raises(SpecificationError, match="missing"):
        propensity_score(fam, treatment="kb", covariates=COVS, missing="ignore")  # type: ignore[arg-type]
    boolean = propensity_score(fam.assign(kb=fam["kb"].astype(bool)), treatment="kb",
                               covariates=COVS)
    np.testing.assert_allclose(boolean.ps, propensity_score(fam, treatment="kb",
                                                            covariates=COVS).ps)
