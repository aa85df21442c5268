"""A long book laid out in parts at once, one per core, and joined into one PDF, in one round.

WeasyPrint lays a document out on one core, and its pages cannot leave the process they were laid
out in, so a book longer than SPLIT_WORDS is cut at the section opening nearest its middle and laid
out as three documents: the front (title page and contents), the sections before the cut, and the
sections from it on. The second part opens on a right-hand page, as a chapter of a printed book
does (a blank page comes before it when the first part ends on a right-hand page). Its pages are
laid out in a forked process while this one lays out the first part; pipeline/pdf_join.py joins them.

What crosses a cut is written into each document, so that no layout waits for another:
- each part's first page number, side and footnote number: the front and the first part end on a
  marker page that forces the next part's side (a right-hand page) and is dropped from the PDF;
  each part opens on the number of the marker page before it. Neither number is known while a
  part's text is paginated (the front's pages are counted in the other process, the first part's
  here), so each part is laid out from page 1 and renumbered when WeasyPrint sets its folios, after
  its text is paginated (pipeline/late_folios.py); the footnote number is counted in the source;
- the contents' page numbers: the front is laid out once to count its pages (the numbers, set in
  the margin of each entry, never move its text), then again with the numbers the parts measured.
The join fails safe: if the front's pages differ between its two layouts, or WeasyPrint cannot be
renumbered, the caller lays the book out whole.
"""

from __future__ import annotations

import json
import logging
import os
import re
from dataclasses import dataclass, replace
from html import escape, unescape

from pipeline.ast import stringify
from pipeline.book_html import contents_entries, contents_html, essay_html, html_page, running_head, title_page_html
from pipeline.book_layout import BookOptions, anchor_pages, lay_out, pdf_bytes
from pipeline.document import Document

log = logging.getLogger("chapbook")

# Words of text above which a book is laid out in two parts: about 100 A5 pages (the essay has 4,300
# on 25 pages). Below, a second process would not pay for the fork, the front's second layout, the
# join and the page the cut costs.
SPLIT_WORDS = 20_000
# What laying out and drawing the front with its numbers costs beyond counting its pages, per
# contents entry, in words of text laid out in the same time (the 20x essay: 760 entries, 1.5 s).
FRONT_ENTRY_WORDS = 13
# Ends the front and the first part: it starts a right-hand page of its own (a blank one before it
# if need be), which the join drops; the next part starts on its page.
PART_END = '<div class="part-end"></div>'
PART_END_CSS = ("@page part-end { @top-left { content: none } @top-right { content: none } "
                "@bottom-left { content: none } @bottom-right { content: none } }\n"
                "body > div.part-end { page: part-end; break-before: right }\n")
# The front laid out only to count its pages: the numbers, set in each entry's margin, never move its
# text, and leaving them out halves the time (render_in_parts checks that the count holds).
COUNTING_CSS = "nav.contents a::after { content: none }\n"

_ID = re.compile(r'\sid="([^"]+)"')
_INTERNAL_HREF = re.compile(r'\shref="#([^"]+)"')


@dataclass(frozen=True)
class LaidOut:
    """One part laid out: its PDF, how many pages it has and the page (1-based, within it) of each anchor."""

    pdf: bytes
    pages: int
    anchors: dict[str, int]


def split_index(document: Document, limit: int = SPLIT_WORDS) -> int | None:
    """The block where the second part starts: the section opening nearest the book's middle; None if short."""
    blocks = document.blocks
    words = [len(stringify(block).split()) for block in blocks]
    total = sum(words)
    if total <= limit:
        return None
    # The first part's process also lays out and draws the front with its numbers; the other only
    # counts the front's pages, without numbers: the first part gets that much less text.
    middle = (total - FRONT_ENTRY_WORDS * len(contents_entries(document.outline()))) / 2
    best, best_distance, running = None, None, 0
    for index, block in enumerate(blocks):
        if index and block.get("t") == "Header" and block["c"][0] == 1:
            distance = abs(running - middle)
            if best_distance is None or distance < best_distance:
                best, best_distance = index, distance
        running += words[index]
    return best


def notes_in(blocks: list) -> int:
    """How many footnotes `blocks` call (pandoc's notes do not nest)."""
    count = 0
    stack = list(blocks)
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            count += node.get("t") == "Note"
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return count


def _with_anchors(main: str, ids: list[str]) -> str:
    """`main` with empty anchors at its end for ids the other part defines, so that WeasyPrint keeps the
    links to them (the join points their names at the real place)."""
    end = main.rindex("</main>")
    return main[:end] + _anchors(ids) + main[end:]


def part_mains(document: Document, cut: int) -> tuple[str, str]:
    """Each part's <main>: the sections before block `cut`, and from it on, each with the running heads' title.

    The title page sets that title when the book is laid out whole; a part's <main> carries it (set on
    every page <main> continues, it is the same each time), so that no element comes before its first.
    """
    opening = '<main class="essay">'
    titled = f'<main class="essay" data-running-title="{escape(running_head(document.meta.title))}">'
    return tuple(essay_html(replace(document, blocks=blocks)).replace(opening, titled, 1)
                 for blocks in (document.blocks[:cut], document.blocks[cut:]))


def part_css(start: int, notes: int) -> str:
    """A part goes on from page `start` (on its side) and from footnote `notes` + 1."""
    side = "right" if start % 2 else "left"
    return (f"@page :first {{ counter-reset: page {start} }}\n"
            f"html {{ break-before: {side}; counter-reset: footnote {notes} }}\n"
            "main.essay { break-before: auto }\n"
            "main.essay[data-running-title] { string-set: title attr(data-running-title) }\n")


