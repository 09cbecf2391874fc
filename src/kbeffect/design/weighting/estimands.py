r"""Balancing weights from a propensity score, for each estimand (WeightIt's ``get_w_from_ps``).

With :math:`e_i` the propensity score and :math:`t_i \in \{0, 1\}`:

=========  ==========================================  =============================
estimand   treated weight                              control weight
=========  ==========================================  =============================
ATE        :math:`1 / e`                               :math:`1 / (1 - e)`
ATT        :math:`1`                                   :math:`e / (1 - e)`
ATC        :math:`(1 - e) / e`                         :math:`1`
ATO        :math:`1 - e`                               :math:`e`
ATM        :math:`\min(e, 1 - e) / e`                  :math:`\min(e, 1 - e) / (1 - e)`
=========  ==========================================  =============================

Stabilised ATE weights multiply by the marginal share of the unit's own group.
All kernels take arrays and do no validation.
"""

from __future__ import annotations

import numpy as np

from kbeffect.errors import SpecificationError

__all__ = ["ESTIMANDS", "stabilize", "trim_mask", "truncate", "weights_from_ps"]

ESTIMANDS: tuple[str, ...] = ("ATE", "ATT", "ATC", "ATO", "ATM")


def weights_from_ps(ps: np.ndarray, treat: np.ndarray, estimand: str) -> np.ndarray:
    """Return (n,) weights for ``estimand`` from propensity scores ``ps`` and 0/1 ``treat``."""
    e = np.asarray(ps, dtype=float)
    t = np.asarray(treat) == 1
    if estimand == "ATE":
        return np.where(t, 1.0 / e, 1.0 / (1.0 - e))
    if estimand == "ATT":
        return np.where(t, 1.0, e / (1.0 - e))
    if estimand == "ATC":
        return np.where(t, (1.0 - e) / e, 1.0)
    if estimand == "ATO":
        return np.where(t, 1.0 - e, e)
    if estimand == "ATM":
        m = np.minimum(e, 1.0 - e)
        return np.where(t, m / e, m / (1.0 - e))
    raise SpecificationError(
        f"estimand must be one of {', '.join(ESTIMANDS)}; got {estimand!r}."
    )


def stabilize(w: np.ndarray, treat: np.ndarray) -> np.ndarray:
    """Multiply each weight by the share of units in the unit's treatment group."""
    p1 = float(np.mean(treat == 1))
    return w * np.where(treat == 1, p1, 1.0 - p1)


def trim_mask(ps: np.ndarray, alpha: float) -> np.ndarray:
    """Return True for units whose propensity score lies outside ``[alpha, 1 - alpha]``.

    This is trimming (Crump et al. 2009): such units leave the sample (weight 0).
    """
    return (ps < alpha) | (ps > 1.0 - alpha)


def truncate(w: np.ndarray, treat: np.ndarray, estimand: str, at: float) -> np.ndarray:
    """Cap weights at their ``at`` quantile (WeightIt's ``trim(at=)``, i.e. truncation).

    For the ATT (ATC) only the control (treated) weights are capped, at the quantile of
    those weights; otherwise all weights are capped at the quantile over all units.
    Quantiles use R's default (type 7) definition.
    """
    out = w.copy()
    if estimand == "ATT":
        sel = treat == 0
    elif estimand == "ATC":
        sel = treat == 1
    else:
        sel = np.ones(len(w), bool)
    sel = sel & (w > 0)
    cap = float(np.quantile(w[sel], at))
    out[sel] = np.minimum(w[sel], cap)
    return out
