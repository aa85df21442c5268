"""The voice check: every word of the source in its case, no invented capitals, disclaimers verbatim,
every list item at its depth. Each edition's checker reads its file back (pipeline.check.readback) and asks this."""

from __future__ import annotations

import re

from pipeline.ast import Node, child_block_lists, has_class, ordered_marker, stringify, walk_blocks
from pipeline.check import readback
from pipeline.check.findings import Finding
from pipeline.check.words import called_words, letter_runs, math_shown, noted_words, source_text, words, written_words
from pipeline.document import Document
from pipeline.transforms.disclaimers import DISCLAIMER_CLASS
from pipeline.words.measure import SIZE_UNITS


def link_targets(node) -> list[str]:
    """Every link and image target in a pandoc JSON tree."""
    if isinstance(node, list):
        return [url for child in node for url in link_targets(child)]
    if not isinstance(node, dict):
        return []
    own = [node["c"][2][0]] if node.get("t") in ("Link", "Image") else []
    return own + link_targets(node.get("c"))


def source_markdown(document: Document) -> str:
    """The document's Markdown source as the reader decoded it."""
    from pipeline.files.bounded import read_regular_file
    from pipeline.reader import MAX_SOURCE_BYTES, decode_source

    return decode_source(document.source, read_regular_file(document.source, MAX_SOURCE_BYTES))


def source_location(document: Document, text: str) -> str:
    """`path:line` of the first line of the document's source holding `text` (the path alone if none does)."""
    try:
        markdown = source_markdown(document)
    except Exception:  # noqa: BLE001 - the source may have gone since the build; its name still helps
        return str(document.source)
    where = markdown.find(text)
    return f"{document.source}:{markdown.count(chr(10), 0, where) + 1}" if where >= 0 else str(document.source)


def _url_words(document: Document) -> set[str]:
    """Words inside the source's URLs (an edition may print URLs, with their capitals)."""
    return set(words(re.sub(r"[/.:\-_?=#&]", " ", " ".join(link_targets(document.blocks)))))


def _marker_words(document: Document) -> set[str]:
    """Words of the source's ordered-list markers (`IV.`, `(c)`), which the editions print as written."""
    markers = []
    for block in walk_blocks(document.blocks):
        if block.get("t") == "OrderedList":
            (start, style, delimiter), items = block["c"]
            markers += [ordered_marker(start + i, style["t"], delimiter["t"]) for i in range(len(items))]
    return set(words(" ".join(markers)))


def expected_list_items(blocks: list[Node], depth: int = 0, tables: bool = True) -> list[tuple[int, str]]:
    """Every list item of the source in order, with its depth (1 = top level) and its first words.

    Lists quoted from elsewhere (inside block quotes) are left out: they are the quoted text's structure.
    So are lists inside table cells unless `tables` (editions that set a table as a grid of text, plain
    text and gemtext, show them as the cell's lines).
    """
    items = []
    for block in blocks:
        if block.get("t") == "BlockQuote" or (block.get("t") == "Table" and not tables):
            continue
        if block.get("t") in ("BulletList", "OrderedList"):
            entries = block["c"] if block["t"] == "BulletList" else block["c"][1]
            for entry in entries:
                first = entry[0] if entry and entry[0].get("t") in ("Plain", "Para", "LineBlock") else None
                items.append((depth + 1, " ".join(stringify(first).split()) if first else ""))
                items += expected_list_items(entry, depth + 1, tables)
        else:
            for children in child_block_lists(block):
                items += expected_list_items(children, depth, tables)
    return items


def _without_images(node):
    """A pandoc JSON tree without its Image nodes (a new tree)."""
    if isinstance(node, list):
        return [_without_images(item) for item in node if not (isinstance(item, dict) and item.get("t") == "Image")]
    if isinstance(node, dict) and "c" in node:
        return {"t": node["t"], "c": _without_images(node["c"])}
    return node


def voice_findings(document: Document, reading: readback.Reading, label: str) -> list[Finding]:
    """The voice check: words with their case, no invented capitals, disclaimers verbatim, list depth.

    An image's alt text is allowed but not required: the EPUB and the PDF show the image, and keep its
    alt text for screen readers, out of the reading text.
    """
    text = source_text(document, reading.math)
    source_words = words(text)
    required = words(source_text(document.with_blocks(_without_images(document.blocks)), reading.math))
    shown = set(words(reading.text))
    shown |= called_words(shown, noted_words(text))
    findings = []
    missing = sorted({w for w in required if w not in shown})
    findings.append(Finding("fail" if missing else "ok", label, "every word of the source, in its case",
                            f"missing {', '.join(missing[:8])}" + (" …" if len(missing) > 8 else "")
                            if missing else f"{len(set(source_words))} distinct words"))
    # The unit symbols of the sizes chapbook's own links name ("ebook (epub, 27 kB)") are SI's, not re-cased words.
    allowed = set(source_words) | _url_words(document) | _marker_words(document) | set(SIZE_UNITS)
    # A word is judged by its runs of letters too: a URL the PDF prints for paper may break at any
    # punctuation ("(https://" on one line, "ru.wikipedia.org/wiki/Поэзия)" on the next).
    allowed_runs = letter_runs(" ".join(allowed))
    capitals = sorted({w for w in shown if any(c.isupper() for c in w) and w not in allowed
                       and not all(run in allowed_runs for run in letter_runs(w) if run.lower() != run)})
    findings.append(Finding("fail" if capitals else "ok", label, "no capital the source does not have",
                            ", ".join(capitals[:8]) if capitals else ""))
    flat = " ".join(reading.text.split())
    disclaimers = [" ".join(stringify(b).split()) for b in walk_blocks(document.blocks)
                   if has_class(b, DISCLAIMER_CLASS)]
    lost = [d for d in disclaimers if d not in flat]
    findings.append(Finding("fail" if lost else "ok", label, "every disclaimer verbatim",
                            f"not found: {lost[0][:60]}" if lost else f"{len(disclaimers)} disclaimers"))
    if reading.list_items is None:
        findings.append(Finding("skipped", label, "every list item at its depth", reading.lists_unread))
    else:
        expected = expected_list_items(math_shown(document, reading.math).blocks, tables=reading.lists_in_tables)
        findings.append(_depth_finding(expected, reading.list_items, label))
    return findings


_ORDERED_MARKER = re.compile(r"^\(?(?:[0-9]{1,9}|[a-zA-Z]{1,8}|#)[.)]( |$)")


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


def lost_words_finding(document: Document, markdown: str) -> Finding:
    """Whether every word written in the source reached the document tree the editions are made from.

    The per-edition voice check compares editions with that tree; a word the reader itself swallowed
    (as pandoc's raw TeX once did with `C:\\Users\\alice`) is missing from both, and only this sees it.
    """
    read = letter_runs(source_text(document)) | _url_words(document)
    lost = sorted(written_words(markdown, read))
    return Finding("fail" if lost else "ok", str(document.source), "every word of the source read",
                   f"not in any edition: {', '.join(lost[:8])}" + (" …" if len(lost) > 8 else "") if lost else "")
