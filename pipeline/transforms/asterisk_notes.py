"""Asterisk notes: the author's `* …` / `** …` notes and the `*word` markers that point at them.

The asterisks stay literal text everywhere; this transform only records which paragraph is a
note and which marker refers to it, so editions can link the two (EPUB, PDF) or keep them apart.
"""

from __future__ import annotations

import re

from pipeline.ast import Node, attr, map_inlines
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


def ref_id(marker: str, occurrence: int = 1) -> str:
    """The anchor of the `occurrence`-th marker word pointing at the note `marker` (`*` -> asterisk-ref-1)."""
    return f"{REF_CLASS}-{len(marker)}" + (f"-{occurrence}" if occurrence > 1 else "")


def _link_markers(markers: set[str], seen: dict[str, int]):
    def change(inlines: list[Node]) -> list[Node]:
        if not any(inline["t"] == "Str" and inline["c"][:1] == "*" for inline in inlines):
            return inlines  # most paragraphs: no word starts with an asterisk
        result: list[Node] = []
        for inline in inlines:
            match = _MARKER_WORD.match(inline["c"]) if inline.get("t") == "Str" else None
            if match and match.group(1) in markers:
                marker = match.group(1)
                seen[marker] = seen.get(marker, 0) + 1
                # The whole word is the reference, so a finger can hit it, not the asterisk alone.
                result.append({"t": "Span", "c": [attr(ref_id(marker, seen[marker]), [REF_CLASS],
                                                       {"note": note_id(marker)}), [inline]]})
            else:
                result.append(inline)
        return result
    return change


def mark_asterisk_notes(document: Document) -> Document:
    """Wrap top-level `* text` paragraphs as notes and link `*word` markers in other text to them.

    A note whose marker is referred to also records the first reference (`ref`), to link back to it.
    """
    notes: dict[str, int] = {}  # marker -> index of its note among the blocks
    for index, block in enumerate(document.blocks):
        marker = _note_marker(block)
        if marker and marker not in notes:
            notes[marker] = index
    if not notes:
        return document
    seen: dict[str, int] = {}
    note_indexes = set(notes.values())
    # The other blocks linked in one walk, in order: map_inlines gives back one block for each.
    linked = iter(map_inlines([block for index, block in enumerate(document.blocks) if index not in note_indexes],
                              _link_markers(set(notes), seen)))
    blocks = [block if index in note_indexes else next(linked) for index, block in enumerate(document.blocks)]
    for marker, index in notes.items():
        keys = {"marker": marker, **({"ref": ref_id(marker)} if marker in seen else {})}
        blocks[index] = {"t": "Div", "c": [attr(note_id(marker), [NOTE_CLASS], keys), [blocks[index]]]}
    return document.with_blocks(blocks)
