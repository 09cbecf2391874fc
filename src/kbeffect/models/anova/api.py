"""``rm_anova``: repeated-measures and mixed (split-plot) ANOVA on long data."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd

from kbeffect._results import Exclusions
from kbeffect._validation import check_columns, check_literal, check_no_missing
from kbeffect.errors import DataError, EstimationError, SpecificationError
from kbeffect.models.anova.fit import fit_rm_anova
from kbeffect.models.anova.kernels import between_design
from kbeffect.models.anova.result import RMAnovaResult
from kbeffect.models.anova.sphericity import HFMethod, MauchlyPValue

__all__ = ["rm_anova"]

INCOMPLETE_REASON = (
    "incomplete: no response at one or more within-subject cells (the repeated-measures "
    "ANOVA needs every wave; listwise deletion)"
)
MISSING_BETWEEN_REASON = "missing value in a between-subject factor"


def _as_names(name: str, value: str | Sequence[str] | None) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if not all(isinstance(v, str) for v in value):
        raise SpecificationError(f"{name} must be a column name or a list of column names.")
    return tuple(value)


def _levels(col: pd.Series) -> tuple[Any, ...]:
    """Levels in categorical order, else sorted (unused categories dropped)."""
    if isinstance(col.dtype, pd.CategoricalDtype):
        present = set(col.dropna().unique())
        return tuple(c for c in col.cat.categories if c in present)
    return tuple(sorted(col.dropna().unique()))


def _descriptives(
    wide: pd.DataFrame,
    subj_b: pd.DataFrame | None,
    dv: str,
    b_names: tuple[str, ...],
    b_levels: tuple[tuple[Any, ...], ...],
) -> pd.DataFrame:
    """Mean, SD and n per between cell and within cell, in level order."""
    long = wide.copy()
    cells = [" x ".join(map(str, c)) if isinstance(c, tuple) else c for c in wide.columns]
    long.columns = pd.Index(range(len(cells)))
    for b in b_names:
        long[b] = subj_b[b].to_numpy()  # type: ignore[index]
    out = long.melt(id_vars=list(b_names), var_name="cell", value_name=dv)
    for b, lv in zip(b_names, b_levels, strict=True):
        out[b] = pd.Categorical(out[b], categories=list(lv))
    desc = (
        out.groupby([*b_names, "cell"], sort=True, observed=True)[dv]
        .agg(["mean", "std", "count"])
        .rename(columns={"std": "sd", "count": "n"})
        .reset_index()
    )
    desc["cell"] = [cells[i] for i in desc["cell"]]
    for b in b_names:
        desc[b] = desc[b].astype(object)
    return desc


def rm_anova(
    data: pd.DataFrame,
    *,
    dv: str,
    subject: str,
    within: str | Sequence[str] = "wave",
    between: str | Sequence[str] | None = None,
    observed: str | Sequence[str] | None = None,
    incomplete: Literal["exclude", "raise"] = "exclude",
    missing: Literal["raise", "drop"] = "raise",
    hf_method: HFMethod = "lecoutre",
    mauchly_pvalue: MauchlyPValue = "r",
) -> RMAnovaResult:
    """Repeated-measures ANOVA with any number of between-subject factors.

    Fits the univariate split-plot ANOVA with type III sums of squares (sum-to-zero
    coding of the between factors, orthonormal contrasts of the within cells), as SPSS
    GLM Repeated Measures, ``car::Anova`` and ``afex::aov_car`` report it, for balanced
    and unbalanced designs; with Mauchly's test, Greenhouse-Geisser and Huynh-Feldt
    corrections, eta squared, partial and generalised eta squared, and the multivariate
    (MANOVA) tests of the within-subject effects.

    Parameters
    ----------
    data : DataFrame
        Long data: one row per subject and within cell (e.g. subject x wave).
    dv : str
        Numeric response column.
    subject : str
        Subject identifier column.
    within : str or list of str, default "wave"
        Within-subject factor(s). Levels follow the categorical order, else sort order.
    between : str or list of str, optional
        Between-subject factor(s), constant within subject; all combinations must have
        complete subjects. Group sizes may differ.
    observed : str or list of str, optional
        Factors that are measured rather than manipulated (for generalised eta squared,
        Olejnik & Algina, 2003; as afex's ``observed``).
    incomplete : {"exclude", "raise"}
        Subjects without a response at every within cell (a missing row or a missing
        value) cannot enter the analysis. ``"exclude"`` (default) leaves them out and
        records how many and which in ``result.exclusions``; ``"raise"`` raises DataError.
    missing : {"raise", "drop"}
        Missing values in a between factor raise DataError (default) or, with
        ``"drop"``, exclude the subject (recorded in ``result.exclusions``).
    hf_method : {"lecoutre", "huynh-feldt"}
        Huynh-Feldt epsilon: Lecoutre's (1991) correction as in car/afex/R (default), or
        the original Huynh & Feldt (1976) formula.
    mauchly_pvalue : {"r", "anderson", "chi2"}
        Approximation of Mauchly's p-value; ``"r"`` reproduces R/car/afex exactly.

    Returns
    -------
    RMAnovaResult
        ``tidy()`` (one row per effect), ``sphericity()``, ``multivariate()``,
        ``contrasts()``, ``marginal_means()``, ``summary()``, ``plot()``.

    Raises
    ------
    SchemaError
        If a named column is missing.
    SpecificationError
        If arguments overlap or an option is unknown.
    DataError
        On duplicated subject x cell rows, a between factor that varies within a subject,
        a non-numeric response, missing values (see ``missing``/``incomplete``), or a
        within factor with fewer than two levels.
    EstimationError
        If a between cell has no complete subject or there are no error degrees of
        freedom.

    Examples
    --------
    >>> res = rm_anova(df, dv="incidents", subject="family_id", within="wave",
    ...                between="group")  # doctest: +SKIP
    >>> res.tidy()[["term", "F", "p", "partial_eta2", "label"]]  # doctest: +SKIP
    """
    check_literal("incomplete", incomplete, ("exclude", "raise"))
    check_literal("missing", missing, ("raise", "drop"))
    check_literal("hf_method", hf_method, ("lecoutre", "huynh-feldt"))
    check_literal("mauchly_pvalue", mauchly_pvalue, ("r", "anderson", "chi2"))
    w_names = _as_names("within", within)
    b_names = _as_names("between", between)
    o_names = _as_names("observed", observed)
    if not w_names:
        raise SpecificationError("within must name at least one within-subject factor.")
    used = [dv, subject, *w_names, *b_names]
    if len(set(used)) != len(used):
        raise SpecificationError(f"dv, subject, within and between must be distinct; got {used}.")
    bad_obs = [o for o in o_names if o not in w_names + b_names]
    if bad_obs:
        raise SpecificationError(f"observed={bad_obs} are not within or between factors.")
    check_columns(data, used)
    check_no_missing(data, [subject, *w_names])
    if not pd.api.types.is_numeric_dtype(data[dv]) or pd.api.types.is_bool_dtype(data[dv]):
        raise DataError(f"column {dv!r} (dv) must be numeric; got dtype {data[dv].dtype}.")
    dup = data.duplicated([subject, *w_names])
    if dup.any():
        raise DataError(
            f"{int(dup.sum())} rows repeat a ({subject}, {', '.join(w_names)}) combination; "
            "give one row per subject and within cell."
        )
    exclusions = Exclusions(unit="subjects")
    subjects = pd.Index(pd.unique(data[subject]))
    # between factors: constant within subject, missing values
    if b_names:
        nunique = data.groupby(subject, sort=False)[list(b_names)].nunique(dropna=False)
        varying = [b for b in b_names if (nunique[b] > 1).any()]
        if varying:
            raise DataError(f"between factor(s) {varying} vary within subjects of {subject!r}.")
        subj_b = data.drop_duplicates(subject).set_index(subject)[list(b_names)]
        miss = subj_b.isna().any(axis=1)
        if miss.any():
            if missing == "raise":
                check_no_missing(data, list(b_names))
            exclusions = exclusions.add(MISSING_BETWEEN_REASON, subj_b.index[miss])
            subjects = subjects[~subjects.isin(subj_b.index[miss])]
    # completeness over within cells
    w_levels = tuple(_levels(data[w]) for w in w_names)
    for w, lv in zip(w_names, w_levels, strict=True):
        if len(lv) < 2:
            raise DataError(f"within factor {w!r} needs at least two levels; got {list(lv)}.")
    cells = pd.MultiIndex.from_product(w_levels, names=list(w_names))
    rows = data[data[subject].isin(subjects)]
    wide = rows.set_index([subject, *w_names])[dv].unstack(list(w_names))
    wide = wide.reindex(index=subjects, columns=cells if len(w_names) > 1 else cells.levels[0])
    incomplete_mask = wide.isna().any(axis=1).to_numpy()
    if incomplete_mask.any():
        if incomplete == "raise":
            raise DataError(
                f"{int(incomplete_mask.sum())} subjects lack a response at some within cell; "
                "pass incomplete='exclude' to analyse complete subjects only."
            )
        exclusions = exclusions.add(INCOMPLETE_REASON, wide.index[incomplete_mask])
    wide = wide[~incomplete_mask]
    Y = wide.to_numpy(dtype=float)
    if not np.isfinite(Y).all():
        raise DataError(f"column {dv!r} (dv) has infinite values.")
    if Y.shape[0] == 0:
        raise EstimationError("no subject has a response at every within cell.")
    # between design
    if b_names:
        subj_b = data.drop_duplicates(subject).set_index(subject).loc[wide.index, list(b_names)]
        b_levels = tuple(_levels(subj_b[b]) for b in b_names)
        for b, lv in zip(b_names, b_levels, strict=True):
            if len(lv) < 2:
                raise EstimationError(
                    f"between factor {b!r} has fewer than two levels among complete "
                    f"subjects: {list(lv)}."
                )
        # positions in the level tuples; ``pd.Categorical(values, categories=...)`` would
        # recode a categorical column with unused categories (deprecated in pandas)
        codes = np.column_stack(
            [pd.Index(list(lv)).get_indexer(subj_b[b].to_numpy(dtype=object))
             for b, lv in zip(b_names, b_levels, strict=True)]
        ).astype(int)
    else:
        b_levels = ()
        codes = np.zeros((Y.shape[0], 0), dtype=int)
    n_levels = tuple(len(lv) for lv in b_levels)
    counts = np.zeros(n_levels, dtype=int) if b_names else np.array([Y.shape[0]])
    if b_names:
        np.add.at(counts, tuple(codes.T), 1)
        if (counts == 0).any():
            empty = [tuple(lv[i] for lv, i in zip(b_levels, idx, strict=True))
                     for idx in zip(*np.nonzero(counts == 0), strict=True)]
            raise EstimationError(
                f"between cell(s) {empty} of {list(b_names)} have no complete subject; "
                "type III tests need every combination."
            )
    design = between_design(codes, b_names, n_levels)
    fit = fit_rm_anova(Y, design, w_names, tuple(len(lv) for lv in w_levels),
                       observed=o_names, hf_method=hf_method, mauchly_pvalue=mauchly_pvalue)
    desc = _descriptives(wide, subj_b if b_names else None, dv, b_names, b_levels)
    return RMAnovaResult(
        fit=fit,
        design=design,
        dv=dv,
        subject=subject,
        within=w_names,
        between=b_names,
        observed=o_names,
        within_levels=w_levels,
        between_levels=b_levels,
        n_subjects=int(Y.shape[0]),
        descriptives=desc,
        exclusions=exclusions,
        options={"hf_method": hf_method, "mauchly_pvalue": mauchly_pvalue,
                 "incomplete": incomplete, "missing": missing},
    )
