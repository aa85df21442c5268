"""The paperback interior per printer, read back as the printer's preflight reads it: page and box sizes
edge by edge, words inside the safe zone (pdftotext -bbox), colour operators in every content stream, the
output intent's ICC header, and the refusals."""

from __future__ import annotations

import subprocess
import xml.etree.ElementTree as ElementTree
from dataclasses import replace
from pathlib import Path

import pikepdf
import pytest

from pipeline.check.printing import check_print
from pipeline.paper import INCH, MM
from pipeline.printers import printer
from pipeline.writers.pdf.pdfx import print_margins
from tests.conftest import ESSAY, FIXTURES, read_fixture, run_chapbook

EIGHTH = 0.125 * INCH
BUILDS = {"kdp": "6x9", "lulu": "a5", "ingramspark": "5x8"}  # printer -> trim it is built on here
TRIMS = {"6x9": (6 * INCH, 9 * INCH), "a5": (148 * MM, 210 * MM), "5x8": (5 * INCH, 8 * INCH)}
SOURCES = (ESSAY, FIXTURES / "kitchen-sink.md")


@pytest.fixture(scope="module")
def paperbacks(tmp_path_factory):
    """The essay's and the kitchen sink's print edition for each printer, one build per printer."""
    root = tmp_path_factory.mktemp("paperbacks")
    for shop, paper in BUILDS.items():
        result = run_chapbook("build", "-f", "print", "--printer", shop, "--paper", paper, "-o", str(root / shop),
                              *map(str, SOURCES))
        assert result.returncode == 0, result.stderr
    return root


def boxes(page) -> dict[str, tuple[float, ...]]:
    return {name: tuple(float(value) for value in page.obj[f"/{name}"]) for name in ("MediaBox", "TrimBox", "BleedBox")}


@pytest.mark.parametrize("shop", BUILDS)
def test_pages_are_the_printers_trim_plus_its_bleed_edge_by_edge(paperbacks, shop):
    width, height = TRIMS[BUILDS[shop]]
    spine = EIGHTH if shop == "lulu" else 0.0  # KDP and IngramSpark: no bleed at the spine
    with pikepdf.open(paperbacks / shop / "essay-print.pdf") as pdf:
        for number, page in enumerate(pdf.pages, start=1):
            box = boxes(page)
            trim = box["TrimBox"]
            assert (trim[2] - trim[0], trim[3] - trim[1]) == pytest.approx((width, height), abs=0.01)
            left, right = (spine, EIGHTH) if number % 2 else (EIGHTH, spine)  # page 1 is a right-hand page
            expected = (trim[0] - left, trim[1] - EIGHTH, trim[2] + right, trim[3] + EIGHTH)
            assert box["BleedBox"] == pytest.approx(expected, abs=0.01), number
            assert box["MediaBox"] == pytest.approx(expected, abs=0.01), number


def test_kdp_pages_are_an_eighth_wider_and_a_quarter_taller_recto_and_verso_mirrored(paperbacks):
    with pikepdf.open(paperbacks / "kdp" / "essay-print.pdf") as pdf:
        recto, verso = boxes(pdf.pages[0]), boxes(pdf.pages[1])
    for box in (recto, verso):
        media = box["MediaBox"]
        assert (media[2] - media[0], media[3] - media[1]) == pytest.approx((6.125 * INCH, 9.25 * INCH), abs=0.01)
    assert recto["MediaBox"][0] == pytest.approx(recto["TrimBox"][0])  # spine side of a right-hand page: left
    assert verso["MediaBox"][2] == pytest.approx(verso["TrimBox"][2])  # of a left-hand page: right


def words_by_page(path: Path) -> list[list[tuple[float, float, float, float, str]]]:
    html = subprocess.run(["pdftotext", "-bbox", str(path), "-"], capture_output=True, check=True).stdout
    html = html[html.index(b"<body>"):html.index(b"</body>") + 7]
    return [[(*(float(word.get(key)) for key in ("xMin", "yMin", "xMax", "yMax")), word.text or "")
             for word in page.iter("word")] for page in ElementTree.fromstring(html).iter("page")]


@pytest.mark.parametrize("shop", BUILDS)
def test_every_word_running_head_and_folio_is_inside_the_printers_margins(paperbacks, shop):
    path = paperbacks / shop / "essay-print.pdf"
    with pikepdf.open(path) as pdf:
        pages = [boxes(page) for page in pdf.pages]
    rules = printer(shop)
    least_outside, least_gutter = rules.outside, rules.gutter_for(len(pages))
    heads = 0
    for number, (box, words) in enumerate(zip(pages, words_by_page(path), strict=True), start=1):
        media, trim = box["MediaBox"], box["TrimBox"]
        top, bottom = media[3] - trim[3], media[3] - trim[1]  # pdftotext: y down from the MediaBox's top
        left, right = trim[0] - media[0], trim[2] - media[0]
        for x_min, y_min, x_max, y_max, text in words:
            outside = right - x_max if number % 2 else x_min - left
            gutter = x_min - left if number % 2 else right - x_max
            assert min(y_min - top, bottom - y_max, outside) >= least_outside - 0.5, (shop, number, text)
            assert gutter >= least_gutter - 0.5, (shop, number, text)
            heads += y_min - top < 20 * MM  # a running head's band
    assert heads > 10  # the running heads were measured too


