"""Effect-size labels with the report's thresholds (Table 2.2) and conversions.

Table 2.2 of the report (Cohen, 1988, partly after Miles & Shevlin, 2001):

==============================  =====  ======  =====
measure                         small  medium  large
==============================  =====  ======  =====
r, phi (signed; abs. value)      0.10    0.30   0.50
Cohen's d (abs. value)           0.20    0.50   0.80
eta squared, between groups      0.01    0.06   0.14
eta squared, repeated measures   0.02    0.13   0.26
==============================  =====  ======  =====

A value reaching a threshold (``>=``) gets that label; below "small" is
``"negligible"``. The report's "eta squared" in its repeated-measures analyses is
probably SPSS's *partial* eta squared (SPSS GLM prints no other); kbeffect therefore
labels the partial eta squared of a within-subject effect (time, group x time) with the
``"eta2_rm"`` row and of a between-subject effect with the ``"eta2"`` row, and keeps
classical and generalised eta squared on the result for comparison.

Two reporting rules appear in the report, available through :func:`is_reportable`:

``"report"`` (section 2.6)
    An effect is reported only if it is significant and reaches "small".
``"ch8"`` (chapter 8)
    Only significant effects with eta squared *strictly above* 0.02 are shown (for any
    eta-squared measure); for r and d the section 2.6 rule applies.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import ArrayLike

from kbeffect._validation import check_literal
from kbeffect.errors import SpecificationError

__all__ = [
    "THRESHOLDS",
    "EffectMeasure",
    "LabelRule",
    "convert_effect_size",
    "effect_size_label",
    "is_reportable",
]

EffectMeasure = Literal["r", "phi", "d", "eta2", "eta2_rm"]
LabelRule = Literal["report", "ch8"]
ConvertMeasure = Literal["d", "r", "eta2", "partial_eta2", "f", "f2", "F"]

#: Table 2.2 thresholds (small, medium, large) per measure.
THRESHOLDS: dict[str, tuple[float, float, float]] = {
    "r": (0.1, 0.3, 0.5),
    "phi": (0.1, 0.3, 0.5),
    "d": (0.2, 0.5, 0.8),
    "eta2": (0.01, 0.06, 0.14),
    "eta2_rm": (0.02, 0.13, 0.26),
}
_LABELS = np.array(["negligible", "small", "medium", "large"], dtype=object)


def effect_size_label(value: ArrayLike, measure: EffectMeasure) -> np.ndarray | str:
    """Label effect sizes "negligible", "small", "medium" or "large" (Table 2.2).

    Parameters
    ----------
    value : float or array_like
        Effect sizes. For ``"r"``, ``"phi"`` and ``"d"`` the absolute value is labelled.
        NaN gives ``""``.
    measure : {"r", "phi", "d", "eta2", "eta2_rm"}
        Which row of Table 2.2 applies: ``"eta2"`` for differences between groups,
        ``"eta2_rm"`` for repeated-measures (within-subject) effects.

    Returns
    -------
    str or ndarray of str
        A string for scalar input, else an object array of the input's shape.

    Examples
    --------
    >>> effect_size_label(0.22, "eta2_rm")
    'medium'
    >>> effect_size_label(0.22, "eta2")
    'large'
    """
    check_literal("measure", measure, THRESHOLDS)
    v = np.asarray(value, dtype=float)
    a = np.abs(v) if measure in ("r", "phi", "d") else v
    idx = np.searchsorted(np.array(THRESHOLDS[measure]), np.nan_to_num(a, nan=-1.0), "right")
    out = _LABELS[idx]
    out = np.where(np.isnan(v), "", out).astype(object)
    return str(out) if v.ndim == 0 else out


def is_reportable(
    value: ArrayLike,
    pvalue: ArrayLike,
    measure: EffectMeasure,
    *,
    rule: LabelRule = "report",
    alpha: float = 0.05,
) -> np.ndarray | bool:
    """Whether the report would show an effect (significant and large enough).

    Parameters
    ----------
    value : float or array_like
        Effect sizes.
    pvalue : float or array_like
        P-values of the same effects.
    measure : {"r", "phi", "d", "eta2", "eta2_rm"}
        Row of Table 2.2.
    rule : {"report", "ch8"}
        ``"report"``: significant and at least "small" (section 2.6). ``"ch8"``:
        significant and, for eta squared, strictly above 0.02.
    alpha : float
        Significance level.

    Returns
    -------
    bool or ndarray of bool
    """
    check_literal("measure", measure, THRESHOLDS)
    check_literal("rule", rule, ("report", "ch8"))
    v = np.asarray(value, dtype=float)
    p = np.asarray(pvalue, dtype=float)
    a = np.abs(v) if measure in ("r", "phi", "d") else v
    if rule == "ch8" and measure in ("eta2", "eta2_rm"):
        big = a > 0.02
    else:
        big = a >= THRESHOLDS[measure][0]
    out = big & (p < alpha)
    return bool(out) if out.ndim == 0 else out


def convert_effect_size(
    value: ArrayLike,
    *,
    from_: ConvertMeasure,
    to: ConvertMeasure,
    n1: int | None = None,
    n2: int | None = None,
    df1: float | None = None,
    df2: float | None = None,
) -> np.ndarray | float:
    """Convert between d, r, eta squared, partial eta squared, Cohen's f, f squared and F.

    Conversions go through the correlation ``r`` (for d: the point-biserial r):

    * ``r = d / sqrt(d^2 + a)`` and ``d = sqrt(a) r / sqrt(1 - r^2)`` with
      ``a = (N^2 - 2N) / (n1 n2)``, ``N = n1 + n2`` (McGrath & Meyer, 2006: exact
      between the sample d with pooled SD and the sample point-biserial r), or
      ``a = 4`` (equal groups, large samples; Cohen, 1988) when ``n1, n2`` are not given;
    * ``eta2 = partial_eta2 = r^2`` for a one-degree-of-freedom effect (two groups);
    * ``f = sqrt(eta2 / (1 - eta2))``, ``f2 = f^2``;
    * ``partial_eta2 = F df1 / (F df1 + df2)`` (needs ``df1`` and ``df2``).

    Eta squared and partial eta squared coincide only in one-way designs; converting
    directly between them needs the sums of squares and is refused.

    Parameters
    ----------
    value : float or array_like
        Values to convert.
    from_, to : {"d", "r", "eta2", "partial_eta2", "f", "f2", "F"}
        Source and target measures. Signs of d and r are kept between d and r; squared
        measures are non-negative.
    n1, n2 : int, optional
        Group sizes for d <-> r.
    df1, df2 : float, optional
        Degrees of freedom of the F test, required when ``from_`` or ``to`` is ``"F"``.

    Returns
    -------
    float or ndarray

    Examples
    --------
    >>> round(convert_effect_size(0.5, from_="d", to="r"), 6)
    0.242536
    >>> round(convert_effect_size(4.0, from_="F", to="partial_eta2", df1=1, df2=36), 6)
    0.1
    """
    allowed = ("d", "r", "eta2", "partial_eta2", "f", "f2", "F")
    check_literal("from_", from_, allowed)
    check_literal("to", to, allowed)
    if {from_, to} == {"eta2", "partial_eta2"}:
        raise SpecificationError(
            "eta2 and partial_eta2 differ unless the design is one-way; compute one from "
            "the sums of squares (eta2 = SS_effect / SS_total, partial = SS_effect / "
            "(SS_effect + SS_error))."
        )
    if "F" in (from_, to) and (df1 is None or df2 is None):
        raise SpecificationError("df1 and df2 are required to convert from or to 'F'.")
    if (n1 is None) != (n2 is None):
        raise SpecificationError("give both n1 and n2, or neither.")
    a = 4.0 if n1 is None or n2 is None else ((n1 + n2) ** 2 - 2 * (n1 + n2)) / (n1 * n2)
    v = np.asarray(value, dtype=float)
    if from_ in ("eta2", "partial_eta2", "f", "f2", "F") and np.any(v < 0):
        raise SpecificationError(f"{from_!r} values must be non-negative; got {value!r}.")
    if from_ == "d":
        r = v / np.sqrt(v**2 + a)
    elif from_ == "r":
        r = v
    elif from_ in ("eta2", "partial_eta2"):
        r = np.sqrt(v)
    elif from_ == "f":
        r = v / np.sqrt(1 + v**2)
    elif from_ == "f2":
        r = np.sqrt(v / (1 + v))
    else:
        pes = v * df1 / (v * df1 + df2)  # type: ignore[operator]
        r = np.sqrt(pes)
    if np.any(np.abs(r) > 1):
        raise SpecificationError(f"value out of range for {from_!r}.")
    if to == "d":
        out = np.sqrt(a) * r / np.sqrt(1 - r**2)
    elif to == "r":
        out = r
    elif to in ("eta2", "partial_eta2"):
        out = r**2
    elif to == "f":
        out = np.abs(r) / np.sqrt(1 - r**2)
    elif to == "f2":
        out = r**2 / (1 - r**2)
    else:
        out = r**2 * df2 / ((1 - r**2) * df1)  # type: ignore[operator]
    return float(out) if out.ndim == 0 else out
