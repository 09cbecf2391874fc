"""The PyMC model of a :class:`~.spec.BayesSpec`.

Every array that a refit may change lives in a ``pm.Data`` container (``X``, ``y_data``,
``offset``, ``family_idx``, ``child_idx``, ``slope_x``, ``weights``), so a compiled model
can be reused with new data of the same shape structure (same design columns and the
same number of families and children; the number of rows may change).

Random effects are non-centred: ``u_family = sd_family * z_family`` with
``z_family ~ Normal(0, 1)``, and likewise for children within families and for the
family-level random slope (independent of the intercepts). Non-centring avoids the
funnel that makes centred hierarchical count models diverge when groups are small.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np

from ._deps import import_pymc
from .families import add_likelihood
from .priors import ResolvedPriors
from .spec import BayesSpec

__all__ = ["build_model"]



def build_model(spec: BayesSpec, priors: ResolvedPriors) -> Any:
    """Build the PyMC model.

    Parameters
    ----------
    spec : BayesSpec
        Model specification and data.
    priors : ResolvedPriors
        Priors of every parameter.

    Returns
    -------
    pymc.Model
        Free variables ``b`` (dims ``term``), ``z_family``, ``z_child``, ``z_slope``, the
        SDs and auxiliaries; deterministics ``u_family``, ``u_child``, ``u_slope`` and
        ``theta``; observed ``y``.
    """
    pm = import_pymc()
    coords: dict[str, Any] = {"term": list(spec.columns)}
    if spec.family_idx is not None:
        coords["family"] = np.arange(spec.n_families)
    if spec.child_idx is not None:
        coords["child"] = np.arange(spec.n_children)
    if spec.family == "ordinal":
        coords["cut"] = [f"{a}|{b}" for a, b in itertools.pairwise(spec.categories)]
    arrays = spec.data_arrays()
    with pm.Model(coords=coords) as model:
        data = {name: pm.Data(name, value) for name, value in arrays.items()}
        eta = data["offset"]
        if spec.columns:
            b = pm.Normal("b", mu=priors.b_mu, sigma=priors.b_sigma, dims="term")
            eta = eta + pm.math.dot(data["X"], b)
        s = priors.scalars
        if spec.family_idx is not None:
            sd = s["sd_family"].to_pymc("sd_family")
            z = pm.Normal("z_family", 0.0, 1.0, dims="family")
            u = pm.Deterministic("u_family", sd * z, dims="family")
            eta = eta + u[data["family_idx"]]
            if spec.slope is not None:
                sd_s = s["sd_slope"].to_pymc("sd_slope")
                zs = pm.Normal("z_slope", 0.0, 1.0, dims="family")
                us = pm.Deterministic("u_slope", sd_s * zs, dims="family")
                eta = eta + us[data["family_idx"]] * data["slope_x"]
        if spec.child_idx is not None:
            sd_c = s["sd_child"].to_pymc("sd_child")
            zc = pm.Normal("z_child", 0.0, 1.0, dims="child")
            uc = pm.Deterministic("u_child", sd_c * zc, dims="child")
            eta = eta + uc[data["child_idx"]]
        aux: dict[str, Any] = {}
        if "sigma" in s:
            aux["sigma"] = s["sigma"].to_pymc("sigma")
        if "inv_sqrt_theta" in s:
            ist = s["inv_sqrt_theta"].to_pymc("inv_sqrt_theta")
            aux["theta"] = pm.Deterministic("theta", 1.0 / ist**2)
        for name in ("zi", "hu"):
            if name in s:
                aux[name] = s[name].to_pymc(name)
        if "cutpoints" in s:
            k = len(spec.categories) - 1
            p = s["cutpoints"]
            aux["cutpoints"] = pm.Normal(
                "cutpoints", mu=p.mu, sigma=p.sigma, dims="cut",
                transform=pm.distributions.transforms.ordered,
                initval=np.linspace(-1.0, 1.0, k),
            )
        y = add_likelihood(spec.family, eta, data["y_data"], aux)
        if "weights" in data:
            # Weighted pseudo-likelihood: w * log f(y) = log f(y) + (w - 1) * log f(y),
            # keeping ``y`` an observed variable so predictive checks still work.
            loglik = pm.logp(y, data["y_data"])
            pm.Potential("weight_adjustment", ((data["weights"] - 1.0) * loglik).sum())
    return model
