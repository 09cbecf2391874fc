"""Compiling and sampling: nutpie by default, PyMC's NUTS as fallback; diagnostics.

nutpie compiles the PyMC log density once (through numba) and samples with a Rust NUTS
implementation; :func:`set_data` swaps the data of a compiled model without compiling
again (``CompiledPyMCModel.with_data``), which is what makes simulation studies and
refits cheap. The fallback (PyMC's own NUTS, used when nutpie is not installed or cannot
compile the model) recompiles inside every ``pm.sample`` call.

After every fit :func:`diagnose` checks R-hat, bulk and tail ESS, divergences and tree
depth, and :func:`warn_if_problems` emits one :class:`~kbeffect.errors.ConvergenceWarning`
that names each problem and what to try.
"""

from __future__ import annotations

import dataclasses
import time
import warnings
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from kbeffect.errors import ConvergenceWarning, KbEffectWarning

from ._deps import has_nutpie, import_arviz, import_nutpie, import_pymc

__all__ = [
    "R_HAT_MAX",
    "CompiledModel",
    "Diagnostics",
    "Sampler",
    "compile_model",
    "diagnose",
    "draw_samples",
    "set_data",
    "warn_if_problems",
]

Sampler = Literal["nutpie", "pymc"]

#: R-hat above this flags non-convergence (Vehtari et al. 2021).
R_HAT_MAX = 1.01
#: Bulk and tail ESS below this many draws per chain flag imprecise summaries.
ESS_PER_CHAIN_MIN = 100


@dataclass(frozen=True)
class CompiledModel:
    """A PyMC model ready to sample, with the compiled nutpie model when available.

    Attributes
    ----------
    model : pymc.Model
        The PyMC model (data containers hold the data last set).
    sampler : {"nutpie", "pymc"}
        The sampler actually used.
    compiled : object or None
        nutpie's ``CompiledPyMCModel`` (None for the PyMC sampler).
    compile_seconds : float
        Wall time of the compilation.
    shape_key : tuple
        Structure that new data must share to reuse this compiled model.
    """

    model: Any
    sampler: str
    compiled: Any
    compile_seconds: float
    shape_key: tuple[object, ...]


def compile_model(model: Any, *, sampler: Sampler, shape_key: tuple[object, ...]) -> CompiledModel:
    """Compile ``model`` for ``sampler`` (falling back to PyMC's NUTS if nutpie fails)."""
    if sampler == "nutpie" and has_nutpie():
        nutpie = import_nutpie()
        t0 = time.perf_counter()
        try:
            with warnings.catch_warnings(), _reproducible_numba():
                warnings.simplefilter("ignore", FutureWarning)
                compiled = nutpie.compile_pymc_model(model)
        except Exception as exc:  # nutpie/numba raise many types; report and fall back
            warnings.warn(
                f"nutpie could not compile the model ({type(exc).__name__}: {exc}); "
                "falling back to PyMC's NUTS sampler, which recompiles at every fit.",
                KbEffectWarning,
                stacklevel=3,
            )
        else:
            return CompiledModel(model, "nutpie", compiled, time.perf_counter() - t0, shape_key)
    return CompiledModel(model, "pymc", None, 0.0, shape_key)


def _reproducible_numba() -> Any:
    """Context in which PyTensor generates numba code without ``fastmath``.

    With ``fastmath`` (PyTensor's default) LLVM may reassociate floating-point sums, and
    it does so differently when a log density is compiled from scratch and when its
    parts are loaded from PyTensor's on-disk numba cache: the log density then differs
    in the last bit between the first process that compiles a model and later ones, and
    the NUTS trajectories, hence the draws for the same seed, drift apart. Strict IEEE
    arithmetic makes fresh and cached code agree, so a seed gives the same draws in
    every process.
    """
    import pytensor

    return pytensor.config.change_flags(numba__fastmath=False)


def set_data(cm: CompiledModel, arrays: dict[str, np.ndarray]) -> CompiledModel:
    """Return ``cm`` with new data in its containers, without recompiling (nutpie).

    The PyMC model's containers are updated too, so predictive checks see the new data.
    """
    pm = import_pymc()
    with cm.model:
        pm.set_data(arrays)
    if cm.sampler == "nutpie":
        return dataclasses.replace(cm, compiled=cm.compiled.with_data(**arrays))
    return cm


def draw_samples(
    cm: CompiledModel,
    *,
    draws: int,
    tune: int,
    chains: int,
    seed: int,
    target_accept: float,
    cores: int | None,
) -> tuple[Any, float]:
    """Sample the posterior; return ``(InferenceData, seconds)``."""
    t0 = time.perf_counter()
    if cm.sampler == "nutpie":
        nutpie = import_nutpie()
        idata = nutpie.sample(
            cm.compiled, draws=draws, tune=tune, chains=chains, seed=seed, cores=cores,
            progress_bar=False, save_warmup=False, target_accept=target_accept,
        )
    else:
        pm = import_pymc()
        with cm.model, warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # PyMC's own diagnostics: ours follow
            idata = pm.sample(
                draws=draws, tune=tune, chains=chains, random_seed=seed,
                cores=cores or min(chains, 2), progressbar=False, nuts_sampler="pymc",
                target_accept=target_accept, compute_convergence_checks=False,
            )
    return idata, time.perf_counter() - t0


