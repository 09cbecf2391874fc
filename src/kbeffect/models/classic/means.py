"""Tests on means: one-way ANOVA, t-tests with Cohen's d, t-tests from summary statistics."""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import stats

from kbeffect._results import Exclusions
from kbeffect._validation import check_columns, check_literal, check_no_missing, check_probability
from kbeffect.errors import DataError, SpecificationError
from kbeffect.models.classic._inputs import Missing, as_sample
from kbeffect.models.classic.result import TestResult

__all__ = ["oneway_anova", "ttest", "ttest_summary"]

Alternative = Literal["two-sided", "less", "greater"]


def _t_p_ci(t: float, df: float, est: float, se: float, alternative: Alternative,
            conf_level: float) -> tuple[float, tuple[float, float]]:
    if alternative == "two-sided":
        q = stats.t.ppf(0.5 + conf_level / 2, df)
        return float(2 * stats.t.sf(abs(t), df)), (est - q * se, est + q * se)
    q = stats.t.ppf(conf_level, df)
    if alternative == "greater":
        return float(stats.t.sf(t, df)), (est - q * se, np.inf)
    return float(stats.t.cdf(t, df)), (-np.inf, est + q * se)


def _hedges(d: float, n_total: int) -> float:
    """Hedges' g with the usual small-sample factor ``1 - 3 / (4 N - 9)``."""
    return float(d * (1 - 3 / (4 * n_total - 9)))


def ttest(
    x: ArrayLike,
    y: ArrayLike | None = None,
    *,
    mu: float = 0.0,
    paired: bool = False,
    equal_var: bool = True,
    alternative: Alternative = "two-sided",
    conf_level: float = 0.95,
    missing: Missing = "raise",
) -> TestResult:
    """One-sample, paired or two-sample t-test with Cohen's d.

    Parameters
    ----------
    x : array_like
        First sample (or the only one).
    y : array_like, optional
        Second sample: paired with ``x`` when ``paired=True``, else independent.
    mu : float
        Null value of the mean (one-sample) or mean difference.
    paired : bool
        Paired test on ``x - y``.
    equal_var : bool
        Two-sample only: Student's test (True) or Welch's (False).
    alternative : {"two-sided", "less", "greater"}
        Alternative hypothesis about ``mean(x) - mean(y) - mu``.
    conf_level : float
        Level of the confidence interval of the (difference in) means.
    missing : {"raise", "drop"}
        Missing values raise, or are excluded (pairwise for paired data) and counted.

    Returns
    -------
    TestResult
        Effect sizes: one-sample ``cohens_d = (mean - mu) / sd``; paired ``cohens_dz``
        (mean difference / SD of differences) and ``cohens_d`` (mean difference / root
        mean of the two variances, "d_av"); two-sample ``cohens_d`` with the pooled SD
        (also for Welch's test) and ``hedges_g``.
    """
    check_literal("alternative", alternative, ("two-sided", "less", "greater"))
    check_literal("missing", missing, ("raise", "drop"))
    conf_level = check_probability("conf_level", conf_level)
    excl = Exclusions(unit="observations")
    if y is None or paired:
        if paired:
            if y is None:
                raise SpecificationError("paired=True needs y.")
            xa = np.asarray(x, dtype=float).ravel()
            ya = np.asarray(y, dtype=float).ravel()
            if xa.shape != ya.shape:
                raise DataError(f"paired samples differ in length: {xa.size} and {ya.size}.")
            bad = np.isnan(xa) | np.isnan(ya)
            if bad.any():
                if missing == "raise":
                    raise DataError(f"x or y has missing values in {int(bad.sum())} pairs; "
                                    "pass missing='drop' to exclude those pairs.")
                excl = Exclusions(unit="pairs").add("missing value in x or y",
                                                    np.flatnonzero(bad))
            xa, ya = xa[~bad], ya[~bad]
            diff, _ = as_sample("x - y", xa - ya, "raise")
        else:
            diff, nan_pos = as_sample("x", x, missing)
            if nan_pos.size:
                excl = excl.add("missing value in x", nan_pos)
        n = diff.size
        if n < 2:
            raise DataError(f"need at least two observations; got {n}.")
        mean, sd = float(diff.mean()), float(diff.std(ddof=1))
        se = sd / np.sqrt(n)
        t = (mean - mu) / se
        p, ci = _t_p_ci(t, n - 1, mean, se, alternative, conf_level)
        if paired:
            d_av = (mean - mu) / np.sqrt((xa.var(ddof=1) + ya.var(ddof=1)) / 2)
            effects = {"cohens_dz": (mean - mu) / sd, "cohens_d": float(d_av)}
            name, est_name = "Paired t-test", "mean difference (x - y)"
        else:
            effects = {"cohens_d": (mean - mu) / sd}
            name, est_name = "One-sample t-test", "mean"
        return TestResult(name, "t", float(t), (float(n - 1),), p, estimate=mean,
                          estimate_name=est_name, ci=(float(ci[0]), float(ci[1])),
                          conf_level=conf_level, effect_sizes=effects, n={"n": n},
                          exclusions=excl)
    xa, x_nan = as_sample("x", x, missing)
    ya, y_nan = as_sample("y", y, missing)
    if x_nan.size:
        excl = excl.add("missing value in x", x_nan)
    if y_nan.size:
        excl = excl.add("missing value in y", y_nan)
    return _two_sample(float(xa.mean()), float(xa.std(ddof=1)), xa.size,
                       float(ya.mean()), float(ya.std(ddof=1)), ya.size,
                       mu=mu, equal_var=equal_var, alternative=alternative,
                       conf_level=conf_level, exclusions=excl)


