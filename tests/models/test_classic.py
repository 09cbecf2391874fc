"""Classic tests: input handling, exclusions, errors, result objects, simulated truth."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kbeffect.errors import DataError, EstimationError, SchemaError, SpecificationError
from kbeffect.models.classic import (
    TestResult,
    chi2_test,
    cochran_q,
    fisher_test,
    mcnemar_test,
    oneway_anova,
    ttest,
    ttest_summary,
)


def test_missing_values_raise_or_are_counted() -> None:
    x = np.array([1.0, 2.0, np.nan, 4.0, 5.0])
    with pytest.raises(DataError, match="missing='drop'"):
        ttest(x)
    res = ttest(x, missing="drop")
    assert res.n == {"n": 4} and res.exclusions.total == 1
    assert res.exclusions.ids == {"missing value in x": (2,)}
    np.testing.assert_allclose(res.statistic, ttest(x[~np.isnan(x)]).statistic)
    y = np.array([2.0, np.nan, 3.0, 5.0, 7.0])
    paired = ttest(x, y, paired=True, missing="drop")
    assert paired.exclusions.total == 2 and paired.n == {"n": 3}
    df = pd.DataFrame({"g": ["a", "b", None, "a", "b", "a"], "v": [1, 2, 3, 4, 5, 6.0]})
    with pytest.raises(DataError, match="'g'"):
        oneway_anova(df, dv="v", group="g")
    res = oneway_anova(df, dv="v", group="g", missing="drop")
    assert res.exclusions.total == 1 and res.n["total"] == 5
    cat = pd.DataFrame({"a": ["x", "y", "x", None, "y"], "b": ["u", "u", "v", "v", "v"]})
    with pytest.raises(DataError):
        chi2_test(cat, row="a", col="b")
    assert chi2_test(cat, row="a", col="b", missing="drop").exclusions.total == 1


def test_cochran_q_excludes_incomplete_subjects() -> None:
    long = pd.DataFrame({"id": [1, 1, 1, 2, 2, 3, 3, 3, 4, 4, 4],
                         "wave": ["T0", "T1", "T2"] * 3 + ["T0", "T1"],
                         "y": [1, 0, 0, 1, 1, 1, 1, 0, 0, 1, 0]})
    res = cochran_q(long, dv="y", subject="id")
    assert res.exclusions.total == 1 and res.exclusions.ids[next(iter(res.exclusions.ids))] == (2,)
    assert res.n == {"subjects": 3}
    with pytest.raises(DataError):
        cochran_q(long, dv="y", subject="id", incomplete="raise")
    with pytest.raises(DataError, match="binary"):
        cochran_q(long.assign(y=long["y"] * 2), dv="y", subject="id")


def test_bad_input() -> None:
    with pytest.raises(DataError, match="non-negative integer"):
        chi2_test([[1, -1], [2, 3]])
    with pytest.raises(DataError, match="2 x 2"):
        chi2_test([[1, 2, 3]])
    with pytest.raises(DataError, match="empty row or column"):
        chi2_test([[0, 0], [2, 3]])
    with pytest.raises(SpecificationError, match="row and col"):
        chi2_test(pd.DataFrame({"a": [1]}), row="a")
    with pytest.raises(SchemaError, match="zz"):
        chi2_test(pd.DataFrame({"a": [1]}), row="a", col="zz")
    with pytest.raises(DataError, match="two binary"):
        mcnemar_test([[1, 2, 3], [4, 5, 6]])
    with pytest.raises(EstimationError, match="discordant"):
        mcnemar_test([[3, 0], [0, 4]], method="chi2")
    with pytest.raises(EstimationError, match="2 x 2"):
        fisher_test([[1, 2, 3], [3, 2, 1]], alternative="less")
    with pytest.raises(EstimationError, match="max_tables"):
        fisher_test([[10, 12, 9], [11, 8, 14], [9, 13, 10]], max_tables=100)
    with pytest.raises(SpecificationError, match="alternative"):
        ttest([1.0, 2.0, 3.0], alternative="both")  # type: ignore[arg-type]
    with pytest.raises(DataError, match="differ in length"):
        ttest([1.0, 2.0, 3.0], [1.0, 2.0], paired=True)
    with pytest.raises(SpecificationError, match="sd"):
        ttest_summary(1.0, -1.0, 10, ref_mean=0.0)
    with pytest.raises(SpecificationError, match="ref_sd"):
        ttest_summary(1.0, 1.0, 10, ref_mean=0.0, ref_n=20)
    with pytest.raises(SpecificationError, match="ref_n"):
        ttest_summary(1.0, 1.0, 10, ref_mean=0.0, ref_sd=1.0, ref_n=1)


def test_result_objects() -> None:
    res = ttest([5.1, 4.9, 6.2, 5.8, 6.0], [4.0, 4.4, 3.9, 5.1, 4.2])
    assert isinstance(res, TestResult)
    row = res.tidy()
    assert row.shape[0] == 1
    # the column names of the model results' tidy()
    assert {"statistic", "df", "p_value", "estimate", "conf_low", "conf_high", "cohens_d",
            "cohens_d_label", "hedges_g"} <= set(row)
    assert row["p_value"].iloc[0] == res.pvalue
    assert (row["conf_low"].iloc[0], row["conf_high"].iloc[0]) == res.ci
    assert row["cohens_d_label"].iloc[0] == "large"
    text = str(res.summary())
    assert "Two-sample t-test" in text and "cohens_d" in text
    fisher = fisher_test([[8, 2], [1, 5]]).summary()
    assert "odds ratio" in str(fisher) and "observed" in fisher.tables


def test_ttest_coverage_under_simulation() -> None:
    # 95% CIs for the mean difference cover the true difference about 95% of the time
    rng = np.random.default_rng(42)
    reps, hits_student, hits_welch = 600, 0, 0
    for _ in range(reps):
        x, y = rng.normal(1.0, 1.0, 15), rng.normal(0.0, 3.0, 8)
        lo, hi = ttest(x, y).ci
        hits_student += lo <= 1.0 <= hi
        lo, hi = ttest(x, y, equal_var=False).ci
        hits_welch += lo <= 1.0 <= hi
    se = np.sqrt(0.05 * 0.95 / reps)
    assert abs(hits_welch / reps - 0.95) < 4 * se
    assert hits_student / reps < 0.95 - 2 * se  # Student undercovers with unequal variances


def test_chi2_and_fisher_size_under_null() -> None:
    rng = np.random.default_rng(7)
    reps, rej_chi, rej_fisher = 400, 0, 0
    for _ in range(reps):
        g = rng.integers(0, 2, 80)
        y = rng.uniform(size=80) < 0.3
        tab = np.bincount(2 * g + y, minlength=4).reshape(2, 2)
        rej_chi += chi2_test(tab, correction=False).pvalue < 0.05
        if _ < 120:  # the conditional odds ratio makes Fisher slower
            rej_fisher += fisher_test(tab).pvalue < 0.05
    se = np.sqrt(0.05 * 0.95 / reps)
    assert abs(rej_chi / reps - 0.05) < 4 * se
    assert rej_fisher / 120 <= 0.05 + 2 * np.sqrt(0.05 * 0.95 / 120)  # Fisher is conservative
