"""Family latent factors and selection into a child protection order.

Four independent standard-normal family factors drive the simulated study:

``u_child``
    child problems (trauma, insecure attachment): raises the chance of an order and the
    children's baseline trauma;
``u_parent``
    parenting problems (parenting stress, low competence): raises the chance of an order
    and the parents' baseline stress;
``v``
    the family's violence level (log incident rate): does **not** affect selection
    (chapter 4: order and voluntary families do not differ in violence);
``r``
    persistence of violence after T0 (prognosis): drives continued violence and, through
    confounding by indication, help.

Selection: among non-preventive families an order is imposed when
``s * (SEL_CHILD * u_child + SEL_PARENT * u_parent) + e > t`` with ``e ~ N(0, 1)`` (a
probit model) and ``t`` chosen so the share of orders matches Table 3.1 whatever the
selection strength ``s``. Demographics are drawn independently of the factors, so they
neither predict an order nor remove confounding when matched on.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from kbeffect.sim import _constants as C
from kbeffect.sim.scenario import Scenario

__all__ = ["GROUP_CODES", "Latent", "assign_groups", "draw_latent"]

#: integer codes of the ``group`` column used inside the simulator
GROUP_CODES: dict[str, int] = {"kb": 0, "voluntary": 1, "preventive": 2}


@dataclass(frozen=True, slots=True)
class Latent:
    """Family latent factors, each of shape ``(n_families,)``.

    Attributes
    ----------
    u_child, u_parent, v, r : numpy.ndarray
        Standard-normal family factors (see module docstring).
    """

    u_child: np.ndarray
    u_parent: np.ndarray
    v: np.ndarray
    r: np.ndarray

    @property
    def confounder(self) -> np.ndarray:
        """Return ``(u_child + u_parent) / sqrt(2)``: the selection factors' common index."""
        return (self.u_child + self.u_parent) / np.sqrt(2.0)


def draw_latent(n: int, rng: np.random.Generator) -> Latent:
    """Draw the four family factors for ``n`` families."""
    z = rng.standard_normal((4, n))
    return Latent(u_child=z[0], u_parent=z[1], v=z[2], r=z[3])


def assign_groups(latent: Latent, scenario: Scenario, rng: np.random.Generator) -> np.ndarray:
    """Assign each family to kb (0), voluntary (1) or preventive (2).

    Parameters
    ----------
    latent : Latent
        Family factors.
    scenario : Scenario
        Supplies ``selection_strength``.
    rng : numpy.random.Generator
        Random source.

    Returns
    -------
    numpy.ndarray
        Integer group codes, shape ``(n_families,)``.
    """
    n = latent.u_child.shape[0]
    shares = C.GROUP_SHARES
    prev = rng.random(n) < shares["preventive"]
    p_kb = shares["kb"] / (shares["kb"] + shares["voluntary"])
    b_c = scenario.selection_strength * C.SEL_CHILD
    b_p = scenario.selection_strength * C.SEL_PARENT
    scale = np.sqrt(1.0 + b_c**2 + b_p**2)
    threshold = stats.norm.ppf(1.0 - p_kb) * scale
    index = b_c * latent.u_child + b_p * latent.u_parent + rng.standard_normal(n)
    group = np.where(index > threshold, GROUP_CODES["kb"], GROUP_CODES["voluntary"])
    group[prev] = GROUP_CODES["preventive"]
    return group.astype(np.int8)
