"""The :class:`Cohort` container: four tidy tables of a three-wave family cohort."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd

from kbeffect.data import schema
from kbeffect.errors import SchemaError, SpecificationError

if TYPE_CHECKING:
    from kbeffect._results import Summary
    from kbeffect.data.report import DataReport

__all__ = ["Cohort"]


@dataclass(frozen=True, eq=False)
class Cohort:
    """A three-wave family cohort in tidy tables (see ``docs/data-model.md``).

    The container is immutable: every method returns a new object and leaves the tables
    untouched. Equality is identity (tables are not compared element by element).
    Methods are thin wrappers of functions in :mod:`kbeffect.data.ops`,
    :mod:`kbeffect.data.validate` and :mod:`kbeffect.data.reshape`.

    Parameters
    ----------
    families, parents, children, observations : pandas.DataFrame
        The four tables described in :mod:`kbeffect.data.schema`.
    truth : object, optional
        Ground truth of a simulated cohort (:class:`kbeffect.sim.Truth`); ``None`` for real data.
    meta : dict
        Provenance (source files, seed, scenario) without row-level data; subsets append
        their selection steps to ``meta["history"]``.

    Examples
    --------
    >>> cohort.validate().summary()          # doctest: +SKIP
    >>> matched_pool = cohort.completers().families_with_violence()  # doctest: +SKIP
    """

    families: pd.DataFrame
    parents: pd.DataFrame
    children: pd.DataFrame
    observations: pd.DataFrame
    truth: Any = None
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in schema.TABLES:
            value = getattr(self, name)
            if not isinstance(value, pd.DataFrame):
                raise SchemaError(f"Cohort.{name} must be a pandas DataFrame; got "
                                  f"{type(value).__name__}.")
        if not isinstance(self.meta, dict):
            raise SpecificationError(f"Cohort.meta must be a dict; got "
                                     f"{type(self.meta).__name__}.")

    def __repr__(self) -> str:
        n_obs = len(self.observations)
        sim = ", simulated" if self.truth is not None else ""
        return (
            f"Cohort({len(self.families)} families, {len(self.parents)} parents, "
            f"{len(self.children)} children, {n_obs} observations{sim})"
        )

    def validate(self, *, unknown_columns: Literal["error", "ignore"] = "error") -> DataReport:
        """Check every schema rule; return the counted soft exclusions.

        See :func:`kbeffect.data.validate.validate_cohort`.
        """
        from kbeffect.data.validate import validate_cohort

        return validate_cohort(self, unknown_columns=unknown_columns)

    def subset(self, family_ids: Iterable[Any]) -> Cohort:
        """Return the cohort restricted to ``family_ids``.

        See :func:`kbeffect.data.ops.subset`.
        """
        from kbeffect.data.ops import subset

        return subset(self, family_ids)

    def completers(self, waves: Sequence[int] = schema.WAVES) -> Cohort:
        """Keep families observed at every wave in ``waves``.

        See :func:`kbeffect.data.ops.completers`.
        """
        from kbeffect.data.ops import completers

        return completers(self, waves)

    def at_wave(self, wave: int) -> Cohort:
        """Keep families observed at ``wave`` and that wave's rows only.

        See :func:`kbeffect.data.ops.at_wave`.
        """
        from kbeffect.data.ops import at_wave

        return at_wave(self, wave)

    def families_with_violence(
        self, *, rule: Literal["severity", "any_incident"] = "severity"
    ) -> Cohort:
        """Keep families with violence at one or more waves.

        See :func:`kbeffect.data.ops.families_with_violence`.
        """
        from kbeffect.data.ops import families_with_violence

        return families_with_violence(self, rule=rule)

    def family_table(self) -> pd.DataFrame:
        """Families with per-family aggregates of parents and children.

        See :func:`kbeffect.data.ops.family_table`.
        """
        from kbeffect.data.ops import family_table

        return family_table(self)

    def to_wide(
        self, measures: Sequence[str] | str, *, index: Sequence[str] | None = None,
        waves: Sequence[int] = schema.WAVES, sep: str = "_t",
    ) -> pd.DataFrame:
        """Spread ``measures`` of the observations over waves.

        See :func:`kbeffect.data.reshape.to_wide` (``index=None`` uses its default
        subject-reporter key).
        """
        from kbeffect.data.reshape import DEFAULT_INDEX, to_wide

        return to_wide(self.observations, measures,
                       index=DEFAULT_INDEX if index is None else index, waves=waves, sep=sep)

    def describe(self, *, suppress_below: int | None = None) -> Summary:
        """Describe the cohort by counts per group and wave, without row-level data.

        See :func:`kbeffect.data.ops.describe`.
        """
        from kbeffect.data.ops import describe

        return describe(self, suppress_below=suppress_below)
