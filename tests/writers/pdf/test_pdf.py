"""The PDF edition, read back with poppler (pdftotext, pdffonts) and pypdf rather than compared to snapshots."""

from __future__ import annotations

import copy
import re
import subprocess
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest
from pypdf import PdfReader

from pipeline.ast import stringify, walk_blocks
from tests.conftest import ESSAY, FIXTURE_SOURCES, FIXTURES
from tests.pagelines import (
    body_lines,
    head_line,
    hyphen_ladders,
    hyphenated_last_words,
    read_pages,
    runs_of_text,
)

EPOCH = "1722384000"  # 2024-07-31T00:00:00Z
A5 = (419.53, 595.28)  # points
MM = 72 / 25.4
TOP, BOTTOM = 18 * MM, 19 * MM  # the A5 page's top and bottom margins: running heads and folios sit in them


# Reading a PDF back ---------------------------------------------------------------------------

def pdf_text(path: Path, raw: bool = False) -> str:
    """pdftotext's text of `path`; `raw` keeps the drawing order and every typed hyphen at a line end.

    (Without -raw, pdftotext joins `common-` + `sense` into `commonsense`, losing the author's hyphen.)
    """
    return subprocess.run(["pdftotext", "-enc", "UTF-8", *(["-raw"] if raw else []), str(path), "-"],
                          capture_output=True, text=True, check=True).stdout


def page_texts(path: Path, raw: bool = False) -> list[str]:
    """The text of each page, in order (pdftotext separates pages with a form feed)."""
    return pdf_text(path, raw).split("\f")[:-1]


def words_of(text: str) -> list[str]:
    """Words as printed, with hyphenation at line ends undone (U+2010 is the hyphen Pyphen inserts)."""
    text = re.sub("\u2010\\s*\n", "", text)
    text = re.sub(r"(?<=\w)-\n(?=\w)", "-", text)  # a hyphen typed by the author, at a line end
    return text.split()


def reading_words(text: str) -> list[str]:
    """The words of the text itself: without the addresses printed after links.

    The address is printed between a link's text and the punctuation after it (`MicroDiT (https://…).`),
    so it is taken out before words are split; the printed addresses have a test of their own.
    """
    text = re.sub(r" ?\(https?://[^)]*\)", "", text)
    return words_of(text)


