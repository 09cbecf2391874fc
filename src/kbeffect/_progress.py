"""A dependency-free progress bar on standard error (off unless asked for)."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Iterator
from typing import TextIO, TypeVar

__all__ = ["progress"]

T = TypeVar("T")


def progress(
    items: Iterable[T],
    *,
    total: int | None = None,
    label: str = "",
    enabled: bool = True,
    stream: TextIO | None = None,
) -> Iterator[T]:
    """Yield ``items`` while drawing a one-line progress bar on ``stream`` (stderr).

    Parameters
    ----------
    items : iterable
        What to iterate over.
    total : int, optional
        Number of items (taken from ``len(items)`` when available).
    label : str
        Text shown before the bar.
    enabled : bool
        When False, items are yielded with no output at all.
    stream : file-like, optional
        Where to draw; default ``sys.stderr``.

    Yields
    ------
    object
        The items, unchanged.
    """
    if not enabled:
        yield from items
        return
    out = stream if stream is not None else sys.stderr
    if total is None and hasattr(items, "__len__"):
        total = len(items)  # type: ignore[arg-type]
    start = time.perf_counter()
    for done, item in enumerate(items, start=1):
        yield item
        elapsed = time.perf_counter() - start
        if total:
            filled = int(30 * done / total)
            bar = "#" * filled + "-" * (30 - filled)
            out.write(f"\r{label} [{bar}] {done}/{total} {elapsed:5.1f}s")
        else:
            out.write(f"\r{label} {done} {elapsed:5.1f}s")
        out.flush()
    out.write("\n")
    out.flush()
