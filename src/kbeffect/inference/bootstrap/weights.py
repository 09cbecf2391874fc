"""Replicate weight matrices over clusters, reproducible whatever the chunking.

Every bootstrap in kbeffect is expressed as a ``(B, G)`` matrix of weights over the
``G`` resampling units (families, matched pairs): replicate ``b`` is the original sample
with cluster ``g`` counted ``W[b, g]`` times. The kinds are

``"multinomial"``
    Nonparametric cluster bootstrap (Efron; Davison & Hinkley 1997, sec. 3.8): counts
    ``W[b] ~ Multinomial(G, (1/G, ..., 1/G))``, i.e. ``G`` clusters drawn with replacement.
``"bayesian"``
    Bayesian bootstrap (Rubin 1981): ``W[b] = G * Dirichlet(1, ..., 1)``, mean weight 1.
``"rademacher"`` / ``"webb"``
    Multipliers of the wild cluster bootstrap (Cameron, Gelbach & Miller 2008; Webb 2023):
    ``+-1`` with probability 1/2 each, or Webb's six-point distribution
    ``+-sqrt(1/2), +-1, +-sqrt(3/2)`` with probability 1/6 each. These are not resampling
    weights: kernels apply them to cluster scores (see :func:`~.kernels.wls_wild`).

Reproducibility. Replicates are generated in fixed blocks of :data:`BLOCK` rows; block
``k`` is drawn from its own stream ``SeedSequence(entropy, spawn_key=(k,))`` of one root
sequence. Any slice ``[start, stop)`` of the matrix is therefore identical whether it is
drawn at once, in chunks of any size, or by parallel workers.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from kbeffect._validation import check_literal, check_positive_int
from kbeffect.errors import SpecificationError

__all__ = [
    "BLOCK",
    "RESAMPLING_KINDS",
    "WILD_KINDS",
    "WeightKind",
    "replicate_weights",
    "root_seed_sequence",
]

WeightKind = Literal["multinomial", "bayesian", "rademacher", "webb"]
RESAMPLING_KINDS: tuple[str, ...] = ("multinomial", "bayesian")
WILD_KINDS: tuple[str, ...] = ("rademacher", "webb")
#: Number of replicates drawn from one child stream (fixed: part of the reproducibility contract).
BLOCK = 64

_WEBB = np.array([-np.sqrt(1.5), -1.0, -np.sqrt(0.5), np.sqrt(0.5), 1.0, np.sqrt(1.5)])


def root_seed_sequence(seed: int | np.random.Generator | np.random.SeedSequence | None) -> (
    np.random.SeedSequence
):
    """Return the root :class:`numpy.random.SeedSequence` of a bootstrap.

    Parameters
    ----------
    seed : int, Generator, SeedSequence or None
        An int or ``None`` seeds a new sequence (``None``: fresh OS entropy). A Generator
        is consumed for 126 bits of entropy (one int), so successive calls with one
        Generator give independent bootstraps, and ``SeedSequence.entropy`` is always an
        int that reproduces the bootstrap when passed as ``seed``.

    Returns
    -------
    SeedSequence
    """
    if isinstance(seed, np.random.SeedSequence):
        return seed
    if isinstance(seed, np.random.Generator):
        hi, lo = (int(v) for v in seed.integers(0, 2**63, size=2, dtype=np.uint64))
        return np.random.SeedSequence((hi << 63) | lo)
    if seed is None or (isinstance(seed, int | np.integer) and not isinstance(seed, bool)):
        if seed is not None and seed < 0:
            raise SpecificationError(f"seed must be a non-negative int; got {seed!r}.")
        return np.random.SeedSequence(None if seed is None else int(seed))
    raise SpecificationError(
        f"seed must be an int, a numpy Generator, a SeedSequence or None; got {seed!r}."
    )


def _block(kind: str, n_clusters: int, root: np.random.SeedSequence, k: int) -> np.ndarray:
    ss = np.random.SeedSequence(root.entropy, spawn_key=(*root.spawn_key, k))
    rng = np.random.default_rng(ss)
    if kind == "multinomial":
        # G draws with replacement per row, counted: Multinomial(G, 1/G, ..., 1/G)
        draws = rng.integers(0, n_clusters, size=(BLOCK, n_clusters))
        flat = draws + (np.arange(BLOCK) * n_clusters)[:, None]
        return np.bincount(flat.ravel(), minlength=BLOCK * n_clusters).reshape(
            BLOCK, n_clusters
        ).astype(float)
    if kind == "bayesian":
        # Dirichlet(1,...,1) = normalised standard exponentials (exact, and cheaper).
        e = rng.standard_exponential((BLOCK, n_clusters))
        return e * (n_clusters / e.sum(axis=1, keepdims=True))
    if kind == "rademacher":
        return rng.integers(0, 2, size=(BLOCK, n_clusters)).astype(float) * 2.0 - 1.0
    return _WEBB[rng.integers(0, 6, size=(BLOCK, n_clusters))]


def replicate_weights(
    kind: WeightKind,
    n_clusters: int,
    n_replicates: int,
    seed: int | np.random.Generator | np.random.SeedSequence | None = None,
    *,
    start: int = 0,
    stop: int | None = None,
) -> np.ndarray:
    """Draw rows ``start:stop`` of the ``(n_replicates, n_clusters)`` weight matrix.

    Parameters
    ----------
    kind : {"multinomial", "bayesian", "rademacher", "webb"}
        Weight distribution (see the module docstring).
    n_clusters : int
        Number of resampling units ``G``.
    n_replicates : int
        Total number of replicates ``B`` (rows of the full matrix).
    seed : int, Generator, SeedSequence or None
        Seed of the root stream; pass the same :class:`SeedSequence` to draw several
        slices of one matrix.
    start, stop : int
        Slice of replicates to draw (default: all). The rows do not depend on the slice.

    Returns
    -------
    ndarray of shape (stop - start, n_clusters)
        Float weights. Multinomial rows sum to ``G``; Bayesian rows sum to ``G``.
    """
    check_literal("kind", kind, (*RESAMPLING_KINDS, *WILD_KINDS))
    n_clusters = check_positive_int("n_clusters", n_clusters, minimum=2)
    n_replicates = check_positive_int("n_replicates", n_replicates)
    stop = n_replicates if stop is None else stop
    if not 0 <= start <= stop <= n_replicates:
        raise SpecificationError(
            f"need 0 <= start <= stop <= n_replicates; got start={start}, stop={stop}, "
            f"n_replicates={n_replicates}."
        )
    root = root_seed_sequence(seed)
    if start == stop:
        return np.empty((0, n_clusters))
    first, last = start // BLOCK, (stop - 1) // BLOCK
    blocks = [_block(kind, n_clusters, root, k) for k in range(first, last + 1)]
    out = np.concatenate(blocks, axis=0)
    offset = first * BLOCK
    return out[start - offset : stop - offset]
