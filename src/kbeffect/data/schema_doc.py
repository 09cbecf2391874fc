"""Generate ``docs/data-model.md`` from :mod:`kbeffect.data.schema`.

The committed document must equal :func:`data_model_markdown` (a test checks this);
regenerate it with ``python -m kbeffect.data.schema_doc > docs/data-model.md``.
"""

from __future__ import annotations

import sys

from kbeffect.data import schema
from kbeffect.data.risk import DRINKS_CUTOFF, KB7_FACTORS, POLICY16_EXTRA, TYPOLOGY_LABELS
from kbeffect.data.rules import SEVERITY_THRESHOLDS

__all__ = ["data_model_markdown"]

_KIND = {"int": "integer", "float": "number", "bool": "boolean", "category": "category",
         "count": "count (non-negative integer, stored as float)"}

_TABLE_INTRO = {
    "families": "One row per family: group, order type, recruitment stream and background "
                "covariates of the main respondent.",
    "parents": "One row per participating parent (one or two per family); T0 characteristics.",
    "children": "One row per participating child (one or two per family, aged 3-18 at T0).",
    "observations": "One row per (subject, reporter, wave): a parent about themself, a parent "
                    "about a child, or a child aged 8+ about themself. Measures that the "
                    "reporter does not answer are missing.",
}


def _fmt(x: float | None) -> str:
    if x is None:
        return ""
    return f"{x:g}"


def _range(spec: schema.ColumnSpec) -> str:
    if spec.levels:
        return ", ".join(f"`{v}`" for v in spec.levels)
    if spec.low is None and spec.high is None:
        return "true / false" if spec.kind == "bool" else ""
    return f"{_fmt(spec.low)} to {_fmt(spec.high)}"


def _table(name: str) -> list[str]:
    keys = ", ".join(f"`{k}`" for k in schema.KEYS[name])
    lines = [f"## `{name}`", "", _TABLE_INTRO[name], "", f"Row key: {keys} (unique).", "",
             "| column | type | unit | range / levels | required | missing allowed | "
             "description |",
             "|---|---|---|---|---|---|---|"]
    for c in schema.TABLES[name]:
        lines.append(
            f"| `{c.name}` | {_KIND[c.kind]} | {c.unit} | {_range(c)} | "
            f"{'yes' if c.required else 'no'} | {'yes' if c.nullable else 'no'} | "
            f"{c.description} |"
        )
    return [*lines, ""]


def _rules() -> list[str]:
    rep, tool = SEVERITY_THRESHOLDS["report"], SEVERITY_THRESHOLDS["policy_tool"]
    exposure = ", ".join(f"wave {w}: {e:g} year" for w, e in schema.EXPOSURE_BY_WAVE.items())
    typology = "\n".join(f"{k}. {v}" for k, v in sorted(TYPOLOGY_LABELS.items()))
    return [
        "## Conventions and derived measures", "",
        f"- Reference periods (`exposure`): {exposure}. Counts are per period as reported; "
        "`kbeffect.data.derive.family_incidents` adds `total_per_year`.",
        "- Instrument totals (`kbeffect.data.derive.add_violence_totals`): `pv_*`, `cmp_*`, "
        "`cmc_*` minor / severe / total are sums over subscales; missing when any subscale "
        "is missing.",
        "- Family incident totals: per reporting parent, own partner-violence total plus "
        "child-abuse totals over the children they report on; the family value is the mean "
        "over reporting parents (the report does not state its aggregation).",
        "- Family violence severity (`kbeffect.data.rules.family_severity`), highest mild "
        "counts over reporters: frequent/severe when a severe incident is reported, mild "
        f"partner violence >= {rep['pv_severe_from']} (report) or >= "
        f"{tool['pv_severe_from']} (policy tool), or mild child abuse >= "
        f"{rep['cm_severe_from']}; none when mild partner violence <= "
        f"{rep['pv_none_upto']} and no child abuse; moderate otherwise.",
        "- Violence stopped: no partner-violence or child-abuse incident reported by anyone "
        "at the wave (default T2).",
        f"- Clinical trauma: a TSI / TSCYC / TSCC scale >= {schema.CLINICAL_T:g} (T-score).",
        f"- Risk cumulation (KB study): 3 or more of {', '.join(f'`{f}`' for f in KB7_FACTORS)}"
        f" (risky drinking = more than {DRINKS_CUTOFF:g} drinks a week). Policy tool: 5 or "
        "more of 16 (the ten ACE items, poverty, unemployment, risky drinking of respondent "
        f"and partner, and {', '.join(f'`{f}`' for f in POLICY16_EXTRA)}, which must be "
        "supplied).",
        "- Policy-tool typology (heaviest problem present; attachment and insecurity "
        "cut-offs are parameters, unpublished):", "", typology, "",
        "## Validation", "",
        "`Cohort.validate()` raises `SchemaError` (missing, unknown or mistyped columns) or "
        "`DataError` (unknown labels, waves outside 0-2, negative or fractional counts, "
        "out-of-range scores, missing required values, duplicate keys, people or rows "
        "without a family, broken reporter nesting), listing every problem with example ids. "
        "Soft exclusions (invalid questionnaires, preventive families, non-completers, "
        "families without violence, missing matching variables) are counted in the returned "
        "report; nothing is removed.", "",
        "## Reading real data", "",
        "`read_cohort(families=..., parents=..., children=..., observations=..., "
        "mapping=...)` reads `.csv`, `.parquet` or SPSS `.sav` files (or DataFrames), "
        "renames and recodes them through the mapping, applies SPSS value labels to "
        "category and boolean columns the mapping does not recode, converts every column "
        "to the types above and validates. A mapping is a dict or a TOML file:", "",
        "```toml",
        "[columns]              # applied to every table",
        'gezinsnummer = "family_id"',
        "",
        "[families.columns]",
        'groep = "group"',
        'werk = "paid_work"',
        "",
        "[families.values.group]   # keyed by kbeffect's column name",
        '1 = "kb"',
        '2 = "voluntary"',
        '3 = "preventive"',
        "",
        "[families.values.paid_work]",
        "1 = true",
        "2 = false",
        "```", "",
        "Codes match by number when both sides are numeric (`\"1\"` matches `1.0`); a value "
        "without an entry raises instead of becoming missing. `write_cohort(cohort, "
        "directory, format=\"parquet\" | \"csv\")` writes the four tables and `meta.json`; "
        "`read_cohort(directory=...)` reads them back.", "",
    ]


def data_model_markdown() -> str:
    """Return the Markdown text of ``docs/data-model.md``.

    Returns
    -------
    str
        A document with one section per table (every column with its type, unit, range or
        levels, whether it is required and may be missing, and a description), followed by
        the conventions of the derived measures and the validation rules.
    """
    head = [
        "# kbeffect data model", "",
        "<!-- Generated by kbeffect.data.schema_doc.data_model_markdown(); do not edit. -->", "",
        "A cohort (`kbeffect.Cohort`) holds four tidy tables. Person ids (`person_id`) are "
        "unique across parents and children. Violence counts are incidents in the wave's "
        "reference period. Read real data with `kbeffect.data.readers.read_cohort` "
        "(CSV, Parquet, SPSS `.sav`; a column mapping renames and recodes variables).", "",
    ]
    body: list[str] = []
    for name in schema.TABLES:
        body += _table(name)
    return "\n".join([*head, *body, *_rules()]).rstrip("\n") + "\n"


if __name__ == "__main__":  # pragma: no cover
    sys.stdout.write(data_model_markdown())
