"""The PDF edition: the shared XHTML body in a printed book's frame, laid out by WeasyPrint.

The frame is a title page, a contents list with page numbers, running heads and page numbers;
styles/print.css designs it. Notes are pandoc footnotes set at the foot of their page; resources
come only from the source's folder and styles/ (pipeline.fetcher); the output is tagged PDF/UA-1.
"""

from __future__ import annotations

import gc
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC
from html import escape, unescape
from pathlib import Path

from pipeline.ast import map_blocks, map_inlines, stringify
from pipeline.balance import balanced_lines, text_width
from pipeline.collector import collector_paused
from pipeline.document import Document, Heading
from pipeline.editions import PREVIOUS
from pipeline.fonts import TEXT_FAMILY, check_coverage, font_files
from pipeline.paper import PAGE_FORMATS, length_in_points
from pipeline.resources import STYLES
from pipeline.weasyprint_start import import_weasyprint

log = logging.getLogger("chapbook")

PRINT_CSS = STYLES / "print.css"
# Tagged PDF: structure, /Alt for images, /Lang and the title shown by viewers. Text extraction,
# embedded fonts and byte-identical rebuilds were checked with it on (tests/test_pdf.py).
PDF_VARIANT = "pdf/ua-1"
CONTENTS_DEPTH = 2  # sections and subsections; bookmarks keep every level
CONTENTS_LABEL = "contents"
# Text chapbook itself sets (contents label, page and note numbers, list markers from
# print.css, brackets around printed URLs), so the coverage check sees it too.
GENERATED_TEXT = f"{CONTENTS_LABEL} 0123456789 . ( ) • – ‣ ◊ + × · …"
# The title's size and side padding in print.css (.title-page .title), for balancing its lines.
TITLE_SCALE, TITLE_PADDING = 2.0, 1.5  # times the base size; ems of the title's own size, each side
LAST_WORD_CLASS = "last-word"  # print.css sets it without hyphenation
# WeasyPrint breaks a run with no break opportunity by laying out the rest of the run again for each
# line: a 30,000-character word took 51 s, a 1 MB one hours. Runs this long get an invisible break
# opportunity (U+200B, which text extraction leaves out) every BREAK_EVERY characters.
LONG_RUN, BREAK_EVERY = 200, 40
ZERO_WIDTH_SPACE = "\u200b"
# print.css: a link to a long address; that address printed after it; the unlinked rest of a bare one.
LONG_URL_CLASS, PRINTED_URL_CLASS, URI_REST_CLASS = "long-url", "printed-url", "uri-rest"
RUNNING_HEAD_LIMIT = 60  # characters, one line at 8 pt on every trim; longer: shortened in the running heads only


@dataclass(frozen=True)
class BookOptions:
    """What differs between the books laid out from one frame: the screen PDF and the print file.

    `extra_css` comes after print.css and the paper's page rules; `extra_folders` are read besides
    the source's folder and styles/ (the print file's ICC profile).
    """

    variant: str = PDF_VARIANT
    extra_css: str = ""
    full_fonts: bool = False
    extra_folders: tuple[Path, ...] = ()


def page_css(paper: str) -> str:
    """The page size, binding-side margins and base type size for `paper` (a name in pipeline.paper)."""
    page = PAGE_FORMATS[paper]
    return (f"@page {{ size: {page.size}; margin-top: {page.top}; margin-bottom: {page.bottom} }}\n"
            f"@page :right {{ margin-left: {page.inner}; margin-right: {page.outer} }}\n"
            f"@page :left {{ margin-left: {page.outer}; margin-right: {page.inner} }}\n"
            f"html {{ font-size: {page.font_size} }}\n")


def _w3c_time(document: Document) -> str:
    return document.modified.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def head_html(document: Document) -> str:
    """The <head>: title, authors and dates, which WeasyPrint writes into the PDF's metadata."""
    meta = document.meta
    stamp = _w3c_time(document)
    lines = ['<meta charset="utf-8"/>', f"<title>{escape(meta.title)}</title>"]
    lines += [f'<meta name="author" content="{escape(author)}"/>' for author in meta.authors]
    if meta.description:
        lines.append(f'<meta name="description" content="{escape(meta.description)}"/>')
    lines += [f'<meta name="dcterms.created" content="{stamp}"/>',
              f'<meta name="dcterms.modified" content="{stamp}"/>',
              '<meta name="generator" content="chapbook"/>']
    return "<head>\n" + "\n".join(lines) + "\n</head>"


