"""Unit-level conditional expected potential outcomes of a simulated world.

For a *regime* (an order indicator per family and the help every parent and child
receives) the expected value of each truth outcome is computed for every unit, given all
latent variables of the world (factors, random effects, help propensities). Outcome noise
(whether violence goes on, count noise, occasion and scale errors) is integrated out in
closed form: zero-inflated negative-binomial zero probabilities, and the mean of a clipped
normal for the bounded scales. Sample estimands average these unit-level expectations.
"""

from __future__ import annotations

from collections import Counter

import numpy as np

from kbeffect.sim import _constants as C
from kbeffect.sim._engine import World
from kbeffect.sim.violence import family_expectations
from kbeffect.sim.wellbeing import censored_mean, occasion_var, scale_specs

__all__ = ["OUTCOMES", "unit_outcomes"]

#: truth outcome -> (unit, description)
OUTCOMES: dict[str, tuple[str, str]] = {
    "total_per_year": ("family", "family total incidents per year (Table 5.8 definition: mean "
                                 "over parents of own partner violence + child abuse on all "
                                 "children), per year of exposure"),
    "no_violence": ("family", "probability that no family member (parents, self-reporting "
                              "children) reports any incident in the wave's period"),
    "violence_stopped": ("family", "no_violence at wave 2 (the last half year)"),
    "parenting_stress": ("parent", "NOSI-K parenting stress (nosi_stress, 25-150)"),
    "competence": ("parent", "NOSI competence (nosi_competence, 13-78; higher = less competent)"),
    "parent_trauma": ("parent", "mean of the ten TSI T-scores"),
    "parent_qol": ("parent", "parent quality of life grade (qol, 1-10)"),
    "child_trauma": ("child", "mean of the six TSCYC T-scores (parent report, children 3-12)"),
    "attachment": ("child", "Security Scale, parent report (1-5)"),
    "emo_insecurity": ("child", "emotional insecurity, parent report (1-5)"),
    "kidscreen": ("child", "Kidscreen-10 T-score, parent report"),
}

_PARENT_COLS = {"parenting_stress": ("nosi_stress",), "competence": ("nosi_competence",),
                "parent_qol": ("qol",)}
_CHILD_COLS = {"attachment": ("attachment",), "emo_insecurity": ("emo_insecurity",),
               "kidscreen": ("kidscreen",)}


def _expected_columns(
    reporter: str, zmean: np.ndarray, load: np.ndarray, p_active: np.ndarray, var_e: float,
    columns: tuple[str, ...],
) -> np.ndarray:
    """Mean over ``columns`` of the expected clipped scale scores, shape ``(n_units, 3)``."""
    names = C.PARENT_CONSTRUCTS if reporter == "parent_self" else C.CHILD_CONSTRUCTS
    specs = [sp for sp in scale_specs(reporter) if sp.column in columns]
    # scales that differ only in name have the same expectation: evaluate each once
    distinct = Counter((sp.construct, sp.mean, sp.sd, sp.low, sp.high, sp.loading)
                       for sp in specs)
    total = np.zeros(zmean.shape[::2])
    for (construct, mean, sd, low, high, loading), count in distinct.items():
        j = names.index(construct)
        sd_x = sd * np.sqrt(loading**2 * var_e + 1.0 - loading**2)
        m0 = mean + sd * loading * zmean[:, j, :]
        m1 = m0 + sd * loading * load[j]
        total += count * (p_active * censored_mean(m1, sd_x, low, high)
                          + (1.0 - p_active) * censored_mean(m0, sd_x, low, high))
    return total / len(specs)


def unit_outcomes(
    world: World, order: np.ndarray, parent_help: np.ndarray, child_help: np.ndarray
) -> dict[str, np.ndarray]:
    """Return the expected outcomes of every unit under one regime.

    Parameters
    ----------
    world : World
        The simulated world.
    order : numpy.ndarray of bool, shape (n_families,)
        Order indicator of the regime.
    parent_help, child_help : numpy.ndarray of bool, shapes (n_parents, 9, 2), (n_children, 9, 2)
        Help received under the regime.

    Returns
    -------
    dict of str to numpy.ndarray
        One ``(n_units, 3)`` array per name in :data:`OUTCOMES` (units: families, parents
        or children; waves 0-2). ``child_trauma`` is NaN for children aged 13+ at T0.
    """
    s = world.structure
    vm = world.violence_under(order, parent_help)
    total, p_none = family_expectations(s, vm, world.scenario)
    out = {"total_per_year": total, "no_violence": p_none, "violence_stopped": p_none}
    pm, pload, cm, cload = world.wellbeing_under(order, parent_help, child_help)
    var_e = occasion_var(world.scenario)
    pa_p = vm.p_active[s.parent_family]
    pa_c = vm.p_active[s.child_family]
    for name, cols in _PARENT_COLS.items():
        out[name] = _expected_columns("parent_self", pm, pload, pa_p, var_e, cols)
    tsi = tuple(sp.column for sp in scale_specs("parent_self") if sp.column.startswith("tsi_"))
    out["parent_trauma"] = _expected_columns("parent_self", pm, pload, pa_p, var_e, tsi)
    for name, cols in _CHILD_COLS.items():
        out[name] = _expected_columns("parent_child", cm, cload, pa_c, var_e, cols)
    tscyc = tuple(sp.column for sp in scale_specs("parent_child")
                  if sp.column.startswith("tscyc_"))
    trauma = _expected_columns("parent_child", cm, cload, pa_c, var_e, tscyc)
    trauma[s.child_age >= 13.0] = np.nan
    out["child_trauma"] = trauma
    return out