def word_boxes(path: Path) -> list[list[tuple[str, float, float, float, float]]]:
    """Each page's words with their boxes (xMin, yMin, xMax, yMax) in points, from pdftotext -bbox."""
    html = subprocess.run(["pdftotext", "-bbox", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout
    html = html[html.index("<body>"):html.index("</body>") + 7]
    pages = []
    for page in ElementTree.fromstring(html).iter("page"):
        pages.append([(word.text or "", *(float(word.get(k)) for k in ("xMin", "yMin", "xMax", "yMax")))
                      for word in page.iter("word")])
    return pages


def source_words(document) -> list[str]:
    """Every word a reader sees in the source, in order: metadata, then blocks (notes and image alt aside)."""
    words = [word for text in (document.meta.title, document.meta.subtitle, *document.meta.authors,
                               document.meta.date) for word in text.split()]
    for block in walk_blocks(_without(copy.deepcopy(document.blocks), ("Note", "Image"))):
        if block.get("t") in ("Para", "Plain", "Header", "CodeBlock"):  # table cells and captions too
            words += stringify(block).split()
    return words


def _without(node, kinds):
    if isinstance(node, list):
        return [_without(child, kinds) for child in node
                if not (isinstance(child, dict) and child.get("t") in kinds)]
    if isinstance(node, dict):
        return {key: _without(value, kinds) for key, value in node.items()}
    return node


def _table_rows(table):
    _attr, _caption, _specs, head, bodies, foot = table["c"]
    rows = list(head[1]) + [row for body in bodies for row in body[2] + body[3]] + list(foot[1])
    return [[cell[4] for cell in cells] for _attr, cells in rows]


def missing_in_order(expected: list[str], printed: list[str], lookahead: int = 400) -> list[str]:
    """Expected words not found in order in `printed` (extra printed words, e.g. running heads, are fine)."""
    missing, position = [], 0
    for word in expected:
        window = printed[position:position + lookahead]
        # A footnote call prints its number right after the word that calls it (`footnote.1`).
        found = [index for index, token in enumerate(window)
                 if token == word or (token.startswith(word) and token[len(word):].isdigit())]
        if found:
            position += found[0] + 1
        else:
            missing.append(f"{word!r} after {' '.join(printed[max(position - 6, 0):position])!r}")
    return missing


def outline_entries(reader: PdfReader, items=None, depth: int = 1) -> list[tuple[int, str, int]]:
    """The bookmarks as (depth, title, 1-based page), in order."""
    entries = []
    for item in reader.outline if items is None else items:
        if isinstance(item, list):
            entries += outline_entries(reader, item, depth + 1)
        else:
            entries.append((depth, item.title, reader.get_destination_page_number(item) + 1))
    return entries


def annotations(reader: PdfReader) -> list[tuple[int, dict]]:
    """Every link annotation as (1-based page, annotation)."""
    found = []
    for number, page in enumerate(reader.pages, start=1):
        for annotation in page.get("/Annots", []) or []:
            found.append((number, annotation.get_object()))
    return found


def first_body_words(document, count: int = 4) -> str:
    """The first words of the essay's body (after the title page's), to find the page it starts on."""
    meta = document.meta
    title_page = " ".join((meta.title, meta.subtitle, *meta.authors, meta.date)).split()
    return " ".join(source_words(document)[len(title_page):][:count])


def section_openings(document, pages) -> list[tuple[tuple[int, float], str]]:
    """Where each section (level-1 heading) is printed: ((page, top of its line), its text), in order."""
    headings = [heading.text for heading in document.outline() if heading.level == 1]
    lines = [line for page in pages for line in body_lines(page, TOP, BOTTOM)]
    body_height = sorted(line.height for line in lines)[len(lines) // 2]
    openings, position = [], 0
    for text in headings:
        position = next(index for index in range(position, len(lines))
                        if lines[index].height > body_height + 1 and text.startswith(lines[index].text))
        openings.append(((lines[position].page, lines[position].y0), text))
    return openings


# Rendering once ---------------------------------------------------------------------------------

def render_source(path: Path, tmp: Path, name: str | None = None, **environment: str) -> tuple[object, Path]:
    """Read `path` as a build does (with `environment` set) and write its PDF into `tmp`."""
    from pipeline.build import prepare
    from pipeline.writers.pdf import book as pdf

    with pytest.MonkeyPatch.context() as patch:
        for key, value in environment.items():
            patch.setenv(key, value)
        document = prepare(path)
    output = tmp / f"{name or path.stem}.pdf"
    output.write_bytes(pdf.render(document))
    return document, output


@pytest.fixture(scope="session")
def essay_pdf(tmp_path_factory):
    """The essay's document and PDF, rendered once per session (a render takes a few seconds)."""
    return render_source(ESSAY, tmp_path_factory.mktemp("essay-pdf"), SOURCE_DATE_EPOCH=EPOCH)


@pytest.fixture(scope="session")
def fixture_pdfs(tmp_path_factory):
    """Every fixture's document and PDF, rendered on first use."""
    folder = tmp_path_factory.mktemp("fixture-pdfs")
    cache: dict[str, tuple] = {}

    def get(name: str):
        if name not in cache:
            cache[name] = render_source(FIXTURES / name, folder, SOURCE_DATE_EPOCH=EPOCH)
        return cache[name]
    return get


# Voice: every word, in its case and order -------------------------------------------------------

def test_every_word_of_the_essay_comes_back_in_case_and_order(essay_pdf):
    document, path = essay_pdf
    expected = source_words(document)
    assert len(expected) > 5000
    assert missing_in_order(expected, reading_words(pdf_text(path, raw=True))) == []


@pytest.mark.parametrize("source", FIXTURE_SOURCES, ids=lambda path: path.stem)
def test_every_word_of_each_fixture_comes_back(source, fixture_pdfs):
    document, path = fixture_pdfs(source.name)
    assert missing_in_order(source_words(document), reading_words(pdf_text(path, raw=True))) == []


def test_the_authors_marks_stay_literal(essay_pdf, fixture_pdfs):
    printed = reading_words(pdf_text(essay_pdf[1], raw=True))
    for word in ("*generated", "**images,", "just,,", "gpt·4-tier)", "æsthetically", "×", "co₂", "pfp·s",
                 "anymore--", "...granted", '"ai"'):
        assert word in printed, word
    assert printed.count("*") >= 1 and "**" in printed  # the note marks begin their notes
    kitchen = pdf_text(fixture_pdfs("kitchen-sink.md")[1])
    assert "-- and ... kept." in kitchen and 'print("code stays as typed")' in kitchen


def test_generated_labels_add_no_capital_letters(essay_pdf, fixture_pdfs):
    for document, path in (essay_pdf, fixture_pdfs("kitchen-sink.md"), fixture_pdfs("footnotes.md")):
        source = set(source_words(document))
        capitalised = {word for word in reading_words(pdf_text(path, raw=True)) if any(c.isupper() for c in word)}
        # Printed URLs may carry capitals of their own (huggingface.co/Mitsua/…); they are the source's too.
        capitalised = {word for word in capitalised if "://" not in word and "/" not in word}
        assert capitalised <= source, capitalised - source


# Page design ------------------------------------------------------------------------------------

def test_title_page_has_title_date_and_no_running_head_or_number(essay_pdf, fixture_pdfs):
    document, path = essay_pdf
    assert page_texts(path)[0].split() == f"{document.meta.title} {document.meta.date}".split()
    kitchen = fixture_pdfs("kitchen-sink.md")[1]
    title_page = " ".join(page_texts(kitchen)[0].split())
    assert title_page == "a kitchen sink of everything for every edition at once 2024-07-31"


def test_authors_appear_on_the_title_page_and_in_metadata(tmp_path):
    source = tmp_path / "by.md"
    source.write_text("---\ntitle: with an author\nauthor: [sam q. writer, another one]\nlang: en\n---\n\n"
                      "# one\n\ntext.\n", encoding="utf-8")
    _document, path = render_source(source, tmp_path)
    assert "sam q. writer" in page_texts(path)[0] and "another one" in page_texts(path)[0]
    assert PdfReader(path).metadata["/Author"] == "sam q. writer, another one"


def contents_lines(text: str) -> dict[str, int]:
    """The contents entries on one page's text (pdftotext, raw order): each entry's text and the number after it."""
    entries = {}
    for line in text.splitlines():
        match = re.match(r"(.+?)\s+(\d+)$", line.strip())
        if match:
            entries[match.group(1).strip()] = int(match.group(2))
    return entries


def test_contents_is_labelled_in_lowercase_and_links_to_the_page_of_each_section(essay_pdf):
    document, path = essay_pdf
    reader = PdfReader(path)
    pages = page_texts(path, raw=True)  # in drawing order: each entry, then its page number
    sections = [heading for heading in document.outline() if heading.level <= 2]
    destinations = {name: reader.get_destination_page_number(dest) + 1
                    for name, dest in reader.named_destinations.items()}
    label_page = next(number for number, text in enumerate(pages, 1) if "contents" in text.split())
    contents_pages = range(label_page, destinations[sections[0].identifier])
    assert "Contents" not in pdf_text(path)
    printed = {entry: page for number in contents_pages for entry, page in contents_lines(pages[number - 1]).items()}
    assert set(printed) == {heading.text for heading in sections}
    for heading in sections:
        assert printed[heading.text] == destinations[heading.identifier], heading.text
        assert heading.text in " ".join(words_of(pages[printed[heading.text] - 1])), heading.text
    internal = {annotation["/Dest"] for page, annotation in annotations(reader)
                if page in contents_pages and "/Dest" in annotation}
    assert internal == {heading.identifier for heading in sections}


def test_each_contents_page_number_is_inside_its_entrys_link(essay_pdf):
    _document, path = essay_pdf
    reader = PdfReader(path)
    boxes = word_boxes(path)
    label_page = next(number for number, words in enumerate(boxes, 1) if "contents" in [w[0] for w in words])
    links = [(page, [float(v) for v in annotation["/Rect"]]) for page, annotation in annotations(reader)
             if page in (label_page, label_page + 1) and "/Dest" in annotation]
    numbers = 0
    for page in (label_page, label_page + 1):
        height = float(reader.pages[page - 1].mediabox.height)
        right_edge = max(w[3] for w in boxes[page - 1])
        for text, x_min, y_min, x_max, y_max in boxes[page - 1]:
            if not text.isdigit() or x_max < right_edge - 1 or y_max > height - 40:
                continue  # not a page number in the contents' right column (the folio is lower down)
            numbers += 1
            assert any(page == link_page and min(r[0], r[2]) - 0.5 <= x_min and x_max <= max(r[0], r[2]) + 0.5
                       and min(r[1], r[3]) <= height - (y_min + y_max) / 2 <= max(r[1], r[3])
                       for link_page, r in links), (page, text)
    assert numbers >= 30


def test_running_heads_show_the_title_on_left_pages_and_the_section_in_effect_at_the_top_on_right_ones(
        essay_pdf, fixture_pdfs):
    for document, path in (essay_pdf, fixture_pdfs("sections.md")):
        pages = read_pages(path)
        first_essay_page = next(number for number, text in enumerate(page_texts(path), start=1)
                                if number > 2 and first_body_words(document) in " ".join(text.split()))
        openings = section_openings(document, pages)
        for page in pages[first_essay_page - 1:]:
            head = head_line(page, TOP)
            if not body_lines(page, TOP, BOTTOM):
                continue  # a blank page left so the next part starts on a right-hand page
            if page.number == first_essay_page:
                assert head == "", page.number  # the opening page has none, as a book's chapter opening
                continue
            if page.number % 2 == 0:
                assert head == document.meta.title, page.number
                continue
            top_line = body_lines(page, TOP, BOTTOM)[0]
            in_effect = [text for (number, y0), text in openings if (number, y0) <= (page.number, top_line.y0)]
            assert head == (in_effect[-1] if in_effect else document.meta.title), page.number


def test_inside_margin_is_wider_on_the_binding_side(fixture_pdfs):
    path = fixture_pdfs("kitchen-sink.md")[1]
    boxes = word_boxes(path)
    right_page, left_page = boxes[4], boxes[5]  # pages 5 and 6
    right_margin_left = min(x for _w, x, _y, _x2, _y2 in right_page)
    left_margin_left = min(x for _w, x, _y, _x2, _y2 in left_page)
    assert right_margin_left == pytest.approx(56.7, abs=1.5)  # 20 mm inside margin, bound on the left
    assert left_margin_left == pytest.approx(42.5, abs=1.5)  # 15 mm outside margin


@pytest.mark.parametrize(("paper", "size"), [("a4", (595.28, 841.89)), ("letter", (612.0, 792.0))])
def test_paper_setting_sets_the_page_size(paper, size, tmp_path):
    from pipeline.build import prepare
    from pipeline.writers.pdf import book as pdf

    document = prepare(FIXTURES / "sections.md", {"paper": paper})
    path = tmp_path / f"{paper}.pdf"
    path.write_bytes(pdf.render(document))
    box = PdfReader(path).pages[0].mediabox
    assert (float(box.width), float(box.height)) == pytest.approx(size, abs=0.5)


def test_a5_is_the_default_page_size(essay_pdf):
    box = PdfReader(essay_pdf[1]).pages[0].mediabox
    assert (float(box.width), float(box.height)) == pytest.approx(A5, abs=0.5)


def test_nothing_runs_past_the_margin(essay_pdf, tmp_path):
    long_url = "https://example.org/" + "a-very-long-path-segment/" * 8
    source = tmp_path / "long.md"
    source.write_text(f"---\ntitle: long things\nlang: en\n---\n\n# long\n\n"
                      f"a [link]({long_url}) and <{long_url}> and `{'x' * 90}` and "
                      f"{'pneumonoultramicroscopicsilicovolcanoconiosis' * 3}.\n", encoding="utf-8")
    _document, long_pdf = render_source(source, tmp_path)
    for path in (essay_pdf[1], long_pdf):
        width = float(PdfReader(path).pages[0].mediabox.width)
        for number, page in enumerate(word_boxes(path), start=1):
            right_edge = max((x2 for _w, _x, _y, x2, _y2 in page), default=0)
            outer = 15 if number % 2 else 20  # mm: right pages have the outside margin on the right
            assert right_edge <= width - outer * 72 / 25.4 + 1, (path.name, number)


def test_hyphenation_follows_the_document_language(essay_pdf):
    assert "\u2010\n" in pdf_text(essay_pdf[1])


# Lists, disclaimers, notes --------------------------------------------------------------------

def test_lists_indent_with_depth_and_mark_each_depth_differently(fixture_pdfs):
    path = fixture_pdfs("nested-lists.md")[1]
    words = [word for page in word_boxes(path) for word in page]
    starts, markers = [], []
    for index, (word, x, _y, _x2, _y2) in enumerate(words):
        if word == "level" and index > 0:
            starts.append(x)
            markers.append(words[index - 1][0])
    assert len(starts) == 6
    assert starts == sorted(starts) and len(set(starts)) == 6
    assert len(set(markers)) == 6 and "*" not in markers


def test_disclaimers_keep_their_brackets_and_are_set_apart(fixture_pdfs):
    document, path = fixture_pdfs("disclaimers.md")
    text = " ".join(pdf_text(path).split())
    for line in ("[disclaimer: i am not a lawyer, this is just my best guess]",
                 "[update: giovanh's writeup about this is much more in-depth go read it]",
                 "[note: this paragraph is a note]", "[this is a work in progress]",
                 "[make money / get noticed / feel useful] is not a disclaimer."):
        assert line in text
    words = [word for page in word_boxes(path)[4:] for word in page]
    disclaimer_x = next(x for word, x, *_ in words if word == "[disclaimer:")
    plain_x = next(x for word, x, *_ in words if word == "[make")
    assert disclaimer_x > plain_x + 5  # indented inside its rule and tint


def test_footnotes_sit_at_the_foot_of_the_page_that_cites_them(fixture_pdfs):
    for name, call, note in (("footnotes.md", "a sentence with a footnote.", "the first note, in lowercase."),
                             ("footnotes.md", "and another one,, later.", "the second note links to"),
                             ("kitchen-sink.md", "a footnote here.", "the note text.")):
        path = fixture_pdfs(name)[1]
        pages = [" ".join(text.split()) for text in page_texts(path)]
        call_page = next(number for number, text in enumerate(pages) if call in text)
        note_page = next(number for number, text in enumerate(pages) if note in text)
        assert call_page == note_page, (name, note)
        boxes = word_boxes(path)[note_page]
        height = float(PdfReader(path).pages[note_page].mediabox.height)
        words = [word for word, *_ in boxes]
        first = next(i for i in range(len(words)) if words[i:i + len(note.split())] == note.split())
        note_y = boxes[first][2]
        assert note_y > height * 0.75, (name, note)  # at the page foot, not as endnotes
    once = " ".join(pdf_text(fixture_pdfs("footnotes.md")[1]).split())
    assert once.count("the first note, in lowercase.") == 1  # not repeated as endnotes


def test_external_links_are_live_and_printed_for_paper_readers(fixture_pdfs):
    document, path = fixture_pdfs("footnotes.md")
    reader = PdfReader(path)
    uris = {annotation["/A"]["/URI"] for _page, annotation in annotations(reader) if "/A" in annotation}
    expected = {"https://arxiv.org/abs/2310.16825", "https://arxiv.org/abs/2405.11804",
                "https://arxiv.org/abs/2407.15811", "https://huggingface.co/Mitsua/mitsua-diffusion-one"}
    assert uris == expected
    squeezed = "".join(pdf_text(path).split())
    for uri in expected:
        assert f"({uri})" in squeezed


def test_bookmarks_follow_sections_and_subsections_in_source_case(essay_pdf, fixture_pdfs):
    document, path = essay_pdf
    reader = PdfReader(path)
    entries = outline_entries(reader)
    assert [(depth, title) for depth, title, _page in entries] == \
        [(heading.level, heading.text) for heading in document.outline()]
    pages = page_texts(path)
    for _depth, title, page in entries:
        assert " ".join(title.split()) in " ".join(pages[page - 1].split()), title
    sections = outline_entries(PdfReader(fixture_pdfs("sections.md")[1]))
    assert [(depth, title) for depth, title, _page in sections] == [
        (1, "first section"), (2, "same name"), (1, "kindred spirits"), (1, "second section"), (2, "same name")]


# Fonts, metadata, tagging, images, reproducibility ----------------------------------------------

def fonts_of(path: Path) -> list[list[str]]:
    """pdffonts rows: name, type…, emb, sub, uni, object id."""
    lines = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    return [line.split() for line in lines.splitlines()[2:] if line.strip()]


def test_every_font_is_embedded_charis_for_text_dejavu_mono_for_code(essay_pdf, fixture_pdfs):
    for path, families in ((essay_pdf[1], {"Charis-SIL"}),
                           (fixture_pdfs("kitchen-sink.md")[1], {"Charis-SIL", "DejaVu-Sans-Mono"})):
        rows = fonts_of(path)
        assert rows and all(row[-5] == "yes" for row in rows), rows  # the emb column
        names = {row[0].split("+", 1)[1] for row in rows}
        assert {name.split("-Bold")[0].split("-Italic")[0] for name in names} == families, names


def test_metadata_title_language_dates_and_no_invented_author(essay_pdf):
    document, path = essay_pdf
    reader = PdfReader(path)
    info = reader.metadata
    assert info["/Title"] == document.meta.title == "my thoughts on generated images"
    assert "/Author" not in info
    assert info["/CreationDate"] == info["/ModDate"] == "D:20240731000000Z"
    root = reader.trailer["/Root"]
    assert root["/Lang"] == "en"


def test_pdf_is_tagged_and_the_image_keeps_its_alt_text(fixture_pdfs):
    document, path = fixture_pdfs("table-image.md")
    reader = PdfReader(path)
    root = reader.trailer["/Root"]
    assert root["/MarkInfo"]["/Marked"] and "/StructTreeRoot" in root
    alts = []

    def visit(node):
        node = node.get_object()
        if isinstance(node, dict):
            if node.get("/S") == "/Figure":
                alts.append(node.get("/Alt"))
            kids = node.get("/K")
            for kid in kids if isinstance(kids, list) else ([kids] if kids is not None else []):
                visit(kid)
    visit(root["/StructTreeRoot"])
    assert alts == ["a small brown square, generated"]
    images = [name for page in reader.pages for name in page["/Resources"].get("/XObject", {})]
    assert images, "the image from the source folder is placed"


def test_rebuild_with_source_date_epoch_is_byte_identical(essay_pdf, tmp_path):
    _document, again = render_source(ESSAY, tmp_path, SOURCE_DATE_EPOCH=EPOCH)
    assert again.read_bytes() == essay_pdf[1].read_bytes()


def test_a_note_called_in_a_heading_stays_out_of_bookmarks_and_running_heads(tmp_path):
    source = tmp_path / "heading-note.md"
    source.write_text("---\ntitle: heading notes\nlang: en\n---\n\n# a heading with a note[^1]\n\n"
                      + "text here.\n\n" * 70 + "[^1]: the note in the heading.\n", encoding="utf-8")
    _document, path = render_source(source, tmp_path)
    assert [title for _depth, title, _page in outline_entries(PdfReader(path))] == ["a heading with a note"]
    texts = page_texts(path)
    assert "the note in the heading." in texts[4]  # the opening page, which has no running head
    assert texts[6].splitlines()[0].strip() == "a heading with a note"  # page 7's running head


def test_cached_page_references_follow_pages_added_after_a_read():
    import pydyf

    from pipeline.writers.pdf.engine.page_references import _cached_page_references

    pdf = pydyf.PDF()
    for _ in range(3):
        pdf.add_page(pydyf.Dictionary({"Type": "/Page"}))
    first = _cached_page_references(pdf)
    pdf.add_page(pydyf.Dictionary({"Type": "/Page"}))
    expected = tuple(f"{number} 0 R".encode("ascii") for number in pdf.pages["Kids"][::3])
    assert len(first) == 3 and _cached_page_references(pdf) == expected and len(expected) == 4


def test_warm_up_loads_the_default_languages_hyphenation_patterns_and_speeds_up_pydyf():
    import pydyf
    import pyphen

    from pipeline.document import DEFAULT_LANG
    from pipeline.writers.pdf.book import warm_up
    from pipeline.writers.pdf.engine.page_references import _cached_page_references

    patterns = pyphen.LANGUAGES[pyphen.language_fallback(DEFAULT_LANG)]
    pyphen.hdcache.pop(patterns, None)
    assert list(warm_up()) == [None, None]  # three stages: the build may stop it after the first or second
    assert patterns in pyphen.hdcache  # what WeasyPrint's first hyphenated line would otherwise parse
    pyphen.hdcache.pop(patterns)
    list(warm_up())  # a later process: the patterns come from the data the first use kept in the cache folder
    # (pipeline/writers/pdf/engine/hyphenation.py): lists where Pyphen's own parse has tuples
    assert all(isinstance(pattern, list) for pattern in pyphen.hdcache[patterns].patterns.values())
    assert pydyf.PDF.page_references.fget is _cached_page_references


def test_ordered_lists_print_the_markers_the_source_wrote(fixture_pdfs):
    _document, path = fixture_pdfs("ordered-lists.md")
    printed = pdf_text(path, raw=True).split()
    markers = ["3.", "4.", "a)", "b)", "(iv)", "(v)", "i.", "ii.", "IV.", "V.", "A.", "B."]
    assert missing_in_order(markers, printed) == []
    assert "1." not in printed and "c." not in printed


# The page, as a book designer would set it ---------------------------------------------------------

TYPESET = ("kitchen-sink.md", "footnotes.md", "nested-lists.md", "disclaimers.md", "asterisk-notes.md")


def test_no_paragraph_ends_with_the_tail_of_a_hyphenated_word(essay_pdf, fixture_pdfs):
    for path in (essay_pdf[1], *(fixture_pdfs(name)[1] for name in TYPESET)):
        assert hyphenated_last_words(runs_of_text(read_pages(path), TOP, BOTTOM)) == [], path.name


def test_no_more_than_two_hyphenated_lines_in_a_row(essay_pdf, fixture_pdfs):
    for path in (essay_pdf[1], *(fixture_pdfs(name)[1] for name in TYPESET)):
        assert hyphen_ladders(runs_of_text(read_pages(path), TOP, BOTTOM), longest=2) == [], path.name


def test_text_is_set_ragged_right_with_even_word_spaces(essay_pdf):
    # Justified on the A5 measure, WeasyPrint stretched some spaces to 2.3 times the usual width.
    lines = [line for run in runs_of_text(read_pages(essay_pdf[1]), TOP, BOTTOM) for line in run]
    # Spaces relative to the line's height, after the first word (a list marker is followed by an en space).
    spaces = sorted(space / line.height for line in lines for space in line.spaces[1:])
    usual = spaces[len(spaces) // 2]
    assert len(spaces) > 3000
    assert spaces[-1] <= 1.25 * usual, f"widest space {spaces[-1] / usual:.2f} times the usual"


def test_body_pages_leave_no_more_than_four_empty_lines_at_their_foot(essay_pdf, tmp_path):
    # A long nested list after a lead-in breaks across the page instead of moving whole.
    filler = "\n\n".join(f"paragraph {n} " + "of filler words set to fill the page " * 3 for n in range(9))
    items = "\n".join(f"- item {n} with a line of words\n    - nested {n} with a line of words" for n in range(30))
    source = tmp_path / "long-list.md"
    source.write_text(f"---\ntitle: a long list\nlang: en\n---\n\n# lists\n\n{filler}\n\na lead-in line:\n\n"
                      f"{items}\n\nthe end\n", encoding="utf-8")
    line_pitch = 1.42 * 10  # points: print.css's line height at the A5 type size
    for path in (essay_pdf[1], render_source(source, tmp_path)[1]):
        reader = PdfReader(path)
        first = reader.get_destination_page_number(reader.outline[0]) + 1
        pages = read_pages(path)
        for page in pages[first - 1:-1]:
            lines = body_lines(page, TOP, BOTTOM)
            empty = page.height - BOTTOM - max(line.y1 for line in lines)
            assert empty <= 4 * line_pitch, (path.name, page.number, round(empty))


def test_the_title_is_set_in_balanced_lines(essay_pdf, tmp_path):
    source = tmp_path / "long-title.md"
    source.write_text("---\ntitle: a rather long title that will need three lines to set on the title page "
                      "of an a5 book\nlang: en\n---\n\nsome text\n", encoding="utf-8")
    for path in (essay_pdf[1], render_source(source, tmp_path)[1]):
        page = read_pages(path)[0]
        size = max(line.height for line in page.lines)
        widths = [line.x1 - line.x0 for line in page.lines if line.height > size - 1]
        assert len(widths) >= 2, path.name
        assert min(widths) >= 0.6 * max(widths), (path.name, [round(width) for width in widths])


# Shapes a reader could take for one another; list markers of two depths must not share one.
MARKER_SHAPES = [set("•·∙●"), set("–—-‐−⁃"), set("‣›▸▹>→"), set("◊◇♢⋄"), set("+±"), set("×x")]


# Shapes a reader could take for one another; list markers of two depths must not share one.
MARKER_SHAPES = [set("•·∙●"), set("–—-‐−⁃"), set("‣›▸▹>→"), set("◊◇♢⋄"), set("+±"), set("×x")]


def test_each_list_depth_has_a_marker_of_its_own_shape(fixture_pdfs):
    path = fixture_pdfs("nested-lists.md")[1]
    lines = [line for page in read_pages(path) for line in page.lines if "level" in line.words[1:2]]
    markers = [line.words[0] for line in lines][:6]
    assert len(markers) == 6
    shapes = [next((index for index, shape in enumerate(MARKER_SHAPES) if marker in shape), marker)
              for marker in markers]
    assert len(set(shapes)) == 6, markers
