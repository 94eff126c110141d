"""Tables for the human view: cells shown literally, key columns that never wrap."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text


def cell(value: object) -> Text:
    """A table cell shown literally (names may contain [brackets])."""
    return Text("" if value is None else str(value))


def make_table(*columns: str, keys: int = 1) -> Table:
    """A table whose first ``keys`` columns never wrap; other cells fold rather than truncate."""
    table = Table(show_edge=False, header_style="bold")
    for index, column in enumerate(columns):
        if index < keys:
            table.add_column(column, no_wrap=True)
        else:
            table.add_column(column, overflow="fold")
    return table
