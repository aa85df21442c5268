"""The paperback interior: the PDF book's pages on a printer's trim with its bleed, as PDF/X-4.

The pages are laid out again (not copied from the screen PDF) because a print file differs in what
it carries: the bleed each printer asks for (0.125 in on every side, or none at the spine for KDP
and IngramSpark, so right- and left-hand pages differ), margins and running heads inside the
printer's safe zone (pipeline/printers.py cites each printer's specification), every colour grey on
the K channel (pipeline/writers/pdf/greyscale.py), an output intent with a printer (`prtr`) CMYK profile,
fonts embedded whole, and no links, annotations or bookmarks, which print-on-demand services reject.
Crop marks only when asked (`marks`, for a print shop): KDP, Lulu and IngramSpark want none.
"""

from __future__ import annotations

import hashlib
import io
import logging
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pipeline.document import Document
from pipeline.errors import ChapbookError
from pipeline.paper import PAGE_FORMATS, length_in_points
from pipeline.printers import BLEED, Printer, printer
from pipeline.writers.pdf import book as pdf
from pipeline.writers.pdf.book import render_book
from pipeline.writers.pdf.greyscale import GREY_PROFILE, greyscale_pdf
from pipeline.writers.pdf.layout import BookOptions

log = logging.getLogger("chapbook")
# With crop marks the sheet grows by 12 mm on each side: WeasyPrint draws its marks in the outer half
# of the bleed it is given, so they run from 12 to 6 mm outside the trim, clear of the 0.125 in bleed.
MARKS_MARGIN = "12mm"
# The output intent: Ghostscript's "Artifex CMYK SWOP Profile" (Debian libgs-common, AGPL-3+), an
# output-class (prtr) CMYK profile; the grey pages print on its K channel. icc-profiles-free has no
# printer profile (its Gray.icc and sRGB.icc are display profiles, class mntr).
PROFILE_FOLDER = Path("/usr/share/color/icc/ghostscript")
PROFILE = PROFILE_FOLDER / "default_cmyk.icc"
PROFILE_PACKAGE = "libgs-common"
# A running head or folio (8 pt at line-height 1.42), the gap between it and the text block, and the
# 1.5 pt its glyphs' ascent reaches past the line box (measured with pdftotext -bbox).
HEAD_GAP = 2
HEAD_BAND = 8 * 1.42 + HEAD_GAP + 1.5
SUBSET_TAG = re.compile(r"^/[A-Z]{6}\+")
RANDOM_DOCUMENT_ID = re.compile(rb"xmp\.did:[0-9a-f-]{36}")
FILE_ID = re.compile(rb"/ID\s*\[[^\]]*\]")
MOST_LAYOUTS = 3  # the gutter grows with the page count, which the gutter can change: settle it


@dataclass(frozen=True)
class Margins:
    """A print page's margins in points (inner: the binding side), and whether its text block is the screen PDF's."""

    inner: float
    outer: float
    top: float
    bottom: float
    same_block: bool


def print_margins(paper: str, shop: Printer, pages: int) -> Margins:
    """The paper's margins, widened to `shop`'s minimum for a book of `pages` pages.

    The text block keeps its width where it can: a gutter that must grow takes the room from the
    outside margin while that stays above the printer's minimum (and the other way round). The top
    and bottom margins hold the running heads and folios at the printer's distance from the trim.
    """
    page = PAGE_FORMATS[paper]
    inner, outer = length_in_points(page.inner), length_in_points(page.outer)
    top, bottom = length_in_points(page.top), length_in_points(page.bottom)
    least_inner, least_outer = shop.gutter_for(pages), shop.outside
    new_inner, new_outer = max(inner, least_inner), max(outer, least_outer)
    if new_inner > inner:  # the side that must grow takes from the other, down to its own minimum
        new_outer = max(least_outer, inner + outer - new_inner)
    elif new_outer > outer:
        new_inner = max(least_inner, inner + outer - new_outer)
    furniture = shop.outside + HEAD_BAND if shop.name != "pdfx" else 0.0
    new_top, new_bottom = max(top, furniture), max(bottom, furniture)
    same = (round(new_inner + new_outer, 3) == round(inner + outer, 3)
            and (new_top, new_bottom) == (top, bottom))
    return Margins(new_inner, new_outer, new_top, new_bottom, same)


