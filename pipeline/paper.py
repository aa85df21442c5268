"""Paper: the sizes a PDF can be set on, with their margins and type size."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PageFormat:
    """One paper size: the CSS page size, margins (the inner one on the binding side) and type size."""

    size: str
    inner: str
    outer: str
    top: str
    bottom: str
    font_size: str


PAGE_FORMATS = {
    "a5": PageFormat("A5", "20mm", "15mm", "18mm", "19mm", "10pt"),
    "a4": PageFormat("A4", "34mm", "26mm", "25mm", "27mm", "11.5pt"),
    "letter": PageFormat("letter", "34mm", "26mm", "24mm", "26mm", "11.5pt"),
}
PAPER_NAMES = tuple(PAGE_FORMATS)
