"""Section levels: the shallowest heading in a document is its section level (1)."""

from __future__ import annotations

from pipeline.ast import Node, map_blocks
from pipeline.document import Document


def normalise_section_levels(document: Document) -> Document:
    """Lift every heading so the shallowest becomes level 1; `#` and `##` sources then read alike."""
    levels = [heading.level for heading in document.outline()]
    if not levels or min(levels) == 1:
        return document
    by = min(levels) - 1

    def shift(block: Node) -> Node:
        if block.get("t") != "Header":
            return block
        level, attribute, inlines = block["c"]
        return {"t": "Header", "c": [max(level - by, 1), attribute, inlines]}
    return document.with_blocks(map_blocks(document.blocks, shift))
