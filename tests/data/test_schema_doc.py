"""docs/data-model.md is generated from the schema and must stay in sync with it."""

from __future__ import annotations

from pathlib import Path

from kbeffect.data import schema
from kbeffect.data.schema_doc import data_model_markdown

DOC = Path(__file__).resolve().parents[2] / "docs" / "data-model.md"


def test_committed_doc_equals_generated():
    assert DOC.is_file(), "docs/data-model.md is missing; generate it with " \
        "`python -m kbeffect.data.schema_doc > docs/data-model.md`"
    assert DOC.read_text() == data_model_markdown(), (
        "docs/data-model.md is out of date; regenerate it with "
        "`python -m kbeffect.data.schema_doc > docs/data-model.md`")


def test_every_column_documented_with_unit_and_range():
    text = data_model_markdown()
    for table, specs in schema.TABLES.items():
        assert f"## `{table}`" in text
        section = text.split(f"## `{table}`")[1].split("\n## ")[0]
        for c in specs:
            line = next(x for x in section.splitlines() if x.startswith(f"| `{c.name}` |"))
            if c.unit:
                assert f"| {c.unit} |" in line
            if c.low is not None:
                assert f"{c.low:g} to {c.high:g}" in line
            for level in c.levels:
                assert f"`{level}`" in line
