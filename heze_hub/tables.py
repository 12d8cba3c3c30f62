"""Tables on a terminal that never cut what a reader must copy: 索引号, URLs, channel names.

Rich shrinks every column of a table that is wider than the terminal, and so truncates or splits
identifiers mid-value. :func:`print_rows` gives identifier columns their full width and lets
only the text columns (titles, notes) wrap; when even that does not fit (an 80-column terminal
and a long URL), it prints each row as a record instead, one ``label：value`` line per field.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from rich.cells import cell_len
from rich.console import Console
from rich.markup import escape
from rich.table import Table

#: ``id`` never wraps or shrinks (索引号, URLs, names, counts); ``text`` may wrap (titles).
Kind = Literal["id", "text"]

#: Narrowest a wrapping text column may become before the table gives way to records.
MIN_TEXT_WIDTH = 12


@dataclass(frozen=True)
class Column:
    """One column: its header and whether its values may wrap."""

    header: str
    kind: Kind = "id"
    justify: Literal["left", "right"] = "left"


def _plain(value: str) -> str:
    """The text a cell shows (markup removed), to measure it."""
    from rich.text import Text

    return Text.from_markup(value).plain


def table_width(columns: list[Column], rows: list[list[str]]) -> int:
    """The narrowest width a table of these rows needs with no identifier cut."""
    total = 1  # the left border
    for i, col in enumerate(columns):
        widest = max([cell_len(col.header), *(cell_len(_plain(r[i])) for r in rows)])
        need = min(widest, MIN_TEXT_WIDTH) if col.kind == "text" else widest
        total += need + 3  # padding on both sides and the border after the column
    return total


def print_rows(console: Console, columns: list[Column], rows: list[list[str]], *,
               title: str | None = None) -> None:
    """Print ``rows`` (console markup allowed in cells) as a table if it fits the console with
    every identifier whole, else as records."""
    if title:
        console.print(f"[bold]{escape(title)}[/]")
    if rows and table_width(columns, rows) > console.width:
        _print_records(console, columns, rows)
        return
    table = Table()
    for i, col in enumerate(columns):
        if col.kind == "id":
            widest = max([cell_len(col.header), *(cell_len(_plain(r[i])) for r in rows)])
            table.add_column(col.header, no_wrap=True, min_width=widest, justify=col.justify)
        else:
            table.add_column(col.header, overflow="fold", ratio=1, min_width=MIN_TEXT_WIDTH,
                             justify=col.justify)
    for r in rows:
        table.add_row(*r)
    console.print(table)


def _print_records(console: Console, columns: list[Column], rows: list[list[str]]) -> None:
    """One block per row: ``header：value`` lines, values never cut (a long URL may run past the
    edge, where the terminal wraps it whole rather than losing characters)."""
    label_width = max(cell_len(c.header) for c in columns)
    for n, r in enumerate(rows):
        if n:
            console.print("")
        for col, value in zip(columns, r, strict=True):
            if not _plain(value):
                continue
            pad = " " * (label_width - cell_len(col.header))
            console.print(f"{escape(col.header)}{pad}：{value}", overflow="ignore", crop=False)
