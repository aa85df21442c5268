"""Where each page of a laid-out PDF begins: its first words, read from the PDF's own text.

The EPUB's page list (pipeline/writers/epub/page_list.py) places a marker before these words. It
reads the PDF the same build laid out, never the source. WeasyPrint draws a page's body first and its
margin boxes (running head, folio) and list markers last, so the text of a page, in drawing order,
begins with the words that begin the page.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

# WeasyPrint ends a hyphenated line with U+2010 HYPHEN (FIELD-NOTES): the word goes on after the break.
_HYPHENATION = "\u2010"


@dataclass(frozen=True)
class PageStart:
    """One page of the PDF: its label (its /PageLabels entry, else its number from 1) and its first words."""

    label: str
    words: tuple[str, ...]  # empty for a blank page


def page_starts(pdf: bytes, count: int = 12) -> list[PageStart]:
    """Each page's label and up to `count` first words, in page order; a word hyphenated at a line end is joined."""
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(pdf))
    starts = []
    for label, page in zip(reader.page_labels, reader.pages, strict=True):
        text = (page.extract_text() or "").replace(_HYPHENATION + "\n", "")
        starts.append(PageStart(label, tuple(text.split()[:count])))
    return starts
