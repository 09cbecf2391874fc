"""Help received in the two follow-up periods, with confounding by indication.

For each person (parent, or child as reported by the parent) the model draws whether any
formal help was received over the 1.5 years (``F``), then which formal types given ``F``
(independent draws with probabilities ``q_h``; a person with ``F`` but no type drawn gets
one type chosen in proportion to ``q_h``), and informal help independently. The ``q_h`` are
solved so that the marginal shares reproduce Tables 8.1 and 8.2 for each group. Each help
received is then placed in period 1 only, period 2 only, or both (``HELP_PERIODS``).

Confounding by indication: the log-odds of any formal help, and additionally of
specialised DV help, rise with the family's prognosis index ``z = 0.8 r + 0.6 v`` (violence
persistence and level), scaled by ``Scenario.indication``. Intercepts are solved by
Gauss-Hermite quadrature so the marginal shares do not move when ``indication`` changes.

All randomness is drawn once (:func:`draw_help_uniforms`); :func:`help_received` is a
deterministic function of the uniforms and the treatment, so help under the order and
under voluntary help use common random numbers (the help is a mediator of the order).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy import special

from kbeffect.data.schema import HELP_TYPES
from kbeffect.sim import _constants as C
from kbeffect.sim._numeric import logit_intercept

__all__ = ["FORMAL_TYPES", "HelpUniforms", "draw_help_uniforms", "help_received",
           "prognosis_index"]

FORMAL_TYPES: tuple[str, ...] = tuple(h for h in HELP_TYPES if h != "informal")


@dataclass(frozen=True, slots=True)
class HelpUniforms:
    """Uniform draws behind the help of ``n`` persons (shapes in brackets).

    Attributes
    ----------
    any_formal : (n,)
    types : (n, 8)
        One per formal type.
    forced : (n,)
        Picks the type for persons with formal help but no type drawn.
    informal : (n,)
    period : (n, 9)
        Period pattern of each help type (formal types, then informal).
    """

    any_formal: np.ndarray
    types: np.ndarray
    forced: np.ndarray
    informal: np.ndarray
    period: np.ndarray


def draw_help_uniforms(n: int, rng: np.random.Generator) -> HelpUniforms:
    """Draw the uniforms for ``n`` persons."""
    return HelpUniforms(
        any_formal=rng.random(n), types=rng.random((n, len(FORMAL_TYPES))),
        forced=rng.random(n), informal=rng.random(n), period=rng.random((n, len(HELP_TYPES))),
    )


def prognosis_index(r: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Return the standard-normal prognosis index ``0.8 r + 0.6 v`` (higher = worse)."""
    return 0.8 * r + 0.6 * v


@lru_cache(maxsize=16)
def _type_probs(role: str, column: int) -> tuple[float, ...]:
    """Solve the conditional type probabilities ``q_h`` given formal help."""
    table = C.HELP_PARENT if role == "parent" else C.HELP_CHILD
    p = np.array([table[h][column] for h in FORMAL_TYPES])
    p_f = C.ANY_FORMAL[role][column]
    q = np.clip(p / p_f, 1e-6, 0.999)
    for _ in range(200):
        none = np.prod(1.0 - q)
        q = np.clip(p / p_f / (1.0 + none / q.sum()), 1e-6, 0.999)
    return tuple(float(x) for x in q)


def help_received(
    u: HelpUniforms, order: np.ndarray, z: np.ndarray, role: str, indication: float
) -> np.ndarray:
    """Help received per person, type and period.

    Parameters
    ----------
    u : HelpUniforms
        The persons' uniforms.
    order : numpy.ndarray of bool, shape (n,)
        Whether the person's family has an order (potential or realised).
    z : numpy.ndarray, shape (n,)
        Prognosis index of the person's family.
    role : {"parent", "child"}
        Which calibration table applies.
    indication : float
        ``Scenario.indication``.

    Returns
    -------
    numpy.ndarray of bool, shape (n, 9, 2)
        ``[person, help type (schema.HELP_TYPES order), period (0 = before wave 1,
        1 = before wave 2)]``.
    """
    n = order.shape[0]
    k = len(FORMAL_TYPES)
    dv = FORMAL_TYPES.index("dv_specialist")
    ever = np.zeros((n, len(HELP_TYPES)), dtype=bool)
    for column, mask in ((0, order), (1, ~order)):
        if not mask.any():
            continue
        s_f = indication * C.HELP_INDICATION
        a_f = logit_intercept(C.ANY_FORMAL[role][column], s_f)
        formal = u.any_formal[mask] < special.expit(a_f + s_f * z[mask])
        q = np.broadcast_to(np.array(_type_probs(role, column)), (int(mask.sum()), k)).copy()
        s_dv = indication * C.DV_INDICATION
        q[:, dv] = special.expit(logit_intercept(q[0, dv], s_dv) + s_dv * z[mask])
        types = (u.types[mask] < q) & formal[:, None]
        none = formal & ~types.any(axis=1)
        if none.any():
            cum = np.cumsum(q[none], axis=1)
            pick = (u.forced[mask][none][:, None] * cum[:, -1:] > cum).sum(axis=1)
            rows = np.flatnonzero(none)
            types[rows, np.minimum(pick, k - 1)] = True
        ever[np.flatnonzero(mask)[:, None], np.arange(k)[None, :]] = types
        ever[mask, k] = u.informal[mask] < C.INFORMAL[role][column]
    p1, p2, _ = C.HELP_PERIODS
    first = u.period < p1
    both = u.period >= p1 + p2
    only2 = ~first & ~both
    period1 = ever & (first | both)
    period2 = ever & (only2 | both)
    return np.stack([period1, period2], axis=2)
