"""One walk over the tree: every transform reaches headings, disclaimers and raw HTML in every container."""

from __future__ import annotations

import pytest
from conftest import document_from_text

from pipeline.ast import Node, child_block_lists, has_class, map_blocks, stringify, walk_blocks
from pipeline.transforms.disclaimers import DISCLAIMER_CLASS
from pipeline.writers.shared.xhtml import HtmlOptions, render_blocks

# Each container holds `@` where a block goes; pandoc reads every one of them.
CONTAINERS = {
    "bullet list": "- item\n\n- @\n",
    "ordered list": "1. item\n\n2. @\n",
    "block quote": "> @\n",
    "div": "::: box\n@\n:::\n",
    "footnote": "text[^n]\n\n[^n]:\n    @\n",
    "definition list": "term\n\n:   @\n",
    # A grid table; in_container widens it to fit. A cell holding two paragraphs has Para blocks.
    "table cell": "+-#+\n| cell |\n+=#+\n| @ |\n| ~ |\n| more |\n+-#+\n",
}


def everything(blocks: list[Node]) -> list[Node]:
    """Every block, notes included (walk_blocks leaves notes out on purpose)."""
    found: list[Node] = []
    map_blocks(blocks, lambda block: found.append(block) or block)
    return found


def in_container(name: str, block: str) -> str:
    """`block` written inside the container `name` (a grid table is drawn as wide as the block)."""
    width = len(block)
    lines = []
    for line in CONTAINERS[name].replace("@", block).split("\n"):
        if name == "table cell" and line.startswith("+"):
            line = "+" + line[1] * (width + 2) + "+"
        elif name == "table cell" and line.startswith("| "):
            line = "| " + line[2:-2].replace("~", "").ljust(width) + " |"
        lines.append(line)
    return "\n".join(lines)


@pytest.mark.parametrize("container", CONTAINERS)
def test_a_disclaimer_is_found_in_every_container(container, tmp_path):
    document = document_from_text(tmp_path, in_container(container, "[update: still true]"))
    disclaimers = [block for block in everything(document.blocks) if has_class(block, DISCLAIMER_CLASS)]
    assert [stringify(block) for block in disclaimers] == ["[update: still true]"]


@pytest.mark.parametrize("container", CONTAINERS)
def test_raw_html_is_cleaned_in_every_container(container, tmp_path):
    raw = ('<p onclick="steal()">kept <a href="javascript:steal()">words</a><script>alert(1)</script>'
           '<img src="http://example.org/x.png"/></p>')
    document = document_from_text(tmp_path, "# a\n\n" + in_container(container, raw))
    rendered = render_blocks(document.blocks, document, HtmlOptions(epub=True))
    xhtml = rendered.body + rendered.notes
    for unsafe in ("onclick", "javascript:", "<script", "alert(1)", "example.org"):
        assert unsafe not in xhtml
    assert "kept" in xhtml and "words" in xhtml


@pytest.mark.parametrize("container", [name for name in CONTAINERS if name != "table cell"])
def test_headings_are_shifted_and_named_uniquely_in_every_container(container, tmp_path):
    # `##` is the section level, so it becomes 1 and the `###` inside the container becomes 2.
    source = "## a {#x}\n\n" + in_container(container, "### b {#x}")
    document = document_from_text(tmp_path, source)
    headings = [block for block in everything(document.blocks) if block.get("t") == "Header"]
    assert [(block["c"][0], block["c"][1][0], stringify(block)) for block in headings] == [
        (1, "x", "a"), (2, "x-2", "b")]


def test_the_outline_has_no_duplicate_ids_with_a_heading_in_a_list(tmp_path):
    """The bug the one walk fixed: a heading inside a list item kept the id of a section."""
    document = document_from_text(tmp_path, "## A {#x}\n\n- ### B {#x}\n")
    assert [(h.level, h.identifier, h.text) for h in document.outline()] == [(1, "x", "A"), (2, "x-2", "B")]


