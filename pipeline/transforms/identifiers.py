"""Unique ids: every heading gets an anchor no other heading has."""

from __future__ import annotations

from pipeline.ast import Node, map_blocks, stringify
from pipeline.document import Document
from pipeline.naming import slug, unique_name


def make_ids_unique(document: Document) -> Document:
    """Give every heading an id, and suffix -2, -3 … where two headings would share one.

    Headings are named in document order wherever they live (lists, quotes, divs, notes, table cells).
    """
    taken: set[str] = set()

    def rename(block: Node) -> Node:
        if block.get("t") != "Header":
            return block
        level, (identifier, classes, pairs), inlines = block["c"]
        identifier = unique_name(identifier or slug(stringify(inlines)), taken)
        return {"t": "Header", "c": [level, [identifier, classes, pairs], inlines]}
    return document.with_blocks(map_blocks(document.blocks, rename))
