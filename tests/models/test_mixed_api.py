"""Public API of kbeffect.models.mixed: validation, exclusions, result object, adapters."""

from __future__ import annotations

import json
import sys
import types
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

import kbeffect.models.mixed as mixed_pkg
from kbeffect.errors import (
    ConvergenceWarning,
    DataError,
    EstimationError,
    SchemaError,
    SpecificationError,
)
from kbeffect.models.mixed import MixedResult, did_fe, gee, mixed

REF = Path(__file__).resolve().parents[1] / "reference"
DATA = pd.read_csv(REF / "lme4_lmm_data.csv")


@pytest.fixture(scope="module")
def res() -> MixedResult:
    return mixed("y ~ kb * C(wave) + age", DATA, groups=("family_id", "child_id"))


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        (dict(family="tweedie"), SpecificationError, "family"),
        (dict(weights="w"), SpecificationError, "reml=False"),
        (dict(weights="w", reml=False, vcov="model"), SpecificationError, "robust"),
        (dict(exposure="age"), SpecificationError, "exposure"),
        (dict(family="poisson", random_slope="wave"), SpecificationError, "random_slope"),
        (dict(groups="nope"), SchemaError, "nope"),
        (dict(vcov="hc3"), SpecificationError, "vcov"),
        (dict(random_slope="wave", slope_level="age"), SpecificationError, "slope_level"),
        (dict(n_agq=0), SpecificationError, "n_agq"),
        (dict(conf_level=95), SpecificationError, "conf_level"),
    ],
)
def test_bad_arguments_raise_named_errors(kwargs, error, match):
    d = DATA.assign(w=1.0)
    args = {"groups": ("family_id", "child_id"), **kwargs}
    with pytest.raises(error, match=match):
        mixed("y ~ kb * wave", d, **args)


def test_missing_values_raise_by_default_and_are_counted_when_dropped():
    d = DATA.copy()
    d.loc[[3, 10, 11], "age"] = np.nan
    d.loc[[20], "child_id"] = np.nan
    with pytest.raises(DataError, match="missing"):
        mixed("y ~ kb * wave + age", d, groups=("family_id", "child_id"))
    r = mixed("y ~ kb * wave + age", d, groups=("family_id", "child_id"), missing="drop")
    assert r.exclusions.total == 4
    assert r.n_obs == len(d) - 4
    notes = " ".join(r.summary().notes)
    assert "3 rows excluded: missing value in a formula variable" in notes
    assert "1 rows excluded: missing value in a grouping" in notes
    full = mixed("y ~ kb * wave + age", d.drop(index=[3, 10, 11, 20]),
                 groups=("family_id", "child_id"))
    np.testing.assert_allclose(r.params, full.params, rtol=1e-10)


def test_one_family_is_rejected():
    with pytest.raises(DataError, match="at least two"):
        mixed("y ~ wave", DATA[DATA.family_id == 1], groups="family_id")


def test_weights_must_be_constant_within_family():
    d = DATA.assign(w=np.linspace(1, 2, len(DATA)))
    with pytest.raises(DataError, match="varies within"):
        mixed("y ~ kb * wave", d, groups="family_id", weights="w", reml=False)


def test_weights_series_must_cover_every_family():
    w = pd.Series(1.0, index=DATA.family_id.unique()[:-1])
    with pytest.raises(DataError, match="no value"):
        mixed("y ~ kb * wave", DATA, groups="family_id", weights=w, reml=False)


def test_unit_weights_give_unweighted_ml_estimates():
    a = mixed("y ~ kb * wave", DATA.assign(w=1.0), groups="family_id", weights="w", reml=False)
    b = mixed("y ~ kb * wave", DATA, groups="family_id", reml=False, vcov="robust")
    np.testing.assert_allclose(a.params, b.params, rtol=1e-9)
    np.testing.assert_allclose(a.bse, b.bse, rtol=1e-7)
    assert a.vcov_type == "robust"


def test_rank_deficient_design_raises():
    d = DATA.assign(kb2=DATA.kb * 2.0)
    with pytest.raises(EstimationError, match="rank deficient"):
        mixed("y ~ kb + kb2", d, groups="family_id")


