"""rm_anova against R afex 1.2.1 / car 3.1.1 / emmeans (tests/reference/afex_rm_anova.R)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kbeffect.models.anova import rm_anova

REF = Path(__file__).parents[1] / "reference"
RESULTS = json.loads((REF / "afex_rm_results.json").read_text())
DESIGNS = sorted(RESULTS)
RTOL = 1e-9


def _frame(records: list[dict]) -> pd.DataFrame:
    df = pd.DataFrame(records)
    for c in df.columns:
        if c not in ("term", "_row", "test", "contrast", "group", "wave"):
            df[c] = pd.to_numeric(df[c])
    return df


def _between(name: str) -> list[str]:
    b = RESULTS[name]["between"]
    return [] if b in (None, []) else ([b] if isinstance(b, str) else list(b))


@pytest.fixture(scope="module", params=DESIGNS)
def case(request: pytest.FixtureRequest) -> tuple[str, dict, object]:
    name = request.param
    data = pd.read_csv(REF / f"afex_rm_data_{name}.csv")
    within = RESULTS[name].get("within", "wave")
    res = rm_anova(data, dv="y", subject="id", within=within, between=_between(name) or None)
    return name, RESULTS[name], res


def test_design_coverage() -> None:
    # balanced and unbalanced, two and three groups, two between factors, four waves
    assert {"bal2", "unbal2", "unbal3", "unbal3w4", "twobetween", "nobetween",
            "twowithin"} <= set(DESIGNS)


def test_subjects_and_exclusions(case) -> None:
    _, ref, res = case
    assert res.n_subjects == int(ref["n_subjects"])
    assert res.exclusions.total == int(ref["n_excluded"])


def test_univariate_type3(case) -> None:
    _, ref, res = case
    uni = _frame(ref["univariate"]).set_index("term")
    ours = res.tidy(intercept=True).set_index("term")
    assert list(ours.index) == list(uni.index)
    for mine, theirs in [("ss", "Sum Sq"), ("df", "num Df"), ("ss_error", "Error SS"),
                         ("df_error", "den Df"), ("F", "F value"), ("p", "Pr(>F)")]:
        np.testing.assert_allclose(ours[mine], uni[theirs], rtol=RTOL, err_msg=mine)


def test_effect_sizes(case) -> None:
    name, ref, res = case
    tab = _frame(ref["anova"]).set_index("term")
    ours = res.tidy().set_index("term").loc[tab.index]
    np.testing.assert_allclose(ours["partial_eta2"], tab["pes"], rtol=RTOL)
    np.testing.assert_allclose(ours["generalized_eta2"], tab["ges"], rtol=RTOL)
    np.testing.assert_allclose(ours["ms_error"], tab["MSE"], rtol=RTOL)
    if ref["ges_observed_group"]:
        obs = _frame(ref["ges_observed_group"]).set_index("term")
        data = pd.read_csv(REF / f"afex_rm_data_{name}.csv")
        res_obs = rm_anova(data, dv="y", subject="id", within=ref.get("within", "wave"),
                           between=_between(name), observed="group")
        mine = res_obs.tidy().set_index("term").loc[obs.index, "generalized_eta2"]
        np.testing.assert_allclose(mine, obs["ges"], rtol=RTOL)


def test_sphericity_and_corrections(case) -> None:
    name, ref, res = case
    assert ref["adjustments"]  # every design has three or more waves
    adj = _frame(ref["adjustments"]).set_index("term")
    sph = _frame(ref["sphericity"]).set_index("term")
    ours = res.tidy().set_index("term").loc[adj.index]
    np.testing.assert_allclose(ours["eps_gg"], adj["GG eps"], rtol=RTOL)
    np.testing.assert_allclose(ours["eps_hf"], adj["HF eps"], rtol=RTOL)
    np.testing.assert_allclose(ours["p_gg"], adj["Pr(>F[GG])"], rtol=RTOL)
    np.testing.assert_allclose(ours["p_hf"], adj["Pr(>F[HF])"], rtol=RTOL)
    mine = res.sphericity().set_index("term")
    for term in sph.index:
        within = ":".join(p for p in term.split(":") if p not in _between(name))
        np.testing.assert_allclose(mine.loc[within, "W"], sph.loc[term, "Test statistic"],
                                   rtol=RTOL)
        np.testing.assert_allclose(mine.loc[within, "p"], sph.loc[term, "p-value"], rtol=RTOL)


def test_multivariate(case) -> None:
    _, ref, res = case
    mine = res.multivariate()
    terms = [t for t in ref["multivariate"] if t in set(mine["term"])]
    assert set(terms) == set(mine["term"])
    for term in terms:
        theirs = _frame(ref["multivariate"][term])
        ours = mine[mine["term"] == term].reset_index(drop=True)
        assert list(ours["test"]) == list(theirs["test"])
        for a, b in [("statistic", "stat"), ("F", "F"), ("df1", "df1"), ("df2", "df2"),
                     ("p", "p")]:
            np.testing.assert_allclose(ours[a], theirs[b], rtol=RTOL, err_msg=f"{term} {a}")


@pytest.mark.parametrize("adjust", ["none", "bonferroni", "holm"])
def test_pairwise_wave_contrasts(case, adjust: str) -> None:
    _, ref, res = case
    theirs = _frame(ref["pairwise"][adjust])
    ours = res.contrasts("pairwise", within="wave", adjust=adjust)
    assert list(ours["term"]) == list(theirs["contrast"])
    for a, b in [("estimate", "estimate"), ("std_error", "SE"), ("df", "df"),
                 ("statistic", "t.ratio"), ("p_adjusted", "p.value")]:
        np.testing.assert_allclose(ours[a], theirs[b], rtol=RTOL, err_msg=a)
    if adjust != "holm":  # emmeans gives Bonferroni intervals for Holm; same as ours
        np.testing.assert_allclose(ours["conf_low"], theirs["lower.CL"], rtol=RTOL)
        np.testing.assert_allclose(ours["conf_high"], theirs["upper.CL"], rtol=RTOL)


@pytest.mark.parametrize("name", [d for d in DESIGNS if RESULTS[d]["pairwise_by_group"]])
def test_pairwise_by_group(name: str) -> None:
    ref = RESULTS[name]
    data = pd.read_csv(REF / f"afex_rm_data_{name}.csv")
    res = rm_anova(data, dv="y", subject="id", between=_between(name))
    theirs = _frame(ref["pairwise_by_group"])
    ours = res.contrasts("pairwise", by="group", adjust="holm")
    assert list(ours["term"]) == list(theirs["contrast"])
    assert list(ours["group"].astype(str)) == list(theirs["group"])
    for a, b in [("estimate", "estimate"), ("std_error", "SE"), ("statistic", "t.ratio"),
                 ("p_adjusted", "p.value")]:
        np.testing.assert_allclose(ours[a], theirs[b], rtol=RTOL, err_msg=a)


def test_marginal_means(case) -> None:
    _, ref, res = case
    theirs = _frame(ref["cell_means"])
    ours = res.marginal_means(within="wave")
    np.testing.assert_allclose(ours["mean"], theirs["emmean"], rtol=RTOL)
    np.testing.assert_allclose(ours["se"], theirs["SE"], rtol=RTOL)
