"""Count GLMM kernels against glmmTMB (Laplace) and lme4::glmer (nAGQ = 9).

Reference values: tests/reference/glmmtmb_reference.json, written by
tests/reference/glmmtmb_reference.R from the CSV cohorts beside it.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kbeffect.models.mixed.glmm import fit_glmm

REF = Path(__file__).resolve().parents[1] / "reference"


@pytest.fixture(scope="module")
def ref() -> dict:
    return json.loads((REF / "glmmtmb_reference.json").read_text())


@pytest.fixture(scope="module")
def fam_data() -> pd.DataFrame:
    return pd.read_csv(REF / "glmmtmb_family_data.csv")


@pytest.fixture(scope="module")
def child_data() -> pd.DataFrame:
    return pd.read_csv(REF / "glmmtmb_child_data.csv")


def design(d: pd.DataFrame, *, x: bool = True) -> tuple[np.ndarray, tuple[str, ...]]:
    """R's model.matrix(~ order * wave + x) column order."""
    w1 = (d["wave"] == 1).to_numpy(float)
    w2 = (d["wave"] == 2).to_numpy(float)
    o = d["order"].to_numpy(float)
    cols = {"(Intercept)": np.ones(len(d)), "order": o, "wave1": w1, "wave2": w2}
    if x:
        cols["x"] = d["x"].to_numpy(float)
    cols["order:wave1"] = o * w1
    cols["order:wave2"] = o * w2
    return np.column_stack(list(cols.values())), tuple(cols)


def check_against(fit, r: dict, names: tuple[str, ...]) -> None:
    assert fit.converged, fit.message
    p = len(names)
    assert fit.param_names[:p] == names == tuple(r["fixed"])
    np.testing.assert_allclose(fit.params[:p], list(r["fixed"].values()), rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(fit.std_errors[:p], list(r["fixed_se"].values()), rtol=1e-3)
    for level, sd in r["re_sd"].items():
        ours = fit.re_sd["child" if level == "child:family" else level]
        np.testing.assert_allclose(ours, sd, rtol=1e-3)
    np.testing.assert_allclose(fit.loglik, r["loglik"], rtol=0, atol=1e-5)
    if r["theta"] is not None:
        j = fit.param_names.index("log_theta")
        np.testing.assert_allclose(np.exp(fit.params[j]), r["theta"], rtol=1e-3)
    if r["zi"]:
        zi = [fit.params[fit.param_names.index(f"zi:{k}")] for k in r["zi"]]
        np.testing.assert_allclose(zi, list(r["zi"].values()), rtol=1e-4, atol=1e-6)
        zse = [fit.std_errors[fit.param_names.index(f"zi:{k}")] for k in r["zi"]]
        np.testing.assert_allclose(zse, list(r["zi_se"].values()), rtol=1e-3)


CASES = [
    ("tmb_poisson", "y_pois", "poisson", None),
    ("tmb_negbin", "y_nb", "negbin", None),
    ("tmb_zip", "y_zip", "zip", "x"),
    ("tmb_zinb", "y_zinb", "zinb", "x"),
    ("tmb_hurdle_poisson", "y_hp", "hurdle_poisson", None),
    ("tmb_hurdle_negbin", "y_hnb", "hurdle_negbin", None),
]


@pytest.mark.parametrize(("key", "col", "family", "zi"), CASES)
def test_family_intercept_matches_glmmtmb(ref, fam_data, key, col, family, zi) -> None:
    X, names = design(fam_data)
    zi_X = zi_names = None
    if zi == "x":
        zi_X = np.column_stack([np.ones(len(fam_data)), fam_data["x"].to_numpy(float)])
        zi_names = ("(Intercept)", "x")
    fit = fit_glmm(
        fam_data[col].to_numpy(float),
        X,
        (fam_data["family"].to_numpy(),),
        family=family,
        offset=np.log(fam_data["exposure"].to_numpy(float)),
        zi_X=zi_X,
        x_names=names,
        zi_names=zi_names,
    )
    check_against(fit, ref[key], names)
    assert fit.n_obs == len(fam_data)
    assert fit.n_groups == (fam_data["family"].nunique(),)
    assert fit.family == family


@pytest.mark.parametrize(
    ("key", "col", "family"),
    [
        ("tmb_poisson_nested", "y_pois", "poisson"),
        ("tmb_negbin_nested", "y_nb", "negbin"),
    ],
)
def test_family_child_intercepts_match_glmmtmb(ref, child_data, key, col, family) -> None:
    X, names = design(child_data, x=False)
    d = child_data
    fit = fit_glmm(
        d[col].to_numpy(float),
        X,
        (d["family"].to_numpy(), d["child"].to_numpy()),
        family=family,
        offset=np.log(d["exposure"].to_numpy(float)),
        x_names=names,
    )
    check_against(fit, ref[key], names)
    n_children = d.groupby(["family", "child"]).ngroups
    assert fit.n_groups == (d["family"].nunique(), n_children)
    assert set(fit.re_sd) == {"family", "child"}


def test_poisson_agq9_matches_glmer(ref, fam_data) -> None:
    X, names = design(fam_data)
    fit = fit_glmm(
        fam_data["y_pois"].to_numpy(float),
        X,
        (fam_data["family"].to_numpy(),),
        family="poisson",
        offset=np.log(fam_data["exposure"].to_numpy(float)),
        n_agq=9,
        x_names=names,
    )
    r = ref["glmer_poisson_agq9"]
    np.testing.assert_allclose(fit.params, list(r["fixed"].values()), rtol=1e-4)
    np.testing.assert_allclose(fit.std_errors, list(r["fixed_se"].values()), rtol=1e-3)
    np.testing.assert_allclose(fit.re_sd["family"], r["re_sd"]["family"], rtol=1e-3)
    # quadrature moves the estimate away from the Laplace one by far more than the tolerance
    lap = ref["tmb_poisson"]
    assert abs(fit.re_sd["family"] - lap["re_sd"]["family"]) > 1e-3
    assert fit.n_agq == 9