@pytest.mark.parametrize("shop", BUILDS)
def test_no_rgb_in_any_content_stream_and_black_is_pure_k(paperbacks, shop):
    for source in SOURCES:
        with pikepdf.open(paperbacks / shop / f"{source.stem}-print.pdf") as pdf:
            operators, greys = set(), set()
            for page in pdf.pages:
                streams = [page, *(form for form in page.Resources.get("/XObject", {}).values()
                                   if form.get("/Subtype") == "/Form")]
                for stream in streams:
                    for operands, operator in pikepdf.parse_content_stream(stream):
                        operators.add(str(operator))
                        if str(operator) == "g":
                            greys.add(float(operands[0]))
                for image in page.Resources.get("/XObject", {}).values():
                    if image.get("/Subtype") == "/Image":
                        assert image.ColorSpace == "/DeviceGray", source.name
                assert "/DeviceRGB" not in str(page.Resources.get("/ColorSpace", {}))
            assert not operators & {"rg", "RG", "sc", "SC", "scn", "SCN"}, (shop, source.name)
            assert 0.0 in greys  # the text: DeviceGray 0, all on the K channel


def test_the_output_intent_is_a_cmyk_printer_profile_whose_header_matches_n(paperbacks):
    with pikepdf.open(paperbacks / "kdp" / "essay-print.pdf") as pdf:
        (intent,) = pdf.Root.OutputIntents
        profile = intent.DestOutputProfile
        header = profile.read_bytes()[:128]
    assert intent.S == "/GTS_PDFX"
    assert header[36:40] == b"acsp" and header[12:16] == b"prtr" and header[16:20] == b"CMYK"
    assert int(profile.N) == 4


def test_chapbook_check_passes_every_pdfx4_rule_and_fails_rgb_and_a_wrong_n(paperbacks, tmp_path):
    document = read_fixture(ESSAY)
    kdp = replace(document, settings=replace(document.settings, printer="kdp", paper="6x9"))
    path = paperbacks / "kdp" / "essay-print.pdf"
    findings = check_print(kdp, path)
    # The print file is untagged (PDF/X): its list depth is skipped, because no tag shows it.
    assert [(f.check, f.status) for f in findings if f.status != "ok"] == [("every list item at its depth", "skipped")]
    assert sum(f.check.startswith("PDF/X-4:") for f in findings) >= 10
    with pikepdf.open(path) as pdf:
        pdf.Root.OutputIntents[0].DestOutputProfile.N = 1
        page = pdf.pages[0]
        page.contents_add(pdf.make_stream(b"0 0 1 rg 10 10 5 5 re f"))
        pdf.save(tmp_path / "broken.pdf")
    failed = {f.check: f.detail for f in check_print(kdp, tmp_path / "broken.pdf") if f.status == "fail"}
    assert "CMYK (4)" in failed["PDF/X-4: output intent profile"]
    assert "rg" in failed["PDF/X-4: no RGB colour"]


def test_a_trim_the_printer_does_not_print_is_refused_in_one_line(tmp_path):
    result = run_chapbook("build", "-f", "print", "--printer", "lulu", "--paper", "5.25x8", "-o", str(tmp_path),
                          str(FIXTURES / "sections.md"))
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0
    assert "Lulu does not print the 5.25x8 trim" in result.stderr and "5x8, half-letter, 6x9, a5" in result.stderr


def test_kdp_gutter_grows_with_pages_and_a_forced_measure_is_reported():
    kdp, lulu = printer("kdp"), printer("lulu")
    assert [kdp.gutter_for(pages) / INCH for pages in (24, 150, 151, 300, 301, 500, 700, 828)] == \
        [0.375, 0.375, 0.5, 0.5, 0.625, 0.625, 0.75, 0.875]
    # 6x9 sets a 22 mm gutter: KDP's 0.875 in (22.2 mm) at 800 pages takes the room from the outside margin
    long_kdp = print_margins("6x9", kdp, 800)
    assert long_kdp.inner == pytest.approx(0.875 * INCH) and long_kdp.same_block
    # Lulu's 1 in gutter and 0.5 in outside margin at 700 pages leave a narrower text block
    long_lulu = print_margins("6x9", lulu, 700)
    assert long_lulu.inner == pytest.approx(INCH) and long_lulu.outer == pytest.approx(0.5 * INCH)
    assert not long_lulu.same_block


def test_the_build_says_when_the_printers_margins_change_the_text_block_and_when_a_book_is_too_short(
        monkeypatch, caplog):
    from pipeline import printers
    from pipeline.writers.pdf import pdfx

    document = read_fixture("sections.md")
    kdp = replace(document, settings=replace(document.settings, printer="kdp"))
    # A KDP whose outside margin were an inch: A5's 15 mm outside margin can no longer hold
    monkeypatch.setitem(printers.PRINTERS, "kdp", replace(printers.PRINTERS["kdp"], outside=INCH))
    with caplog.at_level("WARNING", logger="chapbook"):
        pdfx.render(kdp, {})
    assert "not the screen PDF's: its lines and pages break differently" in caplog.text
    assert "Amazon KDP binds paperbacks of 24 pages or more" in caplog.text