def print_css(marks: bool, margins: Margins | None = None, heads_near_text: bool = False) -> str:
    """What the print file adds to print.css: bleed, marks, margins, the output intent, grey links, no bookmarks."""
    # `components` is a comma-separated list (WeasyPrint writes its length as the profile's /N).
    css = (f'@color-profile device-cmyk {{ src: url("{PROFILE.as_uri()}"); components: c, m, y, k }}\n'
           f"@page {{ bleed: {MARKS_MARGIN if marks else f'{BLEED}pt'}; "
           f"marks: {'crop cross' if marks else 'none'} }}\n"
           "h1, h2, h3, h4, h5, h6, main :is(h1, h2, h3, h4, h5, h6)[data-label] { bookmark-level: none }\n"
           # Paper cannot follow a link: links print in the text's colour, not as blue (then grey) words.
           "a, a.asterisk-ref, span.uri-rest { color: inherit }\n"
           # With full_fonts, WeasyPrint 70 maps glyphs to text from the font's cmap alone, where a
           # ligature (ff, fi) has no entry: "Effect" would extract as "E ect" (pdftotext, preflight,
           # a search in the proof). Separate letters keep the text whole.
           "html { font-variant-ligatures: none }\n")
    if margins is not None:
        css += (f"@page {{ margin-top: {margins.top:.3f}pt; margin-bottom: {margins.bottom:.3f}pt }}\n"
                f"@page :right {{ margin-left: {margins.inner:.3f}pt; margin-right: {margins.outer:.3f}pt }}\n"
                f"@page :left {{ margin-left: {margins.outer:.3f}pt; margin-right: {margins.inner:.3f}pt }}\n")
    if heads_near_text:
        # Running heads and folios beside the text block, so the whole band stays inside the safe zone.
        css += "@page { " + " ".join(
            f"@{edge}-{side} {{ vertical-align: {'bottom' if edge == 'top' else 'top'}; "
            f"padding-{'bottom' if edge == 'top' else 'top'}: {HEAD_GAP}pt }}"
            for edge in ("top", "bottom") for side in ("left", "right")) + " }\n"
    return css


def precheck(document: Document) -> None:
    """Warn about characters the book's fonts lack, as the screen PDF does (the build calls it)."""
    pdf.precheck(document)


def checked_printer(document: Document) -> Printer:
    """The `printer` setting's printer, once it is known to print the `paper` trim and to take the marks asked for."""
    settings = document.settings
    shop = printer(settings.printer)
    if settings.paper not in shop.trims:
        raise ChapbookError(document.source, f"{shop.title} does not print the {settings.paper} trim",
                            f"use --paper with one of: {', '.join(shop.trims)}")
    if settings.marks and shop.name != "pdfx":
        raise ChapbookError(document.source, f"{shop.title} takes no crop marks",
                            "leave out --marks, or use --printer pdfx for a print shop")
    for needed, package in ((PROFILE, PROFILE_PACKAGE), (GREY_PROFILE, "icc-profiles-free")):
        if not needed.is_file():
            raise ChapbookError(document.source, f"the print edition needs the ICC profile {needed}",
                                f"install it: sudo apt-get install -y {package}")
    return shop


def render(document: Document, companions: dict | None = None, cores: int = 1) -> bytes:
    """The paperback interior of `document`: PDF/X-4 on the printer's trim with its bleed and margins.

    The gutter grows with the page count, so the book is laid out again while a layout's page count
    asks for a wider gutter than it was laid out with. `cores` is the build's hint for the screen
    PDF; the print file's front is never laid out apart.
    """
    from pypdf import PdfReader

    shop = checked_printer(document)
    pages, laid_out, margins = 0, b"", None
    for _ in range(MOST_LAYOUTS):
        wanted = print_margins(document.settings.paper, shop, pages)
        if wanted == margins:
            break
        margins = wanted
        options = BookOptions(variant="pdf/x-4", full_fonts=True, extra_folders=(PROFILE_FOLDER,),
                              extra_css=print_css(document.settings.marks, margins, shop.name != "pdfx"))
        laid_out = render_book(document, options)
        pages = len(PdfReader(io.BytesIO(laid_out)).pages)
    if pages < shop.minimum_pages:
        log.warning("%s: %s binds paperbacks of %d pages or more; the print edition has %d", document.source,
                    shop.title, shop.minimum_pages, pages)
    if not margins.same_block:
        log.warning("%s: %s's margins for %d pages set the print edition's text block at %.1f x %.1f mm, "
                    "not the screen PDF's: its lines and pages break differently", document.source, shop.title,
                    pages, *_block_mm(document.settings.paper, margins))
    return finish_print_file(greyscale_pdf(laid_out), lambda number: shop.bleeds(recto=number % 2 == 0),
                             document.settings.marks)