def test_inner_levels_are_coded_within_family():
    d = DATA.assign(child_local=DATA.child_id % 10)  # 1, 2 in every family
    a = mixed("y ~ kb * wave", d, groups=("family_id", "child_local"))
    b = mixed("y ~ kb * wave", d, groups=("family_id", "child_id"))
    np.testing.assert_allclose(a.params, b.params, rtol=1e-10)
    assert a.n_groups["child_local"] == b.n_groups["child_id"] == DATA.child_id.nunique()


def test_tidy_columns_and_interval(res):
    tab = res.tidy()
    assert list(tab.columns) == ["term", "estimate", "std_error", "statistic", "df", "p_value",
                                 "conf_low", "conf_high"]
    from scipy import stats

    q = stats.t.ppf(0.975, tab["df"])
    np.testing.assert_allclose(tab["conf_high"] - tab["estimate"], q * tab["std_error"])
    wide = res.tidy(conf_level=0.99)
    assert (wide["conf_high"] > tab["conf_high"]).all()


def test_contrast_by_name_matches_tidy_row(res):
    L = pd.DataFrame({"kb:C(wave)[T.2]": [1.0], "kb:C(wave)[T.1]": [-1.0]}, index=["T2-T1"])
    out = res.contrast(L)
    beta, V = res.params, res.cov()
    a, b = "kb:C(wave)[T.2]", "kb:C(wave)[T.1]"
    assert out["estimate"].iloc[0] == pytest.approx(beta[a] - beta[b])
    assert out["std_error"].iloc[0] == pytest.approx(
        np.sqrt(V.loc[a, a] + V.loc[b, b] - 2 * V.loc[a, b]))
    with pytest.raises(SpecificationError, match="unknown"):
        res.contrast(pd.DataFrame({"nope": [1.0]}))


def test_wald_test_robust_and_errors(res):
    rob = mixed("y ~ kb * C(wave) + age", DATA, groups=("family_id", "child_id"), vcov="robust")
    out = rob.wald_test(["kb:C(wave)[T.1]", "kb:C(wave)[T.2]"]).iloc[0]
    names = ["kb:C(wave)[T.1]", "kb:C(wave)[T.2]"]
    b, V = rob.params[names].to_numpy(), rob.cov().loc[names, names].to_numpy()
    assert out["statistic"] == pytest.approx(b @ np.linalg.solve(V, b) / 2)
    assert out["den_df"] == 299 and out["num_df"] == 2
    one = res.wald_test("age").iloc[0]
    row = res.tidy().set_index("term").loc["age"]
    assert one["statistic"] == pytest.approx(row["statistic"] ** 2, rel=1e-10)
    assert one["den_df"] == pytest.approx(row["df"], rel=1e-10)
    assert one["p_value"] == pytest.approx(row["p_value"], rel=1e-6)
    with pytest.raises(SpecificationError, match="no coefficient"):
        res.wald_test("nope")
    with pytest.raises(SpecificationError, match="unknown"):
        res.wald_test(["age", "nope"])


def test_summary_plot_and_predict(res):
    text = str(res.summary())
    assert "Satterthwaite" in text and "family_id (300)" in text
    assert "<table>" in res.summary()._repr_html_()
    fig = res.plot()
    assert fig.axes[0].get_title().startswith("gaussian")
    new = DATA.head(7)
    X = np.column_stack([np.ones(7), new.kb, new.wave == 1, new.wave == 2, new.age,
                         new.kb * (new.wave == 1), new.kb * (new.wave == 2)])
    np.testing.assert_allclose(res.predict(new), X @ res.params.to_numpy())
    np.testing.assert_allclose(res.predict(new, kind="marginal"), res.predict(new))


