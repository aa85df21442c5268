"""The paperback's wraparound cover: back, spine and front on one PDF/X-4 sheet with 0.125 in of bleed.

The sheet is sized by the printer's formula (pipeline/printers.py: KDP 0.002252 in a page on white
paper, 0.0025 on cream; Lulu (pages / 444) + 0.06 in; IngramSpark by its paper's pages per inch) from
the page count of the print edition (its companion) and the `paper_stock` setting. The front is drawn
from the ebook cover's layout (pipeline/writers/shared/cover.py: the title in balanced lines in the
upper third, a rule, the subtitle, the authors; the same face and proportions) or carries the
source's own cover image; the back carries the description, with the printer's barcode zone left
clear (bottom right, at the spine); the spine carries the title and authors only when the printer
allows text on a spine that thin. Colours follow the interior's rules: grey on the K channel, a
printer profile as output intent.
"""

from __future__ import annotations

import io
from html import escape

from pipeline.document import Document
from pipeline.errors import ChapbookError
from pipeline.files.resources import STYLES
from pipeline.paper import PAGE_FORMATS
from pipeline.printers import BLEED, CoverSheet, Printer, cover_sheet
from pipeline.writers.pdf.greyscale import greyscale_pdf
from pipeline.writers.pdf.pdfx import PROFILE_FOLDER, checked_printer, finish_print_file, print_css
from pipeline.writers.shared.cover import (
    HEIGHT,
    INK,
    PAPER,
    RULE,
    RULE_HALF_WIDTH,
    RULE_HEIGHT,
    WIDTH,
    CoverLayout,
    cover_layout,
)

BACK_PADDING = 0.5  # of an inch: the description stays this far inside the back's trim
ALL_ROUND = {"top": BLEED, "bottom": BLEED, "left": BLEED, "right": BLEED}


def _rgb(colour: tuple[int, int, int]) -> str:
    return "rgb({}, {}, {})".format(*colour)


def front_html(layout: CoverLayout, width: float, height: float) -> str:
    """The drawn cover's layout (its balanced lines, its rule) set as text on a `width` × `height` pt front.

    The ebook cover's pixels are scaled by one factor, the largest that fits the panel, and centred; each
    line is placed by its baseline: with `line-height: 1` the baseline lies (size + ascent - descent) / 2
    below the line's top, ascent and descent being the font's own (the ones Pillow drew the ebook's with).
    """
    fit = min(width / WIDTH, height / HEIGHT)
    left, top = (width - WIDTH * fit) / 2, (height - HEIGHT * fit) / 2
    parts = []
    for line in (*layout.title, *layout.subtitle, *layout.authors):
        ascent, descent = line.style.fonts()[0].getmetrics()
        size = line.style.size * fit
        above = (line.style.size + ascent - descent) / 2 * fit  # baseline below the line box's top
        italic = ' class="line italic"' if line.style.italic else ' class="line"'
        parts.append(f'<p{italic} style="top: {top + line.baseline * fit - above:.2f}pt; left: {left:.2f}pt; '
                     f'width: {WIDTH * fit:.2f}pt; font-size: {size:.2f}pt">{escape(line.text)}</p>')
    parts.append(f'<div class="rule" style="left: {width / 2 - RULE_HALF_WIDTH * fit:.2f}pt; '
                 f"top: {top + layout.rule_top * fit:.2f}pt; width: {2 * RULE_HALF_WIDTH * fit:.2f}pt; "
                 f'height: {RULE_HEIGHT * fit:.2f}pt"></div>')
    return "".join(parts)


