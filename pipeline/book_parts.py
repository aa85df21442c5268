"""A long book laid out in two parts at once, one per core, and joined into one PDF.

WeasyPrint lays a document out on one core, and its pages cannot leave the process they were laid
out in, so a book longer than SPLIT_WORDS is cut at the section boundary nearest its middle: the
first part holds the title page, the contents and the first sections; the second starts with a
section, on a page of its own. The second part is laid out in a forked process while this one lays
out the first; pipeline/pdf_join.py joins the two PDFs.

What crosses the cut is written into each part's HTML and checked after layout: the second part's
first page number and side, the footnote number it continues from, the running head's title, and
the contents' page numbers of every section (guessed from the previous PDF, else from a first
round, which a first build only measures: it lays the parts out without drawing them). A part
whose guess was wrong is laid out again with what the other part measured; the numbers cannot then
differ, so the PDF does not depend on which guesses were made.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, replace
from html import escape, unescape

from pipeline.ast import stringify
from pipeline.book_html import contents_entries, contents_html, essay_html, html_page, running_head, title_page_html
from pipeline.book_layout import BookOptions, lay_out, pdf_bytes
from pipeline.document import Document

log = logging.getLogger("chapbook")

# Words of text above which a book is laid out in two parts: about 100 A5 pages (the essay has 4,300
# on 25 pages). Below, a second process would not pay for the fork, the join and a first build's
# second round.
SPLIT_WORDS = 20_000
# What an entry of the contents weighs against the text, in words, when the middle is looked for.
CONTENTS_ENTRY_WORDS = 14
ROUNDS = 3  # layouts of a part, at most; the second round has every number right unless a side changed

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
    front = CONTENTS_ENTRY_WORDS * len(contents_entries(document.outline()))
    middle = (total + front) / 2
    best, best_distance, running = None, None, front
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
    return main[:end] + "".join(f'<div id="{escape(name)}"></div>' for name in ids) + main[end:]


def part_mains(document: Document, cut: int) -> tuple[str, str]:
    """Each part's <main>: the sections before block `cut`, and from it on (with the running heads' title)."""
    title = f'<div data-running-title="{escape(running_head(document.meta.title))}"></div>\n'
    return (essay_html(replace(document, blocks=document.blocks[:cut])),
            essay_html(replace(document, blocks=document.blocks[cut:]), before=title))


def second_part_css(start: int, notes: int) -> str:
    """The second part goes on from page `start` (on its side) and from footnote `notes` + 1."""
    side = "right" if start % 2 else "left"
    return (f"@page :first {{ counter-reset: page {start} }}\n"
            f"html {{ break-before: {side}; counter-reset: footnote {notes} }}\n"
            "main.essay { break-before: auto }\n"
            "main.essay > div[data-running-title] { string-set: title attr(data-running-title) }\n"
            "main.essay > div[data-running-title] + h1 { margin-top: 0 }\n")


def _lay_out_part(html: str, document: Document, options: BookOptions, draw: bool = True) -> LaidOut:
    rendering = lay_out(html, document, options)
    anchors: dict[str, int] = {}
    for number, page in enumerate(rendering.pages, start=1):
        for name in page.anchors:
            anchors.setdefault(name, number)
    return LaidOut(pdf_bytes(rendering, options) if draw else b"", len(rendering.pages), anchors)


def _lay_out_all(jobs: list[tuple[str, BookOptions] | None], document: Document,
                 draw: bool = True) -> list[LaidOut | None]:
    """Lay out each (html, options) given: the last in a forked process while this one does the others.

    Without `draw`, each part is only measured (pages and anchors): its LaidOut has no PDF.
    """
    wanted = [index for index, job in enumerate(jobs) if job is not None]
    results: list = [None] * len(jobs)
    if len(wanted) == 1:
        html, options = jobs[wanted[0]]
        results[wanted[0]] = _lay_out_part(html, document, options, draw)
        return results
    from pipeline.forked import ForkedCall

    html, options = jobs[wanted[-1]]
    other = ForkedCall(_lay_out_part, html, document, options, draw)
    try:
        for index in wanted[:-1]:
            html, options = jobs[index]
            results[index] = _lay_out_part(html, document, options, draw)
        results[wanted[-1]] = other.result()
    finally:
        other.cancel()
    return results


def render_in_parts(document: Document, options: BookOptions, cut: int, known: dict[str, int]) -> bytes | None:
    """The book laid out as two parts cut before block `cut`, joined (see the module's docstring).

    `known` maps ids to their pages in the previous PDF (may be empty or wrong). None if the numbers
    never settled (a part's side flipping back and forth): the caller lays the book out whole.
    """
    from pipeline.pdf_join import join_pdfs

    mains = part_mains(document, cut)
    front = title_page_html(document)
    entries = [heading.identifier for heading in contents_entries(document.outline())]
    defined = [{unescape(name) for name in _ID.findall(main)} for main in mains]
    linked = [{unescape(name) for name in _INTERNAL_HREF.findall(main)} for main in mains]
    linked[0] |= set(entries)  # the contents links to every section
    elsewhere = [sorted((linked[index] & defined[1 - index]) - defined[index]) for index in range(2)]
    second = html_page(document, [_with_anchors(mains[1], elsewhere[1])])
    notes = notes_in(document.blocks[:cut])
    opening = next((unescape(name) for name in _ID.findall(mains[1])), None)
    numbers = {name: known.get(name, 0) for name in entries}
    start = known.get(opening, 0) if opening else 0
    done: list = [None, None]
    inputs: list = [None, None]
    # A first build knows no number: its first round can only be wrong, so it measures without drawing.
    measuring = not known
    for round_number in range(ROUNDS + measuring):
        draw = not (measuring and round_number == 0)
        first = html_page(document, [front, contents_html(document.outline(), numbers),
                                     _with_anchors(mains[0], elsewhere[0])])
        wanted = [(first, options),
                  (second, replace(options, extra_css=options.extra_css + second_part_css(max(start, 1), notes)))]
        jobs = [None if inputs[index] == wanted[index] else wanted[index] for index in range(2)]
        for index, result in enumerate(_lay_out_all(jobs, document, draw)):
            if result is not None:
                done[index], inputs[index] = result, wanted[index] if draw else None
        pages1 = done[0].pages
        landed = {name: page for name, page in done[0].anchors.items() if name in defined[0]}
        landed.update({name: pages1 + page for name, page in done[1].anchors.items() if name in defined[1]})
        measured = {name: landed.get(name, 0) for name in entries}
        if draw and start == pages1 + 1 and measured == numbers:
            log.debug("%s: laid out in two parts at once, joined", document.source)
            return join_pdfs([done[0].pdf, done[1].pdf], defined)
        log.debug("%s: laid out in two parts; %s", document.source,
                  "the second part starts elsewhere" if start != pages1 + 1 else "a section moved")
        numbers, start = measured, pages1 + 1
    log.debug("%s: the parts' page numbers did not settle; laid out whole", document.source)
    return None

