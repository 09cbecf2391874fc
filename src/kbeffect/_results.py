"""Building blocks shared by result objects: Summary, Exclusions, small-cell suppression."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

__all__ = ["Exclusions", "Summary", "lazy_pyplot", "suppress_small_cells"]


@dataclass(frozen=True)
class Summary:
    """What ``result.summary()`` returns: a title, header facts and one or more tables.

    ``str(summary)`` gives plain text, ``_repr_html_`` renders in notebooks and
    ``as_latex()`` gives LaTeX tables. Nothing is printed by kbeffect itself.

    Parameters
    ----------
    title : str
        One-line title.
    header : dict
        Facts shown above the tables (model, n, estimand, ...).
    tables : dict of str to DataFrame
        Named tables, in display order.
    notes : tuple of str
        Footnotes (exclusions, corrections, warnings).
    """

    title: str
    header: dict[str, Any] = field(default_factory=dict)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    def __str__(self) -> str:
        lines = [self.title, "=" * len(self.title)]
        width = max((len(str(k)) for k in self.header), default=0)
        lines += [f"{k!s:<{width}} : {v}" for k, v in self.header.items()]
        for name, table in self.tables.items():
            lines += ["", name, "-" * len(name), table.to_string(float_format=_fmt)]
        if self.notes:
            lines += [""] + [f"Note: {n}" for n in self.notes]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        head = "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in self.header.items())
        parts = [f"<h4>{self.title}</h4>", f"<table>{head}</table>"]
        for name, table in self.tables.items():
            parts += [f"<h5>{name}</h5>", table.to_html(float_format=_fmt)]
        parts += [f"<p><em>Note:</em> {n}</p>" for n in self.notes]
        return "\n".join(parts)

    def as_latex(self) -> str:
        """Return the tables as LaTeX ``tabular`` environments (no extra dependency)."""
        return "\n\n".join(_latex_table(name, t) for name, t in self.tables.items())


def _latex_escape(text: str) -> str:
    for a, b in (("\\", r"\textbackslash{}"), ("&", r"\&"), ("%", r"\%"), ("_", r"\_"),
                 ("#", r"\#"), ("$", r"\$"), ("{", r"\{"), ("}", r"\}")):
        text = text.replace(a, b)
    return text


def _latex_cell(x: Any) -> str:
    if isinstance(x, float):
        return _fmt(x)
    return _latex_escape(str(x))


def _latex_table(name: str, table: pd.DataFrame) -> str:
    frame = table.reset_index() if table.index.name or table.index.nlevels > 1 else table
    cols = [_latex_escape(str(c)) for c in frame.columns]
    lines = [
        r"\begin{table}", r"\centering", f"\\caption{{{_latex_escape(name)}}}",
        r"\begin{tabular}{" + "l" * len(cols) + "}", r"\hline",
        " & ".join(cols) + r" \\", r"\hline",
    ]
    lines += [" & ".join(_latex_cell(v) for v in row) + r" \\"
              for row in frame.itertuples(index=False)]
    lines += [r"\hline", r"\end{tabular}", r"\end{table}"]
    return "\n".join(lines)


def _fmt(x: float) -> str:
    return f"{x:.4g}"


@dataclass(frozen=True)
class Exclusions:
    """Rows or units left out of an estimation, counted by reason.

    Parameters
    ----------
    counts : dict of str to int
        Number of units excluded for each reason.
    unit : str
        What is counted (``"rows"``, ``"families"``, ``"subjects"``).
    ids : dict of str to tuple, optional
        Identifiers of the excluded units per reason (kept on the result, never printed).
    """

    counts: dict[str, int] = field(default_factory=dict)
    unit: str = "rows"
    ids: dict[str, tuple[Any, ...]] = field(default_factory=dict, repr=False)

    @property
    def total(self) -> int:
        """Total number of excluded units over all reasons."""
        return int(sum(self.counts.values()))

    def add(self, reason: str, ids: Any) -> Exclusions:
        """Return a new Exclusions with the units ``ids`` excluded for ``reason``."""
        ids = tuple(ids)
        counts = dict(self.counts)
        all_ids = dict(self.ids)
        counts[reason] = counts.get(reason, 0) + len(ids)
        all_ids[reason] = all_ids.get(reason, ()) + ids
        return Exclusions(counts=counts, unit=self.unit, ids=all_ids)

    def to_frame(self) -> pd.DataFrame:
        """Return one row per reason with the count (no identifiers)."""
        return pd.DataFrame(
            {"reason": list(self.counts), "n_excluded": list(self.counts.values())}
        ).assign(unit=self.unit)

    def notes(self) -> tuple[str, ...]:
        """Return one human-readable line per reason, for ``Summary.notes``."""
        return tuple(f"{n} {self.unit} excluded: {r}." for r, n in self.counts.items() if n)


def suppress_small_cells(
    table: pd.DataFrame,
    *,
    columns: list[str] | None = None,
    threshold: int = 10,
    mark: Any = None,
    total_row: Any = None,
) -> pd.DataFrame:
    """Replace counts below ``threshold`` by ``mark`` (statistical disclosure control).

    Parameters
    ----------
    table : DataFrame
        A table of counts (and other columns).
    columns : list of str, optional
        Count columns to check; default every integer column.
    threshold : int
        Cells with ``0 < count < threshold`` are suppressed (zeros are kept).
    mark : object
        Replacement value; ``None`` gives a missing value.
    total_row : object, optional
        Index label of a row that holds column totals. When a column then has exactly one
        suppressed cell, the smallest other non-zero cell of that column is suppressed as
        well (complementary suppression), so the small cell cannot be recovered as the
        total minus the others. Relations between columns (e.g. parents = mothers +
        fathers) are not protected; suppress those columns together or drop one.

    Returns
    -------
    DataFrame
        A copy with small cells replaced.
    """
    out = table.copy()
    cols = columns if columns is not None else list(out.select_dtypes("integer").columns)
    for c in cols:
        values = out[c]
        small = (values > 0) & (values < threshold)
        if total_row is not None and total_row in out.index:
            body = values.drop(index=total_row)
            body_small = small.drop(index=total_row)
            if int(body_small.sum()) == 1:
                others = body[~body_small & (body > 0)]
                if len(others):
                    small.loc[others.idxmin()] = True
        if small.any():
            out[c] = out[c].astype(object).where(~small, mark)
    return out


def lazy_pyplot() -> Any:
    """Import and return ``matplotlib.pyplot`` on first use (never at import time)."""
    import matplotlib.pyplot as plt

    return plt
