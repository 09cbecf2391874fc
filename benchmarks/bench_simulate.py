"""Benchmark: wall time and memory of ``kbeffect.sim.simulate_cohort``.

Times the simulator for 1,325 (the study), 10,000 and 100,000 families, without the truth
(tables only), with the sample truth, and the one-off population truth (a Monte Carlo
cohort of 100,000 families, cached per scenario). Reports the median of ``REPEATS`` runs
(process CPU time as well, since the machine may be shared).

Run ``python benchmarks/bench_simulate.py``; it prints a Markdown table and writes it to
``docs/benchmarks-simulate.md``.
"""

from __future__ import annotations

import platform
import time
import tracemalloc
from pathlib import Path

import numpy as np

from kbeffect.sim import Scenario, simulate_cohort
from kbeffect.sim.api import population_effects

REPEATS = 3
ROOT = Path(__file__).resolve().parents[1]


def _time(fn: object, repeats: int) -> tuple[float, float]:
    wall, cpu = [], []
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()  # type: ignore[operator]
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return float(np.median(wall)), float(np.median(cpu))


def main() -> str:
    rows = []
    for n in (1325, 10_000, 100_000):
        for label, kw in (("tables only", {"truth": False}),
                          ("tables + sample truth", {"population_size": 0})):
            repeats = REPEATS if n < 100_000 else 1
            wall, cpu = _time(lambda n=n, kw=kw: simulate_cohort(n, seed=1, **kw), repeats)
            rows.append((n, label, wall, cpu))
    tracemalloc.start()
    cohort = simulate_cohort(100_000, seed=1, truth=False)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    population_effects.cache_clear()
    wall, cpu = _time(lambda: population_effects(Scenario()), 1)
    rows.append((100_000, "population truth (once per scenario, cached)", wall, cpu))
    lines = [
        "# Simulator benchmark",
        "",
        f"Machine: {platform.machine()}, CPython {platform.python_version()}; median of "
        f"{REPEATS} runs (100,000 families: 1 run). The machine is shared, so CPU seconds "
        "are the steadier figure.",
        "",
        "| families | what | wall seconds | CPU seconds |",
        "|---:|---|---:|---:|",
        *[f"| {n:,} | {label} | {wall:.2f} | {cpu:.2f} |" for n, label, wall, cpu in rows],
        "",
        f"100,000 families: {len(cohort.observations):,} observation rows, peak traced memory "
        f"{peak / 2**20:.0f} MiB.",
        "",
    ]
    text = "\n".join(lines)
    (ROOT / "docs" / "benchmarks-simulate.md").write_text(text, encoding="utf-8")
    return text


if __name__ == "__main__":
    print(main())