def _block_mm(paper: str, margins: Margins) -> tuple[float, float]:
    width, height = PAGE_FORMATS[paper].trim
    return ((width - margins.inner - margins.outer) * 25.4 / 72, (height - margins.top - margins.bottom) * 25.4 / 72)


def finish_print_file(pdf: bytes, bleeds: Callable[[int], dict[str, float]], marks: bool = False) -> bytes:
    """What WeasyPrint leaves for a print shop to trip on, mended with pypdf.

    - Link annotations (contents, notes, addresses) and named destinations: print files carry none.
    - The BleedBox: `bleeds(page index)` around the TrimBox, edge by edge; the MediaBox the same (so
      with KDP a right-hand page has no bleed at its left, the spine, and a left-hand page none at
      its right), or wider with marks; no ArtBox beside it.
    - Font names: WeasyPrint tags every font as a subset (`ABCDEF+`), even one embedded whole.
    - The XMP DocumentID, a random UUID in WeasyPrint, and the file /ID hashed over it: both derived
      from the rest of the file, so rebuilds are byte-identical.
    - Identical objects (copies of the ICC profile) stored once.
    """
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import NameObject, RectangleObject

    # Cloning makes indirect the direct objects WeasyPrint writes in each drawn group's resources (the
    # contents' leader images), and pypdf then warns that the objects outnumber the trailer's /Size,
    # which it renumbers anyway: a warning about nothing the print shop sees.
    cloning_log = logging.getLogger("pypdf")  # its writer's logger follows this public parent's level
    level = cloning_log.level
    cloning_log.setLevel(logging.ERROR)
    try:
        writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    finally:
        cloning_log.setLevel(level)
    writer.pdf_header = b"%PDF-1.6"  # PDF/X-4's version, as WeasyPrint wrote it
    for number, page in enumerate(writer.pages):
        for key in ("/Annots", "/ArtBox"):
            if key in page:
                del page[key]
        trim, bleed = page.trimbox, bleeds(number)
        page.bleedbox = RectangleObject((float(trim.left) - bleed["left"], float(trim.bottom) - bleed["bottom"],
                                         float(trim.right) + bleed["right"], float(trim.top) + bleed["top"]))
        if not marks:
            page.mediabox = page.bleedbox
        for font in page["/Resources"].get("/Font", {}).values():
            _untag_font(font.get_object(), NameObject)
    root = writer.root_object
    if "/Names" in root:
        del root["/Names"]
    metadata = root["/Metadata"].get_object()
    content = hashlib.sha256(FILE_ID.sub(b"", RANDOM_DOCUMENT_ID.sub(b"", pdf))).hexdigest()
    document_id = f"xmp.did:{uuid.uuid5(uuid.NAMESPACE_OID, content)}".encode()
    metadata.set_data(RANDOM_DOCUMENT_ID.sub(document_id, metadata.get_data()))
    # WeasyPrint gives each group it draws (the contents' leader images) a copy of the output intent's
    # ICC profile in its resources: 38 copies of 139 kB in the essay's print file (6.8 MB instead of 1.5).
    writer.compress_identical_objects(remove_duplicates=True, remove_unreferenced=False)
    output = io.BytesIO()
    writer.write(output)
    return with_file_id(output.getvalue(), content[:32])


def with_file_id(pdf: bytes, identifier: str) -> bytes:
    """`pdf` with its trailer's /ID (WeasyPrint's, hashed over its random DocumentID) made `identifier` twice.

    pypdf keeps the file identifier in a private attribute, so the written trailer is mended
    instead: the trailer follows the cross-reference table, so no offset moves (ISO 32000-1, 7.5.5
    and 14.4). A file whose trailer holds no /ID is returned as it is.
    """
    head, marker, trailer = pdf.rpartition(b"trailer")
    if not marker:
        return pdf
    value = f"/ID [ <{identifier}> <{identifier}> ]".encode("ascii")
    return head + marker + FILE_ID.sub(lambda _: value, trailer, count=1)


def _untag_font(font, name_object) -> None:
    """Drop the subset tag from a whole font's names (its dictionary, descendants and descriptor)."""
    for holder in (font, *(descendant.get_object() for descendant in font.get("/DescendantFonts", []))):
        holder[name_object("/BaseFont")] = name_object(SUBSET_TAG.sub("/", holder["/BaseFont"]))
        if "/FontDescriptor" in holder:
            descriptor = holder["/FontDescriptor"].get_object()
            descriptor[name_object("/FontName")] = name_object(SUBSET_TAG.sub("/", descriptor["/FontName"]))
