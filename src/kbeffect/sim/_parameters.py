"""Structural parameters of the generating model, as a correctly specified model sees them."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from kbeffect.data.schema import HELP_TYPES
from kbeffect.sim import _constants as C
from kbeffect.sim._engine import World
from kbeffect.sim.latent import GROUP_CODES
from kbeffect.sim.wellbeing import scale_specs

__all__ = ["structural_parameters"]


def structural_parameters(world: World) -> pd.DataFrame:
    """Return the parameters table of :class:`kbeffect.sim.Truth`.

    Order effects are heterogeneous (multiplier ``h_f = max(0, 1 + het * u_child)``); each
    is given at ``h_f = 1`` (``*_w1``, ``*_w2``) and averaged over order families
    (``*_att_w*``) and over order and voluntary families (``*_ate_w*``). They are the
    *direct* coefficients of the generating equations: the order also acts through help
    (order families get more GGZ and less specialised DV help) and, for wellbeing, through
    violence, so the total effects in :attr:`Truth.effects` differ from them. Wellbeing
    coefficients are in score units of the column (parent self-report for parent scales,
    parent report for child scales, before clipping to the range).
    """
    sc = world.scenario
    s = world.structure
    het = world.het
    kb = s.group == GROUP_CODES["kb"]
    scope = s.group != GROUP_CODES["preventive"]
    mean_att, mean_ate = float(het[kb].mean()) if kb.any() else np.nan, float(het[scope].mean())
    rows: list[dict[str, Any]] = []

    def add(name: str, value: float, scale: str, description: str) -> None:
        rows.append({"name": name, "value": float(value), "scale": scale,
                     "description": description})

    shares = {1: sc.wave1_share, 2: 1.0}
    add("effect_heterogeneity", sc.effect_heterogeneity, "multiplier",
        "order effects are multiplied by max(0, 1 + effect_heterogeneity * u_child)")
    add("heterogeneity_mean_att", mean_att, "multiplier", "mean multiplier, order families")
    add("heterogeneity_mean_ate", mean_ate, "multiplier",
        "mean multiplier, order and voluntary families")
    for w, f in shares.items():
        for tag, mult in (("", 1.0), ("_att", mean_att), ("_ate", mean_ate)):
            add(f"order_log_rr{tag}_w{w}", sc.order_log_rr * f * mult, "log rate ratio",
                f"order x wave {w} coefficient of the log incident rate while violence goes on"
                " (count model with family random intercept)")
            add(f"order_stop_logodds{tag}_w{w}", sc.order_stop_logodds * f * mult, "log odds",
                f"order x wave {w} effect on the log-odds that violence is absent in the period")
    add("violence_family_sd", sc.violence_family_sd, "log rate SD",
        "SD of the family random intercept of the log incident rate")
    add("violence_row_sd", C.ROW_SD, "log rate SD", "SD of the reporter-subject random intercept")
    add("nb_shape", sc.nb_shape, "shape", "negative-binomial shape of every count")
    add("reporter_bias", sc.reporter_bias, "log rate ratio",
        "child self-report vs parent report of child abuse")
    for reporter in ("parent_self", "parent_child"):
        for spec in scale_specs(reporter):
            unit = spec.sd * spec.loading
            eff = sc.order_effect(spec.construct)
            for w, f in shares.items():
                for tag, mult in (("", 1.0), ("_att", mean_att), ("_ate", mean_ate)):
                    add(f"order_x_wave{tag}_w{w}:{spec.column}", unit * eff * f * mult,
                        "score units",
                        f"direct order x wave {w} coefficient of {spec.column} (linear "
                        "predictor, before clipping; the total effect in Truth.effects adds "
                        "the paths through violence and help)")
            for h in HELP_TYPES:
                he = sc.help_effect(h, spec.construct)
                if he != 0.0:
                    add(f"help_{h}:{spec.column}", unit * he, "score units",
                        f"effect of {h} help received up to the wave on {spec.column}")
    for h, g in sc.help_log_rr:
        add(f"help_{h}:log_rr", g, "log rate ratio",
            f"effect of {h} help (a parent of the family) on the log incident rate")
    for h, g in sc.help_stop_logodds:
        add(f"help_{h}:stop_logodds", g, "log odds",
            f"effect of {h} help on the log-odds that violence is absent in the period")
    return pd.DataFrame(rows, columns=["name", "value", "scale", "description"])
