"""Saddle-stitch imposition: a book's pages two-up on sheets twice their size, in folding order.

Printed double-sided (flip on the short edge), each signature's stack of sheets folded in half
gives its pages in order. Pages keep their size (no scaling): a page of the booklet measures
exactly a page of the book. Each book page becomes a form XObject drawn at its place on the sheet
with a pypdf `Transformation`, so content streams are copied, never parsed or rewritten (merging
pages with `merge_transformed_page` took 24 s and 9 MB for 450 pages; this takes half a second).
Adding the forms reaches below pypdf's public API (pipeline/writers/pdf/engine/pypdf_forms.py);
when that reach is unusable, pages are merged with `merge_transformed_page`: the same sheets, slower.
The tagged structure, links and bookmarks of the screen PDF are left behind: this is a print file.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

Slot = int | None  # a 0-based page of the book, or None for a blank page


@dataclass(frozen=True)
class Side:
    """One side of a sheet: the page left of the fold and the page right of it."""

    left: Slot
    right: Slot


@dataclass(frozen=True)
class Sheet:
    """One sheet of paper: its front and back, and how many sheets of its signature wrap around it."""

    front: Side
    back: Side
    depth: int


def padded_pages(page_count: int, back_pages: int = 0) -> list[Slot]:
    """The book's pages padded with blanks to a multiple of four.

    The blanks come after the text and before the last `back_pages` pages (a back cover), where
    a printer puts them; never between two pages of text.
    """
    if page_count < 1:
        raise ValueError("a book to impose needs at least one page")
    kept = min(max(back_pages, 0), page_count)
    blanks = -page_count % 4
    body = list(range(page_count - kept))
    return [*body, *[None] * blanks, *range(page_count - kept, page_count)]


def signature_sizes(padded_count: int, signature: int | None = None) -> list[int]:
    """How many pages each signature holds: one for the whole book, or gatherings of at most `signature`
    pages, as many as that needs, balanced: their sheets differ by one at most, the larger ones first.

    28 pages in signatures of 12 are gathered 12 + 8 + 8, not 12 + 12 + 4 (a last gathering of one
    sheet, three of its four pages blank, that will not hold its fold).
    """
    if not signature:
        return [padded_count]
    if signature < 4 or signature % 4:
        raise ValueError(f"a signature holds a multiple of 4 pages, not {signature}")
    sheets, most = padded_count // 4, signature // 4
    gatherings = -(-sheets // most)
    fewer, larger = divmod(sheets, gatherings)
    return [4 * (fewer + 1)] * larger + [4 * fewer] * (gatherings - larger)


def deepest_sheet(page_count: int, signature: int | None = None) -> int:
    """How many sheets wrap around the innermost sheet of the thickest gathering (what creep multiplies)."""
    return max(signature_sizes(len(padded_pages(page_count)), signature)) // 4 - 1


def plan_sheets(page_count: int, signature: int | None = None, back_pages: int = 0) -> list[Sheet]:
    """Every sheet of the booklet in printing order, signature after signature."""
    slots = padded_pages(page_count, back_pages)
    sheets, start = [], 0
    for size in signature_sizes(len(slots), signature):
        pages = slots[start:start + size]
        for depth in range(size // 4):
            # The outermost sheet carries the signature's first two and last two pages.
            sheets.append(Sheet(front=Side(pages[size - 1 - 2 * depth], pages[2 * depth]),
                                back=Side(pages[2 * depth + 1], pages[size - 2 - 2 * depth]),
                                depth=depth))
        start += size
    return sheets


def impose(pdf: bytes, signature: int | None = None, creep: float = 0.0, back_pages: int = 0,
           sheet: tuple[float, float] | None = None) -> bytes:
    """The booklet of `pdf`: two pages per sheet side, in saddle-stitch order, at their own size.

    `signature` splits the book into gatherings of that many pages (a multiple of 4), each folded
    on its own; `creep` (in points) moves the pages of each sheet towards the fold by that much for
    every sheet wrapped around it, so the inner sheets, which a fold pushes outwards, line up with
    the outer ones; `back_pages` final pages stay last, after the padding. `sheet` is the paper
    (width, height) in points, landscape; by default exactly two pages wide. The pages meet at its
    centre line, the fold (A5 pages are 296 mm wide together, A4 paper 297 mm).
    """
    from pypdf import PdfReader, PdfWriter

    reader = PdfReader(io.BytesIO(pdf))
    pages = reader.pages
    left, bottom, width, height = _trim(pages[0])
    for number, page in enumerate(pages, start=1):
        if _trim(page)[2:] != (width, height):
            raise ValueError(f"page {number} differs in size from page 1; a booklet needs pages of one size")
    sheet_width, sheet_height = sheet or (2 * width, height)
    if sheet_width < 2 * width - 0.01 or sheet_height < height - 0.01:
        raise ValueError(f"a {sheet_width:.0f} x {sheet_height:.0f} pt sheet cannot hold two "
                         f"{width:.0f} x {height:.0f} pt pages side by side")
    from pipeline.writers.pdf.engine.pypdf_forms import usable

    fold, foot = sheet_width / 2, (sheet_height - height) / 2
    writer = PdfWriter()
    forms: dict[int, object] = {}
    as_forms = usable()
    for paper in plan_sheets(len(pages), signature, back_pages):
        shift = creep * paper.depth
        for side in (paper.front, paper.back):
            page = writer.add_blank_page(sheet_width, sheet_height)
            drawn = []
            for slot, x in ((side.left, fold - width + shift), (side.right, fold - shift)):
                if slot is None:
                    continue
                if not as_forms:
                    _merge_page(page, pages[slot], _placed(x - left, foot - bottom))
                    continue
                if slot not in forms:
                    forms[slot] = _page_form(writer, pages[slot])
                drawn.append((forms[slot], _placed(x - left, foot - bottom)))
            if as_forms:
                _draw_forms(writer, page, drawn)
    return _written(writer, reader)


def _written(writer, reader) -> bytes:
    """The imposed sheets as bytes, titled as the book they come from."""
    if reader.metadata and reader.metadata.title:
        writer.add_metadata({"/Title": reader.metadata.title, "/Producer": "chapbook (pypdf)"})
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue()


def _placed(x: float, y: float, upside_down: bool = False, width: float = 0.0, height: float = 0.0):
    """The pypdf Transformation drawing a page's form moved by (x, y), or turned 180° about its origin and
    moved by (x + width, y + height): a box from the origin then lands on the same place, upside down."""
    from pypdf import Transformation

    if upside_down:  # turned about its origin, then moved back over its own box
        return Transformation().rotate(180).translate(x + width, y + height)
    return Transformation().translate(x, y)


# The classic one-sheet mini-zine: eight panels, four across and two down, on a landscape sheet; the top
# row upside down, so that folded in half along the long middle, cut along the middle of that fold and
# pushed together, the sheet becomes an 8-page booklet (the page order pdfimpose's `onepagezine`
# documents: top 5 4 3 2, bottom 6 7 8 1 with the front cover at the bottom right).
ZINE_ROWS = ((4, 3, 2, 1), (5, 6, 7, 0))  # 0-based pages, top row then bottom row, left to right
ZINE_PAGES = 8


def impose_zine(pdf: bytes, sheet: tuple[float, float]) -> bytes:
    """The eight pages (or fewer: the rest blank) of `pdf` on one side of a landscape `sheet`, in the zine's
    order, each on an eighth of the sheet, unscaled (the pages must be that size)."""
    from pypdf import PdfReader, PdfWriter

    reader = PdfReader(io.BytesIO(pdf))
    pages = reader.pages
    if len(pages) > ZINE_PAGES:
        raise ValueError(f"a zine holds {ZINE_PAGES} pages, not {len(pages)}")
    left, bottom, width, height = _trim(pages[0])
    panel = (sheet[0] / 4, sheet[1] / 2)
    if abs(width - panel[0]) > 0.5 or abs(height - panel[1]) > 0.5:
        raise ValueError(f"a zine's pages are an eighth of its sheet, {panel[0]:.1f} x {panel[1]:.1f} pt")
    from pipeline.writers.pdf.engine.pypdf_forms import usable

    writer = PdfWriter()
    page = writer.add_blank_page(*sheet)
    drawn = []
    for row, slots in enumerate(ZINE_ROWS):
        for column, slot in enumerate(slots):
            if slot < len(pages):
                x, y = column * panel[0], (1 - row) * panel[1]
                placed = _placed(x - left, y - bottom) if row else \
                    _placed(x + left, y + bottom, upside_down=True, width=width, height=height)
                if usable():
                    drawn.append((_page_form(writer, pages[slot]), placed))
                else:
                    _merge_page(page, pages[slot], placed)
    if drawn:
        _draw_forms(writer, page, drawn)
    return _written(writer, reader)


def _trim(page) -> tuple[float, float, float, float]:
    """The finished page's box (TrimBox, which pypdf defaults to the CropBox and MediaBox)."""
    box = page.trimbox
    return float(box.left), float(box.bottom), float(box.width), float(box.height)