def _two_sample(m1: float, s1: float, n1: int, m2: float, s2: float, n2: int, *, mu: float,
                equal_var: bool, alternative: Alternative, conf_level: float,
                exclusions: Exclusions) -> TestResult:
    if n1 < 2 or n2 < 2:
        raise DataError(f"need at least two observations per sample; got {n1} and {n2}.")
    v1, v2 = s1**2, s2**2
    pooled = ((n1 - 1) * v1 + (n2 - 1) * v2) / (n1 + n2 - 2)
    if equal_var:
        se = float(np.sqrt(pooled * (1 / n1 + 1 / n2)))
        df = float(n1 + n2 - 2)
    else:
        a, b = v1 / n1, v2 / n2
        se = float(np.sqrt(a + b))
        df = float((a + b) ** 2 / (a**2 / (n1 - 1) + b**2 / (n2 - 1)))
    diff = m1 - m2
    t = (diff - mu) / se
    p, ci = _t_p_ci(t, df, diff, se, alternative, conf_level)
    d = (diff - mu) / np.sqrt(pooled)
    return TestResult(
        test="Two-sample t-test" if equal_var else "Welch two-sample t-test",
        statistic_name="t",
        statistic=float(t),
        df=(df,),
        pvalue=p,
        estimate=diff,
        estimate_name="mean difference (x - y)",
        ci=(float(ci[0]), float(ci[1])),
        conf_level=conf_level,
        effect_sizes={"cohens_d": float(d), "hedges_g": _hedges(float(d), n1 + n2)},
        n={"x": n1, "y": n2},
        exclusions=exclusions,
    )


def ttest_summary(
    mean: float,
    sd: float,
    n: int,
    *,
    ref_mean: float,
    ref_sd: float | None = None,
    ref_n: int | None = None,
    equal_var: bool = True,
    alternative: Alternative = "two-sided",
    conf_level: float = 0.95,
) -> TestResult:
    """Compare a sample with a reference population known only by published statistics.

    Parameters
    ----------
    mean, sd, n : float, float, int
        Sample mean, standard deviation (ddof = 1) and size.
    ref_mean : float
        Reference mean (e.g. a norm group's mean, or T = 50).
    ref_sd, ref_n : float and int, optional
        With both: two-sample t-test from summary statistics (the reference is a sample,
        e.g. the 2012 Dutch reference sample). With ``ref_n`` missing: one-sample t-test of
        the sample mean against ``ref_mean`` (a population value); ``ref_sd``, if given,
        standardises Cohen's d (difference in population SDs, as for T-scores).
    equal_var : bool
        Student (True) or Welch (False) for the two-sample test.
    alternative : {"two-sided", "less", "greater"}
        Alternative hypothesis about ``mean - ref_mean``.
    conf_level : float
        Confidence level.

    Returns
    -------
    TestResult
    """
    check_literal("alternative", alternative, ("two-sided", "less", "greater"))
    conf_level = check_probability("conf_level", conf_level)
    for name, v in (("sd", sd), ("ref_sd", ref_sd)):
        if v is not None and not (np.isfinite(v) and v > 0):
            raise SpecificationError(f"{name} must be a positive number; got {v!r}.")
    for name, v in (("n", n), ("ref_n", ref_n)):
        if v is not None and (isinstance(v, bool) or int(v) != v or v < 2):
            raise SpecificationError(f"{name} must be an integer >= 2; got {v!r}.")
    if ref_n is not None:
        if ref_sd is None:
            raise SpecificationError("ref_n needs ref_sd (a two-sample test from summaries).")
        return _two_sample(float(mean), float(sd), int(n), float(ref_mean), float(ref_sd),
                           int(ref_n), mu=0.0, equal_var=equal_var, alternative=alternative,
                           conf_level=conf_level, exclusions=Exclusions())
    se = sd / np.sqrt(n)
    t = (mean - ref_mean) / se
    p, ci = _t_p_ci(t, n - 1, mean, se, alternative, conf_level)
    scale = ref_sd if ref_sd is not None else sd
    return TestResult(
        test="One-sample t-test against a reference mean",
        statistic_name="t",
        statistic=float(t),
        df=(float(n - 1),),
        pvalue=p,
        estimate=float(mean),
        estimate_name="mean",
        ci=(float(ci[0]), float(ci[1])),
        conf_level=conf_level,
        effect_sizes={"cohens_d": float((mean - ref_mean) / scale)},
        n={"n": int(n)},
    )


