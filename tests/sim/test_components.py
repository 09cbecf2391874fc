"""Numerical building blocks of the simulator against independent references."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import special, stats

from kbeffect.sim import Scenario
from kbeffect.sim._engine import draw_world
from kbeffect.sim._numeric import logit_intercept, quota_by_group, quota_counts, top_share
from kbeffect.sim.help import FORMAL_TYPES, _type_probs
from kbeffect.sim.violence import capped_nb_mean, zero_probs
from kbeffect.sim.wellbeing import censored_mean


@pytest.mark.parametrize("k", [0.6, 1.5])
def test_capped_nb_mean_matches_summed_pmf(k: float) -> None:
    mu = np.array([0.5, 5.0, 60.0, 300.0, 900.0])
    cap = np.array([125.0, 125.0, 400.0, 300.0, 600.0])
    got = capped_nb_mean(mu.reshape(1, 5, 1), k, cap)[0, :, 0]
    y = np.arange(200_000)
    ref = [float((np.minimum(y, c) * stats.nbinom.pmf(y, k, k / (k + m))).sum())
           for m, c in zip(mu, cap, strict=True)]
    np.testing.assert_allclose(got, ref, rtol=1e-9)


def test_censored_mean_matches_quadrature() -> None:
    m = np.array([20.0, 45.0, 118.0, 3.0])
    sd = np.array([10.0, 9.0, 6.0, 2.0])
    got = np.array([censored_mean(np.array([mi]), si, lo, hi)[0]
                    for mi, si, lo, hi in zip(m, sd, (20, 20, 20, 1), (120, 120, 120, 5),
                                              strict=True)])
    ref = []
    for mi, si, lo, hi in zip(m, sd, (20, 20, 20, 1), (120, 120, 120, 5), strict=True):
        x = np.linspace(mi - 12 * si, mi + 12 * si, 400_001)
        ref.append(np.trapezoid(np.clip(x, lo, hi) * stats.norm.pdf(x, mi, si), x))
    np.testing.assert_allclose(got, ref, rtol=1e-7)


@pytest.mark.parametrize(("p", "slope"), [(0.72, 0.0), (0.72, 0.6), (0.04, 1.5), (0.95, 0.8)])
def test_logit_intercept_gives_marginal(p: float, slope: float) -> None:
    a = logit_intercept(p, slope)
    z = np.random.default_rng(0).standard_normal(2_000_000)
    assert special.expit(a + slope * z).mean() == pytest.approx(p, abs=1e-3)


def test_quota_counts_are_exact_and_unbiased() -> None:
    rng = np.random.default_rng(1)
    probs = np.array([0.45, 0.41, 0.14])
    draws = np.array([quota_counts(101, probs, rng) for _ in range(4000)])
    assert (draws.sum(axis=1) == 101).all()
    assert (np.abs(draws - 101 * probs) < 1).all()
    np.testing.assert_allclose(draws.mean(axis=0), 101 * probs, atol=0.03)
    codes = quota_by_group(np.array([0] * 10 + [1] * 10), {0: np.array([0.5, 0.5]),
                                                           1: np.array([0.0, 1.0])}, rng)
    assert codes[:10].sum() == 5 and codes[10:].sum() == 10
    flag = top_share(np.arange(10.0), 0.3, rng)
    assert flag.tolist() == [False] * 7 + [True] * 3


@pytest.mark.parametrize(("role", "column"), [("parent", 0), ("parent", 1), ("child", 0),
                                              ("child", 1)])
def test_help_type_probabilities_reproduce_the_tables(role: str, column: int) -> None:
    """Formal help F, then types q_h with at least one type: marginals match by construction."""
    from kbeffect.sim import _constants as C

    q = np.array(_type_probs(role, column))
    p_f = C.ANY_FORMAL[role][column]
    none = np.prod(1 - q)
    implied = p_f * (q + none * q / q.sum())
    table = C.HELP_PARENT if role == "parent" else C.HELP_CHILD
    np.testing.assert_allclose(implied, [table[h][column] for h in FORMAL_TYPES], atol=1e-6)


def test_group_sizes_follow_the_study_quota() -> None:
    w = draw_world(1325, Scenario(), np.random.default_rng(2))
    counts = np.bincount(w.structure.group, minlength=3)
    assert counts.tolist() == [480, 791, 54]
    zp = zero_probs(Scenario(zero_inflation=0.0))
    assert all((z.row == 0).all() and (z.sub == 0).all() for z in zp)


def test_selection_strength_zero_randomises() -> None:
    w = draw_world(20_000, Scenario(selection_strength=0.0), np.random.default_rng(3))
    kb = w.structure.group == 0
    vol = w.structure.group == 1
    assert abs(w.latent.u_child[kb].mean() - w.latent.u_child[vol].mean()) < 0.06
    w1 = draw_world(20_000, Scenario(), np.random.default_rng(3))
    kb1, vol1 = w1.structure.group == 0, w1.structure.group == 1
    assert w1.latent.u_child[kb1].mean() - w1.latent.u_child[vol1].mean() > 0.5
    # the violence level does not drive selection
    assert abs(w1.latent.v[kb1].mean() - w1.latent.v[vol1].mean()) < 0.06
