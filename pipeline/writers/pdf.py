"""The PDF edition: the shared XHTML body in a printed book's frame, laid out by WeasyPrint.

The frame is a title page, a contents list with page numbers, running heads and page numbers;
styles/print.css designs it. Notes are pandoc footnotes set at the foot of their page; resources
come only from the source's folder and styles/ (pipeline.fetcher); the output is tagged PDF/UA-1.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

from pipeline.book_html import GENERATED_TEXT, balanced_title, contents_entries, page_html
from pipeline.book_layout import (
    PDF_VARIANT,
    PRINT_CSS,
    BookOptions,
    anchor_pages,
    lay_out,
    pdf_bytes,
    speed_up_pydyf,
    stylesheets,
    write_pdf,
)
from pipeline.book_parts import lays_front_apart, render_front_apart, render_in_parts, split_index
from pipeline.document import Document
from pipeline.editions import PREVIOUS
from pipeline.fonts import check_coverage
from pipeline.resources import STYLES
from pipeline.weasyprint_start import import_weasyprint

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
    from pipeline.destinations import destination_pages

    return destination_pages(previous)

# A page that uses every face, the hyphenation dictionary, a footnote and the running heads.
_WARM_UP_PAGE = ('<html lang="en"><body><main class="essay"><h1>warming up</h1><p>a <em>paragraph</em> '
                 '<strong>long</strong> enough to be hyphenated: incomprehensibilities<span class="footnote">'
                 'a note</span>.</p><ul><li><code>code</code></li></ul></main></body></html>')


def warm_up() -> Iterator[None]:
    """Load what every PDF needs, in three stages: WeasyPrint and the title's face, print.css, a sample page.

    The build runs this in a worker process while the main process reads the source, and stops it at
    the end of a stage once a PDF is waiting. The sample page loads fonts and hyphenation patterns a
    little before the first real layout would, which pays only while the worker would otherwise idle
    (a long source, `watch`). It reads only styles/ and writes nothing.
    """
    weasyprint = import_weasyprint()

    from pipeline.fetcher import SandboxedFetcher

    speed_up_pydyf()
    balanced_title("warming up", "a5")
    yield
    fetcher = SandboxedFetcher((STYLES,), str(PRINT_CSS))
    sheets = stylesheets(fetcher, "a5")  # parsed once per process: the first PDF uses them as they are
    yield
    weasyprint.HTML(string=_WARM_UP_PAGE, url_fetcher=fetcher).write_pdf(stylesheets=sheets, pdf_variant=PDF_VARIANT)


def precheck(document: Document) -> None:
    """Warn about characters the book's fonts lack; the build calls it in the main process, beside the layout."""
    check_coverage(document, GENERATED_TEXT)


def render_book(document: Document, options: BookOptions, previous: bytes | None = None, cores: int = 1) -> bytes:
    """The book of `document` laid out as `options` say (`precheck` warns about characters its fonts lack).

    A book above SPLIT_WORDS is laid out as its front and two parts at once, on both cores, and a
    book with a long contents as its front and its body, joined (pipeline/book_parts.py): beside it,
    in another process, when the job has more than one of the `cores`, else after it; the same bytes.
    Otherwise it is laid out whole. `previous`, the last PDF written for this book, may then give the
    contents' page numbers: the book is laid out once with them, and they are checked against where
    each heading landed. Otherwise, or when one is wrong, WeasyPrint finds them itself
    (target-counter, which lays the contents out again until the numbers settle). Both ways give the
    same bytes.
    """
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
            return pdf_bytes(rendering, options)
        log.debug("%s: a section moved to another page since the previous PDF; laid out again", document.source)
    return write_pdf(page_html(document), document, options)


def render(document: Document, companions: dict | None = None, cores: int = 1) -> bytes:
    """The PDF edition of `document`: the tagged screen book.

    The previous PDF (`companions[PREVIOUS]`, when the build hands it in) and `cores` (see render_book)
    only save time.
    """
    previous = (companions or {}).get(PREVIOUS)
    return render_book(document, BookOptions(), previous.data if previous else None, cores)
