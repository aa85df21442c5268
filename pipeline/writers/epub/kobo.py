"""EPUB bytes -> Kobo kepub bytes: the same book with Kobo's span markup.

Kobo readers open a book with their better renderer (page numbers, reading statistics, footnote pop-ups)
only when its file is named `.kepub.epub` and its text is wrapped in `<span class="koboSpan"
id="kobo.P.S">` elements, P counting paragraphs and S the sentence-like segments inside one. The open
converters (kepubify, calibre's Kobo driver) split text after sentence punctuation, start a new paragraph
number at each text block and each image, leave preformatted text alone, and wrap the body's content in
`div#book-columns > div#book-inner`. This module does the same, written from that description.

Only markup is added: the text, its case and the nesting of every element stay exactly as they were.
"""

from __future__ import annotations

import io
import re
import zipfile
from posixpath import dirname, join, normpath

XHTML_NS = "http://www.w3.org/1999/xhtml"
_X = f"{{{XHTML_NS}}}"
_OPF_NS = "{http://www.idpf.org/2007/opf}"
_CONTAINER_NS = "{urn:oasis:names:tc:opendocument:xmlns:container}"
_HEADER = '<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE html>\n'
# A segment ends after sentence punctuation, any closing quotes or brackets, and the spaces that follow.
_SEGMENT_END = re.compile(r"[.!?:…]+[\"'”’»)\]]*\s+")
# Text inside these is left exactly as it is (spacing matters, or it is not text).
_UNTOUCHED = {"pre", "script", "style", "audio", "video", "svg", "math", "textarea"}
# Phrasing elements: text inside them belongs to the paragraph of the nearest element not in this list.
INLINE = {"a", "abbr", "b", "bdi", "bdo", "br", "cite", "code", "data", "del", "dfn", "em", "i", "ins", "kbd",
           "mark", "q", "rp", "rt", "ruby", "s", "samp", "small", "span", "strong", "sub", "sup", "time", "u",
           "var", "wbr"}
WRAPPERS = ("book-columns", "book-inner")


def segments(text: str) -> list[str]:
    """`text` cut after each sentence-like piece; the pieces joined give `text` back exactly."""
    pieces, start = [], 0
    for match in _SEGMENT_END.finditer(text):
        pieces.append(text[start:match.end()])
        start = match.end()
    if start < len(text):
        pieces.append(text[start:])
    return pieces


class _Counter:
    """Paragraph and segment numbers across one document: a new paragraph at each new text block."""

    def __init__(self) -> None:
        self.paragraph, self.segment, self.block = 0, 0, None

    def next_id(self, block) -> str:
        if block is not self.block:
            self.paragraph, self.segment, self.block = self.paragraph + 1, 0, block
        self.segment += 1
        return f"kobo.{self.paragraph}.{self.segment}"


def _local(element) -> str:
    tag = element.tag
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _block_of(element):
    while element is not None and _local(element) in INLINE:
        element = element.getparent()
    return element


def _spans(text: str, block, counter: _Counter) -> list:
    from lxml import etree

    spans = []
    for piece in segments(text):
        span = etree.Element(f"{_X}span", {"class": "koboSpan", "id": counter.next_id(block)}, nsmap=None)
        span.text = piece
        spans.append(span)
    return spans


def _wrap_text(element, counter: _Counter) -> None:
    """Wrap each non-blank text and tail under `element` in numbered spans, in document order."""
    if _local(element) in _UNTOUCHED:
        return
    block = _block_of(element)
    children = list(element)  # before the new spans join them
    if element.text and element.text.strip():
        spans = _spans(element.text, block, counter)
        element.text = None
        for position, span in enumerate(spans):
            element.insert(position, span)
    for child in children:
        if _local(child) == "img":
            child = _wrap_image(child, counter)  # an image is a paragraph of its own
        elif isinstance(child.tag, str):  # not a comment or processing instruction
            _wrap_text(child, counter)
        if child.tail and child.tail.strip():
            spans = _spans(child.tail, block, counter)
            child.tail = None
            position = element.index(child)
            for offset, span in enumerate(spans, start=1):
                element.insert(position + offset, span)


def _wrap_image(image, counter: _Counter):
    """Put `image` inside a numbered span of its own paragraph; returns the span, which takes its tail."""
    from lxml import etree

    counter.block = None
    span = etree.Element(f"{_X}span", {"class": "koboSpan", "id": counter.next_id(image)}, nsmap=None)
    span.tail, image.tail = image.tail, None
    image.getparent().replace(image, span)
    span.append(image)
    counter.block = None
    return span


def kepub_document(data: bytes) -> bytes:
    """One XHTML content document with Kobo's spans and wrapper divs (unchanged if it already has spans)."""
    from lxml import etree

    root = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))
    body = root.find(f"{_X}body")
    if body is None or root.xpath("//*[contains(concat(' ', @class, ' '), ' koboSpan ')]"):
        return data
    taken = set(root.xpath("//@id"))
    _wrap_text(body, _Counter())
    if not taken & set(WRAPPERS):  # never a duplicate id (a heading could be named "book inner")
        outer = etree.Element(f"{_X}div", {"id": WRAPPERS[0]}, nsmap=None)
        inner = etree.SubElement(outer, f"{_X}div", {"id": WRAPPERS[1]})
        inner.text, body.text = body.text, "\n"
        for child in list(body):
            inner.append(child)
        outer.tail = "\n"
        body.append(outer)
    return (_HEADER + etree.tostring(root, encoding="unicode") + "\n").encode("utf-8")


def _content_documents(archive: zipfile.ZipFile) -> set[str]:
    """The package's XHTML content documents other than the navigation document, as zip entry names."""
    from lxml import etree

    container = etree.fromstring(archive.read("META-INF/container.xml"))
    opf_name = container.find(f".//{_CONTAINER_NS}rootfile").get("full-path")
    opf = etree.fromstring(archive.read(opf_name))
    names = set()
    for item in opf.iter(f"{_OPF_NS}item"):
        if item.get("media-type") == "application/xhtml+xml" and "nav" not in (item.get("properties") or "").split():
            names.add(normpath(join(dirname(opf_name), item.get("href").split("#")[0])))
    return names


def kepub(epub: bytes) -> bytes:
    """A Kobo kepub from EPUB bytes: every content document segmented, every other entry copied as it was.

    Entry order, dates and compression are kept (so the same EPUB always gives the same kepub), and
    `mimetype` stays first and stored.
    """
    output = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(epub)) as source, zipfile.ZipFile(output, "w") as target:
        documents = _content_documents(source)
        for info in source.infolist():
            data = source.read(info)
            if info.filename in documents:
                data = kepub_document(data)
            copy = zipfile.ZipInfo(info.filename, date_time=info.date_time)
            copy.compress_type, copy.create_system, copy.external_attr = (info.compress_type, info.create_system,
                                                                         info.external_attr)
            target.writestr(copy, data, compresslevel=9 if info.compress_type == zipfile.ZIP_DEFLATED else None)
    return output.getvalue()
