"""A book laid out in parts at once, on both cores, and joined into one PDF, in one round.

WeasyPrint lays a document out on one core, and its pages cannot leave the process they were laid
out in, so a book is laid out as several documents where its design already breaks the page:
- a book with a contents of FRONT_APART_ENTRIES entries or more (the essay): the front (title page
  and contents) in a forked process, beside the body here. The body opens on a right-hand page in
  any case, so every page looks exactly as in the book laid out whole (a test compares the pixels);
  what the front costs (its contents laid out until the numbers settle, then drawn) leaves the
  critical path;
- a book longer than SPLIT_WORDS: the front, the sections before the section opening nearest the
  middle, and the sections from it on. The second part opens on a right-hand page, as a chapter of
  a printed book does (a blank page comes before it when the first part ends on a right-hand page).
  A forked process counts the front's pages, lays out and draws the first part, then the front with
  its numbers, and joins the three; this one lays out and draws the second part, which the cut makes
  longer (FRONT_COUNT_WORDS).
pipeline/writers/pdf/join.py joins the parts.

What crosses a cut is written into each document, so that no layout waits for another:
- each part's first page number, side and footnote number: the front and the first part end on a
  marker page that forces the next part's side (a right-hand page) and is dropped from the PDF;
  each part opens on the number of the marker page before it. That number may be counted in the other
  process while a part's text is paginated (the front's pages, for a body laid out beside its front;
  the first part's, for the second part), so each part is laid out from page 1 and renumbered when
  WeasyPrint sets its folios, after its text is paginated (pipeline/writers/pdf/engine/late_folios.py);
  the footnote number is counted in the source;
- the contents' page numbers: the front is laid out once to count its pages (the numbers, set in
  the margin of each entry, never move its text), then again with the numbers the parts measured.
The join fails safe: if the front's pages differ between its two layouts, or WeasyPrint cannot be
renumbered, the caller lays the book out whole.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from html import escape, unescape
from typing import TYPE_CHECKING, BinaryIO

from pipeline.ast import inlines_of_kinds, stringify
from pipeline.document import Document
from pipeline.writers.pdf.book_html import (
    contents_entries,
    contents_html,
    essay_html,
    html_page,
    running_head,
    title_page_html,
)
from pipeline.writers.pdf.layout import BookOptions, anchor_pages, lay_out, pdf_bytes

if TYPE_CHECKING:
    from pipeline.writers.pdf.forked import ForkedCall

log = logging.getLogger("chapbook")

# Words of text above which a book is laid out in two parts: about 100 A5 pages (the essay has 4,300
# on 25 pages). Below, a second process would not pay for the fork, the front's second layout, the
# join and the page the cut costs.
SPLIT_WORDS = 20_000
# Where the cut goes. The first part's process counts the front's pages, then lays out and draws its part;
# the front with its numbers needs both parts' anchors, so it starts when the other process has laid out
# the second part, and is laid out and drawn while that process draws. Both are busy until then when
#   count + (layout + drawing) x first part = layout x second part.
# Counting the front's pages costs FRONT_COUNT_WORDS words of text laid out per contents entry, drawing
# DRAWING_SHARE of laying out (the 20x essay, 760 entries: the front counted in 1.47 s; 0.13 ms a word
# laid out, 0.056 drawn).
FRONT_COUNT_WORDS = 15
DRAWING_SHARE = 0.43
# Contents entries from which a shorter book's front is laid out beside its body (render_front_apart):
# a contents that long costs its layout passes and drawing more than the fork and the join do.
FRONT_APART_ENTRIES = 12
# Ends the front and the first part: it starts a right-hand page of its own (a blank one before it
# if need be), which the join drops; the next part starts on its page.
PART_END = '<div class="part-end"></div>'
PART_END_CSS = ("@page part-end { @top-left { content: none } @top-right { content: none } "
                "@bottom-left { content: none } @bottom-right { content: none } }\n"
                "body > div.part-end { page: part-end; break-before: right }\n")
# The front laid out only to count its pages: the numbers, set in each entry's margin, never move its
# text, and leaving them out halves the time (render_in_parts checks that the count holds).
COUNTING_CSS = "nav.contents a::after { content: none }\n"

# The second part goes on with the essay: its first page is not the essay's opening page, which
# print.css leaves without a running head (`@page :nth(1 of essay)`), so its pages are named apart.
GOING_ON_CSS = "main.essay { page: essay-going-on }\n"

_ID = re.compile(r'\sid="([^"]+)"')
_INTERNAL_HREF = re.compile(r'\shref="#([^"]+)"')


@dataclass(frozen=True)
class LaidOut:
    """One part laid out: its PDF, how many pages it has and the page (1-based, within it) of each anchor."""

    pdf: bytes
    pages: int
    anchors: dict[str, int]


def split_index(document: Document, limit: int = SPLIT_WORDS) -> int | None:
    """The block where the second part starts: the section opening nearest the point where both processes are
    busy until the front can be laid out with its numbers (see FRONT_COUNT_WORDS); None if short."""
    blocks = document.blocks
    words = [len(stringify(block).split()) for block in blocks]
    total = sum(words)
    if total <= limit:
        return None
    middle = (total - FRONT_COUNT_WORDS * len(contents_entries(document.outline()))) / (2 + DRAWING_SHARE)
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
    return len(inlines_of_kinds(blocks, frozenset({"Note"})))


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


def _read_line(stream: BinaryIO) -> str:
    line = stream.readline().decode("utf-8")
    if not line.endswith("\n"):
        raise PartGone("the other part's layout ended early")
    return line


def _read_data(stream: BinaryIO) -> bytes:
    size = int(_read_line(stream))
    data = stream.read(size)
    if len(data) != size:
        raise PartGone("the other part's layout ended early")
    return data


@contextmanager
def _talking(channel: tuple[int, int, int, int]) -> Iterator[tuple[BinaryIO, BinaryIO]]:
    """In the forked process: the stream of the other process's answers, and the one to tell it on."""
    reading, writing, *theirs = channel
    for end in theirs:
        os.close(end)  # so that each pipe ends when the process that writes into it does
    with os.fdopen(reading, "rb") as answers, os.fdopen(writing, "wb") as told:
        yield answers, told