def title_page_html(document: Document) -> str:
    """The title page: title, subtitle, authors and date, each exactly as the source writes it.

    The title is broken into balanced lines (`<br/>` between them), not filled greedily.
    """
    meta = document.meta
    lines = balanced_title(meta.title, document.settings.paper)
    parts = [f'<p class="title" data-running-head="{escape(running_head(meta.title))}">'
             f'{" <br/>".join(escape(breakable(line)) for line in lines)}</p>']
    parts += [f'<p class="{kind}">{escape(text)}</p>' for kind, text in meta.title_page()]
    return '<header class="title-page">\n' + "\n".join(parts) + "\n</header>"


def balanced_title(title: str, paper: str) -> list[str]:
    """The title's lines: as many as its measure on `paper` needs, as even as they can be."""
    bold = next((path for path in font_files(TEXT_FAMILY) if path.stem.lower().endswith("-bold")), None)
    if bold is None:
        return [title]  # no font to measure with: WeasyPrint's own line breaking
    page = PAGE_FORMATS[paper]
    size = TITLE_SCALE * length_in_points(page.font_size)
    measure = page.trim[0] - length_in_points(page.inner) - length_in_points(page.outer) - 2 * TITLE_PADDING * size
    words = title.split(" ")
    return [" ".join(line) for line in balanced_lines(words, lambda text: text_width(text, bold, size), measure)]


def whole_last_words(blocks: list) -> list:
    """Blocks whose paragraphs' last words sit in a span print.css never hyphenates.

    A paragraph ending on the tail of a hyphenated word ("draw-" / "ing") reads as an accident, and
    WeasyPrint has no `hyphenate-limit-last`. Notes called at the end are skipped over.
    """
    return map_inlines(blocks, _whole_last_word)


def breakable(text: str) -> str:
    """`text` with a zero-width space every BREAK_EVERY characters of each run longer than LONG_RUN.

    A run is a stretch without whitespace; shorter runs, and so every ordinary word, are left alone.
    """
    if len(text) <= LONG_RUN:
        return text
    return re.sub(rf"\S{{{LONG_RUN + 1},}}", _broken_run, text)


def running_head(text: str) -> str:
    """`text` as a running head: whole up to RUNNING_HEAD_LIMIT characters, else cut after a word and "…".

    A single word longer than the limit is cut inside it. Bookmarks and the contents keep the whole text.
    """
    if len(text) <= RUNNING_HEAD_LIMIT:
        return text
    cut = text[:RUNNING_HEAD_LIMIT]
    space = cut.rfind(" ")
    return (cut[:space] if space > 0 else cut).rstrip() + "…"


def _broken_run(match: re.Match) -> str:
    run = match.group(0)
    return ZERO_WIDTH_SPACE.join(run[start:start + BREAK_EVERY] for start in range(0, len(run), BREAK_EVERY))


def breakable_long_runs(blocks: list) -> list:
    """Blocks whose very long words, addresses and code lines can be broken between lines in linear time.

    A link to a long address is live on its first BREAK_EVERY characters only (WeasyPrint writes the
    whole address into an annotation for every line the link spans), and the address print.css
    would print after a link's text from its href is printed from the text instead, so it breaks too.
    """
    def in_block(block: dict) -> dict:
        if block.get("t") == "CodeBlock":
            return {"t": "CodeBlock", "c": [block["c"][0], breakable(block["c"][1])]}
        return block
    return map_inlines(map_blocks(blocks, in_block), _breakable_inlines)


def _breakable_inlines(inlines: list) -> list:
    result = []
    for node in inlines:
        kind, content = node.get("t"), node.get("c")
        if kind == "Str":
            result.append({"t": "Str", "c": breakable(content)})
        elif kind == "Code":
            result.append({"t": "Code", "c": [content[0], breakable(content[1])]})
        elif kind == "Link" and len(content[2][0]) > LONG_RUN:
            result += _long_link(content)
        elif kind in _CONTAINERS:
            position = _CONTAINERS[kind]
            if position == 0:
                result.append({"t": kind, "c": _breakable_inlines(content)})
            else:
                result.append({"t": kind, "c": [*content[:position], _breakable_inlines(content[position]),
                                                *content[position + 1:]]})
        else:
            result.append(node)
    return result


