"""Where each page of a laid-out PDF begins: its first words, read from the PDF's own text.

The EPUB's page list (pipeline/writers/epub/page_list.py) places a marker before these words. It
reads the PDF the same build laid out, never the source. WeasyPrint draws a page's body first and its
margin boxes (running head, folio) and list markers last, so the text of a page, in drawing order,
begins with the words that begin the page.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

# WeasyPrint ends a hyphenated line with U+2010 HYPHEN (FIELD-NOTES): the word goes on after the break.
_HYPHENATION = "\u2010"
# Pages each pdftotext process reads at the least: below it, one process more costs more than it saves
# (docs/performance.md).
_PAGES_EACH = 12


@dataclass(frozen=True)
class PageStart:
    """One page of the PDF: its label (its /PageLabels entry, else its number from 1) and its first words."""

    label: str
    words: tuple[str, ...]  # empty for a blank page


def page_starts(pdf: bytes, count: int = 12, processes: int | None = None) -> list[PageStart]:
    """Each page's label and up to `count` first words, in page order; a word hyphenated at a line end is joined.

    `processes`: how many pdftotext processes read the pages, each a range of them; by default one
    per core for a long book (see _processes), one for a short one.
    """
    import pikepdf

    # qpdf reads the labels (ISO 32000-1 12.4.2) of the essay's PDF in 2 ms, pypdf in 15-50 ms.
    with pikepdf.open(io.BytesIO(pdf)) as opened:
        labels = [page.label for page in opened.pages]
    # poppler's pdftotext reads a 450-page book in about 0.6 s, in drawing order (-raw) like pypdf,
    # which took 9 s for it; pypdf stays the way where poppler is not installed.
    texts = _poppler_texts(pdf, len(labels), processes or _processes(len(labels))) or _pypdf_texts(pdf)
    return [PageStart(label, tuple(text.replace(_HYPHENATION + "\n", "").split()[:count]))
            for label, text in zip(labels, texts, strict=True)]


def _processes(pages: int) -> int:
    """How many pdftotext processes read a book of `pages` pages: one per core, each for _PAGES_EACH or more."""
    from pipeline.build.workers import cores

    return max(1, min(cores(), pages // _PAGES_EACH))


def _pypdf_texts(pdf: bytes) -> list[str]:
    """Each page's text by pypdf, in drawing order."""
    from pypdf import PdfReader

    return [page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages]


def _poppler_texts(pdf: bytes, pages: int, processes: int = 1) -> list[str] | None:
    """Each page's text by `pdftotext -raw` (pages end with a form feed), or None without poppler.

    With more than one process, each reads a range of pages (-f, -l) into a file of its own, all at
    once; a page's text does not depend on the range it is read in, so the ranges' texts one after
    the other are the text of one call for the whole book.
    """
    import shutil
    import subprocess
    import tempfile

    program = shutil.which("pdftotext")
    if program is None:
        return None
    size = -(-pages // max(1, min(processes, pages)))  # pages in each range, the last range maybe fewer
    ranges = [(first, min(pages, first + size - 1)) for first in range(1, pages + 1, size)] or [(1, 1)]
    with tempfile.TemporaryDirectory() as folder:
        copy = Path(folder) / "book.pdf"
        copy.write_bytes(pdf)
        outputs = [Path(folder) / f"{first}.txt" for first, _last in ranges]
        # Into files, not pipes: a pipe's reader would let the other processes stall on a full pipe.
        running = [subprocess.Popen([program, "-raw", "-enc", "UTF-8", "-f", str(first), "-l", str(last), str(copy),
                                     str(output)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                   for (first, last), output in zip(ranges, outputs, strict=True)]
        if any(process.wait() != 0 for process in running):
            return None
        text = "".join(output.read_bytes().decode("utf-8", "replace") for output in outputs)
    texts = text.split("\f")
    return texts[:pages] if len(texts) >= pages else None
