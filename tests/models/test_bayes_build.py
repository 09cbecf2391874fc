"""kbeffect.bayes without sampling: spec validation, priors, likelihoods vs scipy, estimands.

The likelihood of every family is checked against scipy at the model's initial point
(an independent implementation of each parametrisation), so these tests need PyMC but
never run a sampler.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from scipy.special import expit

from kbeffect.errors import (
    ConvergenceWarning,
    DataError,
    DependencyError,
    SchemaError,
    SpecificationError,
)
from kbeffect.models.bayes import FAMILIES, Prior
from kbeffect.models.bayes.families import expected_value
from kbeffect.models.bayes.priors import resolve_priors
from kbeffect.models.bayes.spec import build_spec

COUNT = ("poisson", "negbin", "zinb", "hurdle_negbin")


@pytest.fixture(scope="module")
def pm():
    return pytest.importorskip("pymc", reason="kbeffect.bayes needs the [bayes] extra (pymc)")


def _data(n_fam: int = 12, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    d = pd.DataFrame({
        "family_id": np.repeat(np.arange(100, 100 + n_fam), 6),
        "child": np.tile([1, 1, 1, 2, 2, 2], n_fam),
        "wave": np.tile([0, 1, 2], 2 * n_fam),
    })
    d["kb"] = (d["family_id"] % 2).astype(int)
    d["exposure"] = np.where(d["wave"] == 2, 0.5, 1.0)
    d["count"] = rng.negative_binomial(2, 0.4, len(d))
    d["count"] = np.where(rng.random(len(d)) < 0.3, 0, d["count"])
    d["score"] = rng.normal(50, 10, len(d))
    d["stopped"] = (rng.random(len(d)) < 0.4).astype(int)
    d["severity"] = rng.integers(0, 3, len(d))
    d["w"] = 1.0 + (d["family_id"] % 3)
    return d


RESPONSE = {"gaussian": "score", "bernoulli": "stopped", "ordinal": "severity"}


def _spec(family: str, data: pd.DataFrame, **kw):
    y = RESPONSE.get(family, "count")
    if family in COUNT:
        kw.setdefault("exposure", "exposure")
    return build_spec(f"{y} ~ kb * C(wave)", data, family=family, **kw)


def _priors(spec, overrides=None):
    return resolve_priors(
        family=spec.family, columns=spec.columns, X=spec.X, y=spec.y, offset=spec.offset,
        params=spec.params(), slope=spec.slope, overrides=overrides,
    )


def _scipy_loglik(family, y, eta, v):
    """Independent log-likelihood of each family, from scipy."""
    if family == "gaussian":
        return stats.norm.logpdf(y, eta, v["sigma"]).sum()
    if family == "bernoulli":
        return stats.bernoulli.logpmf(y, expit(eta)).sum()
    if family == "ordinal":
        c = np.concatenate([[-np.inf], v["cutpoints"], [np.inf]])
        p = expit(c[y + 1] - eta) - expit(c[y] - eta)
        return np.log(p).sum()
    mu = np.exp(eta)
    if family == "poisson":
        return stats.poisson.logpmf(y, mu).sum()
    th = v["theta"]
    nb = stats.nbinom(th, th / (th + mu))
    if family == "negbin":
        return nb.logpmf(y).sum()
    if family == "zinb":
        pi = expit(v["zi"])
        return np.where(y == 0, np.log(pi + (1 - pi) * nb.pmf(0)),
                        np.log(1 - pi) + nb.logpmf(y)).sum()
    pi = expit(v["hu"])  # hurdle
    return np.where(y == 0, np.log(pi),
                    np.log(1 - pi) + nb.logpmf(y) - np.log1p(-nb.pmf(0))).sum()


@pytest.mark.parametrize("family", list(FAMILIES))
def test_logp_finite_and_matches_scipy_at_initial_point(pm, family):
    from kbeffect.models.bayes.build import build_model

    d = _data()
    spec = _spec(family, d, groups=("family_id", "child"), random_slope="wave")
    model = build_model(spec, _priors(spec))
    rng = np.random.default_rng(3)
    point = {k: v + rng.normal(0, 0.3, np.shape(v)) for k, v in model.initial_point().items()}
    total = model.compile_logp(mode="FAST_COMPILE")(point)
    assert np.isfinite(total)
    names = ["b", "u_family", "u_child", "u_slope"] + [
        n for n in ("sigma", "theta", "zi", "hu", "cutpoints") if n in model.named_vars
    ]
    import pytensor

    outs = model.replace_rvs_by_values([model[n] for n in names])
    fn = pytensor.function(model.value_vars, outs, mode="FAST_COMPILE", on_unused_input="ignore")
    values = dict(zip(names, fn(*[point[v.name] for v in model.value_vars]), strict=True))
    eta = (spec.X @ values["b"] + spec.offset + values["u_family"][spec.family_idx]
           + values["u_slope"][spec.family_idx] * spec.slope + values["u_child"][spec.child_idx])
    ll = model.compile_logp(vars=[model["y"]], mode="FAST_COMPILE")(point)
    np.testing.assert_allclose(ll, _scipy_loglik(family, spec.y, eta, values), rtol=1e-8)


def test_family_weights_equal_duplicated_rows(pm):
    from kbeffect.models.bayes.build import build_model

    d = _data(seed=4)
    d["w2"] = 2.0
    spec_w = _spec("negbin", d, weights="w2")
    spec_d = _spec("negbin", pd.concat([d, d], ignore_index=True))
    priors = _priors(spec_w)
    mw, md = build_model(spec_w, priors), build_model(spec_d, priors)
    point = mw.initial_point()
    lw = mw.compile_logp(mode="FAST_COMPILE")(point)
    ld = md.compile_logp(mode="FAST_COMPILE")(point)
    np.testing.assert_allclose(lw, ld, rtol=1e-10)


@pytest.mark.parametrize("family", ["negbin", "zinb", "hurdle_negbin", "ordinal", "bernoulli"])
def test_expected_value_matches_scipy_moments(family):
    eta = np.array([[-0.5, 0.3, 1.7], [0.1, 2.2, -1.0]])
    aux = {"theta": np.array([0.8, 3.0]), "zi": np.array([-0.4, 0.9]),
           "hu": np.array([0.2, -1.1]), "cutpoints": np.array([[-1.0, 0.5], [-0.2, 1.4]])}
    got = expected_value(family, eta, aux)
    k = np.arange(0, 4000)
    for s in range(2):
        for i in range(3):
            if family == "ordinal":
                c = np.concatenate([[-np.inf], aux["cutpoints"][s], [np.inf]])
                p = np.diff(expit(c - eta[s, i]))
                want = (np.arange(3) * p).sum()
            elif family == "bernoulli":
                want = stats.bernoulli.mean(expit(eta[s, i]))
            else:
                mu, th = np.exp(eta[s, i]), aux["theta"][s]
                pmf = stats.nbinom.pmf(k, th, th / (th + mu))
                if family == "zinb":
                    pmf = (1 - expit(aux["zi"][s])) * pmf
                elif family == "hurdle_negbin":
                    pmf = (1 - expit(aux["hu"][s])) * pmf / (1 - pmf[0])
                    pmf[0] = 0.0
                want = (k * pmf).sum()
            np.testing.assert_allclose(got[s, i], want, rtol=1e-6)


def test_spec_arrays_and_grouping():
    d = _data(n_fam=5)
    spec = _spec("negbin", d, groups=("family_id", "child"))
    assert spec.n == 30 and spec.n_families == 5 and spec.n_children == 10
    np.testing.assert_array_equal(spec.family_levels, np.arange(100, 105))
    np.testing.assert_allclose(np.exp(spec.offset), d["exposure"])
    # the child index is unique per (family, child) pair although child ids repeat
    pairs = set(zip(spec.family_idx, spec.child_idx, strict=True))
    assert len(pairs) == 10
    ordinal = _spec("ordinal", d)
    assert "Intercept" not in ordinal.columns and ordinal.categories == (0, 1, 2)


def test_spec_with_fixed_levels_pads_groups():
    d = _data(n_fam=5)
    sub = d[d["family_id"] != 101]
    spec = _spec("negbin", sub, groups=("family_id", "child"),
                 levels=(list(range(100, 105)),
                         [(f, c) for f in range(100, 105) for c in (1, 2)]))
    assert spec.n_families == 5 and spec.n_children == 10
    assert 1 not in set(spec.family_idx) and {0, 2, 3, 4} == set(spec.family_idx)
    assert {2, 3} & set(spec.child_idx) == set()
    with pytest.raises(DataError, match="outside `levels`"):
        _spec("negbin", d, groups="family_id", levels=([100, 101], []))


def test_spec_validation_errors():
    d = _data(n_fam=4)
    with pytest.raises(SpecificationError, match="family"):
        build_spec("count ~ kb", d, family="nb")
    with pytest.raises(SchemaError, match="nope"):
        build_spec("count ~ kb", d, family="negbin", groups="nope")
    with pytest.raises(SpecificationError, match="exposure"):
        build_spec("score ~ kb", d, family="gaussian", exposure="exposure")
    with pytest.raises(SpecificationError, match="random_slope"):
        build_spec("count ~ kb", d, family="negbin", random_slope="wave")
    with pytest.raises(DataError, match="non-negative integer"):
        build_spec("score ~ kb", d, family="poisson")
    with pytest.raises(DataError, match="0/1"):
        build_spec("count ~ kb", d, family="bernoulli")
    with pytest.raises(SpecificationError, match="rank deficient"):
        build_spec("count ~ kb + I(2 * kb)", d, family="negbin")
    bad = d.assign(w=np.arange(len(d), dtype=float) + 1)
    with pytest.raises(DataError, match="constant within each family"):
        build_spec("count ~ kb", bad, family="negbin", groups="family_id", weights="w")
    with pytest.raises(SpecificationError, match="at least 3"):
        build_spec("stopped ~ kb", d, family="ordinal")
    with pytest.raises(DataError, match="exposure"):
        build_spec("count ~ kb", d.assign(exposure=0.0), family="negbin", exposure="exposure")


def test_missing_values_raise_or_are_counted():
    d = _data(n_fam=4)
    d.loc[[0, 5], "family_id"] = np.nan
    d.loc[7, "count"] = np.nan
    with pytest.raises(DataError, match="family_id"):
        build_spec("count ~ kb", d, family="negbin", groups="family_id")
    spec = build_spec("count ~ kb", d, family="negbin", groups="family_id", missing="drop")
    assert spec.n == len(d) - 3 and spec.exclusions.total == 3
    assert 0 not in spec.rows and 5 not in spec.rows and 7 not in spec.rows


def test_default_priors_and_overrides():
    d = _data(n_fam=6)
    spec = _spec("negbin", d, groups="family_id")
    pr = _priors(spec)
    j = spec.columns.index("Intercept")
    crude = np.log((d["count"].sum() + 0.5) / d["exposure"].sum())
    assert pr.b_mu[j] == pytest.approx(crude)
    k = spec.columns.index("kb")
    assert pr.b_sigma[k] == pytest.approx(1.0 / d["kb"].std(ddof=0))
    assert str(pr.scalars["sd_family"]) == "HalfNormal(1)"
    over = _priors(spec, {"b": Prior.normal(0, 0.5), "kb": Prior.normal(0.1, 0.2),
                          "sd_family": Prior.exponential(2.0)})
    assert over.b_sigma[k] == 0.2 and over.b_mu[k] == 0.1
    assert over.b_sigma[spec.columns.index("C(wave)[T.1]")] == 0.5
    assert over.b_mu[j] == pytest.approx(crude)  # "b" leaves the intercept alone
    with pytest.raises(SpecificationError, match="unknown key 'sd_child'"):
        _priors(spec, {"sd_child": Prior.halfnormal(1)})
    with pytest.raises(SpecificationError, match="sd_family"):
        _priors(spec, {"sd_family": Prior.normal(0, 1)})
    with pytest.raises(SpecificationError, match="positive"):
        Prior.halfnormal(-1)
    g = _spec("gaussian", d)
    gp = _priors(g)
    assert gp.b_mu[g.columns.index("Intercept")] == pytest.approx(d["score"].mean())
    assert gp.scalars["sigma"].lam == pytest.approx(1 / d["score"].std(ddof=0))


def test_missing_pymc_raises_dependency_error(monkeypatch):
    import importlib

    from kbeffect.models.bayes import _deps, bayes

    real = importlib.import_module

    def fake(name, *a, **k):
        if name == "pymc":
            raise ImportError("No module named 'pymc'")
        return real(name, *a, **k)

    monkeypatch.setattr(_deps.importlib, "import_module", fake)
    with pytest.raises(DependencyError, match=r"kbeffect\[bayes\]"):
        bayes("count ~ kb", _data(n_fam=3), family="negbin")


def test_diagnostics_flag_disagreeing_chains_and_divergences():
    az = pytest.importorskip("arviz", reason="needs the [bayes] extra (arviz)")
    from kbeffect.models.bayes.sample import diagnose, warn_if_problems

    rng = np.random.default_rng(0)
    b = rng.normal(size=(2, 300, 2))
    b[1] += 3.0  # second chain elsewhere
    div = np.zeros((2, 300), dtype=bool)
    div[0, :5] = True
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        idata = az.from_dict(posterior={"b": b, "sd_family": np.abs(rng.normal(size=(2, 300)))},
                             sample_stats={"diverging": div})
    diag = diagnose(idata, ["b", "sd_family"])
    assert diag.max_r_hat > 1.5 and diag.n_divergent == 5 and not diag.ok
    text = " ".join(diag.problems)
    assert "R-hat of 'b'" in text and "5 of 600" in text and "target_accept" in text
    with pytest.warns(ConvergenceWarning, match="R-hat"):
        warn_if_problems(diag)
    good = az.from_dict(posterior={"b": rng.normal(size=(4, 1000))},
                        sample_stats={"diverging": np.zeros((4, 1000), dtype=bool)})
    assert diagnose(good, ["b"]).ok


def test_effect_draws_vectorised_equals_unit_loop():
    az = pytest.importorskip("arviz", reason="needs the [bayes] extra (arviz)")
    from kbeffect.models.bayes.estimands import effect_draws, summarise_effects

    d = _data(n_fam=8, seed=7)
    d["x"] = np.random.default_rng(2).normal(size=len(d))
    spec = build_spec("count ~ kb * C(wave) + x + x:kb", d, family="negbin",
                      groups="family_id", exposure="exposure")
    rng = np.random.default_rng(5)
    S, p = 50, len(spec.columns)
    b = rng.normal(0, 0.3, (1, S, p))
    u = rng.normal(0, 0.5, (1, S, spec.n_families))
    theta = rng.uniform(1, 3, (1, S))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        idata = az.from_dict(posterior={"b": b, "u_family": u, "theta": theta})
    eff = effect_draws(spec, idata, d.iloc[spec.rows], treatment="kb", estimand="ATE")
    cols = spec.columns
    fam_idx = np.asarray(spec.family_idx)
    # brute force: for each draw and unit, flip kb in the interaction terms of the wave
    want = np.zeros((S, 2))
    for s in range(S):
        bs = dict(zip(cols, b[0, s], strict=True))
        for j, wv in enumerate((1, 2)):
            m1 = m0 = 0.0
            rows = np.flatnonzero(d["wave"].to_numpy() == wv)
            for i in rows:
                x, kb = d["x"].iloc[i], d["kb"].iloc[i]
                base = (bs["Intercept"] + bs[f"C(wave)[T.{wv}]"] + bs["x"] * x
                        + u[0, s, fam_idx[i]])
                treated = base + bs["kb"] + bs[f"kb:C(wave)[T.{wv}]"] + bs["x:kb"] * x
                untreated_cf = base + bs["kb"] + bs["x:kb"] * x  # order's wave effect removed
                if kb == 1:
                    m1 += np.exp(treated)
                    m0 += np.exp(untreated_cf)
                else:
                    m0 += np.exp(base)
                    m1 += np.exp(base + bs[f"kb:C(wave)[T.{wv}]"])
            want[s, j] = (m1 - m0) / len(rows)
    np.testing.assert_allclose(eff.difference, want, rtol=1e-10)
    tab = summarise_effects(eff, level=0.9)
    assert set(tab["measure"]) == {"difference", "ratio"}
    row = tab[(tab["measure"] == "difference") & (tab["wave"] == 1)].iloc[0]
    assert row["prob_benefit"] == pytest.approx((want[:, 0] < 0).mean())
    assert row["conf_low"] == pytest.approx(np.quantile(want[:, 0], 0.05))


def test_ordinal_random_draws_match_cumulative_logit_probabilities():
    from kbeffect.models.bayes.families import _ordinal_random

    eta = np.full(200_000, 0.4)
    cut = np.array([-0.5, 1.0])
    y = _ordinal_random(eta, cut, rng=np.random.default_rng(1), size=eta.shape)
    c = np.concatenate([[-np.inf], cut, [np.inf]])
    p = np.diff(expit(c - 0.4))
    np.testing.assert_allclose(np.bincount(y, minlength=3) / y.size, p, atol=0.004)


def test_nutpie_compiles_without_fastmath(pm, monkeypatch):
    # fastmath lets LLVM reassociate sums differently in freshly compiled and in
    # cache-loaded numba code, so the same seed gave different draws in the first
    # process that compiled a model and in later ones (see docs/bayes.md)
    pytensor = pytest.importorskip("pytensor")
    nutpie = pytest.importorskip("nutpie")
    from kbeffect.models.bayes import sample

    before = pytensor.config.numba__fastmath
    seen = []
    monkeypatch.setattr(nutpie, "compile_pymc_model",
                        lambda model: seen.append(pytensor.config.numba__fastmath) or "compiled")
    cm = sample.compile_model(object(), sampler="nutpie", shape_key=())
    assert cm.compiled == "compiled" and seen == [False]
    assert pytensor.config.numba__fastmath == before  # the global setting is left alone
