"""Estimated marginal means and contrasts between waves on the multivariate model.

A contrast ``c`` among the within cells is a linear function of the rows of ``B`` in the
multivariate linear model ``Y = X B + E``. Its estimate in a between-subject reference
cell with design row ``l`` is ``l B c`` and its standard error
``sqrt(l (X'X)^{-1} l' * c' S c)``, ``S = E'E / df_resid``, on ``df_resid`` degrees of
freedom. Between cells are weighted equally (unweighted marginal means), as SPSS
``EMMEANS ... COMPARE`` and R ``emmeans(..., model = "multivariate")`` do. Without
between-subject factors this is the paired t-test.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from kbeffect.effects.multiplicity import MultiplicityMethod, adjust_pvalues
from kbeffect.models.anova.kernels import BetweenDesign, MultivariateLinearFit

__all__ = ["ContrastEstimates", "contrast_kernel", "contrast_table", "level_weights"]


@dataclass(frozen=True, slots=True)
class ContrastEstimates:
    """Estimates of ``r`` within contrasts in ``m`` between reference cells.

    Attributes
    ----------
    estimate, se : ndarray of shape (m, r)
        Estimates and standard errors.
    df : int
        Degrees of freedom of the t statistics.
    """

    estimate: np.ndarray
    se: np.ndarray
    df: int


def contrast_kernel(fit: MultivariateLinearFit, L: np.ndarray, C: np.ndarray) -> ContrastEstimates:
    """Estimate contrasts ``C`` (shape ``(n_cells, r)``) in reference rows ``L`` (``(m, p)``)."""
    est = L @ fit.coef @ C
    s = fit.sspe / fit.df_resid
    v_between = np.einsum("ij,jk,ik->i", L, fit.xtx_inv, L)
    v_within = np.einsum("ji,jk,ki->i", C, s, C)
    return ContrastEstimates(est, np.sqrt(np.outer(v_between, v_within)), fit.df_resid)


def level_weights(n_levels: tuple[int, ...], factor: int) -> np.ndarray:
    """Cell weights of each level of within factor ``factor``, averaging the others.

    Returns
    -------
    ndarray of shape (n_cells, n_levels[factor])
    """
    w: np.ndarray = np.ones((1, 1))
    for j, k in enumerate(n_levels):
        part = np.eye(k) if j == factor else np.ones((k, 1)) / k
        w = np.kron(w, part)
    return w


def reference_rows(design: BetweenDesign, by: int | None) -> np.ndarray:
    """Design rows of the marginal reference cells: overall (``by=None``) or per level."""
    if by is None:
        return design.grid_rows.mean(axis=0, keepdims=True)
    levels = np.unique(design.grid[:, by])
    return np.vstack([design.grid_rows[design.grid[:, by] == lv].mean(axis=0) for lv in levels])


def contrast_table(
    fit: MultivariateLinearFit,
    design: BetweenDesign,
    weights: np.ndarray,
    contrasts: Mapping[str, Sequence[float]],
    *,
    by: int | None,
    by_name: str | None,
    by_labels: Sequence[Any],
    adjust: MultiplicityMethod,
    conf_level: float,
) -> pd.DataFrame:
    """Tidy table of contrasts with adjusted p-values and confidence intervals.

    Parameters
    ----------
    fit : MultivariateLinearFit
        The multivariate linear model.
    design : BetweenDesign
        Between-subject design (for the reference grid).
    weights : ndarray of shape (n_cells, n_levels)
        Cell weights of each level of the contrasted within factor.
    contrasts : mapping of str to sequence of float
        Contrast name to weights over the levels.
    by : int or None
        Position of the between factor to estimate the contrasts in each level of.
    by_name : str or None
        Its name (a column of the table).
    by_labels : sequence
        Its level labels.
    adjust : {"holm", "bonferroni", "bh", "none"}
        P-value adjustment within each family (all contrasts in one ``by`` level).
    conf_level : float
        Confidence level; intervals are Bonferroni-adjusted when ``adjust`` is not
        ``"none"`` (simultaneous intervals do not exist for Holm or BH; emmeans does the same).

    Returns
    -------
    DataFrame
        Columns ``term`` (the contrast), [``by_name``], ``estimate``, ``std_error``,
        ``statistic`` (t), ``df``, ``p_value``, ``p_adjusted``, ``conf_low``, ``conf_high``
        (the names of the model results' ``tidy()``).
    """
    names = list(contrasts)
    C = weights @ np.column_stack([np.asarray(contrasts[n], dtype=float) for n in names])
    L = reference_rows(design, by)
    est = contrast_kernel(fit, L, C)
    t = est.estimate / est.se
    p = 2 * stats.t.sf(np.abs(t), est.df)
    p_adj = np.vstack([adjust_pvalues(row, adjust) for row in p])
    m = len(names)
    alpha = 1 - conf_level
    q = stats.t.ppf(1 - alpha / (2 * (m if adjust != "none" else 1)), est.df)
    frames = []
    for i in range(L.shape[0]):
        frame = pd.DataFrame(
            {
                "term": names,
                "estimate": est.estimate[i],
                "std_error": est.se[i],
                "statistic": t[i],
                "df": float(est.df),
                "p_value": p[i],
                "p_adjusted": p_adj[i],
                "conf_low": est.estimate[i] - q * est.se[i],
                "conf_high": est.estimate[i] + q * est.se[i],
            }
        )
        if by_name is not None:
            frame.insert(1, by_name, by_labels[i])
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)
