"""Each transform on small documents: what it marks, and that it never changes a character."""

from __future__ import annotations

from conftest import FIXTURE_DISCLAIMERS, document_from_text, read_fixture

from pipeline.ast import attr_value, has_class, stringify, walk_blocks
from pipeline.reader import read_document
from pipeline.transforms import apply_transforms


def _disclaimers(document):
    return [(attr_value(b["c"][0], "kind"), stringify(b)) for b in walk_blocks(document.blocks)
            if has_class(b, "disclaimer")]


def test_every_disclaimer_kind_is_marked_with_its_brackets():
    found = _disclaimers(read_fixture("disclaimers.md"))
    assert found == FIXTURE_DISCLAIMERS


def test_a_bracketed_phrase_inside_a_sentence_is_not_a_disclaimer(tmp_path):
    document = document_from_text(tmp_path, "---\ntitle: t\n---\n\nwant to [make money / get noticed] now\n")
    assert _disclaimers(document) == []


def test_essay_disclaimers_are_all_found(essay):
    kinds = [kind for kind, _text in _disclaimers(essay)]
    assert kinds.count("disclaimer") == 2
    assert kinds.count("update") == 1
    assert kinds.count("work-in-progress") == 2


def test_asterisk_notes_stay_literal_and_markers_point_at_them():
    document = read_fixture("asterisk-notes.md")
    notes = [b for b in document.blocks if has_class(b, "asterisk-note")]
    assert [b["c"][0][0] for b in notes] == ["asterisk-note-1", "asterisk-note-2"]
    assert stringify(notes[0]).startswith("* i tend")
    assert stringify(notes[1]).startswith("** i tend")
    last = document.blocks[-1]
    refs = [node for node in last["c"] if node.get("t") == "Span"]
    assert [attr_value(r["c"][0], "note") for r in refs] == ["asterisk-note-1", "asterisk-note-2"]
    assert "*generated **images" in stringify(last)
    assert not any(b.get("t") == "BulletList" for b in document.blocks)


def test_no_emphasis_appears_in_the_essay(essay):
    text = str(essay.blocks)
    assert "'Emph'" not in text and "'Strong'" not in text


def test_section_levels_start_at_one():
    levels = [h.level for h in read_fixture("sections.md").outline()]
    assert levels == [1, 2, 1, 1, 2]


def test_repeated_headings_get_unique_ids():
    ids = [h.identifier for h in read_fixture("sections.md").outline()]
    assert len(ids) == len(set(ids))
    assert [i for i in ids if i.startswith("same-name")] == ["same-name", "same-name-1"]


def test_explicit_duplicate_ids_are_made_unique(tmp_path):
    document = document_from_text(tmp_path, "---\ntitle: t\n---\n\n# a {#x}\n\n# b {#x}\n")
    assert [h.identifier for h in document.outline()] == ["x", "x-2"]


def _letters(text: str) -> str:
    return " ".join(text.split())


def test_voice_guard_transforms_change_no_character(essay):
    raw = read_document(essay.source)
    before = _letters(stringify([b for b in walk_blocks(raw.blocks) if b.get("t") in ("Para", "Plain", "Header")]))
    after = _letters(stringify([b for b in walk_blocks(apply_transforms(raw).blocks)
                                if b.get("t") in ("Para", "Plain", "Header")]))
    assert before == after
    for typed in (",,", "gpt·4", "pfp·s", "æsthetically", "co₂", "anymore--", "...granted", "Just Worked",
                  "TransAgents", "Next Big Thing", '"ai"'):
        assert typed in after, typed


def test_raw_html_script_is_removed(tmp_path):
    document = document_from_text(tmp_path, "---\ntitle: t\n---\n\n<div onclick=\"x()\">hi<script>alert(1)"
                                            "</script></div>\n\ntext <span onmouseover=\"x\">inline</span>\n")
    raw = [b["c"][1] for b in walk_blocks(document.blocks) if b.get("t") == "RawBlock"]
    assert all("script" not in r and "onclick" not in r for r in raw)
    assert "inline" in stringify(document.blocks)


def test_images_outside_the_source_folder_are_refused(tmp_path):
    (tmp_path / "inside.png").write_bytes((read_fixture("table-image.md").resources[0].path).read_bytes())
    document = document_from_text(tmp_path, "---\ntitle: t\n---\n\n![ok](inside.png) ![no](/etc/passwd) "
                                            "![no2](../x.png) ![remote](https://example.org/a.png)\n")
    assert [r.url for r in document.resources] == ["inside.png"]
    assert "no" in stringify(document.blocks) and "remote" in stringify(document.blocks)


def test_a_raw_paragraph_stays_one_paragraph_without_empty_ones(tmp_path):
    document = document_from_text(tmp_path, "---\ntitle: t\n---\n\n<p>a raw paragraph</p>\n\n"
                                            "<div>\n\ninside a div\n\n</div>\n\nplain.\n")
    kinds = [block.get("t") for block in walk_blocks(document.blocks)]
    assert "RawBlock" not in kinds
    paragraphs = [stringify(block) for block in walk_blocks(document.blocks) if block.get("t") == "Para"]
    assert paragraphs == ["a raw paragraph", "inside a div", "plain."]