def _laid_out(rendering, options: BookOptions) -> LaidOut:
    return LaidOut(pdf_bytes(rendering, options), len(rendering.pages), anchor_pages(rendering))


class PartGone(Exception):
    """The process laying out the other part ended before it sent what this one waits for."""


def _read_line(stream) -> str:
    line = stream.readline()
    if not line.endswith("\n"):
        raise PartGone("the other part's layout ended early")
    return line


def _front_and_second_part(front: str, second: str, document: Document, front_options: BookOptions,
                           second_options: BookOptions, channel: tuple[int, int, int, int]) -> LaidOut:
    """In the forked process: count the front's pages, then lay out the second part, numbered from the other
    process's answer; its anchors are sent as soon as its pages are laid out, before they are drawn."""
    from pipeline.late_folios import numbered_later

    reading, writing, *theirs = channel
    for end in theirs:
        os.close(end)  # so that each pipe ends when the process that writes into it does
    with os.fdopen(reading, "r", encoding="utf-8") as answers, os.fdopen(writing, "w", encoding="utf-8") as told:
        told.write(f"{len(lay_out(front, document, front_options).pages)}\n")
        told.flush()
        with numbered_later(1, lambda: int(_read_line(answers))) as applied:
            rendering = lay_out(second, document, second_options)
        anchors = anchor_pages(rendering)
        told.write(json.dumps({"shift": applied, "anchors": anchors}) + "\n")
        told.flush()
    return LaidOut(pdf_bytes(rendering, second_options), len(rendering.pages), anchors)


def render_in_parts(document: Document, options: BookOptions, cut: int) -> bytes | None:
    """The book laid out as a front and two parts cut before block `cut`, joined (see the module's docstring).

    This process lays out the first part and then the front with its numbers; a forked one counts the
    front's pages and lays out the second part. None if the front's pages changed with its numbers
    or WeasyPrint could not be renumbered (the caller then lays the book out whole).
    """
    from pipeline.forked import ForkedCall
    from pipeline.late_folios import hook_available, numbered_later
    from pipeline.pdf_join import join_pdfs

    if not hook_available():
        return None
    mains = part_mains(document, cut)
    outline = document.outline()
    entries = [heading.identifier for heading in contents_entries(outline)]
    defined = [set()] + [{unescape(name) for name in _ID.findall(main)} for main in mains]
    linked = [set(entries)] + [{unescape(name) for name in _INTERNAL_HREF.findall(main)} for main in mains]
    everywhere = set().union(*defined)
    elsewhere = [sorted((linked[index] & everywhere) - defined[index]) for index in range(3)]
    marked = replace(options, extra_css=options.extra_css + PART_END_CSS)

    def front(numbers: dict[str, int] | None) -> str:
        """The front; without numbers only to count its pages, so without the anchors that keep its links."""
        contents = contents_html(outline, numbers or {}) + (_anchors(elsewhere[0]) if numbers is not None else "")
        return html_page(document, [title_page_html(document), contents, PART_END])

    first = html_page(document, [_with_anchors(mains[0], elsewhere[1]), PART_END])
    second = html_page(document, [_with_anchors(mains[1], elsewhere[2])])
    notes = notes_in(document.blocks[:cut])
    to_child, to_parent = os.pipe(), os.pipe()
    counting = replace(marked, extra_css=marked.extra_css + COUNTING_CSS)
    other = ForkedCall(_front_and_second_part, front(None), second, document, counting,
                       replace(options, extra_css=options.extra_css + part_css(1, notes)),
                       (to_child[0], to_parent[1], to_child[1], to_parent[0]))
    os.close(to_child[0])
    os.close(to_parent[1])
    try:
        with os.fdopen(to_parent[0], "r", encoding="utf-8") as told, \
                os.fdopen(to_child[1], "w", encoding="utf-8") as answers:
            try:
                with numbered_later(1, lambda: int(_read_line(told))) as applied:
                    rendering = lay_out(first, document, replace(marked, extra_css=marked.extra_css + part_css(1, 0)))
                if not applied:
                    log.debug("%s: WeasyPrint laid out no folio to renumber; laid out whole", document.source)
                    return None
                start = 1 + applied[0]  # the front's marker page: the first part opens there
                opening = start + len(rendering.pages) - 1  # its own marker page: the second part opens there
                answers.write(f"{opening}\n")
                answers.flush()
                laid_out = _laid_out(rendering, options)
                measured = json.loads(_read_line(told))
            except PartGone:
                other.result()  # raises what ended the other process
                raise
        numbers = {name: first_number - 1 + anchors[name]
                   for anchors, first_number, own in ((laid_out.anchors, start, defined[1]),
                                                      (measured["anchors"], opening, defined[2]))
                   for name in entries if name in own and name in anchors}
        final = _laid_out(lay_out(front(numbers), document, marked), options)
        second_part = other.result()
    finally:
        other.cancel()
    if final.pages != start or len(numbers) != len(entries) or not measured["shift"]:
        log.debug("%s: the front's pages changed with its numbers; laid out whole", document.source)
        return None
    log.debug("%s: laid out in two parts at once, joined", document.source)
    return join_pdfs([final.pdf, laid_out.pdf, second_part.pdf], defined, drop_last=[True, True, False])


def _anchors(ids: list[str]) -> str:
    return "".join(f'<div id="{escape(name)}"></div>' for name in ids)
