"""Fonts of a book's parts after the join: one tag per font program, a subset the other part's covers stored once.

Each part WeasyPrint lays out embeds its own subset of each face under the same tag. The essay is laid
out in parts both ways a build does (its front beside its body, as it is built; the front and two
parts, as a long book is, cut with a low limit) and the join is read back with poppler (pdffonts,
pdftoppm, pdftotext), pikepdf and fontTools, against the parts as WeasyPrint wrote them.
"""

from __future__ import annotations

import io
import pickle
import re
import subprocess
from pathlib import Path

import pytest

from tests.conftest import ESSAY
from tests.writers.pdf.test_pdf import EPOCH, page_texts

FRONT_APART, THREE_PARTS = "front beside body", "front and two parts"


@pytest.fixture(scope="module", params=[FRONT_APART, THREE_PARTS])
def essay_parts(request, tmp_path_factory):
    """The essay laid out in parts and joined, with the parts the join was given and the same parts joined
    without any font sharing."""
    import pipeline.writers.pdf.join
    from pipeline.build import prepare
    from pipeline.writers.pdf.layout import BookOptions
    from pipeline.writers.pdf.parts import render_front_apart, render_in_parts, split_index

    folder = tmp_path_factory.mktemp("join-fonts")
    join = pipeline.writers.pdf.join.join_pdfs
    record = folder / "given.pickle"

    def recorded(parts, owners, drop_last=None):
        # Kept in a file: the front beside the body is joined in the process that laid the front out.
        record.write_bytes(pickle.dumps({"parts": parts, "owners": owners, "drop_last": drop_last}))
        return join(parts, owners, drop_last)

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOURCE_DATE_EPOCH", EPOCH)
        document = prepare(ESSAY)
        patch.setattr(pipeline.writers.pdf.join, "join_pdfs", recorded)
        if request.param == FRONT_APART:
            joined = render_front_apart(document, BookOptions())
        else:
            joined = render_in_parts(document, BookOptions(), split_index(document, limit=1000))
        given = pickle.loads(record.read_bytes())
        patch.setattr(pipeline.writers.pdf.join, "_share_fonts", lambda pdf: None)
        unshared = join(given["parts"], given["owners"], given["drop_last"])
    paths = {}
    for name, data in [("joined", joined), ("unshared", unshared)] + \
            [(f"part{index}", part) for index, part in enumerate(given["parts"])]:
        paths[name] = folder / f"{name}.pdf"
        paths[name].write_bytes(data)
    paths["parts"] = [paths[f"part{index}"] for index in range(len(given["parts"]))]
    return document, paths, given


def listed_fonts(path: Path) -> list[tuple[str, str, tuple[int, int]]]:
    """pdffonts' rows: name, type and the font dictionary's object."""
    lines = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout.splitlines()
    rows = []
    for line in lines[2:]:
        fields = line.split()
        rows.append((fields[0], " ".join(fields[1:3]), (int(fields[-2]), int(fields[-1]))))
    return rows


def listed_programs(path: Path) -> dict[str, set[tuple[int, int]]]:
    """Each name pdffonts lists, and the font programs (objects) its font dictionaries draw from."""
    import pikepdf

    programs = {}
    with pikepdf.open(path) as pdf:
        for font, _kind, objgen in listed_fonts(path):
            cid_font = pdf.get_object(objgen).DescendantFonts[0]
            assert str(cid_font.BaseFont)[1:] == str(cid_font.FontDescriptor.FontName)[1:] == font
            programs.setdefault(font, set()).add(cid_font.FontDescriptor.FontFile2.objgen)
    return programs


def cids(widths) -> set[int]:
    """The CIDs a /W array lists (WeasyPrint writes `first [w ...]` runs only)."""
    return {int(widths[index]) + offset for index in range(0, len(widths), 2)
            for offset in range(len(widths[index + 1]))}


def subset_fonts(pdf) -> list:
    """(resource name, Type0 font, its descriptor, the CIDs of its /W) of every font on the pages, once each."""
    found, seen = [], set()
    for page in pdf.pages:
        for key, font in page.Resources.Font.items():
            if font.objgen not in seen:
                seen.add(font.objgen)
                cid_font = font.DescendantFonts[0]
                found.append((key, font, cid_font.FontDescriptor, cids(cid_font.W)))
    return found


def glyph_outlines(program: bytes) -> dict[int, bytes]:
    """The non-empty glyphs of a TrueType program by glyph id, as fontTools reads and writes them."""
    from fontTools.ttLib import TTFont

    font = TTFont(io.BytesIO(program))
    table = font["glyf"]
    return {index: table[name].compile(table) for index, name in enumerate(font.getGlyphOrder())
            if table[name].numberOfContours != 0}