def test_walk_blocks_reaches_table_cells_and_figure_captions(tmp_path):
    source = "+------+\n| head |\n+======+\n| cell |\n+------+\n\n: the caption\n\n![alt](nowhere.png \"t\")\n"
    document = document_from_text(tmp_path, source)
    texts = [stringify(block) for block in walk_blocks(document.blocks) if block.get("t") in ("Plain", "Para")]
    assert {"head", "cell", "the caption"} <= set(texts)


def test_map_blocks_can_drop_and_split_blocks_and_leaves_its_input_alone():
    blocks = [{"t": "BulletList", "c": [[{"t": "Plain", "c": [{"t": "Str", "c": "one"}]},
                                         {"t": "HorizontalRule"}]]}]
    original = repr(blocks)

    def change(block: Node):
        if block["t"] == "HorizontalRule":
            return []
        if block["t"] == "Plain":
            return [block, block]
        return block
    changed = map_blocks(blocks, change)
    assert repr(blocks) == original
    assert [b["t"] for b in child_block_lists(changed[0])[0]] == ["Plain", "Plain"]


def test_walks_hand_back_what_they_did_not_change_and_never_touch_their_input(tmp_path):
    """Every transform walks a book-length tree: what a change leaves alone is not copied, the input is kept."""
    from pipeline.ast import map_block_lists, map_inlines, map_nodes
    from pipeline.reader import run_pandoc

    source = tmp_path / "doc.md"
    text = ("# a\n\nwords *and more*[^n] here\n\n[^n]: a note with **its** own words\n\n- item\n\n  > quote\n\n"
            "| cell |\n|---|\n| x |\n\n: a caption\n\nterm\n:   definition\n\n| a line\n")
    blocks = run_pandoc(source, text)["blocks"]
    original = repr(blocks)
    for walked in (map_blocks(blocks, lambda block: block), map_inlines(blocks, list),
                   map_block_lists(blocks, list), map_nodes(blocks, dict, frozenset({"Str"}))):
        assert repr(walked) == original
    assert map_blocks(blocks, lambda block: block) is blocks
    assert map_inlines(blocks, list) is blocks  # a change that returns the same words in a new list changed nothing
    assert map_block_lists(blocks, list) is blocks

    # One word changed in the note: the paragraph calling it and its list are new, every other block is the same.
    def in_note(inlines: list[Node]) -> list[Node]:
        return [{"t": "Str", "c": "OWN"} if node == {"t": "Str", "c": "own"} else node for node in inlines]
    changed = map_inlines(blocks, in_note)
    assert repr(blocks) == original
    assert changed is not blocks and changed[1] is not blocks[1]
    assert all(new is old for index, (new, old) in enumerate(zip(changed, blocks, strict=True)) if index != 1)
    note = next(node for node in changed[1]["c"] if node["t"] == "Note")
    assert stringify(note["c"]) == "a note with its OWN words"
    assert changed[1]["c"][0] is blocks[1]["c"][0]  # the words around the note are the same objects


def test_a_node_of_a_kind_pandoc_may_add_is_still_searched_for_blocks_and_images():
    """A newer pandoc's block kind, unknown to the walks, is searched as the JSON it is."""
    from pipeline.ast import inlines_of_kinds

    image = {"t": "Image", "c": [["", [], []], [{"t": "Str", "c": "alt"}], ["a.png", ""]]}
    blocks = [{"t": "Aside", "c": [["", [], []], [{"t": "Para", "c": [{"t": "Str", "c": "inside"}, image]}]]}]
    found = map_blocks(blocks, lambda block: {"t": "Plain", "c": block["c"]} if block["t"] == "Para" else block)
    assert found[0]["c"][1][0]["t"] == "Plain" and blocks[0]["c"][1][0]["t"] == "Para"
    assert inlines_of_kinds(blocks, frozenset({"Image"})) == [image]
