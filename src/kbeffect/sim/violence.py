"""Violence: whether it goes on in a period, and zero-inflated negative-binomial counts.

Model (family ``f``, wave ``w``, reporter-subject row ``i``, subscale ``s``)::

    A_fw ~ Bernoulli(expit(eta_fw))                 violence goes on in the period
    eta_f0 = a_0 + c_v v_f
    eta_fw = a_w + c_v v_f + c_r r_f - k * c_u x_f - D_f tau_stop_w h_f - sum_h g_h H_fhw
    Y_iswf | A_fw = 1 ~ 0 with prob. pi_s (or the whole report i is 0 with prob. pi_row,w),
                     else NegBin(mean mu_isw, shape k_nb)
    log mu_isw = log e_w + beta_s + sigma_v v_f + b_i + delta_w + rho_r
                 + D_f tau_rr_w h_f + sum_h l_h H_fhw + 0.1 [low income]
    severe ~ Binomial(Y, q_s); minor = Y - severe

``x_f = (u_child + u_parent) / sqrt(2)`` (selection factors, ``k = Scenario.confounding``),
``h_f = max(0, 1 + Scenario.effect_heterogeneity * u_child)``, ``e_w`` the exposure (1, 1,
0.5 years), ``rho_r`` the reporter bias (child self-report of child abuse), ``H_fhw`` whether
a parent of the family received help type ``h`` up to wave ``w`` and ``b_i ~ N(0, 0.4^2)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special

from kbeffect.data.schema import CM_CHILD_SUBSCALES, CM_PARENT_SUBSCALES, HELP_TYPES, PV_SUBSCALES
from kbeffect.sim import _constants as C
from kbeffect.sim.latent import Latent
from kbeffect.sim.scenario import Scenario
from kbeffect.sim.structure import Structure

__all__ = [
    "ViolenceMeans",
    "ViolenceNoise",
    "ZeroProbs",
    "draw_counts",
    "draw_violence_noise",
    "family_expectations",
    "family_help",
    "violence_means",
    "zero_probs",
]


@dataclass(frozen=True, slots=True)
class ViolenceNoise:
    """Random parts of the violence model that do not depend on treatment.

    Attributes
    ----------
    b_parent : (n_parents,)  standard-normal row effects of partner-violence reports
    b_pair : (n_pairs,)  row effects of parents' child-abuse reports
    b_child : (n_children,)  row effects of children's self-reports
    u_active : (n_families, 3)  uniforms deciding whether violence goes on
    mild_only : (n_families,)  the family's incidents are all minor (no severe incidents)
    """

    b_parent: np.ndarray
    b_pair: np.ndarray
    b_child: np.ndarray
    u_active: np.ndarray
    mild_only: np.ndarray


@dataclass(frozen=True, slots=True)
class ViolenceMeans:
    """Conditional means given the latent variables (shapes in brackets).

    Attributes
    ----------
    p_active : (n_families, 3)  probability that violence goes on, per wave
    mu_pv : (n_parents, 4, 3)  partner-violence means (subscale, wave) while going on
    mu_cmp : (n_pairs, 3, 3)  parent-reported child-abuse means
    mu_cmc : (n_children, 3, 3)  child self-reported means
    """

    p_active: np.ndarray
    mu_pv: np.ndarray
    mu_cmp: np.ndarray
    mu_cmc: np.ndarray


def draw_violence_noise(s: Structure, rng: np.random.Generator) -> ViolenceNoise:
    """Draw the treatment-independent random parts."""
    return ViolenceNoise(
        b_parent=rng.standard_normal((s.parent_family.shape[0],)),
        b_pair=rng.standard_normal((s.pair_parent.shape[0],)),
        b_child=rng.standard_normal((s.child_family.shape[0],)),
        u_active=rng.random((s.n_families, 3)),
        mild_only=rng.random(s.n_families) < C.P_MILD_ONLY,
    )


def _group_sum(index: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    """Sum the rows of ``values`` (n_rows, 3) by ``index`` into ``(n, 3)``."""
    return np.stack([np.bincount(index, weights=values[:, w], minlength=n)
                     for w in range(values.shape[1])], axis=1)


def family_help(parent_help: np.ndarray, parent_family: np.ndarray, n: int) -> np.ndarray:
    """Return ``(n_families, 9, 3)`` bool: a parent received the type up to each wave."""
    cum = np.zeros((parent_help.shape[0], parent_help.shape[1], 3), dtype=bool)
    cum[:, :, 1] = parent_help[:, :, 0]
    cum[:, :, 2] = parent_help[:, :, 0] | parent_help[:, :, 1]
    flat = cum.reshape(cum.shape[0], -1).astype(float)
    out = np.stack([np.bincount(parent_family, weights=flat[:, j], minlength=n)
                    for j in range(flat.shape[1])], axis=1)
    return out.reshape(n, parent_help.shape[1], 3) > 0


def _wave_effect(value: float, scenario: Scenario) -> np.ndarray:
    return np.array([0.0, scenario.wave1_share * value, value])


def heterogeneity(latent: Latent, scenario: Scenario) -> np.ndarray:
    """Return the family effect multiplier ``max(0, 1 + heterogeneity * u_child)``."""
    return np.maximum(0.0, 1.0 + scenario.effect_heterogeneity * latent.u_child)


def violence_means(
    s: Structure, latent: Latent, noise: ViolenceNoise, scenario: Scenario,
    order: np.ndarray, fam_help: np.ndarray,
) -> ViolenceMeans:
    """Compute the conditional violence means under a given treatment and help.

    Parameters
    ----------
    s, latent, noise, scenario
        Cohort structure, factors, random parts and settings.
    order : numpy.ndarray of bool, shape (n_families,)
        Treatment (realised or potential).
    fam_help : numpy.ndarray of bool, shape (n_families, 9, 3)
        Output of :func:`family_help` under that treatment.

    Returns
    -------
    ViolenceMeans
    """
    het = heterogeneity(latent, scenario)
    d = order.astype(float) * het
    waves = np.arange(3)
    follow = (waves > 0).astype(float)
    eta = (np.array(C.ACTIVE_LOGIT)[None, :] + C.ACTIVE_VIOLENCE * latent.v[:, None]
           + follow[None, :] * (C.ACTIVE_PERSISTENCE * latent.r[:, None]
                                - scenario.confounding * C.ACTIVE_CONFOUNDING
                                * latent.confounder[:, None]))
    eta = eta - d[:, None] * _wave_effect(scenario.order_stop_logodds, scenario)[None, :]
    log_fam = (scenario.violence_family_sd * latent.v + C.LOW_INCOME_LOG_RR * s.low_income)
    log_fam = log_fam[:, None] + d[:, None] * _wave_effect(scenario.order_log_rr, scenario)[None, :]
    rate_conf = np.r_[0.0, C.RATE_CONFOUNDING]
    log_fam = log_fam - scenario.confounding * latent.confounder[:, None] * rate_conf[None, :]
    fh = fam_help.astype(float)
    for h, g in scenario.help_stop_logodds:
        eta = eta - g * fh[:, HELP_TYPES.index(h), :]
    for h, g in scenario.help_log_rr:
        log_fam = log_fam + g * fh[:, HELP_TYPES.index(h), :]
    log_e = np.log(np.array(C.EXPOSURE))
    pv_trend = np.r_[0.0, C.PV_TREND]
    cm_trend = np.array([np.r_[0.0, C.CMP_TREND[k]] for k in CM_PARENT_SUBSCALES])
    cmc_trend = np.r_[0.0, C.CMC_TREND]
    beta_pv = np.array([C.PV_LOG_RATE[k] for k in PV_SUBSCALES])
    beta_cm = np.array([C.CMP_LOG_RATE[k] for k in CM_PARENT_SUBSCALES])
    beta_cmc = np.array([C.CMP_LOG_RATE["psych"], C.CMP_LOG_RATE["phys"], 0.0])
    bias = np.array([scenario.reporter_bias, scenario.reporter_bias, 0.0])
    fp, fpair, fc = s.parent_family, s.parent_family[s.pair_parent], s.child_family
    mu_pv = np.exp(beta_pv[None, :, None] + (log_e + pv_trend)[None, None, :]
                   + (log_fam[fp] + C.ROW_SD * noise.b_parent[:, None])[:, None, :])
    mu_cmp = np.exp(beta_cm[None, :, None] + (log_e[None, :] + cm_trend)[None, :, :]
                    + (log_fam[fpair] + C.ROW_SD * noise.b_pair[:, None])[:, None, :])
    trend_cmc = np.stack([cmc_trend, cmc_trend, pv_trend])  # witness follows partner violence
    beta_cmc = beta_cmc + bias
    beta_cmc[2] = C.WITNESS_LOG_RATE
    mu_cmc = np.exp((beta_cmc[:, None] + trend_cmc + log_e[None, :])[None, :, :]
                    + (log_fam[fc] + C.ROW_SD * noise.b_child[:, None])[:, None, :])
    return ViolenceMeans(p_active=special.expit(eta), mu_pv=mu_pv, mu_cmp=mu_cmp, mu_cmc=mu_cmc)


def capped_nb_mean(mu: np.ndarray, k: float, cap: np.ndarray) -> np.ndarray:
    """Return ``E[min(Y, cap)]`` for ``Y ~ NegBin(mean mu, shape k)``.

    Uses ``E[Y 1(Y >= c)] = mu P(Y' >= c - 1)`` with ``Y' ~ NegBin(shape k + 1)`` (the
    size-biased negative binomial), so ``E[min(Y, c)] = mu - mu P(Y' >= c) + c P(Y > c)``
    with both tails from the regularised incomplete beta function.

    Parameters
    ----------
    mu : (n_rows, n_subscales, 3)
    k : float
    cap : (n_subscales,)
    """
    out = mu.copy()
    c = np.broadcast_to(cap[None, :, None], mu.shape)
    hit = mu > c / 40.0  # elsewhere the tail beyond the cap is below 1e-12 of the mean
    if hit.any():
        m, cc = mu[hit], c[hit]
        q = m / (k + m)  # success probability of the failures count
        # P(Y' >= c) = I_q(c, k + 1) and P(Y > c) = I_q(c + 1, k), both from one
        # incomplete beta I = I_q(c, k) and t = q^c (1 - q)^k / B(c, k):
        # I_q(c, k + 1) = I + t / k and I_q(c + 1, k) = I - t / c.
        inc = special.betainc(cc, k, q)
        t = np.exp(cc * np.log(q) + k * np.log1p(-q) - special.betaln(cc, k))
        out[hit] = m - (m - cc) * inc - t * (m / k + 1.0)
    return out


@dataclass(frozen=True, slots=True)
class ZeroProbs:
    """Structural-zero probabilities of one instrument.

    Attributes
    ----------
    row : (3,)  a whole report is zero while violence goes on (per wave)
    sub : (n_subscales,)  one subscale is zero (given the report is not)
    cap : (n_subscales,)  highest count the questionnaire can record per period
    """

    row: np.ndarray
    sub: np.ndarray
    cap: np.ndarray

    def expected(self, mu: np.ndarray, k: float) -> np.ndarray:
        """Return ``(n_rows, n_subscales, 3)``: ``E[Y]`` while violence goes on (capped)."""
        factor = (1.0 - self.row)[None, :] * (1.0 - self.sub)[:, None]
        return factor[None] * capped_nb_mean(mu, k, self.cap)

    def log_p0(self, mu: np.ndarray, k: float) -> np.ndarray:
        """Return ``(n_rows, 3)``: log P(every subscale of the report is 0 | going on)."""
        nb0 = np.exp(k * np.log(k / (k + mu)))
        p_sub = self.sub[None, :, None] + (1.0 - self.sub)[None, :, None] * nb0
        all_zero = np.exp(np.log(p_sub).sum(axis=1))
        return np.log(self.row[None, :] + (1.0 - self.row[None, :]) * all_zero)


def zero_probs(scenario: Scenario) -> tuple[ZeroProbs, ZeroProbs, ZeroProbs]:
    """Return the structural-zero probabilities of the pv, cmp and cmc instruments."""
    z = scenario.zero_inflation
    out = []
    for prefix, table, caps, keys in (("pv", C.PV_ZERO, C.PV_CAP, PV_SUBSCALES),
                                      ("cmp", C.CMP_ZERO, C.CMP_CAP, CM_PARENT_SUBSCALES),
                                      ("cmc", C.CMC_ZERO, C.CMC_CAP, CM_CHILD_SUBSCALES)):
        sub = np.clip(z * np.array([table[k] for k in keys]), 0.0, 0.99)
        row = np.clip(z * np.array(C.ROW_ZERO[prefix]), 0.0, 0.99)
        cap = np.array([float(caps[k]) for k in keys])
        out.append(ZeroProbs(row=row, sub=sub, cap=cap))
    return out[0], out[1], out[2]


def family_expectations(
    s: Structure, m: ViolenceMeans, scenario: Scenario
) -> tuple[np.ndarray, np.ndarray]:
    """Conditional expectations of the family outcomes given the latent variables.

    Returns
    -------
    total_per_year : numpy.ndarray, shape (n_families, 3)
        Expected family total (mean over the family's parents of own partner violence plus
        child abuse reported on all children), per year.
    p_none : numpy.ndarray, shape (n_families, 3)
        Probability that no member (parents, self-reporting children) reports any incident.
    """
    n = s.n_families
    k = scenario.nb_shape
    z_pv, z_cmp, z_cmc = zero_probs(scenario)
    e_pv = z_pv.expected(m.mu_pv, k).sum(axis=1)
    e_cm = z_cmp.expected(m.mu_cmp, k).sum(axis=1)
    fpair = s.parent_family[s.pair_parent]
    fam_sum = _group_sum(s.parent_family, e_pv, n) + _group_sum(fpair, e_cm, n)
    mean_total = fam_sum / s.n_parents_family[:, None]
    total = m.p_active * mean_total / np.array(C.EXPOSURE)[None, :]
    self_rows = np.flatnonzero(s.child_self)
    lp = (_group_sum(s.parent_family, z_pv.log_p0(m.mu_pv, k), n)
          + _group_sum(fpair, z_cmp.log_p0(m.mu_cmp, k), n)
          + _group_sum(s.child_family[self_rows], z_cmc.log_p0(m.mu_cmc[self_rows], k), n))
    p_none = (1 - m.p_active) + m.p_active * np.exp(lp)
    return total, p_none


def draw_counts(
    mu: np.ndarray, active: np.ndarray, zeros: ZeroProbs, severe_share: np.ndarray,
    scenario: Scenario, rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """Draw minor and severe counts.

    Parameters
    ----------
    mu : (n_rows, n_subscales, 3)
        Means while violence goes on.
    active : (n_rows, 3) bool
        Whether violence goes on in the row's family at each wave.
    zeros : ZeroProbs
        Structural-zero probabilities of the instrument.
    severe_share : (n_rows, n_subscales)
        Share of severe incidents per row and subscale.

    Returns
    -------
    minor, severe : numpy.ndarray of float, shape (n_rows, n_subscales, 3)
    """
    k = scenario.nb_shape
    lam = mu * rng.gamma(k, 1.0 / k, size=mu.shape)
    y = rng.poisson(lam).astype(np.int64)
    row_on = rng.random(active.shape) >= zeros.row[None, :]
    keep = (rng.random(mu.shape) >= zeros.sub[None, :, None]) & (active & row_on)[:, None, :]
    y = np.where(keep, np.minimum(y, zeros.cap[None, :, None].astype(np.int64)), 0)
    severe = rng.binomial(y, np.broadcast_to(severe_share[:, :, None], y.shape))
    return (y - severe).astype(float), severe.astype(float)
