"""Published margins the default simulated cohort must reproduce (calibration_targets.md).

Each :class:`Target` is one line of ``/shared/study/calibration_targets.md`` (one group and
wave per line). Percentages are in percent, counts in incidents per reference period as
printed (T2 covers half a year), tolerances in the target's unit (``"abs"``: percentage
points or absolute units) or as a fraction of the target (``"rel"``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["TARGETS", "Target"]


@dataclass(frozen=True, slots=True)
class Target:
    """One published margin.

    Attributes
    ----------
    key : str
        Identifier of the computation (see :mod:`kbeffect.sim.calibration`).
    margin : str
        Description shown in the calibration table.
    group : str
        ``"all"``, ``"kb"`` or ``"voluntary"``.
    wave : int or None
        Wave of the margin (None when it is not wave-specific).
    target, tolerance : float
    tol_kind : {"abs", "rel"}
    source : str
        Id in ``published_findings.md``.
    """

    key: str
    margin: str
    group: str
    wave: int | None
    target: float
    tolerance: float
    tol_kind: Literal["abs", "rel"]
    source: str


def _t(key: str, margin: str, group: str, wave: int | None, target: float, tol: float,
       kind: Literal["abs", "rel"], source: str) -> Target:
    return Target(key, margin, group, wave, target, tol, kind, source)


_S = "N3.1"
_STRUCTURE = [
    _t("share_group:kb", "% families with an order", "all", 0, 36.2, 2, "abs", _S),
    _t("share_group:voluntary", "% families voluntary", "all", 0, 59.7, 2, "abs", _S),
    _t("share_group:preventive", "% families preventive", "all", 0, 4.1, 2, "abs", _S),
    _t("uhp", "% OTS+UHP among order families", "kb", 0, 35.0, 5, "abs", "N3.3"),
    _t("parents_per_family", "parents per family", "all", 0, 1.12, 0.03, "abs", _S),
    _t("both_parents", "% families where both parents take part", "all", 0, 12.0, 3, "abs", _S),
    _t("fathers", "% fathers among participating parents", "kb", 0, 39.0, 5, "abs", "N3.7"),
    _t("fathers", "% fathers among participating parents", "voluntary", 0, 25.0, 5, "abs",
       "N3.7"),
    _t("children_per_family", "children per family", "all", 0, 1.43, 0.05, "abs", _S),
    _t("girls", "% girls among children", "all", 0, 49.0, 3, "abs", _S),
    _t("age_3_12", "% children aged 3-12 at T0", "all", 0, 70.0, 3, "abs", _S),
    _t("age_13_18", "% children aged 13-18 at T0", "all", 0, 30.0, 3, "abs", _S),
    _t("self_report", "% children self-reporting at T0", "all", 0, 23.0, 4, "abs", _S),
]

_BACKGROUND = []
for _g, _inc, _mig, _single in (("voluntary", (44, 41, 14), 27, 62), ("kb", (46, 41, 12), 25, 63)):
    for _lvl, _v in zip(("lt1500", "1500_3000", "gt3000"), _inc, strict=True):
        _BACKGROUND.append(_t(f"income:{_lvl}", f"% income {_lvl}", _g, 0, _v, 4, "abs", "F4.3"))
    _BACKGROUND.append(_t("no_paid_work", "% under 12 hours paid work", _g, 0, 45, 4, "abs",
                          "F4.3"))
    for _lvl, _v in zip(("primary", "lower_secondary", "upper_secondary", "higher"),
                        (8, 24, 42, 26), strict=True):
        _BACKGROUND.append(_t(f"education:{_lvl}", f"% education {_lvl}", _g, 0, _v, 4, "abs",
                              "N3.4"))
    _BACKGROUND.append(_t("migration", "% migration background", _g, 0, _mig, 4, "abs", "F4.3"))
    _BACKGROUND.append(_t("single_parent", "% single parent", _g, 0, _single, 5, "abs", "N3.7"))

_PROBLEMS = [
    _t("child_trauma", "% children with clinical trauma complaints", "voluntary", 0, 39, 5,
       "abs", "F4.5"),
    _t("child_trauma", "% children with clinical trauma complaints", "kb", 0, 53, 5, "abs",
       "F4.5"),
    _t("parent_trauma", "% parents with clinical trauma complaints", "voluntary", 0, 14, 4,
       "abs", "F4.T-parent-trauma"),
    _t("parent_trauma", "% parents with clinical trauma complaints", "kb", 0, 14, 4, "abs",
       "F4.T-parent-trauma"),
    _t("drinking_own", "% problematic drinking (own, > 8 a week)", "voluntary", 0, 34, 5, "abs",
       "F4.T-alcohol"),
    _t("drinking_own", "% problematic drinking (own, > 8 a week)", "kb", 0, 34, 5, "abs",
       "F4.T-alcohol"),
    _t("drinking_partner", "% problematic drinking (partner)", "voluntary", 0, 41, 5, "abs",
       "F4.T-alcohol"),
    _t("drinking_partner", "% problematic drinking (partner)", "kb", 0, 47, 5, "abs",
       "F4.T-alcohol"),
    _t("stress_gap", "parenting stress, order minus voluntary (pooled SD units)", "all", 0, 0.3,
       0.1, "abs", "F4.4"),
]

_ATTRITION = [
    _t("present", "% families taking part (of T0)", "all", 1, 72, 5, "abs", "N3.3"),
    _t("present", "% families taking part (of T0)", "all", 2, 60, 5, "abs", "N3.3"),
    _t("all_waves", "% families with all three waves", "all", None, 56, 5, "abs", "N3.3"),
]

_VIOLENCE: list[Target] = []
for _g, _vals in (("kb", (74, 33, 15)), ("voluntary", (77, 37, 25))):
    for _w, _v in enumerate(_vals):
        _VIOLENCE.append(_t("total", "mean total incidents (pv + child abuse)", _g, _w, _v, 0.15,
                            "rel", "F5.8"))
for _w, _vals in ((0, (5, 12, 82)), (2, (34, 17, 47))):
    for _lvl, _v in zip(("none", "moderate", "severe"), _vals, strict=True):
        _VIOLENCE.append(_t(f"severity:{_lvl}", f"% families {_lvl} violence", "kb", _w, _v, 5,
                            "abs", "F5.G1"))
_PV: tuple[tuple[float, float], ...] = ((81, 52), (63, 24), (51, 11))
_CMP: tuple[tuple[float, float], ...] = ((63, 9), (50, 5.3), (43, 3.5))
_CMC: tuple[tuple[float, float], ...] = ((52, 14), (43, 6.0), (46, 4.5))
for _w, (_any, _mean) in enumerate(_PV):
    _VIOLENCE.append(_t("pv_any", "% parents reporting any partner violence", "kb", _w, _any, 5,
                        "abs", "F5.5"))
    _VIOLENCE.append(_t("pv_mean", "mean partner-violence incidents (parent report)", "kb", _w,
                        _mean, 0.20, "rel", "F5.5"))
for _w, (_any, _mean) in enumerate(_CMP):
    _VIOLENCE.append(_t("cmp_any", "% children with any child abuse (parent report)", "kb", _w,
                        _any, 5, "abs", "F5.3"))
    _VIOLENCE.append(_t("cmp_mean", "mean child-abuse incidents (parent report)", "kb", _w,
                        _mean, 0.20, "rel", "F5.3"))
for _w, _vals in enumerate(((29, 54, 20), (17, 44, 15), (11, 34, 16))):
    for _sub, _v in zip(("phys", "psych", "neglect"), _vals, strict=True):
        _VIOLENCE.append(_t(f"cmp_any:{_sub}", f"% children with any {_sub} abuse (parent report)",
                            "kb", _w, _v, 5, "abs", "F5.3"))
for _w, (_any, _mean) in enumerate(_CMC):
    _VIOLENCE.append(_t("cmc_any", "% self-reporting children with any child abuse", "kb", _w,
                        _any, 8, "abs", "F5.4"))
    _VIOLENCE.append(_t("cmc_mean", "mean child-abuse incidents (child report)", "kb", _w, _mean,
                        0.30, "rel", "F5.4"))
_VIOLENCE.append(_t("stopped", "% violence stopped at T2", "kb", 2, 34, 5, "abs", "F0.T-stopped"))
_VIOLENCE.append(_t("stopped", "% violence stopped at T2", "voluntary", 2, 24, 5, "abs",
                    "F0.T-stopped"))

_HELP_P: dict[str, tuple[float, float]] = {
    "ggz": (47, 20), "addiction": (5, 1), "youth": (24, 21), "disability": (2, 2),
    "dv_specialist": (10, 27), "district_team": (15, 6), "medical": (28, 37),
    "other_formal": (17, 43), "informal": (87, 83), "any_formal": (95, 77)}
_HELP_C: dict[str, tuple[float, float]] = {
    "ggz": (35, 13), "addiction": (0.4, 0.3), "youth": (41, 21), "disability": (3, 1),
    "dv_specialist": (1, 2), "informal": (44, 23), "any_formal": (93, 44)}
_HELP: list[Target] = []
for _role, _table, _src in (("parent", _HELP_P, "F8.1"), ("child", _HELP_C, "F8.2")):
    for _h, (_kb, _vol) in _table.items():
        _tol = 2.0 if _h in ("addiction", "disability") else 4.0
        for _g, _share in (("kb", _kb), ("voluntary", _vol)):
            _who = "parents" if _role == "parent" else "children (parent report)"
            _HELP.append(_t(f"help_{_role}:{_h}", f"% {_who} receiving {_h} help over 1.5 years",
                            _g, None, _share, _tol, "abs", _src))

#: Every published margin of calibration_targets.md.
TARGETS: tuple[Target, ...] = tuple(_STRUCTURE + _BACKGROUND + _PROBLEMS + _ATTRITION + _VIOLENCE
                                    + _HELP)
