"""Tables as a grid of text, for the editions that draw them with characters (plain text, gemtext)."""

from __future__ import annotations

from collections.abc import Callable

from pipeline.ast import Node, table_rows
from pipeline.words.measure import display_width


def cell_texts(content: list, cell_text: Callable[[list[Node]], str]) -> tuple[list[list[str]], int]:
    """Every row of a Table as the texts of its cells (`cell_text` renders a cell's blocks), and the
    number of header rows."""
    head, body, foot = table_rows(content)
    return [[cell_text(cell[4]) for cell in row[1]] for row in head + body + foot], len(head)


def text_grid(cells: list[list[str]], header_rows: int) -> list[str]:
    """Rows as aligned columns two spaces apart, by display width, with a rule of dashes under the header."""
    columns = max((len(row) for row in cells), default=0)
    widths = [max((display_width(row[i]) for row in cells if i < len(row)), default=0) for i in range(columns)]
    lines = []
    for number, row in enumerate(cells):
        lines.append("  ".join(cell + " " * (widths[i] - display_width(cell)) for i, cell in enumerate(row)).rstrip())
        if number == header_rows - 1:
            lines.append("  ".join("-" * width for width in widths))
    return lines