@dataclass(frozen=True, slots=True)
class Diagnostics:
    """Convergence diagnostics of one fit.

    Attributes
    ----------
    max_r_hat : float
        Largest rank-normalised split R-hat over the reported parameters.
    min_ess_bulk, min_ess_tail : float
        Smallest bulk and tail effective sample sizes.
    n_divergent : int
        Divergent post-warm-up transitions.
    n_max_treedepth : int
        Transitions that hit the maximum tree depth.
    n_draws : int
        Post-warm-up draws over all chains.
    problems : tuple of str
        One message per problem found (empty when the fit looks fine).
    """

    max_r_hat: float
    min_ess_bulk: float
    min_ess_tail: float
    n_divergent: int
    n_max_treedepth: int
    n_draws: int
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        """Whether no problem was found."""
        return not self.problems


def _worst(ds: Any, *, largest: bool) -> tuple[float, str]:
    best_val, best_name = (-np.inf if largest else np.inf), ""
    for name, da in ds.data_vars.items():
        v = np.asarray(da.values, dtype=float)
        v = v[np.isfinite(v)]
        if v.size == 0:
            continue
        cand = float(v.max() if largest else v.min())
        if (cand > best_val) if largest else (cand < best_val):
            best_val, best_name = cand, str(name)
    return best_val, best_name


def diagnose(idata: Any, var_names: list[str]) -> Diagnostics:
    """Compute R-hat, bulk/tail ESS, divergences and tree-depth hits for ``var_names``."""
    az = import_arviz()
    post = idata.posterior
    chains, draws = int(post.sizes["chain"]), int(post.sizes["draw"])
    rhat = _worst(az.rhat(idata, var_names=var_names), largest=True)
    bulk = _worst(az.ess(idata, var_names=var_names, method="bulk"), largest=False)
    tail = _worst(az.ess(idata, var_names=var_names, method="tail"), largest=False)
    stats = idata.sample_stats
    n_div = int(np.asarray(stats["diverging"]).sum()) if "diverging" in stats else 0
    depth_key = next((k for k in ("maxdepth_reached", "reached_max_treedepth") if k in stats), None)
    n_depth = int(np.asarray(stats[depth_key]).sum()) if depth_key else 0
    problems: list[str] = []
    if n_div:
        problems.append(
            f"{n_div} of {chains * draws} post-warm-up transitions diverged: the sampler cannot "
            "explore part of the posterior (often a random-effect SD near zero). Try "
            "target_accept=0.95, a tighter prior on the SDs (e.g. priors={'sd_family': "
            "Prior.halfnormal(0.5)}), or drop a random effect the data do not support."
        )
    if chains > 1 and rhat[0] > R_HAT_MAX:
        problems.append(
            f"R-hat of {rhat[1]!r} is {rhat[0]:.3f} > {R_HAT_MAX}: the chains disagree. Run more "
            "tuning and draws (tune=, draws=) or more chains, and check for multimodality."
        )
    ess_min = ESS_PER_CHAIN_MIN * chains
    if bulk[0] < ess_min:
        problems.append(
            f"bulk ESS of {bulk[1]!r} is {bulk[0]:.0f} < {ess_min} ({ESS_PER_CHAIN_MIN} per "
            "chain): posterior means and SDs are imprecise. Increase draws."
        )
    if tail[0] < ess_min:
        problems.append(
            f"tail ESS of {tail[1]!r} is {tail[0]:.0f} < {ess_min}: credible-interval limits "
            "are imprecise. Increase draws."
        )
    if n_depth:
        problems.append(
            f"{n_depth} transitions hit the maximum tree depth: the posterior is strongly "
            "correlated. Centre or rescale covariates, or simplify the random effects."
        )
    return Diagnostics(
        max_r_hat=rhat[0], min_ess_bulk=bulk[0], min_ess_tail=tail[0], n_divergent=n_div,
        n_max_treedepth=n_depth, n_draws=chains * draws, problems=tuple(problems),
    )


def warn_if_problems(diag: Diagnostics, *, stacklevel: int = 3) -> None:
    """Emit one ConvergenceWarning listing every problem in ``diag`` (none if fine)."""
    if diag.problems:
        warnings.warn(
            "Bayesian fit has convergence problems:\n- " + "\n- ".join(diag.problems),
            ConvergenceWarning,
            stacklevel=stacklevel,
        )
