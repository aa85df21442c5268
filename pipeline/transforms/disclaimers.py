"""Disclaimers: bracketed notes such as `[update: …]` become Div blocks that name their kind."""

from __future__ import annotations

import re

from pipeline.ast import Node, attr, attr_value, has_class, map_blocks, stringify
from pipeline.document import Document

DISCLAIMER_CLASS = "disclaimer"
# The kinds a writer may style differently; the text itself is never changed.
_BRACKETED = re.compile(r"\A\[(disclaimer|update|note):.*\]\Z|\A\[(this is a work in progress)\b.*\]\Z", re.S)


def disclaimer_kind(paragraph: Node) -> str | None:
    """The kind of a paragraph that is entirely a bracketed note, or None."""
    if paragraph.get("t") != "Para":
        return None
    first = paragraph["c"][0] if paragraph["c"] else None
    if first and first.get("t") == "Str" and first["c"][:1] not in ("[", "") and not first["c"][:1].isspace():
        return None  # most paragraphs, told by their first word: a bracketed note's text starts with "["
    if any(inline.get("t") not in ("Str", "Space", "SoftBreak", "Link", "Code") for inline in paragraph["c"]):
        return None
    match = _BRACKETED.match(stringify(paragraph["c"]).strip())
    if not match:
        return None
    return match.group(1) or "work-in-progress"


def _mark(block: Node) -> Node:
    kind = disclaimer_kind(block)
    if kind:
        return {"t": "Div", "c": [attr("", [DISCLAIMER_CLASS], {"kind": kind}), [block]]}
    if has_class(block, DISCLAIMER_CLASS):
        attribute, children = block["c"]
        kind = attr_value(attribute, "kind") or "note"
        pairs = dict(attribute[2]) | {"kind": kind}
        # A bracketed paragraph inside a written disclaimer is part of it, not a disclaimer of its own.
        children = [child["c"][1][0] if _marked_here(child) else child for child in children]
        return {"t": "Div", "c": [attr(attribute[0], attribute[1], pairs), children]}
    return block


def _marked_here(block: Node) -> bool:
    """Whether `block` is a paragraph this transform wrapped (not a disclaimer div the author wrote)."""
    return (has_class(block, DISCLAIMER_CLASS) and block["c"][0][0] == "" and len(block["c"][1]) == 1
            and disclaimer_kind(block["c"][1][0]) == attr_value(block["c"][0], "kind"))


def mark_disclaimers(document: Document) -> Document:
    """Wrap each bracketed-note paragraph (and each `::: disclaimer` div) as a disclaimer with its kind,
    wherever it lives: lists, quotes, divs, notes, table cells."""
    return document.with_blocks(map_blocks(document.blocks, _mark))
