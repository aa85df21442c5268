"""The font coverage check: every character a document uses, against the faces the PDF sets it in."""

from __future__ import annotations

import logging
import os

from pipeline.writers.pdf.book_html import GENERATED_TEXT
from pipeline.writers.shared import fonts
from pipeline.writers.shared.fonts import (
    CODE_FAMILY,
    TEXT_FAMILY,
    charset_code_points,
    check_coverage,
    covered_characters,
    font_files,
    missing_glyphs,
    needs_glyph,
)
from tests.conftest import FIXTURE_SOURCES, document_from_text, read_fixture


def test_the_book_faces_are_found_through_fontconfig():
    assert any(path.name.startswith("CharisSIL") for path in font_files(TEXT_FAMILY))
    assert any(path.name.startswith("DejaVuSansMono") for path in font_files(CODE_FAMILY))
    assert font_files("No Such Family For Sure") == ()
    assert covered_characters("No Such Family For Sure") is None


def test_fontconfig_charsets_are_read_as_code_points():
    assert charset_code_points("20-22 a0 2010-2011") == {0x20, 0x21, 0x22, 0xA0, 0x2010, 0x2011}
    assert charset_code_points("") == frozenset()


def test_fontconfig_and_the_fonts_own_cmaps_agree_and_either_serves_without_the_other(monkeypatch):
    from fontTools.ttLib import TTFont

    for family in (TEXT_FAMILY, CODE_FAMILY):
        cmaps = [frozenset(TTFont(path, lazy=True).getBestCmap()) for path in font_files(family)]
        assert covered_characters(family) == frozenset.intersection(*cmaps), family
    through_fontconfig = covered_characters(TEXT_FAMILY)
    monkeypatch.setattr(fonts.shutil, "which", lambda name: None)  # a machine without fc-list
    for cached in (fonts._listed, fonts.covered_characters):
        cached.cache_clear()
    try:
        assert fonts._listed(TEXT_FAMILY) == ()
        assert covered_characters(TEXT_FAMILY) == through_fontconfig  # read from the known files' cmaps
    finally:
        for cached in (fonts._listed, fonts.covered_characters):
            cached.cache_clear()


def test_a_charset_fontconfig_prints_otherwise_or_not_at_all_falls_back_to_the_cmaps(tmp_path, monkeypatch):
    files = font_files(TEXT_FAMILY)
    through_fontconfig = covered_characters(TEXT_FAMILY)
    for listing in ("0020-007e:ffff\t{path}\n", "\t{path}\n"):  # unreadable; empty
        fake = tmp_path / "fc-list"
        lines = "".join(listing.format(path=path) for path in files)
        fake.write_text(f"#!/bin/sh\nprintf '%s' '{lines}'\n", encoding="utf-8")
        fake.chmod(0o755)
        monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
        for cached in (fonts._listed, fonts.covered_characters):
            cached.cache_clear()
        try:
            assert fonts._listed(TEXT_FAMILY)  # the fake answered
            assert covered_characters(TEXT_FAMILY) == through_fontconfig, listing
        finally:
            for cached in (fonts._listed, fonts.covered_characters):
                cached.cache_clear()


def test_charis_sets_every_character_of_the_essay_and_the_fixtures(essay):
    for character in "æ·×₂½→’“”…—":
        assert ord(character) in covered_characters(TEXT_FAMILY), character
    assert missing_glyphs(essay, GENERATED_TEXT) == []
    for source in FIXTURE_SOURCES:
        assert missing_glyphs(read_fixture(source.name), GENERATED_TEXT) == [], source.name


def test_a_missing_character_is_named_with_its_code_point_and_section(tmp_path, caplog):
    document = document_from_text(tmp_path, "---\ntitle: snow\nlang: en\n---\n\n# first\n\nfine text.\n\n"
                                            "# a wintry section\n\nit is cold ☃ today, and ☃ again\n")
    with caplog.at_level(logging.WARNING, logger="chapbook"):
        missing = check_coverage(document)
    assert [(glyph.character, glyph.family, glyph.count) for glyph in missing] == [("☃", TEXT_FAMILY, 2)]
    assert "U+2603" in caplog.text and "'☃'" in caplog.text
    assert "a wintry section" in caplog.text and "“it is cold ☃ today, and…”" in caplog.text


def test_headings_and_the_title_page_are_named_as_places(tmp_path):
    document = document_from_text(tmp_path, "---\ntitle: a ☃ title\nlang: en\n---\n\n# a ⸘ heading\n\ntext\n")
    places = {glyph.character: glyph.where for glyph in missing_glyphs(document)}
    assert places == {"☃": "the title page", "⸘": "the heading “a ⸘ heading”"}


def test_code_is_checked_against_the_code_face(tmp_path):
    # U+2E18 is in DejaVu Sans Mono but not Charis SIL; U+2024 the other way round.
    document = document_from_text(tmp_path, "---\ntitle: code\nlang: en\n---\n\n`⸘`\n\n```\n․\n```\n")
    missing = missing_glyphs(document)
    assert [(glyph.character, glyph.family) for glyph in missing] == [("․", CODE_FAMILY)]
    assert "the paragraph “․”" in missing[0].where


def test_notes_links_and_labels_are_checked_too(tmp_path):
    document = document_from_text(tmp_path, "---\ntitle: notes\nlang: en\n---\n\n"
                                            "a note.[^1] and [a link](https://example.org/⸘)\n\n[^1]: with ☃.\n")
    places = {glyph.character: glyph.where for glyph in missing_glyphs(document, generated_text="🙂")}
    assert set(places) == {"☃", "⸘", "🙂"}
    assert places["☃"] == "a footnote in the paragraph “a note. and a link”"
    assert places["🙂"] == "chapbook's own labels"


def test_spaces_and_invisible_marks_need_no_glyph():
    for character in " \n\t\u00a0\u00ad\u200b\u200d\ufe0e":
        assert not needs_glyph(character), repr(character)
    assert needs_glyph("a") and needs_glyph("☃")
