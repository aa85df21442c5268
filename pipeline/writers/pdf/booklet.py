"""The booklet edition: the PDF edition's pages imposed two-up for printing at home and saddle stitching.

It lays nothing out: it takes the finished PDF (its companion) and places its pages on sheets twice
their size with pipeline.writers.pdf.impose, so a booklet page is exactly a page of the PDF book.
"""

from __future__ import annotations

import io
import logging

from pipeline.document import Document
from pipeline.errors import ChapbookError
from pipeline.paper import PAGE_FORMATS, length_in_points
from pipeline.writers.pdf.impose import impose

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
    try:
        return impose(pdf, signature=settings.signature or None, creep=length_in_points(settings.creep),
                      sheet=PAGE_FORMATS[settings.paper].sheet)
    except ValueError as error:
        raise ChapbookError(document.source, f"cannot impose the booklet: {error}",
                            "check the signature and paper settings") from None
