"""``kbeffect.bootstrap``: cluster, Bayesian and wild cluster bootstrap of an estimator."""

from __future__ import annotations

import dataclasses
from typing import Any, Literal

import numpy as np
import pandas as pd

from kbeffect._validation import check_literal, check_positive_int
from kbeffect.errors import SpecificationError
from kbeffect.inference.bootstrap.estimators import WLS, PairDifference, Prepared
from kbeffect.inference.bootstrap.generic import Generic
from kbeffect.inference.bootstrap.parallel import run_replicates
from kbeffect.inference.bootstrap.result import BootstrapResult
from kbeffect.inference.bootstrap.weights import (
    RESAMPLING_KINDS,
    WILD_KINDS,
    WeightKind,
    root_seed_sequence,
)

__all__ = ["bootstrap", "resolve_estimator"]


def resolve_estimator(estimator: Any) -> Any:
    """Return the bootstrap specification of ``estimator``.

    Accepted: a specification (an object with ``prepare(data, cluster)``, e.g.
    :class:`~kbeffect.inference.bootstrap.estimators.IPWDiD`), a fitted result that knows its
    specification (``bootstrap_spec()``, e.g. the result of :func:`kbeffect.ipw_did`), or
    any callable ``func(data, weights)`` (generic, looped path).
    """
    if hasattr(estimator, "bootstrap_spec"):
        return estimator.bootstrap_spec()
    if hasattr(estimator, "prepare"):
        return estimator
    if callable(estimator):
        return Generic(estimator)
    raise SpecificationError(
        "estimator must be a bootstrap specification, a kbeffect result with "
        f"bootstrap_spec(), or a callable func(data, weights); got {type(estimator).__name__}."
    )


def bootstrap(
    estimator: Any,
    data: pd.DataFrame,
    *,
    cluster: str | None = None,
    B: int = 999,
    seed: int | np.random.Generator | np.random.SeedSequence | None = None,
    kind: WeightKind = "multinomial",
    chunk_size: int | None = None,
    n_jobs: int = 1,
    backend: Literal["threads", "dask"] = "threads",
    progress: bool = False,
    studentize: bool = False,
) -> BootstrapResult:
    """Bootstrap an estimator by resampling clusters, all replicates at once.

    Parameters
    ----------
    estimator : specification, result or callable
        What to replicate: an :class:`~kbeffect.inference.bootstrap.estimators.IPWDiD`,
        ``WLS`` or ``PairDifference`` specification or a result of :func:`kbeffect.ipw_did`
        (batched kernels), or a function ``func(data, weights) -> float | array`` of a
        weighted sample (generic path, looped).
    data : DataFrame
        The data the estimator takes.
    cluster : str, optional
        Column of resampling units (families). ``None`` resamples rows (the naive bootstrap
        when rows are nested in families). Matched pairs resample the pair column.
    B : int
        Number of replicates.
    seed : int, Generator, SeedSequence or None
        Seed of the replicate weights. The same seed gives the same replicates whatever
        ``chunk_size``, ``n_jobs`` and ``backend``.
    kind : {"multinomial", "bayesian", "rademacher", "webb"}
        ``"multinomial"``: nonparametric cluster bootstrap; ``"bayesian"``: Bayesian
        bootstrap (Dirichlet weights over clusters); ``"rademacher"``/``"webb"``: wild
        cluster bootstrap (linear estimators only: ``WLS``, ``PairDifference``).
    chunk_size : int, optional
        Replicates evaluated at once (bounds memory); default keeps each array of a chunk
        under 32 MiB.
    n_jobs : int
        Worker threads for the chunks.
    backend : {"threads", "dask"}
        Parallel backend; ``"dask"`` needs the ``dask`` extra.
    progress : bool
        Show a progress bar on stderr.
    studentize : bool
        Also compute each replicate's standard error where it is not free (the IPW DiD:
        batched M-estimation sandwich), for ``ci(method="studentized")``. ``WLS`` and
        ``PairDifference`` always carry them; the generic path has none.

    Returns
    -------
    BootstrapResult

    Raises
    ------
    SpecificationError
        Unknown ``kind``/``backend``, a wild kind for a non-linear estimator.
    DependencyError
        ``backend="dask"`` without Dask installed.

    Examples
    --------
    >>> import kbeffect
    >>> res = kbeffect.ipw_did(fam, treatment="kb", outcome_pre="y0", outcome_post="y2",
    ...                        covariates=["income", "single_parent"])  # doctest: +SKIP
    >>> boot = kbeffect.bootstrap(res, fam, cluster="family_id", B=2000, seed=1)  # doctest: +SKIP
    >>> boot.ci(method="bca")  # doctest: +SKIP
    """
    check_literal("kind", kind, (*RESAMPLING_KINDS, *WILD_KINDS))
    check_literal("backend", backend, ("threads", "dask"))
    B = check_positive_int("B", B, minimum=2)
    n_jobs = check_positive_int("n_jobs", n_jobs)
    if chunk_size is not None:
        chunk_size = check_positive_int("chunk_size", chunk_size)
    if not isinstance(data, pd.DataFrame):
        raise SpecificationError(f"data must be a pandas DataFrame; got {type(data).__name__}.")
    spec = resolve_estimator(estimator)
    if studentize:
        if hasattr(spec, "replicate_se"):
            spec = dataclasses.replace(spec, replicate_se=True)
        elif not isinstance(spec, WLS | PairDifference):
            raise SpecificationError(
                "studentize=True needs an estimator with per-replicate standard errors "
                "(ipw_did/IPWDiD, WLS, PairDifference); the generic path has none."
            )
    prepared: Prepared = spec.prepare(data, cluster)
    if kind in WILD_KINDS and not prepared.supports_wild:
        raise SpecificationError(
            f"kind={kind!r} (wild cluster bootstrap) needs an estimator linear in the outcome "
            "(WLS, PairDifference); use kind='multinomial' or 'bayesian'."
        )
    if prepared.n_clusters < 2:
        raise SpecificationError("the bootstrap needs at least two clusters.")
    root = root_seed_sequence(seed)
    point = prepared.point()
    reps = run_replicates(
        prepared, kind=kind, n_replicates=B, seed_seq=root, chunk_size=chunk_size,
        n_jobs=n_jobs, backend=backend, progress=progress,
    )
    G = prepared.n_clusters

    def jackknife() -> np.ndarray:
        def leave_one_out(start: int, stop: int) -> np.ndarray:
            W = np.ones((stop - start, G))
            W[np.arange(stop - start), np.arange(start, stop)] = 0.0
            return W

        jk = run_replicates(
            prepared, kind="multinomial", n_replicates=G, seed_seq=root,
            chunk_size=chunk_size, n_jobs=n_jobs, backend=backend, weights_fn=leave_one_out,
        )
        return jk.theta

    entropy = root.entropy
    return BootstrapResult(
        names=tuple(prepared.names),
        theta0=point.theta[0],
        se0=None if point.se is None else point.se[0],
        theta=reps.theta,
        theta_se=reps.se,
        kind=kind,
        cluster=cluster,
        n_clusters=G,
        seed_entropy=int(entropy) if isinstance(entropy, int) else -1,  # -1: user sequence
        batched=prepared.batched,
        exclusions=prepared.exclusions,
        _jackknife=jackknife,
    )
