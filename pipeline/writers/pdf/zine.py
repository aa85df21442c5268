"""The one-sheet mini-zine: a short post laid out on eight small pages, imposed on one side of A4 or letter.

Folded in half along the long middle, cut along half that fold and pushed together, the sheet becomes an
8-page booklet (pipeline/writers/pdf/impose.py: the page order and the upside-down top row). Each page is
an eighth of the sheet (74.25 x 105 mm on A4, 2.75 x 4.25 in on letter), laid out anew in the book's
design at a smaller size, and printed at 100 %: nothing is scaled. A source longer than eight such pages
is refused: a zine is for a short post.
"""

from __future__ import annotations

import io

from pipeline.document import Document
from pipeline.errors import ChapbookError
from pipeline.paper import INCH, MM
from pipeline.writers.pdf import book as pdf
from pipeline.writers.pdf.book import render_book
from pipeline.writers.pdf.impose import ZINE_PAGES, impose_zine
from pipeline.writers.pdf.layout import BookOptions

# The sheet: letter for the US page sizes, A4 otherwise (landscape).
LETTER_PAPERS = ("letter", "half-letter", "5x8", "5.25x8", "6x9")
SHEETS = {"A4": (297 * MM, 210 * MM), "letter": (11 * INCH, 8.5 * INCH)}


def zine_sheet(paper: str) -> tuple[str, tuple[float, float]]:
    """The sheet (name, landscape size in points) a zine is printed on for the `paper` setting."""
    name = "letter" if paper in LETTER_PAPERS else "A4"
    return name, SHEETS[name]


def zine_css(sheet: tuple[float, float]) -> str:
    """Page rules for an eighth of `sheet`: narrow even margins (no binding), small type, small heads."""
    width, height = sheet[0] / 4, sheet[1] / 2
    return (f"@page {{ size: {width:.3f}pt {height:.3f}pt; margin: 6mm 5mm 7mm; font-size: 5pt }}\n"
            "@page :left { margin-left: 5mm; margin-right: 5mm }\n"
            "@page :right { margin-left: 5mm; margin-right: 5mm }\n"
            "html { font-size: 7.5pt }\n"
            ".title-page { padding-top: 4em }\n"
            # Eight pages leave no room for a contents page: the post reads straight through.
            "nav.contents { display: none }\n"
            "main.essay { break-before: auto }\n")


def precheck(document: Document) -> None:
    """Warn about characters the book's fonts lack, as the screen PDF does."""
    pdf.precheck(document)


def render(document: Document, companions: dict | None = None, cores: int = 1) -> bytes:
    """The zine of `document`: its pages laid out small and imposed on one sheet."""
    from pypdf import PdfReader

    name, sheet = zine_sheet(document.settings.paper)
    laid_out = render_book(document, BookOptions(extra_css=zine_css(sheet)))
    pages = len(PdfReader(io.BytesIO(laid_out)).pages)
    if pages > ZINE_PAGES:
        raise ChapbookError(document.source, f"the zine holds {ZINE_PAGES} pages of {name}/8 and this source "
                            f"takes {pages}", "shorten it, or print it as a booklet (-f booklet)")
    return impose_zine(laid_out, sheet)