def test_no_tag_names_two_different_font_programs(essay_parts):
    import pikepdf

    _document, paths, _given = essay_parts
    for path in (paths["joined"], *paths["parts"]):
        assert {kind for _font, kind, _object in listed_fonts(path)} == {"CID TrueType"}
    # Before the join, every part names its own subset of Charis SIL with the same tag.
    before = {}
    for path in paths["parts"]:
        with pikepdf.open(path) as pdf:
            for font, _kind, objgen in listed_fonts(path):
                before.setdefault(font, set()).add(pdf.get_object(objgen).DescendantFonts[0]
                                                   .FontDescriptor.FontFile2.read_bytes())
    assert len(before["RBQAEQ+Charis-SIL"]) == len(paths["parts"]) > 1
    # Each part keeps its font dictionaries (three faces each), under tags that now name one program each.
    assert len(listed_fonts(paths["joined"])) == 3 * len(paths["parts"])
    programs = listed_programs(paths["joined"])
    assert all(len(objects) == 1 for objects in programs.values()), programs
    assert all(re.fullmatch(r"[A-Z]{6}\+Charis-SIL(-Bold|-Italic)?", font) for font in programs)
    assert len({font.split("+")[0] for font in programs}) == len(programs) >= 3


def test_a_subset_the_other_parts_cover_is_stored_once(essay_parts):
    import pikepdf

    _document, paths, _given = essay_parts
    different = {}  # each program's bytes, and how many bytes it takes in the file
    glyph_sets = {}  # each face's sets of glyphs (the CIDs of /W), one a part
    for path in paths["parts"]:
        with pikepdf.open(path) as pdf:
            for _key, _font, descriptor, glyphs in subset_fonts(pdf):
                different[descriptor.FontFile2.read_bytes()] = len(descriptor.FontFile2.read_raw_bytes())
                glyph_sets.setdefault(str(descriptor.FontName), set()).add(frozenset(glyphs))
    uncovered = sum(len([glyphs for glyphs in sets if not any(glyphs < other for other in sets)])
                    for sets in glyph_sets.values())
    with pikepdf.open(paths["joined"]) as pdf:
        fonts = subset_fonts(pdf)
        stored = {descriptor.FontFile2.objgen: len(descriptor.FontFile2.read_raw_bytes())
                  for _key, _font, descriptor, _cids in fonts}
        for _key, font, descriptor, glyphs in fonts:
            family = str(descriptor.FontName).split("+")[1]
            covering = [other for _other_key, other, other_descriptor, other_glyphs in fonts
                        if other.objgen != font.objgen and glyphs <= other_glyphs
                        and str(other_descriptor.FontName).split("+")[1] == family]
            if covering:  # drawn from a program another font dictionary uses too
                assert sum(other_descriptor.FontFile2.objgen == descriptor.FontFile2.objgen
                           for _other_key, _other, other_descriptor, _glyphs in fonts) > 1, font.BaseFont
    # Byte-identical programs were stored once before: now one program for each set of glyphs no other
    # part's set of that face covers (three parts: the italic, the second body part's bold, each body
    # part's roman; the front beside the body: the body's three).
    assert len(stored) == uncovered < len(different)
    # The file is smaller than the parts joined without any sharing by (nearly) the programs it left out.
    left_out = sum(different.values()) - sum(stored.values())
    assert left_out > 5_000
    assert paths["unshared"].stat().st_size - paths["joined"].stat().st_size > 0.9 * left_out


def test_a_shared_program_draws_each_glyph_of_the_subset_it_replaces_identically(essay_parts):
    import pikepdf

    _document, paths, given = essay_parts
    joined = pikepdf.open(paths["joined"])
    first_page = compared = replaced = 0
    for index, part in enumerate(given["parts"]):
        with pikepdf.open(io.BytesIO(part)) as pdf:
            for key, _font, descriptor, _glyphs in subset_fonts(pdf):
                own = glyph_outlines(descriptor.FontFile2.read_bytes())
                now = joined.pages[first_page].Resources.Font[key].DescendantFonts[0].FontDescriptor.FontFile2
                drawn = glyph_outlines(now.read_bytes())
                assert {glyph: drawn.get(glyph) for glyph in own} == own
                compared += len(own)
                replaced += now.read_bytes() != descriptor.FontFile2.read_bytes()
            first_page += len(pdf.pages) - bool(given["drop_last"][index])
    joined.close()
    assert replaced >= 2 and compared > 150  # the front's roman and bold at least


