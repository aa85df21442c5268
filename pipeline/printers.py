"""Printers: what each print-on-demand service accepts, from its published specification.

One record per value of the `printer` setting. The print edition (writers/pdf/pdfx.py), the wraparound
cover (writers/pdf/cover.py) and their checks (check/printing.py) read their geometry from here.

Sources (read 2026; a printer's own page wins over this file):
- KDP: "Paperback Submission Guidelines", https://kdp.amazon.com/en_US/help/topic/G201857950 (bleed
  0.125 in on top, bottom and outside only: a bleed page is 0.125 in wider and 0.25 in taller than the
  trim; outside margins at least 0.375 in with bleed; the inside margin by page count; no crop marks,
  bookmarks or annotations), and its cover guide (spine 0.002252 in per page on white paper, 0.0025 in
  on cream; spine text only from 79 pages; barcode 2 x 1.2 in at the back's bottom right).
- Lulu: "Book Creation Guide" and https://help.lulu.com/en/support/solutions/articles/64000255584
  (bleed 0.125 in (3.18 mm) on every side; safety margin 0.5 in inside the trim; paperback spine
  (pages / 444) + 0.06 in whatever the paper; spine text from 80 pages).
- IngramSpark: "File Creation Guide" and https://www.ingramspark.com/blog/file-requirements-for-print-books
  (margins at least 0.5 in from the trim on all sides, page numbers included; bleed 0.125 in on the
  top, bottom and outside; spine from the paper's pages per inch in its cover template generator,
  which is the authority for a cover: check the figure there before ordering).
- pdfx: a generic print shop (PDF/X-4, ISO 15930-7): 0.125 in of bleed on every side, any trim
  chapbook sets, the paper's own margins.
"""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.paper import INCH, PAPER_NAMES

BLEED = 0.125 * INCH  # 3.175 mm exactly: every printer here asks for 1/8 in, not a rounded 3 mm


@dataclass(frozen=True)
class Printer:
    """One printer's rules for a black-and-white paperback, lengths in points."""

    name: str
    title: str
    guide: str  # where the rules come from
    trims: tuple[str, ...]  # paper names (pipeline.paper) it prints
    spine_bleed: bool  # bleed on the binding edge too (Lulu) or not (KDP, IngramSpark)
    outside: float  # least distance from the trim to any text, running head or folio (top, bottom, outside)
    gutter: tuple[tuple[int, float], ...]  # (up to this many pages, least inside margin), in order
    spine_per_page: dict[str, float]  # paper stock -> spine thickness per page, in points
    spine_extra: float  # added to the spine (Lulu's 0.06 in)
    spine_text_from: int  # fewest pages whose spine may carry text
    spine_clearance: float  # spine text kept this far from each fold
    barcode: tuple[float, float]  # the zone left clear on the back, bottom right (width, height)
    barcode_inset: float  # its distance from the back's bottom edge and from its edge at the spine
    minimum_pages: int

    def gutter_for(self, pages: int) -> float:
        """The least inside margin for a book of `pages` pages."""
        for most, margin in self.gutter:
            if pages <= most:
                return margin
        return self.gutter[-1][1]

    def spine_width(self, pages: int, stock: str) -> float:
        """The spine's width for `pages` pages on `stock` paper (white or cream)."""
        return pages * self.spine_per_page[stock] + self.spine_extra

    def spine_text_allowed(self, pages: int) -> bool:
        """Whether the spine of a book of `pages` pages may carry its title."""
        return pages >= self.spine_text_from

    def bleeds(self, recto: bool) -> dict[str, float]:
        """The bleed beyond the trim on each edge of a right-hand (recto) or left-hand page."""
        spine = BLEED if self.spine_bleed else 0.0
        return {"top": BLEED, "bottom": BLEED, "left": spine if recto else BLEED, "right": BLEED if recto else spine}


_KDP_GUTTER = ((150, 0.375), (300, 0.5), (500, 0.625), (700, 0.75), (828, 0.875))
# Lulu adds to its 0.5 in safety margin on the binding side as books grow ("Gutter Additions").
_LULU_GUTTER = ((60, 0.5), (150, 0.625), (400, 0.75), (600, 0.875), (800, 1.0))
_TRADE = ("5x8", "5.25x8", "half-letter", "6x9", "a5")

PRINTERS: dict[str, Printer] = {
    "pdfx": Printer("pdfx", "a print shop (PDF/X-4)", "ISO 15930-7", PAPER_NAMES, True, 0.125 * INCH,
                    ((10_000, 0.375 * INCH),), {"white": 0.002252 * INCH, "cream": 0.0025 * INCH}, 0.0, 79,
                    0.0625 * INCH, (2 * INCH, 1.2 * INCH), 0.25 * INCH, 1),
    "kdp": Printer("kdp", "Amazon KDP", "https://kdp.amazon.com/en_US/help/topic/G201857950", _TRADE, False,
                   0.375 * INCH, tuple((most, inches * INCH) for most, inches in _KDP_GUTTER),
                   {"white": 0.002252 * INCH, "cream": 0.0025 * INCH}, 0.0, 79, 0.0625 * INCH,
                   (2 * INCH, 1.2 * INCH), 0.25 * INCH, 24),
    "lulu": Printer("lulu", "Lulu", "https://help.lulu.com/en/support/solutions/articles/64000255584",
                    ("5x8", "half-letter", "6x9", "a5"), True, 0.5 * INCH,
                    tuple((most, inches * INCH) for most, inches in _LULU_GUTTER),
                    {"white": INCH / 444, "cream": INCH / 444}, 0.06 * INCH, 80, 0.0625 * INCH,
                    (2 * INCH, 1.2 * INCH), 0.5 * INCH, 32),
    "ingramspark": Printer("ingramspark", "IngramSpark",
                           "https://www.ingramspark.com/blog/file-requirements-for-print-books", _TRADE, False,
                           0.5 * INCH, ((10_000, 0.5 * INCH),), {"white": INCH / 444, "cream": INCH / 426}, 0.0, 48,
                           0.0625 * INCH, (2 * INCH, 1.2 * INCH), 0.25 * INCH, 18),
}
PRINTER_NAMES = tuple(PRINTERS)
PAPER_STOCKS = ("white", "cream")


def printer(name: str) -> Printer:
    """The printer called `name` (a value of the `printer` setting)."""
    return PRINTERS[name]


@dataclass(frozen=True)
class CoverSheet:
    """A wraparound paperback cover laid flat (back, spine, front), in points: the trimmed sheet and its bleed."""

    trim: tuple[float, float]  # one panel: the book's trim
    spine: float
    pages: int  # the page count the spine was computed for (an odd count prints a blank last page)
    spine_text: bool
    bleed: float = BLEED  # every edge: the cover wraps round the book

    @property
    def width(self) -> float:
        """The sheet's width with its bleed: bleed + back + spine + front + bleed."""
        return 2 * self.trim[0] + self.spine + 2 * self.bleed

    @property
    def height(self) -> float:
        """The sheet's height with its bleed."""
        return self.trim[1] + 2 * self.bleed


def cover_sheet(shop: Printer, trim: tuple[float, float], pages: int, stock: str) -> CoverSheet:
    """The cover `shop` asks for a book of `pages` pages on `stock` paper, by its published formula."""
    printed = pages + pages % 2
    return CoverSheet(trim, shop.spine_width(printed, stock), printed, shop.spine_text_allowed(printed))
