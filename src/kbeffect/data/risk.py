"""Risk cumulation and the policy tool's five-group typology.

Missing inputs follow three-valued (Kleene) logic throughout: a factor or flag is
``pd.NA`` when it cannot be determined, a cumulation flag is True as soon as the known
factors reach the threshold, False when even counting every unknown factor as present
could not reach it, and missing otherwise. Nothing is dropped: families with unknown
inputs stay in the result with missing flags.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

import numpy as np
import pandas as pd

from kbeffect._validation import check_columns, check_literal
from kbeffect.data import schema
from kbeffect.data.derive import InvalidRule, valid_rows
from kbeffect.errors import DataError, SpecificationError

__all__ = [
    "KB7_FACTORS",
    "POLICY16_EXTRA",
    "TYPOLOGY_LABELS",
    "policy_typology",
    "risk_cumulation",
]

RiskVariant = Literal["kb7", "policy16"]
ParentRule = Literal["any", "first"]
MissingRule = Literal["unknown", "absent"]

#: The seven factors of the KB study (section 2.4.6); cumulation at 3 or more.
KB7_FACTORS: tuple[str, ...] = (
    "aces_4plus", "poverty", "unemployment", "risky_drinking", "partner_risky_drinking",
    "low_education", "single_parent",
)
#: Factors of the policy tool that the data model does not hold; pass them in ``extra``.
POLICY16_EXTRA: tuple[str, ...] = ("parenting_stress", "youth_problem_behaviour")
#: Policy tool factors besides the ten ACE items (16 in all); cumulation at 5 or more.
POLICY16_FACTORS: tuple[str, ...] = (
    "poverty", "unemployment", "risky_drinking", "partner_risky_drinking", *POLICY16_EXTRA,
)
THRESHOLDS: dict[str, int] = {"kb7": 3, "policy16": 5}

#: Labels of the five cumulative groups, light to heavy (shares among reported families).
TYPOLOGY_LABELS: dict[int, str] = {
    1: "no trauma, attachment, emotional-insecurity or cumulation problems",
    2: "risk cumulation only",
    3: "emotional insecurity of children, no trauma or attachment problems",
    4: "attachment problems, no trauma",
    5: "trauma in a child and/or parent",
}

DRINKS_CUTOFF = 8.0  # risky drinking: more than 8 drinks a week
ACES_CUTOFF = 4  # four or more adverse childhood experiences


def _equals(values: pd.Series, level: str) -> pd.Series:
    """``values == level`` as nullable boolean (NA where missing)."""
    x = values.astype(object)
    res = pd.array((x == level).to_numpy(bool), dtype="boolean")
    res[x.isna().to_numpy()] = pd.NA
    return pd.Series(res, index=values.index)


def _compare(values: pd.Series, fn: str, cutoff: float) -> pd.Series:
    """Elementwise comparison ``values <fn> cutoff`` as nullable boolean (NA where missing)."""
    x = values.astype(float)
    res = pd.array(getattr(x, fn)(cutoff).to_numpy(bool), dtype="boolean")
    res[x.isna().to_numpy()] = pd.NA
    return pd.Series(res, index=values.index)


def _per_family(flags: pd.DataFrame, parents: pd.DataFrame, rule: ParentRule) -> pd.DataFrame:
    """Combine parent-level flags/counts per family (Kleene 'any', or the first parent)."""
    fam = parents["family_id"]
    if rule == "first":
        first = flags.groupby(fam.to_numpy(), sort=True).head(1)
        return first.set_index(fam.loc[first.index].to_numpy())
    out = {}
    for col in flags.columns:
        v = flags[col]
        if col == "aces":
            out[col] = v.astype(float).groupby(fam.to_numpy(), sort=True).max()
            continue
        as_float = v.astype("Float64").astype(float)
        any_true = (as_float == 1).groupby(fam.to_numpy(), sort=True).any()
        all_known = as_float.notna().groupby(fam.to_numpy(), sort=True).all()
        res = pd.Series(pd.NA, index=any_true.index, dtype="boolean")
        res[all_known.to_numpy()] = False
        res[any_true.to_numpy()] = True
        out[col] = res
    return pd.DataFrame(out)


def risk_cumulation(
    families: pd.DataFrame, parents: pd.DataFrame, *, variant: RiskVariant = "kb7",
    extra: pd.DataFrame | None = None, parent_rule: ParentRule = "any",
) -> pd.DataFrame:
    """Risk factors per family and whether they cumulate.

    ``variant="kb7"`` (KB study, section 2.4.6): seven factors, cumulation at **3 or more**:
    (1) ``aces_4plus``: 4 or more adverse childhood experiences; (2) ``poverty``: net
    income below EUR 1,500 a month (``income == "lt1500"``); (3) ``unemployment``: under 12
    paid hours a week (``paid_work == False``); (4) ``risky_drinking``: more than 8 drinks
    a week; (5) ``partner_risky_drinking``: the same for the partner; (6) ``low_education``:
    primary school only; (7) ``single_parent``.

    ``variant="policy16"`` (cohort-2 policy tool): sixteen factors, cumulation at **5 or
    more**: each of the ten ACE items (their number is the ACE score ``aces``), poverty,
    unemployment, parenting stress, risky drinking of respondent and partner, and youth
    problem behaviour. Parenting stress and youth problem behaviour have no published
    cut-off in the data model and must be passed in ``extra``.

    Parameters
    ----------
    families, parents : DataFrame
        The families and parents tables.
    variant : {"kb7", "policy16"}
        Which rule.
    extra : DataFrame, optional
        For ``"policy16"`` only: ``family_id`` plus boolean columns ``parenting_stress``
        and ``youth_problem_behaviour`` (one row per family; missing = unknown).
    parent_rule : {"any", "first"}
        How the parent-level factors (ACEs, drinking) of two-parent families combine:
        ``"any"`` (default) counts a factor when it holds for either participating parent
        (the highest ACE score for ``"policy16"``); ``"first"`` uses the parent listed
        first in ``parents`` (the main respondent).

    Returns
    -------
    DataFrame
        One row per family of ``families`` (same order): ``family_id``; one nullable
        boolean column per factor (``aces`` as a float count for ``"policy16"``);
        ``n_factors`` (known factors present), ``n_unknown`` (factors that cannot be
        determined) and ``cumulation`` (nullable boolean: True when ``n_factors`` reaches
        the threshold, False when ``n_factors + n_unknown`` stays below it, else missing).

    Raises
    ------
    SpecificationError
        For an unknown variant or rule, or when ``"policy16"`` lacks ``extra`` columns.
    SchemaError
        If a required column is missing.
    """
    check_literal("variant", variant, THRESHOLDS)
    check_literal("parent_rule", parent_rule, ("any", "first"))
    check_columns(families, ["family_id", "income", "paid_work", "education", "single_parent"],
                  table="families")
    check_columns(parents, ["family_id", "aces", "drinks_week", "partner_drinks_week"],
                  table="parents")
    if variant == "kb7" and extra is not None:
        raise SpecificationError("extra is only used with variant='policy16'; the kb7 rule "
                                 "uses the data model's columns only.")
    pflags = pd.DataFrame({
        "aces": parents["aces"].astype(float),
        "aces_4plus": _compare(parents["aces"], "ge", ACES_CUTOFF),
        "risky_drinking": _compare(parents["drinks_week"], "gt", DRINKS_CUTOFF),
        "partner_risky_drinking": _compare(parents["partner_drinks_week"], "gt", DRINKS_CUTOFF),
    }, index=parents.index)
    per_fam = _per_family(pflags, parents, parent_rule)
    fid = families["family_id"].to_numpy()
    out = pd.DataFrame({"family_id": fid})
    out["poverty"] = _equals(families["income"], "lt1500").array
    out["unemployment"] = (~families["paid_work"].astype("boolean")).array
    out["low_education"] = _equals(families["education"], "primary").array
    out["single_parent"] = families["single_parent"].astype("boolean").array
    for col in ("aces", "aces_4plus", "risky_drinking", "partner_risky_drinking"):
        vals = per_fam[col].reindex(fid)
        out[col] = vals.to_numpy(float) if col == "aces" else vals.astype("boolean").array
    if variant == "kb7":
        factors = out[list(KB7_FACTORS)]
        n_present = factors.fillna(False).astype(int).sum(axis=1)
        n_unknown = factors.isna().sum(axis=1)
        out = out[["family_id", *KB7_FACTORS]].copy()
    else:
        out = _add_extra(out, extra)
        factors = out[list(POLICY16_FACTORS)]
        aces = out["aces"].astype(float)
        n_present = factors.fillna(False).astype(int).sum(axis=1) + aces.fillna(0).astype(int)
        n_unknown = factors.isna().sum(axis=1) + np.where(aces.isna(), 10, 0)
        out = out[["family_id", "aces", *POLICY16_FACTORS]].copy()
    threshold = THRESHOLDS[variant]
    out["n_factors"] = n_present.to_numpy(int)
    out["n_unknown"] = np.asarray(n_unknown, dtype=int)
    flag = pd.Series(pd.NA, index=out.index, dtype="boolean")
    flag[(out["n_factors"] + out["n_unknown"] < threshold).to_numpy()] = False
    flag[(out["n_factors"] >= threshold).to_numpy()] = True
    out["cumulation"] = flag
    out.attrs["variant"] = variant
    out.attrs["threshold"] = threshold
    return out


def _add_extra(out: pd.DataFrame, extra: pd.DataFrame | None) -> pd.DataFrame:
    if extra is None:
        raise SpecificationError(
            "variant='policy16' needs the factors the data model does not hold: pass extra= "
            f"a DataFrame with 'family_id' and boolean columns {list(POLICY16_EXTRA)}."
        )
    if not isinstance(extra, pd.DataFrame):
        raise SpecificationError(f"extra must be a DataFrame; got {type(extra).__name__}.")
    missing = [c for c in ("family_id", *POLICY16_EXTRA) if c not in extra.columns]
    if missing:
        raise SpecificationError(f"extra has no column(s) {missing}; variant='policy16' needs "
                                 f"'family_id' and {list(POLICY16_EXTRA)}.")
    if extra["family_id"].duplicated().any():
        dup = extra.loc[extra["family_id"].duplicated(), "family_id"].tolist()[:3]
        raise DataError(f"extra has duplicate family_id values, e.g. {dup}.")
    ex = extra.set_index("family_id")
    out = out.copy()
    for col in POLICY16_EXTRA:
        out[col] = ex[col].astype("boolean").reindex(out["family_id"].to_numpy()).to_numpy()
    return out


def _family_any(flag: pd.Series, families: pd.Series, index: pd.Index) -> pd.Series:
    """Kleene 'any' per family of a row-level nullable boolean; NA for families without rows."""
    as_float = flag.astype("Float64").astype(float)
    any_true = (as_float == 1).groupby(families.to_numpy()).any()
    any_known = as_float.notna().groupby(families.to_numpy()).any()
    res = pd.Series(pd.NA, index=index, dtype="boolean")
    known = any_known.reindex(index, fill_value=False).to_numpy(bool)
    res[known] = False
    res[any_true.reindex(index, fill_value=False).to_numpy(bool)] = True
    return res


def policy_typology(
    observations: pd.DataFrame, cumulation: pd.DataFrame | Mapping[int, bool], *, wave: int = 0,
    trauma_cutoff: float = schema.CLINICAL_T, attachment_cutoff: float = 3.0,
    insecurity_cutoff: float = 3.0, missing: MissingRule = "unknown",
    invalid: InvalidRule = "exclude",
) -> pd.DataFrame:
    """Assign families to the policy tool's five cumulative problem groups.

    A family is in the heaviest group whose defining problem it has: 5 trauma in a child
    and/or a parent (clinical on at least one TSI/TSCYC/TSCC scale); else 4 attachment
    problems of a child; else 3 emotional insecurity of a child; else 2 risk cumulation;
    else 1 (see :data:`TYPOLOGY_LABELS`).

    The tool publishes no cut-offs for attachment problems and emotional insecurity ("very
    conservative cut-off points"). The defaults here are ours and are parameters: a child
    has attachment problems when a Security Scale mean item score (1-5, higher = more
    secure) is **below** ``attachment_cutoff`` (3, the scale midpoint), and is emotionally
    insecure when an emotional-insecurity mean item score (1-5, higher = more insecure) is
    **at or above** ``insecurity_cutoff`` (3). A child counts when any report (parent or
    self) meets the criterion.

    Parameters
    ----------
    observations : DataFrame
        The observations table with ``family_id``, ``role``, ``wave``, the trauma scales,
        ``attachment`` and ``emo_insecurity``.
    cumulation : DataFrame or mapping
        Risk cumulation per family: the result of :func:`risk_cumulation` (its
        ``family_id`` and ``cumulation`` columns are used), or a mapping family_id -> bool.
    wave : {0, 1, 2}
        Wave whose measures are used (the tool used T0).
    trauma_cutoff, attachment_cutoff, insecurity_cutoff : float
        Cut-offs described above.
    missing : {"unknown", "absent"}
        ``"unknown"`` (default): a problem that cannot be determined (no report) leaves the
        group missing unless a heavier problem is present; ``"absent"``: an unreported
        problem counts as absent.
    invalid : {"exclude", "include"}
        Treatment of questionnaires with ``valid == False``.

    Returns
    -------
    DataFrame
        One row per family in ``observations`` or ``cumulation`` (sorted by family):
        ``family_id``, nullable boolean ``trauma_child``, ``trauma_parent``, ``trauma``,
        ``attachment_problem``, ``emo_insecure``, ``cumulation`` and ``group`` (``Int64``
        1-5, missing when undetermined).
    """
    check_literal("missing", missing, ("unknown", "absent"))
    if wave not in schema.WAVES:
        raise SpecificationError(f"wave={wave!r} is not valid; expected one of {schema.WAVES}.")
    check_columns(observations, ["family_id", "role", "wave", "attachment", "emo_insecurity"],
                  table="observations")
    from kbeffect.data.rules import trauma_clinical

    rows, exclusions = valid_rows(observations, invalid=invalid)
    at = rows[rows["wave"] == wave]
    cum = _cumulation_series(cumulation)
    index = pd.Index(sorted(set(observations["family_id"]) | set(cum.index)), name="family_id")
    trauma = trauma_clinical(at, cutoff=trauma_cutoff)
    child = (at["role"] == "child").to_numpy()
    fam = at["family_id"]
    flags = pd.DataFrame(index=index)
    flags["trauma_child"] = _family_any(trauma[child], fam[child], index)
    flags["trauma_parent"] = _family_any(trauma[~child], fam[~child], index)
    flags["trauma"] = flags["trauma_child"] | flags["trauma_parent"]
    flags["attachment_problem"] = _family_any(
        _compare(at.loc[child, "attachment"], "lt", attachment_cutoff), fam[child], index)
    flags["emo_insecure"] = _family_any(
        _compare(at.loc[child, "emo_insecurity"], "ge", insecurity_cutoff), fam[child], index)
    flags["cumulation"] = cum.reindex(index).astype("boolean")
    order = ["trauma", "attachment_problem", "emo_insecure", "cumulation"]
    group = pd.Series(pd.NA, index=index, dtype="Int64")
    undecided = np.ones(len(index), dtype=bool)
    for level, col in zip((5, 4, 3, 2), order, strict=True):
        f = flags[col]
        if missing == "absent":
            f = f.fillna(False)
        is_true = f.fillna(False).to_numpy(bool)
        unknown = f.isna().to_numpy(bool)
        group[undecided & is_true] = level
        undecided &= ~is_true & ~unknown
    group[undecided] = 1
    flags["group"] = group
    out = flags.reset_index()
    out.attrs["exclusions"] = exclusions
    return out


def _cumulation_series(cumulation: pd.DataFrame | Mapping[int, bool]) -> pd.Series:
    if isinstance(cumulation, pd.DataFrame):
        check_columns(cumulation, ["family_id", "cumulation"], table="cumulation")
        if cumulation["family_id"].duplicated().any():
            raise DataError("cumulation has duplicate family_id values.")
        return cumulation.set_index("family_id")["cumulation"].astype("boolean")
    if isinstance(cumulation, Mapping):
        return pd.Series(dict(cumulation), dtype="boolean")
    raise SpecificationError("cumulation must be the DataFrame returned by risk_cumulation() or "
                             f"a mapping family_id -> bool; got {type(cumulation).__name__}.")
