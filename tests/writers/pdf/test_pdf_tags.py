"""The tagged PDF read back as a screen reader reads it: page furniture as artifacts, every mark tagged or an
artifact, one font program per face in every PDF chapbook writes, and `chapbook check` saying so truthfully."""

from __future__ import annotations

import re
from decimal import Decimal

import pikepdf
import pytest

from pipeline.check.pdf_tags import font_programs, tag_coverage
from tests.conftest import ESSAY, FIXTURES, run_chapbook

EPOCH = "1722384000"


@pytest.fixture(scope="session")
def built(tmp_path_factory):
    """The essay (laid out in parts, joined) in its three PDF editions, and a short fixture (laid out whole)."""
    folder = tmp_path_factory.mktemp("tagged")
    for source, formats in ((ESSAY, ("pdf", "booklet", "print")), (FIXTURES / "nested-lists.md", ("pdf",))):
        args = [arg for edition in formats for arg in ("-f", edition)]
        result = run_chapbook("build", "-q", "-o", str(folder), *args, str(source), env={"SOURCE_DATE_EPOCH": EPOCH})
        assert result.returncode == 0, result.stderr
    return folder


def _artifact_positions(page) -> list[tuple[str, Decimal]]:
    """Each artifact sequence's /Type on `page` and the vertical position of the first text it sets."""
    found, current = [], None
    for instruction in pikepdf.parse_content_stream(page):
        operator = str(instruction.operator)
        if operator == "BDC" and str(instruction.operands[0]) == "/Artifact":
            current = str(instruction.operands[1].get("/Type", ""))
        elif operator == "Tm" and current is not None:
            found.append((current, Decimal(instruction.operands[5])))
            current = None
        elif operator == "EMC":
            current = None
    return found


@pytest.mark.parametrize("name", ["essay.pdf", "nested-lists.pdf"])
def test_running_heads_and_folios_are_pagination_artifacts_outside_the_tree(built, name):
    with pikepdf.open(built / name) as pdf:
        coverage = tag_coverage(pdf)
        assert coverage.complete, (coverage.orphans, coverage.untagged_marks)
        assert coverage.orphans == 0
        numbered = 0
        for page in pdf.pages:
            # WeasyPrint draws in CSS pixels from the top (0.75 pt each): the margins are the outer 20 %.
            height = Decimal(str(float(page.mediabox[3]))) / Decimal("0.75")
            furniture = [y for kind, y in _artifact_positions(page) if kind == "/Pagination"]
            assert all(y < height * Decimal("0.2") or y > height * Decimal("0.8") for y in furniture), furniture
            numbered += bool(furniture)
        assert numbered >= len(pdf.pages) // 2  # the folios at least, on every page past the title page


def test_the_structure_tree_reads_title_contents_then_sections_with_lists_as_lists(built):
    with pikepdf.open(built / "essay.pdf") as pdf:
        order = tag_coverage(pdf).reading_order
    headings = [kind for kind in order if re.fullmatch(r"H\d", kind)]
    source_sections = len(re.findall(r"^# ", ESSAY.read_text(encoding="utf-8"), flags=re.M))
    assert headings.count("H1") >= source_sections
    assert {"L", "LI", "Lbl", "LBody"} <= set(order)
    assert order.index("L") < order.index("LI") < order.index("LBody")


@pytest.mark.parametrize("name", ["essay.pdf", "essay-booklet.pdf", "essay-print.pdf"])
def test_each_font_program_is_embedded_once_per_face(built, name):
    with pikepdf.open(built / name) as pdf:
        programs = font_programs(pdf)
    assert programs.streams == programs.distinct == len(set(programs.faces)) >= 3, programs


def test_check_reports_tags_fonts_and_bookmarks_as_they_are(built):
    result = run_chapbook("check", "--json", "-s", str(ESSAY), str(built))
    import json

    findings = [finding for finding in json.loads(result.stdout)["findings"] if finding["path"].endswith("essay.pdf")]
    by_check = {finding["check"]: finding for finding in findings}
    with pikepdf.open(built / "essay.pdf") as pdf:
        outline, top = pdf.Root.Outlines, 0
        item = outline.First
        while True:
            top += 1
            if "/Next" not in item:
                break
            item = item.Next
    assert by_check["bookmarks"]["detail"] == f"{top} top-level bookmarks"
    assert by_check["tagged content"]["status"] == "ok"
    assert "outside the structure tree" not in by_check["tagged content"]["detail"]
    assert by_check["each font program embedded once"]["detail"] == "3 programs for 3 faces"