def _long_link(content: list) -> list:
    (identifier, classes, pairs), text, (url, title) = content
    attribute = [identifier, [*classes, LONG_URL_CLASS], pairs]
    if "uri" in classes:  # a bare address: its first characters are the link, the rest plain text
        shown = stringify(text)
        return [{"t": "Link", "c": [attribute, [{"t": "Str", "c": shown[:BREAK_EVERY]}], [url, title]]},
                {"t": "Span", "c": [["", [URI_REST_CLASS], []], [{"t": "Str", "c": breakable(shown[BREAK_EVERY:])}]]}]
    link = {"t": "Link", "c": [attribute, _breakable_inlines(text), [url, title]]}
    if not url.startswith("http"):
        return [link]
    return [link, {"t": "Span", "c": [["", [PRINTED_URL_CLASS], []], [{"t": "Str", "c": f" ({breakable(url)})"}]]}]


_CONTAINERS = {"Emph": 0, "Strong": 0, "Underline": 0, "Strikeout": 0, "Superscript": 0, "Subscript": 0,
               "SmallCaps": 0, "Span": 1, "Link": 1, "Quoted": 1}  # where each keeps its inlines
_TRAILING = ("Space", "SoftBreak", "LineBreak", "Note")


def _whole_last_word(inlines: list) -> list:
    for index in range(len(inlines) - 1, -1, -1):
        node = inlines[index]
        kind = node.get("t")
        if kind in _TRAILING:
            continue
        if kind == "Str":
            span = {"t": "Span", "c": [["", [LAST_WORD_CLASS], []], [node]]}
            return [*inlines[:index], span, *inlines[index + 1:]]
        if kind in _CONTAINERS:
            content = node["c"]
            if _CONTAINERS[kind] == 0:
                return [*inlines[:index], {"t": kind, "c": _whole_last_word(content)}, *inlines[index + 1:]]
            position = _CONTAINERS[kind]
            changed = [*content[:position], _whole_last_word(content[position]), *content[position + 1:]]
            return [*inlines[:index], {"t": kind, "c": changed}, *inlines[index + 1:]]
        return inlines  # code, math, an image: nothing to hyphenate
    return inlines


def contents_entries(headings: list[Heading]) -> list[Heading]:
    """The headings the contents lists: sections and subsections that have an id to link to."""
    return [heading for heading in headings if heading.level <= CONTENTS_DEPTH and heading.identifier]


def contents_html(headings: list[Heading], page_numbers: dict[str, int] | None = None) -> str:
    """The contents: sections and subsections linked to their pages; "" if none.

    With `page_numbers` (heading id -> page), each entry carries its number (data-page), which print.css
    prints instead of asking WeasyPrint for the target's page (target-counter), which costs extra
    layout passes over the contents.
    """
    entries = contents_entries(headings)
    if not entries:
        return ""
    numbers = page_numbers or {}
    items = [f'<li class="level-{heading.level}"><a href="#{escape(heading.identifier)}"'
             + (f' data-page="{numbers[heading.identifier]}"' if heading.identifier in numbers else "")
             + f">{escape(breakable(heading.text))}</a></li>" for heading in entries]
    return (f'<nav class="contents" role="doc-toc">\n<h2 class="contents-label">{CONTENTS_LABEL}</h2>\n<ol>\n'
            + "\n".join(items) + "\n</ol>\n</nav>")


_HEADING_TAG = re.compile(r'<h([1-6])(?=[^>]*\sid="([^"]+)")')


def label_headings(body: str, headings: list[Heading]) -> str:
    """Give each heading a data-label with its plain text, for bookmarks and running heads.

    WeasyPrint's content(text) would include the number of a footnote called in the heading.
    """
    labels = {heading.identifier: heading.text for heading in headings}

    def labelled(match: re.Match) -> str:
        label = labels.get(match.group(2))
        if label is None:
            return match.group(0)
        return f'{match.group(0)} data-label="{escape(label)}" data-running-head="{escape(running_head(label))}"'
    return _HEADING_TAG.sub(labelled, body)