def _say(stream: BinaryIO, line: str) -> None:
    stream.write(line.encode("utf-8") + b"\n")
    stream.flush()


def _send_data(stream: BinaryIO, data: bytes) -> None:
    _say(stream, str(len(data)))
    stream.write(data)
    stream.flush()


@contextmanager
def _beside(function: Callable[..., object], *args) -> Iterator[tuple[ForkedCall, BinaryIO, BinaryIO]]:
    """`function(*args, channel)` in a forked process (see _talking); yields it, what it tells and our answers.

    It is ended if this process leaves the block without its result; if it ended first, its error is raised.
    """
    from pipeline.writers.pdf.forked import ForkedCall

    to_child, to_parent = os.pipe(), os.pipe()
    other = ForkedCall(function, *args, (to_child[0], to_parent[1], to_child[1], to_parent[0]))
    os.close(to_child[0])
    os.close(to_parent[1])
    try:
        with os.fdopen(to_parent[0], "rb") as told, os.fdopen(to_child[1], "wb") as answers:
            try:
                yield other, told, answers
            except (PartGone, BrokenPipeError):
                other.result()  # raises what ended the other process
                raise
    finally:
        other.cancel()


@dataclass(frozen=True)
class _Cut:
    """A book cut into its front and body parts: what each part defines, and the contents' entries.

    Each part keeps its links to ids another part defines through empty anchors of those names
    (`placeholders`); the join points them at the real place.
    """

    document: Document
    mains: tuple[str, ...]
    entries: list[str]
    defined: list[set[str]]
    placeholders: list[list[str]]

    @classmethod
    def of(cls, document: Document, mains: tuple[str, ...]) -> _Cut:
        """The front and the body parts whose <main>s are `mains`."""
        entries = [heading.identifier for heading in contents_entries(document.outline())]
        defined = [set()] + [{unescape(name) for name in _ID.findall(main)} for main in mains]
        linked = [set(entries)] + [{unescape(name) for name in _INTERNAL_HREF.findall(main)} for main in mains]
        everywhere = set().union(*defined)
        placeholders = [sorted((linked[index] & everywhere) - defined[index]) for index in range(len(defined))]
        return cls(document, mains, entries, defined, placeholders)

    def front(self, numbers: dict[str, int] | None) -> str:
        """The front; without numbers only to count its pages, so without the anchors that keep its links."""
        contents = contents_html(self.document.outline(), numbers or {})
        if numbers is not None:
            contents += _anchors(self.placeholders[0])
        return html_page(self.document, [title_page_html(self.document), contents, PART_END])

    def part(self, index: int, last: bool) -> str:
        """Body part `index` (from 0) as a page, ending on a marker page unless it is the `last`."""
        main = _with_anchors(self.mains[index], self.placeholders[index + 1])
        return html_page(self.document, [main] if last else [main, PART_END])

    def joined(self, front: bytes | None, body: bytes) -> bytes | None:
        """The front (None if its pages changed with its numbers) and the whole body joined into one PDF."""
        from pipeline.writers.pdf.join import join_pdfs

        return None if front is None else join_pdfs([front, body], self.defined, drop_last=[True, False])

    def numbers(self, *parts: tuple[dict[str, int], int]) -> dict[str, int]:
        """The contents' page numbers from each body part's (anchors, number of its first page)."""
        return {name: first_number - 1 + anchors[name]
                for (anchors, first_number), own in zip(parts, self.defined[1:], strict=True)
                for name in self.entries if name in own and name in anchors}


