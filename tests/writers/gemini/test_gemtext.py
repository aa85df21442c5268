"""The gemtext page, read back with trimgmi (an independent parser) and by the spec's line rules."""

from __future__ import annotations

import re
from collections import Counter

import pytest
from conftest import ESSAY, FIXTURE_DISCLAIMERS, FIXTURE_SOURCES, document_from_text, read_fixture
from trimgmi import Document as GemtextDocument
from trimgmi import LineType

from pipeline.ast import Node, child_block_lists, stringify, walk_blocks
from pipeline.writers.gemini.gemtext import DEPTH_MARK, ESCAPE, render_gemtext
from pipeline.writers.shared.gemtext_marks import gemtext_list_item as list_item_depth

# The documented round trip: bullet, one "↳ " per level below the first, an optional escape, the text.
LIST_LINE = re.compile(rf"^\* ((?:{DEPTH_MARK} )*){ESCAPE}?(.*)$")
TEXT_TYPES = (LineType.REGULAR, LineType.LIST_ITEM, LineType.QUOTE, LineType.HEADING1, LineType.HEADING2,
              LineType.HEADING3)


def parsed(gemtext: str) -> list:
    """The page's lines as trimgmi types them."""
    document = GemtextDocument()
    for line in gemtext.split("\n")[:-1]:
        document.append(line)
    return list(document.emit_line_objects(auto_tidy=False))


def visible(text: str) -> str:
    """What a reader sees: the text without its invisible escape."""
    return text.removeprefix(ESCAPE)


