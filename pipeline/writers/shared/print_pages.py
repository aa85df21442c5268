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
    import pikepdf

    # qpdf reads the labels (ISO 32000-1 12.4.2) of the essay's PDF in 2 ms, pypdf in 15-50 ms.
    with pikepdf.open(io.BytesIO(pdf)) as opened:
        labels = [page.label for page in opened.pages]
    # poppler's pdftotext reads a 500-page book in about a second, in drawing order (-raw) like pypdf,
    # which took 9 s for it; pypdf stays the way where poppler is not installed.
    texts = _poppler_texts(pdf, len(labels)) or _pypdf_texts(pdf)
    return [PageStart(label, tuple(text.replace(_HYPHENATION + "\n", "").split()[:count]))
            for label, text in zip(labels, texts, strict=True)]


def _pypdf_texts(pdf: bytes) -> list[str]:
    """Each page's text by pypdf, in drawing order."""
    from pypdf import PdfReader

    return [page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages]


def _poppler_texts(pdf: bytes, pages: int) -> list[str] | None:
    """Each page's text by `pdftotext -raw` (pages end with a form feed), or None without poppler."""
    import shutil
    import subprocess
    import tempfile

    program = shutil.which("pdftotext")
    if program is None:
        return None
    with tempfile.NamedTemporaryFile(suffix=".pdf") as copy:
        copy.write(pdf)
        copy.flush()
        result = subprocess.run([program, "-raw", "-enc", "UTF-8", copy.name, "-"], capture_output=True)
    if result.returncode != 0:
        return None
    texts = result.stdout.decode("utf-8", "replace").split("\f")
    return texts[:pages] if len(texts) >= pages else None
