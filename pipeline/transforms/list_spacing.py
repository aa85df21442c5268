"""List spacing as the author wrote it: a list is loose only when its items were set apart by blank lines.

pandoc (as CommonMark) calls a whole list loose, every item a `Para`, when any item holds two blocks with
a blank line between them, and Markdown has no other way to write a second paragraph in an item. In the
essay a fourth-level list of one-line items became loose because its first item goes on in a paragraph
of its own: rendered as pandoc reads it, that list alone got paragraph gaps inside a tight list.

The rule (docs/editions.md): a loose list in which some item holds more than one block besides its
nested lists is set tight, its items' first paragraphs made `Plain` as in a tight list, their later
paragraphs kept. A loose list whose items are each one paragraph (with or without a nested list) was
loosened by blank lines between its items, which can only be the author's wish: it keeps its gaps.
"""

from __future__ import annotations

from pipeline.ast import Node, map_blocks
from pipeline.document import Document

_LISTS = ("BulletList", "OrderedList")


def _items(block: Node) -> list[list[Node]]:
    return block["c"] if block["t"] == "BulletList" else block["c"][1]


def loose_by_syntax(items: list[list[Node]]) -> bool:
    """Whether a list's items start with paragraphs only because one item holds several blocks."""
    starts_with_paragraphs = any(item and item[0].get("t") == "Para" for item in items)
    return starts_with_paragraphs and any(
        sum(block.get("t") not in _LISTS for block in item) > 1 for item in items)


def _tightened(block: Node) -> Node:
    if block.get("t") not in _LISTS or not loose_by_syntax(_items(block)):
        return block
    items = [[{"t": "Plain", "c": item[0]["c"]}, *item[1:]] if item and item[0].get("t") == "Para" else item
             for item in _items(block)]
    return {"t": block["t"], "c": items if block["t"] == "BulletList" else [block["c"][0], items]}


def space_lists_as_written(document: Document) -> Document:
    """Set tight every loose list that only a multi-paragraph item made loose, at any depth."""
    return document.with_blocks(map_blocks(document.blocks, _tightened))
