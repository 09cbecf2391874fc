"""Chunked, optionally parallel evaluation of bootstrap replicates.

The ``B`` replicates are cut into chunks that bound memory. Each chunk draws its own
rows of the weight matrix from the root :class:`~numpy.random.SeedSequence` (see
:mod:`.weights`), so the replicates are identical whatever the chunk size, the number
of workers or the backend. Chunks run in threads (numpy releases the GIL in the matrix
products and solves that dominate the batched kernels) or, optionally, as Dask tasks.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, Literal

import numpy as np

from kbeffect.errors import DependencyError
from kbeffect.inference.bootstrap.estimators import Prepared, ReplicateBatch
from kbeffect.inference.bootstrap.weights import WeightKind, replicate_weights

__all__ = ["ProgressBar", "chunk_bounds", "default_chunk_size", "run_replicates"]

Backend = Literal["threads", "dask"]

#: Floats per array a chunk may hold (32 MiB of float64).
_CHUNK_FLOATS = 2**22


class ProgressBar:
    """A dependency-free text progress bar written to ``stream`` (default stderr).

    Parameters
    ----------
    total : int
        Number of replicates.
    enabled : bool
        Draw nothing when False.
    stream : file-like, optional
        Where to write (default ``sys.stderr``).
    """

    def __init__(self, total: int, *, enabled: bool = True, stream: Any = None) -> None:
        self.total, self.enabled, self.done = total, enabled, 0
        self.stream = sys.stderr if stream is None else stream
        self._t0 = time.perf_counter()

    def update(self, n: int) -> None:
        """Record ``n`` more finished replicates and redraw."""
        self.done += n
        if not self.enabled:
            return
        frac = self.done / self.total if self.total else 1.0
        filled = round(30 * frac)
        secs = time.perf_counter() - self._t0
        self.stream.write(
            f"\rbootstrap [{'#' * filled}{' ' * (30 - filled)}] {self.done}/{self.total} "
            f"{secs:6.1f}s"
        )
        if self.done >= self.total:
            self.stream.write("\n")
        self.stream.flush()


def default_chunk_size(prepared: Prepared, n_replicates: int) -> int:
    """Replicates per chunk so that a ``(chunk, n)`` float array stays under 32 MiB."""
    width = int(getattr(prepared, "replicate_width", prepared.n_clusters))
    return int(max(1, min(n_replicates, _CHUNK_FLOATS // max(width, 1))))


def chunk_bounds(n_replicates: int, chunk_size: int) -> list[tuple[int, int]]:
    """Return ``[(start, stop), ...]`` covering ``0..n_replicates`` in chunks."""
    return [(s, min(s + chunk_size, n_replicates)) for s in range(0, n_replicates, chunk_size)]


def _concat(parts: list[ReplicateBatch]) -> ReplicateBatch:
    ses = [p.se for p in parts if p.se is not None]
    se = np.concatenate(ses) if len(ses) == len(parts) else None
    return ReplicateBatch(
        theta=np.concatenate([p.theta for p in parts]),
        se=se,
        ok=np.concatenate([p.ok for p in parts]),
    )


def run_replicates(
    prepared: Prepared,
    *,
    kind: WeightKind,
    n_replicates: int,
    seed_seq: np.random.SeedSequence,
    chunk_size: int | None = None,
    n_jobs: int = 1,
    backend: Backend = "threads",
    progress: bool = False,
    weights_fn: Callable[[int, int], np.ndarray] | None = None,
) -> ReplicateBatch:
    """Evaluate ``prepared`` on all replicates, chunk by chunk.

    Parameters
    ----------
    prepared : Prepared
        Prepared estimator (``run(W, kind)``).
    kind : str
        Weight kind (see :func:`.weights.replicate_weights`).
    n_replicates : int
        ``B``.
    seed_seq : SeedSequence
        Root seed sequence of the bootstrap.
    chunk_size : int, optional
        Replicates per chunk (default: :func:`default_chunk_size`).
    n_jobs : int
        Worker threads (``backend="threads"``); ``1`` runs in the calling thread.
    backend : {"threads", "dask"}
        ``"dask"`` submits one task per chunk to the active Dask scheduler (the
        distributed client if one is running); needs the ``dask`` extra.
    progress : bool
        Draw a progress bar on stderr.
    weights_fn : callable, optional
        ``weights_fn(start, stop) -> W``; overrides the seeded weights (jackknife).

    Returns
    -------
    ReplicateBatch
        Replicates in order ``0..B-1``.
    """
    size = chunk_size or default_chunk_size(prepared, n_replicates)
    bounds = chunk_bounds(n_replicates, size)
    bar = ProgressBar(n_replicates, enabled=progress)

    def draw(start: int, stop: int) -> np.ndarray:
        if weights_fn is not None:
            return weights_fn(start, stop)
        return replicate_weights(
            kind, prepared.n_clusters, n_replicates, seed_seq, start=start, stop=stop
        )

    def work(bound: tuple[int, int]) -> ReplicateBatch:
        return prepared.run(draw(*bound), kind)

    parts: list[ReplicateBatch] = []
    with _single_threaded_blas():  # process-wide: set once, not per (concurrent) chunk
        if backend == "dask":
            parts = _run_dask(work, bounds)
            bar.update(n_replicates)
        elif n_jobs == 1 or len(bounds) == 1:
            for b in bounds:
                parts.append(work(b))
                bar.update(b[1] - b[0])
        else:
            with ThreadPoolExecutor(max_workers=n_jobs) as pool:
                for b, part in zip(bounds, pool.map(work, bounds), strict=True):
                    parts.append(part)
                    bar.update(b[1] - b[0])
    return _concat(parts)


@contextmanager
def _single_threaded_blas() -> Iterator[None]:
    """Run BLAS on one thread inside a chunk.

    The batched products are small and many; multi-threaded BLAS on top of chunk-level
    parallelism oversubscribes the cores (measured 10x slower on a busy 2-core machine).
    Parallelism comes from ``n_jobs`` instead, and one BLAS thread also makes the
    floating-point results independent of the machine's thread count. The limit is
    process-wide while the bootstrap runs. threadpoolctl ships with scikit-learn.
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - scikit-learn is a dependency
        yield
        return
    with threadpool_limits(limits=1, user_api="blas"):
        yield


def _run_dask(
    work: Callable[[tuple[int, int]], ReplicateBatch], bounds: list[tuple[int, int]]
) -> list[ReplicateBatch]:
    try:
        import dask
    except ImportError as exc:
        raise DependencyError(
            "backend='dask' needs Dask: pip install 'kbeffect[dask]' (dask[distributed])."
        ) from exc
    tasks = [dask.delayed(work)(b) for b in bounds]
    return list(dask.compute(*tasks))
