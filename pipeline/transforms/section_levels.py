"""Section levels: the shallowest heading in a document is its section level (1)."""

from __future__ import annotations

from pipeline.ast import Node
from pipeline.document import Document


def _shift(blocks: list[Node], by: int) -> list[Node]:
    shifted = []
    for block in blocks:
        if block.get("t") == "Header":
            level, attribute, inlines = block["c"]
            block = {"t": "Header", "c": [level - by, attribute, inlines]}
        elif block.get("t") == "Div":
            block = {"t": "Div", "c": [block["c"][0], _shift(block["c"][1], by)]}
        shifted.append(block)
    return shifted


def normalise_section_levels(document: Document) -> Document:
    """Lift every heading so the shallowest becomes level 1; `#` and `##` sources then read alike."""
    levels = [heading.level for heading in document.outline()]
    if not levels or min(levels) == 1:
        return document
    return document.with_blocks(_shift(document.blocks, min(levels) - 1))
