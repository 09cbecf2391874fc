"""Benchmark: nearest-neighbour matching time, kbeffect vs a naive O(n^2) matcher.

Run from the repository root::

    .venv/bin/python benchmarks/bench_matching.py [--sizes 2000 20000 200000] [--out FILE]

For each cohort size (10% treated) it times

* ``nearest_match`` (kernel: 1:1 greedy, without replacement, largest-first, the distance
  already estimated) and the same with a 0.2 SD caliper, 3:1 and with replacement;
* ``kbeffect.design.match`` end to end (logit propensity model on 5 covariates + matching);
* a naive greedy matcher that scans every available control for every treated unit
  (vectorised over controls with numpy, O(n_treated x n_control)), the textbook
  implementation; its matches are checked to be identical to the kernel's.

Timings are the best of ``--repeat`` runs (naive: one run). Results are printed as a
Markdown table and written to ``--out`` if given.
"""

from __future__ import annotations

import argparse
import platform
import time
from functools import partial

import numpy as np
import pandas as pd

from kbeffect.design import match
from kbeffect.design.matching.nearest import nearest_match


def naive_nearest(d: np.ndarray, treat: np.ndarray) -> np.ndarray:
    """Greedy 1:1 matching without replacement, largest first, by full scans."""
    focal = np.flatnonzero(treat)
    ctrl = np.flatnonzero(~treat)
    dc = d[ctrl]
    avail = np.ones(len(ctrl), bool)
    out = np.full(len(focal), -1, dtype=np.int64)
    order = np.argsort(-d[focal], kind="stable")
    for i in order:
        diff = np.where(avail, np.abs(dc - d[focal[i]]), np.inf)
        j = int(np.argmin(diff))
        if np.isfinite(diff[j]):
            out[i] = ctrl[j]
            avail[j] = False
    return out


def cohort(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 5))
    lp = -2.6 + X @ np.array([0.5, -0.4, 0.3, 0.2, -0.1])
    t = rng.random(n) < 1 / (1 + np.exp(-lp))
    # exactly 10% treated, as in the brief (200k units / 20k treated)
    idx = np.argsort(-(lp + rng.logistic(size=n)))
    t = np.zeros(n, bool)
    t[idx[: n // 10]] = True
    df = pd.DataFrame(X, columns=[f"x{i}" for i in range(5)])
    df["treated"] = t.astype(int)
    return df


def best_of(fn, repeat: int) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[2000, 20000, 200000])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--naive-max", type=int, default=200000,
                    help="largest size for the naive matcher")
    ap.add_argument("--out", default=None)
    a = ap.parse_args()
    rows = []
    for n in a.sizes:
        df = cohort(n)
        covs = [f"x{i}" for i in range(5)]
        res = match(df, treatment="treated", covariates=covs)
        d = res.distance
        t = df["treated"].to_numpy() == 1
        row: dict[str, object] = {"units": n, "treated": int(t.sum())}
        cal = 0.2 * float(d.std(ddof=1))
        row["kernel 1:1 (s)"] = best_of(partial(nearest_match, d, t), a.repeat)
        row["kernel 1:1 caliper 0.2 SD (s)"] = best_of(
            partial(nearest_match, d, t, caliper=cal), a.repeat)
        row["kernel 3:1 (s)"] = best_of(partial(nearest_match, d, t, ratio=3), a.repeat)
        row["kernel 1:1 replace (s)"] = best_of(partial(nearest_match, d, t, replace=True),
                                                a.repeat)
        row["match() end to end (s)"] = best_of(
            partial(match, df, treatment="treated", covariates=covs), a.repeat)
        if n <= a.naive_max:
            t0 = time.perf_counter()
            naive = naive_nearest(d, t)
            row["naive O(n^2) 1:1 (s)"] = time.perf_counter() - t0
            fast = nearest_match(d, t).match_matrix[:, 0]
            row["identical matches"] = bool(np.array_equal(naive, fast))
            row["speed-up"] = row["naive O(n^2) 1:1 (s)"] / row["kernel 1:1 (s)"]  # type: ignore[operator]
        rows.append(row)
        print(rows[-1], flush=True)
    table = pd.DataFrame(rows)
    md = table.to_markdown(index=False, floatfmt=".4f") if _has_tabulate() else table.to_string()
    header = (f"Machine: {platform.processor() or platform.machine()}, Python "
              f"{platform.python_version()}, numpy {np.__version__}; best of {a.repeat} runs "
              "(naive: 1 run).\n\n")
    print(header + md)
    if a.out:
        with open(a.out, "w") as fh:
            fh.write(header + md + "\n")


def _has_tabulate() -> bool:
    try:
        import tabulate  # noqa: F401
    except ImportError:
        return False
    return True


if __name__ == "__main__":
    main()
