"""The published-design recipe (examples/published_design.py) on a simulated cohort."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from kbeffect.design import match, weight

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "published_design.py"


def _recipe() -> ModuleType:
    spec = importlib.util.spec_from_file_location("published_design", EXAMPLE)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def sample():  # type: ignore[no-untyped-def]
    mod = _recipe()
    fam, obs = mod.analysis_sample(11)
    return mod, fam, obs


def test_published_design_and_better_designs(sample) -> None:  # type: ignore[no-untyped-def]
    mod, fam, obs = sample
    demo, probs = mod.DEMOGRAPHICS, mod.BASELINE_PROBLEMS
    assert set(fam["kb"]) == {0, 1} and fam["family_id"].is_unique
    pub_all = match(fam, treatment="kb", covariates=demo, missing="drop")
    # complete cases on the matching variables, as the report; exclusions are counted
    n_missing = int(fam[demo].isna().any(axis=1).sum())
    assert pub_all.exclusions.total == n_missing
    complete = fam.dropna(subset=demo + probs).reset_index(drop=True)
    pub = match(complete, treatment="kb", covariates=demo)
    # 1:1 without replacement: every treated family gets one control (controls outnumber)
    assert pub.n_matched["treated"] == int(complete.kb.sum()) == pub.n_matched["control"]
    bal = pub.balance(demo + probs, distance=False).table
    family_terms = [t for t in bal.index if t.split("[")[0] in demo]
    assert np.abs(bal.loc[family_terms, "smd_adj"]).max() < 0.15
    better = match(complete, treatment="kb", covariates=demo + probs, caliper=0.2)
    bal_b = better.balance(demo + probs, distance=False).table
    eb = weight(complete, treatment="kb", covariates=demo + probs, method="ebal",
                estimand="ATT").balance().table
    assert np.abs(eb["smd_adj"]).max() < 1e-6
    # adding the baseline problems to the score does not worsen their balance
    worst_pub = np.abs(bal.loc[probs, "smd_adj"]).max()
    assert np.abs(bal_b.loc[probs, "smd_adj"]).max() <= max(worst_pub, 0.1)
    # weights broadcast to every parent/child x wave row of matched families
    long = pub.matched_data(obs, weights="w", subclass=None, distance=None)
    matched_ids = set(complete.loc[pub.weights > 0, "family_id"])
    assert set(long["family_id"]) == matched_ids
    assert len(long) == int(obs["family_id"].isin(matched_ids).sum())


def test_recipe_script_runs(sample, capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    mod, _, _ = sample
    monkeypatch.setattr("sys.argv", ["published_design.py", "--seed", "11"])
    mod.main()
    out = capsys.readouterr().out
    assert "Standardised mean differences" in out and "child_trauma" in out
