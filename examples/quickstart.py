"""A tour of kbeffect on a simulated cohort: data, design, models, effects, truth.

Run:  .venv/bin/python examples/quickstart.py
"""

from __future__ import annotations

import kbeffect as kb
from kbeffect.audit.frame import analysis_frame, parent_incidents


def main(n_families: int = 1325, seed: int = 1) -> dict[str, float]:
    """Run the tour and return the headline numbers (the script prints them)."""
    cohort = kb.simulate_cohort(n_families, seed=seed, population_size=0)
    print(cohort)
    print(cohort.validate().summary())

    # one row per family: order (1) vs voluntary help (0), demographics, baseline problems,
    # total incidents per wave (Table 5.8 definition)
    fam, _, _ = analysis_frame(cohort)
    covs = "~ C(income) + paid_work + C(education) + migration + single_parent"
    baseline = " + child_trauma_t0 + stress_t0 + competence_t0"
    sample = fam.dropna(subset=["income", "paid_work", "education", "migration",
                                "single_parent", "child_trauma_t0", "stress_t0",
                                "competence_t0"])

    # design: a match on demographics only leaves the selection variables unbalanced;
    # weights that include them balance everything
    m = kb.match(sample, treatment="order", covariates=covs)
    w = kb.weight(sample, treatment="order", covariates=covs + baseline, estimand="ATT")
    print(m.summary())
    print(w.summary())

    # the published analysis: RM-ANOVA of total incidents on matched completers
    done = m.matched_data()
    done = done[done["completer"]]
    long = done.melt(id_vars=["family_id", "order"], value_vars=["total_w0", "total_w1",
                     "total_w2"], var_name="wave", value_name="total")
    long["wave"] = long["wave"].str[-1].astype(int)
    print(kb.rm_anova(long, dv="total", subject="family_id", within="wave",
                      between="order").summary())

    # every observed wave: negative-binomial mixed model with exposure offset, then the ATT
    # on the scale people understand (incidents per year) by g-computation
    counts = parent_incidents(cohort).merge(
        sample[["family_id", "order", "child_trauma_t0", "stress_t0", "competence_t0"]],
        on="family_id")
    fit = kb.mixed("count ~ order * C(wave) + (child_trauma_t0 + stress_t0 + competence_t0)"
                   " * C(wave)", counts, groups="family_id", family="negbin",
                   exposure="exposure", vcov="robust")
    print(fit.summary())
    att = kb.wave_effects(fit, counts, treatment="order", estimand="ATT", waves=[2])
    est = float(att.tidy()["estimate"].iloc[0])
    truth = cohort.truth.effect("order", "total_per_year", wave=2, estimand="ATT")
    print(f"ATT on incidents per year at T2: {est:.2f} (truth {truth:.2f})")
    return {"att": est, "truth": truth}


if __name__ == "__main__":
    main()
