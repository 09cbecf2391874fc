"""Families, parents and children: who takes part, and their background.

Everything here is drawn independently of the latent factors, except order type (OTS+UHP
is more likely with more child problems) and the partner's drinking (related to parenting
problems: chapter 4 found more problematic partner drinking in order families).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from kbeffect.sim import _constants as C
from kbeffect.sim._numeric import quota_by_group, quota_categories, top_share
from kbeffect.sim.latent import GROUP_CODES, Latent

__all__ = ["Structure", "draw_structure"]


@dataclass(frozen=True, slots=True)
class Structure:
    """Participants and background of a simulated cohort.

    Family arrays have shape ``(n_families,)``, parent arrays ``(n_parents,)``, child arrays
    ``(n_children,)`` and pair arrays ``(n_pairs,)`` (one pair per parent and child of the
    same family). Category codes are integers with -1 for missing (not applicable).

    Attributes
    ----------
    group, kb_type, stream : numpy.ndarray
        Group code (kb 0, voluntary 1, preventive 2), order type (-1, ots 0, ots_uhp 1),
        stream (vt 0, gi 1).
    income, education : numpy.ndarray
        Reported income band (0-2) and education (0-3), -1 if missing.
    paid_work, migration, single_parent : numpy.ndarray
        Reported indicators as float (1.0 / 0.0 / NaN when missing).
    parent_family, parent_father, parent_aces, parent_drinks, parent_partner_drinks
        Parent arrays.
    child_family, child_girl, child_age, child_self
        Child arrays (``child_self``: fills in own questionnaires from T0, age 8+).
    pair_parent, pair_child : numpy.ndarray
        Indices into the parent and child arrays.
    n_parents_family : numpy.ndarray
        Participating parents per family.
    """

    group: np.ndarray
    kb_type: np.ndarray
    stream: np.ndarray
    income: np.ndarray
    education: np.ndarray
    paid_work: np.ndarray
    migration: np.ndarray
    single_parent: np.ndarray
    low_income: np.ndarray
    parent_family: np.ndarray
    parent_father: np.ndarray
    parent_aces: np.ndarray
    parent_drinks: np.ndarray
    parent_partner_drinks: np.ndarray
    child_family: np.ndarray
    child_girl: np.ndarray
    child_age: np.ndarray
    child_self: np.ndarray
    pair_parent: np.ndarray
    pair_child: np.ndarray
    n_parents_family: np.ndarray

    @property
    def n_families(self) -> int:
        """Number of families."""
        return int(self.group.shape[0])


def _flags(n: int, p: float, rng: np.random.Generator) -> np.ndarray:
    """Return ``n`` flags, ``quota_counts`` of them True, in random order."""
    return quota_categories(n, np.array([1.0 - p, p]), rng).astype(bool)


def _per_group(table: Mapping[str, tuple[float, ...]]) -> dict[int, np.ndarray]:
    return {code: np.array(table[name]) for name, code in GROUP_CODES.items()}


def _group_flags(group: np.ndarray, table: Mapping[str, float],
                 rng: np.random.Generator) -> np.ndarray:
    """Return flags with a quota share ``table[group name]`` within each group code."""
    probs = {code: np.array([1.0 - table[name], table[name]])
             for name, code in GROUP_CODES.items()}
    return quota_by_group(group, probs, rng).astype(bool)


def _with_missing(values: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    miss = rng.random(values.shape[0]) < C.P_MISSING_DEMOGRAPHIC
    if values.dtype.kind == "f":
        return np.where(miss, np.nan, values)
    return np.where(miss, -1, values).astype(values.dtype)


def draw_structure(group: np.ndarray, latent: Latent, rng: np.random.Generator) -> Structure:
    """Draw participants and background for families with known groups.

    Parameters
    ----------
    group : numpy.ndarray
        Group codes from :func:`kbeffect.sim.latent.assign_groups`.
    latent : Latent
        Family factors (child problems shape the order type, parenting problems the
        partner's drinking).
    rng : numpy.random.Generator
        Random source.

    Returns
    -------
    Structure
    """
    n = group.shape[0]
    kb = group == GROUP_CODES["kb"]
    # order type and stream
    kb_idx = np.flatnonzero(kb)
    noise = np.sqrt(1 - C.UHP_U_CHILD**2) * rng.standard_normal(kb_idx.size)
    uhp = top_share(C.UHP_U_CHILD * latent.u_child[kb_idx] + noise, C.P_UHP, rng)
    kb_type = np.full(n, -1, dtype=np.int8)
    kb_type[kb_idx] = uhp
    gi = group == GROUP_CODES["preventive"]
    gi[kb_idx] = _flags(kb_idx.size, C.P_GI_KB, rng)
    stream = gi.astype(np.int8)
    # background (independent of the latent factors); shares fixed by quota within groups
    income_true = quota_by_group(group, _per_group(C.INCOME), rng)
    education = quota_by_group(group, _per_group(dict.fromkeys(GROUP_CODES, C.EDUCATION)), rng)
    paid_work = _group_flags(group, dict.fromkeys(GROUP_CODES, C.P_PAID_WORK), rng)
    migration = _group_flags(group, C.P_MIGRATION, rng)
    single = _group_flags(group, dict.fromkeys(GROUP_CODES, C.P_SINGLE), rng)
    # parents
    n_par = 1 + quota_by_group(single.astype(np.int8), {
        1: np.array([1 - C.P_TWO_PARENTS[True], C.P_TWO_PARENTS[True]]),
        0: np.array([1 - C.P_TWO_PARENTS[False], C.P_TWO_PARENTS[False]])}, rng)
    lone = np.where(n_par == 1, group, -1)
    father_alone = _group_flags(lone, C.P_FATHER_ALONE, rng)
    parent_family = np.repeat(np.arange(n), n_par)
    first = np.r_[True, parent_family[1:] != parent_family[:-1]]
    two = n_par[parent_family] == 2
    parent_father = np.asarray(np.where(two, ~first, father_alone[parent_family]), dtype=bool)
    n_p = parent_family.shape[0]
    aces = np.minimum(rng.negative_binomial(2.0, 2.0 / (2.0 + C.ACE_MEAN), n_p), 10)
    own = _drinks(C.DRINK_LOG_MEAN_OWN, np.zeros(n_p), rng)
    partner_shift = C.DRINK_PARTNER_U_PARENT * latent.u_parent[parent_family]
    partner = _drinks(C.DRINK_LOG_MEAN_PARTNER, partner_shift, rng)
    # children
    n_ch = 1 + _group_flags(group, C.P_TWO_CHILDREN, rng).astype(np.int64)
    child_family = np.repeat(np.arange(n), n_ch)
    n_c = child_family.shape[0]
    teen = _flags(n_c, C.P_TEEN, rng)
    age = np.where(teen, rng.uniform(13.0, 18.0, n_c), rng.uniform(3.0, 13.0, n_c))
    age = np.floor(age * 12.0) / 12.0  # whole months
    girl = _flags(n_c, C.P_GIRL, rng)
    eight = np.flatnonzero(age >= 8.0)
    child_self = np.zeros(n_c, dtype=bool)
    child_self[eight] = _flags(eight.size, C.P_SELF_REPORT_8PLUS, rng)
    # parent-child pairs (every parent reports on every participating child)
    reps = n_ch[parent_family]
    pair_parent = np.repeat(np.arange(n_p), reps)
    child_start = np.r_[0, np.cumsum(n_ch)[:-1]]
    offset = np.arange(pair_parent.shape[0]) - np.repeat(np.r_[0, np.cumsum(reps)[:-1]], reps)
    pair_child = child_start[parent_family[pair_parent]] + offset
    return Structure(
        group=group, kb_type=kb_type, stream=stream,
        income=_with_missing(income_true, rng), education=_with_missing(education, rng),
        paid_work=_with_missing(paid_work, rng), migration=_with_missing(migration, rng),
        single_parent=_with_missing(np.asarray(single, dtype=float), rng),
        low_income=(income_true == 0),
        parent_family=parent_family, parent_father=parent_father.astype(bool),
        parent_aces=aces.astype(np.int64), parent_drinks=own, parent_partner_drinks=partner,
        child_family=child_family, child_girl=girl, child_age=age, child_self=child_self,
        pair_parent=pair_parent, pair_child=pair_child, n_parents_family=n_par,
    )


def _drinks(log_mean: float, shift: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Drinks per week: zero with probability 1 - DRINK_NONZERO, else log-normal."""
    m = shift.shape[0]
    z = shift + np.sqrt(1.0 - min(C.DRINK_PARTNER_U_PARENT**2, 0.99)) * rng.standard_normal(m)
    amount = np.round(np.exp(log_mean + z))
    amount = np.where(rng.random(m) < C.DRINK_NONZERO, amount, 0.0)
    return np.minimum(amount, 200.0)
