"""Asterisk notes: the author's `* …` / `** …` notes and the `*word` markers that point at them.

The asterisks stay literal text everywhere; this transform only records which paragraph is a
note and which marker refers to it, so editions can link the two (EPUB, PDF) or keep them apart.
"""

from __future__ import annotations

import re

from pipeline.ast import Node, attr, has_class, map_inlines
from pipeline.document import Document

NOTE_CLASS = "asterisk-note"
REF_CLASS = "asterisk-ref"
_MARKER_WORD = re.compile(r"\A(\*+)([^*].*)\Z", re.S)


def note_id(marker: str) -> str:
    """The anchor of the note whose marker is `marker` (`*` -> asterisk-note-1)."""
    return f"{NOTE_CLASS}-{len(marker)}"


def _note_marker(block: Node) -> str | None:
    inlines = block["c"] if block.get("t") == "Para" else []
    if len(inlines) >= 2 and inlines[0].get("t") == "Str" and inlines[1].get("t") == "Space":
        first = inlines[0]["c"]
        if first and set(first) == {"*"}:
            return first
    return None


def _link_markers(markers: set[str]):
    def change(inlines: list[Node]) -> list[Node]:
        result: list[Node] = []
        for inline in inlines:
            match = _MARKER_WORD.match(inline["c"]) if inline.get("t") == "Str" else None
            if match and match.group(1) in markers:
                marker, rest = match.groups()
                result.append({"t": "Span", "c": [attr("", [REF_CLASS], {"note": note_id(marker)}),
                                                  [{"t": "Str", "c": marker}]]})
                result.append({"t": "Str", "c": rest})
            else:
                result.append(inline)
        return result
    return change


def mark_asterisk_notes(document: Document) -> Document:
    """Wrap top-level `* text` paragraphs as notes and link `*word` markers in other text to them."""
    blocks: list[Node] = []
    markers: set[str] = set()
    for block in document.blocks:
        marker = _note_marker(block)
        if marker and marker not in markers:
            markers.add(marker)
            block = {"t": "Div", "c": [attr(note_id(marker), [NOTE_CLASS], {"marker": marker}), [block]]}
        blocks.append(block)
    if not markers:
        return document
    linked = [block if has_class(block, NOTE_CLASS) else map_inlines([block], _link_markers(markers))[0]
              for block in blocks]
    return document.with_blocks(linked)
