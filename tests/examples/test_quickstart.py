"""The quickstart example runs end to end and lands near the truth."""

from __future__ import annotations

import runpy
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_quickstart_runs_and_recovers_the_truth(capsys):
    ns = runpy.run_path(str(EXAMPLES / "quickstart.py"))
    out = ns["main"](n_families=1325, seed=1)
    text = capsys.readouterr().out
    assert "Repeated" in text or "ANOVA" in text
    assert abs(out["att"] - out["truth"]) < 10.0  # incidents/year; SE is about 10