# ---------------------------------------------------------------- GLMM adapter (contract)
@pytest.fixture
def fake_glmm(monkeypatch):
    calls: dict = {}

    def fit_glmm(y, X, groups, *, family, offset=None, weights=None, n_agq=1, zi_X=None,
                 x_names=None, **kw):
        calls.update(y=y, X=X, groups=groups, family=family, offset=offset, weights=weights,
                     n_agq=n_agq, zi_X=zi_X, x_names=x_names, **kw)
        p = X.shape[1]
        return types.SimpleNamespace(
            params=np.arange(p + 1.0), param_names=(*x_names, "log_alpha"),
            cov_params=np.eye(p + 1), cov_robust=2 * np.eye(p + 1), re_sd={"family_id": 0.5},
            loglik=-10.0, n_obs=len(y), n_groups=tuple(int(g.max()) + 1 for g in groups),
            converged=True, message="ok", family=family, n_fixed=p)

    def fit_clmm(y_codes, X, groups, *, weights=None, n_agq=1, x_names=None, **kw):
        calls.update(y=y_codes, X=X, x_names=x_names, **kw)
        # the real kernels warn once themselves when a fit does not converge
        warnings.warn("GLMM fit may not have converged: iteration limit.", ConvergenceWarning,
                      stacklevel=2)
        k = int(y_codes.max())
        names = tuple(f"{j}|{j + 1}" for j in range(k)) + tuple(x_names)
        return types.SimpleNamespace(
            params=np.zeros(len(names)), param_names=names, cov_params=np.eye(len(names)),
            cov_robust=None, re_sd={"family_id": 1.0}, loglik=-5.0, n_obs=len(y_codes),
            n_groups=(int(groups[0].max()) + 1,), converged=False, message="iteration limit",
            family="ordinal")

    def predict_mu(fit, X, offset, zi_X=None, kind="conditional"):
        calls.update(pred_kind=kind, pred_offset=offset, pred_zi=zi_X)
        return np.exp(X @ fit.params[: X.shape[1]] + (0 if offset is None else offset))

    mod = types.ModuleType("kbeffect.models.mixed.glmm")
    mod.fit_glmm, mod.predict_mu = fit_glmm, predict_mu
    cl = types.ModuleType("kbeffect.models.mixed.clmm")
    cl.fit_clmm = fit_clmm
    for name, m in (("glmm", mod), ("clmm", cl)):
        monkeypatch.setitem(sys.modules, f"kbeffect.models.mixed.{name}", m)
        monkeypatch.setattr(mixed_pkg, name, m, raising=False)
    return calls


def test_count_family_passes_contract_arrays(fake_glmm):
    d = DATA.assign(count=(DATA.y > 10).astype(int) * 3, expo=np.where(DATA.wave == 2, .5, 1.),
                    w=DATA.family_id % 3 + 1.0)
    r = mixed("count ~ kb * wave", d, groups=("family_id", "child_id"), family="zinb",
              exposure="expo", weights="w", zi_formula="~ kb")
    c = fake_glmm
    assert c["family"] == "zinb"
    np.testing.assert_allclose(c["offset"], np.log(d.expo))
    fams = np.sort(d.family_id.unique())
    np.testing.assert_allclose(c["weights"], fams % 3 + 1.0)
    assert c["groups"][0].max() == 299 and len(c["groups"]) == 2
    assert c["x_names"] == ("Intercept", "kb", "wave", "kb:wave")
    assert c["zi_X"].shape == (len(d), 2) and c["zi_names"] == ("Intercept", "kb")
    assert c["group_names"] == ("family_id", "child_id")
    assert r.vcov_type == "robust"
    tab = r.tidy()
    assert list(tab["term"]) == ["Intercept", "kb", "wave", "kb:wave", "log_alpha"]
    np.testing.assert_allclose(tab["std_error"], np.sqrt(2.0))
    assert np.isinf(tab["df"]).all()
    r.predict(d.head(3), kind="marginal")
    assert c["pred_kind"] == "marginal"
    np.testing.assert_allclose(c["pred_zi"], np.column_stack([np.ones(3), d.kb.head(3)]))
    np.testing.assert_allclose(c["pred_offset"], np.log(d.expo.head(3)))


def test_zero_part_missing_values_are_dropped_and_counted(fake_glmm):
    d = DATA.assign(count=(DATA.y > 10).astype(int), z=DATA.kb.astype(float))
    d.loc[d.index[:5], "z"] = np.nan
    with pytest.raises(DataError, match="z"):
        mixed("count ~ kb", d, groups="family_id", family="zip", zi_formula="~ z")
    r = mixed("count ~ kb", d, groups="family_id", family="zip", zi_formula="~ z",
              missing="drop")
    assert r.exclusions.total == 5 and len(fake_glmm["y"]) == len(d) - 5
    assert fake_glmm["zi_X"].shape == (len(d) - 5, 2)


