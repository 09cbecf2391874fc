"""The :class:`Scenario`: every user-settable knob of the cohort simulator.

A scenario fixes the *causal* features of a simulated study (effect sizes, confounding,
attrition, clustering, count dispersion, reporter bias). The calibration constants that make
the default cohort reproduce the published margins live in :mod:`kbeffect.sim._constants`
and are not meant to be changed by users. ``docs/simulator.md`` gives the equations in which
each parameter appears.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any, Literal

from kbeffect._validation import check_literal
from kbeffect.data.schema import HELP_TYPES
from kbeffect.errors import SpecificationError

__all__ = ["WELLBEING_OUTCOMES", "Scenario"]

Attrition = Literal["mar", "mcar", "mnar"]

#: Wellbeing outcomes with a settable order effect (standardised units, see Scenario).
WELLBEING_OUTCOMES: tuple[str, ...] = (
    "parenting_stress",
    "competence",
    "parent_trauma",
    "parent_qol",
    "child_trauma",
    "attachment",
    "emo_insecurity",
    "kidscreen",
)

_DEFAULT_ORDER_WELLBEING: tuple[tuple[str, float], ...] = (
    ("parenting_stress", -0.20),
    ("competence", -0.15),
    ("parent_trauma", 0.0),
    ("parent_qol", 0.10),
    ("child_trauma", -0.20),
    ("attachment", 0.15),
    ("emo_insecurity", 0.0),
    ("kidscreen", 0.0),
)
_DEFAULT_HELP_VIOLENCE: tuple[tuple[str, float], ...] = (("dv_specialist", -0.40),)
_DEFAULT_HELP_STOP: tuple[tuple[str, float], ...] = (("dv_specialist", 0.40),)
_DEFAULT_HELP_WELLBEING: tuple[tuple[str, str, float], ...] = (
    ("ggz", "parent_trauma", -0.15),
    ("ggz", "child_trauma", -0.15),
    ("dv_specialist", "parent_trauma", -0.15),
    ("youth", "attachment", 0.10),
)


@dataclass(frozen=True, slots=True)
class Scenario:
    """Causal settings of a simulated cohort (frozen; change with :meth:`replace`).

    Effects act at waves 1 and 2 (wave 0 is the start of the order, before any effect);
    the wave-1 effect is ``wave1_share`` times the wave-2 effect. Standardised effects are
    in units of the outcome's residual standard deviation (the scale SD in
    ``kbeffect.sim._constants.SCALES``); a negative value lowers the score.

    Parameters
    ----------
    order_log_rr : float
        Order effect on the log incident rate while violence goes on (count model,
        order x wave coefficient at waves 1-2). Default -0.15 (rate ratio 0.86: small).
    order_stop_logodds : float
        Order effect on the log-odds that violence is absent in a follow-up period.
        Default 0.25 (small; about +4 to +5 points of "violence stopped").
    order_wellbeing : tuple of (str, float)
        Order effect on each wellbeing outcome (names in ``WELLBEING_OUTCOMES``), in SD
        units. Default: small favourable effects on parenting stress (-0.20), competence
        (-0.15, higher = less competent), child trauma (-0.20), attachment (+0.15) and
        parent QoL (+0.10); none on parent trauma, emotional insecurity and Kidscreen.
    effect_heterogeneity : float
        Order effects are multiplied by ``max(0, 1 + effect_heterogeneity * u_child)``,
        where ``u_child`` is the standardised family child-problem factor that also drives
        selection, so the effect among ordered families (ATT) exceeds the ATE.
    wave1_share : float
        Share of the wave-2 effect already present at wave 1 (all effects).
    help_log_rr : tuple of (str, float)
        Effect of each help type (received by a parent of the family) on the log incident
        rate. Default: specialised DV help -0.40.
    help_stop_logodds : tuple of (str, float)
        Effect of each help type on the log-odds that violence is absent in a period.
        Default: specialised DV help +0.40.
    help_wellbeing : tuple of (str, str, float)
        ``(help type, outcome, SD effect)`` for help received by the person: default GGZ
        and specialised DV help lower parent trauma (-0.15), GGZ lowers child trauma
        (-0.15), youth and parenting help raises attachment (+0.10).
    selection_strength : float
        Multiplies the coefficients of child problems and parenting problems in the
        selection (probit) model of an order. 0 gives random assignment among non-preventive
        families.
    confounding : float
        Multiplies the effect of the selection factors on the outcome trajectories
        (violence stopping and rate, wellbeing change). 0 leaves only baseline differences
        (no confounding of change scores).
    indication : float
        Multiplies the dependence of help on violence persistence and severity
        (confounding by indication). 0 makes help independent of the prognosis.
    attrition : {"mar", "mcar", "mnar"}
        Dropout mechanism: depends on observed baseline severity (``"mar"``), on nothing
        (``"mcar"``), or on the family's unobserved violence in the follow-up period
        (``"mnar"``).
    attrition_strength : float
        Log-odds change of dropout per SD of the driver (ignored for ``"mcar"``).
    icc_family : float
        Share of the person-level variance of wellbeing scores that is shared within a
        family (between parents, and between children).
    violence_family_sd : float
        SD of the family random intercept of the log incident rate (shared by all
        reporters, subscales and waves).
    nb_shape : float
        Negative-binomial shape of each count (smaller = more overdispersed).
    zero_inflation : float
        Multiplies the per-subscale structural-zero probabilities (1 = calibrated; 0 = none).
    reporter_bias : float
        Log ratio of child-reported to parent-reported child-abuse incidents (parents
        under-report relative to children).
    invalid_rate : float
        Probability that one questionnaire (reporter x wave) fails the validity scales.
    """

    order_log_rr: float = -0.15
    order_stop_logodds: float = 0.25
    order_wellbeing: tuple[tuple[str, float], ...] = _DEFAULT_ORDER_WELLBEING
    effect_heterogeneity: float = 0.5
    wave1_share: float = 0.7
    help_log_rr: tuple[tuple[str, float], ...] = _DEFAULT_HELP_VIOLENCE
    help_stop_logodds: tuple[tuple[str, float], ...] = _DEFAULT_HELP_STOP
    help_wellbeing: tuple[tuple[str, str, float], ...] = _DEFAULT_HELP_WELLBEING
    selection_strength: float = 1.0
    confounding: float = 1.0
    indication: float = 1.0
    attrition: Attrition = "mar"
    attrition_strength: float = 0.20
    icc_family: float = 0.3
    violence_family_sd: float = 0.8
    nb_shape: float = 1.5
    zero_inflation: float = 1.0
    reporter_bias: float = 0.80
    invalid_rate: float = 0.025

    def __post_init__(self) -> None:
        check_literal("attrition", self.attrition, ("mar", "mcar", "mnar"))
        for f in dataclasses.fields(self):
            v = getattr(self, f.name)
            if isinstance(v, float | int) and not isinstance(v, bool) and not math.isfinite(v):
                raise SpecificationError(f"Scenario.{f.name} must be finite; got {v!r}.")
        object.__setattr__(self, "order_wellbeing", _pairs("order_wellbeing",
                                                           self.order_wellbeing,
                                                           WELLBEING_OUTCOMES))
        object.__setattr__(self, "help_log_rr", _pairs("help_log_rr", self.help_log_rr,
                                                       HELP_TYPES))
        object.__setattr__(self, "help_stop_logodds", _pairs("help_stop_logodds",
                                                             self.help_stop_logodds, HELP_TYPES))
        triples = []
        for item in self.help_wellbeing:
            if len(item) != 3:
                raise SpecificationError(
                    f"Scenario.help_wellbeing entries must be (help type, outcome, effect); "
                    f"got {item!r}.")
            h, o, v = item
            check_literal("Scenario.help_wellbeing help type", h, HELP_TYPES)
            check_literal("Scenario.help_wellbeing outcome", o, WELLBEING_OUTCOMES)
            triples.append((str(h), str(o), float(v)))
        object.__setattr__(self, "help_wellbeing", tuple(triples))
        for name in ("nb_shape", "wave1_share"):
            if getattr(self, name) <= 0:
                raise SpecificationError(
                    f"Scenario.{name} must be > 0; got {getattr(self, name)!r}.")
        for name in ("icc_family", "invalid_rate"):
            v = getattr(self, name)
            if not 0.0 <= v < 1.0:
                raise SpecificationError(f"Scenario.{name} must lie in [0, 1); got {v!r}.")
        for name in ("violence_family_sd", "zero_inflation", "selection_strength",
                     "attrition_strength", "indication"):
            if getattr(self, name) < 0:
                raise SpecificationError(
                    f"Scenario.{name} must be >= 0; got {getattr(self, name)!r}.")

    # ------------------------------------------------------------------ constructors
    @classmethod
    def null(cls, **changes: Any) -> Scenario:
        """Return the default scenario with every order and help effect set to zero."""
        base = cls(
            order_log_rr=0.0,
            order_stop_logodds=0.0,
            order_wellbeing=tuple((o, 0.0) for o in WELLBEING_OUTCOMES),
            help_log_rr=(),
            help_stop_logodds=(),
            help_wellbeing=(),
        )
        return base.replace(**changes) if changes else base

    def replace(self, **changes: Any) -> Scenario:
        """Return a copy with some fields changed (validated like the constructor).

        ``order_wellbeing``, ``help_log_rr`` and ``help_stop_logodds`` may be given as
        dicts; outcomes or help types not named keep their current value.
        """
        names = {f.name for f in dataclasses.fields(self)}
        unknown = sorted(set(changes) - names)
        if unknown:
            raise SpecificationError(
                f"Scenario has no field(s) {unknown}; fields: {sorted(names)}.")
        for key in ("order_wellbeing", "help_log_rr", "help_stop_logodds"):
            if isinstance(changes.get(key), dict):
                merged = dict(getattr(self, key))
                merged.update(changes[key])
                changes[key] = tuple(merged.items())
        return dataclasses.replace(self, **changes)

    # ------------------------------------------------------------------ accessors
    def order_effect(self, outcome: str) -> float:
        """Return the order effect (SD units) on a wellbeing outcome."""
        return dict(self.order_wellbeing).get(outcome, 0.0)

    def help_effect(self, help_type: str, outcome: str) -> float:
        """Return the SD effect of a help type on a wellbeing outcome (0 if not set)."""
        return sum(v for h, o, v in self.help_wellbeing if h == help_type and o == outcome)

    def to_dict(self) -> dict[str, Any]:
        """Return the scenario as a JSON-serialisable dict."""
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            v = getattr(self, f.name)
            out[f.name] = [list(t) for t in v] if isinstance(v, tuple) else v
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Scenario:
        """Rebuild a scenario from :meth:`to_dict` output."""
        kw: dict[str, Any] = {k: (tuple(tuple(t) for t in v) if isinstance(v, list) else v)
                              for k, v in data.items()}
        return cls(**kw)


def _pairs(name: str, value: Any, allowed: tuple[str, ...]) -> tuple[tuple[str, float], ...]:
    items = value.items() if isinstance(value, dict) else value
    out: dict[str, float] = {}
    for item in items:
        if len(item) != 2:
            raise SpecificationError(
                f"Scenario.{name} entries must be (name, value); got {item!r}.")
        key, v = item
        check_literal(f"Scenario.{name} key", key, allowed)
        out[str(key)] = float(v)
    return tuple(out.items())
