"""The summary as rows (CSV) or Markdown, for `?format=csv` and `complaintbot report`.

Rows are (figure, key, value): `by_category,delivery,12`, `sla,compliance_pct,93.5`,
`root_causes,product_quality × kettle,7`. The JSON is the same figures nested.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

HEADER = ("figure", "key", "value")
# A cell a spreadsheet would run as a formula (=HYPERLINK(...), +cmd|..., -2+3, @SUM(...)),
# or a tab or carriage return some spreadsheets strip before reading one. Customers type
# products and descriptions: their text must open as text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


def safe_cell(value: Any) -> Any:
    """Text that starts like a formula, with a leading apostrophe (shown as typed, never
    run); carriage returns as line feeds (the writer quotes those, so a cell stays one
    cell); numbers and everything else unchanged."""
    if not isinstance(value, str):
        return value
    if "\r" in value:
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    if value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def rows(summary: dict[str, Any]) -> Iterator[tuple[str, str, Any]]:
    for figure, value in summary.items():
        if figure == "filters":
            for key, shown in value.items():
                yield figure, key, "" if shown is None else shown
        elif figure == "root_causes":
            for cause in value:
                yield (
                    figure,
                    f"{cause['category']} × {cause['product'] or '(none)'}",
                    cause["count"],
                )
        elif isinstance(value, dict):
            for key, inner in value.items():
                if isinstance(inner, dict):  # csat distribution
                    for score, count in inner.items():
                        yield figure, f"{key}.{score}", count
                else:
                    yield figure, key, "" if inner is None else inner
        else:
            yield figure, "", value


def to_csv(summary: dict[str, Any]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    writer.writerows(tuple(safe_cell(cell) for cell in row) for row in rows(summary))
    return out.getvalue()


def table_csv(items: list[dict[str, Any]], fields: tuple[str, ...]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=fields, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    writer.writerows({key: safe_cell(value) for key, value in item.items()} for item in items)
    return out.getvalue()


def to_markdown(summary: dict[str, Any]) -> str:
    filters = summary["filters"]
    lines = [f"# Complaints from {filters['since']} to {filters['until']}", ""]
    current = None
    for figure, key, value in rows(summary):
        if figure == "filters":
            continue
        if figure != current:
            lines += ["", f"## {figure.replace('_', ' ')}", "", "| | |", "|---|---:|"]
            current = figure
        shown_key = str(key).replace("|", "\\|") or "count"
        lines.append(f"| {shown_key} | {'—' if value == '' else value} |")
    return "\n".join(lines).replace("\n\n\n", "\n\n") + "\n"
