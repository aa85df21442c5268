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
    assert by_check["notes and disclaimers tagged"]["status"] == "ok"
    assert by_check["notes and disclaimers tagged"]["detail"].startswith("2 Note for 2 notes, 5 Aside for 5 ")


def _marked_text(path) -> dict[tuple[int, int], str]:
    """The text each marked-content sequence sets, by (page index, MCID), as pypdf extracts it."""
    from pypdf import PdfReader

    texts: dict[tuple[int, int], str] = {}
    for index, page in enumerate(PdfReader(path).pages):
        open_ids: list = []

        def before(operator, operands, _cm, _tm, open_ids=open_ids):
            if operator in (b"BDC", b"BMC"):
                properties = operands[1] if operator == b"BDC" else None
                open_ids.append(properties.get("/MCID") if hasattr(properties, "get") else None)
            elif operator == b"EMC" and open_ids:
                open_ids.pop()

        def text(shown, _cm, _tm, _font, _size, index=index, open_ids=open_ids):
            mcid = next((mcid for mcid in reversed(open_ids) if mcid is not None), None)
            if mcid is not None:
                texts[index, int(mcid)] = texts.get((index, int(mcid)), "") + shown
        page.extract_text(visitor_operand_before=before, visitor_text=text)
    return texts


def _element_text(element, pages: dict, texts: dict, page=None) -> str:
    if isinstance(element, pikepdf.Array):
        return "".join(_element_text(kid, pages, texts, page) for kid in element)
    if isinstance(element, int):
        return texts.get((page, int(element)), "")
    if not isinstance(element, pikepdf.Dictionary) or element.get("/Type") == pikepdf.Name.OBJR:
        return ""
    page = pages.get(element.Pg.objgen, page) if "/Pg" in element else page
    if element.get("/Type") == pikepdf.Name.MCR:
        return texts.get((page, int(element.MCID)), "")
    return _element_text(element.get("/K", pikepdf.Array()), pages, texts, page)


def test_notes_are_note_elements_and_disclaimers_asides_in_reading_order(built):
    from pipeline.writers.pdf.engine.structure_roles import structure_elements

    source = ESSAY.read_text(encoding="utf-8")
    notes = [marker.replace("\\", "") for marker in re.findall(r"^((?:\\\*)+) ", source, flags=re.M)]
    disclaimers = re.findall(r"^\[(disclaimer|update|this is a work in progress)", source, flags=re.M)
    assert notes and disclaimers  # the essay has both: the test reads something
    texts = _marked_text(built / "essay.pdf")
    with pikepdf.open(built / "essay.pdf") as pdf:
        pages = {page.obj.objgen: index for index, page in enumerate(pdf.pages)}
        tree = pdf.Root.StructTreeRoot
        found = [(str(element.S), str(element.get("/ID", "")), _element_text(element, pages, texts).strip())
                 for element in structure_elements(tree) if element.S in ("/Note", "/Aside")]
        role_map = tree.RoleMap
        id_tree = tree.IDTree.Names
    # Each note starts with its asterisks, each disclaimer with its bracket, in the source's order.
    assert [text.split()[0] for kind, _id, text in found if kind == "/Note" and text.startswith("*")] == notes
    assert [text[1:].split(":")[0].rstrip("]") for kind, _id, text in found if kind == "/Aside"] == disclaimers
    assert all(text for _kind, _id, text in found)
    # PDF/UA-1 7.9: a unique ID on each Note, found through the IDTree; PDF 1.7 knows no Aside: mapped to Div.
    ids = [identifier for kind, identifier, _text in found if kind == "/Note"]
    assert len(set(ids)) == len(ids) and all(ids)
    assert sorted(str(id_tree[index]) for index in range(0, len(id_tree), 2)) == sorted(ids)
    assert role_map["/Aside"] == pikepdf.Name.Div


def test_a_footnote_is_a_note_holding_its_text_not_its_call(tmp_path):
    from pipeline.writers.pdf.engine.structure_roles import structure_elements

    source = tmp_path / "footnote.md"
    source.write_text("---\ntitle: notes\nlang: en\n---\n\n# one\n\ntext with a note[^1] here.\n\n"
                      "[^1]: the footnote text.\n", encoding="utf-8")
    result = run_chapbook("build", "-q", "-f", "pdf", "-o", str(tmp_path / "out"), str(source),
                          env={"SOURCE_DATE_EPOCH": EPOCH})
    assert result.returncode == 0, result.stderr
    path = tmp_path / "out" / "footnote.pdf"
    texts = _marked_text(path)
    with pikepdf.open(path) as pdf:
        pages = {page.obj.objgen: index for index, page in enumerate(pdf.pages)}
        notes = [_element_text(element, pages, texts) for element in structure_elements(pdf.Root.StructTreeRoot)
                 if element.S == "/Note"]
    assert len(notes) == 1 and "the footnote text." in notes[0]


def test_the_check_reads_what_aside_is_role_mapped_to_not_only_that_it_is(built):
    """A screen reader knows only PDF 1.7's standard types: Aside mapped to a made-up one is no better than unmapped."""
    from pipeline.check.pdf_tags import note_tags

    with pikepdf.open(built / "essay.pdf") as pdf:
        assert note_tags(pdf).valid and note_tags(pdf).aside_maps_to == "Div"
        pdf.Root.StructTreeRoot.RoleMap["/Aside"] = pikepdf.Name("/Sidebar")
        assert note_tags(pdf).asides and not note_tags(pdf).valid
