"""Same seed, same draws: in a process that compiles the model and in one that loads it.

PyTensor caches the numba code of a log density on disk. With numba ``fastmath`` the code
compiled from scratch and the code loaded from the cache rounded differently in the last
bit, so the first process that fitted a model drew different numbers for the same seed
than every later one. The test runs two fresh interpreters on one empty compile cache:
the first compiles, the second loads.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("nutpie", reason="kbeffect.bayes needs the [bayes] extra (nutpie)")
pytestmark = pytest.mark.bayes

SCRIPT = """
import hashlib, warnings
import numpy as np, pandas as pd
warnings.simplefilter("ignore")
from kbeffect.models.bayes import bayes
rng = np.random.default_rng(0)
n = 30
fam = np.repeat(np.arange(n), 6)
wave = np.tile([0, 1, 2], 2 * n)
kb = np.repeat(rng.integers(0, 2, n), 6)
eta = 0.5 + np.repeat(rng.normal(0, 0.5, n), 6) - 0.3 * kb * (wave > 0)
d = pd.DataFrame({"family_id": fam, "wave": wave, "kb": kb, "y": rng.poisson(np.exp(eta)),
                  "w": np.repeat(rng.uniform(0.5, 2, n), 6)})
fit = bayes("y ~ kb * C(wave)", d, family="zinb", groups="family_id", weights="w",
            draws=40, tune=40, chains=2, seed=3, cores=2)
post = fit.idata.posterior
print("DRAWS", fit.sampler, hashlib.sha1(np.concatenate(
    [np.asarray(post[v].values, float).ravel() for v in sorted(post.data_vars)]
).tobytes()).hexdigest())
"""


def _run(compiledir: Path) -> str:
    env = {**os.environ, "PYTENSOR_FLAGS": f"base_compiledir={compiledir}"}
    out = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True,
                         text=True, timeout=600, check=True).stdout
    line = next(ln for ln in out.splitlines() if ln.startswith("DRAWS"))
    return line


def test_same_seed_same_draws_in_a_compiling_and_a_cache_loading_process(tmp_path):
    first = _run(tmp_path)  # empty cache: compiles
    second = _run(tmp_path)  # loads the compiled log density from the cache
    assert first.split()[1] == "nutpie"
    assert first == second
