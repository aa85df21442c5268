"""The wraparound cover and the store JPEG, read back: the sheet size each printer's formula gives for
several page counts and paper stocks, spine text only where allowed, the barcode zone clear, grey only."""

from __future__ import annotations

import io
import subprocess
from dataclasses import replace

import pikepdf
import pytest
from PIL import Image
from pypdf import PdfWriter

from pipeline.editions import Companion
from pipeline.writers import store_cover
from pipeline.writers.pdf import cover
from tests.conftest import ESSAY, document_from_text, run_chapbook

SOURCE = """---
title: a field guide to small presses
subtitle: notes, mostly
author: [r. q. lowe]
description: a short book about making short books, printed on demand.
---

some text.
"""


def interior(pages: int) -> Companion:
    """A print edition of `pages` blank 6 x 9 in pages: all the cover reads of it is the count."""
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(6 * 72, 9 * 72)
    output = io.BytesIO()
    writer.write(output)
    return Companion("print", "book-print.pdf", output.getvalue())


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    return document_from_text(tmp_path_factory.mktemp("cover"), SOURCE, "book.md")


def built(book, shop: str, pages: int, stock: str, tmp_path) -> tuple[pikepdf.Pdf, list[str], bytes]:
    document = replace(book, settings=replace(book.settings, printer=shop, paper="6x9", paper_stock=stock))
    data = cover.render(document, {"print": interior(pages)})
    path = tmp_path / f"{shop}-{pages}-{stock}.pdf"
    path.write_bytes(data)
    return pikepdf.open(path), spine_words(path, pages, shop, stock), data


# Expected widths in inches, computed here from each printer's published figures: 2 x 6 in of panels, the
# spine, and 0.125 in of bleed each side; the height is 9 + 0.25 in.
CASES = [
    ("kdp", 100, "white", 12.25 + 100 * 0.002252),
    ("kdp", 300, "cream", 12.25 + 300 * 0.0025),
    ("kdp", 24, "white", 12.25 + 24 * 0.002252),
    ("lulu", 120, "white", 12.25 + 120 / 444 + 0.06),
    ("ingramspark", 200, "cream", 12.25 + 200 / 426),
    ("kdp", 81, "white", 12.25 + 82 * 0.002252),  # an odd count prints a blank last page
]


def spine_words(path, pages: int, shop: str, stock: str) -> list[str]:
    """The words pdftotext finds between the two folds of the spine."""
    width = dict(((s, p, k), w) for s, p, k, w in CASES)[(shop, pages, stock)] * 72
    spine = width - 12.25 * 72
    left = 9 + 6 * 72
    html = subprocess.run(["pdftotext", "-bbox", str(path), "-"], capture_output=True, text=True, check=True).stdout
    words = []
    for line in html.splitlines():
        if "<word " in line:
            attributes = dict(part.split("=") for part in line.split("<word ")[1].split(">")[0].split())
            x_min, x_max = (float(attributes[key].strip('"')) for key in ("xMin", "xMax"))
            if left - 0.5 <= x_min and x_max <= left + spine + 0.5:
                words.append(line.split(">")[1].split("<")[0])
    return words


@pytest.mark.parametrize(("shop", "pages", "stock", "width"), CASES)
def test_the_sheet_is_the_printers_formula_for_pages_and_stock(book, tmp_path, shop, pages, stock, width):
    pdf, words, _ = built(book, shop, pages, stock, tmp_path)
    (page,) = pdf.pages
    media = [float(value) for value in page.MediaBox]
    trim = [float(value) for value in page.TrimBox]
    assert (media[2] - media[0]) / 72 == pytest.approx(width, abs=0.0005)
    assert (media[3] - media[1]) / 72 == pytest.approx(9.25, abs=0.0005)
    assert [round(t - m, 3) for t, m in zip(trim, media, strict=True)] == [9, 9, -9, -9]  # 0.125 in all round
    allowed = {"kdp": 79, "lulu": 80, "ingramspark": 48}[shop]
    assert bool(words) == (pages + pages % 2 >= allowed), words


