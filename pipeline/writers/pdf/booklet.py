"""The booklet edition: the PDF edition's pages imposed two-up for printing at home and saddle stitching.

It lays nothing out: it takes the finished PDF (its companion) and places its pages on sheets twice
their size with pipeline.writers.pdf.impose, so a booklet page is exactly a page of the PDF book.
"""

from __future__ import annotations

import io
import logging
import math

from pipeline.document import Document
from pipeline.errors import ChapbookError
from pipeline.paper import BOOKLET_PAPERS, MM, PAGE_FORMATS, length_in_points
from pipeline.writers.pdf.impose import deepest_sheet, impose

log = logging.getLogger("chapbook")
# More pages than this and the folded stack is too thick to staple through or to lie flat: each
# sheet is four pages, and 15 sheets of office paper is about what a long-reach stapler takes.
SADDLE_STITCH_LIMIT = 60
SUGGESTED_SIGNATURE = 16  # four sheets to a gathering: easy to fold, sew or glue


def render(document: Document, companions: dict) -> bytes:
    """The booklet of the document's PDF edition, as the settings `signature` and `creep` ask."""
    from pypdf import PdfReader

    pdf = companions["pdf"].data
    settings = document.settings
    page_count = len(PdfReader(io.BytesIO(pdf)).pages)
    if page_count > SADDLE_STITCH_LIMIT and not settings.signature:
        log.warning("%s: the booklet has %d pages, more than %d fold and staple well as one booklet; "
                    "fold it in gatherings with --signature %d (or signature = %d in chapbook.toml)",
                    document.source, page_count, SADDLE_STITCH_LIMIT, SUGGESTED_SIGNATURE, SUGGESTED_SIGNATURE)
    paper = PAGE_FORMATS[settings.paper]
    if not paper.sheet_name:
        width, height = (value / 72 for value in paper.sheet)
        raise ChapbookError(document.source, f"a booklet of {settings.paper} pages needs {width:g} x {height:g} in "
                            "sheets, which no office printer takes",
                            "use --paper with one of: " + ", ".join(
                                f"{name} (on {PAGE_FORMATS[name].sheet_name})" for name in BOOKLET_PAPERS))
    creep, deepest = length_in_points(settings.creep), deepest_sheet(page_count, settings.signature or None)
    # The innermost sheet's pages move `creep` for each sheet around it; past the page's inner margin
    # its text would cross the fold.
    room = length_in_points(paper.inner)
    if creep * deepest > room:
        largest = math.floor(room / deepest / MM * 100) / 100
        raise ChapbookError(document.source, f"setting 'creep' of {settings.creep} moves the innermost sheet's pages "
                            f"{creep * deepest / MM:.1f} mm towards the fold, past their {paper.inner} inner margin",
                            f'use at most creep = "{largest:g}mm" for {page_count} pages in gatherings of '
                            f"{(deepest + 1) * 4}")
    try:
        return impose(pdf, signature=settings.signature or None, creep=creep, sheet=paper.sheet)
    except ValueError as error:
        raise ChapbookError(document.source, f"cannot impose the booklet: {error}",
                            "check the signature and paper settings") from None
