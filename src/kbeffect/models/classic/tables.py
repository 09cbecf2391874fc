"""Tests on counts: chi-square, Fisher's exact, McNemar and Cochran's Q."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats
from scipy.special import gammaln

from kbeffect._validation import check_literal, check_positive_int, check_probability
from kbeffect.errors import DataError, EstimationError
from kbeffect.models.classic._inputs import Missing, contingency, wide_complete
from kbeffect.models.classic.result import TestResult

__all__ = ["chi2_test", "cochran_q", "fisher_test", "mcnemar_test"]


def _frame(table: np.ndarray, rl: list[Any], cl: list[Any]) -> pd.DataFrame:
    return pd.DataFrame(table, index=pd.Index(rl), columns=pd.Index(cl))


def chi2_test(
    data: Any,
    *,
    row: str | None = None,
    col: str | None = None,
    correction: bool = True,
    missing: Missing = "raise",
) -> TestResult:
    """Pearson's chi-square test of independence (group differences in a category).

    Parameters
    ----------
    data : DataFrame or array_like
        A DataFrame with columns ``row`` and ``col``, or (without them) a table of counts.
    row, col : str, optional
        Column names to cross-tabulate.
    correction : bool
        Yates' continuity correction for 2 x 2 tables (as R's ``chisq.test`` and SPSS's
        "Continuity Correction" row); ignored for larger tables.
    missing : {"raise", "drop"}
        Rows with a missing ``row``/``col`` value raise, or are excluded and counted.

    Returns
    -------
    TestResult
        ``effect_sizes`` holds Cramér's V (from the uncorrected statistic) and, for 2 x 2
        tables, the signed phi coefficient; ``tables`` the observed and expected counts.
    """
    table, rl, cl, excl = contingency(data, row, col, missing)
    if (table.sum(axis=0) == 0).any() or (table.sum(axis=1) == 0).any():
        raise DataError("the table has an empty row or column; drop the unused level.")
    res = stats.chi2_contingency(table, correction=correction)
    plain = stats.chi2_contingency(table, correction=False)
    n = int(table.sum())
    k = min(table.shape) - 1
    effects = {"cramers_v": float(np.sqrt(plain.statistic / (n * k)))}
    if table.shape == (2, 2):
        a, b, c, d = table.ravel().astype(float)
        effects["phi"] = float((a * d - b * c) / np.sqrt((a + b) * (c + d) * (a + c) * (b + d)))
    yates = correction and table.shape == (2, 2)
    return TestResult(
        test="Pearson chi-square test" + (" with Yates' continuity correction" if yates else ""),
        statistic_name="chi2",
        statistic=float(res.statistic),
        df=(float(res.dof),),
        pvalue=float(res.pvalue),
        effect_sizes=effects,
        n={"total": n},
        tables={"observed": _frame(table, rl, cl),
                "expected": _frame(res.expected_freq, rl, cl)},
        exclusions=excl,
    )


def _fisher_rxc(table: np.ndarray, max_tables: int) -> float:
    """Exact two-sided p-value of an r x c table by full enumeration (as R's fisher.test)."""
    rows, cols = table.sum(axis=1), table.sum(axis=0)
    n = int(table.sum())
    const = gammaln(rows + 1).sum() + gammaln(cols + 1).sum() - gammaln(n + 1)
    log_obs = const - gammaln(table + 1).sum()
    thresh = log_obs + np.log1p(1e-7)  # R's relative tolerance for ties
    total = 0.0
    count = 0
    r = table.shape[0]

    def fill_row(i: int, remaining: np.ndarray, logw: float) -> None:
        nonlocal total, count
        if i == r - 1:
            count += 1
            if count > max_tables:
                raise EstimationError(
                    f"Fisher's exact test would enumerate more than {max_tables} tables; use "
                    "chi2_test, or raise max_tables."
                )
            lp = const + logw - gammaln(remaining + 1).sum()
            if lp <= thresh:
                total += np.exp(lp)
            return
        for x in _compositions(int(rows[i]), remaining):
            fill_row(i + 1, remaining - x, logw - gammaln(x + 1).sum())

    fill_row(0, cols.astype(np.int64), 0.0)
    return float(min(1.0, total))


def _compositions(total: int, caps: np.ndarray) -> Iterator[np.ndarray]:
    """All non-negative integer vectors with the given sum and entry-wise caps."""
    k = caps.size
    if k == 1:
        if total <= caps[0]:
            yield np.array([total], dtype=np.int64)
        return
    rest_cap = int(caps[1:].sum())
    for first in range(max(0, total - rest_cap), min(total, int(caps[0])) + 1):
        for tail in _compositions(total - first, caps[1:]):
            yield np.concatenate([[first], tail]).astype(np.int64)


def fisher_test(
    data: Any,
    *,
    row: str | None = None,
    col: str | None = None,
    alternative: Literal["two-sided", "less", "greater"] = "two-sided",
    conf_level: float = 0.95,
    missing: Missing = "raise",
    max_tables: int = 5_000_000,
) -> TestResult:
    """Fisher's exact test for a 2 x 2 or r x c table.

    For 2 x 2 tables the estimate is the conditional maximum-likelihood odds ratio with
    its exact confidence interval (as R's ``fisher.test``); r x c tables get the exact
    two-sided p-value by enumerating every table with the observed margins.

    Parameters
    ----------
    data : DataFrame or array_like
        DataFrame with ``row`` and ``col`` columns, or a table of counts.
    row, col : str, optional
        Column names to cross-tabulate.
    alternative : {"two-sided", "less", "greater"}
        Alternative hypothesis (2 x 2 only; odds ratio less/greater than 1).
    conf_level : float
        Level of the odds-ratio interval.
    missing : {"raise", "drop"}
        Missing ``row``/``col`` values raise, or the rows are excluded and counted.
    max_tables : int
        Enumeration limit for r x c tables.

    Returns
    -------
    TestResult
    """
    check_literal("alternative", alternative, ("two-sided", "less", "greater"))
    conf_level = check_probability("conf_level", conf_level)
    max_tables = check_positive_int("max_tables", max_tables)
    table, rl, cl, excl = contingency(data, row, col, missing)
    observed = {"observed": _frame(table, rl, cl)}
    n = {"total": int(table.sum())}
    if table.shape != (2, 2):
        if alternative != "two-sided":
            raise EstimationError("one-sided Fisher tests need a 2 x 2 table.")
        p = _fisher_rxc(table, max_tables)
        return TestResult("Fisher's exact test (r x c)", "none", float("nan"), (), p,
                          n=n, tables=observed, exclusions=excl)
    p = stats.fisher_exact(table, alternative=alternative).pvalue
    odds = stats.contingency.odds_ratio(table, kind="conditional")
    ci = odds.confidence_interval(confidence_level=conf_level, alternative=alternative)
    return TestResult(
        test="Fisher's exact test",
        statistic_name="none",
        statistic=float("nan"),
        df=(),
        pvalue=float(p),
        estimate=float(odds.statistic),
        estimate_name="odds ratio (conditional MLE)",
        ci=(float(ci.low), float(ci.high)),
        conf_level=conf_level,
        n=n,
        tables=observed,
        exclusions=excl,
    )


def mcnemar_test(
    data: Any,
    *,
    before: str | None = None,
    after: str | None = None,
    method: Literal["exact", "chi2"] = "exact",
    correction: bool = True,
    missing: Missing = "raise",
) -> TestResult:
    """McNemar's test for a binary outcome at two waves (paired proportions).

    Parameters
    ----------
    data : DataFrame or array_like
        DataFrame with binary columns ``before`` and ``after`` (one row per subject), or a
        2 x 2 table of counts (rows: before, columns: after).
    before, after : str, optional
        Column names.
    method : {"exact", "chi2"}
        ``"exact"``: binomial test on the discordant pairs (SPSS's default);
        ``"chi2"``: chi-square with one df (R's ``mcnemar.test``).
    correction : bool
        Continuity correction of the chi-square statistic (R's default).
    missing : {"raise", "drop"}
        Subjects with a missing value raise, or are excluded and counted.

    Returns
    -------
    TestResult
        ``estimate`` is the change in the proportion of 1s (second level), after minus
        before.
    """
    check_literal("method", method, ("exact", "chi2"))
    table, rl, cl, excl = contingency(data, before, after, missing)
    if table.shape != (2, 2):
        raise DataError(f"McNemar's test needs two binary variables; got a {table.shape} table.")
    b, c = int(table[0, 1]), int(table[1, 0])
    n = int(table.sum())
    if method == "exact":
        stat = float(min(b, c))
        p = float(min(1.0, 2 * stats.binom.cdf(min(b, c), b + c, 0.5))) if b + c else 1.0
        df: tuple[float, ...] = ()
    else:
        if b + c == 0:
            raise EstimationError("no discordant pairs: McNemar's chi-square is undefined.")
        num = (abs(b - c) - (1 if correction else 0)) ** 2
        stat = float(num / (b + c))
        p = float(stats.chi2.sf(stat, 1))
        df = (1.0,)
    return TestResult(
        test="McNemar test" + (" (exact binomial)" if method == "exact" else ""),
        statistic_name="none" if method == "exact" else "chi2",
        statistic=stat if method == "chi2" else float("nan"),
        df=df,
        pvalue=p,
        estimate=(b - c) / n,
        estimate_name="change in proportion (after - before)",
        n={"pairs": n, "discordant": b + c},
        tables={"observed": _frame(table, rl, cl)},
        exclusions=excl,
    )


def cochran_q(
    data: pd.DataFrame,
    *,
    dv: str,
    subject: str,
    within: str = "wave",
    incomplete: Literal["exclude", "raise"] = "exclude",
) -> TestResult:
    """Cochran's Q test for a binary outcome across waves (long data).

    Parameters
    ----------
    data : DataFrame
        One row per subject and wave.
    dv : str
        Binary outcome (0/1 or bool).
    subject, within : str
        Subject and wave columns.
    incomplete : {"exclude", "raise"}
        Subjects without a value at every wave are excluded (and counted) or raise.

    Returns
    -------
    TestResult
        ``tables["proportions"]`` holds the proportion of 1s per wave.
    """
    wide, excl = wide_complete(data, dv=dv, subject=subject, within=within,
                               incomplete=incomplete)
    x = wide.to_numpy(dtype=float)
    if not np.isin(x, (0.0, 1.0)).all():
        raise DataError(f"column {dv!r} must be binary (0/1 or bool).")
    n, k = x.shape
    if k < 2 or n == 0:
        raise DataError(f"need two or more levels of {within!r} and at least one subject.")
    col, row = x.sum(axis=0), x.sum(axis=1)
    total = x.sum()
    denom = k * total - (row**2).sum()
    if denom == 0:
        raise EstimationError("every subject has the same value at every wave: Q is undefined.")
    q = (k - 1) * (k * (col**2).sum() - total**2) / denom
    props = pd.DataFrame({"proportion": col / n, "n": n}, index=wide.columns)
    return TestResult(
        test="Cochran's Q test",
        statistic_name="Q",
        statistic=float(q),
        df=(float(k - 1),),
        pvalue=float(stats.chi2.sf(q, k - 1)),
        n={"subjects": n},
        tables={"proportions": props},
        exclusions=excl,
    )
