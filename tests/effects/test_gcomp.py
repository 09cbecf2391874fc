"""G-computation estimands and help-type analyses (kbeffect.effects.gcomp)."""

from __future__ import annotations

import dataclasses
import sys
import types
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import special
from statsmodels.stats.multitest import multipletests

import kbeffect.models.mixed as mixed_pkg
from kbeffect.effects.gcomp import help_effects, partial_eta_squared, wave_effects
from kbeffect.errors import DataError, SpecificationError
from kbeffect.models.mixed import mixed

REF = Path(__file__).resolve().parents[1] / "reference"
DATA = pd.read_csv(REF / "lme4_lmm_data.csv")


@pytest.fixture(scope="module")
def lin():
    return mixed("y ~ kb * C(wave) + age", DATA, groups=("family_id", "child_id"))


def test_linear_difference_equals_interaction_coefficient(lin):
    g = wave_effects(lin, DATA, treatment="kb", estimand="ATT")
    tab = lin.tidy().set_index("term")
    for w in (1, 2):
        row = g.table.set_index("term").loc[f"kb: change 0->{w}"]
        ref = tab.loc[f"kb:C(wave)[T.{w}]"]
        assert row["estimate"] == pytest.approx(ref["estimate"], rel=1e-10)
        assert row["std_error"] == pytest.approx(ref["std_error"], rel=1e-8)
        assert row["df"] == pytest.approx(ref["df"], rel=1e-6)  # Satterthwaite carried over
    ate = wave_effects(lin, DATA, treatment="kb", estimand="ATE")
    np.testing.assert_allclose(ate.table["estimate"], g.table["estimate"])  # no modification
    base = DATA[DATA.wave == 0]
    assert ate.n_units == len(base) > g.n_units == int((base.kb == 1).sum())


def test_att_and_ate_differ_under_effect_modification():
    res = mixed("y ~ kb * wave * age", DATA, groups=("family_id", "child_id"))
    b = res.params
    base = DATA[DATA.wave == 0]
    for estimand, pop in (("ATT", base[base.kb == 1]), ("ATE", base)):
        g = wave_effects(res, DATA, treatment="kb", estimand=estimand, waves=[2])
        truth = 2 * (b["kb:wave"] + b["kb:wave:age"] * pop.age.mean())
        assert g.table["estimate"].iloc[0] == pytest.approx(truth, rel=1e-10)
        L = pd.DataFrame({"kb:wave": [2.0], "kb:wave:age": [2 * pop.age.mean()]})
        assert g.table["std_error"].iloc[0] == pytest.approx(
            res.contrast(L)["std_error"].iloc[0], rel=1e-8)


def test_standardisation_weights():
    res = mixed("y ~ kb * wave * age", DATA, groups=("family_id", "child_id"))
    young = (DATA.age < 10).astype(float)
    w = wave_effects(res, DATA.assign(w=young), treatment="kb", estimand="ATE", weights="w")
    sub = wave_effects(res, DATA[DATA.age < 10], treatment="kb", estimand="ATE")
    np.testing.assert_allclose(w.table["estimate"], sub.table["estimate"], rtol=1e-10)
    np.testing.assert_allclose(w.table["std_error"], sub.table["std_error"], rtol=1e-10)
    with pytest.raises(SpecificationError, match="non-negative"):
        wave_effects(res, DATA.assign(w=-1.0), treatment="kb", weights="w")


def test_arm_means_and_summary(lin):
    g = wave_effects(lin, DATA, treatment="kb")
    assert list(g.arms.columns) == ["arm", "wave", "mean"] and len(g.arms) == 6
    assert "ATT" in str(g.summary())
    assert g.plot() is not None


def test_bad_options_raise(lin):
    with pytest.raises(SpecificationError, match="estimand"):
        wave_effects(lin, DATA, treatment="kb", estimand="ATC")
    with pytest.raises(SpecificationError, match="ordinal"):
        wave_effects(lin, DATA, treatment="kb", statistic="prob_lowest")
    with pytest.raises(SpecificationError, match="no rows"):
        wave_effects(lin, DATA, treatment="kb", baseline=7)


# ------------------------------------------------------------- count / ordinal paths
@dataclasses.dataclass(frozen=True)
class FakeFit:
    params: np.ndarray
    param_names: tuple
    cov_params: np.ndarray
    cov_robust: np.ndarray | None
    re_sd: dict
    loglik: float
    n_obs: int
    n_groups: tuple
    converged: bool
    message: str
    family: str
    n_fixed: int


