from __future__ import annotations

import numpy as np
import pytest
from statsmodels.stats.multitest import multipletests

from kbeffect.effects.multiplicity import adjust_pvalues
from kbeffect.errors import SpecificationError

SM = {"holm": "holm", "bonferroni": "bonferroni", "bh": "fdr_bh"}


@pytest.mark.parametrize("method", ["holm", "bonferroni", "bh"])
@pytest.mark.parametrize("k", [1, 2, 5, 40])
def test_matches_statsmodels(method: str, k: int) -> None:
    rng = np.random.default_rng(k)
    p = np.concatenate([rng.uniform(0, 0.05, k // 2), rng.uniform(0, 1, k - k // 2)])
    rng.shuffle(p)
    expected = multipletests(p, method=SM[method])[1]
    np.testing.assert_allclose(adjust_pvalues(p, method=method), expected, rtol=1e-13)


@pytest.mark.parametrize("method", ["holm", "bonferroni", "bh"])
def test_ties_match_statsmodels(method: str) -> None:
    p = np.array([0.01, 0.02, 0.02, 0.02, 0.5, 0.01, 0.9])
    expected = multipletests(p, method=SM[method])[1]
    np.testing.assert_allclose(adjust_pvalues(p, method=method), expected, rtol=1e-13)


def test_hand_values() -> None:
    # R: p.adjust(c(.01, .04, .03), "holm") -> .03 .06 .06 ; "BH" -> .03 .04 .04
    np.testing.assert_allclose(adjust_pvalues([0.01, 0.04, 0.03]), [0.03, 0.06, 0.06])
    np.testing.assert_allclose(adjust_pvalues([0.01, 0.04, 0.03], "bh"), [0.03, 0.04, 0.04])
    np.testing.assert_allclose(adjust_pvalues([0.4, 0.6], "bonferroni"), [0.8, 1.0])


def test_nan_and_shape_preserved() -> None:
    p = np.array([[0.01, np.nan], [0.04, 0.03]])
    out = adjust_pvalues(p, "holm")
    assert out.shape == (2, 2)
    assert np.isnan(out[0, 1])
    np.testing.assert_allclose(out[~np.isnan(p)], [0.03, 0.06, 0.06])


def test_n_tests_larger_family() -> None:
    # R: p.adjust(c(.01, .02), "holm", n = 4) -> .04 .06 ; "BH", n = 4 -> .04 .04
    np.testing.assert_allclose(adjust_pvalues([0.01, 0.02], "holm", n_tests=4), [0.04, 0.06])
    np.testing.assert_allclose(adjust_pvalues([0.01, 0.02], "bh", n_tests=4), [0.04, 0.04])
    np.testing.assert_allclose(adjust_pvalues([0.1], "bonferroni", n_tests=3), [0.3])


def test_none_and_empty() -> None:
    np.testing.assert_array_equal(adjust_pvalues([0.2, 0.5], "none"), [0.2, 0.5])
    assert adjust_pvalues([], "holm").shape == (0,)


def test_holm_never_above_bonferroni_and_bh_never_above_holm() -> None:
    rng = np.random.default_rng(3)
    p = rng.uniform(size=30) ** 2
    b, h, f = (adjust_pvalues(p, m) for m in ("bonferroni", "holm", "bh"))
    assert np.all(h <= b + 1e-15) and np.all(f <= h + 1e-15) and np.all(f >= p)


def test_bad_input() -> None:
    with pytest.raises(SpecificationError, match="method"):
        adjust_pvalues([0.1], "fdr")  # type: ignore[arg-type]
    with pytest.raises(SpecificationError, match="pvalues"):
        adjust_pvalues([1.2])
    with pytest.raises(SpecificationError, match="n_tests"):
        adjust_pvalues([0.1, 0.2], n_tests=1)
