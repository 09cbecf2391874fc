"""The Table 5.8 example runs end to end on a simulated, matched cohort."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).parents[2] / "examples" / "table_5_8.py"


def test_table_5_8_example_runs(capsys: pytest.CaptureFixture[str]) -> None:
    spec = importlib.util.spec_from_file_location("table_5_8", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.main(7)
    out = capsys.readouterr().out
    assert "Time effect" in out and "Group x time" in out
    assert "Kb (" in out and "no-Kb (" in out
    assert "Mauchly" in out and "Pillai" in out
