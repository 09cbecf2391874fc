"""The kbeffect data model: one declarative record per column of each cohort table.

This module is the single source of truth for column names, types, units and ranges.
Validation (:mod:`kbeffect.data.validate`), the simulator and ``docs/data-model.md``
all read it. A cohort has four tidy tables:

``families``
    One row per family: group, order type, recruitment stream, background covariates.
``parents``
    One row per participating parent (one or two per family).
``children``
    One row per participating child (one or two per family, aged 3-18 at T0).
``observations``
    One row per (subject, reporter, wave): a parent reporting on themself, a parent
    reporting on a child, or a child (8+) reporting on themself, at wave 0, 1 or 2.
    Measures that a given reporter does not answer are missing (NaN).

Person ids (``person_id``) are unique across parents and children of a cohort.
Violence counts are incidents in the wave's reference period: the past year at waves
0 and 1, the past half year at wave 2 (``exposure`` holds the period in years).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = [
    "CHILD_COLUMNS",
    "CM_CHILD_SUBSCALES",
    "CM_PARENT_SUBSCALES",
    "EXPOSURE_BY_WAVE",
    "FAMILY_COLUMNS",
    "GROUPS",
    "HELP_TYPES",
    "KB_TYPES",
    "OBSERVATION_COLUMNS",
    "PARENT_COLUMNS",
    "PV_SUBSCALES",
    "SEVERITIES",
    "TABLES",
    "TSCC_SCALES",
    "TSI_SCALES",
    "WAVES",
    "ColumnSpec",
    "count_columns",
]

Kind = Literal["int", "float", "bool", "category", "count"]

GROUPS: tuple[str, ...] = ("kb", "voluntary", "preventive")
KB_TYPES: tuple[str, ...] = ("ots", "ots_uhp")
STREAMS: tuple[str, ...] = ("vt", "gi")
WAVES: tuple[int, ...] = (0, 1, 2)
EXPOSURE_BY_WAVE: dict[int, float] = {0: 1.0, 1: 1.0, 2: 0.5}
INCOME_LEVELS: tuple[str, ...] = ("lt1500", "1500_3000", "gt3000")
EDUCATION_LEVELS: tuple[str, ...] = ("primary", "lower_secondary", "upper_secondary", "higher")
ROLES: tuple[str, ...] = ("parent", "child")

#: Partner-violence (CTS2, parent report) subscales; each has a minor and a severe count.
PV_SUBSCALES: tuple[str, ...] = ("psych", "phys", "sexual", "injury")
#: Child-abuse subscales in the parent version of the CTSPC.
CM_PARENT_SUBSCALES: tuple[str, ...] = ("psych", "phys", "neglect")
#: Child-abuse subscales in the child version (8+); ``witness`` = witnessing partner violence.
CM_CHILD_SUBSCALES: tuple[str, ...] = ("psych", "phys", "witness")
SEVERITIES: tuple[str, ...] = ("minor", "severe")
#: TSI clinical scales (parent trauma), scored as T-scores.
TSI_SCALES: tuple[str, ...] = (
    "anxious_arousal",
    "depression",
    "anger",
    "intrusive",
    "defensive_avoidance",
    "dissociation",
    "sexual_concerns",
    "dysfunctional_sexual",
    "impaired_self",
    "tension_reduction",
)
#: TSCYC (parent report, 3-12) and TSCC (self-report, 8-18) clinical scales, T-scores.
TSCC_SCALES: tuple[str, ...] = ("anxiety", "depression", "pts", "sexual", "dissociation", "anger")
#: Help types of Tables 8.1 and 8.2 (received in the period before the wave).
HELP_TYPES: tuple[str, ...] = (
    "ggz",
    "addiction",
    "youth",
    "disability",
    "dv_specialist",
    "district_team",
    "medical",
    "other_formal",
    "informal",
)

#: Clinical cut-off on T-scores of the TSI, TSCYC and TSCC clinical scales.
CLINICAL_T = 65.0


@dataclass(frozen=True, slots=True)
class ColumnSpec:
    """Declaration of one column of a cohort table.

    Attributes
    ----------
    name : str
        Column name.
    kind : {"int", "float", "bool", "category", "count"}
        Logical type. ``count`` is a non-negative integer stored as float so it can be NaN.
    description : str
        What the column holds, in words.
    unit : str
        Unit or scale (``""`` when none).
    low, high : float or None
        Inclusive valid range for numeric columns.
    levels : tuple of str or int
        Allowed values for categories (and for integer codes such as ``wave``).
    required : bool
        Whether the column must be present.
    nullable : bool
        Whether missing values are allowed.
    """

    name: str
    kind: Kind
    description: str
    unit: str = ""
    low: float | None = None
    high: float | None = None
    levels: tuple[str | int, ...] = ()
    required: bool = True
    nullable: bool = False


def _c(name: str, kind: Kind, description: str, **kw: object) -> ColumnSpec:
    return ColumnSpec(name, kind, description, **kw)  # type: ignore[arg-type]


FAMILY_COLUMNS: tuple[ColumnSpec, ...] = (
    _c("family_id", "int", "Family identifier, unique in the cohort."),
    _c("group", "category", "Youth-protection group at T0.", levels=GROUPS),
    _c("kb_type", "category", "Order type for group 'kb': OTS alone or OTS with out-of-home "
       "placement; missing for other groups.", levels=KB_TYPES, nullable=True),
    _c("stream", "category", "Recruitment stream: Veilig Thuis cohort or GI.", levels=STREAMS),
    _c("income", "category", "Net monthly household income band (EUR).", levels=INCOME_LEVELS,
       nullable=True),
    _c("paid_work", "bool", "Respondent works 12 or more paid hours a week.", nullable=True),
    _c("education", "category", "Highest education of the respondent.", levels=EDUCATION_LEVELS,
       nullable=True),
    _c("migration", "bool", "Respondent has a migration background.", nullable=True),
    _c("single_parent", "bool", "Single-parent family.", nullable=True),
)

PARENT_COLUMNS: tuple[ColumnSpec, ...] = (
    _c("person_id", "int", "Person identifier, unique across parents and children."),
    _c("family_id", "int", "Family of the parent."),
    _c("sex", "category", "Mother or father.", levels=("mother", "father")),
    _c("aces", "int", "Adverse childhood experiences (ACE, 10 yes/no items, T0).", unit="items",
       low=0, high=10, nullable=True),
    _c("drinks_week", "float", "Own alcoholic drinks per week at T0.", unit="drinks/week",
       low=0, high=200, nullable=True),
    _c("partner_drinks_week", "float", "Partner's alcoholic drinks per week at T0.",
       unit="drinks/week", low=0, high=200, nullable=True),
)

CHILD_COLUMNS: tuple[ColumnSpec, ...] = (
    _c("person_id", "int", "Person identifier, unique across parents and children."),
    _c("family_id", "int", "Family of the child."),
    _c("sex", "category", "Girl or boy.", levels=("girl", "boy")),
    _c("age", "float", "Age at T0.", unit="years", low=3, high=18),
)


def count_columns() -> tuple[ColumnSpec, ...]:
    """Return the incident-count columns (partner violence and child abuse).

    Returns
    -------
    tuple of ColumnSpec
        ``pv_<subscale>_<severity>`` (parent report on the couple),
        ``cmp_<subscale>_<severity>`` (parent report on the child) and
        ``cmc_<subscale>_<severity>`` (child self-report), incidents in the period.
    """
    out: list[ColumnSpec] = []
    for prefix, subs, who in (
        ("pv", PV_SUBSCALES, "partner violence (CTS2, parent report, own + partner)"),
        ("cmp", CM_PARENT_SUBSCALES, "child abuse (CTSPC parent version)"),
        ("cmc", CM_CHILD_SUBSCALES, "child abuse (CTSPC child version, 8+)"),
    ):
        for sub in subs:
            for sev in SEVERITIES:
                out.append(
                    _c(f"{prefix}_{sub}_{sev}", "count",
                       f"{sev.capitalize()} {sub} incidents: {who}.",
                       unit="incidents/period", low=0, high=2000, required=False, nullable=True)
                )
    return tuple(out)


_T = {"unit": "T-score", "low": 20.0, "high": 120.0, "required": False, "nullable": True}

OBSERVATION_COLUMNS: tuple[ColumnSpec, ...] = (
    _c("family_id", "int", "Family of the subject."),
    _c("person_id", "int", "Subject the row is about (parent or child)."),
    _c("role", "category", "Whether the subject is a parent or a child.", levels=ROLES),
    _c("reporter", "category", "Who answered: a parent or the child.", levels=ROLES),
    _c("reporter_id", "int", "person_id of the reporter."),
    _c("wave", "int", "Wave: 0 = T0, 1 = T0 + 1 year, 2 = T0 + 1.5 years.", levels=WAVES),
    _c("exposure", "float", "Length of the violence reference period.", unit="years", low=0.0,
       high=1.0),
    _c("valid", "bool", "Questionnaire passed the validity scales (invalid ones are excluded "
       "from analysis, with a count).", required=False),
    *count_columns(),
    # parent wellbeing (role = parent, reporter = parent)
    _c("nosi_stress", "float", "NOSI-K parenting stress total (25 items, 1-6).",
       unit="sum score", low=25, high=150, required=False, nullable=True),
    _c("nosi_competence", "float", "NOSI competence subscale; higher = feels less competent.",
       unit="sum score", low=13, high=78, required=False, nullable=True),
    *(_c(f"tsi_{s}", "float", f"TSI {s.replace('_', ' ')} (parent trauma).", **_T)
      for s in TSI_SCALES),
    _c("qol", "float", "Parent quality of life (MANSA, report grade).", unit="grade", low=1,
       high=10, required=False, nullable=True),
    _c("safety", "float", "Perceived safety (report grade).", unit="grade", low=1, high=10,
       required=False, nullable=True),
    # child wellbeing (role = child)
    *(_c(f"tscyc_{s}", "float", f"TSCYC {s} (parent report, 3-12).", **_T) for s in TSCC_SCALES),
    *(_c(f"tscc_{s}", "float", f"TSCC {s} (self-report, 8-18).", **_T) for s in TSCC_SCALES),
    _c("attachment", "float", "Security Scale mean item score; higher = more secure.",
       unit="mean item score", low=1, high=5, required=False, nullable=True),
    _c("emo_insecurity", "float", "Emotional insecurity: SIMS-PR (parent report, 1-5) or SIS "
       "(self-report, rescaled to 1-5) emotional-reactivity mean.", unit="mean item score",
       low=1, high=5, required=False, nullable=True),
    _c("kidscreen", "float", "Kidscreen-10 quality of life.", unit="T-score", low=20, high=80,
       required=False, nullable=True),
    # help received in the period before the wave (missing at wave 0)
    *(_c(f"help_{h}", "bool", f"Received {h.replace('_', ' ')} help in the period before "
         "this wave.", required=False, nullable=True) for h in HELP_TYPES),
)

TABLES: dict[str, tuple[ColumnSpec, ...]] = {
    "families": FAMILY_COLUMNS,
    "parents": PARENT_COLUMNS,
    "children": CHILD_COLUMNS,
    "observations": OBSERVATION_COLUMNS,
}

#: Keys that identify a row of each table.
KEYS: dict[str, tuple[str, ...]] = {
    "families": ("family_id",),
    "parents": ("person_id",),
    "children": ("person_id",),
    "observations": ("person_id", "reporter_id", "wave"),
}
