"""Reading a source: the one pandoc call, metadata, settings layering and clear errors."""

from __future__ import annotations

import pytest
from conftest import FIXTURES, document_from_text

from pipeline.errors import ChapbookError
from pipeline.reader import read_document
from pipeline.settings import Settings, load_project_settings


def test_essay_metadata(essay):
    assert essay.meta.title == "my thoughts on generated images"
    assert essay.meta.lang == "en" and essay.meta.date == "2024-07-31" and essay.meta.authors == ()


def test_markdown_is_read_without_smart_typography(tmp_path):
    document = document_from_text(tmp_path, "---\ntitle: t\n---\n\nanymore-- sike... \"quoted\" it's\n")
    from pipeline.ast import stringify
    assert stringify(document.blocks) == "anymore-- sike... \"quoted\" it's"


def test_missing_title_falls_back_to_the_file_name(tmp_path):
    document = document_from_text(tmp_path, "just text\n", name="untitled-essay.md")
    assert document.meta.title == "untitled-essay"


@pytest.mark.parametrize("data, fragment, line", [
    (b"", "empty", None),
    (b"abc\n\xff\xfe\n", "not UTF-8", 2),
    (b"\x89PNG\r\n\x1a\n\x00\x00", "binary", 3),
    (b"---\ntitle: t\n---\n\n::: note\nunclosed\n", "never closed", 5),
    (b"---\ntitle: t\n---\n\ntext[^missing] here\n", "[^missing]", 5),
])
def test_bad_sources_give_a_clear_error(tmp_path, data, fragment, line):
    path = tmp_path / "bad.md"
    path.write_bytes(data)
    with pytest.raises(ChapbookError) as caught:
        read_document(path)
    assert fragment in str(caught.value)
    assert caught.value.line == line
    assert str(caught.value).startswith(f"{path}")


def test_deep_nesting_is_refused_cleanly(tmp_path):
    path = tmp_path / "deep.md"
    path.write_text("---\ntitle: t\n---\n\n" + "".join(" " * (2 * i) + "- x\n" for i in range(300)))
    with pytest.raises(ChapbookError, match="nested more than"):
        read_document(path)


def test_settings_layer_project_then_document_then_command_line(tmp_path):
    (tmp_path / "chapbook.toml").write_text('wrap = 60\npaper = "a4"\n')
    project = load_project_settings(tmp_path)
    assert project == Settings(wrap=60, paper="a4")
    path = tmp_path / "doc.md"
    path.write_text("---\ntitle: t\nwrap: 50\n---\n\ntext\n")
    assert read_document(path, project).settings.wrap == 50
    assert read_document(path, project, {"wrap": 40}).settings == Settings(wrap=40, paper="a4")


def test_unknown_project_setting_is_named(tmp_path):
    (tmp_path / "chapbook.toml").write_text('wrap = 60\nfont = "comic"\n')
    with pytest.raises(ChapbookError, match="'font'") as caught:
        load_project_settings(tmp_path)
    assert caught.value.line == 2


def test_fixtures_all_read():
    for path in FIXTURES.glob("*.md"):
        assert read_document(path).meta.title
