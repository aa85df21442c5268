"""A book laid out in parts at once and joined: read back as one book with pypdf, pikepdf and poppler.

Two ways: a long book's front and two body parts (from SPLIT_WORDS, about 100 pages; the tests cut the
essay in two instead, through the same code), and a book's front beside its whole body (a contents of
FRONT_APART_ENTRIES or more: the essay as it is built). Each is read back against the essay laid out whole.
"""

from __future__ import annotations

import copy
from dataclasses import replace
from pathlib import Path

import pytest
from pypdf import PdfReader

from tests.conftest import ESSAY
from tests.pagelines import body_lines, head_line, read_pages
from tests.writers.pdf.test_pdf import (
    BOTTOM,
    EPOCH,
    TOP,
    annotations,
    outline_entries,
    page_texts,
    section_openings,
)
from tests.writers.pdf.test_pdf_pages import heading_pages, printed_contents

TWO_PARTS, FRONT_APART = "two parts", "front apart"


def render_split(tmp: Path, name: str, way: str = TWO_PARTS) -> tuple[object, Path]:
    """The essay laid out in parts: cut in two at its middle section, as a book above SPLIT_WORDS is, or
    with its front apart from its body, as the writer lays the essay out."""
    from pipeline.writers.pdf.layout import BookOptions
    from pipeline.writers.pdf.parts import render_front_apart, render_in_parts, split_index

    document = read_essay()
    output = tmp / f"{name}.pdf"
    output.write_bytes(render_in_parts(document, BookOptions(), split_index(document, limit=1000))
                       if way == TWO_PARTS else render_front_apart(document, BookOptions()))
    return document, output


def read_essay():
    """The essay's document, read as a build does."""
    from pipeline.build import prepare

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOURCE_DATE_EPOCH", EPOCH)
        return prepare(ESSAY)


@pytest.fixture(scope="session")
def essay_laid_out_whole(tmp_path_factory):
    """The essay laid out in one piece, as no build lays it out any more: the reference for the joined books."""
    from pipeline.writers.pdf.book_html import page_html
    from pipeline.writers.pdf.layout import BookOptions, write_pdf

    document = read_essay()
    whole = tmp_path_factory.mktemp("whole") / "whole.pdf"
    whole.write_bytes(write_pdf(page_html(document), document, BookOptions()))
    return whole


@pytest.fixture(scope="session", params=[TWO_PARTS, FRONT_APART])
def essay_whole_and_split(request, tmp_path_factory, essay_laid_out_whole):
    """The essay laid out whole, and twice in parts, each way."""
    folder = tmp_path_factory.mktemp("split")
    document, split = render_split(folder, "split", request.param)
    _document, again = render_split(folder, "again", request.param)
    return document, essay_laid_out_whole, split, again


def test_short_sources_keep_one_layout_and_long_ones_are_cut_where_both_processes_have_as_much_work(essay):
    from pipeline.ast import stringify
    from pipeline.writers.pdf.book_html import contents_entries
    from pipeline.writers.pdf.parts import DRAWING_SHARE, FRONT_COUNT_WORDS, SPLIT_WORDS, split_index

    assert split_index(essay) is None
    long = replace(essay, blocks=copy.deepcopy(essay.blocks) * 20)
    cut = split_index(long)
    assert cut is not None and long.blocks[cut]["t"] == "Header" and long.blocks[cut]["c"][0] == 1
    words = [len(stringify(block).split()) for block in long.blocks]
    assert sum(words) > SPLIT_WORDS
    # The first part's process also counts the front's pages and draws its part before the other has laid
    # out the second: its part is the shorter, and the cut is the section opening nearest that point.
    front = FRONT_COUNT_WORDS * len(contents_entries(long.outline()))
    even = (sum(words) - front) / (2 + DRAWING_SHARE)
    openings = [index for index, block in enumerate(long.blocks)
                if index and block["t"] == "Header" and block["c"][0] == 1]
    assert all(abs(sum(words[:cut]) - even) <= abs(sum(words[:index]) - even) for index in openings)
    assert 0.25 < sum(words[:cut]) / sum(words) < 0.4


def test_the_joined_book_has_continuous_page_numbers_and_sides(essay_whole_and_split):
    document, _whole, split, _again = essay_whole_and_split
    pages = read_pages(split)
    openings = section_openings(document, pages)
    numbered = 0
    for page in pages[2:]:
        lines = body_lines(page, TOP, BOTTOM)
        if not lines:
            continue  # a blank page, before a part that starts on a right-hand page
        folio = [line for line in page.lines if line.y0 >= page.height - BOTTOM]
        assert [line.text for line in folio] == [str(page.number)], page.number
        numbered += 1
        if page.number == 5:  # the essay's opening page: no running head, as a chapter opening
            assert head_line(page, TOP) == "", page.number
        elif page.number % 2 == 0:
            assert head_line(page, TOP) == document.meta.title, page.number
        elif page.number > 4:  # after the contents: the section in effect at the top of the page
            in_effect = [text for (number, y0), text in openings if (number, y0) <= (page.number, lines[0].y0)]
            assert head_line(page, TOP) == (in_effect[-1] if in_effect else document.meta.title), page.number
        # The binding side: 20 mm inside on the left of right-hand pages, 15 mm outside on left-hand ones.
        left = min(line.x0 for line in lines)
        assert left == pytest.approx(56.7 if page.number % 2 else 42.5, abs=1.5), page.number
    assert numbered >= 20


