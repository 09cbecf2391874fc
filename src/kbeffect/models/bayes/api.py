"""``kbeffect.bayes``: fit a Bayesian longitudinal model by sampling."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Literal

import pandas as pd

from kbeffect._validation import check_literal, check_positive_int, check_probability

from ._deps import import_arviz, import_pymc
from .build import build_model
from .families import FAMILIES, FamilyName
from .priors import Prior, ResolvedPriors, resolve_priors
from .result import BayesResult, FitSettings, _int_seed
from .sample import CompiledModel, Sampler, compile_model, diagnose, draw_samples, set_data
from .sample import warn_if_problems as _warn
from .spec import BayesSpec, build_spec

__all__ = ["bayes", "fit_spec", "refit_spec"]


def bayes(
    formula: str,
    data: pd.DataFrame,
    *,
    groups: str | Sequence[str] | None = None,
    family: FamilyName = "gaussian",
    exposure: str | None = None,
    weights: str | None = None,
    random_slope: str | None = None,
    priors: Mapping[str, Prior] | None = None,
    draws: int = 1000,
    tune: int = 1000,
    chains: int = 4,
    seed: int | None = None,
    target_accept: float = 0.8,
    sampler: Sampler = "nutpie",
    cores: int | None = None,
    level: float = 0.95,
    missing: Literal["raise", "drop"] = "raise",
    categories: Sequence[object] | None = None,
) -> BayesResult:
    """Fit a Bayesian (generalised) linear mixed model by MCMC.

    The model is ``g(E[y]) = X b + u_family + u_child + u_slope * slope + log(exposure)``
    with non-centred normal random effects and the documented weakly informative priors
    (:mod:`kbeffect.models.bayes.priors`). The same formula and families as the
    maximum-likelihood :func:`kbeffect.mixed` fit, so the two compare side by side.

    Parameters
    ----------
    formula : str
        Fixed effects, e.g. ``"pv_phys_minor ~ kb * C(wave) + help_ggz * C(wave)"``.
    data : DataFrame
        Long data, one row per subject x wave.
    groups : str or sequence of str, optional
        Family column, optionally followed by the child column: random intercepts for
        families and for children within families.
    family : {"gaussian", "poisson", "negbin", "zinb", "hurdle_negbin", "ordinal", "bernoulli"}
        Outcome family (see :mod:`kbeffect.models.bayes.families`).
    exposure : str, optional
        Column with the reference period (years) of count outcomes; enters as
        ``log(exposure)`` offset (T2 counts cover half a year).
    weights : str, optional
        Family-level weights (matching or IPW weights); the likelihood of each row is
        raised to its weight (a weighted pseudo-posterior: its intervals do not account
        for the estimation of the weights).
    random_slope : str, optional
        Numeric column (e.g. ``"wave"``) with a family-level random slope.
    priors : dict of str to Prior, optional
        Overrides of the default priors, e.g. ``{"b": Prior.normal(0, 1)}``.
    draws, tune, chains : int
        Post-warm-up draws per chain, warm-up iterations, chains.
    seed : int, optional
        Seed of the sampler.
    target_accept : float
        NUTS target acceptance rate (raise to 0.9-0.99 against divergences).
    sampler : {"nutpie", "pymc"}
        nutpie (default; compiles once, reusable by :meth:`BayesResult.refit`) or PyMC's
        NUTS. nutpie falls back to PyMC when it is not installed or cannot compile.
    cores : int, optional
        Chains run in parallel (default: all available up to ``chains``).
    level : float
        Credible level of the intervals in ``tidy()``.
    missing : {"raise", "drop"}
        Rows with missing values in used columns raise, or are excluded and counted.
    categories : sequence, optional
        Ordered categories of an ``ordinal`` response.

    Returns
    -------
    BayesResult

    Raises
    ------
    DependencyError
        If PyMC or ArviZ is not installed (``pip install 'kbeffect[bayes]'``).
    SpecificationError, DataError, SchemaError
        On invalid arguments or data.

    Warns
    -----
    ConvergenceWarning
        When R-hat, ESS, divergences or tree depth indicate an unreliable fit.
    """
    import_pymc()
    import_arviz()
    check_literal("family", family, tuple(FAMILIES))
    check_literal("sampler", sampler, ("nutpie", "pymc"))
    settings = FitSettings(
        draws=check_positive_int("draws", draws), tune=check_positive_int("tune", tune),
        chains=check_positive_int("chains", chains), seed=_int_seed(seed),
        target_accept=check_probability("target_accept", target_accept),
        cores=None if cores is None else check_positive_int("cores", cores),
        sampler=sampler, level=check_probability("level", level),
    )
    spec = build_spec(
        formula, data, family=family, groups=groups, exposure=exposure, weights=weights,
        random_slope=random_slope, missing=missing, categories=categories,
    )
    resolved = resolve_priors(
        family=family, columns=spec.columns, X=spec.X, y=spec.y, offset=spec.offset,
        params=spec.params(), slope=spec.slope, overrides=priors,
    )
    return fit_spec(spec, resolved, data, settings=settings)


def refit_spec(old: BayesSpec, data: pd.DataFrame) -> BayesSpec:
    """Build the spec of ``old``'s model on new data (same formula and options).

    When every family (and child) of the new data is one of the old fit's, the old
    random-effect levels are kept, so that a compiled model can be reused after attrition
    or with a subset of families; otherwise the levels come from the new data.
    """
    kw = {
        "family": old.family, "groups": old.groups or None, "exposure": old.exposure,
        "weights": old.weights_column, "random_slope": old.random_slope,
        "missing": "drop" if old.missing == "drop" else "raise",
        "categories": old.categories or None,
    }
    new = build_spec(old.formula, data, **kw)  # type: ignore[arg-type]
    if not old.groups:
        return new
    fam_ok = set(new.family_levels.tolist()) <= set(old.family_levels.tolist())
    child_ok = set(new.child_levels) <= set(old.child_levels)
    if fam_ok and child_ok and new.shape_key() != old.shape_key():
        return build_spec(old.formula, data, levels=(old.family_levels.tolist(),
                                                     list(old.child_levels)), **kw)  # type: ignore[arg-type]
    return new


def fit_spec(
    spec: BayesSpec,
    priors: ResolvedPriors,
    data: pd.DataFrame,
    *,
    settings: FitSettings,
    compiled: CompiledModel | None = None,
) -> BayesResult:
    """Sample the model of ``spec``; reuse ``compiled`` when the structure matches.

    Parameters
    ----------
    spec : BayesSpec
        Model and data.
    priors : ResolvedPriors
        Priors.
    data : DataFrame
        The frame ``spec`` was built from (kept for the estimands).
    settings : FitSettings
        Sampler settings.
    compiled : CompiledModel, optional
        A model compiled for an earlier fit.

    Returns
    -------
    BayesResult
    """
    reused = compiled is not None and compiled.shape_key == spec.shape_key()
    if reused and compiled is not None:
        cm = set_data(compiled, spec.data_arrays())
    else:
        model = build_model(spec, priors)
        cm = compile_model(model, sampler=settings.sampler, shape_key=spec.shape_key())  # type: ignore[arg-type]
    cores = settings.cores or min(settings.chains, os.cpu_count() or 1)
    idata, seconds = draw_samples(
        cm, draws=settings.draws, tune=settings.tune, chains=settings.chains,
        seed=settings.seed, target_accept=settings.target_accept, cores=cores,
    )
    reported = ["b", *spec.params()]
    reported = [v for v in reported if v in idata.posterior]
    diag = diagnose(idata, reported)
    _warn(diag, stacklevel=4)
    timings = {"compile_s": 0.0 if reused else cm.compile_seconds, "sample_s": seconds,
               "reused": reused}
    return BayesResult(
        idata=idata, spec=spec, priors=priors, diagnostics=diag, settings=settings,
        timings=timings, compiled=cm, _frame=data.iloc[spec.rows],
    )
