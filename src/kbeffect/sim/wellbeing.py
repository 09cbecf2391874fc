"""Wellbeing of parents and children: latent constructs and the published scales.

Each person ``j`` (family ``f``) has, per construct ``c`` and wave ``w``, a latent score in
SD units::

    Z_cjw = a_c u_f + t_cw + b_c A_fw + 1[w > 0] k g_c u_f + B_cf + P_cj + E_cjw
            + D_f tau_cw h_f + sum_h gamma_hc H_jhw

with ``u_f`` the construct's selection factor (``u_parent`` for parenting stress and
competence, ``u_child`` for the child constructs; loadings ``a_c`` in
``_constants.LATENT``), ``t_cw`` the time trend, ``A_fw`` whether violence goes on,
``k = Scenario.confounding`` scaling the trajectory confounding ``g_c``,
``B ~ N(0, icc_family)``, ``P ~ N(0, 0.30)``, ``E ~ N(0, 1 - icc_family - 0.30)``, and the
order and help effects (``H_jhw``: the person received help type ``h`` up to wave ``w``).
Parent trauma also rises with the parent's ACEs.

A scale column is ``m + sd * (w Z + sqrt(1 - w^2) e)`` clipped to its range, where ``w`` is
the loading (trauma subscales 0.75; child scales share ``1 - REPORTER_VAR`` of their
variance between reporters), ``e`` a scale- and row-specific N(0, 1) error and ``m``, ``sd``
the scale's mean and SD (``_constants.SCALES``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special

from kbeffect.data.schema import HELP_TYPES, TSCC_SCALES, TSI_SCALES
from kbeffect.sim import _constants as C
from kbeffect.sim.latent import Latent
from kbeffect.sim.scenario import Scenario
from kbeffect.sim.structure import Structure

_INV_SQRT_2PI = 1.0 / np.sqrt(2.0 * np.pi)

__all__ = ["ScaleSpec", "WellbeingNoise", "censored_mean", "construct_means",
           "draw_wellbeing_noise", "scale_specs"]


@dataclass(frozen=True, slots=True)
class WellbeingNoise:
    """Treatment-independent random parts of the constructs (shapes in brackets).

    Attributes
    ----------
    fam_parent : (n_families, 5)  family effects of the parent constructs
    fam_child : (n_families, 4)  family effects of the child constructs
    person_parent : (n_parents, 5)
    person_child : (n_children, 4)
    occasion_parent : (n_parents, 5, 3)
    occasion_child : (n_children, 4, 3)
    """

    fam_parent: np.ndarray
    fam_child: np.ndarray
    person_parent: np.ndarray
    person_child: np.ndarray
    occasion_parent: np.ndarray
    occasion_child: np.ndarray


def occasion_var(scenario: Scenario) -> float:
    """Variance of the occasion (person x wave) term of a construct."""
    return max(1.0 - scenario.icc_family - C.PERSON_VAR, 0.05)


def draw_wellbeing_noise(s: Structure, scenario: Scenario,
                         rng: np.random.Generator) -> WellbeingNoise:
    """Draw the family, person and occasion terms."""
    n, n_p, n_c = s.n_families, s.parent_family.shape[0], s.child_family.shape[0]
    kp, kc = len(C.PARENT_CONSTRUCTS), len(C.CHILD_CONSTRUCTS)
    sf, sp = np.sqrt(scenario.icc_family), np.sqrt(C.PERSON_VAR)
    so = np.sqrt(occasion_var(scenario))
    return WellbeingNoise(
        fam_parent=sf * rng.standard_normal((n, kp)), fam_child=sf * rng.standard_normal((n, kc)),
        person_parent=sp * rng.standard_normal((n_p, kp)),
        person_child=sp * rng.standard_normal((n_c, kc)),
        occasion_parent=so * rng.standard_normal((n_p, kp, 3)),
        occasion_child=so * rng.standard_normal((n_c, kc, 3)),
    )


def _construct_block(
    names: tuple[str, ...], family: np.ndarray, latent: Latent, scenario: Scenario,
    order: np.ndarray, het: np.ndarray, cum_help: np.ndarray, base: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    follow = np.array([0.0, 1.0, 1.0])
    share = np.array([0.0, scenario.wave1_share, 1.0])
    mean = np.empty((family.shape[0], len(names), 3))
    viol = np.empty(len(names))
    d = order[family].astype(float) * het[family]
    for j, name in enumerate(names):
        a_c, a_p, t1, t2, b_v, g = C.LATENT[name]
        u = a_c * latent.u_child[family] + a_p * latent.u_parent[family]
        sel = latent.u_child[family] if name in C.CHILD_CONSTRUCTS else latent.u_parent[family]
        m = (u + base[:, j])[:, None] + np.array([0.0, t1, t2])[None, :]
        m = m + scenario.confounding * g * sel[:, None] * follow[None, :]
        m = m + scenario.order_effect(name) * d[:, None] * share[None, :]
        for h in HELP_TYPES:
            eff = scenario.help_effect(h, name)
            if eff != 0.0:
                m = m + eff * cum_help[:, HELP_TYPES.index(h), :]
        mean[:, j, :] = m
        viol[j] = b_v
    return mean, viol


def cumulative_help(person_help: np.ndarray) -> np.ndarray:
    """Return ``(n, 9, 3)`` float: the person received the type up to each wave."""
    out = np.zeros((person_help.shape[0], person_help.shape[1], 3))
    out[:, :, 1] = person_help[:, :, 0]
    out[:, :, 2] = person_help[:, :, 0] | person_help[:, :, 1]
    return out


def construct_means(
    s: Structure, latent: Latent, noise: WellbeingNoise, scenario: Scenario,
    order: np.ndarray, parent_help: np.ndarray, child_help: np.ndarray, het: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Conditional construct means when violence does not go on.

    Returns
    -------
    parent_mean : (n_parents, 5, 3)
    parent_violence : (5,)  added to the mean when violence goes on in the period
    child_mean : (n_children, 4, 3)
    child_violence : (4,)
    """
    fp, fc = s.parent_family, s.child_family
    base_p = noise.fam_parent[fp] + noise.person_parent
    ace = C.ACE_TRAUMA * (s.parent_aces - C.ACE_MEAN)
    base_p[:, C.PARENT_CONSTRUCTS.index("parent_trauma")] += ace
    pm, pv = _construct_block(C.PARENT_CONSTRUCTS, fp, latent, scenario, order, het,
                              cumulative_help(parent_help), base_p)
    base_c = noise.fam_child[fc] + noise.person_child
    cm, cv = _construct_block(C.CHILD_CONSTRUCTS, fc, latent, scenario, order, het,
                              cumulative_help(child_help), base_c)
    return pm, pv, cm, cv


