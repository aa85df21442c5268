"""The PDF edition: the shared XHTML body in a printed book's frame, laid out by WeasyPrint.

The frame is a title page, a contents list with page numbers, running heads and page numbers;
styles/print.css designs it. Notes are pandoc footnotes set at the foot of their page; resources
come only from the source's folder and styles/ (pipeline.writers.pdf.fetcher); the output is tagged PDF/UA-1.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

from pipeline.document import DEFAULT_LANG, Document
from pipeline.editions import PREVIOUS
from pipeline.files.resources import STYLES
from pipeline.writers.pdf.book_html import GENERATED_TEXT, balanced_title, contents_entries, page_html
from pipeline.writers.pdf.engine.hyphenation import load
from pipeline.writers.pdf.engine.missing_glyphs import keep_missing_glyph_text
from pipeline.writers.pdf.engine.page_references import speed_up_pydyf
from pipeline.writers.pdf.engine.weasyprint_start import import_weasyprint
from pipeline.writers.pdf.keeps import load_measures
from pipeline.writers.pdf.layout import (
    PRINT_CSS,
    BookOptions,
    anchor_pages,
    lay_out,
    pdf_bytes,
    stylesheets,
    write_pdf,
)
from pipeline.writers.pdf.parts import lays_front_apart, render_front_apart, render_in_parts, split_index
from pipeline.writers.shared.fonts import check_coverage

log = logging.getLogger("chapbook")


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
    from pipeline.writers.pdf.destinations import destination_pages

    return destination_pages(previous)


def warm_up() -> Iterator[None]:
    """Load what every PDF needs, in three stages: WeasyPrint and the faces' widths, print.css, and the
    hyphenation patterns of the default language.

    The build runs this in a worker process while the main process reads the source, and stops it at
    the end of a stage once a PDF is waiting. The patterns come parsed from pipeline/writers/pdf/engine/hyphenation.py's
    data (10 ms; Pyphen alone takes about 50 ms, in the first layout otherwise). A sample page
    laid out here (fonts, running heads, a footnote) was measured to spare the first real layout
    nothing, so there is none. It reads only styles/ and Pyphen's dictionaries, and writes nothing.
    """
    import_weasyprint()

    from pipeline.writers.pdf.fetcher import SandboxedFetcher

    speed_up_pydyf()
    keep_missing_glyph_text()
    balanced_title("warming up", "a5")
    load_measures()  # the text face's widths, read by the first book's keeps (15 ms)
    yield
    stylesheets(SandboxedFetcher((STYLES,), str(PRINT_CSS)), "a5")  # parsed once per process, then shared
    yield
    load(DEFAULT_LANG)


def precheck(document: Document) -> None:
    """Warn about characters the book's fonts lack; the build calls it in the main process, beside the layout."""
    check_coverage(document, GENERATED_TEXT)


def render_book(document: Document, options: BookOptions, previous: bytes | None = None, cores: int = 1) -> bytes:
    """The book of `document` laid out as `options` say (`precheck` warns about characters its fonts lack).

    A book above SPLIT_WORDS is laid out as its front and two parts at once, on both cores, and a
    book with a long contents as its front and its body, joined (pipeline/writers/pdf/parts.py): beside it,
    in another process, when the job has more than one of the `cores`, else after it; the same bytes.
    Otherwise it is laid out whole. `previous`, the last PDF written for this book, may then give the
    contents' page numbers: the book is laid out once with them, and they are checked against where
    each heading landed. Otherwise, or when one is wrong, WeasyPrint finds them itself
    (target-counter, which lays the contents out again until the numbers settle). Both ways give the
    same bytes.
    """
    # If the warm-up stopped before the patterns, or the book has another language: from the data, else parsed
    # now (as the layout would) and kept as data for the next process.
    load(document.meta.lang)
    cut = split_index(document)
    if cut is not None:
        joined = render_in_parts(document, options, cut)
    else:
        joined = render_front_apart(document, options, cores > 1) if lays_front_apart(document, options) else None
    if joined is not None:
        return joined
    known = known_contents_pages(document, previous)
    if known:
        rendering = lay_out(page_html(document, known), document, options)
        landed = anchor_pages(rendering)
        if all(landed.get(name) == number for name, number in known.items()):
            log.debug("%s: the contents' page numbers of the previous PDF still hold", document.source)
            return _furniture_as_artifacts(pdf_bytes(rendering, options), options)
        log.debug("%s: a section moved to another page since the previous PDF; laid out again", document.source)
    return _furniture_as_artifacts(write_pdf(page_html(document), document, options), options)


def _furniture_as_artifacts(data: bytes, options: BookOptions) -> bytes:
    """A tagged book's running heads and folios as pagination artifacts (a joined book's are marked by the join)."""
    if not options.variant.startswith("pdf/ua"):
        return data
    from pipeline.writers.pdf.engine.artifacts import margin_boxes_as_artifacts

    return margin_boxes_as_artifacts(data)


def render(document: Document, companions: dict | None = None, cores: int = 1) -> bytes:
    """The PDF edition of `document`: the tagged screen book.

    The previous PDF (`companions[PREVIOUS]`, when the build hands it in) and `cores` (see render_book)
    only save time.
    """
    previous = (companions or {}).get(PREVIOUS)
    return render_book(document, BookOptions(), previous.data if previous else None, cores)
