"""Classic tests against R 4.2 (tests/reference/classic_tests.R) and scipy/statsmodels/pingouin."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pingouin as pg
import pytest
from scipy import stats
from statsmodels.stats.contingency_tables import cochrans_q as sm_cochrans_q
from statsmodels.stats.contingency_tables import mcnemar as sm_mcnemar

from kbeffect.models.classic import (
    chi2_test,
    cochran_q,
    fisher_test,
    mcnemar_test,
    oneway_anova,
    ttest,
    ttest_summary,
)

R = json.loads((Path(__file__).parents[1] / "reference" / "classic_tests.json").read_text())
RTOL = 1e-9


def num(v):
    return np.asarray(v, dtype=float) if isinstance(v, list) else float(v)


D = {k: (num(v) if k != "g3" else v) for k, v in R["data"].items()}
TAB22 = D["tab22"].reshape(2, 2, order="F").astype(int)
TAB23 = D["tab23"].reshape(2, 3, order="F").astype(int)
TAB33 = D["tab33"].reshape(3, 3, order="F").astype(int)
MC = D["mc"].reshape(2, 2, order="F").astype(int)


def check_t(res, ref) -> None:
    np.testing.assert_allclose(res.statistic, num(ref["t"]), rtol=RTOL)
    np.testing.assert_allclose(res.df[0], num(ref["df"]), rtol=RTOL)
    np.testing.assert_allclose(res.pvalue, num(ref["p"]), rtol=RTOL)
    np.testing.assert_allclose(res.ci, num(ref["ci"]), rtol=RTOL)


# ---------------------------------------------------------------- t tests
def test_one_sample_t() -> None:
    res = ttest(D["x"], mu=50)
    check_t(res, R["t_one"])
    np.testing.assert_allclose(res.estimate, num(R["t_one"]["estimate"]), rtol=RTOL)
    g = ttest(D["x"], mu=50, alternative="greater")
    np.testing.assert_allclose(g.pvalue, num(R["t_one_greater"]["p"]), rtol=RTOL)
    assert g.ci[1] == np.inf
    np.testing.assert_allclose(g.ci[0], num(R["t_one_greater"]["ci"])[0], rtol=RTOL)
    pgo = pg.ttest(D["x"], 50)  # pingouin reports |d|
    d = res.effect_sizes["cohens_d"]
    np.testing.assert_allclose(abs(d), pgo["cohen_d"].iloc[0], rtol=1e-10)
    assert np.sign(d) == np.sign(D["x"].mean() - 50)


def test_two_sample_student_and_welch() -> None:
    student = ttest(D["x"], D["y"])
    check_t(student, R["t_student"])
    welch = ttest(D["x"], D["y"], equal_var=False)
    check_t(welch, R["t_welch"])
    pgo = pg.ttest(D["x"], D["y"], correction=False)
    np.testing.assert_allclose(abs(student.effect_sizes["cohens_d"]), pgo["cohen_d"].iloc[0],
                               rtol=1e-10)
    g = pg.compute_effsize(D["x"], D["y"], eftype="hedges")
    np.testing.assert_allclose(student.effect_sizes["hedges_g"], g, rtol=1e-10)
    assert welch.effect_sizes["cohens_d"] == student.effect_sizes["cohens_d"]


def test_paired_t() -> None:
    res = ttest(D["xp"], D["yp"], paired=True)
    check_t(res, R["t_paired"])
    diff = D["xp"] - D["yp"]
    np.testing.assert_allclose(res.effect_sizes["cohens_dz"], diff.mean() / diff.std(ddof=1))
    pgo = pg.compute_effsize(D["xp"], D["yp"], paired=True, eftype="cohen")
    np.testing.assert_allclose(res.effect_sizes["cohens_d"], pgo, rtol=1e-10)


def test_summary_statistics_two_sample_equals_raw() -> None:
    x, y = D["x"], D["y"]
    for equal_var in (True, False):
        s = ttest_summary(x.mean(), x.std(ddof=1), x.size, ref_mean=y.mean(),
                          ref_sd=y.std(ddof=1), ref_n=y.size, equal_var=equal_var)
        sp = stats.ttest_ind_from_stats(x.mean(), x.std(ddof=1), x.size, y.mean(),
                                        y.std(ddof=1), y.size, equal_var=equal_var)
        np.testing.assert_allclose([s.statistic, s.pvalue], [sp.statistic, sp.pvalue],
                                   rtol=1e-10)
        check_t(s, R["t_student" if equal_var else "t_welch"])


def test_summary_statistics_one_sample_reference_mean() -> None:
    x = D["x"]
    s = ttest_summary(x.mean(), x.std(ddof=1), x.size, ref_mean=50)
    check_t(s, R["t_one"])
    # T-score norm: population mean 50 and SD 10 standardise d
    s10 = ttest_summary(x.mean(), x.std(ddof=1), x.size, ref_mean=50, ref_sd=10)
    np.testing.assert_allclose(s10.effect_sizes["cohens_d"], (x.mean() - 50) / 10)
    assert s10.pvalue == s.pvalue


# ---------------------------------------------------------------- ANOVA
def test_oneway_anova_and_welch() -> None:
    df = pd.DataFrame({"g": R["data"]["g3"], "v": D["v3"]})
    res = oneway_anova(df, dv="v", group="g")
    ref = R["aov"]
    np.testing.assert_allclose([res.statistic, *res.df, res.pvalue, res.effect_sizes["eta2"]],
                               [num(ref[k]) for k in ("F", "df1", "df2", "p", "eta2")],
                               rtol=RTOL)
    pgo = pg.anova(df, dv="v", between="g", effsize="n2")
    np.testing.assert_allclose(res.effect_sizes["eta2"], pgo["n2"].iloc[0], rtol=1e-10)
    np.testing.assert_allclose(res.statistic, stats.f_oneway(
        *[g["v"] for _, g in df.groupby("g")]).statistic, rtol=1e-10)
    w = oneway_anova(df, dv="v", group="g", welch=True)
    ref = R["welch"]
    np.testing.assert_allclose([w.statistic, *w.df, w.pvalue],
                               [num(ref[k]) for k in ("F", "df1", "df2", "p")], rtol=RTOL)
    assert res.tidy()["eta2_label"].iloc[0] in {"small", "medium", "large", "negligible"}


# ---------------------------------------------------------------- counts
def check_chi(res, ref) -> None:
    np.testing.assert_allclose(res.statistic, num(ref["stat"]), rtol=RTOL)
    np.testing.assert_allclose(res.df[0], num(ref["df"]), rtol=RTOL)
    np.testing.assert_allclose(res.pvalue, num(ref["p"]), rtol=RTOL)
    np.testing.assert_allclose(res.tables["expected"].to_numpy().ravel(order="F"),
                               num(ref["expected"]), rtol=RTOL)


def test_chi_square() -> None:
    check_chi(chi2_test(TAB22), R["chisq22"])
    check_chi(chi2_test(TAB22, correction=False), R["chisq22_nocorr"])
    res = chi2_test(TAB23)
    check_chi(res, R["chisq23"])
    v = stats.contingency.association(TAB23, method="cramer")
    np.testing.assert_allclose(res.effect_sizes["cramers_v"], v, rtol=1e-12)
    phi = chi2_test(TAB22).effect_sizes["phi"]
    np.testing.assert_allclose(abs(phi), stats.contingency.association(TAB22), rtol=1e-12)
    assert phi > 0  # 12 * 19 > 7 * 5


def test_chi_square_from_data_frame_equals_table() -> None:
    rows = [("kb", "yes")] * 12 + [("vol", "yes")] * 5 + [("kb", "no")] * 7 + [("vol", "no")] * 19
    df = pd.DataFrame(rows, columns=["group", "violence"])
    a = chi2_test(df, row="group", col="violence")
    b = chi2_test(pd.crosstab(df["group"], df["violence"]))
    assert a.statistic == b.statistic and a.pvalue == b.pvalue


def test_fisher() -> None:
    res = fisher_test(TAB22)
    ref = R["fisher22"]
    np.testing.assert_allclose(res.pvalue, num(ref["p"]), rtol=RTOL)
    # R's conditional MLE and interval come from uniroot (tol ~1e-4): compare loosely
    np.testing.assert_allclose(res.estimate, num(ref["or"]), rtol=1e-4)
    np.testing.assert_allclose(res.ci, num(ref["ci"]), rtol=2e-3)
    less = fisher_test(TAB22, alternative="less")
    np.testing.assert_allclose(less.pvalue, num(R["fisher22_less"]["p"]), rtol=RTOL)
    np.testing.assert_allclose(fisher_test(TAB23).pvalue, num(R["fisher23"]["p"]), rtol=RTOL)
    np.testing.assert_allclose(fisher_test(TAB33).pvalue, num(R["fisher33"]["p"]), rtol=RTOL)


def test_fisher_rxc_enumeration_equals_2x2_exact() -> None:
    from kbeffect.models.classic.tables import _fisher_rxc

    for tab in ([[3, 1], [1, 3]], [[10, 2], [3, 15]], [[0, 5], [6, 1]]):
        arr = np.array(tab)
        np.testing.assert_allclose(_fisher_rxc(arr, 10**6), stats.fisher_exact(arr).pvalue,
                                   rtol=1e-10)


def test_mcnemar() -> None:
    chi = mcnemar_test(MC, method="chi2")
    np.testing.assert_allclose([chi.statistic, chi.pvalue],
                               [num(R["mcnemar"]["stat"]), num(R["mcnemar"]["p"])], rtol=RTOL)
    nc = mcnemar_test(MC, method="chi2", correction=False)
    np.testing.assert_allclose([nc.statistic, nc.pvalue],
                               [num(R["mcnemar_nocorr"]["stat"]), num(R["mcnemar_nocorr"]["p"])],
                               rtol=RTOL)
    ex = mcnemar_test(MC)
    np.testing.assert_allclose(ex.pvalue, num(R["mcnemar_exact"]["p"]), rtol=RTOL)
    np.testing.assert_allclose(ex.pvalue, sm_mcnemar(MC, exact=True).pvalue, rtol=1e-10)
    np.testing.assert_allclose(chi.pvalue, sm_mcnemar(MC, exact=False).pvalue, rtol=1e-10)
    np.testing.assert_allclose(ex.estimate, (MC[0, 1] - MC[1, 0]) / MC.sum())


def test_mcnemar_from_columns() -> None:
    before = np.repeat([0, 0, 1, 1], MC.ravel())
    after = np.repeat([0, 1, 0, 1], MC.ravel())
    df = pd.DataFrame({"t0": before, "t2": after})
    res = mcnemar_test(df, before="t0", after="t2")
    np.testing.assert_allclose(res.pvalue, mcnemar_test(MC).pvalue)


def test_cochran_q_matches_statsmodels() -> None:
    rng = np.random.default_rng(3)
    x = (rng.uniform(size=(40, 3)) < np.array([0.6, 0.4, 0.3])).astype(int)
    long = pd.DataFrame(x, columns=["T0", "T1", "T2"]).rename_axis("id").reset_index().melt(
        id_vars="id", var_name="wave", value_name="violence")
    res = cochran_q(long, dv="violence", subject="id")
    ref = sm_cochrans_q(x)
    np.testing.assert_allclose([res.statistic, res.pvalue], [ref.statistic, ref.pvalue],
                               rtol=1e-10)
    assert res.df == (2.0,)
    two = cochran_q(long[long["wave"] != "T1"], dv="violence", subject="id")
    mc = mcnemar_test(pd.crosstab(x[:, 0], x[:, 2]).to_numpy(), method="chi2", correction=False)
    np.testing.assert_allclose(two.statistic, mc.statistic, rtol=1e-12)  # Q = McNemar for k=2


@pytest.mark.parametrize("n", [30, 200])
def test_ttest_matches_scipy_random(n: int) -> None:
    rng = np.random.default_rng(n)
    x, y = rng.normal(0.3, 1, n), rng.normal(0, 2, n + 7)
    for eq in (True, False):
        ours = ttest(x, y, equal_var=eq)
        ref = stats.ttest_ind(x, y, equal_var=eq)
        np.testing.assert_allclose([ours.statistic, ours.pvalue], [ref.statistic, ref.pvalue],
                                   rtol=1e-10)
