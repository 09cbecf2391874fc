"""Replicate weight matrices: distributions, seeding and chunk invariance."""

from __future__ import annotations

from typing import Any, cast

import numpy as np
import pytest
from scipy import stats

from kbeffect.errors import SpecificationError
from kbeffect.inference.bootstrap import replicate_weights
from kbeffect.inference.bootstrap.weights import BLOCK, root_seed_sequence

KINDS = ["multinomial", "bayesian", "rademacher", "webb"]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("chunk", [1, 7, BLOCK, 100, 1000])
def test_any_slicing_gives_the_same_matrix(kind: Any, chunk: int) -> None:
    B, G = 301, 23
    full = replicate_weights(kind, G, B, seed=42)
    root = root_seed_sequence(42)
    parts = [replicate_weights(kind, G, B, root, start=s, stop=min(s + chunk, B))
             for s in range(0, B, chunk)]
    np.testing.assert_array_equal(np.concatenate(parts), full)


def test_total_replicates_do_not_change_earlier_rows() -> None:
    a = replicate_weights("multinomial", 10, 100, seed=3)
    b = replicate_weights("multinomial", 10, 500, seed=3)
    np.testing.assert_array_equal(a, b[:100])


def test_multinomial_counts() -> None:
    W = replicate_weights("multinomial", 37, 2000, seed=1)
    assert W.shape == (2000, 37)
    np.testing.assert_array_equal(W.sum(axis=1), 37)
    assert np.all(np.round(W) == W) and W.min() >= 0
    # marginal count of one cluster ~ Binomial(G, 1/G)
    counts = np.bincount(W[:, 0].astype(int), minlength=8)[:5]
    expected = stats.binom.pmf(np.arange(5), 37, 1 / 37) * 2000
    assert stats.chisquare(counts, expected * counts.sum() / expected.sum()).pvalue > 1e-3


def test_bayesian_weights_are_scaled_dirichlet() -> None:
    G = 12
    W = replicate_weights("bayesian", G, 4000, seed=2)
    np.testing.assert_allclose(W.sum(axis=1), G)
    assert W.min() > 0
    # marginal share W / G ~ Beta(1, G - 1)
    assert stats.kstest(W[:, 3] / G, stats.beta(1, G - 1).cdf).pvalue > 1e-3


def test_seed_types() -> None:
    a = replicate_weights("webb", 5, 10, seed=np.random.SeedSequence(9))
    b = replicate_weights("webb", 5, 10, seed=9)
    np.testing.assert_array_equal(a, b)
    g = np.random.default_rng(1)
    c, d = replicate_weights("webb", 5, 10, seed=g), replicate_weights("webb", 5, 10, seed=g)
    assert not np.array_equal(c, d)  # a Generator is consumed: independent draws
    g2 = np.random.default_rng(1)
    np.testing.assert_array_equal(replicate_weights("webb", 5, 10, seed=g2), c)
    bad: Any
    for bad in (-1, 1.5, "x", True):
        with pytest.raises(SpecificationError, match="seed"):
            replicate_weights("webb", 5, 10, seed=bad)


def test_argument_errors() -> None:
    with pytest.raises(SpecificationError, match="kind"):
        replicate_weights(cast(Any, "poisson"), 5, 10)
    with pytest.raises(SpecificationError, match="n_clusters"):
        replicate_weights("multinomial", 1, 10)
    with pytest.raises(SpecificationError, match="start"):
        replicate_weights("multinomial", 5, 10, start=5, stop=20)
    assert replicate_weights("multinomial", 5, 10, start=4, stop=4).shape == (0, 5)


def test_seed_entropy_reproduces_a_generator_seeded_bootstrap() -> None:
    root = root_seed_sequence(np.random.default_rng(5))
    assert isinstance(root.entropy, int)
    a = replicate_weights("bayesian", 8, 20, root)
    np.testing.assert_array_equal(replicate_weights("bayesian", 8, 20, seed=root.entropy), a)
