"""Facing pages that end on the same line: the shorter page of each spread spaced out to its partner's foot.

WeasyPrint lays pages out one after another and has no vertical justification: a page ends where its
last whole line fits, a keep (a heading with its first lines, `orphans`/`widows`, a disclaimer that is
not split) may end it a few lines early, and headings and paragraph gaps are not multiples of the
line height, so two facing pages of the essay ended up to 40 pt apart. Vellum and InDesign balance
each spread; LaTeX's \\flushbottom stretches the space between paragraphs. This does the latter, per
spread, after layout and before drawing: on the page whose text ends higher, the gaps between
sibling blocks (paragraphs, list items, a heading and what precedes it, never the gap under a
heading) grow evenly, by at most GAP_LIMIT each, until its last line ends where its partner's does.
Nothing moves to another page, so the page numbers, the contents and every other page stay as they
were; links, anchors and bookmarks are gathered again from the moved boxes.

A spread is balanced only when the text flows through both pages and on past them (neither page
ends a part of the book, so the book's last page and the page before the essay stay as they are).
A page with too few gaps keeps what it cannot take (docs/editions.md gives the figures).

Reaches into WeasyPrint 70.0's layout results: `Page._page_box`, `PageBox.page_type.side`,
`Box.translate`, `position_y`, `height`, `children`, and `Page(page_box)` to gather the links and
anchors again. Any of them missing: the pages are left as laid out (logged with -v).
"""

from __future__ import annotations

import logging

log = logging.getLogger("chapbook")

GAP_LIMIT = 0.75  # of a line of text (print.css's line-height): the most one gap grows
_HEADINGS = frozenset(("h1", "h2", "h3", "h4", "h5", "h6"))


def balance_spreads(rendering) -> list[tuple[int, float]]:
    """Space out the shorter page of each spread of `rendering` (a WeasyPrint Document); (page index, px) added."""
    try:
        from weasyprint.formatting_structure import boxes

        pages = list(rendering.pages)
        flows = [_flow(page._page_box, boxes) for page in pages]
        sides = [page._page_box.page_type.side for page in pages]
    except (AttributeError, ImportError, TypeError) as error:
        log.debug("facing pages not balanced: WeasyPrint's pages have changed (%s)", error)
        return []
    added = []
    for left in range(len(pages) - 2):
        right = left + 1
        if sides[left] != "left" or sides[right] != "right":
            continue
        flow = flows[left]
        if flow is None or not all(flows[index] is not None and flows[index].element is flow.element
                                   for index in (right, right + 1)):
            continue  # the text does not run through both pages and on
        bottoms = [_last_line_bottom(flows[index], boxes) for index in (left, right)]
        if None in bottoms:
            continue
        shorter = left if bottoms[0] < bottoms[1] else right
        extra = abs(bottoms[0] - bottoms[1])
        if extra < 0.5:
            continue
        grown = _space_out(flows[shorter], extra, _line_height(flows[shorter]) * GAP_LIMIT, boxes)
        if grown:
            rendering.pages[shorter] = type(pages[shorter])(pages[shorter]._page_box)
            added.append((shorter, grown))
    return added


def _flow(page_box, boxes):
    """The page's part of the book's text flow: the last block in <body> (<main> on the essay's pages)."""
    html = next((child for child in page_box.children if child.element_tag == "html"), None)
    body = next((child for child in html.children if child.element_tag == "body"), None) if html else None
    blocks = [child for child in body.children if isinstance(child, boxes.BlockBox)] if body else []
    return blocks[-1] if blocks else None


def _line_height(box) -> float:
    height = box.style["line_height"]
    font_size = box.style["font_size"]
    return height.value * (font_size if height.unit is None else 1) if hasattr(height, "unit") else 1.42 * font_size


def _last_line_bottom(box, boxes) -> float | None:
    """The bottom of the last line box under `box` (px from the page's top), or None if it has none."""
    bottom = None
    stack = [box]
    while stack:
        node = stack.pop()
        if isinstance(node, boxes.LineBox):
            end = node.position_y + node.height
            bottom = end if bottom is None else max(bottom, end)
        elif isinstance(node, boxes.ParentBox):
            stack.extend(node.children)
    return bottom


def _block_children(box, boxes) -> list:
    if not isinstance(box, boxes.BlockContainerBox) or isinstance(box, boxes.TableBox):
        return []
    children = [child for child in box.children if isinstance(child, boxes.BlockLevelBox)
                and child.is_in_normal_flow()]
    return children if len(children) == len(box.children) else []  # not a box of lines


def _gaps(box, boxes) -> int:
    children = _block_children(box, boxes)
    own = sum(1 for before in children[:-1] if before.element_tag not in _HEADINGS)
    return own + sum(_gaps(child, boxes) for child in children)


def _space_out(flow, extra: float, limit: float, boxes) -> float:
    """Grow the gaps under `flow` evenly by `extra` px in all, each by at most `limit`; the px added."""
    gaps = _gaps(flow, boxes)
    if not gaps:
        return 0.0
    each = min(extra / gaps, limit)
    return _grow(flow, each, boxes)


def _grow(box, each: float, boxes) -> float:
    added = 0.0
    children = _block_children(box, boxes)
    for index, child in enumerate(children):
        if index and children[index - 1].element_tag not in _HEADINGS:
            added += each
        child.translate(0, added)
        inner = _grow(child, each, boxes)
        child.height += inner
        added += inner
    return added
