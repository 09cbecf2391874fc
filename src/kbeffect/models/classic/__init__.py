"""The report's other tests: chi-square, Fisher, McNemar, Cochran's Q, one-way ANOVA, t-tests.

Each function validates its input once and returns a :class:`TestResult` with ``tidy()``
(one row, effect sizes labelled with the report's Table 2.2 thresholds) and ``summary()``.
"""

from kbeffect.models.classic.means import oneway_anova, ttest, ttest_summary
from kbeffect.models.classic.result import TestResult
from kbeffect.models.classic.tables import chi2_test, cochran_q, fisher_test, mcnemar_test

__all__ = [
    "TestResult",
    "chi2_test",
    "cochran_q",
    "fisher_test",
    "mcnemar_test",
    "oneway_anova",
    "ttest",
    "ttest_summary",
]
