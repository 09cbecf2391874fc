"""Shared building blocks: Summary, Exclusions, small-cell suppression, checks, progress."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

import kbeffect
from kbeffect._formula import design_matrices
from kbeffect._progress import progress
from kbeffect._results import Exclusions, Summary, suppress_small_cells
from kbeffect._validation import (
    as_generator,
    check_columns,
    check_literal,
    check_no_missing,
    check_positive_int,
    check_probability,
    reject_unknown_kwargs,
)


def test_summary_renders_text_html_latex():
    s = Summary("Title", {"n": 3}, {"A_b & c": pd.DataFrame({"x_1": [1.23456, 2.0],
                                                             "y": ["a%", "b"]})}, ("a note",))
    text = str(s)
    assert text.startswith("Title\n=====") and "n : 3" in text and "Note: a note" in text
    assert "<h5>A_b & c</h5>" in s._repr_html_()
    latex = s.as_latex()
    assert r"\caption{A\_b \& c}" in latex and r"1.235 & a\% \\" in latex


def test_exclusions_accumulate_and_hide_ids():
    e = Exclusions(unit="families").add("no consent", [3, 4]).add("no consent", [9])
    e = e.add("moved", [1])
    assert e.counts == {"no consent": 3, "moved": 1} and e.total == 4
    assert e.ids["no consent"] == (3, 4, 9)
    frame = e.to_frame()
    assert list(frame.columns) == ["reason", "n_excluded", "unit"]
    assert "3" not in " ".join(frame["reason"])  # ids never in the table
    assert e.notes() == ("3 families excluded: no consent.", "1 families excluded: moved.")


def test_suppress_small_cells_keeps_zeros_and_large_counts():
    t = pd.DataFrame({"group": ["a", "b", "c"], "n": [0, 4, 25]})
    out = suppress_small_cells(t, threshold=5)
    assert out["n"].tolist()[0] == 0 and out["n"].tolist()[2] == 25
    assert out["n"].isna().tolist() == [False, True, False]
    assert t["n"].tolist() == [0, 4, 25]  # input untouched


def test_checks_raise_kbeffect_errors_naming_the_argument():
    with pytest.raises(kbeffect.SpecificationError, match=r"method='x'.*'a', 'b'"):
        check_literal("method", "x", ("a", "b"))
    with pytest.raises(kbeffect.SpecificationError, match="B must be an integer >= 1"):
        check_positive_int("B", 0)
    with pytest.raises(kbeffect.SpecificationError, match="B must"):
        check_positive_int("B", True)
    with pytest.raises(kbeffect.SpecificationError, match=r"level must lie in \(0, 1\)"):
        check_probability("level", 1.0)
    df = pd.DataFrame({"a": [1.0, np.nan]})
    with pytest.raises(kbeffect.SchemaError, match=r"no column\(s\) \['b'\]"):
        check_columns(df, ["a", "b"])
    with pytest.raises(kbeffect.DataError, match=r"'a' \(1 rows\)"):
        check_no_missing(df, ["a"])
    with pytest.raises(TypeError, match="unexpected keyword"):
        reject_unknown_kwargs("f", {"foo": 1})
    assert isinstance(kbeffect.DataError("x"), ValueError)


def test_generators_are_reproducible():
    g = np.random.default_rng(5)
    assert as_generator(g) is g
    assert as_generator(3).normal() == as_generator(3).normal()
    with pytest.raises(kbeffect.SpecificationError):
        as_generator("seed")


def test_design_matrices_count_dropped_rows():
    df = pd.DataFrame({"y": [1.0, 2, 3, 4, np.nan], "x": [1, 2, 3, 4, 5], "g": list("ababa")})
    with pytest.raises(kbeffect.DataError, match="missing='drop'"):
        design_matrices("y ~ x + C(g)", df)
    dm = design_matrices("y ~ x + C(g)", df, missing="drop")
    assert dm.X.shape == (4, 3) and dm.exclusions.total == 1
    assert dm.rows.tolist() == [0, 1, 2, 3]
    with pytest.raises(kbeffect.SchemaError, match="'z'"):
        design_matrices("y ~ z", df)


def test_progress_writes_only_when_enabled():
    buf = io.StringIO()
    assert list(progress(range(3), label="x", stream=buf)) == [0, 1, 2]
    assert "3/3" in buf.getvalue()
    quiet = io.StringIO()
    assert list(progress(range(3), enabled=False, stream=quiet)) == [0, 1, 2]
    assert quiet.getvalue() == ""


def test_lazy_namespace_resolves_every_public_name():
    for name in kbeffect.__all__:
        assert getattr(kbeffect, name) is not None, name
    with pytest.raises(AttributeError):
        kbeffect.not_a_name  # noqa: B018


def test_complementary_suppression_protects_totals():
    t = pd.DataFrame({"n": [3, 40, 25, 68]}, index=["a", "b", "c", "total"])
    out = suppress_small_cells(t, threshold=5, total_row="total")
    # 'a' is small; without the complement it would be 68 - 40 - 25
    assert out["n"].isna().tolist() == [True, False, True, False]
    two = pd.DataFrame({"n": [3, 2, 25, 30]}, index=["a", "b", "c", "total"])
    assert suppress_small_cells(two, threshold=5, total_row="total")["n"].isna().sum() == 2
