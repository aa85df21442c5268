"""The EPUB's page list: a marker where each page of the PDF the same build laid out begins, and a nav to them.

A marker is an empty `<span epub:type="pagebreak" role="doc-pagebreak" id="page-N" aria-label="N"/>`
placed before the first word of page N, as the DAISY Knowledge Base describes page break markers
(kb.daisy.org/publishing/docs/navigation/pagebreaks.html: "always placed at the start of the page's
content"; the label is the number alone). The PDF's page starts come from
pipeline/writers/shared/print_pages.py; here they are found in the book's own text, word by word:

- words are compared by their letters and digits alone, case folded, and words without a letter
  (folios in the print contents, a lone "*") are passed over on both sides;
- each page is first looked for by its first six words after the previous page's place, then a page
  not found so (the print contents, whose first entry the ebook's contents orders differently) is
  looked for by fewer words between its neighbours' places;
- a page that begins inside a word hyphenated across the page break is marked after that word;
- a blank page, or one whose words the ebook does not carry, is marked where the next page begins.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from typing import NamedTuple

from pipeline.writers.epub.kobo import INLINE
from pipeline.writers.shared.print_pages import PageStart
from pipeline.writers.shared.xhtml import EPUB_NS, XHTML_NS

log = logging.getLogger("chapbook")
_X = f"{{{XHTML_NS}}}"
_HEADER = '<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE html>\n'
_NOT_KEPT = re.compile(r"[\W_]+")
_SPACED = re.compile(r"\S+")  # a word of a text slot; a word may go on in the next slot
_WINDOW = 6  # words that place a page; enough to tell apart any two places in an essay
LABEL = "pages"


class _Word(NamedTuple):  # a tuple: a 450-page book has 110,000 of them, made 3 times faster than a dataclass
    """A word of the book's text: its comparable form and where its text starts."""

    key: str  # letters and digits, case folded; "" for a word to pass over
    document: int
    slot: int  # index into that document's text slots
    offset: int  # in that slot's text


def word_key(word: str) -> str:
    """The form in which a word of the PDF and one of the EPUB are compared ("" when it has no letter)."""
    kept = _NOT_KEPT.sub("", word.casefold())  # what str.isalnum() keeps: \w is that and "_"
    return kept if kept.isalpha() or any(character.isalpha() for character in kept) else ""


def _slots(root) -> list[tuple[object, str]]:
    """The body's text slots in reading order, (element, "text" | "tail"); a hidden element's text left out.

    A slot (None, "") stands for the edge of a block, where a word ends.
    """
    found: list[tuple[object, str]] = []

    def walk(element) -> None:
        local = element.tag.rpartition("}")[2] if isinstance(element.tag, str) else ""
        if not local or element.get("hidden") is not None:
            return
        edge = [(None, "")] if local not in INLINE or local == "br" else []
        found.extend([*edge, (element, "text")])
        for child in element:
            walk(child)
            found.append((child, "tail"))
        found.extend(edge)

    body = root.find(f"{_X}body")
    if body is not None:
        walk(body)
    return found


def _words(all_slots: list[list[tuple[object, str]]]) -> list[_Word]:
    """Every word of the documents' text (each document's text slots) in reading order."""
    words: list[_Word] = []
    for document, slots in enumerate(all_slots):
        start: tuple[int, int] | None = None  # (slot, offset) of a word that may go on in the next slot
        text_so_far = ""
        for number, (element, which) in enumerate([*slots, (None, "")]):
            text = " " if element is None else getattr(element, which) or ""
            for match in _SPACED.finditer(text):
                if match.start() and start is not None:  # space before it: the word before has ended
                    words.append(_Word(word_key(text_so_far), document, *start))
                    start, text_so_far = None, ""
                start = start or (number, match.start())
                text_so_far += match.group()
            if start is not None and text and text[-1].isspace():
                words.append(_Word(word_key(text_so_far), document, *start))
                start, text_so_far = None, ""
    return words


@dataclass(frozen=True)
class WordIndex:
    """The XHTML documents (name, bytes; in reading order) and their words, found once, before the PDF is there.

    Placing a PDF's page markers (mark_pages) parses the documents afresh and leaves the index as it
    is, so one index serves any number of PDFs.
    """

    documents: tuple[tuple[str, bytes], ...]
    words: tuple[_Word, ...]


def _parsed(documents) -> tuple[list, list[list[tuple[object, str]]]]:
    from lxml import etree

    roots = [etree.fromstring(data) for _name, data in documents]
    return roots, [_slots(root) for root in roots]


def word_index(documents: list[tuple[str, bytes]]) -> WordIndex:
    """The words of the documents (name, bytes; in reading order), where mark_pages looks for each page."""
    _roots, slots = _parsed(documents)
    return WordIndex(tuple(documents), tuple(_words(slots)))


