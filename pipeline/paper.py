"""Paper: the trim sizes a book can be set on, with their margins and type size, and the sheet a booklet of
each is printed on."""

from __future__ import annotations

import re
from dataclasses import dataclass

MM = 72 / 25.4  # points
INCH = 72.0
_LENGTH = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(mm|cm|pt|in)\s*$")
_UNITS = {"mm": MM, "cm": 10 * MM, "pt": 1.0, "in": INCH}


@dataclass(frozen=True)
class PageFormat:
    """One trim size: the CSS page size, margins (the inner one on the binding side), type size, and
    `trim` and `sheet` in points: the page, and the landscape sheet that holds two of them."""

    size: str
    inner: str
    outer: str
    top: str
    bottom: str
    font_size: str
    trim: tuple[float, float]
    sheet: tuple[float, float]
    sheet_name: str = ""  # the standard paper `sheet` is, when it is one; else no booklet is imposed on it


PAGE_FORMATS = {
    # A5 pages print two-up on A4 (297 mm: 1 mm more than two pages; the fold stays in the middle).
    "a5": PageFormat("A5", "20mm", "15mm", "18mm", "19mm", "10pt", (148 * MM, 210 * MM), (297 * MM, 210 * MM),
                     "A4"),
    "a4": PageFormat("A4", "34mm", "26mm", "25mm", "27mm", "11.5pt", (210 * MM, 297 * MM), (420 * MM, 297 * MM),
                     "A3"),
    "letter": PageFormat("letter", "34mm", "26mm", "24mm", "26mm", "11.5pt", (8.5 * INCH, 11 * INCH),
                         (17 * INCH, 11 * INCH), "tabloid"),
    # Half-letter, two-up on letter: the US home printer's booklet.
    "half-letter": PageFormat("5.5in 8.5in", "20mm", "15mm", "18mm", "19mm", "10pt", (5.5 * INCH, 8.5 * INCH),
                              (11 * INCH, 8.5 * INCH), "letter"),
    # Trade paperback trims that print-on-demand services print (pipeline/printers.py says which prints which).
    "5x8": PageFormat("5in 8in", "19mm", "14mm", "18mm", "19mm", "9.5pt", (5 * INCH, 8 * INCH), (10 * INCH, 8 * INCH)),
    "5.25x8": PageFormat("5.25in 8in", "19mm", "14mm", "18mm", "19mm", "9.5pt", (5.25 * INCH, 8 * INCH),
                         (10.5 * INCH, 8 * INCH)),
    # The trade paperback trim of KDP and Lulu; its inside margin is above KDP's 0.375 in minimum.
    "6x9": PageFormat("6in 9in", "22mm", "16mm", "19mm", "21mm", "10.5pt", (6 * INCH, 9 * INCH),
                      (12 * INCH, 9 * INCH)),
}
PAPER_NAMES = tuple(PAGE_FORMATS)


def length_in_points(text: str) -> float:
    """A length written `0.1mm`, `0.3pt`, `0.01in` or `0.02cm`, in points (ValueError otherwise)."""
    match = _LENGTH.match(text)
    if not match:
        raise ValueError(f"{text!r} is not a length such as 0.1mm")
    return float(match.group(1)) * _UNITS[match.group(2)]
BOOKLET_PAPERS = tuple(name for name, page in PAGE_FORMATS.items() if page.sheet_name)