def _front_options(options: BookOptions) -> tuple[BookOptions, BookOptions]:
    """The options the front is laid out with: to be drawn (ending on its marker page), and to count its pages."""
    marked = replace(options, extra_css=options.extra_css + PART_END_CSS)
    return marked, replace(marked, extra_css=marked.extra_css + COUNTING_CSS)


def _first_part(book: _Cut, last: bool, options: BookOptions,
                front_pages: Callable[[], int]) -> tuple[object, int] | None:
    """The first body part laid out from page 1 and renumbered from the front's page count (`front_pages()`,
    which may wait for the other process); with the number of its first page (the front's marker page).
    None if WeasyPrint set no folio."""
    from pipeline.writers.pdf.engine.late_folios import numbered_later

    with numbered_later(1, front_pages) as applied:
        rendering = lay_out(book.part(0, last=last), book.document,
                            replace(options, extra_css=options.extra_css + part_css(1, 0)))
    if not applied:
        log.debug("%s: WeasyPrint laid out no folio to renumber; laid out whole", book.document.source)
        return None
    return rendering, 1 + applied[0]


def _front_first_part_and_join(book: _Cut, counting: BookOptions, marked: BookOptions, options: BookOptions,
                               channel: tuple[int, int, int, int]) -> bytes | None:
    """In the forked process: count the front's pages, lay out the first part from them and tell the other
    process the page its part opens on, draw the first part, then lay out and draw the front with both
    parts' numbers and join the three PDFs (the second part's comes from the other process). None if
    WeasyPrint set no folio, a contents entry has no page, or the front's pages changed with its numbers."""
    from pipeline.writers.pdf.join import join_pdfs

    with _talking(channel) as (answers, told):
        front_pages = len(lay_out(book.front(None), book.document, counting).pages)
        first = _first_part(book, False, marked, lambda: front_pages)
        if first is None:
            return None
        rendering, start = first
        opening = start + len(rendering.pages) - 1  # its own marker page: the second part opens there
        _say(told, str(opening))
        first_part = _laid_out(rendering, options)
        numbers = book.numbers((first_part.anchors, start), (json.loads(_read_line(answers)), opening))
        front = _front_laid_out(book, marked, options, numbers, start)
        importlib.import_module("pikepdf")  # the join's library, loaded before the second part's PDF arrives
        second_part = _read_data(answers)
    if front is None or len(numbers) != len(book.entries):
        return None
    return join_pdfs([front, first_part.pdf, second_part], book.defined, drop_last=[True, True, False])


def render_in_parts(document: Document, options: BookOptions, cut: int) -> bytes | None:
    """The book laid out as a front and two parts cut before block `cut`, joined (see the module's docstring).

    A forked process counts the front's pages, lays out and draws the first part, then the front with
    its numbers, and joins the three; this one lays out and draws the second part, numbered from the
    page the first part's process says it opens on (split_index gives the first part that much less
    text). None if the front's pages changed with its numbers or WeasyPrint could not be renumbered
    (the caller then lays the book out whole).
    """
    from pipeline.writers.pdf.engine.late_folios import hook_available, numbered_later

    if not hook_available():
        return None
    book = _Cut.of(document, part_mains(document, cut))
    marked, counting = _front_options(options)
    second_css = part_css(1, notes_in(document.blocks[:cut])) + GOING_ON_CSS
    second_options = replace(options, extra_css=options.extra_css + second_css)
    try:
        with _beside(_front_first_part_and_join, book, counting, marked, options) as (other, told, answers):
            with numbered_later(1, lambda: int(_read_line(told))) as applied:
                rendering = lay_out(book.part(1, last=True), document, second_options)
            _say(answers, json.dumps(anchor_pages(rendering)))  # before drawing: the front waits for them
            _send_data(answers, pdf_bytes(rendering, second_options))
            joined = other.result()
    except (PartGone, BrokenPipeError):
        joined = None  # the other process gave up (its result was None; an error it raised is raised above)
    if joined is None or not applied:
        log.debug("%s: the front's pages changed with its numbers, or WeasyPrint set no folio; laid out whole",
                  document.source)
        return None
    log.debug("%s: laid out in two parts at once, joined", document.source)
    return joined


