"""The simulated world: every random draw, and the model evaluated under any treatment.

:func:`draw_world` makes all random draws that do not depend on treatment once. The
conditional means of every outcome are then deterministic functions of the treatment
(:meth:`World.help_under`, :meth:`World.violence_under`, :meth:`World.wellbeing_under`),
so potential outcomes under an order and under voluntary help share the same random
numbers (a family's latent factors, random effects and help propensities).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kbeffect.sim import help as _help
from kbeffect.sim.latent import GROUP_CODES, Latent, assign_groups, draw_latent
from kbeffect.sim.scenario import Scenario
from kbeffect.sim.structure import Structure, draw_structure
from kbeffect.sim.violence import (
    ViolenceMeans,
    ViolenceNoise,
    draw_violence_noise,
    family_help,
    heterogeneity,
    violence_means,
)
from kbeffect.sim.wellbeing import WellbeingNoise, construct_means, draw_wellbeing_noise

__all__ = ["World", "draw_world"]


@dataclass(frozen=True, slots=True)
class World:
    """All treatment-independent draws of one simulated cohort."""

    scenario: Scenario
    latent: Latent
    structure: Structure
    vnoise: ViolenceNoise
    wnoise: WellbeingNoise
    help_parent: _help.HelpUniforms
    help_child: _help.HelpUniforms

    @property
    def order(self) -> np.ndarray:
        """Realised treatment: the family has an order (shape ``(n_families,)``)."""
        return self.structure.group == GROUP_CODES["kb"]

    @property
    def prognosis(self) -> np.ndarray:
        """Family prognosis index (drives help by indication)."""
        return _help.prognosis_index(self.latent.r, self.latent.v)

    @property
    def het(self) -> np.ndarray:
        """Family effect multiplier of the order."""
        return heterogeneity(self.latent, self.scenario)

    def help_under(self, order: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Help of parents ``(n_parents, 9, 2)`` and children ``(n_children, 9, 2)``."""
        s, z, ind = self.structure, self.prognosis, self.scenario.indication
        ph = _help.help_received(self.help_parent, order[s.parent_family], z[s.parent_family],
                                 "parent", ind)
        ch = _help.help_received(self.help_child, order[s.child_family], z[s.child_family],
                                 "child", ind)
        return ph, ch

    def violence_under(self, order: np.ndarray, parent_help: np.ndarray) -> ViolenceMeans:
        """Conditional violence means under a treatment and the parents' help."""
        s = self.structure
        fh = family_help(parent_help, s.parent_family, s.n_families)
        return violence_means(s, self.latent, self.vnoise, self.scenario, order, fh)

    def wellbeing_under(
        self, order: np.ndarray, parent_help: np.ndarray, child_help: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Construct means (see :func:`kbeffect.sim.wellbeing.construct_means`)."""
        return construct_means(self.structure, self.latent, self.wnoise, self.scenario, order,
                               parent_help, child_help, self.het)


def draw_world(n_families: int, scenario: Scenario, rng: np.random.Generator) -> World:
    """Draw every treatment-independent part of a cohort of ``n_families``."""
    latent = draw_latent(n_families, rng)
    group = assign_groups(latent, scenario, rng)
    structure = draw_structure(group, latent, rng)
    vnoise = draw_violence_noise(structure, rng)
    wnoise = draw_wellbeing_noise(structure, scenario, rng)
    hp = _help.draw_help_uniforms(structure.parent_family.shape[0], rng)
    hc = _help.draw_help_uniforms(structure.child_family.shape[0], rng)
    return World(scenario=scenario, latent=latent, structure=structure, vnoise=vnoise,
                 wnoise=wnoise, help_parent=hp, help_child=hc)
