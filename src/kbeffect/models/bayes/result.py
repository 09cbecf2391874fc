"""The result of a Bayesian fit: :class:`BayesResult`."""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from kbeffect._results import Summary, lazy_pyplot
from kbeffect._validation import check_literal, check_probability
from kbeffect.errors import EstimationError

from ._deps import import_arviz, import_pymc
from .estimands import EffectDraws, effect_draws, summarise_effects
from .priors import ResolvedPriors
from .sample import CompiledModel, Diagnostics

__all__ = ["BayesResult", "FitSettings"]

TIDY_COLUMNS = (
    "term", "estimate", "std_error", "statistic", "df", "p_value", "conf_low", "conf_high",
    "r_hat", "ess_bulk", "ess_tail", "effect",
)


@dataclass(frozen=True, slots=True)
class FitSettings:
    """Sampler settings of a fit (reused by :meth:`BayesResult.refit`)."""

    draws: int
    tune: int
    chains: int
    seed: int
    target_accept: float
    cores: int | None
    sampler: str
    level: float


@dataclass(frozen=True)
class BayesResult:
    """Posterior of a Bayesian longitudinal model fitted by :func:`kbeffect.bayes`.

    Attributes
    ----------
    idata : arviz.InferenceData
        Posterior draws and sampler statistics.
    spec : BayesSpec
        Model specification and the arrays fitted.
    priors : ResolvedPriors
        The priors used.
    diagnostics : Diagnostics
        R-hat, ESS, divergences (checked after the fit).
    settings : FitSettings
        Draws, chains, seed and sampler.
    timings : dict
        ``compile_s`` (0 when a compiled model was reused), ``sample_s``, ``reused``.
    """

    idata: Any
    spec: Any
    priors: ResolvedPriors
    diagnostics: Diagnostics
    settings: FitSettings
    timings: dict[str, Any]
    compiled: CompiledModel = field(repr=False)
    _frame: pd.DataFrame = field(repr=False)

    @property
    def exclusions(self) -> Any:
        """Rows excluded from the fit and why."""
        return self.spec.exclusions

    @property
    def sampler(self) -> str:
        """Sampler that produced the draws (``nutpie`` or ``pymc``)."""
        return str(self.compiled.sampler)

    def _param_rows(self) -> list[tuple[str, str, str, int | None]]:
        """(term, variable, effect, index) of every reported parameter."""
        s = self.spec
        rows: list[tuple[str, str, str, int | None]] = [
            (c, "b", "fixed", j) for j, c in enumerate(s.columns)
        ]
        if s.family_idx is not None:
            rows.append((f"sd__{s.groups[0]}", "sd_family", "ran_pars", None))
        if s.slope is not None:
            rows.append((f"sd__{s.random_slope}|{s.groups[0]}", "sd_slope", "ran_pars", None))
        if s.child_idx is not None:
            rows.append((f"sd__{s.groups[1]}:{s.groups[0]}", "sd_child", "ran_pars", None))
        post = self.idata.posterior
        for name, term in (("sigma", "sigma"), ("theta", "theta"), ("zi", "zi~(Intercept)"),
                           ("hu", "hu~(Intercept)")):
            if name in post:
                rows.append((term, name, "aux", None))
        if "cutpoints" in post:
            cats = s.categories
            rows += [(f"{a}|{b}", "cutpoints", "threshold", k)
                     for k, (a, b) in enumerate(itertools.pairwise(cats))]
        return rows

    def tidy(self, *, level: float | None = None) -> pd.DataFrame:
        """One row per parameter, with the maximum-likelihood result's columns.

        Parameters
        ----------
        level : float, optional
            Credible level of the equal-tailed interval (default: the fit's ``level``).

        Returns
        -------
        DataFrame
            term, estimate (posterior mean), std_error (posterior SD), statistic, df and
            p_value (NaN: not defined for a posterior), conf_low, conf_high, r_hat,
            ess_bulk, ess_tail, effect (``fixed``, ``ran_pars``, ``aux``, ``threshold``).
        """
        az = import_arviz()
        level = check_probability("level", self.settings.level if level is None else level)
        lo, hi = (1 - level) / 2, 1 - (1 - level) / 2
        post = self.idata.posterior
        names = sorted({v for _, v, _, _ in self._param_rows()})
        rhat = az.rhat(self.idata, var_names=names)
        bulk = az.ess(self.idata, var_names=names, method="bulk")
        tail = az.ess(self.idata, var_names=names, method="tail")
        out = []
        for term, var, effect, k in self._param_rows():
            x = np.asarray(post[var].values, dtype=float)
            x = x.reshape(-1, *x.shape[2:])
            r, eb, et = (np.asarray(d[var].values) for d in (rhat, bulk, tail))
            if k is not None:
                x, r, eb, et = x[:, k], r[k], eb[k], et[k]
            q = np.quantile(x, [lo, hi])
            out.append((term, x.mean(), x.std(ddof=1), np.nan, np.nan, np.nan, q[0], q[1],
                        float(r), float(eb), float(et), effect))
        return pd.DataFrame(out, columns=list(TIDY_COLUMNS))

    def summary(self, *, level: float | None = None) -> Summary:
        """Return a :class:`~kbeffect._results.Summary` of the posterior."""
        s, d = self.spec, self.diagnostics
        tab = self.tidy(level=level).set_index("term").drop(columns=["statistic", "df", "p_value"])
        header = {
            "Formula": s.formula, "Family": s.family, "Observations": s.n,
            "Groups": ", ".join(f"{g}" for g in s.groups) or "none",
            "Families": s.n_families, "Sampler": f"{self.sampler} ({self.settings.chains} "
            f"chains x {self.settings.draws} draws, {self.settings.tune} tuning)",
            "Max R-hat": f"{d.max_r_hat:.3f}", "Min bulk/tail ESS":
            f"{d.min_ess_bulk:.0f} / {d.min_ess_tail:.0f}", "Divergences": d.n_divergent,
        }
        if s.exposure:
            header["Exposure (offset)"] = f"log({s.exposure})"
        lvl = self.settings.level if level is None else level
        priors = pd.DataFrame({"prior": self.priors.table(s.columns)})
        notes = (
            f"Estimates are posterior means, std_error posterior SDs, intervals equal-tailed "
            f"{lvl:.0%} credible intervals.",
            *s.exclusions.notes(), *d.problems,
        )
        return Summary(
            title=f"Bayesian {s.family} model", header=header,
            tables={
                "Fixed effects": tab[tab["effect"] == "fixed"].drop(columns="effect"),
                "Random effects and auxiliary parameters":
                    tab[tab["effect"] != "fixed"].drop(columns="effect"),
                "Priors": priors,
            },
            notes=notes,
        )

    def plot(self, kind: Literal["forest", "trace"] = "forest") -> Any:
        """Forest plot of the fixed effects, or trace plot of all reported parameters."""
        check_literal("kind", kind, ("forest", "trace"))
        plt = lazy_pyplot()
        if kind == "trace":
            az = import_arviz()
            names = sorted({v for _, v, _, _ in self._param_rows()})
            axes = az.plot_trace(self.idata, var_names=names, compact=True)
            return np.asarray(axes).ravel()[0].figure
        tab = self.tidy()
        tab = tab[tab["effect"] == "fixed"]
        fig, ax = plt.subplots(figsize=(6, 0.4 * len(tab) + 1.2))
        ypos = np.arange(len(tab))[::-1]
        ax.errorbar(tab["estimate"], ypos, xerr=[tab["estimate"] - tab["conf_low"],
                    tab["conf_high"] - tab["estimate"]], fmt="o", color="k", capsize=2)
        ax.axvline(0.0, color="grey", lw=0.8, ls="--")
        ax.set_yticks(ypos, tab["term"])
        ax.set_xlabel(f"posterior mean and {self.settings.level:.0%} credible interval")
        ax.set_title(f"Bayesian {self.spec.family} model")
        fig.tight_layout()
        return fig

    def effect_draws(self, treatment: str, **kwargs: Any) -> EffectDraws:
        """Draws of the effect of ``treatment`` (see :func:`.estimands.effect_draws`)."""
        return effect_draws(self.spec, self.idata, self._frame, treatment=treatment, **kwargs)

    def effects(
        self,
        treatment: str | Sequence[str],
        *,
        time: str | None = "wave",
        reference: object = 0,
        estimand: Literal["ATT", "ATC", "ATE"] = "ATT",
        contrast: Literal["did", "level"] = "did",
        benefit: Literal["decrease", "increase"] = "decrease",
        level: float | None = None,
    ) -> pd.DataFrame:
        """Posterior summaries of treatment effects at each wave.

        Parameters
        ----------
        treatment : str or sequence of str
            Treatment column(s): the order indicator, or one or more help types.
        time, reference, estimand, contrast
            See :func:`.estimands.effect_draws`.
        benefit : {"decrease", "increase"}
            Direction that counts as benefit (violence: decrease).
        level : float, optional
            Credible level (default: the fit's).

        Returns
        -------
        DataFrame
            One row per treatment, wave and measure (difference, ratio); see
            :func:`.estimands.summarise_effects`.
        """
        treatments = [treatment] if isinstance(treatment, str) else list(treatment)
        lvl = self.settings.level if level is None else level
        tables = [
            summarise_effects(
                self.effect_draws(t, time=time, reference=reference, estimand=estimand,
                                  contrast=contrast),
                level=lvl, benefit=benefit,
            )
            for t in treatments
        ]
        return pd.concat(tables, ignore_index=True)

    def predictive_check(
        self,
        kind: Literal["posterior", "prior"] = "posterior",
        *,
        stats: Sequence[str] | None = None,
        n_draws: int = 400,
        seed: int | None = None,
    ) -> pd.DataFrame:
        """Prior or posterior predictive check of summary statistics of the response.

        Replicated data sets are drawn from the prior or posterior predictive
        distribution; for each statistic T the table gives T(y), the predictive mean and
        90% interval of T(y_rep), and the predictive p-value P(T(y_rep) >= T(y)).

        Parameters
        ----------
        kind : {"posterior", "prior"}
            Which predictive distribution.
        stats : sequence of str, optional
            Among ``mean``, ``sd``, ``p_zero`` (share of zeros / lowest category),
            ``max``, ``min``. Default: mean, sd, p_zero, max (counts); mean, sd, min, max
            (gaussian); mean (bernoulli); mean, sd, p_zero (ordinal).

        Returns
        -------
        DataFrame
        """
        check_literal("kind", kind, ("posterior", "prior"))
        pm = import_pymc()
        funcs = {
            "mean": lambda v: v.mean(axis=-1), "sd": lambda v: v.std(axis=-1),
            "p_zero": lambda v: (v == 0).mean(axis=-1), "max": lambda v: v.max(axis=-1),
            "min": lambda v: v.min(axis=-1),
        }
        if stats is None:
            stats = {"gaussian": ("mean", "sd", "min", "max"), "bernoulli": ("mean",),
                     "ordinal": ("mean", "sd", "p_zero")}.get(
                self.spec.family, ("mean", "sd", "p_zero", "max"))
        for st in stats:
            check_literal("stats", st, tuple(funcs))
        model = self.compiled.model
        with model:
            pm.set_data(self.spec.data_arrays())
            if kind == "prior":
                try:
                    pp = pm.sample_prior_predictive(
                        draws=n_draws, var_names=["y"], random_seed=seed
                    )
                except ValueError as exc:
                    raise EstimationError(
                        "prior predictive draws failed (the mean overflows under these "
                        "priors); use tighter coefficient priors, e.g. the defaults, to "
                        f"check them: {str(exc).splitlines()[0]}"
                    ) from exc
                rep = pp.prior_predictive["y"]
            else:
                post = self.idata.posterior
                total = int(post.sizes["chain"] * post.sizes["draw"])
                thin = post.isel(draw=slice(None, None, max(1, -(-total // n_draws))))
                pp = pm.sample_posterior_predictive(
                    thin, var_names=["y"], random_seed=seed, progressbar=False
                )
                rep = pp.posterior_predictive["y"]
        yrep = np.asarray(rep.values, dtype=float).reshape(-1, self.spec.n)
        yobs = np.asarray(self.spec.y, dtype=float)
        rows = []
        for st in stats:
            t_rep, t_obs = funcs[st](yrep), float(funcs[st](yobs))
            q = np.quantile(t_rep, [0.05, 0.95])
            rows.append({"statistic": st, "observed": t_obs, "predictive_mean": t_rep.mean(),
                         "predictive_low": q[0], "predictive_high": q[1],
                         "p_value": float((t_rep >= t_obs).mean())})
        return pd.DataFrame(rows)

    def refit(
        self, data: pd.DataFrame, *, seed: int | np.random.Generator | None = None
    ) -> BayesResult:
        """Fit the same model to new data, reusing the compiled model when possible.

        The compiled model is reused when the new data give the same design columns and
        the same numbers of families and children (rows may differ); otherwise the model
        is rebuilt and compiled. Priors stay those resolved on the original data.

        Parameters
        ----------
        data : DataFrame
            New data with the columns of the original fit.
        seed : int, Generator or None
            Seed of the new fit.

        Returns
        -------
        BayesResult
        """
        from .api import fit_spec, refit_spec

        spec = refit_spec(self.spec, data)
        settings = dataclasses.replace(self.settings, seed=_int_seed(seed))
        return fit_spec(spec, self.priors, data, settings=settings, compiled=self.compiled)


def _int_seed(seed: int | np.random.Generator | None) -> int:
    from kbeffect._validation import as_generator

    if isinstance(seed, int | np.integer) and not isinstance(seed, bool) and seed >= 0:
        return int(seed)
    return int(as_generator(seed).integers(0, 2**31 - 1))