def rendered_pages(path: Path, folder: Path) -> list[bytes]:
    """Each page drawn by poppler at 50 dpi (PPM bytes)."""
    folder.mkdir()
    subprocess.run(["pdftoppm", "-r", "50", str(path), str(folder / "page")], check=True)
    return [page.read_bytes() for page in sorted(folder.glob("page-*.ppm"))]


def test_every_page_looks_and_reads_as_the_part_it_came_from(essay_parts, tmp_path):
    _document, paths, given = essay_parts
    pixels, texts = [], []
    for index in range(len(given["parts"])):
        keep = slice(None, -1 if given["drop_last"][index] else None)
        pixels += rendered_pages(paths[f"part{index}"], tmp_path / f"part{index}")[keep]
        texts += page_texts(paths[f"part{index}"])[keep]
    joined = rendered_pages(paths["joined"], tmp_path / "joined")
    assert len(joined) == len(pixels) > 20
    assert [number for number, (page, part) in enumerate(zip(joined, pixels, strict=True), 1) if page != part] == []
    assert page_texts(paths["joined"]) == texts


def test_chapbook_check_passes_the_joined_book_with_shared_fonts(essay_parts):
    from pipeline.check.pdf import check_pdf

    document, paths, _given = essay_parts
    findings = check_pdf(document, paths["joined"])
    assert [finding for finding in findings if finding.status != "ok"] == []


@pytest.mark.parametrize("essay_parts", [THREE_PARTS], indirect=True)
def test_two_parts_whose_subsets_differ_keep_both_programs_under_tags_of_their_own(essay_parts, tmp_path):
    import pikepdf

    from pipeline.writers.pdf.join import join_pdfs

    _document, _paths, given = essay_parts
    roman = []
    for part in given["parts"][1:]:
        with pikepdf.open(io.BytesIO(part)) as pdf:
            roman += [glyphs for _key, _font, descriptor, glyphs in subset_fonts(pdf)
                      if str(descriptor.FontName).endswith("+Charis-SIL")]
    assert not roman[0] <= roman[1] and not roman[1] <= roman[0]  # neither body part's roman covers the other's
    bodies = join_pdfs(given["parts"][1:], given["owners"][1:], given["drop_last"][1:])
    assert join_pdfs(given["parts"][1:], given["owners"][1:], given["drop_last"][1:]) == bodies
    path = tmp_path / "bodies.pdf"
    path.write_bytes(bodies)
    names = [font for font, _kind, _object in listed_fonts(path) if font.endswith("+Charis-SIL")]
    assert len(names) == 2 and names[0] != names[1]
    programs = listed_programs(path)
    assert len({font.split("+")[0] for font in programs}) == len(programs) == 4  # roman twice, bold, italic
    assert all(len(objects) == 1 for objects in programs.values()), programs
    assert programs[names[0]] != programs[names[1]]


@pytest.mark.parametrize("essay_parts", [THREE_PARTS], indirect=True)
def test_a_font_of_the_same_name_with_other_outlines_is_not_drawn_from_the_others_program(essay_parts, tmp_path):
    import pikepdf

    from pipeline.writers.pdf.join import join_pdfs

    _document, _paths, given = essay_parts
    # The first body part's bold renamed as the roman: its glyphs are among the second part's roman's.
    with pikepdf.open(io.BytesIO(given["parts"][1])) as pdf:
        fonts = {str(descriptor.FontName).split("+")[1]: (font, descriptor) for _key, font, descriptor, _cids
                 in subset_fonts(pdf)}
        roman = fonts["Charis-SIL"][0].BaseFont
        bold, descriptor = fonts["Charis-SIL-Bold"]
        bold.BaseFont = bold.DescendantFonts[0].BaseFont = descriptor.FontName = roman
        renamed = io.BytesIO()
        pdf.save(renamed)
    (tmp_path / "renamed.pdf").write_bytes(renamed.getvalue())
    path = tmp_path / "bodies.pdf"
    path.write_bytes(join_pdfs([renamed.getvalue(), given["parts"][2]], given["owners"][1:], given["drop_last"][1:]))
    programs = listed_programs(path)
    assert all(len(objects) == 1 for objects in programs.values()), programs
    assert len(programs) == 5  # the roman of each part, the bold renamed, the bold, the italic
    pages = rendered_pages(tmp_path / "renamed.pdf", tmp_path / "renamed")[:-1]
    assert rendered_pages(path, tmp_path / "joined")[:len(pages)] == pages
