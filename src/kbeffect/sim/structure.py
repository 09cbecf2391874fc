"""Families, parents and children: who takes part, and their background.

Everything here is drawn independently of the latent factors, except order type (OTS+UHP
is more likely with more child problems) and the partner's drinking (related to parenting
problems: chapter 4 found more problematic partner drinking in order families).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from kbeffect.sim import _constants as C
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


def _by_group(group: np.ndarray, table: object, rng: np.random.Generator) -> np.ndarray:
    """Draw a probability per family from a ``{group name: p}`` mapping."""
    p = np.empty(group.shape[0])
    for name, code in GROUP_CODES.items():
        p[group == code] = table[name]  # type: ignore[index]
    return p


def _categorical(probs: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Draw one category per row from a ``(n, k)`` array of probabilities."""
    cum = np.cumsum(probs, axis=1)
    cum[:, -1] = 1.0
    u = rng.random(probs.shape[0])[:, None]
    return (u > cum).sum(axis=1).astype(np.int8)


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
    uhp_index = C.UHP_U_CHILD * latent.u_child + np.sqrt(1 - C.UHP_U_CHILD**2) * rng.standard_normal(n)
    uhp = uhp_index > stats.norm.ppf(1 - C.P_UHP)
    kb_type = np.where(kb, uhp.astype(np.int8), -1).astype(np.int8)
    gi = np.where(kb, rng.random(n) < C.P_GI_KB, group == GROUP_CODES["preventive"])
    stream = gi.astype(np.int8)
    # background (independent of the latent factors)
    inc_p = np.empty((n, 3))
    for name, code in GROUP_CODES.items():
        inc_p[group == code] = C.INCOME[name]
    income_true = _categorical(inc_p, rng)
    education = _categorical(np.tile(C.EDUCATION, (n, 1)), rng)
    paid_work = (rng.random(n) < C.P_PAID_WORK).astype(float)
    migration = (rng.random(n) < _by_group(group, C.P_MIGRATION, rng)).astype(float)
    single = rng.random(n) < C.P_SINGLE
    # parents
    p_two = np.where(single, C.P_TWO_PARENTS[True], C.P_TWO_PARENTS[False])
    n_par = 1 + (rng.random(n) < p_two)
    father_alone = rng.random(n) < _by_group(group, C.P_FATHER_ALONE, rng)
    parent_family = np.repeat(np.arange(n), n_par)
    first = np.r_[True, parent_family[1:] != parent_family[:-1]]
    two = n_par[parent_family] == 2
    parent_father = np.where(two, ~first, father_alone[parent_family])
    n_p = parent_family.shape[0]
    aces = np.minimum(rng.negative_binomial(2.0, 2.0 / (2.0 + C.ACE_MEAN), n_p), 10)
    own = _drinks(C.DRINK_LOG_MEAN_OWN, np.zeros(n_p), rng)
    partner_shift = C.DRINK_PARTNER_U_PARENT * latent.u_parent[parent_family]
    partner = _drinks(C.DRINK_LOG_MEAN_PARTNER, partner_shift, rng)
    # children
    p_two_c = _by_group(group, C.P_TWO_CHILDREN, rng)
    n_ch = 1 + (rng.random(n) < p_two_c)
    child_family = np.repeat(np.arange(n), n_ch)
    n_c = child_family.shape[0]
    teen = rng.random(n_c) < C.P_TEEN
    age = np.where(teen, rng.uniform(13.0, 18.0, n_c), rng.uniform(3.0, 13.0, n_c))
    age = np.floor(age * 12.0) / 12.0  # whole months
    girl = rng.random(n_c) < C.P_GIRL
    child_self = (age >= 8.0) & (rng.random(n_c) < C.P_SELF_REPORT_8PLUS)
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
        single_parent=_with_missing(single.astype(float), rng),
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
