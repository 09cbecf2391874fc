"""The result object of :func:`kbeffect.rm_anova`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from kbeffect._results import Exclusions, Summary, lazy_pyplot
from kbeffect._validation import check_literal, check_probability
from kbeffect.effects.multiplicity import MultiplicityMethod
from kbeffect.effects.sizes import effect_size_label
from kbeffect.errors import SpecificationError
from kbeffect.models.anova.contrasts import (
    contrast_kernel,
    contrast_table,
    level_weights,
    reference_rows,
)
from kbeffect.models.anova.fit import RMAnovaFit
from kbeffect.models.anova.kernels import BetweenDesign
from kbeffect.models.anova.manova import MV_TESTS

__all__ = ["RMAnovaResult"]


@dataclass(frozen=True)
class RMAnovaResult:
    """Repeated-measures (M)ANOVA: univariate type III tests, sphericity, MANOVA.

    Attributes
    ----------
    fit : RMAnovaFit
        The kernel output (arrays per effect).
    design : BetweenDesign
        The between-subject design of the analysed subjects.
    dv, subject : str
        Response and subject columns.
    within, between, observed : tuple of str
        Within-subject factors, between-subject factors, observed factors (for
        generalised eta squared).
    within_levels, between_levels : tuple of tuple
        Level labels of each factor, in analysis order.
    n_subjects : int
        Number of analysed (complete) subjects.
    descriptives : DataFrame
        Mean, SD and n of the response per between cell and within cell (complete subjects).
    exclusions : Exclusions
        Subjects left out and why (identifiers in ``exclusions.ids``).
    options : dict
        The frozen options of the call.
    """

    fit: RMAnovaFit
    design: BetweenDesign
    dv: str
    subject: str
    within: tuple[str, ...]
    between: tuple[str, ...]
    observed: tuple[str, ...]
    within_levels: tuple[tuple[Any, ...], ...]
    between_levels: tuple[tuple[Any, ...], ...]
    n_subjects: int
    descriptives: pd.DataFrame
    exclusions: Exclusions
    options: dict[str, Any] = field(default_factory=dict)

    # ------------------------------------------------------------------ tables
    def tidy(self, *, intercept: bool = False) -> pd.DataFrame:
        """One row per effect with its univariate test, corrections and effect sizes.

        Parameters
        ----------
        intercept : bool
            Include the test of the grand mean.

        Returns
        -------
        DataFrame
            Columns: ``term``, ``stratum`` ("between"/"within"), ``ss``, ``df``,
            ``ss_error``, ``df_error``, ``ms_error``, ``F``, ``p``, ``eps_gg``,
            ``eps_hf`` (untruncated), ``p_gg``, ``p_hf``, ``eta2`` (SS / total SS of the
            analysed responses), ``partial_eta2``, ``generalized_eta2`` and ``label`` (Table
            2.2 label of the partial eta squared: repeated-measures thresholds for
            within-subject effects, between-group thresholds otherwise).
        """
        f = self.fit
        within = np.array([bool(w) for w in f.within_term])
        label = np.where(
            within,
            effect_size_label(f.pes, "eta2_rm"),
            effect_size_label(f.pes, "eta2"),
        )
        out = pd.DataFrame(
            {
                "term": list(f.terms),
                "stratum": np.where(within, "within", "between"),
                "ss": f.ss,
                "df": f.df,
                "ss_error": f.ss_error,
                "df_error": f.df_error,
                "ms_error": f.ss_error / f.df_error,
                "F": f.F,
                "p": f.pvalue,
                "eps_gg": f.eps_gg,
                "eps_hf": f.eps_hf,
                "p_gg": f.p_gg,
                "p_hf": f.p_hf,
                "eta2": f.eta2,
                "partial_eta2": f.pes,
                "generalized_eta2": f.ges,
                "label": label,
            }
        )
        if not intercept:
            out = out[out["term"] != "(Intercept)"].reset_index(drop=True)
        return out

    def sphericity(self) -> pd.DataFrame:
        """Mauchly's test and the epsilons per within term with two or more df."""
        rows = []
        for term, m in self.fit.mauchly.items():
            i = self.fit.terms.index(term)
            rows.append(
                {
                    "term": term,
                    "W": m.w,
                    "chi2": m.chi2,
                    "df": m.df,
                    "p": m.pvalue,
                    "eps_gg": self.fit.eps_gg[i],
                    "eps_hf": self.fit.eps_hf[i],
                }
            )
        cols = ["term", "W", "chi2", "df", "p", "eps_gg", "eps_hf"]
        return pd.DataFrame(rows, columns=cols)

    def multivariate(self) -> pd.DataFrame:
        """Pillai, Wilks, Hotelling-Lawley and Roy tests of each within-subject effect."""
        frames = [
            pd.DataFrame(
                {
                    "term": term,
                    "test": list(MV_TESTS),
                    "statistic": t.stat,
                    "F": t.F,
                    "df1": t.df1,
                    "df2": t.df2,
                    "p": t.pvalue,
                }
            )
            for term, t in self.fit.multivariate.items()
        ]
        return pd.concat(frames, ignore_index=True)

    # --------------------------------------------------------------- contrasts
    def _within_pos(self, within: str | None) -> int:
        if within is None:
            if len(self.within) > 1:
                raise SpecificationError(
                    f"within must name one of the within factors {list(self.within)}."
                )
            return 0
        check_literal("within", within, self.within)
        return self.within.index(within)

    def _by_pos(self, by: str | None) -> int | None:
        if by is None:
            return None
        check_literal("by", by, self.between)
        return self.between.index(by)

    def marginal_means(self, *, within: str | None = None, by: str | None = None) -> pd.DataFrame:
        """Estimated marginal means of a within factor (between cells weighted equally).

        Parameters
        ----------
        within : str, optional
            Within factor (default: the only one).
        by : str, optional
            A between factor to give the means in each level of.

        Returns
        -------
        DataFrame
            Columns ``<within>``, [``<by>``], ``mean``, ``se``, ``df``.
        """
        j = self._within_pos(within)
        b = self._by_pos(by)
        n_levels = tuple(len(lv) for lv in self.within_levels)
        w = level_weights(n_levels, j)
        est = contrast_kernel(self.fit.linear_fit, reference_rows(self.design, b), w)
        labels = self.between_levels[b] if b is not None else (None,)
        rows = []
        for i, lab in enumerate(labels):
            for k, lev in enumerate(self.within_levels[j]):
                row = {self.within[j]: lev, "mean": est.estimate[i, k], "se": est.se[i, k]}
                if by is not None:
                    row[by] = lab
                row["df"] = float(est.df)
                rows.append(row)
        return pd.DataFrame(rows)

    def contrasts(
        self,
        contrasts: str | Mapping[str, Sequence[float]] = "pairwise",
        *,
        within: str | None = None,
        by: str | None = None,
        adjust: MultiplicityMethod = "holm",
        conf_level: float = 0.95,
    ) -> pd.DataFrame:
        """Planned or pairwise contrasts between the levels of a within factor.

        Parameters
        ----------
        contrasts : "pairwise" or mapping of str to sequence of float
            ``"pairwise"``: every difference ``level_a - level_b`` (a before b), e.g.
            ``"T0 - T1"``. A mapping gives named planned contrasts as weights over the
            levels, e.g. ``{"T0 vs T2": [1, 0, -1]}``.
        within : str, optional
            Within factor (default: the only one).
        by : str, optional
            Between factor: estimate the contrasts in each of its levels (each level is
            its own family for the adjustment) instead of averaged over groups.
        adjust : {"holm", "bonferroni", "bh", "none"}
            Multiplicity adjustment of the p-values (column ``p_adjusted``).
        conf_level : float
            Confidence level (intervals Bonferroni-adjusted unless ``adjust="none"``).

        Returns
        -------
        DataFrame
            See :func:`~kbeffect.models.anova.contrasts.contrast_table`.
        """
        check_literal("adjust", adjust, ("holm", "bonferroni", "bh", "none"))
        conf_level = check_probability("conf_level", conf_level)
        j = self._within_pos(within)
        b = self._by_pos(by)
        levels = self.within_levels[j]
        k = len(levels)
        if isinstance(contrasts, str):
            check_literal("contrasts", contrasts, ("pairwise",))
            spec: dict[str, Sequence[float]] = {}
            for a, c in combinations(range(k), 2):
                pair = [0.0] * k
                pair[a], pair[c] = 1.0, -1.0
                spec[f"{levels[a]} - {levels[c]}"] = pair
        else:
            spec = {}
            for name, wts in contrasts.items():
                arr = np.asarray(wts, dtype=float)
                if arr.shape != (k,) or not np.isfinite(arr).all():
                    raise SpecificationError(
                        f"contrast {name!r} must have {k} finite weights (one per level of "
                        f"{self.within[j]!r}: {list(levels)}); got {list(wts)}."
                    )
                if abs(arr.sum()) > 1e-12 * max(1.0, float(np.abs(arr).sum())):
                    raise SpecificationError(f"contrast {name!r} weights must sum to zero.")
                spec[str(name)] = list(arr)
        n_levels = tuple(len(lv) for lv in self.within_levels)
        return contrast_table(
            self.fit.linear_fit,
            self.design,
            level_weights(n_levels, j),
            spec,
            by=b,
            by_name=by,
            by_labels=self.between_levels[b] if b is not None else (),
            adjust=adjust,
            conf_level=conf_level,
        )

    # ---------------------------------------------------------------- display
    def summary(self) -> Summary:
        """Tables of the univariate tests, sphericity and multivariate tests."""
        tables = {"Univariate tests (type III)": self.tidy().set_index("term")}
        sph = self.sphericity()
        if len(sph):
            tables["Mauchly's test of sphericity"] = sph.set_index("term")
        tables["Multivariate tests"] = self.multivariate().set_index(["term", "test"])
        header = {
            "Response": self.dv,
            "Within": ", ".join(f"{w} ({len(lv)} levels)" for w, lv in
                                zip(self.within, self.within_levels, strict=True)),
            "Between": ", ".join(self.between) or "none",
            "Subjects analysed": self.n_subjects,
            "Subjects excluded": self.exclusions.total,
            "Huynh-Feldt": self.options.get("hf_method", "lecoutre"),
        }
        notes = (
            *self.exclusions.notes(),
            "Labels: partial eta squared with Table 2.2 thresholds (repeated measures "
            ".02/.13/.26 for within effects, between groups .01/.06/.14 otherwise).",
        )
        return Summary("Repeated-measures ANOVA", header, tables, notes)

    def plot(self, *, within: str | None = None, by: str | None = None, conf_level: float = 0.95):
        """Profile plot of the estimated marginal means with confidence intervals.

        Returns
        -------
        matplotlib.figure.Figure
        """
        plt = lazy_pyplot()
        by = by if by is not None else (self.between[0] if self.between else None)
        mm = self.marginal_means(within=within, by=by)
        w = self.within[self._within_pos(within)]
        q = stats.t.ppf(0.5 + conf_level / 2, mm["df"].iloc[0])
        fig, ax = plt.subplots()
        groups = [(None, mm)] if by is None else list(mm.groupby(by, sort=False))
        for lab, g in groups:
            x = np.arange(len(g))
            ax.errorbar(x, g["mean"], yerr=q * g["se"], marker="o", capsize=3,
                        label=None if lab is None else str(lab))
            ax.set_xticks(x, [str(v) for v in g[w]])
        ax.set_xlabel(w)
        ax.set_ylabel(self.dv)
        if by is not None:
            ax.legend(title=by)
        return fig