def _page_form(writer, page):
    """The page as a form XObject in `writer`, clipped to its trim box; fonts and images shared."""
    from pypdf.generic import ArrayObject, FloatObject, NameObject, StreamObject

    from pipeline.writers.pdf.engine.pypdf_forms import add_object

    contents = page.get_contents()
    form = StreamObject()
    form.set_data(contents.get_data() if contents is not None else b"")
    form = form.flate_encode()
    form[NameObject("/Type")] = NameObject("/XObject")
    form[NameObject("/Subtype")] = NameObject("/Form")
    form[NameObject("/BBox")] = ArrayObject(FloatObject(value) for value in _box_corners(page))
    if "/Resources" in page:
        form[NameObject("/Resources")] = page["/Resources"].clone(writer)
    if "/Group" in page:
        form[NameObject("/Group")] = page["/Group"].clone(writer)
    return add_object(writer, form)


def _box_corners(page) -> tuple[float, float, float, float]:
    left, bottom, width, height = _trim(page)
    return left, bottom, left + width, bottom + height


def _draw_forms(writer, page, drawn) -> None:
    """Draw each (form, transformation) on `page`: a pypdf Transformation that moves or turns it, never scales."""
    from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

    from pipeline.writers.pdf.engine.pypdf_forms import add_object

    names, operations = DictionaryObject(), []
    for number, (form, transformation) in enumerate(drawn):
        name = f"/Page{number}"
        names[NameObject(name)] = form
        matrix = " ".join(f"{value:.4f}" for value in transformation.ctm)
        operations.append(f"q {matrix} cm {name} Do Q")
    page[NameObject("/Resources")] = DictionaryObject({NameObject("/XObject"): names})
    contents = DecodedStreamObject()
    contents.set_data("\n".join(operations).encode("ascii"))
    page[NameObject("/Contents")] = add_object(writer, contents)


def _merge_page(sheet, page, transformation) -> None:
    """Draw book `page` on `sheet` placed by a pypdf Transformation, with pypdf's public merge (its content
    parsed and rewritten, clipped to its CropBox, which is its trim box in the PDF edition a booklet is made from)."""
    sheet.merge_transformed_page(page, transformation, over=True, expand=False)
