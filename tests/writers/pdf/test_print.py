"""The booklet and the print-shop PDF, built by the real command line and read back with poppler and pypdf."""

from __future__ import annotations

import io
import logging
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader, PdfWriter

from pipeline.check.printing import check_booklet, check_print, font_programs
from pipeline.editions import Companion
from tests.conftest import ESSAY, FIXTURES, read_fixture, run_chapbook
from tests.writers.pdf.test_impose import book, fold, half_sheets, labels

MM = 72 / 25.4
A5 = (148 * MM, 210 * MM)
A4_LANDSCAPE = (297 * MM, 210 * MM)
BLEED = 0.125 * 72  # the pdfx printer: 0.125 in (3.175 mm) on every edge
EPOCH = "1722384000"
SOURCES = (ESSAY, FIXTURES / "kitchen-sink.md", FIXTURES / "footnotes.md")


@pytest.fixture(scope="session")
def printed(tmp_path_factory):
    """The essay's and two fixtures' booklets and print PDFs (and the PDFs the booklets impose), built once."""
    outdir = tmp_path_factory.mktemp("print-editions")
    result = run_chapbook("build", "-f", "booklet", "-f", "print", "-o", str(outdir), *map(str, SOURCES),
                          env={"SOURCE_DATE_EPOCH": EPOCH})
    assert result.returncode == 0, result.stderr
    return outdir


def words(path: Path) -> list[str]:
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout
    return text.split()


def box(page, name: str) -> tuple[float, float, float, float]:
    rectangle = getattr(page, name)
    return tuple(float(value) for value in (rectangle.left, rectangle.bottom, rectangle.right, rectangle.top))


# The print-shop PDF ---------------------------------------------------------------------------------

def test_every_page_has_the_trim_size_and_an_eighth_inch_bleed(printed):
    for source in SOURCES:
        for page in PdfReader(printed / f"{source.stem}-print.pdf").pages:
            left, bottom, right, top = box(page, "trimbox")
            assert (right - left, top - bottom) == pytest.approx(A5, abs=0.1)
            assert box(page, "bleedbox") == pytest.approx((left - BLEED, bottom - BLEED, right + BLEED, top + BLEED),
                                                          abs=0.1)
            assert box(page, "mediabox") == pytest.approx(box(page, "bleedbox"), abs=0.1)


def test_it_is_pdf_x4_with_a_cmyk_printer_profile_as_output_intent(printed):
    reader = PdfReader(printed / "essay-print.pdf")
    root = reader.trailer["/Root"]
    (intent,) = root["/OutputIntents"]
    intent = intent.get_object()
    assert intent["/S"] == "/GTS_PDFX"
    profile = intent["/DestOutputProfile"].get_object().get_data()
    # an ICC profile of a printer (class prtr), CMYK, whose channels the stream's /N declares
    assert profile[36:40] == b"acsp" and profile[12:16] == b"prtr" and profile[16:20] == b"CMYK"
    assert intent["/DestOutputProfile"].get_object()["/N"] == 4
    assert b"<pdfxid:GTS_PDFXVersion>PDF/X-4</pdfxid:GTS_PDFXVersion>" in root["/Metadata"].get_object().get_data()
    assert reader.pdf_header == "%PDF-1.6"


def test_every_font_is_embedded_whole(printed):
    path = printed / "essay-print.pdf"
    rows = [line.split() for line in subprocess.run(["pdffonts", str(path)], capture_output=True, text=True,
                                                     check=True).stdout.splitlines()[2:]]
    assert rows and all(row[-5] == "yes" and row[-4] == "no" for row in rows), rows  # emb yes, sub no
    for name, (glyphs, drawn) in font_programs(path).items():
        assert drawn > 0.9 * glyphs, name  # a subset draws a few dozen of them
    # The screen PDF, for comparison, embeds subsets.
    assert all(drawn < 0.2 * glyphs for glyphs, drawn in font_programs(printed / "essay.pdf").values())