def body_html(document: Document) -> str:
    """The essay itself, rendered by the shared XHTML renderer with pandoc notes as inline footnotes."""
    from pipeline.writers.xhtml import HtmlOptions, render_blocks

    options = HtmlOptions(notes="inline", image_src=lambda resource: resource.path.as_uri())
    body = render_blocks(whole_last_words(breakable_long_runs(document.blocks)), document, options).body
    return label_headings(body, document.outline())


def page_html(document: Document, page_numbers: dict[str, int] | None = None) -> str:
    """The whole book as one HTML page: title page, contents (see contents_html), then the essay."""
    return html_page(document, [title_page_html(document), contents_html(document.outline(), page_numbers),
                                essay_html(document)])


def essay_html(document: Document, before: str = "", after: str = "") -> str:
    """The essay's <main>: the body of `document`'s blocks, with `before` and `after` it inside."""
    # Pages before the first section show the title as their running head (print.css). An empty
    # element sets it: set on <main>, WeasyPrint would assign it again on every page main continues.
    first = document.blocks[0] if document.blocks else {}
    opens_a_section = first.get("t") == "Header" and first["c"][0] == 1
    head = escape(running_head(document.meta.title))
    title_head = "" if opens_a_section else f'<div data-running-head="{head}"></div>\n'
    return f'<main class="essay">\n{before}{title_head}{body_html(document)}{after}\n</main>'


def html_page(document: Document, parts: list[str]) -> str:
    """An HTML page in the document's language, with its <head>, whose body holds `parts` (empty ones left out)."""
    lang = escape(document.meta.lang or "en")
    return (f'<!DOCTYPE html>\n<html xmlns="http://www.w3.org/1999/xhtml" lang="{lang}" xml:lang="{lang}">\n'
            f"{head_html(document)}\n<body>\n" + "\n".join(part for part in parts if part) + "\n</body>\n</html>\n")


def _cached_page_references(pdf) -> tuple[bytes, ...]:
    """pydyf's PDF.page_references ("N 0 R" of every page), rebuilt only when a page was added.

    pydyf rebuilds that tuple on every access, and WeasyPrint's PDF/UA tagging reads it once per
    structure element, so the time grew with pages x elements: a 440-page book spent 7.5 s of its
    40 s there. Pages are only ever appended (PDF.add_page), so their count and the last page's
    number key the cache.
    """
    kids = pdf.pages["Kids"]
    key = (len(kids), kids[-3] if kids else None)
    cached = pdf.__dict__.get("_chapbook_page_references")
    if cached is None or cached[0] != key:
        cached = (key, tuple(f"{number} 0 R".encode("ascii") for number in kids[::3]))
        pdf._chapbook_page_references = cached
    return cached[1]


def _speed_up_pydyf() -> None:
    import pydyf

    original = getattr(pydyf.PDF, "page_references", None)
    if isinstance(original, property) and original.fget is not _cached_page_references:
        pydyf.PDF.page_references = property(_cached_page_references)


def _stylesheets(fetcher, paper: str, extra_css: str = "", color_profiles: dict | None = None) -> list:
    weasyprint = import_weasyprint()

    sheets = [weasyprint.CSS(filename=str(PRINT_CSS), url_fetcher=fetcher),
              weasyprint.CSS(string=page_css(paper), url_fetcher=fetcher)]
    if extra_css:
        sheets.append(weasyprint.CSS(string=extra_css, url_fetcher=fetcher, color_profiles=color_profiles))
    return sheets


