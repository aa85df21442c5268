"""Disclaimers: bracketed notes such as `[update: …]` become Div blocks that name their kind."""

from __future__ import annotations

import re

from pipeline.ast import Node, attr, attr_value, has_class, stringify
from pipeline.document import Document

DISCLAIMER_CLASS = "disclaimer"
# The kinds a writer may style differently; the text itself is never changed.
_BRACKETED = re.compile(r"\A\[(disclaimer|update|note):.*\]\Z|\A\[(this is a work in progress)\b.*\]\Z", re.S)


def disclaimer_kind(paragraph: Node) -> str | None:
    """The kind of a paragraph that is entirely a bracketed note, or None."""
    if paragraph.get("t") != "Para":
        return None
    if any(inline.get("t") not in ("Str", "Space", "SoftBreak", "Link", "Code") for inline in paragraph["c"]):
        return None
    match = _BRACKETED.match(stringify(paragraph["c"]).strip())
    if not match:
        return None
    return match.group(1) or "work-in-progress"


def _marked(blocks: list[Node]) -> list[Node]:
    result = []
    for block in blocks:
        kind = disclaimer_kind(block)
        if kind:
            block = {"t": "Div", "c": [attr("", [DISCLAIMER_CLASS], {"kind": kind}), [block]]}
        elif has_class(block, DISCLAIMER_CLASS):
            attribute = block["c"][0]
            kind = attr_value(attribute, "kind") or "note"
            pairs = dict(attribute[2]) | {"kind": kind}
            block = {"t": "Div", "c": [attr(attribute[0], attribute[1], pairs), block["c"][1]]}
        elif block.get("t") == "Div":
            block = {"t": "Div", "c": [block["c"][0], _marked(block["c"][1])]}
        elif block.get("t") == "BulletList":
            block = {"t": "BulletList", "c": [_marked(item) for item in block["c"]]}
        elif block.get("t") == "OrderedList":
            block = {"t": "OrderedList", "c": [block["c"][0], [_marked(item) for item in block["c"][1]]]}
        result.append(block)
    return result


def mark_disclaimers(document: Document) -> Document:
    """Wrap each bracketed-note paragraph (and each `::: disclaimer` div) as a disclaimer with its kind."""
    return document.with_blocks(_marked(document.blocks))
