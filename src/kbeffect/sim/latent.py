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

Selection: the group sizes are fixed by quota (480 / 791 / 54 per 1,325 families, Table
3.1); preventive families are a random subset, and among the others the families with the
highest ``s * (SEL_CHILD * u_child + SEL_PARENT * u_parent) + e``, ``e ~ N(0, 1)``, get an
order (a probit selection model with its threshold at the quota; ``s`` is the selection
strength). Demographics are drawn independently of the factors, so they
neither predict an order nor remove confounding when matched on.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kbeffect.sim import _constants as C
from kbeffect.sim._numeric import quota_counts
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
    counts = quota_counts(n, np.array([shares["kb"], shares["voluntary"], shares["preventive"]]),
                          rng)
    prev = np.zeros(n, dtype=bool)
    prev[rng.permutation(n)[: counts[2]]] = True
    b_c = scenario.selection_strength * C.SEL_CHILD
    b_p = scenario.selection_strength * C.SEL_PARENT
    index = b_c * latent.u_child + b_p * latent.u_parent + rng.standard_normal(n)
    index[prev] = -np.inf
    group = np.full(n, GROUP_CODES["voluntary"], dtype=np.int8)
    group[np.argsort(-index, kind="stable")[: counts[0]]] = GROUP_CODES["kb"]
    group[prev] = GROUP_CODES["preventive"]
    return group