def lay_out(html: str, document: Document, options: BookOptions = BookOptions()):
    """Lay `html` out with print.css and the paper setting (a WeasyPrint Document, not yet a PDF).

    Only sandboxed local resources are read: the source's folder, styles/ and `options.extra_folders`.
    """
    weasyprint = import_weasyprint()

    from pipeline.fetcher import SandboxedFetcher

    _speed_up_pydyf()
    fetcher = SandboxedFetcher((document.resource_folder, STYLES, *options.extra_folders), str(document.source))
    page = weasyprint.HTML(string=html, base_url=document.resource_folder.as_uri() + "/", url_fetcher=fetcher)
    profiles: dict = {}  # filled by an @color-profile rule in extra_css: the print file's output intent
    stylesheets = _stylesheets(fetcher, document.settings.paper, options.extra_css, profiles)
    with collector_paused():
        rendering = page.render(stylesheets=stylesheets, pdf_variant=options.variant, full_fonts=options.full_fonts,
                                color_profiles=profiles)
        gc.collect()  # the layout's cycles, once, before drawing: the peak stays below an unpaused run's
    return rendering


def write_pdf(html: str, document: Document, options: BookOptions = BookOptions()) -> bytes:
    """`html` laid out (see lay_out) and written as a PDF."""
    return _pdf_bytes(lay_out(html, document, options), options)


def _pdf_bytes(rendering, options: BookOptions) -> bytes:
    with collector_paused():
        return rendering.write_pdf(pdf_variant=options.variant, full_fonts=options.full_fonts)


def anchor_pages(rendering) -> dict[str, int]:
    """Each anchor (element id) of a laid-out WeasyPrint Document and the 1-based page it is on."""
    return {name: number for number, page in enumerate(rendering.pages, start=1) for name in page.anchors}


def known_contents_pages(document: Document, previous: bytes | None) -> dict[str, int]:
    """The page of each contents entry in the previous PDF of this book, or {} when it does not name them all.

    Only a guess: the source may have changed since. render_book checks it after layout.
    """
    pages = _previous_pages(previous)
    entries = [heading.identifier for heading in contents_entries(document.outline())]
    return {name: pages[name] for name in entries} if entries and all(name in pages for name in entries) else {}


def _previous_pages(previous: bytes | None) -> dict[str, int]:
    if not previous:
        return {}
    from pipeline.destinations import destination_pages

    return destination_pages(previous)


# A long book in two parts ------------------------------------------------------------------------
# A long book laid out as two WeasyPrint documents at once, one per core, joined into one PDF.
#
# WeasyPrint lays a document out on one core, and its pages cannot leave the process they were laid
# out in, so a book longer than SPLIT_WORDS is cut at the section boundary nearest its middle: the
# first part holds the title page, the contents and the first sections; the second starts with a
# section, on a page of its own. The second part is laid out in a forked process while this one lays
# out the first; pipeline/pdf_join.py joins the two PDFs.
#
# What crosses the cut is written into each part's HTML and checked after layout: the second part's
# first page number and side, the footnote number it continues from, the running head's title, and
# the contents' page numbers of every section (guessed from the previous PDF, else from a first
# round). A part whose guess was wrong is laid out again with what the other part measured; the
# numbers cannot then differ, so the PDF does not depend on which guesses were made.

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


def _lay_out_part(html: str, document: Document, options: BookOptions) -> LaidOut:
    rendering = lay_out(html, document, options)
    anchors: dict[str, int] = {}
    for number, page in enumerate(rendering.pages, start=1):
        for name in page.anchors:
            anchors.setdefault(name, number)
    return LaidOut(_pdf_bytes(rendering, options), len(rendering.pages), anchors)


