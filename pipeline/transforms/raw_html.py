"""Raw HTML: cleaned with nh3 so no script, handler, embedded object or remote fetch reaches an edition."""

from __future__ import annotations

import logging
import re
from operator import itemgetter

from pipeline.ast import Node, map_block_lists, map_inlines
from pipeline.document import Document

log = logging.getLogger("chapbook")
_UNSAFE = re.compile(r"<\s*/?\s*(script|iframe|object|embed|img|link|style)|\son\w+\s*=|javascript:", re.I)

# Tags that only format text; nothing that fetches (img, iframe, object, link, style) or runs (script).
ALLOWED_TAGS = {"a", "abbr", "b", "bdi", "bdo", "blockquote", "br", "cite", "code", "dd", "del", "dfn", "div",
                "dl", "dt", "em", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "ins",
                "kbd", "li", "mark", "ol", "p", "pre", "q", "s", "samp", "small", "span", "strong", "sub",
                "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul", "var", "wbr"}


def clean_html(html: str) -> str:
    """`html` with everything but harmless formatting removed (nh3, the ammonia sanitizer)."""
    import nh3

    return nh3.clean(html, tags=ALLOWED_TAGS, attributes={"a": {"href", "title"}, "*": {"lang", "dir"}},
                     url_schemes={"http", "https", "mailto", "gemini"}, strip_comments=True,
                     link_rel="noopener noreferrer")


def _cleaned_block(block: Node, source: str) -> Node:
    kind = block.get("t")
    if kind == "RawBlock":
        form, html = block["c"]
        if form != "html":
            return {"t": "RawBlock", "c": [form, ""]}
        cleaned = clean_html(html)
        if cleaned.strip() != html.strip() and not html.lstrip().startswith("<!--"):
            log.warning("%s: raw HTML cleaned (script, handlers, objects and remote resources removed)", source)
        return {"t": "RawBlock", "c": ["html", cleaned]}
    return block


# A raw block that is one bare opening or closing tag: pandoc parsed what lies between as Markdown.
_LONE_TAG = re.compile(r"\A\s*<(/?)([a-zA-Z][a-zA-Z0-9]*)\b[^<>]*>\s*\Z")


def _lone_tag(block: Node) -> tuple[str, str] | None:
    """("", "p") for a raw block that is just `<p>`, ("/", "p") for `</p>`, else None."""
    if block.get("t") != "RawBlock" or block["c"][0] != "html":
        return None
    match = _LONE_TAG.match(block["c"][1])
    return (match.group(1), match.group(2).lower()) if match else None


def _cleaned(blocks: list[Node], source: str) -> list[Node]:
    result = []
    in_paragraph = False
    for block in blocks:
        tag = _lone_tag(block)
        if tag and tag[1] in ALLOWED_TAGS:
            # Half an element, cleaned alone, would become an empty one: drop it, keep its contents,
            # and let text inside a <p> stay a paragraph.
            in_paragraph = tag == ("", "p")
            continue
        if in_paragraph and block.get("t") == "Plain":
            block = {"t": "Para", "c": block["c"]}
        result.append(_cleaned_block(block, source))
    return result


# Elements whose content a browser never shows as text: what pandoc parsed between their tags goes with them.
_UNSEEN_CONTENT = {"style", "script", "template"}
_INLINE_TAG = re.compile(r"\A\s*<\s*(/?)\s*([a-zA-Z][a-zA-Z0-9]*)")


def _without_raw_inlines(source: str):
    def change(inlines: list[Node]) -> list[Node]:
        if "RawInline" not in map(itemgetter("t"), inlines):  # most paragraphs: nothing to drop
            return inlines
        kept, hidden_until = [], ""
        for node in inlines:
            if node.get("t") == "RawInline":
                # An inline tag is half an element; only its text (parsed by pandoc) survives.
                if _UNSAFE.search(node["c"][1]):
                    log.warning("%s: raw HTML tag %s removed", source, node["c"][1][:40])
                tag = _INLINE_TAG.match(node["c"][1])
                name = tag.group(2).lower() if tag else ""
                if tag and not tag.group(1) and name in _UNSEEN_CONTENT:
                    hidden_until = name  # `<style>…</style>`: the CSS between is not the author's text
                elif tag and tag.group(1) and name == hidden_until:
                    hidden_until = ""
                continue
            if not hidden_until:
                kept.append(node)
        return kept
    return change


def clean_raw_html(document: Document) -> Document:
    """Sanitise raw HTML blocks and drop raw inline tags wherever they are (lists, quotes, notes, table
    cells, definition lists, figures), warning when something unsafe was removed."""
    source = str(document.source)
    blocks = map_block_lists(document.blocks, lambda items: _cleaned(items, source))
    return document.with_blocks(map_inlines(blocks, _without_raw_inlines(source)))