def test_the_joined_book_prints_the_same_words_as_the_book_laid_out_whole(essay_whole_and_split):
    _document, whole, split, _again = essay_whole_and_split

    def body_words(path):
        return [word for page in read_pages(path)[2:] for line in body_lines(page, TOP, BOTTOM)
                for word in line.words if not (page.number <= 4 and word.isdigit())]
    assert body_words(split) == body_words(whole)
    assert page_texts(split)[0] == page_texts(whole)[0]


def test_every_bookmark_and_contents_link_lands_on_its_headings_page(essay_whole_and_split):
    document, _whole, split, _again = essay_whole_and_split
    reader = PdfReader(split)
    entries = outline_entries(reader)
    assert [(depth, title) for depth, title, _page in entries] == \
        [(heading.level, heading.text) for heading in document.outline()]
    printed = printed_contents(split)
    actual = heading_pages(split, printed)
    assert printed == actual
    by_title = {title: page for _depth, title, page in entries}
    assert all(by_title[title] == page for title, page in actual.items())
    destinations = {name: reader.get_destination_page_number(dest) + 1
                    for name, dest in reader.named_destinations.items()}
    links = [annotation["/Dest"] for page, annotation in annotations(reader) if "/Dest" in annotation and page <= 4]
    headings = {heading.identifier: heading.text for heading in document.outline()}
    assert {name for name in links} == {heading.identifier for heading in document.outline() if heading.level <= 2}
    for name in links:
        assert destinations[name] == actual[headings[name]], name


def marked_content(pdf, page) -> set[int]:
    """The MCIDs a page's content stream marks."""
    import pikepdf

    found = set()
    for operands, operator in pikepdf.parse_content_stream(page):
        if operator == pikepdf.Operator("BDC") and isinstance(operands[1], pikepdf.Dictionary) \
                and "/MCID" in operands[1]:
            found.add(int(operands[1].MCID))
    return found


def structure(pdf) -> tuple[set, dict, int]:
    """The structure elements reachable from the root (each listed by its parent), the ParentTree, and how
    many of the ParentTree's elements are not reachable, in an open pikepdf.Pdf."""
    import pikepdf

    root = pdf.Root.StructTreeRoot
    reached, stack = set(), [root]
    while stack:
        node = stack.pop()
        kids = node.get("/K")
        for kid in (kids if isinstance(kids, pikepdf.Array) else [kids] if kids is not None else []):
            if isinstance(kid, pikepdf.Dictionary) and kid.get("/Type") == "/StructElem":
                assert kid.P.objgen == node.objgen
                reached.add(kid.objgen)
                stack.append(kid)
    numbers = root.ParentTree.Nums
    tree = dict(zip((int(key) for key in numbers[::2]), numbers[1::2], strict=True))
    assert len(tree) == len(numbers) // 2  # no number used twice
    unreached = sum(element.objgen not in reached for value in tree.values()
                    for element in (value if isinstance(value, pikepdf.Array) else [value]))
    return reached, tree, unreached


def test_the_structure_tree_is_one_tree_reaching_every_pages_marked_content(essay_whole_and_split):
    import pikepdf

    _document, whole, split, _again = essay_whole_and_split
    with pikepdf.open(whole) as pdf:
        whole_reached, _tree, whole_unreached = structure(pdf)
        whole_marked = sum(len(marked_content(pdf, page)) for page in pdf.pages)
    with pikepdf.open(split) as pdf:
        reached, tree, unreached = structure(pdf)
        # WeasyPrint 70 leaves its margin boxes' elements out of the tree (46 in the essay laid out whole:
        # running heads and folios); the join turns them into artifacts (engine/artifacts.py) and adds none.
        assert whole_unreached > 0 and unreached == 0
        assert pdf.Root.Lang == "en" and pdf.Root.MarkInfo.Marked
        root = pdf.Root.StructTreeRoot
        assert len(root.K) == 1 and root.K[0].S == "/Document"
        marked = links = 0
        for page in pdf.pages:
            for mcid in marked_content(pdf, page):
                element = tree[int(page.StructParents)][mcid]
                assert element.Pg.objgen == page.objgen
                marked += 1
            for annotation in page.get("/Annots", []):
                element = tree[int(annotation.StructParent)]
                assert element.objgen in reached
                assert any(isinstance(kid, pikepdf.Dictionary) and "/Obj" in kid and kid.Obj.objgen == annotation.objgen
                           for kid in element.K)
                links += 1
        pages = {page.objgen for page in pdf.pages}
        assert all(pdf.get_object(objgen).Pg.objgen in pages for objgen in reached if "/Pg" in pdf.get_object(objgen))
    assert marked >= whole_marked - whole_unreached > 750 and links > 30  # the essay: 781 tagged sequences
    assert len(reached) >= len(whole_reached)


