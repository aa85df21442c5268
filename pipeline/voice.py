"""The voice check: every word of the source in its case, no invented capitals, disclaimers verbatim,
every list item at its depth. Each edition's checker reads its file back (pipeline.readback) and asks this."""

from __future__ import annotations

import re

from pipeline import readback
from pipeline.ast import Node, child_block_lists, has_class, ordered_marker, stringify, walk_blocks
from pipeline.document import Document
from pipeline.findings import Finding
from pipeline.measure import SIZE_UNITS
from pipeline.transforms.disclaimers import DISCLAIMER_CLASS

_EDGE_PUNCTUATION = ".,;:!?()[]{}\"'“”‘’*…—–-<>|/=_`^~"
_URL = re.compile(r"[a-z]+://\S+|mailto:\S+")
# Note calls an edition glues to the word they follow: "here.[^1]" (text), "here.1" (EPUB, PDF).
_NOTE_CALL = re.compile(r"\[\^?\d+\]|(?<=[^\W\d][.,;:!?)\]\"'])\d+(?=\s|$)")


def words(text: str) -> list[str]:
    """The words of a text with their case, punctuation at their edges removed, URLs left out."""
    found = []
    for token in _NOTE_CALL.sub(" ", _URL.sub(" ", text)).split():
        word = token.strip(_EDGE_PUNCTUATION)
        if any(c.isalnum() for c in word):
            found.append(word)
    return found


# Blocks whose own text a reader sees; containers (lists, quotes, divs) are walked into instead.
_TEXT_BLOCKS = ("Para", "Plain", "Header", "CodeBlock", "LineBlock", "Table", "Figure", "DefinitionList")


def _source_text(document: Document) -> str:
    meta = document.meta
    texts = [stringify(b) for b in walk_blocks(document.blocks) if b.get("t") in _TEXT_BLOCKS]
    return "\n".join([meta.title, *(text for _kind, text in meta.title_page()), *texts,
                      _note_text(document.blocks)])


def _note_text(blocks: list[Node]) -> str:
    parts = []
    for block in walk_blocks(blocks):
        for inline in block.get("c", []) if block.get("t") in ("Para", "Plain") else []:
            if isinstance(inline, dict) and inline.get("t") == "Note":
                parts.append(stringify(inline["c"]))
    return " ".join(parts)


def _urls(node) -> list[str]:
    """Every link and image target in a pandoc JSON tree."""
    if isinstance(node, list):
        return [url for child in node for url in _urls(child)]
    if not isinstance(node, dict):
        return []
    own = [node["c"][2][0]] if node.get("t") in ("Link", "Image") else []
    return own + _urls(node.get("c"))


def _url_words(document: Document) -> set[str]:
    """Words inside the source's URLs (an edition may print URLs, with their capitals)."""
    return set(words(re.sub(r"[/.:\-_?=#&]", " ", " ".join(_urls(document.blocks)))))


def _marker_words(document: Document) -> set[str]:
    """Words of the source's ordered-list markers (`IV.`, `(c)`), which the editions print as written."""
    markers = []
    for block in walk_blocks(document.blocks):
        if block.get("t") == "OrderedList":
            (start, style, delimiter), items = block["c"]
            markers += [ordered_marker(start + i, style["t"], delimiter["t"]) for i in range(len(items))]
    return set(words(" ".join(markers)))


def expected_list_items(blocks: list[Node], depth: int = 0) -> list[tuple[int, str]]:
    """Every list item of the source in order, with its depth (1 = top level) and its first words.

    Lists quoted from elsewhere (inside block quotes) are left out: they are the quoted text's structure.
    """
    items = []
    for block in blocks:
        if block.get("t") == "BlockQuote":
            continue
        if block.get("t") in ("BulletList", "OrderedList"):
            entries = block["c"] if block["t"] == "BulletList" else block["c"][1]
            for entry in entries:
                first = entry[0] if entry and entry[0].get("t") in ("Plain", "Para", "LineBlock") else None
                items.append((depth + 1, " ".join(stringify(first).split()) if first else ""))
                items += expected_list_items(entry, depth + 1)
        else:
            for children in child_block_lists(block):
                items += expected_list_items(children, depth)
    return items


def voice_findings(document: Document, reading: readback.Reading, label: str) -> list[Finding]:
    """The voice check: words with their case, no invented capitals, disclaimers verbatim, list depth."""
    source_words = words(_source_text(document))
    shown = set(words(reading.text))
    findings = []
    missing = sorted({w for w in source_words if w not in shown})
    findings.append(Finding("fail" if missing else "ok", label, "every word of the source, in its case",
                            f"missing {', '.join(missing[:8])}" + (" …" if len(missing) > 8 else "")
                            if missing else f"{len(set(source_words))} distinct words"))
    # The unit symbols of the sizes chapbook's own links name ("ebook (epub, 27 kB)") are SI's, not re-cased words.
    allowed = set(source_words) | _url_words(document) | _marker_words(document) | set(SIZE_UNITS)
    capitals = sorted({w for w in shown if any(c.isupper() for c in w) and w not in allowed})
    findings.append(Finding("fail" if capitals else "ok", label, "no capital the source does not have",
                            ", ".join(capitals[:8]) if capitals else ""))
    flat = " ".join(reading.text.split())
    disclaimers = [" ".join(stringify(b).split()) for b in walk_blocks(document.blocks)
                   if has_class(b, DISCLAIMER_CLASS)]
    lost = [d for d in disclaimers if d not in flat]
    findings.append(Finding("fail" if lost else "ok", label, "every disclaimer verbatim",
                            f"not found: {lost[0][:60]}" if lost else f"{len(disclaimers)} disclaimers"))
    if reading.list_items is not None:
        findings.append(_depth_finding(expected_list_items(document.blocks), reading.list_items, label))
    return findings


_ORDERED_MARKER = re.compile(r"^\(?[0-9a-zA-Z]{1,4}[.)]( |$)")


def _same_item(start: str, shown: str) -> bool:
    shown = " ".join(shown.split())
    if not start:
        return not shown or bool(_ORDERED_MARKER.fullmatch(shown))
    # Editions without list numbering of their own (gemtext) show an ordered item's number as text.
    return shown.startswith(start) or _ORDERED_MARKER.sub("", shown, count=1).startswith(start)


def _depth_finding(expected: list[tuple[int, str]], shown: list[tuple[int, str]], label: str) -> Finding:
    """Each expected item, in order, must be shown with its text at its depth.

    Lines that only look like list items (inside code blocks, say) are skipped over.
    """
    position = 0
    for depth, text in expected:
        start = " ".join(text.split()[:4])
        matches = [i for i in range(position, len(shown)) if _same_item(start, shown[i][1])]
        at_depth = [i for i in matches if shown[i][0] == depth]
        if not at_depth:
            detail = (f"{text[:40]!r} is at depth {shown[matches[0]][0]}, not {depth}" if matches
                      else f"item not found: {text[:50]}")
            return Finding("fail", label, "every list item at its depth", detail)
        position = at_depth[0] + 1
    return Finding("ok", label, "every list item at its depth", f"{len(expected)} items")


