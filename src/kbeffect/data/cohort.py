"""The :class:`Cohort` container: four tidy tables of a three-wave family cohort."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

__all__ = ["Cohort"]


@dataclass(frozen=True)
class Cohort:
    """A three-wave family cohort in tidy tables (see ``docs/data-model.md``).

    Parameters
    ----------
    families, parents, children, observations : pandas.DataFrame
        The four tables described in :mod:`kbeffect.data.schema`.
    truth : object, optional
        Ground truth of a simulated cohort (:class:`kbeffect.sim.Truth`); ``None`` for real data.
    meta : dict
        Provenance (source files, seed, scenario) without row-level data.
    """

    families: pd.DataFrame
    parents: pd.DataFrame
    children: pd.DataFrame
    observations: pd.DataFrame
    truth: Any = None
    meta: dict[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:
        n_obs = len(self.observations)
        sim = ", simulated" if self.truth is not None else ""
        return (
            f"Cohort({len(self.families)} families, {len(self.parents)} parents, "
            f"{len(self.children)} children, {n_obs} observations{sim})"
        )
