"""Reading a source: the one pandoc call, metadata, settings layering and clear errors."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

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


_READ_AND_REPORT = """
import json, sys
from pathlib import Path
from pipeline.build import prepare
from pipeline.reader import pandoc_path
document = prepare(Path(sys.argv[1]))
print(json.dumps({"pandoc": pandoc_path(), "pypandoc imported": "pypandoc" in sys.modules,
                  "title": document.meta.title}))
"""


def _read_in_fresh_process(source, environment: dict) -> dict:
    result = subprocess.run([sys.executable, "-c", _READ_AND_REPORT, str(source)], capture_output=True, text=True,
                            check=True, env=dict(os.environ, **environment))
    return json.loads(result.stdout)


def test_the_source_is_read_by_the_pandoc_pypandoc_binary_ships_without_importing_pypandoc(tmp_path):
    pathless = _read_in_fresh_process(FIXTURES / "footnotes.md", {"PATH": str(tmp_path), "PYPANDOC_PANDOC": ""})
    shipped = Path(importlib.util.find_spec("pypandoc").origin).parent / "files" / "pandoc"
    assert pathless["pandoc"] == str(shipped) and not pathless["pypandoc imported"]
    assert pathless["title"]


def test_pypandoc_pandoc_names_the_pandoc_to_run_as_it_does_for_pypandoc(tmp_path):
    shipped = Path(importlib.util.find_spec("pypandoc").origin).parent / "files" / "pandoc"
    log = tmp_path / "ran"
    wrapper = tmp_path / "my-pandoc"
    wrapper.write_text(f'#!/bin/sh\necho "$@" >> {log}\nexec {shipped} "$@"\n', encoding="utf-8")
    wrapper.chmod(0o755)
    chosen = _read_in_fresh_process(FIXTURES / "footnotes.md", {"PYPANDOC_PANDOC": str(wrapper)})
    assert chosen["pandoc"] == str(wrapper)
    assert "--to json" in log.read_text(encoding="utf-8")