def cover_html(document: Document, sheet: CoverSheet, shop: Printer) -> str:
    """The cover sheet as HTML: the page is the trimmed sheet, positions in points from its top left."""
    meta = document.meta
    width, height = sheet.trim
    front_left = width + sheet.spine
    if meta.cover:
        front = (f'<img class="front-image" src="{escape(meta.cover)}" alt="" style="left: {front_left}pt; '
                 f'top: {-BLEED}pt; width: {width + BLEED}pt; height: {height + 2 * BLEED}pt">')
    else:
        front = (f'<div class="front" style="left: {front_left}pt; width: {width}pt; height: {height}pt">'
                 + front_html(cover_layout(meta.title, meta.subtitle, meta.authors), width, height) + "</div>")
    barcode_width, barcode_height = shop.barcode
    back = (f'<div class="back" style="width: {width}pt; height: {height}pt; padding: {BACK_PADDING * 72}pt">'
            f'<p class="description">{escape(meta.description)}</p></div>'
            f'<div class="barcode" style="left: {width - shop.barcode_inset - barcode_width}pt; '
            f"top: {height - shop.barcode_inset - barcode_height}pt; width: {barcode_width}pt; "
            f'height: {barcode_height}pt"></div>')
    spine = ""
    if sheet.spine_text:
        band = sheet.spine - 2 * shop.spine_clearance
        names = ", ".join(author for author in meta.authors if author.strip())
        # A band as long as the book is tall, turned a quarter clockwise about its centre onto the spine:
        # it then reads top to bottom, as English-language spines do.
        spine = (f'<div class="spine" style="left: {width + sheet.spine / 2 - height / 2}pt; '
                 f"top: {height / 2 - band / 2}pt; width: {height}pt; height: {band}pt; "
                 f'line-height: {band}pt; font-size: {min(12.0, band * 0.6):.2f}pt">'
                 f"{escape(meta.title)}{'&#x2003;' + escape(names) if names else ''}</div>")
    return (f'<!DOCTYPE html><html lang="{escape(meta.lang)}"><head><meta charset="utf-8">'
            f"<title>{escape(meta.title)}</title></head><body>{back}{spine}{front}</body></html>")


def cover_css(sheet: CoverSheet) -> str:
    """The sheet's page (trimmed size; the bleed comes from print_css) and the panels' type."""
    width = 2 * sheet.trim[0] + sheet.spine
    return (f"@page {{ size: {width:.3f}pt {sheet.trim[1]:.3f}pt; margin: 0; background: {_rgb(PAPER)} }}\n"
            f'html {{ font-family: "Charis SIL", serif; color: {_rgb(INK)}; hyphens: manual }}\n'
            "body { margin: 0 }\n"
            "div, img { position: absolute; box-sizing: border-box }\n"
            ".front-image { object-fit: cover }\n"
            # The ebook cover's lines, each placed by front_html: one line each, centred, never wrapped.
            ".front p { position: absolute; margin: 0; text-align: center; line-height: 1; white-space: nowrap }\n"
            f".front .rule {{ background: {_rgb(RULE)} }}\n"
            ".front .italic { font-style: italic }\n"
            ".back { left: 0; top: 0 }\n"
            ".description { margin: 0; font-size: 10pt; line-height: 1.45; text-align: left }\n"
            ".barcode { background: white }\n"
            ".spine { text-align: center; white-space: nowrap; overflow: hidden; transform: rotate(90deg) }\n")


def render(document: Document, companions: dict) -> bytes:
    """The wraparound cover of `document`'s paperback, for the `printer` and `paper_stock` settings."""
    from pypdf import PdfReader

    from pipeline.writers.pdf.engine.weasyprint_start import import_weasyprint
    from pipeline.writers.pdf.fetcher import SandboxedFetcher

    shop = checked_printer(document)
    pages = len(PdfReader(io.BytesIO(companions["print"].data)).pages)
    if pages < shop.minimum_pages:
        raise ChapbookError(document.source, f"{shop.title} binds paperbacks of {shop.minimum_pages} pages or more; "
                            f"the print edition has {pages}", "print it as a booklet (-f booklet) or a zine (-f zine)")
    sheet = cover_sheet(shop, PAGE_FORMATS[document.settings.paper].trim, pages, document.settings.paper_stock)
    weasyprint = import_weasyprint()
    fetcher = SandboxedFetcher((document.resource_folder, STYLES, PROFILE_FOLDER), str(document.source))
    profiles: dict = {}
    css = weasyprint.CSS(string=print_css(False) + cover_css(sheet), url_fetcher=fetcher, color_profiles=profiles)
    page = weasyprint.HTML(string=cover_html(document, sheet, shop),
                           base_url=document.resource_folder.as_uri() + "/", url_fetcher=fetcher)
    drawn = page.write_pdf(stylesheets=[css], pdf_variant="pdf/x-4", full_fonts=True, color_profiles=profiles)
    return finish_print_file(greyscale_pdf(drawn), lambda number: ALL_ROUND)

