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


def test_documented_mapping_example_works():
    import tomllib

    import pandas as pd

    from kbeffect.data.mapping import load_mapping

    text = data_model_markdown()
    block = text.split("```toml\n")[1].split("```")[0]
    mapping = load_mapping(tomllib.loads(block))
    raw = pd.DataFrame({"gezinsnummer": [1.0, 2.0], "groep": [1.0, 3.0], "werk": [2, 1]})
    out = mapping.apply("families", raw)
    assert out.to_dict("list") == {"family_id": [1.0, 2.0], "group": ["kb", "preventive"],
                                   "paid_work": [False, True]}
