"""Balance plots: Love plot of standardised mean differences, propensity overlap plot.

matplotlib is imported inside the functions (never at import time); every function
returns the Figure and never calls ``show()``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from kbeffect._results import lazy_pyplot

if TYPE_CHECKING:
    from kbeffect.design.balance.result import BalanceResult

__all__ = ["love_plot", "overlap_plot"]


def love_plot(
    result: BalanceResult,
    *,
    stat: str = "smd",
    absolute: bool = True,
    threshold: float | None = 0.1,
    ax: Any = None,
) -> Any:
    """Draw a Love plot: one row per covariate, unadjusted vs adjusted statistic.

    Parameters
    ----------
    result : BalanceResult
    stat : {"smd", "var_ratio", "ecdf_max"}
        Statistic to plot.
    absolute : bool
        Plot absolute values (SMD and eCDF).
    threshold : float or None
        Draw a dashed reference line (and its mirror for signed SMDs).
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    plt = lazy_pyplot()
    tab = result.table
    terms = list(tab.index)
    fig = None
    if ax is None:
        fig, ax = plt.subplots(figsize=(6.5, 0.32 * len(terms) + 1.6))
    else:
        fig = ax.figure
    y = np.arange(len(terms))[::-1]
    labels = {"un": "Unadjusted", "adj": result.adjusted_label}
    markers = {"un": "o", "adj": "s"}
    for sample in ("un", "adj"):
        col = f"{stat}_{sample}"
        if col not in tab:
            continue
        v = tab[col].to_numpy(dtype=float)
        if absolute and stat != "var_ratio":
            v = np.abs(v)
        ax.scatter(v, y, marker=markers[sample], label=labels[sample], zorder=3)
    ref = 1.0 if stat == "var_ratio" else 0.0
    ax.axvline(ref, color="0.3", lw=0.8)
    if threshold is not None:
        ax.axvline(threshold, color="0.5", ls="--", lw=0.8)
        if not absolute and stat == "smd":
            ax.axvline(-threshold, color="0.5", ls="--", lw=0.8)
    ax.set_yticks(y)
    ax.set_yticklabels(terms)
    names = {"smd": "standardised mean difference", "var_ratio": "variance ratio",
             "ecdf_max": "KS statistic (max eCDF difference)"}
    xl = names.get(stat, stat)
    ax.set_xlabel(f"absolute {xl}" if absolute and stat != "var_ratio" else xl)
    ax.set_title("Covariate balance")
    ax.legend(loc="best", frameon=False)
    fig.tight_layout()
    return fig


def overlap_plot(
    ps: np.ndarray,
    treat: np.ndarray,
    weights: np.ndarray | None = None,
    *,
    bins: int = 30,
    labels: tuple[str, str] = ("control", "treated"),
    xlabel: str = "propensity score",
) -> Any:
    """Draw mirrored histograms of the propensity score by group, before and after adjustment.

    Parameters
    ----------
    ps : ndarray of shape (n,)
    treat : ndarray of shape (n,) of 0/1
    weights : ndarray of shape (n,), optional
        Matching or balancing weights; adds an "adjusted" panel.
    bins : int
    labels : (str, str)
        Names of the control and treated groups.
    xlabel : str

    Returns
    -------
    matplotlib.figure.Figure
    """
    plt = lazy_pyplot()
    panels = [("Unadjusted", np.ones(len(ps)))]
    if weights is not None:
        panels.append(("Adjusted", np.asarray(weights, dtype=float)))
    fig, axes = plt.subplots(1, len(panels), figsize=(5.0 * len(panels), 3.6), squeeze=False)
    edges = np.histogram_bin_edges(ps, bins=bins)
    for ax, (title, w) in zip(axes[0], panels, strict=True):
        for g, sign, color in ((1, 1.0, "C1"), (0, -1.0, "C0")):
            m = treat == g
            h, _ = np.histogram(ps[m], bins=edges, weights=w[m])
            total = h.sum()
            h = h / total if total > 0 else h
            ax.bar(edges[:-1], sign * h, width=np.diff(edges), align="edge", color=color,
                   alpha=0.7, label=labels[g])
        ax.axhline(0, color="0.3", lw=0.8)
        ax.set_title(title)
        ax.set_xlabel(xlabel)
        ax.set_ylabel("share of group (control below)")
    axes[0][0].legend(frameon=False)
    fig.tight_layout()
    return fig
