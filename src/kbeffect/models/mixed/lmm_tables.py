"""Coefficient tables and plots shared by the mixed-model result objects."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from kbeffect._results import lazy_pyplot
from kbeffect._validation import check_probability

__all__ = ["coef_plot", "inference_table"]


def coef_plot(tab: pd.DataFrame, title: str, conf_level: float) -> Any:
    """Forest plot of a tidy table (``term, estimate, conf_low, conf_high``)."""
    plt = lazy_pyplot()
    fig, ax = plt.subplots(figsize=(6, 0.4 * len(tab) + 1.2))
    pos = np.arange(len(tab))[::-1]
    ax.errorbar(tab["estimate"], pos, xerr=[tab["estimate"] - tab["conf_low"],
                tab["conf_high"] - tab["estimate"]], fmt="o", color="black", capsize=3)
    ax.axvline(0.0, color="grey", lw=0.8, ls="--")
    ax.set_yticks(pos, tab["term"])
    ax.set_xlabel(f"estimate ({100 * conf_level:.0f}% CI)")
    ax.set_title(title)
    fig.tight_layout()
    return fig


def inference_table(
    names: list[str], est: np.ndarray, se: np.ndarray, df: np.ndarray, conf_level: float
) -> pd.DataFrame:
    """Tidy table with t (finite ``df``) or normal (``df = inf``) inference."""
    conf_level = check_probability("conf_level", conf_level)
    with np.errstate(divide="ignore", invalid="ignore"):
        stat = est / se
    finite = np.isfinite(df)
    p = np.where(finite, 2 * stats.t.sf(np.abs(stat), np.where(finite, df, 1.0)),
                 2 * stats.norm.sf(np.abs(stat)))
    q = np.where(finite, stats.t.ppf(0.5 + conf_level / 2, np.where(finite, df, 1.0)),
                 stats.norm.ppf(0.5 + conf_level / 2))
    return pd.DataFrame({
        "term": names, "estimate": est, "std_error": se, "statistic": stat, "df": df,
        "p_value": p, "conf_low": est - q * se, "conf_high": est + q * se,
    })
