"""The result object shared by the classic tests (chi-square, Fisher, McNemar, t, F, Q)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from kbeffect._results import Exclusions, Summary
from kbeffect.effects.sizes import effect_size_label

__all__ = ["TestResult"]

#: Table 2.2 row used to label each effect-size name.
_LABEL_MEASURE = {
    "cohens_d": "d",
    "hedges_g": "d",
    "eta2": "eta2",
    "cramers_v": "phi",
    "phi": "phi",
    "r": "r",
}


@dataclass(frozen=True)
class TestResult:
    """Result of a classic hypothesis test.

    Attributes
    ----------
    test : str
        What was tested, in words (e.g. ``"Welch two-sample t-test"``).
    statistic_name : str
        ``"t"``, ``"F"``, ``"chi2"``, ``"Q"`` or ``"none"`` (exact tests).
    statistic : float
        Value of the test statistic (NaN for exact tests without one).
    df : tuple of float
        Degrees of freedom (empty for exact tests; two entries for F).
    pvalue : float
        Two-sided p-value (or as set by ``alternative`` where offered).
    estimate : float
        The main estimate (mean difference, odds ratio, ...; NaN if none).
    estimate_name : str
        What ``estimate`` is.
    ci : tuple of float
        Confidence interval of ``estimate`` (NaNs if none).
    conf_level : float
        Level of ``ci``.
    effect_sizes : dict of str to float
        Effect sizes (``cohens_d``, ``hedges_g``, ``eta2``, ``omega2``, ``cramers_v``, ``phi``).
    n : dict of str to int
        Sample sizes used.
    tables : dict of str to DataFrame
        Supporting tables (observed/expected counts, group descriptives).
    exclusions : Exclusions
        Observations left out and why.
    """

    __test__ = False  # not a pytest test class despite the name

    test: str
    statistic_name: str
    statistic: float
    df: tuple[float, ...]
    pvalue: float
    estimate: float = float("nan")
    estimate_name: str = ""
    ci: tuple[float, float] = (float("nan"), float("nan"))
    conf_level: float = 0.95
    effect_sizes: dict[str, float] = field(default_factory=dict)
    n: dict[str, int] = field(default_factory=dict)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    exclusions: Exclusions = field(default_factory=Exclusions)

    def tidy(self) -> pd.DataFrame:
        """One row: statistic, df, p-value, estimate, CI, effect sizes and their labels.

        Returns
        -------
        DataFrame
            Columns ``test, statistic_name, statistic, df, df2, p_value, estimate_name,
            estimate, conf_low, conf_high`` (the names of the model results' ``tidy()``),
            then the effect sizes with their Table 2.2 labels and the group sizes ``n_*``.
        """
        row: dict[str, Any] = {
            "test": self.test,
            "statistic_name": self.statistic_name,
            "statistic": self.statistic,
            "df": self.df[0] if len(self.df) >= 1 else np.nan,
            "df2": self.df[1] if len(self.df) >= 2 else np.nan,
            "p_value": self.pvalue,
            "estimate_name": self.estimate_name,
            "estimate": self.estimate,
            "conf_low": self.ci[0],
            "conf_high": self.ci[1],
        }
        for name, value in self.effect_sizes.items():
            row[name] = value
            if name in _LABEL_MEASURE:
                row[f"{name}_label"] = effect_size_label(value, _LABEL_MEASURE[name])  # type: ignore[arg-type]
        row.update({f"n_{k}": v for k, v in self.n.items()})
        return pd.DataFrame([row])

    def summary(self) -> Summary:
        """Header facts, the test row and supporting tables."""
        header: dict[str, Any] = {"Test": self.test}
        if self.statistic_name != "none":
            df = ", ".join(f"{d:.6g}" for d in self.df)
            header[self.statistic_name + (f"({df})" if df else "")] = f"{self.statistic:.4f}"
        header["p"] = f"{self.pvalue:.4g}"
        if self.estimate_name:
            pct = f"{100 * self.conf_level:g}%"
            header[self.estimate_name] = (
                f"{self.estimate:.4g} [{pct} CI {self.ci[0]:.4g}, {self.ci[1]:.4g}]"
            )
        for k, v in self.effect_sizes.items():
            header[k] = f"{v:.4g}"
        header.update({f"n ({k})": v for k, v in self.n.items()})
        return Summary(self.test, header, dict(self.tables), self.exclusions.notes())
