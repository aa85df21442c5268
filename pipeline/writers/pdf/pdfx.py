"""The print-shop edition: the PDF book's pages on their trim size with a bleed, as PDF/X-4.

The pages are laid out again (not copied from the screen PDF) because a print file differs in what
it carries, not in what it shows: a 3 mm bleed around each trimmed page with TrimBox and BleedBox,
an output intent whose ICC profile Debian ships (icc-profiles-free), fonts embedded whole, and no
links, annotations or bookmarks, which print-on-demand services reject. Crop marks only when asked
(`marks`): copy shops trim by them, print-on-demand services want none.
"""

from __future__ import annotations

import hashlib
import io
import re
import uuid
from pathlib import Path

from pipeline.document import Document
from pipeline.errors import ChapbookError
from pipeline.writers.pdf import book as pdf
from pipeline.writers.pdf.book import render_book
from pipeline.writers.pdf.layout import BookOptions

BLEED = 3 * 72 / 25.4  # points: 3 mm, KDP's 0.125 in rounded the metric way
# With crop marks the sheet grows by 12 mm on each side: WeasyPrint draws its marks in the outer half
# of the bleed it is given, so they run from 12 to 6 mm outside the trim, clear of the 3 mm bleed.
MARKS_MARGIN = "12mm"
# Lulu and KDP take sRGB; icc-profiles-free has no CMYK printing profile.
PROFILE_FOLDER = Path("/usr/share/color/icc")
PROFILE = PROFILE_FOLDER / "sRGB.icc"
PROFILE_PACKAGE = "icc-profiles-free"
SUBSET_TAG = re.compile(r"^/[A-Z]{6}\+")
RANDOM_DOCUMENT_ID = re.compile(rb"xmp\.did:[0-9a-f-]{36}")
FILE_ID = re.compile(rb"/ID\s*\[[^\]]*\]")


def print_css(marks: bool) -> str:
    """What the print file adds to print.css: bleed, marks, the output intent's profile, no bookmarks."""
    return (f'@color-profile --output {{ src: url("{PROFILE.as_uri()}"); components: r g b }}\n'
            f"@page {{ bleed: {MARKS_MARGIN if marks else f'{BLEED:.4f}pt'}; "
            f"marks: {'crop cross' if marks else 'none'} }}\n"
            "h1, h2, h3, h4, h5, h6, main :is(h1, h2, h3, h4, h5, h6)[data-label] { bookmark-level: none }\n"
            # With full_fonts, WeasyPrint 70 maps glyphs to text from the font's cmap alone, where a
            # ligature (ff, fi) has no entry: "Effect" would extract as "E ect" (pdftotext, preflight,
            # a search in the proof). Separate letters keep the text whole.
            "html { font-variant-ligatures: none }\n")


def precheck(document: Document) -> None:
    """Warn about characters the book's fonts lack, as the screen PDF does (the build calls it)."""
    pdf.precheck(document)


def render(document: Document, companions: dict | None = None, cores: int = 1) -> bytes:
    """The print-shop PDF of `document`: PDF/X-4 with trim, bleed, an output intent and whole fonts.

    `cores` is the build's hint for the screen PDF; the print file's front is never laid out apart.
    """
    if not PROFILE.is_file():
        raise ChapbookError(document.source, f"the print edition needs the ICC profile {PROFILE}",
                            f"install it: sudo apt-get install -y {PROFILE_PACKAGE}")
    options = BookOptions(variant="pdf/x-4", extra_css=print_css(document.settings.marks), full_fonts=True,
                          extra_folders=(PROFILE_FOLDER,))
    return finish_print_file(render_book(document, options))


def finish_print_file(pdf: bytes) -> bytes:
    """What WeasyPrint leaves for a print shop to trip on, mended with pypdf.

    - Link annotations (contents, notes, addresses) and named destinations: print files carry none.
    - The BleedBox: 3 mm around the TrimBox (with marks the MediaBox is wider); no ArtBox beside it.
    - Font names: WeasyPrint tags every font as a subset (`ABCDEF+`), even one embedded whole.
    - The XMP DocumentID, a random UUID in WeasyPrint, and the file /ID hashed over it: both derived
      from the rest of the file, so rebuilds are byte-identical.
    """
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import NameObject, RectangleObject

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    writer.pdf_header = b"%PDF-1.6"  # PDF/X-4's version, as WeasyPrint wrote it
    for page in writer.pages:
        for key in ("/Annots", "/ArtBox"):
            if key in page:
                del page[key]
        trim = page.trimbox
        page.bleedbox = RectangleObject((float(trim.left) - BLEED, float(trim.bottom) - BLEED,
                                         float(trim.right) + BLEED, float(trim.top) + BLEED))
        for font in page["/Resources"].get("/Font", {}).values():
            _untag_font(font.get_object(), NameObject)
    root = writer.root_object
    if "/Names" in root:
        del root["/Names"]
    metadata = root["/Metadata"].get_object()
    content = hashlib.sha256(FILE_ID.sub(b"", RANDOM_DOCUMENT_ID.sub(b"", pdf))).hexdigest()
    document_id = f"xmp.did:{uuid.uuid5(uuid.NAMESPACE_OID, content)}".encode()
    metadata.set_data(RANDOM_DOCUMENT_ID.sub(document_id, metadata.get_data()))
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
