"""Ground truth from the cohort simulator: all-waves mixed model vs completers-only analysis.

Random assignment of the order (``selection_strength=0``) so that the order x wave
coefficient targets the true ATE on the change in parenting stress from T0 to T2. Dropout
is MAR: monotone dropout after T0 depending on the *observed* T0 score, more strongly in
families with an order. The completers-only change-score analysis (the report's
repeated-measures ANOVA contrast) is clearly biased. The all-waves random-intercept model
is much less biased but not unbiased: the simulator's stress scores are not a Gaussian
random-intercept model (a family-level shift after T0, violence continuation, clipping), and
likelihood-based MAR inference is only as good as the covariance model (docs/mixed-models.md
shows the figures). Unbiasedness when the model *is* right is tested in test_lmm.py.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from scipy.special import expit

from conftest import kbeffect_study_size
from kbeffect.models.mixed import mixed
from kbeffect.sim import simulate_cohort
from kbeffect.sim.scenario import Scenario


def parent_stress(cohort) -> pd.DataFrame:
    fam = cohort.families.set_index("family_id")["group"]
    o = cohort.observations
    d = o[(o.role == "parent") & (o.reporter == "parent") & o.nosi_stress.notna()].copy()
    d["group"] = d.family_id.map(fam).to_numpy()
    d = d[d.group != "preventive"]
    d["kb"] = (d.group == "kb").astype(int)
    return d


def mar_dropout(d: pd.DataFrame, rng: np.random.Generator, strength: float = 1.5):
    base = d[d.wave == 0].set_index("person_id")["nosi_stress"]
    z = (base - base.mean()) / base.std()
    kb = d.groupby("person_id").kb.first().reindex(base.index)
    p = expit(-1.0 + strength * z * np.where(kb == 1, 1.0, 0.2))
    last = pd.Series(np.where(rng.random(len(p)) < p, 0, 2), index=base.index)
    return d[(d.wave <= d.person_id.map(last).fillna(2)).to_numpy()]


def completers_change(d: pd.DataFrame) -> float:
    w = d.pivot_table(index=["family_id", "person_id", "kb"], columns="wave",
                      values="nosi_stress").dropna().reset_index()
    w["change"] = w[2] - w[0]
    return float(smf.ols("change ~ kb", w).fit().params["kb"])


@pytest.mark.slow
def test_all_waves_mixed_model_far_less_biased_than_completers_under_mar():
    n_rep = 60 if kbeffect_study_size() == "full" else 12
    sc = Scenario(selection_strength=0.0)
    bias_mm, bias_cc, se_mm = [], [], []
    for r in range(n_rep):
        cohort = simulate_cohort(1325, seed=5000 + r, scenario=sc, population_size=0)
        truth = cohort.truth.effect("order", "parenting_stress", wave=2, estimand="ATE")
        d = mar_dropout(parent_stress(cohort), np.random.default_rng(r))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = mixed("nosi_stress ~ kb * C(wave)", d, groups=("family_id", "person_id"))
        row = res.tidy().set_index("term").loc["kb:C(wave)[T.2]"]
        bias_mm.append(row["estimate"] - truth)
        se_mm.append(row["std_error"])
        bias_cc.append(completers_change(d) - truth)
    bias_mm, bias_cc = np.asarray(bias_mm), np.asarray(bias_cc)
    mcse_mm = bias_mm.std(ddof=1) / np.sqrt(n_rep)
    mcse_cc = bias_cc.std(ddof=1) / np.sqrt(n_rep)
    gain = bias_cc - bias_mm  # paired: same data sets
    assert bias_cc.mean() > 3.0 * mcse_cc  # completers-only: clearly biased upwards
    assert gain.mean() > 3.0 * gain.std(ddof=1) / np.sqrt(n_rep)  # mixed model: less bias
    assert abs(bias_mm.mean()) < 0.5 * bias_cc.mean()
    assert np.mean(se_mm) == pytest.approx(bias_mm.std(ddof=1), rel=0.6)
    del mcse_mm
