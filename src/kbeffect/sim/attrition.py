"""Family dropout over the waves (Table 3.3).

A family takes part at T0, at T1 with probability ``expit(a_1 + s z_f)`` and at T2 with
``expit(a_21 + s z_f)`` if it took part at T1, else ``expit(a_20 + s z_f)`` (families can
return at T2, as in the study: 60% at T2 but 56% at all three waves). The driver ``z_f``
is standardised within the cohort:

* ``"mar"``: the observed baseline severity, log(1 + family total incidents at T0);
* ``"mcar"``: nothing (``s = 0``);
* ``"mnar"``: the unobserved number of follow-up periods in which violence goes on.

``s = Scenario.attrition_strength``; the intercepts are solved by Gauss-Hermite quadrature
so the marginal participation rates stay at 72% (T1) and 60% (T2) for every strength.
"""

from __future__ import annotations

import numpy as np
from scipy import special

from kbeffect.sim import _constants as C
from kbeffect.sim._numeric import logit_intercept, standardize
from kbeffect.sim.scenario import Scenario

__all__ = ["draw_presence"]


def draw_presence(
    scenario: Scenario, baseline_total: np.ndarray, followup_active: np.ndarray,
    rng: np.random.Generator,
) -> np.ndarray:
    """Return which families take part at each wave.

    Parameters
    ----------
    scenario : Scenario
        Supplies ``attrition`` and ``attrition_strength``.
    baseline_total : numpy.ndarray, shape (n_families,)
        Observed family total incidents at T0 (the MAR driver).
    followup_active : numpy.ndarray, shape (n_families,)
        Follow-up periods with violence going on, 0-2 (the MNAR driver; unobserved).
    rng : numpy.random.Generator
        Random source.

    Returns
    -------
    numpy.ndarray of bool, shape (n_families, 3)
        Column ``w`` is True when the family takes part at wave ``w`` (column 0 all True).
    """
    n = baseline_total.shape[0]
    if scenario.attrition == "mcar":
        z, s = np.zeros(n), 0.0
    elif scenario.attrition == "mar":
        z, s = standardize(np.log1p(np.nan_to_num(baseline_total))), scenario.attrition_strength
    else:
        z, s = standardize(followup_active.astype(float)), scenario.attrition_strength
    slope = -s  # more severe -> more dropout
    a1 = logit_intercept(C.P_T1, slope)
    a21 = logit_intercept(C.P_T2_GIVEN_T1, slope)
    a20 = logit_intercept(C.P_T2_GIVEN_NOT_T1, slope)
    u = rng.random((n, 2))
    t1 = u[:, 0] < special.expit(a1 + slope * z)
    t2 = u[:, 1] < special.expit(np.where(t1, a21, a20) + slope * z)
    return np.column_stack([np.ones(n, dtype=bool), t1, t2])