@dataclass(frozen=True, slots=True)
class ScaleSpec:
    """How one observed column is made from a construct.

    Attributes
    ----------
    column, construct : str
    mean, sd, low, high : float
    loading : float
        Weight ``w`` of the construct score; the rest is scale/row error.
    """

    column: str
    construct: str
    mean: float
    sd: float
    low: float
    high: float
    loading: float


_TSI_OFFSET = {"sexual_concerns": -3.5, "dysfunctional_sexual": -2.0, "tension_reduction": -1.5}
_TSC_OFFSET = {"sexual": -4.0, "anger": -1.5, "dissociation": -1.0}


def scale_specs(reporter: str) -> tuple[ScaleSpec, ...]:
    """Return the scale columns of a row type: ``parent_self``, ``parent_child``, ``child_self``."""
    out: list[ScaleSpec] = []
    lam = C.SCALE_LOADING
    if reporter == "parent_self":
        for col in ("nosi_stress", "nosi_competence", "qol", "safety"):
            con, m, sd, lo, hi = C.SCALES[col]
            out.append(ScaleSpec(col, con, m, sd, lo, hi, 1.0))
        for sc in TSI_SCALES:
            mean = C.TSI_MEAN + _TSI_OFFSET.get(sc, 0.0)
            out.append(ScaleSpec(f"tsi_{sc}", "parent_trauma", mean, C.TSI_SD, 20.0, 120.0, lam))
        return tuple(out)
    child_w = np.sqrt(1.0 - C.REPORTER_VAR)
    shift = C.SELF_REPORT_SHIFT if reporter == "child_self" else {}
    prefix = "tscc" if reporter == "child_self" else "tscyc"
    for sc in TSCC_SCALES:
        m = C.TSC_MEAN + _TSC_OFFSET.get(sc, 0.0) + shift.get("child_trauma", 0.0) * C.TSC_SD
        out.append(ScaleSpec(f"{prefix}_{sc}", "child_trauma", m, C.TSC_SD, 20.0, 120.0,
                             lam * float(child_w)))
    for col in ("attachment", "emo_insecurity", "kidscreen"):
        con, m, sd, lo, hi = C.SCALES[col]
        out.append(ScaleSpec(col, con, m + shift.get(col, 0.0) * sd, sd, lo, hi, float(child_w)))
    return tuple(out)


def censored_mean(m: np.ndarray, sd: np.ndarray | float, low: float, high: float) -> np.ndarray:
    """Return ``E[clip(X, low, high)]`` for ``X ~ N(m, sd^2)`` (elementwise).

    Where both bounds are more than 9 SD away the clipping changes the mean by less than
    ``1e-18`` of the SD and ``m`` is returned as is.
    """
    m = np.asarray(m, dtype=float)
    sd_arr = np.broadcast_to(np.asarray(sd, dtype=float), m.shape)
    a = (low - m) / sd_arr
    b = (high - m) / sd_arr
    near = (a > -9.0) | (b < 9.0)
    out = m.copy()
    if near.any():
        an, bn, mn, sn = a[near], b[near], m[near], sd_arr[near]
        cdf_a, cdf_b = special.ndtr(an), special.ndtr(bn)
        pdf_a = np.exp(-0.5 * an * an) * _INV_SQRT_2PI
        pdf_b = np.exp(-0.5 * bn * bn) * _INV_SQRT_2PI
        out[near] = (low * cdf_a + high * (1.0 - cdf_b) + mn * (cdf_b - cdf_a)
                     + sn * (pdf_a - pdf_b))
    return out
