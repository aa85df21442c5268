"""The PDF book's HTML: title page, contents, the essay's body and the page that holds them.

pipeline/writers/pdf/book.py lays this page out with styles/print.css (through pipeline/writers/pdf/layout.py);
the print file and the booklet use the same frame. Everything here is text in, HTML out: no layout.
"""

from __future__ import annotations

import re
from datetime import UTC
from html import escape

from pipeline.ast import map_blocks, map_inlines, stringify
from pipeline.document import Document, Heading
from pipeline.paper import PAGE_FORMATS, length_in_points
from pipeline.writers.pdf.keeps import keep_one_line_openings
from pipeline.writers.pdf.whole_words import keep_words_whole
from pipeline.writers.shared.balance import balanced_lines, text_width
from pipeline.writers.shared.fonts import TEXT_FAMILY, font_files
from pipeline.writers.shared.list_markers import BULLETS

CONTENTS_DEPTH = 2  # sections and subsections; bookmarks keep every level
CONTENTS_LABEL = "contents"
# Text chapbook itself sets (contents label, page and note numbers, list markers, brackets
# around printed URLs), so the coverage check sees it too.
GENERATED_TEXT = f"{CONTENTS_LABEL} 0123456789 . ( ) {' '.join(BULLETS)} · …"
# The title's size and side padding in print.css (.title-page .title), for balancing its lines.
TITLE_SCALE, TITLE_PADDING = 2.0, 1.5  # times the base size; ems of the title's own size, each side
LAST_WORD_CLASS = "last-word"  # print.css sets it without hyphenation
# print.css's hyphenate-limit-chars (its first value): WeasyPrint hyphenates no word shorter. It counts
# the characters between the word boundaries Pango finds within one run of text; whole_last_words
# counts the run's last stretch without spaces, punctuation included: never fewer, so it can only
# add a span where none was needed, never leave out one that was.
HYPHENATE_MIN_CHARS = 6
# WeasyPrint breaks a run with no break opportunity by laying out the rest of the run again for each
# line: a 30,000-character word took 51 s, a 1 MB one hours. Runs this long get an invisible break
# opportunity (U+200B, which text extraction leaves out) every BREAK_EVERY characters.
LONG_RUN, BREAK_EVERY = 200, 40
ZERO_WIDTH_SPACE = "\u200b"
# print.css: a link to a long address; that address printed after it; the unlinked rest of a bare one.
LONG_URL_CLASS, PRINTED_URL_CLASS, URI_REST_CLASS = "long-url", "printed-url", "uri-rest"
RUNNING_HEAD_LIMIT = 60  # characters, one line at 8 pt on every trim; longer: shortened in the running heads only


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
    WeasyPrint has no `hyphenate-limit-last`. Notes called at the end are skipped over. A word too
    short to be hyphenated at all (HYPHENATE_MIN_CHARS) and a heading (never hyphenated) get no
    span: each span is an inline box that WeasyPrint splits and measures again on its line, and
    the essay's 262 spans cost its layout 0.08 s; the 107 left cost about 0.03 s.
    """
    return map_inlines(blocks, _whole_last_word, headings=False)


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
    """`inlines` with long runs breakable; the list itself, and each node, as it was where nothing changed."""
    result, changed = [], False
    for node in inlines:
        kind, content = node.get("t"), node.get("c")
        if kind == "Link" and len(content[2][0]) > LONG_RUN:
            result += _long_link(content)
            changed = True
            continue
        if kind == "Str":
            text = breakable(content)
            new = node if text == content else {"t": "Str", "c": text}
        elif kind == "Code":
            text = breakable(content[1])
            new = node if text == content[1] else {"t": "Code", "c": [content[0], text]}
        elif kind in _CONTAINERS:
            position = _CONTAINERS[kind]
            inner = content if position == 0 else content[position]
            broken = _breakable_inlines(inner)
            new = node if broken is inner else {"t": kind, "c": broken if position == 0 else
                                                [*content[:position], broken, *content[position + 1:]]}
        else:
            new = node
        changed = changed or new is not node
        result.append(new)
    return result if changed else inlines


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
_TEXT = ("Str", "Cite")  # set as text in their parent's run (a citation has no element of its own)


def _whole_last_word(inlines: list) -> list:
    for index in range(len(inlines) - 1, -1, -1):
        node = inlines[index]
        kind = node.get("t")
        if kind in _TRAILING:
            continue
        if kind in _TEXT:
            start = _run_start(inlines, index)
            words = stringify(inlines[start:index + 1]).split()
            last = words[-1] if words else ""
            if not any(character.isalnum() for character in last):
                continue  # punctuation alone ("*remembered*."): the word is before it
            if len(last) < HYPHENATE_MIN_CHARS:
                return inlines
            span = {"t": "Span", "c": [["", [LAST_WORD_CLASS], []], inlines[start:index + 1]]}
            return [*inlines[:start], span, *inlines[index + 1:]]
        if kind in _CONTAINERS:
            content = node["c"]
            if _CONTAINERS[kind] == 0:
                return [*inlines[:index], {"t": kind, "c": _whole_last_word(content)}, *inlines[index + 1:]]
            position = _CONTAINERS[kind]
            changed = [*content[:position], _whole_last_word(content[position]), *content[position + 1:]]
            return [*inlines[:index], {"t": kind, "c": changed}, *inlines[index + 1:]]
        return inlines  # code, math, an image: nothing to hyphenate
    return inlines


def _run_start(inlines: list, index: int) -> int:
    """Where the text ending at `index` starts: the words and citations right before it belong to its run."""
    start = index
    while start and inlines[start - 1].get("t") in _TEXT:
        start -= 1
    return start


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
             + f"><span>{escape(breakable(heading.text))}</span></a></li>" for heading in entries]
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
    from pipeline.writers.shared.xhtml import HtmlOptions, render_blocks

    options = HtmlOptions(notes="inline", image_src=lambda resource: resource.path.as_uri(), backlinks=False)
    blocks = keep_words_whole(keep_one_line_openings(document.blocks, document.settings.paper))
    body = render_blocks(whole_last_words(breakable_long_runs(blocks)), document, options).body
    return label_headings(body, document.outline())


def page_html(document: Document, page_numbers: dict[str, int] | None = None) -> str:
    """The whole book as one HTML page: title page, contents (see contents_html), then the essay."""
    return html_page(document, [title_page_html(document), contents_html(document.outline(), page_numbers),
                                essay_html(document)])


def essay_html(document: Document) -> str:
    """The essay's <main>: the body of `document`'s blocks."""
    # Pages before the first section show the title as their running head (print.css). An empty
    # element sets it: set on <main>, WeasyPrint would assign it again on every page main continues.
    first = document.blocks[0] if document.blocks else {}
    opens_a_section = first.get("t") == "Header" and first["c"][0] == 1
    head = escape(running_head(document.meta.title))
    title_head = "" if opens_a_section else f'<div data-running-head="{head}"></div>\n'
    return f'<main class="essay">\n{title_head}{body_html(document)}\n</main>'


def html_page(document: Document, parts: list[str]) -> str:
    """An HTML page in the document's language, with its <head>, whose body holds `parts` (empty ones left out)."""
    lang = escape(document.meta.lang or "en")
    return (f'<!DOCTYPE html>\n<html xmlns="http://www.w3.org/1999/xhtml" lang="{lang}" xml:lang="{lang}">\n'
            f"{head_html(document)}\n<body>\n" + "\n".join(part for part in parts if part) + "\n</body>\n</html>\n")

