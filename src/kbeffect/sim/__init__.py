"""Cohort simulator with known causal effects, calibrated to the published study.

``simulate_cohort(n_families=1325, seed=..., scenario=Scenario(...))`` returns a
:class:`kbeffect.data.cohort.Cohort` whose ``truth`` is a :class:`Truth`;
:func:`calibration_table` compares a simulated cohort with the published margins.
The generative model is described in ``docs/simulator.md``.
"""

from __future__ import annotations

from kbeffect.sim.api import simulate_cohort
from kbeffect.sim.calibration import calibration_table
from kbeffect.sim.scenario import WELLBEING_OUTCOMES, Scenario
from kbeffect.sim.truth import Truth

__all__ = ["WELLBEING_OUTCOMES", "Scenario", "Truth", "calibration_table", "simulate_cohort"]
