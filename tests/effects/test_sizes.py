from __future__ import annotations

import numpy as np
import pingouin as pg
import pytest

from kbeffect.effects.sizes import (
    THRESHOLDS,
    convert_effect_size,
    effect_size_label,
    is_reportable,
)
from kbeffect.errors import SpecificationError


def test_thresholds_are_table_2_2() -> None:
    # shared/study/published_findings.md, D2-2.2-effect-sizes
    assert THRESHOLDS["r"] == (0.1, 0.3, 0.5)
    assert THRESHOLDS["d"] == (0.2, 0.5, 0.8)
    assert THRESHOLDS["eta2"] == (0.01, 0.06, 0.14)
    assert THRESHOLDS["eta2_rm"] == (0.02, 0.13, 0.26)


@pytest.mark.parametrize(
    ("value", "measure", "label"),
    [
        (0.22, "eta2_rm", "medium"),  # Table 5.8 time effect
        (0.22, "eta2", "large"),
        (0.012, "eta2_rm", "negligible"),  # a group x time effect the report calls small
        (0.012, "eta2", "small"),
        (0.26, "eta2_rm", "large"),  # boundaries belong to the higher label
        (0.13, "eta2_rm", "medium"),
        (0.0199, "eta2_rm", "negligible"),
        (-0.35, "r", "medium"),
        (-0.85, "d", "large"),
        (0.19, "d", "negligible"),
        (0.1, "phi", "small"),
    ],
)
def test_labels(value: float, measure: str, label: str) -> None:
    assert effect_size_label(value, measure) == label  # type: ignore[arg-type]


def test_labels_vectorised_with_nan() -> None:
    out = effect_size_label(np.array([0.005, 0.07, np.nan, 0.3]), "eta2")
    assert list(out) == ["negligible", "medium", "", "large"]


def test_reporting_rules() -> None:
    # section 2.6: significant and >= small; ch. 8: significant and eta2 > .02
    assert is_reportable(0.02, 0.01, "eta2_rm", rule="report")
    assert not is_reportable(0.02, 0.01, "eta2_rm", rule="ch8")
    assert is_reportable(0.015, 0.01, "eta2", rule="report")
    assert not is_reportable(0.015, 0.01, "eta2", rule="ch8")
    assert not is_reportable(0.30, 0.2, "eta2_rm")
    np.testing.assert_array_equal(
        is_reportable([0.25, 0.05], [0.001, 0.001], "d"), [True, False]
    )
    with pytest.raises(SpecificationError, match="rule"):
        is_reportable(0.1, 0.01, "d", rule="strict")  # type: ignore[arg-type]


@pytest.mark.parametrize("d", [-1.2, -0.3, 0.0, 0.2, 0.5, 0.8, 2.0])
def test_d_r_eta2_match_pingouin(d: float) -> None:
    r = convert_effect_size(d, from_="d", to="r")
    expected = pg.convert_effsize(d, "cohen", "pointbiserialr")
    np.testing.assert_allclose(r, expected, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(
        convert_effect_size(d, from_="d", to="eta2"),
        pg.convert_effsize(d, "cohen", "pointbiserialr") ** 2,
        rtol=1e-12, atol=1e-15,
    )
    np.testing.assert_allclose(convert_effect_size(r, from_="r", to="d"), d, atol=1e-12)
    r_unequal = convert_effect_size(d, from_="d", to="r", n1=30, n2=10)
    expected = pg.convert_effsize(d, "cohen", "pointbiserialr", nx=30, ny=10)
    np.testing.assert_allclose(r_unequal, expected, rtol=1e-12, atol=1e-15)
    back = convert_effect_size(r_unequal, from_="r", to="d", n1=30, n2=10)
    np.testing.assert_allclose(back, d, atol=1e-12)


def test_d_to_r_equals_point_biserial_correlation() -> None:
    rng = np.random.default_rng(0)
    x, y = rng.normal(0.5, 1, 40), rng.normal(0, 1, 25)
    d = pg.compute_effsize(x, y, eftype="cohen")
    r_pb = np.corrcoef(np.r_[np.ones(40), np.zeros(25)], np.r_[x, y])[0, 1]
    np.testing.assert_allclose(convert_effect_size(d, from_="d", to="r", n1=40, n2=25), r_pb,
                               rtol=1e-10)
    assert abs(convert_effect_size(d, from_="d", to="r") - r_pb) > 1e-3  # a = 4 is approximate


def test_f_and_partial_eta2_round_trip() -> None:
    pes = convert_effect_size(4.0, from_="F", to="partial_eta2", df1=1, df2=36)
    np.testing.assert_allclose(pes, 0.1)
    np.testing.assert_allclose(convert_effect_size(pes, from_="partial_eta2", to="F", df1=1,
                                                   df2=36), 4.0)
    np.testing.assert_allclose(convert_effect_size(0.2, from_="eta2", to="f"), 0.5)
    np.testing.assert_allclose(convert_effect_size(0.25, from_="f2", to="eta2"), 0.2)
    arr = convert_effect_size(np.array([0.01, 0.06, 0.14]), from_="eta2", to="f")
    np.testing.assert_allclose(arr, np.sqrt([0.01 / 0.99, 0.06 / 0.94, 0.14 / 0.86]))


def test_f_to_partial_eta2_matches_anova_sums_of_squares() -> None:
    rng = np.random.default_rng(1)
    import pandas as pd

    from kbeffect.models.anova import rm_anova

    rows = [(i, g, w, rng.normal(w * (g == "b"), 1)) for i, g in enumerate("ab" * 8)
            for w in range(3)]
    d = pd.DataFrame(rows, columns=["id", "group", "wave", "y"])
    t = rm_anova(d, dv="y", subject="id", between="group").tidy()
    pes = convert_effect_size(t["F"].to_numpy(), from_="F", to="partial_eta2",
                              df1=t["df"].to_numpy(), df2=t["df_error"].to_numpy())
    np.testing.assert_allclose(pes, t["partial_eta2"], rtol=1e-12)


def test_conversion_errors() -> None:
    with pytest.raises(SpecificationError, match="one-way"):
        convert_effect_size(0.1, from_="eta2", to="partial_eta2")
    with pytest.raises(SpecificationError, match="df1"):
        convert_effect_size(3.0, from_="F", to="eta2")
    with pytest.raises(SpecificationError, match="n1"):
        convert_effect_size(0.3, from_="d", to="r", n1=10)
    with pytest.raises(SpecificationError, match="from_"):
        convert_effect_size(0.3, from_="g", to="r")  # type: ignore[arg-type]
    with pytest.raises(SpecificationError, match="range"):
        convert_effect_size(1.5, from_="r", to="d")
    # a negative squared measure is an input error, not a silent NaN
    for measure in ("eta2", "f2", "F"):
        with pytest.raises(SpecificationError, match="non-negative"):
            convert_effect_size(-0.1, from_=measure, to="r", df1=1, df2=30)  # type: ignore[arg-type]