def oneway_anova(
    data: pd.DataFrame,
    *,
    dv: str,
    group: str,
    welch: bool = False,
    missing: Missing = "raise",
) -> TestResult:
    """One-way between-groups ANOVA with eta squared and omega squared.

    Parameters
    ----------
    data : DataFrame
        One row per subject.
    dv : str
        Numeric response.
    group : str
        Group column (two or more levels).
    welch : bool
        Welch's heteroscedastic F test instead of the classical one (effect sizes are
        the classical ones in both cases).
    missing : {"raise", "drop"}
        Rows with a missing ``dv`` or ``group`` raise, or are excluded and counted.

    Returns
    -------
    TestResult
        ``effect_sizes``: ``eta2 = SS_between / SS_total`` (equal to partial eta squared
        in a one-way design) and ``omega2``; ``tables["groups"]``: n, mean, SD per group.
    """
    check_literal("missing", missing, ("raise", "drop"))
    check_columns(data, [dv, group])
    if not pd.api.types.is_numeric_dtype(data[dv]):
        raise DataError(f"column {dv!r} (dv) must be numeric.")
    excl = Exclusions(unit="rows")
    bad = data[dv].isna() | data[group].isna()
    if bad.any():
        if missing == "raise":
            check_no_missing(data, [dv, group])
        excl = excl.add(f"missing value in {dv!r} or {group!r}", data.index[bad])
    d = data.loc[~bad]
    desc = d.groupby(group, observed=True, sort=True)[dv].agg(["count", "mean", "std"])
    desc.columns = pd.Index(["n", "mean", "sd"])
    k, n = len(desc), int(desc["n"].sum())
    if k < 2 or (desc["n"] < 2).any():
        raise DataError(f"need two or more groups of {group!r} with two or more rows each.")
    y = d[dv].to_numpy(dtype=float)
    ss_total = float(((y - y.mean()) ** 2).sum())
    ss_between = float((desc["n"] * (desc["mean"] - y.mean()) ** 2).sum())
    ss_within = ss_total - ss_between
    ms_within = ss_within / (n - k)
    if welch:
        w = desc["n"] / desc["sd"] ** 2
        mw = float((w * desc["mean"]).sum() / w.sum())
        lam = float((((1 - w / w.sum()) ** 2) / (desc["n"] - 1)).sum())
        f = float((w * (desc["mean"] - mw) ** 2).sum() / (k - 1)
                  / (1 + 2 * (k - 2) * lam / (k**2 - 1)))
        df = (float(k - 1), float((k**2 - 1) / (3 * lam)))
    else:
        f = (ss_between / (k - 1)) / ms_within
        df = (float(k - 1), float(n - k))
    return TestResult(
        test="Welch one-way ANOVA" if welch else "One-way ANOVA",
        statistic_name="F",
        statistic=f,
        df=df,
        pvalue=float(stats.f.sf(f, *df)),
        effect_sizes={
            "eta2": ss_between / ss_total,
            "omega2": (ss_between - (k - 1) * ms_within) / (ss_total + ms_within),
        },
        n={"total": n, "groups": k},
        tables={"groups": desc},
        exclusions=excl,
    )