def test_no_links_annotations_or_bookmarks(printed):
    for source in SOURCES:
        reader = PdfReader(printed / f"{source.stem}-print.pdf")
        assert not any(page.get("/Annots") for page in reader.pages)
        assert "/Outlines" not in reader.trailer["/Root"] and "/Names" not in reader.trailer["/Root"]
    assert any(page.get("/Annots") for page in PdfReader(printed / "kitchen-sink.pdf").pages)  # the screen PDF's


def test_the_text_is_the_screen_pdfs(printed):
    for source in SOURCES:
        assert words(printed / f"{source.stem}-print.pdf") == words(printed / f"{source.stem}.pdf"), source.name


def test_crop_marks_only_when_asked_outside_the_bleed(tmp_path):
    result = run_chapbook("build", "-f", "print", "--marks", "-o", str(tmp_path), str(FIXTURES / "sections.md"))
    assert result.returncode == 0, result.stderr
    page = PdfReader(tmp_path / "sections-print.pdf").pages[0]
    left, bottom, right, top = box(page, "trimbox")
    assert box(page, "bleedbox") == pytest.approx((left - BLEED, bottom - BLEED, right + BLEED, top + BLEED), abs=0.1)
    assert box(page, "mediabox") == pytest.approx((left - 12 * MM, bottom - 12 * MM, right + 12 * MM, top + 12 * MM),
                                                  abs=0.1)
    # The crop mark on the left trim line, drawn in the top 6 mm of the sheet: outside the 0.125 in bleed.
    png = subprocess.run(["pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "1", "-gray",
                          str(tmp_path / "sections-print.pdf")], capture_output=True, check=True).stdout
    from PIL import Image

    pixels = 50 / 72  # per point
    image = Image.open(io.BytesIO(png)).convert("L")
    strip = image.crop((round(10 * MM * pixels), 0, round(14 * MM * pixels), round(6 * MM * pixels)))
    assert strip.getextrema()[0] < 128
    clear = image.crop((round(20 * MM * pixels), 0, round(60 * MM * pixels), round(6 * MM * pixels)))
    assert clear.getextrema()[0] > 200  # and nothing beside it


def test_print_rebuild_is_byte_identical(monkeypatch):
    # WeasyPrint writes a random XMP DocumentID into PDF/X-4 (and a file /ID hashed over it).
    from pipeline.writers.pdf import pdfx as print_pdf

    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    document = read_fixture("sections.md")
    assert print_pdf.render(document, {}) == print_pdf.render(document, {})


def test_the_print_files_id_is_mended_in_a_trailer_qpdf_reads_without_a_complaint(monkeypatch):
    # The /ID is replaced in the written trailer (pypdf keeps it private): no offset may move.
    import pikepdf

    from pipeline.writers.pdf import pdfx as print_pdf

    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    pdf = print_pdf.render(read_fixture("sections.md"), {})
    with pikepdf.open(io.BytesIO(pdf)) as opened:
        first, second = (bytes(part) for part in opened.trailer.ID)
        assert opened.check_pdf_syntax() == []
    assert first == second and len(first) == 16
    startxref = int(pdf[pdf.rindex(b"startxref"):].split()[1])
    assert pdf[startxref:].startswith(b"xref")  # the cross-reference table where the trailer says
    mended = print_pdf.with_file_id(pdf, "0" * 32)
    zeros = b"<" + b"0" * 32 + b">"
    assert len(mended) == len(pdf) and b"/ID [ " + zeros + b" " + zeros + b" ]" in mended[mended.rindex(b"trailer"):]


# The booklet ------------------------------------------------------------------------------------------

