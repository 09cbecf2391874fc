"""Multiple-testing adjustment of p-values: Bonferroni, Holm and Benjamini-Hochberg.

The functions work on arrays of any shape and leave missing values (NaN) where they are:
a NaN p-value is not counted as a test and stays NaN in the output. The adjusted values
are those of :func:`statsmodels.stats.multitest.multipletests` (methods ``"bonferroni"``,
``"holm"`` and ``"fdr_bh"``) and of R's ``p.adjust``, capped at 1.

References
----------
Holm, S. (1979). A simple sequentially rejective multiple test procedure.
*Scandinavian Journal of Statistics*, 6, 65-70.

Benjamini, Y., & Hochberg, Y. (1995). Controlling the false discovery rate: a practical
and powerful approach to multiple testing. *JRSS B*, 57, 289-300.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import ArrayLike

from kbeffect._validation import check_literal
from kbeffect.errors import SpecificationError

__all__ = ["MultiplicityMethod", "adjust_pvalues"]

MultiplicityMethod = Literal["holm", "bonferroni", "bh", "none"]
_METHODS: tuple[str, ...] = ("holm", "bonferroni", "bh", "none")


def adjust_pvalues(
    pvalues: ArrayLike, method: MultiplicityMethod = "holm", *, n_tests: int | None = None
) -> np.ndarray:
    """Adjust p-values for multiple testing.

    Parameters
    ----------
    pvalues : array_like of float
        Unadjusted p-values in [0, 1], any shape. NaN entries are ignored (not counted as
        tests) and returned as NaN.
    method : {"holm", "bonferroni", "bh", "none"}, default "holm"
        ``"bonferroni"`` multiplies by the number of tests; ``"holm"`` is the step-down
        Bonferroni procedure (controls the family-wise error rate, uniformly more powerful
        than Bonferroni); ``"bh"`` is the Benjamini-Hochberg step-up procedure (controls the
        false discovery rate under independence or positive dependence); ``"none"`` returns
        the p-values unchanged.
    n_tests : int, optional
        Size of the family of tests, when it is larger than the number of non-missing
        p-values given (for example when only some of the tests are reported). Defaults to
        the number of non-missing p-values.

    Returns
    -------
    ndarray of float, same shape as ``pvalues``
        Adjusted p-values, capped at 1.

    Raises
    ------
    SpecificationError
        If ``method`` is unknown, a p-value lies outside [0, 1], or ``n_tests`` is smaller
        than the number of non-missing p-values.

    Examples
    --------
    >>> adjust_pvalues([0.01, 0.04, 0.03], method="holm")
    array([0.03, 0.06, 0.06])
    """
    check_literal("method", method, _METHODS)
    p = np.asarray(pvalues, dtype=float)
    shape = p.shape
    flat = p.ravel()
    ok = ~np.isnan(flat)
    vals = flat[ok]
    if np.any((vals < 0.0) | (vals > 1.0)):
        raise SpecificationError("pvalues must lie in [0, 1] (NaN allowed for missing tests).")
    m = int(vals.size)
    if n_tests is not None:
        if isinstance(n_tests, bool) or not isinstance(n_tests, int | np.integer) or n_tests < m:
            raise SpecificationError(
                f"n_tests must be an integer >= the number of non-missing p-values ({m}); "
                f"got {n_tests!r}."
            )
        m = int(n_tests)
    out = np.full(flat.shape, np.nan)
    out[ok] = _adjust_kernel(vals, method, m)
    return out.reshape(shape)


def _adjust_kernel(p: np.ndarray, method: str, m: int) -> np.ndarray:
    """Adjust a 1-d array of finite p-values for a family of ``m >= p.size`` tests."""
    k = p.size
    if k == 0 or method == "none":
        return p.copy()
    if method == "bonferroni":
        return np.minimum(p * m, 1.0)
    order = np.argsort(p, kind="mergesort")
    ps = p[order]
    adj = np.empty(k)
    if method == "holm":
        # step-down: max over j <= i of (m - j) * p_(j), j 0-based
        adj_sorted = np.maximum.accumulate((m - np.arange(k)) * ps)
    else:  # "bh": step-up, min over j >= i of m / (j + 1) * p_(j)
        adj_sorted = np.minimum.accumulate((m / np.arange(1, k + 1) * ps)[::-1])[::-1]
    adj[order] = np.minimum(adj_sorted, 1.0)
    return adj