def recovered_items(gemtext: str) -> list[tuple[int, str]]:
    """(depth, text) of every list item, recovered from the page by the documented rule."""
    items = []
    for line in gemtext.splitlines():
        match = LIST_LINE.match(line)
        if match:
            items.append((len(match.group(1)) // 2 + 1, match.group(2)))
    return items


def ast_items(blocks: list[Node], depth: int = 0) -> list[tuple[int, str]]:
    """(depth, first paragraph) of every list item in the AST."""
    items = []
    for block in blocks:
        if block.get("t") in ("BulletList", "OrderedList"):
            for item in block["c"] if block["t"] == "BulletList" else block["c"][1]:
                first = item[0] if item and item[0].get("t") in ("Para", "Plain") else None
                items.append((depth + 1, " ".join(stringify(first).split()) if first else ""))
                items += ast_items(item, depth + 1)
        else:
            for children in child_block_lists(block):
                items += ast_items(children, depth)
    return items


def page_words(gemtext: str) -> Counter:
    """Every word a reader sees: text, list, quote and heading lines and link labels."""
    words: Counter = Counter()
    for line in parsed(gemtext):
        text = line.text
        if line.type == LineType.LIST_ITEM:
            text = LIST_LINE.match("* " + text).group(2)
        if line.type in TEXT_TYPES or line.type == LineType.LINK:
            words.update(re.sub(r"\[\d+\]", " ", visible(text)).split())  # footnote markers are added
    return words


def source_words(document) -> Counter:
    """Every word of the AST's paragraphs and headings, as pandoc read it, outside tables (gemtext sets
    them preformatted, which page_words leaves out) and figure captions (they repeat the image's alt text)."""
    words: Counter = Counter()

    def visit(blocks: list[Node]) -> None:
        for block in blocks:
            if block.get("t") in ("Para", "Plain", "Header"):
                words.update(stringify(block).split())
            if block.get("t") == "Figure":
                visit(block["c"][2])
            elif block.get("t") != "Table":
                for children in child_block_lists(block):
                    visit(children)
    visit(document.blocks)
    return words


@pytest.fixture(scope="module")
def essay_document():
    return read_fixture(str(ESSAY))


@pytest.fixture(scope="module")
def essay_page(essay_document):
    return render_gemtext(essay_document)


def test_every_word_of_the_essay_survives_in_its_case(essay_document, essay_page):
    missing = source_words(essay_document) - page_words(essay_page)
    assert not missing
    added = set(page_words(essay_page)) - set(source_words(essay_document))
    assert added <= set(essay_document.meta.title.split()) | {essay_document.meta.date}
    assert "Just Worked" in essay_page and "back to One" not in essay_page  # capitals kept, none invented


@pytest.mark.parametrize("source", FIXTURE_SOURCES, ids=lambda path: path.name)
def test_fixtures_keep_every_word_and_every_url(source):
    document = read_fixture(source.name)
    page = render_gemtext(document)
    assert not source_words(document) - page_words(page)
    targets = {line.extra for line in parsed(page) if line.type == LineType.LINK}
    urls = set(re.findall(r"\]\((https?://[^)\s]+)\)", source.read_text(encoding="utf-8")))
    assert urls <= targets
    assert {resource.name for resource in document.resources} <= targets


def test_every_link_of_the_essay_is_a_link_line_after_its_paragraph(essay_document, essay_page):
    lines = parsed(essay_page)
    targets = [line.extra for line in lines if line.type == LineType.LINK]
    links = [node for block in walk_blocks(essay_document.blocks) for node in _inlines(block) if node["t"] == "Link"]
    assert len(links) == 4
    for link in links:
        url, label = link["c"][2][0], stringify(link["c"][1])
        assert url in targets
        index = next(i for i, line in enumerate(lines) if line.type == LineType.LINK and line.extra == url)
        owner = next(line for line in reversed(lines[:index]) if line.type != LineType.LINK)
        assert label in owner.text and lines[index].text == label


def _inlines(block: Node) -> list[Node]:
    found: list[Node] = []

    def collect(nodes):
        for node in nodes:
            found.append(node)
            if node.get("t") in ("Emph", "Strong", "Span", "Link"):
                collect(node["c"][-1] if node["t"] == "Span" else node["c"][1] if node["t"] == "Link" else node["c"])
    collect(block["c"] if block.get("t") in ("Para", "Plain") else [])
    return found


def test_each_paragraph_of_the_essay_is_one_text_line(essay_document, essay_page):
    # Disclaimers are quote lines; a continuation paragraph is indented under its item.
    regular = [visible(line.text).lstrip(" ") for line in parsed(essay_page)
               if line.type in (LineType.REGULAR, LineType.QUOTE)]
    first_blocks = {id(item[0]) for block in walk_blocks(essay_document.blocks)
                    if block.get("t") == "BulletList" for item in block["c"]}
    paragraphs = [" ".join(stringify(block).split()) for block in walk_blocks(essay_document.blocks)
                  if block.get("t") in ("Para", "Plain") and id(block) not in first_blocks]
    assert sorted(regular) == sorted(paragraphs + [essay_document.meta.date])


def test_nested_list_depth_survives_gemtext():
    document = read_fixture("nested-lists.md")
    items = recovered_items(render_gemtext(document))
    expected = ast_items(document.blocks)
    assert [depth for depth, _ in items] == [depth for depth, _ in expected]
    assert max(depth for depth, _ in items) == 6
    for (_, text), (_, source) in zip(items, expected, strict=True):
        assert text.endswith(source)


def test_the_essays_list_depths_survive_gemtext(essay_document, essay_page):
    items = recovered_items(essay_page)
    expected = ast_items(essay_document.blocks)
    assert [(depth, text) for depth, text in items] == expected
    assert max(depth for depth, _ in items) == 4  # the fair-use list
    assert "* ↳ ↳ ↳ is 40 bytes copyrightable?" in essay_page.splitlines()


def test_item_text_starting_with_the_depth_mark_is_not_read_as_depth(tmp_path):
    markdown = ("---\ntitle: arrows\n---\n\n- ↳ an arrow the author typed\n    - ↳↳ two more\n"
                f"- {ESCAPE}starts invisible\n")
    document = document_from_text(tmp_path, markdown)
    items = recovered_items(render_gemtext(document))
    assert items == [(1, "↳ an arrow the author typed"), (2, "↳↳ two more"), (1, f"{ESCAPE}starts invisible")]
    assert items == ast_items(document.blocks)
    lines = [line for line in render_gemtext(document).splitlines() if line.startswith("* ")]
    assert [list_item_depth(line) for line in lines] == items  # chapbook's own reader agrees


MARKUP_LOOKALIKES = {
    "=> not a link": "=> not a link",
    "\\# not a heading": "# not a heading",
    "\\> not a quote": "> not a quote",
    "\\* not a list item": "* not a list item",
    "\\*\\* two stars": "** two stars",
    "\\*no space, lenient clients list it": "*no space, lenient clients list it",
    "\\`\\`\\` not a fence": "``` not a fence",
}


def test_markup_looking_paragraphs_stay_text_lines(tmp_path):
    body = "\n\n".join(MARKUP_LOOKALIKES) + "\n\n- an item\n\n    \\# its continuation\n\n> => quoted arrow\n"
    page = render_gemtext(document_from_text(tmp_path, "---\ntitle: lookalikes\n---\n\n" + body))
    lines = parsed(page)
    for shown in [*MARKUP_LOOKALIKES.values(), "# its continuation"]:
        matches = [line for line in lines if visible(line.text).lstrip(" ") == shown]
        assert [line.type for line in matches] == [LineType.REGULAR], shown
    for raw in page.splitlines():
        if raw.startswith(ESCAPE):  # only before markup-looking text, or a continuation's indent
            assert raw[1:].startswith(("=>", "#", ">", "*", "```", "  "))
    quotes = [visible(line.text) for line in lines if line.type == LineType.QUOTE]
    assert quotes == ["=> quoted arrow"]
    assert LineType.LINK not in {line.type for line in lines}
    assert not any(line.type == LineType.PREFORMAT_START for line in lines)


def test_the_essays_asterisk_notes_stay_text(essay_page):
    lines = essay_page.splitlines()
    first = next(line for line in lines if "i tend to avoid the word \"ai\"" in line)
    second = next(line for line in lines if "i tend to avoid the word \"art\"" in line)
    assert first.startswith(ESCAPE + "* i tend") and second.startswith(ESCAPE + "** i tend")
    assert "*generated **images" in essay_page


def test_title_is_level_one_sections_two_subsections_three_and_deeper_ones_marked(tmp_path):
    markdown = "---\ntitle: t\n---\n\n# One\n\n## two\n\n### three\n\n#### Four\n\n##### five\n"
    page = render_gemtext(document_from_text(tmp_path, markdown))
    headings = [(line.type, line.text) for line in parsed(page) if line.type.name.startswith("HEADING")]
    mark = DEPTH_MARK + " "
    assert headings == [(LineType.HEADING1, "t"), (LineType.HEADING2, "One"), (LineType.HEADING3, "two"),
                        (LineType.HEADING3, mark + "three"), (LineType.HEADING3, mark * 2 + "Four"),
                        (LineType.HEADING3, mark * 3 + "five")]


def test_the_essays_outline_has_its_title_above_its_sections(essay_document, essay_page):
    outline = [(line.type, line.text) for line in parsed(essay_page) if line.type.name.startswith("HEADING")]
    assert outline[0] == (LineType.HEADING1, essay_document.meta.title)
    assert [kind for kind, _ in outline].count(LineType.HEADING1) == 1
    assert {heading.level for heading in essay_document.outline()} == {1, 2}
    assert outline[1:] == [(LineType.HEADING2 if heading.level == 1 else LineType.HEADING3, heading.text)
                           for heading in essay_document.outline()]


def test_a_continuation_paragraph_stays_inside_its_nested_item(essay_page):
    lines = essay_page.splitlines()
    item = lines.index("* ↳ ↳ ↳ is 40 bytes copyrightable?")
    continuation = lines[item + 1]
    assert continuation.startswith(ESCAPE + " " * 8 + "try using the smb1 mario sprite")  # under the item's text
    [line] = [line for line in parsed(essay_page) if "try using the smb1 mario sprite" in line.text]
    assert line.type == LineType.REGULAR and lines[item + 2].startswith("* ↳ ↳ ↳ ")


def test_page_starts_with_title_then_subtitle_and_date_lines():
    page = render_gemtext(read_fixture("kitchen-sink.md"))
    assert page.splitlines()[:4] == ["# a kitchen sink of everything", "", "for every edition at once", "2024-07-31"]
    data = page.encode("utf-8")
    assert b"\r" not in data and data.endswith(b"\n") and not data.endswith(b"\n\n")


def test_ordered_numbers_quotes_code_and_tables_are_kept():
    page = render_gemtext(read_fixture("kitchen-sink.md"))
    lines = page.splitlines()
    assert "* 1. first numbered" in lines and "* 2. second numbered" in lines
    assert "> a quoted line from someone else" in lines
    start = lines.index("```python")
    assert lines[start + 1:start + 3] == ['print("code stays as typed")', "```"]
    table = read_fixture("table-image.md")
    lines = render_gemtext(table).splitlines()
    start = lines.index("```table")
    rows = lines[start + 1:lines.index("```", start + 1)]
    assert rows[0].startswith("model") and set(rows[1]) <= {"-", " "}
    column = rows[0].index("energy")  # aligned: the second column starts at the same place on every row
    assert rows[2].index("8400 kwh") == column and rows[3].index("3.5 t of co₂") == column


def test_images_are_link_lines_with_their_alt_text():
    document = read_fixture("table-image.md")
    lines = render_gemtext(document).splitlines()
    assert "=> images/pixel.png a small brown square, generated" in lines
    assert "some text after the image." in lines


def test_footnotes_become_a_notes_section_with_markers():
    page = render_gemtext(read_fixture("footnotes.md"))
    body, notes = page.split("\n## notes\n")
    assert "a sentence with a footnote.[1] and another one,, later.[2]" in body.splitlines()
    note_lines = notes.splitlines()
    assert "[1] the first note, in lowercase." in note_lines
    index = note_lines.index("[2] the second note links to the common canvas series.")
    assert note_lines[index + 1] == "=> https://arxiv.org/abs/2310.16825 the common canvas series"
    assert "Notes" not in page


def test_links_in_list_items_follow_the_item():
    lines = render_gemtext(read_fixture("footnotes.md")).splitlines()
    index = lines.index("* a list item with mitsua diffusion one linked")
    assert lines[index + 1] == "=> https://huggingface.co/Mitsua/mitsua-diffusion-one mitsua diffusion one"


def test_disclaimers_are_quote_lines_verbatim_with_their_brackets():
    page = render_gemtext(read_fixture("disclaimers.md"))
    quotes = [line.text for line in parsed(page) if line.type == LineType.QUOTE]
    assert quotes == [text for _kind, text in FIXTURE_DISCLAIMERS]
    lines = page.splitlines()
    for _kind, text in FIXTURE_DISCLAIMERS:
        index = lines.index("> " + text)
        assert lines[index - 1] == "" and lines[index + 1] == ""


def test_raw_html_is_dropped(essay_page):
    assert "<!--" not in essay_page and "nesting" not in essay_page


def test_a_refused_image_shows_its_alt_text_once(tmp_path):
    document = document_from_text(tmp_path, "---\ntitle: t\n---\n\n![Remote Pic](https://example.com/x.png)\n\ntext.\n")
    assert render_gemtext(document).splitlines().count("Remote Pic") == 1


def test_a_note_whose_only_block_the_sanitiser_empties_keeps_its_marker(tmp_path):
    # Found by the container property test: a quote of nothing but <script> left the note no lines.
    from conftest import document_from_text

    from pipeline.writers.gemini.gemtext import render_gemtext

    document = document_from_text(tmp_path, "---\ntitle: contained\nlang: en\n---\n\na claim.[^n]\n\n"
                                  "[^n]: > <script>alert(1)</script>\n")
    lines = render_gemtext(document).split("\n")
    assert "[1]" in [line.strip() for line in lines] and "alert" not in "\n".join(lines)