def test_booklet_sheets_are_a4_and_fold_into_the_pdfs_pages_in_order(printed):
    for source in SOURCES:
        booklet, screen = printed / f"{source.stem}-booklet.pdf", printed / f"{source.stem}.pdf"
        sheets = PdfReader(booklet).pages
        assert all(box(page, "mediabox")[2:] == pytest.approx(A4_LANDSCAPE, abs=0.1) for page in sheets)
        # pdftotext may order a page's words differently once it sits on a sheet: compare them sorted.
        pages = [tuple(sorted(word for word, *_box in page)) for page in labels(screen.read_bytes())]
        assert len(sheets) == 2 * -(-len(pages) // 4)
        # Every word of a booklet side, on the half-sheet left or right of the fold; then the sheets folded.
        fold_x = A4_LANDSCAPE[0] / 2
        sides = [(tuple(sorted(word for word, _x0, _y0, x1, _y1 in side if x1 <= fold_x)) or None,
                  tuple(sorted(word for word, x0, _y0, _x1, _y1 in side if x0 >= fold_x)) or None)
                 for side in labels(booklet.read_bytes())]
        assert sum(len(left or ()) + len(right or ()) for left, right in sides) == sum(map(len, pages))
        read = fold(sides, [len(sheets) // 2])
        assert read == [page or None for page in pages] + [None] * (len(read) - len(pages)), source.name


def test_chapbook_check_passes_the_built_files_and_catches_a_shuffled_booklet(printed, tmp_path):
    document = read_fixture(str(ESSAY))
    for finding in check_booklet(document, printed / "essay-booklet.pdf") + check_print(document,
                                                                                        printed / "essay-print.pdf"):
        # The print file is untagged (PDF/X): its list depth is skipped, because no tag shows it.
        assert finding.status == "ok" or (finding.status, finding.check) == ("skipped", "every list item at its depth")
    shuffled = PdfWriter()
    pages = PdfReader(printed / "essay-booklet.pdf").pages
    for index in (2, 3, 0, 1, *range(4, len(pages))):
        shuffled.add_page(pages[index])
    shuffled.write(tmp_path / "shuffled.pdf")
    order = [finding for finding in check_booklet(document, tmp_path / "shuffled.pdf") if "order" in finding.check]
    assert order[0].status == "fail"
    screen = [finding for finding in check_print(document, printed / "essay.pdf") if finding.status == "fail"]
    assert {finding.check for finding in screen} >= {"trim and bleed boxes", "PDF/X-4: output intent profile",
                                                     "no links, annotations or bookmarks", "every font embedded whole"}


def test_a_booklet_too_thick_to_staple_warns_and_suggests_a_signature(caplog, tmp_path):
    from pipeline.writers.pdf import booklet

    document = read_fixture("sections.md")
    companions = {"pdf": Companion("pdf", "sections.pdf", book(64))}
    with caplog.at_level(logging.WARNING, logger="chapbook"):
        sheets = PdfReader(io.BytesIO(booklet.render(document, companions))).pages
    assert len(sheets) == 32
    assert "64 pages" in caplog.text and "--signature 16" in caplog.text
    assert half_sheets(booklet.render(document, {"pdf": Companion("pdf", "x.pdf", book(4))}),
                       A4_LANDSCAPE[0] / 2)[0] == ("pg4", "pg1")


def test_signature_and_creep_settings_reach_the_booklet(tmp_path):
    source = tmp_path / "signed.md"
    source.write_text("---\ntitle: signed\nlang: en\nsignature: 4\ncreep: 1mm\n---\n\n# one\n\ntext\n",
                      encoding="utf-8")
    result = run_chapbook("build", "-f", "booklet", "-o", str(tmp_path / "out"), str(source))
    assert result.returncode == 0, result.stderr
    # chapbook check reads the signature from the sheets, whatever the settings it is run with.
    order = [finding for finding in check_booklet(read_fixture("sections.md"), tmp_path / "out" / "signed-booklet.pdf")
             if "order" in finding.check]
    assert order[0].status == "ok" and "signatures of 4 pages" in order[0].detail, order
    bad = run_chapbook("build", "-f", "booklet", "--signature", "6", "-o", str(tmp_path / "out"), str(source))
    assert bad.returncode == 1 and "multiple of 4" in bad.stderr and "Traceback" not in bad.stderr