def lays_front_apart(document: Document, options: BookOptions) -> bool:
    """Whether the book's front is laid out beside its body: it has a contents of FRONT_APART_ENTRIES or more,
    and its fonts are subset (a front embedding whole fonts would compress them all again: the print file)."""
    return len(contents_entries(document.outline())) >= FRONT_APART_ENTRIES and not options.full_fonts


def _front_laid_out(book: _Cut, marked: BookOptions, options: BookOptions, numbers: dict[str, int],
                    start: int) -> bytes | None:
    """The front with its numbers, drawn; None if it no longer ends where the body opens (page `start`)."""
    rendering = lay_out(book.front(numbers), book.document, marked)
    return pdf_bytes(rendering, options) if len(rendering.pages) == start else None


def _front_joined_to_body(book: _Cut, counting: BookOptions, marked: BookOptions, options: BookOptions,
                          channel: tuple[int, int, int, int]) -> bytes | None:
    """In the forked process: count the front's pages, lay it out and draw it with the body's numbers, then
    join the body's PDF to it; None if its pages changed with its numbers.

    It has time to spare while the body is drawn, so it also loads pikepdf and joins. (It runs at the
    body's priority: at a lower one, another program's load on the machine starved it, and the body
    then waited for it.)
    """
    with _talking(channel) as (answers, told):
        _say(told, str(len(lay_out(book.front(None), book.document, counting).pages)))
        start, numbers = json.loads(_read_line(answers))
        front = _front_laid_out(book, marked, options, numbers, start)
        importlib.import_module("pikepdf")  # the join's library, loaded before the body's PDF arrives
        body = _read_data(answers)
    return book.joined(front, body)


def render_front_apart(document: Document, options: BookOptions, beside: bool = True) -> bytes | None:
    """The book laid out as its front and its body, joined: the same bytes whether the front is laid out
    `beside` the body, in a forked process at the same time, or here after it (when no core is free).

    The body is laid out from page 1 and renumbered with the front's page count, counted first (in
    the other process while the body is laid out); the front is then laid out with the page numbers
    the body measured (in the other process while the body is drawn, and that process joins the
    two). None if the front's pages changed with its numbers or WeasyPrint could not be renumbered.
    """
    from pipeline.writers.pdf.engine.late_folios import hook_available

    if not hook_available():
        return None
    book = _Cut.of(document, part_mains(document, len(document.blocks))[:1])
    marked, counting = _front_options(options)
    if beside:
        joined = _beside_the_body(book, counting, marked, options)
    else:
        joined = _after_the_body(book, counting, marked, options)
    if joined is None:
        log.debug("%s: the front's pages changed with its numbers, or an entry has no page; laid out whole",
                  document.source)
    else:
        log.debug("%s: the front laid out %s the body, joined", document.source, "beside" if beside else "after")
    return joined


def _body_measured(book: _Cut, options: BookOptions,
                   front_pages: Callable[[], int]) -> tuple[object, int, dict[str, int]] | None:
    """The whole body laid out (see _first_part), with its first page's number and the contents' page
    numbers; None if WeasyPrint set no folio or a contents entry has no page in it."""
    first = _first_part(book, True, options, front_pages)
    if first is None:
        return None
    rendering, start = first
    numbers = book.numbers((anchor_pages(rendering), start))
    return (rendering, start, numbers) if len(numbers) == len(book.entries) else None


def _beside_the_body(book: _Cut, counting: BookOptions, marked: BookOptions, options: BookOptions) -> bytes | None:
    with _beside(_front_joined_to_body, book, counting, marked, options) as (other, told, answers):
        body = _body_measured(book, options, lambda: int(_read_line(told)))
        if body is None:
            return None
        rendering, start, numbers = body
        _say(answers, json.dumps([start, numbers]))
        _send_data(answers, pdf_bytes(rendering, options))
        return other.result()


def _after_the_body(book: _Cut, counting: BookOptions, marked: BookOptions, options: BookOptions) -> bytes | None:
    pages = len(lay_out(book.front(None), book.document, counting).pages)
    body = _body_measured(book, options, lambda: pages)
    if body is None:
        return None
    rendering, start, numbers = body
    body_pdf = pdf_bytes(rendering, options)
    return book.joined(_front_laid_out(book, marked, options, numbers, start), body_pdf)


def _anchors(ids: list[str]) -> str:
    return "".join(f'<div id="{escape(name)}"></div>' for name in ids)
