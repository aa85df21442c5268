"""Unique ids: every heading gets an anchor no other heading has."""

from __future__ import annotations

import re
import unicodedata

from pipeline.ast import Node, stringify
from pipeline.document import Document


def slug(text: str, fallback: str = "section") -> str:
    """A lowercase ASCII anchor or file-name slug: letters, digits and hyphens only."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    words = re.findall(r"[a-z0-9]+", ascii_text.lower())
    return "-".join(words)[:60].strip("-") or fallback


def _renamed(blocks: list[Node], taken: set[str]) -> list[Node]:
    result = []
    for block in blocks:
        if block.get("t") == "Header":
            level, (identifier, classes, pairs), inlines = block["c"]
            base = identifier or slug(stringify(inlines))
            identifier, number = base, 1
            while identifier in taken:
                number += 1
                identifier = f"{base}-{number}"
            taken.add(identifier)
            block = {"t": "Header", "c": [level, [identifier, classes, pairs], inlines]}
        elif block.get("t") == "Div":
            block = {"t": "Div", "c": [block["c"][0], _renamed(block["c"][1], taken)]}
        result.append(block)
    return result


def make_ids_unique(document: Document) -> Document:
    """Give every heading an id, and suffix -2, -3 … where two headings would share one."""
    return document.with_blocks(_renamed(document.blocks, set()))
