"""Headings that keep two lines of text under them at a page's foot.

`orphans: 2` (print.css) keeps two lines of a paragraph under its heading, but a paragraph or first
list item of a single line counts as whole, so a page could end on a heading and one line. The
heading of such a one-line opening gets KEEP_CLASS, and print.css keeps that line with what follows
it (`break-after: avoid`). Only one-line openings: on every paragraph after a heading the same rule
moved so much text that the essay's pages ended up to 119 pt apart.
"""

from __future__ import annotations

from pipeline.ast import stringify
from pipeline.paper import PAGE_FORMATS, length_in_points
from pipeline.writers.shared.balance import text_width
from pipeline.writers.shared.fonts import TEXT_FAMILY, font_files

KEEP_CLASS = "keeps-next"
LIST_INDENT = 1.3  # ems: print.css's padding-left of a list
SLACK = 1.03  # widths are summed advances without kerning: count a line a little longer as one line still


def _regular_face():
    return next((path for path in font_files(TEXT_FAMILY) if path.stem.lower().endswith("-regular")), None)


def load_measures() -> None:
    """Read the text face's advance widths now (the PDF writer's warm-up), not in the first book's layout."""
    regular = _regular_face()
    if regular is not None:
        text_width("", regular, 1.0)


def keep_one_line_openings(blocks: list, paper: str) -> list:
    """`blocks` with KEEP_CLASS on each top-level heading whose next block opens with a one-line paragraph."""
    regular = _regular_face()
    if regular is None:
        return blocks  # no font to measure with: every heading as it was
    page = PAGE_FORMATS[paper]
    size = length_in_points(page.font_size)
    measure = page.trim[0] - length_in_points(page.inner) - length_in_points(page.outer)

    def one_line(block: dict, indent: float = 0.0) -> bool:
        kind = block.get("t")
        if kind in ("Para", "Plain"):
            return text_width(stringify(block), regular, size) <= (measure - indent) * SLACK
        if kind in ("BulletList", "OrderedList"):
            items = block["c"] if kind == "BulletList" else block["c"][1]
            first = items[0] if items and items[0] else None
            return first is not None and one_line(first[0], indent + LIST_INDENT * size)
        return False

    result = []
    for index, block in enumerate(blocks):
        following = blocks[index + 1] if index + 1 < len(blocks) else None
        if block.get("t") == "Header" and following is not None and one_line(following):
            level, (identifier, classes, pairs), inlines = block["c"]
            block = {"t": "Header", "c": [level, [identifier, [*classes, KEEP_CLASS], pairs], inlines]}
        result.append(block)
    return result