def test_count_options_are_checked(fake_glmm):
    d = DATA.assign(count=(DATA.y > 10).astype(int), expo=1.0)
    with pytest.raises(SpecificationError, match="zi_formula"):
        mixed("count ~ kb", d, groups="family_id", family="negbin", zi_formula="~ kb")
    for bad in (np.inf, "one"):
        with pytest.raises(DataError, match="expo"):
            mixed("count ~ kb", d.assign(expo=bad), groups="family_id", family="poisson",
                  exposure="expo")


def test_count_family_rejects_non_counts(fake_glmm):
    with pytest.raises(DataError, match="counts"):
        mixed("y ~ kb", DATA, groups="family_id", family="poisson")


def test_ordinal_drops_intercept_and_warns_once_on_non_convergence(fake_glmm):
    d = DATA.assign(sev=pd.cut(DATA.y, [-np.inf, 9, 11, np.inf], labels=False))
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        r = mixed("sev ~ kb * wave", d, groups="family_id", family="ordinal")
    conv = [w for w in seen if issubclass(w.category, ConvergenceWarning)]
    assert len(conv) == 1 and "not have converged" in str(conv[0].message)
    assert fake_glmm["x_names"] == ("kb", "wave", "kb:wave")
    assert r.param_names[:2] == ("0|1", "1|2")
    with pytest.raises(EstimationError, match="robust"), pytest.warns(UserWarning):
        mixed("sev ~ kb", d, groups="family_id", family="ordinal", vcov="robust")


# ---------------------------------------------------------------- alternatives
GEE_REF = json.loads((REF / "lme4_gee_geepack.json").read_text())


def test_gee_gaussian_matches_geepack():
    r = gee("y ~ kb * wave + age", DATA)
    ref = GEE_REF["gaussian"]
    tab = r.tidy().set_index("term").loc[["Intercept", "kb", "wave", "age", "kb:wave"]]
    np.testing.assert_allclose(tab["estimate"], ref["estimate"], rtol=1e-4)
    # statsmodels and geepack estimate the exchangeable correlation with different
    # degrees-of-freedom conventions (0.3601 vs 0.3607 here)
    np.testing.assert_allclose(tab["std_error"], ref["se"], rtol=2e-3)
    assert r.details["Within-family correlation"] == pytest.approx(ref["alpha"], abs=2e-3)


def test_gee_poisson_matches_geepack():
    d = pd.read_csv(REF / "lme4_gee_counts.csv")
    r = gee("count ~ kb * wave", d, family="poisson")
    ref = GEE_REF["poisson"]
    np.testing.assert_allclose(r.tidy()["estimate"], ref["estimate"], rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(r.tidy()["std_error"], ref["se"], rtol=2e-3)


def test_gee_rejects_non_positive_exposure():
    d = pd.read_csv(REF / "lme4_gee_counts.csv").assign(expo=1.0)
    d.loc[d.index[0], "expo"] = 0.0
    with pytest.raises(DataError, match="expo"):
        gee("count ~ kb * wave", d, family="poisson", exposure="expo")


def test_did_fe_matches_ols_with_dummies():
    sub = DATA[DATA.family_id <= 120]
    r = did_fe("y ~ kb:C(wave) + kb", sub, unit="child_id")
    d = sub.assign(k1=sub.kb * (sub.wave == 1), k2=sub.kb * (sub.wave == 2))
    m = smf.ols("y ~ k1 + k2 + C(child_id) + C(wave)", d).fit(
        cov_type="cluster", cov_kwds={"groups": pd.factorize(d.family_id)[0]})
    tab = r.tidy()
    np.testing.assert_allclose(tab["estimate"], m.params[["k1", "k2"]], rtol=1e-8)
    # small-sample factors differ: statsmodels counts the absorbed dummies in K
    np.testing.assert_allclose(tab["std_error"], m.bse[["k1", "k2"]], rtol=5e-3)
    assert r.details["Absorbed terms"] == "kb"
    assert (tab["df"] == sub.family_id.nunique() - 1).all()
    assert "did_fe" in str(r.summary())


def test_did_fe_needs_one_row_per_unit_and_wave():
    with pytest.raises(DataError, match="one row per"):
        did_fe("y ~ kb:C(wave)", DATA, unit="family_id")