def test_chapbook_check_passes_the_joined_book(essay_whole_and_split):
    from pipeline.check.pdf import check_pdf

    document, _whole, split, _again = essay_whole_and_split
    findings = check_pdf(document, split)
    assert [finding for finding in findings if finding.status != "ok"] == []
    assert any(finding.check == "every font embedded" for finding in findings)


def test_the_joined_book_is_the_same_bytes_every_time(essay_whole_and_split):
    _document, _whole, split, again = essay_whole_and_split
    assert again.read_bytes() == split.read_bytes()  # whichever process finished its layout first


def test_the_second_part_renumbered_after_layout_is_the_part_laid_out_from_its_number(essay):
    from pipeline.writers.pdf.book_html import html_page
    from pipeline.writers.pdf.engine.late_folios import numbered_later
    from pipeline.writers.pdf.layout import BookOptions, lay_out, pdf_bytes
    from pipeline.writers.pdf.parts import notes_in, part_css, part_mains, split_index

    cut = split_index(essay, limit=1000)
    second = html_page(essay, [part_mains(essay, cut)[1]])
    notes = notes_in(essay.blocks[:cut])

    def options(start: int) -> BookOptions:
        return replace(BookOptions(), extra_css=part_css(start, notes))

    direct = pdf_bytes(lay_out(second, essay, options(15)), BookOptions())
    with numbered_later(1, lambda: 15) as applied:
        later = pdf_bytes(lay_out(second, essay, options(1)), BookOptions())
    assert applied == [14]
    assert later == direct
    assert pdf_bytes(lay_out(second, essay, options(1)), BookOptions()) != direct  # the hook is gone again


def test_a_weasyprint_without_the_folio_hook_gets_the_book_laid_out_whole(essay, monkeypatch):
    import weasyprint.layout

    from pipeline.writers.pdf.layout import BookOptions
    from pipeline.writers.pdf.parts import render_front_apart, render_in_parts, split_index

    monkeypatch.delattr(weasyprint.layout, "layout_fixed_boxes")
    assert render_in_parts(essay, BookOptions(), split_index(essay, limit=1000)) is None
    assert render_front_apart(essay, BookOptions()) is None


def test_the_essays_front_is_laid_out_apart_and_a_short_contents_is_not(essay):
    from pipeline.writers.pdf.book_html import contents_entries
    from pipeline.writers.pdf.layout import BookOptions
    from pipeline.writers.pdf.parts import FRONT_APART_ENTRIES, lays_front_apart

    screen, print_file = BookOptions(), BookOptions(full_fonts=True)
    assert len(contents_entries(essay.outline())) >= FRONT_APART_ENTRIES and lays_front_apart(essay, screen)
    assert not lays_front_apart(essay, print_file)  # its front would compress the whole fonts again
    headings = [index for index, block in enumerate(essay.blocks) if block.get("t") == "Header"]
    short = replace(essay, blocks=essay.blocks[:headings[3]])  # its first three sections
    assert len(contents_entries(short.outline())) == 3 and not lays_front_apart(short, screen)


def test_the_front_laid_out_apart_looks_exactly_like_the_book_laid_out_whole(tmp_path, essay_laid_out_whole):
    """Nothing crosses from the front to the body but page numbers: every page shows the same pixels."""
    import subprocess

    _document, apart = render_split(tmp_path, "apart", FRONT_APART)
    images = {}
    for path in (essay_laid_out_whole, apart):
        subprocess.run(["pdftoppm", "-r", "40", "-gray", str(path), str(tmp_path / path.stem)], check=True)
        images[path.stem] = sorted(tmp_path.glob(f"{path.stem}-*.pgm"))
    assert len(images["apart"]) == len(images["whole"]) == 25
    for apart_page, whole_page in zip(images["apart"], images["whole"], strict=True):
        assert apart_page.read_bytes() == whole_page.read_bytes(), apart_page.name


def test_the_front_beside_the_body_or_after_it_gives_the_same_pdf(tmp_path):
    """Alone, the PDF has a core to spare and lays its front out in another process; beside the print file,
    each has one core and the front comes after the body in the worker. The reader gets the same bytes."""
    import os

    from tests.conftest import run_chapbook

    logs, pdfs = {}, {}
    for name, formats in (("alone", ["-f", "pdf"]), ("with the print file", ["-f", "pdf", "-f", "print"])):
        out = tmp_path / name.replace(" ", "-")
        result = run_chapbook("build", "-v", *formats, "-o", str(out), str(ESSAY), env={"SOURCE_DATE_EPOCH": EPOCH})
        assert result.returncode == 0, result.stderr
        logs[name], pdfs[name] = result.stdout + result.stderr, (out / "essay.pdf").read_bytes()
    assert "the front laid out after the body, joined" in logs["with the print file"]
    if len(os.sched_getaffinity(0)) > 1:
        assert "the front laid out beside the body, joined" in logs["alone"]
    assert pdfs["alone"] == pdfs["with the print file"]
