"""The command line: simulate writes a cohort and its truth; analyze runs the main job."""

from __future__ import annotations

import json

import pandas as pd

from kbeffect.cli import main
from kbeffect.data.readers import read_cohort
from kbeffect.sim import Truth, simulate_cohort


def test_simulate_writes_tables_and_truth(tmp_path, capsys):
    out = tmp_path / "cohort"
    assert main(["simulate", "--families", "300", "--seed", "7", "--out", str(out)]) == 0
    for name in ("families", "parents", "children", "observations"):
        assert (out / f"{name}.parquet").is_file()
    truth = Truth.from_json(str(out / "truth.json"))
    again = simulate_cohort(300, seed=7)
    pd.testing.assert_frame_equal(truth.effects, again.truth.effects, check_dtype=False)
    back = read_cohort(directory=out)
    assert len(back.families) == 300
    assert len(back.observations) == len(again.observations)
    # refuses to overwrite, with a clear message and exit code 2
    assert main(["simulate", "--families", "300", "--seed", "7", "--out", str(out)]) == 2
    assert "overwrite" in capsys.readouterr().err


def test_analyze_runs_on_simulated_default_and_writes_results(tmp_path, capsys):
    out = tmp_path / "res"
    code = main(["analyze", "--families", "900", "--seed", "2", "--bootstrap", "99",
                 "--no-progress", "--out", str(out)])
    assert code == 0
    text = capsys.readouterr().out
    assert "Robustness audit" in text and "Cohort description" in text
    tab = pd.read_csv(out / "audit.csv")
    assert {"published", "ipw_did", "nb_mixed"} <= set(tab["spec"])
    assert json.loads((out / "meta.json").read_text())["bootstrap_replicates"] == 99
    assert (out / "audit.png").stat().st_size > 0


def test_analyze_reads_a_data_directory(tmp_path, capsys):
    data = tmp_path / "data"
    assert main(["simulate", "--families", "900", "--seed", "4", "--out", str(data),
                 "--format", "csv"]) == 0
    capsys.readouterr()
    assert main(["analyze", "--data", str(data), "--bootstrap", "99", "--no-progress"]) == 0
    text = capsys.readouterr().out
    assert "cohort               : data" in text