def _lay_out_all(jobs: list[tuple[str, BookOptions] | None], document: Document) -> list[LaidOut | None]:
    """Lay out each (html, options) given: the last in a forked process while this one does the others."""
    wanted = [index for index, job in enumerate(jobs) if job is not None]
    results: list = [None] * len(jobs)
    if len(wanted) == 1:
        html, options = jobs[wanted[0]]
        results[wanted[0]] = _lay_out_part(html, document, options)
        return results
    from pipeline.forked import ForkedCall

    html, options = jobs[wanted[-1]]
    other = ForkedCall(_lay_out_part, html, document, options)
    try:
        for index in wanted[:-1]:
            html, options = jobs[index]
            results[index] = _lay_out_part(html, document, options)
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
    for _round in range(ROUNDS):
        first = html_page(document, [front, contents_html(document.outline(), numbers),
                                     _with_anchors(mains[0], elsewhere[0])])
        wanted = [(first, options),
                  (second, replace(options, extra_css=options.extra_css + second_part_css(max(start, 1), notes)))]
        jobs = [None if inputs[index] == wanted[index] else wanted[index] for index in range(2)]
        for index, result in enumerate(_lay_out_all(jobs, document)):
            if result is not None:
                done[index], inputs[index] = result, wanted[index]
        pages1 = done[0].pages
        landed = {name: page for name, page in done[0].anchors.items() if name in defined[0]}
        landed.update({name: pages1 + page for name, page in done[1].anchors.items() if name in defined[1]})
        measured = {name: landed.get(name, 0) for name in entries}
        if start == pages1 + 1 and measured == numbers:
            log.debug("%s: laid out in two parts at once, joined", document.source)
            return join_pdfs([done[0].pdf, done[1].pdf], defined)
        log.debug("%s: laid out in two parts; %s", document.source,
                  "the second part starts elsewhere" if start != pages1 + 1 else "a section moved")
        numbers, start = measured, pages1 + 1
    log.debug("%s: the parts' page numbers did not settle; laid out whole", document.source)
    return None


# A page that uses every face, the hyphenation dictionary, a footnote and the running heads.
_WARM_UP_PAGE = ('<html lang="en"><body><main class="essay"><h1>warming up</h1><p>a <em>paragraph</em> '
                 '<strong>long</strong> enough to be hyphenated: incomprehensibilities<span class="footnote">'
                 'a note</span>.</p><ul><li><code>code</code></li></ul></main></body></html>')


def warm_up() -> Iterator[None]:
    """Load what every PDF needs, in two stages: WeasyPrint and the title's face, then a sample page.

    The build runs this in a worker process while the main process reads the source. After the
    first stage it stops if a PDF is already waiting: the sample page loads fonts, hyphenation
    patterns and print.css a little before the first real layout would, which pays only while the
    worker would otherwise idle (a long source, `watch`). It reads only styles/ and writes nothing.
    """
    weasyprint = import_weasyprint()

    from pipeline.fetcher import SandboxedFetcher

    _speed_up_pydyf()
    balanced_title("warming up", "a5")
    yield
    fetcher = SandboxedFetcher((STYLES,), str(PRINT_CSS))
    weasyprint.HTML(string=_WARM_UP_PAGE, url_fetcher=fetcher).write_pdf(
        stylesheets=_stylesheets(fetcher, "a5"), pdf_variant=PDF_VARIANT)


def precheck(document: Document) -> None:
    """Warn about characters the book's fonts lack; the build calls it in the main process, beside the layout."""
    check_coverage(document, GENERATED_TEXT)


def render_book(document: Document, options: BookOptions, previous: bytes | None = None) -> bytes:
    """The book of `document` laid out as `options` say (`precheck` warns about characters its fonts lack).

    `previous`, the last PDF written for this book, may give the contents' page numbers: the book is
    then laid out once with them, and they are checked against where each heading landed. Otherwise,
    or when one is wrong, WeasyPrint finds them itself (target-counter, which lays the contents out
    again until the numbers settle). Both ways give the same bytes. A book above SPLIT_WORDS is laid
    out in two parts at once, on both cores, and joined (render_in_parts).
    """
    cut = split_index(document)
    if cut is not None:
        joined = render_in_parts(document, options, cut, _previous_pages(previous))
        if joined is not None:
            return joined
    known = known_contents_pages(document, previous)
    if known:
        rendering = lay_out(page_html(document, known), document, options)
        landed = anchor_pages(rendering)
        if all(landed.get(name) == number for name, number in known.items()):
            log.debug("%s: the contents' page numbers of the previous PDF still hold", document.source)
            return _pdf_bytes(rendering, options)
        log.debug("%s: a section moved to another page since the previous PDF; laid out again", document.source)
    return write_pdf(page_html(document), document, options)


def render(document: Document, companions: dict | None = None) -> bytes:
    """The PDF edition of `document`: the tagged screen book.

    The previous PDF (`companions[PREVIOUS]`, when the build hands it in) only saves layout time.
    """
    previous = (companions or {}).get(PREVIOUS)
    return render_book(document, BookOptions(), previous.data if previous else None)
