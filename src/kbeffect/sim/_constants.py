"""Calibration constants of the cohort simulator (not user settings; see Scenario).

The values were tuned so that the default scenario reproduces the published margins of
``calibration_targets.md`` (checked by ``tests/sim/test_calibration.py``; the table is in
``docs/calibration.md``). Counts are incidents per year; "logit"/"probit" are on the
linear-predictor scale; wellbeing effects are in SD units of the construct.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Final

# ---------------------------------------------------------------- structure (Table 3.1, 4.3)
GROUP_SHARES: Final = MappingProxyType({"kb": 480 / 1325, "voluntary": 791 / 1325,
                                        "preventive": 54 / 1325})
P_UHP: Final = 0.35                     # OTS+UHP among order families
UHP_U_CHILD: Final = 0.3                # probit loading of child problems on UHP
P_GI_KB: Final = 248 / 480              # order families recruited through a GI
P_SINGLE: Final = 0.625
P_TWO_PARENTS: Final = MappingProxyType({True: 0.03, False: 0.27})  # by single parent
P_FATHER_ALONE: Final = MappingProxyType({"kb": 0.355, "voluntary": 0.184, "preventive": 0.30})
P_TWO_CHILDREN: Final = MappingProxyType({"kb": 0.24, "voluntary": 0.54, "preventive": 0.56})
P_GIRL: Final = 0.49
P_TEEN: Final = 0.30                     # aged 13-18 at T0
P_SELF_REPORT_8PLUS: Final = 0.354       # of children aged 8+ at T0
INCOME: Final = MappingProxyType({"kb": (0.45, 0.41, 0.14), "voluntary": (0.45, 0.41, 0.14),
                                  "preventive": (0.31, 0.45, 0.24)})
P_PAID_WORK: Final = 0.55
EDUCATION: Final = (0.08, 0.24, 0.42, 0.26)
P_MIGRATION: Final = MappingProxyType({"kb": 0.26, "voluntary": 0.26, "preventive": 0.36})
P_MISSING_DEMOGRAPHIC: Final = 0.015     # item nonresponse per background variable

# ---------------------------------------------------------------- selection (chapter 4)
SEL_CHILD: Final = 0.75                  # probit coefficient of child problems u_c
SEL_PARENT: Final = 0.45                 # probit coefficient of parenting problems u_p

# ---------------------------------------------------------------- parents' background
ACE_MEAN: Final = 2.4
DRINK_NONZERO: Final = 0.8
DRINK_LOG_MEAN_OWN: Final = 1.95
DRINK_LOG_MEAN_PARTNER: Final = 2.22
DRINK_PARTNER_U_PARENT: Final = 0.30

# ---------------------------------------------------------------- violence
EXPOSURE: Final = (1.0, 1.0, 0.5)
#: logit P(violence goes on in the period) at waves 0, 1, 2 (voluntary, u = 0, no help)
ACTIVE_LOGIT: Final = (4.0, 1.9, 1.75)
ACTIVE_PERSISTENCE: Final = 1.0          # loading of the persistence factor r_f (waves 1-2)
ACTIVE_VIOLENCE: Final = 0.5             # loading of the violence-level factor v_f
ACTIVE_CONFOUNDING: Final = 0.30         # - loading of (u_c + u_p) on going on (waves 1-2)
RATE_CONFOUNDING: Final = (0.0, 0.25)    # - loading of (u_c + u_p) on the log rate, waves 1-2
#: log annual rate (at v_f = 0) and structural-zero probability per subscale
PV_LOG_RATE: Final = MappingProxyType({"psych": 3.73, "phys": 3.15, "sexual": 2.65, "injury": 2.70})
PV_ZERO: Final = MappingProxyType({"psych": 0.42, "phys": 0.57, "sexual": 0.79, "injury": 0.74})
P_MILD_ONLY: Final = 0.60               # families whose incidents are all minor
PV_SEVERE: Final = MappingProxyType({"psych": 0.04, "phys": 0.12, "sexual": 0.15, "injury": 0.15})
CMP_LOG_RATE: Final = MappingProxyType({"psych": 1.83, "phys": 1.43, "neglect": 1.23})
CMP_ZERO: Final = MappingProxyType({"psych": 0.15, "phys": 0.52, "neglect": 0.63})
CMP_SEVERE: Final = MappingProxyType({"psych": 0.03, "phys": 0.07, "neglect": 0.05})
CMC_ZERO: Final = MappingProxyType({"psych": 0.20, "phys": 0.35, "witness": 0.30})
CMC_SEVERE: Final = MappingProxyType({"psych": 0.04, "phys": 0.08, "witness": 0.08})
WITNESS_LOG_RATE: Final = 2.5
#: highest count a questionnaire can give per period: items x 25 ("more than 20 times"),
#: partner violence asked about self and partner
PV_CAP: Final = MappingProxyType({"psych": 400, "phys": 600, "sexual": 350, "injury": 300})
CMP_CAP: Final = MappingProxyType({"psych": 125, "phys": 325, "neglect": 125})
CMC_CAP: Final = MappingProxyType({"psych": 125, "phys": 325, "witness": 250})
#: change of the log rate while violence goes on, waves 1 and 2 (partner violence, child abuse)
PV_TREND: Final = (-0.50, -0.35)
CMP_TREND: Final = MappingProxyType({"psych": (-0.05, 0.25), "phys": (-0.60, -0.50),
                                     "neglect": (-0.20, 0.65)})
CMC_TREND: Final = (-0.60, -0.40)        # child self-report (psych, phys)
#: probability that a whole report (row) is zero while violence goes on, waves 0-2
ROW_ZERO: Final = MappingProxyType({"pv": (0.0, 0.03, 0.12), "cmp": (0.26, 0.26, 0.26),
                                    "cmc": (0.44, 0.36, 0.19)})
ROW_SD: Final = 0.4                      # reporter-subject random intercept of the log rate
LOW_INCOME_LOG_RR: Final = 0.10

# ---------------------------------------------------------------- wellbeing constructs
PARENT_CONSTRUCTS: Final = ("parenting_stress", "competence", "parent_trauma", "parent_qol",
                            "safety")
CHILD_CONSTRUCTS: Final = ("child_trauma", "attachment", "emo_insecurity", "kidscreen")
#: per construct (SD units): loading on u_c, loading on u_p, trend at waves 1 and 2, effect
#: of ongoing violence, trajectory confounding (loading of the selection factor on change)
LATENT: Final = MappingProxyType({
    "parenting_stress": (0.0, 0.66, -0.10, -0.15, 0.20, -0.15),
    "competence": (0.0, 0.55, -0.05, -0.08, 0.10, -0.10),
    "parent_trauma": (0.0, 0.0, -0.10, -0.18, 0.30, 0.0),
    "parent_qol": (0.0, 0.0, 0.10, 0.15, -0.25, 0.0),
    "safety": (0.0, 0.0, 0.15, 0.20, -0.40, 0.0),
    "child_trauma": (0.55, 0.0, -0.12, -0.25, 0.30, -0.15),
    "attachment": (-0.22, 0.0, 0.0, 0.03, -0.15, 0.10),
    "emo_insecurity": (0.05, 0.0, -0.25, -0.45, 0.30, 0.0),
    "kidscreen": (-0.10, 0.0, 0.10, 0.10, -0.20, 0.0),
})
PERSON_VAR: Final = 0.30                 # person random intercept variance (SD units)
#: trauma subscales: T-score mean (at Z = 0) and SD; other columns in SCALES:
#: column -> (construct, mean at Z = 0, SD, lowest, highest)
TSI_MEAN: Final = 46.0
TSI_SD: Final = 9.0
TSC_MEAN: Final = 52.0
TSC_SD: Final = 10.0
SCALE_LOADING: Final = 0.75              # loading of each trauma scale on its construct
SCALES: Final = MappingProxyType({
    "nosi_stress": ("parenting_stress", 50.0, 19.0, 25.0, 150.0),
    "nosi_competence": ("competence", 24.5, 7.5, 13.0, 78.0),
    "qol": ("parent_qol", 7.0, 1.4, 1.0, 10.0),
    "safety": ("safety", 7.5, 1.5, 1.0, 10.0),
    "attachment": ("attachment", 3.95, 0.55, 1.0, 5.0),
    "emo_insecurity": ("emo_insecurity", 2.4, 0.65, 1.0, 5.0),
    "kidscreen": ("kidscreen", 45.0, 9.0, 20.0, 80.0),
})
ACE_TRAUMA: Final = 0.12                 # parent trauma per ACE above the mean (SD units)
SELF_REPORT_SHIFT: Final = MappingProxyType({"attachment": -0.35, "emo_insecurity": 0.0,
                                             "kidscreen": -0.2, "child_trauma": 0.1})
REPORTER_VAR: Final = 0.25               # reporter-specific share of a child score

# ---------------------------------------------------------------- help (Tables 8.1, 8.2)
#: probability over 1.5 years of each formal help type, (order, voluntary), parents / children
HELP_PARENT: Final = MappingProxyType({
    "ggz": (0.47, 0.20), "addiction": (0.05, 0.01), "youth": (0.24, 0.21),
    "disability": (0.02, 0.02), "dv_specialist": (0.10, 0.27), "district_team": (0.15, 0.06),
    "medical": (0.28, 0.37), "other_formal": (0.17, 0.43),
})
HELP_CHILD: Final = MappingProxyType({
    "ggz": (0.35, 0.13), "addiction": (0.004, 0.003), "youth": (0.41, 0.21),
    "disability": (0.03, 0.01), "dv_specialist": (0.01, 0.02), "district_team": (0.05, 0.03),
    "medical": (0.10, 0.08), "other_formal": (0.10, 0.06),
})
ANY_FORMAL: Final = MappingProxyType({"parent": (0.95, 0.77), "child": (0.93, 0.44)})
INFORMAL: Final = MappingProxyType({"parent": (0.87, 0.83), "child": (0.44, 0.23)})
HELP_INDICATION: Final = 0.6             # logit loading of the prognosis index on any formal
DV_INDICATION: Final = 0.8               # extra loading for specialised DV help
#: given help over the period: received in period 1 only, period 2 only, both
HELP_PERIODS: Final = (0.35, 0.15, 0.50)

# ---------------------------------------------------------------- attrition (Table 3.3)
P_T1: Final = 0.72
P_T2_GIVEN_T1: Final = 0.56 / 0.72
P_T2_GIVEN_NOT_T1: Final = 0.04 / 0.28