def _find(keys: list[str], wanted: list[str], start: int, end: int) -> tuple[int, bool] | None:
    """The first place in keys[start:end] where `wanted` is read, and whether it begins inside a word there."""
    size = len(wanted)
    stop = min(end, len(keys)) - size + 1  # the last place it may begin, plus one
    if stop <= start:
        return None
    if size == 1:
        return next(((index, keys[index] != wanted[0]) for index in range(start, stop)
                     if keys[index].endswith(wanted[0])), None)
    # Read where it begins or inside a word, it goes on with wanted[1:]: only where wanted[1] is can it
    # begin one word before (list.index finds those places in C, not word by word in Python).
    after = start + 1
    while True:
        try:
            after = keys.index(wanted[1], after, stop + 1)
        except ValueError:
            return None
        first = keys[after - 1]
        if keys[after:after + size - 1] == wanted[1:] and first.endswith(wanted[0]):
            return after - 1, first != wanted[0]
        after += 1


def placed_pages(starts: list[PageStart], words: Sequence[_Word]) -> dict[int, int]:
    """Page (its index in `starts`) -> index of the word its marker goes before, for each page found."""
    spoken = [index for index, word in enumerate(words) if word.key]
    keys = [words[index].key for index in spoken]
    wanted = [[key for key in map(word_key, start.words) if key] for start in starts]
    found: dict[int, tuple[int, bool]] = {}
    cursor = 0
    for page, page_words in enumerate(wanted):
        place = _find(keys, page_words[:_WINDOW], cursor, len(keys)) if page_words else None
        if place is not None:
            found[page], cursor = place, place[0] + 1
    for page, page_words in enumerate(wanted):  # the pages not found by six words, between their neighbours
        if page in found or not page_words:
            continue
        before = max((found[p][0] + 1 for p in found if p < page), default=0)
        after = min((found[p][0] for p in found if p > page), default=len(keys))
        for size in range(min(_WINDOW, len(page_words)) - 1, 0, -1):
            place = _find(keys, page_words[:size], before, after)
            if place is not None:
                found[page] = place
                break
    placed: dict[int, int] = {}
    for page, (index, inside) in found.items():
        if inside:
            index += 1  # the hyphenated word is the previous page's: mark the page after it
        word = spoken[index] if index < len(spoken) else len(words) - 1
        # Back over words without letters that begin the page ("* i tend…" begins with its "*").
        leading = next((n for n, raw in enumerate(starts[page].words) if word_key(raw)), 0)
        while leading and word > 0 and not words[word - 1].key and not inside:
            word, leading = word - 1, leading - 1
        placed[page] = word
    return placed


def _marker(label: str):
    from lxml import etree

    return etree.Element(f"{_X}span", {f"{{{EPUB_NS}}}type": "pagebreak", "role": "doc-pagebreak",
                                       "id": f"page-{label}", "aria-label": label})


def _insert(element, which: str, offset: int, label: str) -> None:
    marker = _marker(label)
    text = getattr(element, which) or ""
    marker.tail = text[offset:]
    setattr(element, which, text[:offset] or None)
    if which == "text":
        element.insert(0, marker)
    else:
        element.addnext(marker)


def mark_pages(index: WordIndex, starts: list[PageStart], nav_name: str) -> dict[str, bytes]:
    """The index's XHTML documents that change, by name: page markers, and the page list nav.

    `nav_name` names the navigation document, which receives the `page-list` nav after its others.
    """
    from lxml import etree

    documents, words = index.documents, index.words
    # Parsed again (5 ms for a 450-page book), so the index's own documents are never changed.
    roots, slots = _parsed(documents)
    placed = placed_pages(starts, words)
    # A page not placed (blank, or its words not in the ebook) is marked where the next placed page is.
    positions: list[tuple[int, int]] = []  # (word index, page index)
    following = None
    for page in reversed(range(len(starts))):
        if page in placed:
            following = placed[page]
        elif following is not None:
            log.debug("page %s of the PDF: %s; marked where the next page begins", starts[page].label,
                      "blank" if not starts[page].words else "its first words are not in the EPUB")
        if following is not None:
            positions.append((following, page))
    # Inserted from the end backwards, so each offset still counts from its slot's unchanged start.
    for word_index, page in sorted(positions, reverse=True):
        word = words[word_index]
        element, which = slots[word.document][word.slot]
        _insert(element, which, word.offset, starts[page].label)
    entries = [(starts[page].label, f"{documents[words[w].document][0]}#page-{starts[page].label}")
               for w, page in sorted(positions, key=lambda item: item[1])]
    names = [name for name, _data in documents]
    nav_body = roots[names.index(nav_name)].find(f"{_X}body")
    nav_body.append(etree.fromstring(page_list_nav(entries)))
    nav_body[-1].tail = "\n"
    marked = {documents[words[w].document][0] for w, _page in positions} | {nav_name}
    return {name: (_HEADER + etree.tostring(root, encoding="unicode") + "\n").encode()
            for name, root in zip(names, roots, strict=True) if name in marked}


def page_list_nav(entries: list[tuple[str, str]]) -> str:
    """The `page-list` nav (hidden: reading systems offer it as "go to page"), one link per page marker."""
    items = "\n".join(f'<li><a href="{escape(href)}">{escape(label, quote=False)}</a></li>' for label, href in entries)
    return (f'<nav xmlns="{XHTML_NS}" xmlns:epub="{EPUB_NS}" epub:type="page-list" id="page-list" '
            f'role="doc-pagelist" hidden="">\n<h2>{LABEL}</h2>\n<ol>\n{items}\n</ol>\n</nav>')