@pytest.fixture
def fake(monkeypatch):
    rng = np.random.default_rng(0)

    def fit_glmm(y, X, groups, *, family, offset=None, weights=None, n_agq=1, zi_X=None,
                 x_names=None, **kw):
        p = X.shape[1]
        A = rng.normal(size=(p, p))
        return FakeFit(rng.normal(0, 0.3, p), tuple(x_names), A @ A.T / 50, None,
                       {"family_id": 0.6}, -1.0, len(y), (int(groups[0].max()) + 1,), True,
                       "", family, p)

    def fit_clmm(y_codes, X, groups, *, weights=None, n_agq=1, x_names=None, **kw):
        p = X.shape[1] + 2
        A = rng.normal(size=(p, p))
        return FakeFit(np.r_[-0.5, 1.0, rng.normal(0, 0.3, p - 2)],
                       ("0|1", "1|2", *x_names), A @ A.T / 50, None, {"family_id": 0.8},
                       -1.0, len(y_codes), (int(groups[0].max()) + 1,), True, "", "ordinal",
                       p - 2)

    def predict_mu(fit, X, offset, zi_X=None, kind="conditional"):
        scale = np.exp(0.5 * 0.6**2) if kind == "marginal" else 1.0
        return np.exp(X @ fit.params + offset) * scale

    def predict_proba(fit, X, *, kind="conditional"):
        p = fit.n_fixed
        thr, beta = fit.params[:-p], fit.params[-p:]
        sd = 0.8 if kind == "marginal" else 0.0
        z, w = np.polynomial.hermite_e.hermegauss(40)
        cum = special.expit(thr[None, :, None] - (X @ beta)[:, None, None] - sd * z) @ (w / w.sum())
        cum = np.concatenate([cum, np.ones((X.shape[0], 1))], axis=1)
        return np.diff(cum, prepend=0.0, axis=1)

    mod = types.ModuleType("kbeffect.models.mixed.glmm")
    mod.fit_glmm, mod.predict_mu = fit_glmm, predict_mu
    cl = types.ModuleType("kbeffect.models.mixed.clmm")
    cl.fit_clmm, cl.predict_proba = fit_clmm, predict_proba
    for name, m in (("glmm", mod), ("clmm", cl)):
        monkeypatch.setitem(sys.modules, f"kbeffect.models.mixed.{name}", m)
        monkeypatch.setattr(mixed_pkg, name, m, raising=False)


def test_ratio_of_rate_ratios_is_exp_interaction_for_loglinear_model(fake):
    d = DATA.assign(count=1, expo=np.where(DATA.wave == 2, 0.5, 1.0))
    res = mixed("count ~ kb * C(wave)", d, groups="family_id", family="poisson",
                exposure="expo")
    g = wave_effects(res, d, treatment="kb", scale="ratio")
    b, V = res.params, res.cov()
    for w in (1, 2):
        row = g.table.set_index("term").loc[f"kb: change 0->{w}"]
        name = f"kb:C(wave)[T.{w}]"
        assert row["estimate"] == pytest.approx(np.exp(b[name]), rel=1e-8)
        assert row["std_error"] == pytest.approx(np.exp(b[name]) * np.sqrt(V.loc[name, name]),
                                                 rel=1e-5)
        lo, hi = np.exp(b[name] + np.array([-1, 1]) * 1.959964 * np.sqrt(V.loc[name, name]))
        assert (row["conf_low"], row["conf_high"]) == pytest.approx((lo, hi), rel=1e-5)
    # difference in expected incidents per year: exposure set to 1 year in every wave
    diff = wave_effects(res, d, treatment="kb", scale="difference", kind="conditional")
    base = d[(d.wave == 0) & (d.kb == 1)]
    mu = {(a, w): np.exp(b["Intercept"] + a * b["kb"] + (w > 0) * b.get(f"C(wave)[T.{w}]", 0)
                         + a * (w > 0) * b.get(f"kb:C(wave)[T.{w}]", 0)) for a in (0, 1)
          for w in (0, 2)}
    truth = (mu[1, 2] - mu[1, 0]) - (mu[0, 2] - mu[0, 0])
    assert diff.table["estimate"].iloc[1] == pytest.approx(truth, rel=1e-8)
    assert diff.n_units == len(base)


def test_ordinal_probability_of_no_violence(fake):
    d = DATA.assign(sev=pd.cut(DATA.y, [-np.inf, 9, 11, np.inf], labels=False))
    res = mixed("sev ~ kb * C(wave)", d, groups="family_id", family="ordinal")
    g = wave_effects(res, d, treatment="kb", statistic="prob_lowest", kind="conditional",
                     estimand="ATE")
    th = res.params
    def p0(a, w):
        eta = th["0|1"] - (a * th["kb"] + (w > 0) * th.get(f"C(wave)[T.{w}]", 0)
                           + a * (w > 0) * th.get(f"kb:C(wave)[T.{w}]", 0))
        return special.expit(eta)
    truth = (p0(1, 1) - p0(1, 0)) - (p0(0, 1) - p0(0, 0))
    assert g.table["estimate"].iloc[0] == pytest.approx(truth, rel=1e-8)
    marg = wave_effects(res, d, treatment="kb", statistic="prob_lowest", kind="marginal")
    assert abs(marg.table["estimate"].iloc[0]) < abs(truth)  # attenuated when averaged


