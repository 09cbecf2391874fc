"""``match()``: MatchIt-style matching of families on a propensity score or covariates."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd

from kbeffect._validation import as_generator, check_literal, check_positive_int
from kbeffect.design._inputs import Covariates, Missing, prepare_inputs
from kbeffect.design.matching._helpers import (
    check_cutpoints,
    discard_mask,
    exact_strata,
    full_sets,
    optimal_points,
)
from kbeffect.design.matching.cem import cem_subclasses
from kbeffect.design.matching.nearest import (
    focal_order,
    nearest_match,
    nearest_match_matrix,
    nearest_match_points,
)
from kbeffect.design.matching.optimal import optimal_match, optimal_match_matrix
from kbeffect.design.matching.result import MatchResult
from kbeffect.design.matching.subclass import ps_subclasses, subclass_weights
from kbeffect.design.matching.weights import (
    mahalanobis_points,
    match_matrix_weights,
    pair_subclasses,
)
from kbeffect.design.propensity import LINKS, PS_METHODS, PropensityModel, fit_propensity
from kbeffect.errors import EstimationError, SpecificationError

__all__ = ["METHODS", "match"]

METHODS: tuple[str, ...] = ("nearest", "optimal", "full", "cem", "exact", "subclass")
Method = Literal["nearest", "optimal", "full", "cem", "exact", "subclass"]
Estimand = Literal["ATT", "ATC", "ATE"]
MOrder = Literal["largest", "smallest", "random", "data"]
Discard = Literal["none", "treated", "control", "both"]
_METRICS = ("mahalanobis", "euclidean")
_ESTIMANDS = {
    "nearest": ("ATT", "ATC"),
    "optimal": ("ATT", "ATC"),
    "full": ("ATT", "ATC", "ATE"),
    "cem": ("ATT", "ATC", "ATE"),
    "exact": ("ATT", "ATC", "ATE"),
    "subclass": ("ATT", "ATC", "ATE"),
}


def match(
    data: pd.DataFrame,
    *,
    treatment: str,
    covariates: Covariates,
    method: Method = "nearest",
    distance: Any = "glm",
    link: str = "logit",
    estimand: Estimand = "ATT",
    ratio: int = 1,
    replace: bool = False,
    caliper: float | None = None,
    std_caliper: bool = True,
    m_order: MOrder | None = None,
    exact: Sequence[str] | None = None,
    discard: Discard = "none",
    subclass: int = 6,
    cutpoints: Mapping[str, int | Sequence[float]] | None = None,
    missing: Missing = "raise",
    seed: int | np.random.Generator | None = None,
) -> MatchResult:
    """Match treated and control families (MatchIt's ``matchit()`` in Python).

    Parameters
    ----------
    data : DataFrame
        One row per family (the unit of treatment).
    treatment : str
        Binary treatment column (bool or 0/1).
    covariates : str or list of str
        One-sided formula or column names for the propensity model (or the Mahalanobis /
        CEM variables). Categorical columns are dummy coded.
    method : {"nearest", "optimal", "full", "cem", "exact", "subclass"}
        Greedy nearest neighbour, optimal pair (assignment problem), optimal full
        matching (minimum-cost edge cover), coarsened exact, exact, or subclassification
        on the distance.
    distance : str, array, sklearn classifier
        ``"glm"`` (logit/probit via ``link``), ``"lasso"``, ``"ridge"``, ``"elasticnet"``,
        an unfitted scikit-learn classifier, ``"mahalanobis"`` or ``"euclidean"`` (on the
        covariates), the name of a column holding a distance, an array of shape (n,), or
        a distance matrix of shape (n_focal, n_other) (rows in data order).
    link : {"logit", "probit", "linear_logit", "linear_probit"}
        ``linear_*`` matches on the linear predictor instead of the probability.
    estimand : {"ATT", "ATC", "ATE"}
        ATT matches controls to treated families; ATC the reverse; ATE only for
        subclass-type methods.
    ratio : int
        Controls per focal unit (k:1).
    replace : bool
        Match with replacement (nearest only).
    caliper : float, optional
        Largest allowed distance difference; in SDs of the distance (over non-discarded
        units) when ``std_caliper`` is true, else in distance units.
    std_caliper : bool
    m_order : {"largest", "smallest", "random", "data"}, optional
        Matching order of the focal units; default "largest" ("smallest" for the ATC) on
        a propensity score and "data" for covariate distances.
    exact : list of str, optional
        Variables on which matches must agree exactly.
    discard : {"none", "treated", "control", "both"}
        Drop units outside the other group's distance range before matching.
    subclass : int
        Number of subclasses (method="subclass").
    cutpoints : mapping, optional
        CEM bins per numeric variable (number of bins or cut points); default Sturges.
    missing : {"raise", "drop"}
        Missing values raise (default) or are excluded and counted on the result.
    seed : int, Generator or None
        For ``m_order="random"``, cross-validated propensity models and a classifier's
        unset ``random_state``.

    Returns
    -------
    MatchResult
    """
    check_literal("method", method, METHODS)
    check_literal("estimand", estimand, _ESTIMANDS[method])
    check_literal("discard", discard, ("none", "treated", "control", "both"))
    ratio = check_positive_int("ratio", ratio)
    if m_order is not None:
        check_literal("m_order", m_order, ("largest", "smallest", "random", "data"))
    if not isinstance(replace, bool):
        raise SpecificationError(f"replace must be True or False; got {replace!r}.")
    if caliper is not None:
        try:
            caliper = float(caliper)
        except (TypeError, ValueError):
            msg = f"caliper must be a positive number; got {caliper!r}."
            raise SpecificationError(msg) from None
        if not caliper > 0:
            raise SpecificationError(f"caliper must be a positive number; got {caliper!r}.")
    if replace and method != "nearest":
        raise SpecificationError("replace=True is only available with method='nearest'.")
    if caliper is not None and method not in ("nearest", "full"):
        raise SpecificationError(
            f"caliper is not available with method={method!r} (as in MatchIt); use "
            "method='nearest' or discard=."
        )
    rng = as_generator(seed)
    exact = list(exact or [])
    inputs = prepare_inputs(
        data, treatment=treatment, covariates=covariates, missing=missing, extra=exact
    )
    n = len(inputs.treat)
    t = inputs.treat.astype(np.int64)
    focal_val = 0 if estimand == "ATC" else 1
    focal_mask = t == focal_val

    # ---- distance -------------------------------------------------------------------
    ps_model: PropensityModel | None = None
    dist: np.ndarray | None = None
    dmat: np.ndarray | None = None
    points: np.ndarray | None = None
    kind: str
    if isinstance(distance, str) and distance in PS_METHODS:
        check_literal("link", link, LINKS)
        if method in ("cem", "exact"):
            kind = "none"
        else:
            ps_model = fit_propensity(inputs, method=distance, link=link, seed=rng)
            dist = ps_model.distance()
            kind = f"{distance} ({link})"
    elif isinstance(distance, str) and distance in _METRICS:
        if method in ("subclass",):
            raise SpecificationError("method='subclass' needs a propensity score distance.")
        kind = distance
        points = inputs.X.astype(float)
    elif isinstance(distance, str):
        if distance not in data.columns:
            raise SpecificationError(
                f"distance={distance!r} is neither a method ({', '.join(PS_METHODS)}, "
                f"{', '.join(_METRICS)}) nor a column of data."
            )
        dist = data[distance].to_numpy(dtype=float)[inputs.rows]
        kind = f"user ({distance})"
    elif isinstance(distance, np.ndarray | list | pd.Series):
        arr = np.asarray(distance, dtype=float)
        if arr.ndim == 1:
            if arr.shape[0] != inputs.n_input:
                raise SpecificationError(
                    f"a distance vector needs one value per row of data ({inputs.n_input})."
                )
            dist = arr[inputs.rows]
            kind = "user"
        elif arr.ndim == 2:
            n_f, n_o = int(focal_mask.sum()), int((~focal_mask).sum())
            if arr.shape != (n_f, n_o):
                raise SpecificationError(
                    f"a distance matrix must have shape (n_focal, n_other) = ({n_f}, {n_o}) "
                    f"in data order; got {arr.shape}."
                )
            dmat = arr
            kind = "user matrix"
        else:
            raise SpecificationError("distance arrays must be 1- or 2-dimensional.")
        if not np.all(np.isfinite(arr) | (arr == np.inf)):
            raise SpecificationError("distance has missing values.")
    else:
        ps_model = fit_propensity(inputs, method=distance, link=link, seed=rng)
        dist = ps_model.distance()
        kind = f"classifier {type(distance).__name__}"

    if dist is not None and not np.all(np.isfinite(dist)):
        raise SpecificationError("the distance has missing or infinite values.")
    if discard != "none" and dist is None:
        raise SpecificationError("discard needs a scalar distance (a propensity score).")
    discarded = discard_mask(dist, t, discard) if dist is not None else np.zeros(n, bool)
    eligible = ~discarded
    cal_abs: float | None = None
    if caliper is not None:
        if dist is None and dmat is None:
            raise SpecificationError(
                "caliper needs a scalar distance or a distance matrix (not Mahalanobis here)."
            )
        if std_caliper:
            if dist is None:
                raise SpecificationError("with a distance matrix set std_caliper=False.")
            cal_abs = float(caliper) * float(np.std(dist[eligible], ddof=1))
        else:
            cal_abs = float(caliper)
    order = m_order or (
        ("smallest" if estimand == "ATC" else "largest") if dist is not None else "data"
    )
    if order in ("largest", "smallest") and dist is None:
        raise SpecificationError(f"m_order={order!r} needs a scalar distance.")
    strata = exact_strata(inputs.data[exact]) if exact else None

    # ---- matching ---------------------------------------------------------------------
    mm = np.empty((0, 0), dtype=np.int64)
    focal = np.flatnonzero(focal_mask & eligible)
    if method in ("nearest", "optimal"):
        if dmat is not None:
            if strata is not None:
                raise SpecificationError("exact is not available with a distance matrix.")
            other = np.flatnonzero(~focal_mask)
            focal = np.flatnonzero(focal_mask)
            if method == "optimal":
                fit = optimal_match_matrix(dmat, focal, other, ratio=ratio)
            else:
                o = focal_order(None, focal, order, rng)
                fit = nearest_match_matrix(
                    dmat, focal, other, ratio=ratio, replace=replace, caliper=cal_abs, order_idx=o
                )
        elif points is not None:
            pts = mahalanobis_points(points, t, eligible) if kind == "mahalanobis" else points
            if method == "optimal":
                fit = optimal_points(pts, focal_mask, ratio, strata, eligible)
            else:
                fit = nearest_match_points(
                    pts, focal_mask, ratio=ratio, replace=replace, order=order,
                    strata=strata, eligible=eligible, rng=rng,
                )
        else:
            if dist is None:  # pragma: no cover - every other distance kind is handled above
                raise SpecificationError("no distance for matching.")
            if method == "optimal":
                fit = optimal_match(dist, focal_mask, ratio=ratio, strata=strata, eligible=eligible)
            else:
                fit = nearest_match(
                    dist, focal_mask, ratio=ratio, replace=replace, caliper=cal_abs,
                    order=order, strata=strata, eligible=eligible, rng=rng,
                )
        focal, mm = fit.focal, fit.match_matrix
        w = match_matrix_weights(mm, focal, n)
        sub = pair_subclasses(mm, focal, n) if not replace else np.full(n, -1, dtype=np.int64)
    elif method == "full":
        sub = full_sets(dist, dmat, points, kind, t, focal_mask, strata, eligible, cal_abs)
        w = subclass_weights(sub, t, estimand)
        sub = np.where(w > 0, sub, -1)
        mm = np.empty((len(focal), 0), dtype=np.int64)
    else:
        if method == "subclass":
            if dist is None:
                raise SpecificationError("method='subclass' needs a scalar distance.")
            sub = ps_subclasses(
                dist, t, n_subclass=check_positive_int("subclass", subclass, minimum=2),
                estimand=estimand, eligible=eligible,
            )
        else:
            cols = list(dict.fromkeys([*inputs.variables, *exact]))
            if method == "cem":
                cuts = check_cutpoints(cutpoints, cols) if cutpoints is not None else None
            else:
                cuts = dict.fromkeys(cols, 0)
            sub = cem_subclasses(inputs.data[cols], t, cutpoints=cuts, eligible=eligible)
        w = subclass_weights(sub, t, estimand)
        sub = np.where(w > 0, sub, -1)
        mm = np.empty((len(focal), 0), dtype=np.int64)
    if not (w[t == 1] > 0).any() or not (w[t == 0] > 0).any():
        raise EstimationError(
            "no units were matched; relax the caliper or exact variables, or coarsen further."
        )

    # ---- back to input rows -------------------------------------------------------------
    N, rows = inputs.n_input, inputs.rows

    def _full(x: np.ndarray, fill: Any) -> np.ndarray:
        out = np.full(N, fill, dtype=np.result_type(x, type(fill)))
        out[rows] = x
        return out

    def _pos(a: np.ndarray) -> np.ndarray:
        return np.where(a >= 0, rows[np.clip(a, 0, None)], -1)

    info = {
        "ratio": ratio if method in ("nearest", "optimal") else None,
        "replace": replace if method == "nearest" else None,
        "caliper": cal_abs,
        "m_order": order if method == "nearest" else None,
        "exact": exact or None,
        "discard": discard,
        "subclasses": int(sub.max() + 1) if method == "subclass" else None,
    }
    return MatchResult(
        method=method,
        estimand=estimand,
        distance_kind=kind,
        weights=_full(w, 0.0),
        subclass=_full(sub, -1),
        distance=_full(dist if dist is not None else np.full(n, np.nan), np.nan),
        discarded=_full(discarded, False),
        treat=_full(t, -1),
        focal=rows[focal],
        match_matrix=_pos(mm),
        propensity=ps_model,
        info=info,
        exclusions=inputs.exclusions,
        data=data,
        inputs=inputs,
    )