def test_the_cover_is_grey_pdfx4_with_the_front_and_back_text_and_a_clear_barcode_zone(book, tmp_path):
    pdf, _, data = built(book, "kdp", 100, "white", tmp_path)
    operators = {str(operator) for _, operator in pikepdf.parse_content_stream(pdf.pages[0])}
    assert not operators & {"rg", "RG", "sc", "scn", "SC", "SCN"}
    assert pdf.Root.OutputIntents[0].DestOutputProfile.read_bytes()[12:20] == b"prtrCMYK"
    path = tmp_path / "cover.pdf"
    path.write_bytes(data)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout
    for words in ("a field guide to small presses", "notes, mostly", "r. q. lowe", "printed on demand."):
        assert all(word in text for word in words.split()), words
    # The barcode zone, 2 x 1.2 in at 0.25 in from the back's bottom and from the spine: nothing in it.
    right, bottom = (9 + 6 * 72 - 18) * 150 / 72, (9 + 9 * 72 - 18) * 150 / 72
    png = subprocess.run(["pdftoppm", "-png", "-r", "150", "-gray", str(path)], capture_output=True,
                         check=True).stdout
    zone = Image.open(io.BytesIO(png)).convert("L").crop((round(right - 2 * 150) + 2, round(bottom - 1.2 * 150) + 2,
                                                          round(right) - 2, round(bottom) - 2))
    assert zone.getextrema() == (255, 255)  # white: not the cover's tint, and no ink


def test_a_book_too_short_for_the_printer_is_refused_in_one_line(tmp_path):
    result = run_chapbook("build", "-f", "cover", "--printer", "kdp", "-o", str(tmp_path),
                          str(ESSAY.parent.parent / "tests" / "fixtures" / "sections.md"))
    # the print edition it needs warns that the book is short; the cover refuses, in one line
    refusal = result.stderr.strip().splitlines()[-1]
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "Amazon KDP binds paperbacks of 24 pages or more; the print edition has" in refusal
    assert refusal.startswith(str(ESSAY.parent.parent / "tests" / "fixtures" / "sections.md"))


def test_the_store_cover_is_a_1600_by_2560_jpeg(book):
    picture = Image.open(io.BytesIO(store_cover.render(book)))
    assert (picture.format, picture.mode, picture.size) == ("JPEG", "RGB", (1600, 2560))
    assert store_cover.render(book) == store_cover.render(book)


def test_the_front_sets_the_ebook_covers_balanced_lines_where_the_ebook_cover_has_them(book, tmp_path):
    from pipeline.writers.shared import cover as drawn
    from tests.pagelines import read_pages
    from tests.writers.test_cover import ink_bands

    titled = replace(book, meta=replace(book.meta, title="my thoughts on generated images"))
    _, _, data = built(titled, "kdp", 100, "white", tmp_path)
    path = tmp_path / "cover.pdf"
    path.write_bytes(data)
    front_left = 9 + 6 * 72 + 100 * 0.002252 * 72  # bleed, back panel, spine
    (page,) = read_pages(path)
    front = [line.text for line in page.lines if line.x0 > front_left]
    layout = drawn.cover_layout(titled.meta.title, titled.meta.subtitle, titled.meta.authors)
    assert front == [line.text for line in (*layout.title, *layout.subtitle, *layout.authors)]
    assert front[:2] == ["my thoughts on", "generated images"]
    # The ink of the front, from the printed sheet, where the ebook cover has it (one scale, from the top).
    dpi = 100
    png = subprocess.run(["pdftoppm", "-png", "-r", str(dpi), "-gray", str(path)], capture_output=True,
                         check=True).stdout
    sheet = Image.open(io.BytesIO(png)).convert("RGB")
    panel = sheet.crop((round(front_left * dpi / 72), round(9 * dpi / 72), sheet.width - round(9 * dpi / 72),
                        sheet.height - round(9 * dpi / 72)))
    printed = ink_bands(panel, panel.getpixel((5, 5)))
    ebook = ink_bands(Image.open(io.BytesIO(drawn.draw_cover(titled.meta.title, titled.meta.subtitle,
                                                             list(titled.meta.authors)))).convert("RGB"),
                      drawn.PAPER)
    fit = min(6 * 72 / drawn.WIDTH, 9 * 72 / drawn.HEIGHT) * dpi / 72
    offset = (panel.height - drawn.HEIGHT * fit) / 2
    assert len(printed) == len(ebook) >= 5, (printed, ebook)  # two title lines, the rule, subtitle, authors
    for (top, bottom, _l, _r), (ebook_top, ebook_bottom, _el, _er) in zip(printed, ebook, strict=True):
        assert abs(top - (offset + ebook_top * fit)) <= 3 and abs(bottom - (offset + ebook_bottom * fit)) <= 3
