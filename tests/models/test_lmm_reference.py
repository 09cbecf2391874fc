"""Linear mixed model vs lme4 / lmerTest reference values (tests/reference/lme4_lmm.R)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kbeffect.models.mixed import mixed

REF = Path(__file__).resolve().parents[1] / "reference"
DATA = pd.read_csv(REF / "lme4_lmm_data.csv")
RESULTS = json.loads((REF / "lme4_lmm_reference.json").read_text())

CASES = {
    "nested_reml": dict(formula="y ~ kb * C(wave) + age", groups=("family_id", "child_id"),
                        reml=True),
    "nested_ml": dict(formula="y ~ kb * C(wave) + age", groups=("family_id", "child_id"),
                      reml=False),
    "slope_reml": dict(formula="y ~ kb * wave + age", groups=("family_id", "child_id"),
                       reml=True, random_slope="wave"),
    "family_ml": dict(formula="y ~ kb * wave + age", groups="family_id", reml=False),
}


def _fit(case: str, **extra):
    spec = dict(CASES[case])
    formula = spec.pop("formula")
    return mixed(formula, DATA, **spec, **extra)


def _vc(ref: dict, grp: str, var1: str, var2=None) -> float:
    for g, v1, v2, val in zip(ref["vc_grp"], ref["vc_var1"], ref["vc_var2"], ref["vc_vcov"],
                              strict=True):
        if g == grp and v1 == var1 and v2 == var2:
            return float(val)
    raise KeyError((grp, var1, var2))


@pytest.fixture(scope="module", params=list(CASES))
def case(request):
    return request.param, _fit(request.param), RESULTS[request.param]


def test_fixed_effects_match_lme4(case):
    _, res, ref = case
    np.testing.assert_allclose(res.params.to_numpy(), ref["fixef"], rtol=1e-4, atol=1e-7)


def test_term_order_matches_r(case):
    _, res, ref = case
    clean = [n.replace("C(wave)[T.", "wave_f").replace("]", "").replace("Intercept",
             "(Intercept)") for n in res.param_names]
    assert clean == ref["names"]


def test_standard_errors_and_satterthwaite_df_match_lmertest(case):
    _, res, ref = case
    tab = res.tidy()
    np.testing.assert_allclose(tab["std_error"], ref["se"], rtol=1e-4)
    np.testing.assert_allclose(tab["df"], ref["df"], rtol=1e-4)


def test_loglik_matches_lme4(case):
    _, res, ref = case
    assert res.fit.reml is ref["reml"]
    assert res.loglik == pytest.approx(ref["loglik"], abs=1e-6)


def test_variance_components_match_lme4(case):
    name, res, ref = case
    vc = res.variance_components.set_index(["level", "term"])
    assert vc.loc[("Residual", ""), "variance"] == pytest.approx(ref["sigma"] ** 2, rel=1e-3)
    assert vc.loc[("family_id", "(Intercept)"), "variance"] == pytest.approx(
        _vc(ref, "family_id", "(Intercept)"), rel=1e-3)
    if "child" in str(CASES[name]["groups"]):
        assert vc.loc[("child_id", "(Intercept)"), "variance"] == pytest.approx(
            _vc(ref, "family_id:child_id", "(Intercept)"), rel=1e-3)
    if name == "slope_reml":
        assert vc.loc[("family_id", "wave"), "variance"] == pytest.approx(
            _vc(ref, "family_id", "wave"), rel=1e-3)
        cov = _vc(ref, "family_id", "(Intercept)", "wave")
        G = res.fit.re_cov["family_id"]
        assert G[0, 1] == pytest.approx(cov, rel=1e-3)


def test_robust_sandwich_matches_r_computation(case):
    _, res, ref = case
    np.testing.assert_allclose(res.fit.cov_robust, np.array(ref["robust"]), rtol=1e-4,
                               atol=1e-9)


def test_satterthwaite_f_tests_match_lmertest_anova(case):
    """Terms not contained in a higher-order term: the type III contrast is the coefficients."""
    _, res, ref = case
    av = dict(zip(ref["anova_terms"], zip(ref["anova_F"], ref["anova_numdf"], ref["anova_dendf"],
                                        strict=True), strict=True))
    checks = {"age": "age"} if "age" in av else {}
    checks["kb:wave_f" if "kb:wave_f" in av else "kb:wave"] = (
        "kb:C(wave)" if "kb:wave_f" in av else "kb:wave")
    for r_term, prefix in checks.items():
        out = res.wald_test(prefix).iloc[0]
        F, q, den = av[r_term]
        assert out["num_df"] == q
        assert out["statistic"] == pytest.approx(F, rel=1e-4)
        assert out["den_df"] == pytest.approx(den, rel=2e-3)


def test_blups_match_lme4_ranef(case):
    name, res, ref = case
    fam = res.ranef()
    r_fam = pd.DataFrame(np.atleast_2d(np.array(ref["ranef_family"], float)),
                         index=[int(x) for x in ref["ranef_family_names"]])
    if r_fam.shape[0] == 1:
        r_fam = r_fam.T
    np.testing.assert_allclose(fam.loc[r_fam.index].to_numpy(), r_fam.to_numpy(),
                               rtol=1e-3, atol=1e-5)
    if ref["ranef_child_names"]:
        child = res.ranef("child_id")
        keys = [tuple(int(v) for v in s.split(":")) for s in ref["ranef_child_names"]]
        np.testing.assert_allclose(child.loc[keys, "(Intercept)"], ref["ranef_child"],
                                   rtol=1e-3, atol=1e-5)
    if name == "slope_reml":
        assert list(fam.columns) == ["(Intercept)", "wave"]