# ------------------------------------------------------------- help types
def _help_data(seed=3, n_fam=240):
    rng = np.random.default_rng(seed)
    rows = []
    for f in range(n_fam):
        kb = int(rng.random() < 0.5)
        sev0 = rng.normal()
        ggz = int(rng.random() < special.expit(sev0))  # more help where violence is worse
        dist = int(rng.random() < 0.4)
        u = rng.normal(0, 1.5)
        for w in range(3):
            y = 50 + 3 * sev0 - 2 * w * sev0 * 0.5 - 1.0 * w - 2.0 * ggz * (w > 0) + u \
                + rng.normal(0, 2)
            rows.append((f, f * 10, w, kb, sev0, ggz if w > 0 else np.nan,
                         dist if w > 0 else np.nan, y, y + rng.normal(0, 1)))
    return pd.DataFrame(rows, columns=["family_id", "person_id", "wave", "kb", "sev0",
                                       "help_ggz", "help_district", "score", "score2"])


def test_help_effects_recovers_effect_and_adjusts_pvalues():
    d = _help_data()
    tab = help_effects(d, outcomes=["score", "score2"], help_types=["help_ggz", "help_district"],
                       groups="family_id", unit="family_id", adjust="sev0", method="holm")
    assert set(tab["stratum"]) == {"kb=0", "kb=1", "pooled (difference)"}
    assert len(tab) == 3 * 2 * 2 * 2
    ggz = tab[(tab.help == "help_ggz") & (tab.outcome == "score") & (tab.stratum == "kb=1")]
    assert ggz["estimate"].to_numpy() == pytest.approx([-2.0, -2.0], abs=4 * ggz["std_error"].max())
    for _, grp in tab.groupby(["stratum", tab["term"].str.extract(r"T\.(\d)")[0]]):
        np.testing.assert_allclose(grp["p_adjusted"],
                                   multipletests(grp["p_value"], method="holm")[1])
    assert (tab["eta2_partial"].between(0, 1)).all()


def test_help_effects_units_within_families_and_non_numeric_help():
    # child ids coded within families (child 0 in every family): "ever received help" is
    # per (family, child), not pooled over all children that share an id
    d = _help_data(n_fam=60)
    d["person_id"] = 0
    d.loc[d["family_id"] != 0, "help_ggz"] = np.where(d["wave"] > 0, 0.0, np.nan)[
        d["family_id"] != 0]
    d.loc[(d["family_id"] == 0) & (d["wave"] > 0), "help_ggz"] = 1.0
    tab = help_effects(d, outcomes=["score"], help_types=["help_ggz"],
                       groups=("family_id", "person_id"), by=None)
    assert len(tab) == 2  # help in one family only: estimable, not all-treated
    bad = _help_data(n_fam=20).astype({"help_ggz": object})
    bad.loc[bad.index[1], "help_ggz"] = "yes"
    with pytest.raises(DataError, match="help_ggz"):
        help_effects(bad, outcomes=["score"], help_types=["help_ggz"], groups="family_id",
                     unit="family_id")


def test_partial_eta_squared_matches_f_formula():
    F, df = 4.0**2, 120.0
    assert partial_eta_squared(4.0, df) == pytest.approx(F / (F + df))


def test_count_model_with_real_kernel_ratio_equals_exp_interaction():
    """Integration with the count kernel (glmm.py): for a log-linear model the ratio of rate
    ratios is exp(order x wave) for conditional and marginal predictions alike."""
    rng = np.random.default_rng(12)
    u = rng.normal(0, 0.6, DATA.family_id.max() + 1)
    expo = np.where(DATA.wave == 2, 0.5, 1.0)
    mu = expo * np.exp(0.3 + 0.3 * DATA.kb - 0.2 * DATA.wave + u[DATA.family_id])
    d = DATA.assign(expo=expo, count=rng.poisson(mu))
    res = mixed("count ~ kb * C(wave)", d, groups="family_id", family="poisson", exposure="expo")
    b = res.params
    for kind in ("conditional", "marginal"):
        g = wave_effects(res, d, treatment="kb", scale="ratio", kind=kind)
        np.testing.assert_allclose(g.table["estimate"],
                                   np.exp(b[["kb:C(wave)[T.1]", "kb:C(wave)[T.2]"]]), rtol=1e-6)
