"""The result of a robustness audit."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from kbeffect._results import Exclusions, Summary, lazy_pyplot, suppress_small_cells
from kbeffect.audit.specs import SpecEstimate

__all__ = ["AuditResult"]


@dataclass(frozen=True)
class AuditResult:
    """Published analysis and re-estimates of the effect of an order on violence.

    Attributes
    ----------
    estimates : tuple of SpecEstimate
        One per specification, in the order run.
    anova : DataFrame
        The published-style RM-ANOVA table (``RMAnovaResult.tidy()``).
    means : DataFrame
        Mean total incidents by group and wave in the matched completers (Table 5.8 layout).
    truth : dict
        True sample ATT on the difference and ratio scales (simulated cohorts), else empty.
    families_excluded, rows_excluded : Exclusions
        Families and questionnaires left out before any specification, with reasons.
    meta : dict
        Seed, bootstrap replicates, cohort provenance.
    """

    estimates: tuple[SpecEstimate, ...]
    anova: pd.DataFrame
    means: pd.DataFrame
    truth: dict[str, float] = field(default_factory=dict)
    families_excluded: Exclusions = field(default_factory=Exclusions)
    rows_excluded: Exclusions = field(default_factory=Exclusions)
    meta: dict[str, Any] = field(default_factory=dict)

    def tidy(self) -> pd.DataFrame:
        """One row per specification with estimate, interval, p-value and (simulated) truth."""
        rows = []
        for e in self.estimates:
            truth = self.truth.get(e.scale, np.nan)
            null = 1.0 if e.scale == "ratio" else 0.0
            rows.append({
                "spec": e.spec, "label": e.label, "scale": e.scale, "estimate": e.estimate,
                "std_error": e.std_error, "conf_low": e.conf_low, "conf_high": e.conf_high,
                "p_value": e.p_value, "n_treated": e.n_treated, "n_control": e.n_control,
                "inference": e.inference,
                "excludes_null": bool(e.conf_low > null or e.conf_high < null),
                "truth": truth,
                "covers_truth": bool(e.conf_low <= truth <= e.conf_high)
                if np.isfinite(truth) else np.nan,
            })
        return pd.DataFrame(rows)

    def conclusions(self) -> tuple[str, ...]:
        """Plain-language lines: what each specification concludes, and versus the truth."""
        lines = []
        pub = next((e for e in self.estimates if e.spec == "published"), None)
        if pub is not None:
            x = pub.extra
            verdict = "significant" if x["interaction_p"] < 0.05 else "not significant"
            lines.append(
                f"Published design: group x time interaction {verdict} "
                f"(p = {x['interaction_p']:.3f}, partial eta2 = {x['interaction_eta2']:.3f}, "
                f"{x['interaction_label']}); time effect partial eta2 = {x['time_eta2']:.2f}.")
        for r in self.tidy().itertuples():
            unit = "ratio of rate ratios" if r.scale == "ratio" else "incidents/year"
            sig = "excludes" if r.excludes_null else "includes"
            line = (f"{r.spec}: {r.estimate:.3g} {unit} [{r.conf_low:.3g}, {r.conf_high:.3g}], "
                    f"interval {sig} no effect")
            if isinstance(r.covers_truth, bool):
                line += f"; truth {r.truth:.3g} {'covered' if r.covers_truth else 'NOT covered'}"
            lines.append(line + ".")
        if self.truth:
            lines.append("One simulated cohort is one draw: docs/audit.md gives bias and coverage "
                         "of every specification over 140 cohorts.")
        return tuple(lines)

    def summary(self, *, suppress_below: int | None = None) -> Summary:
        """Tables of the published analysis, the specifications and the conclusions.

        Parameters
        ----------
        suppress_below : int, optional
            Suppress family counts below this value (small-cell protection).
        """
        means = self.means.copy()
        specs = self.tidy()[["spec", "scale", "estimate", "conf_low", "conf_high", "p_value",
                             "n_treated", "n_control", "truth", "covers_truth"]]
        if suppress_below:
            means = suppress_small_cells(means, columns=["n_families"], threshold=suppress_below)
            specs = suppress_small_cells(specs, columns=["n_treated", "n_control"],
                                         threshold=suppress_below)
        anova = self.anova[["term", "F", "df", "df_error", "p", "p_gg", "partial_eta2", "label"]]
        header = {"outcome": "family total incidents (parent report: partner violence + "
                             "child abuse); T0 to T2",
                  "effect": "order vs voluntary help (ATT)", **self.meta}
        notes = (*self.families_excluded.notes(), *self.rows_excluded.notes(),
                 *self.conclusions())
        return Summary(
            title="Robustness audit: effect of a child protection order on violence",
            header=header,
            tables={"Published design: mean incidents per period (matched completers)": means,
                    "Published design: repeated-measures ANOVA": anova,
                    "Specifications (T2 vs T0)": specs},
            notes=notes,
        )

    def plot(self) -> Any:
        """Forest plot of the difference-scale estimates with the true ATT (if simulated)."""
        plt = lazy_pyplot()
        tab = self.tidy()
        tab = tab[tab["scale"] == "difference"]
        fig, ax = plt.subplots(figsize=(7, 1 + 0.6 * len(tab)))
        y = np.arange(len(tab))[::-1]
        ax.errorbar(tab["estimate"], y, xerr=[tab["estimate"] - tab["conf_low"],
                                              tab["conf_high"] - tab["estimate"]],
                    fmt="o", color="k", capsize=3)
        ax.axvline(0.0, color="grey", lw=0.8)
        if "difference" in self.truth:
            ax.axvline(self.truth["difference"], color="tab:red", ls="--", label="true ATT")
            ax.legend(loc="best")
        ax.set_yticks(y, tab["spec"])
        ax.set_xlabel("effect of an order on change in incidents per year (T2 - T0)")
        fig.tight_layout()
        return fig
