"""Builds: one read per source, the cache, atomic outputs, the output folder rules."""

from __future__ import annotations

import io
import logging
import shutil
import zipfile
from pathlib import Path

import pytest
from conftest import FIXTURES, run_chapbook

from pipeline import build as build_module
from pipeline import reader
from pipeline.editions import Companion
from pipeline.errors import ChapbookError
from pipeline.writers.epub import book as epub_writer


def _copy_fixture(tmp_path, name="kitchen-sink.md"):
    folder = tmp_path / "src"
    folder.mkdir()
    shutil.copy(FIXTURES / name, folder / name)
    shutil.copy(FIXTURES / "pixel.png", folder / "pixel.png")
    return folder / name


def _counting_pandoc(monkeypatch) -> list:
    calls = []
    real = reader.pandoc_json
    monkeypatch.setattr(build_module, "pandoc_json", lambda path, text: calls.append(path) or real(path, text))
    return calls


def test_one_pandoc_call_per_source_whatever_the_editions(tmp_path, monkeypatch):
    monkeypatch.setenv("CHAPBOOK_CACHE_DIR", str(tmp_path / "cache"))
    calls = _counting_pandoc(monkeypatch)
    source = _copy_fixture(tmp_path)
    editions = [e for e in build_module.available_editions() if e != "pdf"]
    build_module.build([source], tmp_path / "out", editions, force=True)
    assert calls == [source]


def test_unchanged_inputs_are_not_rebuilt_and_changes_are(tmp_path):
    source = _copy_fixture(tmp_path)
    out = tmp_path / "out"
    first = build_module.build([source], out, ["txt"])
    assert [item.cached for item in first] == [False]
    assert [item.cached for item in build_module.build([source], out, ["txt"])] == [True]
    source.write_text(source.read_text(encoding="utf-8") + "\nan added line.\n", encoding="utf-8")
    third = build_module.build([source], out, ["txt"])
    assert [item.cached for item in third] == [False]
    assert "an added line." in (out / "kitchen-sink.txt").read_text(encoding="utf-8")
    assert [item.cached for item in build_module.build([source], out, ["txt"], force=True)] == [False]


def test_a_capsule_file_whose_bytes_did_not_change_is_left_as_it_was(tmp_path):
    source = _copy_fixture(tmp_path)
    out = tmp_path / "out"

    def stamps() -> dict:
        return {path.relative_to(out): (path.stat().st_ino, path.stat().st_mtime_ns, path.read_bytes())
                for path in (out / "gemini").rglob("*") if path.is_file()}

    build_module.build([source], out, ["gemini", "txt"])
    before = stamps()
    build_module.build([source], out, ["gemini", "txt"], force=True)
    assert stamps() == before  # made again, the same bytes: not one file replaced
    source.write_text(source.read_text(encoding="utf-8") + "\nan added line.\n", encoding="utf-8")
    build_module.build([source], out, ["gemini", "txt"])
    after = stamps()
    replaced = {name for name in after if after[name][:2] != before[name][:2]}
    assert replaced == {name for name in after if after[name][2] != before[name][2]}  # exactly those that changed
    assert Path("gemini/gemlog/kitchen-sink.txt") in replaced and Path("gemini/index.gmi") not in replaced


def test_a_deleted_or_edited_output_is_rebuilt(tmp_path):
    source = _copy_fixture(tmp_path)
    out = tmp_path / "out"
    build_module.build([source], out, ["txt"])
    (out / "kitchen-sink.txt").write_text("tampered", encoding="utf-8")
    assert [item.cached for item in build_module.build([source], out, ["txt"])] == [False]
    assert "kitchen sink" in (out / "kitchen-sink.txt").read_text(encoding="utf-8")


def test_a_corrupt_cache_is_ignored(tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "outputs.json").write_bytes(b"\x00not json{")
    monkeypatch.setenv("CHAPBOOK_CACHE_DIR", str(cache))
    source = _copy_fixture(tmp_path)
    assert [item.cached for item in build_module.build([source], tmp_path / "out", ["txt"])] == [False]


def test_failed_rebuild_leaves_earlier_output_intact_and_no_temporary_files(tmp_path):
    source = _copy_fixture(tmp_path)
    out = tmp_path / "out"
    build_module.build([source], out, ["txt"])
    before = (out / "kitchen-sink.txt").read_bytes()
    source.write_text("---\ntitle: x\nbad: [1\n---\n", encoding="utf-8")
    with pytest.raises(ChapbookError):
        build_module.build([source], out, ["txt"])
    assert (out / "kitchen-sink.txt").read_bytes() == before
    assert sorted(p.name for p in out.iterdir()) == ["kitchen-sink.txt"]


def test_output_folder_that_is_a_file_is_refused(tmp_path):
    source = _copy_fixture(tmp_path)
    blocker = tmp_path / "out"
    blocker.write_text("i am a file")
    result = run_chapbook("build", str(source), "-f", "txt", "-o", str(blocker))
    assert result.returncode == 1 and "output folder is a file" in result.stderr
    assert blocker.read_text() == "i am a file"


def test_source_folder_is_never_written(tmp_path):
    source = _copy_fixture(tmp_path)
    before = {p.name: p.read_bytes() for p in source.parent.iterdir()}
    result = run_chapbook("build", str(source), "-f", "txt", "-o", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    assert {p.name: p.read_bytes() for p in source.parent.iterdir()} == before
    refused = run_chapbook("build", str(source), "-f", "txt", "-o", str(source.parent))
    assert refused.returncode == 1 and "source folder" in refused.stderr


def test_title_made_of_path_separators_does_not_steer_output(tmp_path):
    folder = tmp_path / "src"
    folder.mkdir()
    (folder / "essay.md").write_text("---\ntitle: ../../x\n---\n\ntext\n", encoding="utf-8")
    result = run_chapbook("build", str(folder / "essay.md"), "-f", "txt", "-o", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["essay.txt"]
    assert not (tmp_path / "x").exists() and not (tmp_path.parent / "x").exists()


def _two_posts(tmp_path):
    folder = tmp_path / "posts"
    folder.mkdir()
    for day, name in enumerate(("first", "second"), start=1):
        (folder / f"{name}.md").write_text(f"---\ntitle: the {name} post\ndate: 2026-01-0{day}\n---\n\n"
                                           f"words of the {name} post.\n", encoding="utf-8")
    return folder / "first.md", folder / "second.md"


def test_a_capsule_page_whose_source_is_gone_is_removed_through_the_cli(tmp_path):
    first, second = _two_posts(tmp_path)
    out = tmp_path / "out"
    assert run_chapbook("build", str(first), str(second), "-o", str(out), "-f", "gemini").returncode == 0
    pages = sorted(path.name for path in (out / "gemini" / "gemlog").glob("*.gmi"))
    assert len(pages) == 3 and "index.gmi" in pages
    second_page = next(path for path in (out / "gemini" / "gemlog").glob("*.gmi")
                       if "the second post" in path.read_text(encoding="utf-8").splitlines()[0])
    result = run_chapbook("build", str(first), "-o", str(out), "-f", "gemini")
    assert result.returncode == 0, result.stderr
    assert not second_page.exists()
    assert f"removed {second_page}" in result.stdout
    assert "the second post" not in (out / "gemini" / "gemlog" / "index.gmi").read_text(encoding="utf-8")
    assert len(list((out / "gemini" / "gemlog").glob("*.gmi"))) == 2


def test_an_edited_page_whose_source_is_gone_is_kept_with_a_warning(tmp_path, caplog):
    first, second = _two_posts(tmp_path)
    out = tmp_path / "out"
    build_module.build([first, second], out, ["gemini"])
    second_page = next(path for path in (out / "gemini" / "gemlog").glob("*.gmi")
                       if "the second post" in path.read_text(encoding="utf-8").splitlines()[0])
    second_page.write_text("# the second post, edited by hand\n", encoding="utf-8")
    written = build_module.build([first], out, ["gemini"])
    assert second_page.read_text(encoding="utf-8") == "# the second post, edited by hand\n"
    assert written[0].removed == ()
    assert f"{second_page}: kept" in caplog.text


def test_nothing_behind_a_symbolic_link_is_removed(tmp_path):
    first, second = _two_posts(tmp_path)
    out = tmp_path / "out"
    build_module.build([first, second], out, ["gemini"])
    elsewhere = tmp_path / "elsewhere"
    shutil.copytree(out / "gemini" / "gemlog", elsewhere)
    shutil.rmtree(out / "gemini" / "gemlog")
    (out / "gemini" / "gemlog").symlink_to(elsewhere)
    before = sorted(path.name for path in elsewhere.iterdir())
    written = build_module.build([first], out, ["gemini"])
    assert written[0].removed == ()
    assert sorted(path.name for path in elsewhere.iterdir()) == before


def test_pages_written_before_a_failed_edition_are_still_removed_later(tmp_path, monkeypatch):
    from dataclasses import replace

    from pipeline.editions import BY_NAME
    from pipeline.writers import text

    # The capsule uses the text edition (its pages link it), which would make txt first; without that
    # link the capsule is written first and the text edition fails after it, the case under test.
    monkeypatch.setitem(BY_NAME, "gemini", replace(BY_NAME["gemini"], uses=()))
    first, second = _two_posts(tmp_path)
    out = tmp_path / "out"
    build_module.build([first], out, ["gemini", "txt"])

    def failing(document, companions):
        raise ChapbookError(document.source, "a text edition that fails", "nothing")

    with monkeypatch.context() as patch:
        patch.setattr(text, "render", failing)
        with pytest.raises(ChapbookError):
            build_module.build([first, second], out, ["gemini", "txt"])
    second_pages = [path for path in (out / "gemini" / "gemlog").glob("*.gmi") if "second" in path.name]
    assert second_pages  # the capsule was written before the text edition failed
    written = build_module.build([first], out, ["gemini", "txt"])
    assert not any(path.exists() for path in second_pages)
    assert set(second_pages) <= {path for item in written for path in item.removed}


def test_a_failing_warm_up_is_left_to_the_real_render():
    assert list(build_module.warm_up("pipeline.writers.no_such_writer")) == []


def test_the_epub_is_prepared_while_its_pdf_is_laid_out_and_is_the_epub_made_after_it(tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("CHAPBOOK_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1722470400")
    source = _copy_fixture(tmp_path)
    prepared = []
    real = epub_writer.prepare
    monkeypatch.setattr(epub_writer, "prepare", lambda document: prepared.append(document.source) or real(document))
    caplog.set_level(logging.DEBUG, logger="chapbook")
    out = tmp_path / "out"
    build_module.build([source], out, ["epub", "pdf", "txt"], force=True)
    assert prepared == [source]  # once, in this process, while a worker laid out the PDF
    assert "kitchen-sink.epub: prepared in" in caplog.text
    pdf = Companion("pdf", "kitchen-sink.pdf", path=out / "kitchen-sink.pdf")
    made_after = epub_writer.render(build_module.prepare(source), {"pdf": pdf})
    assert b'epub:type="page-list"' in zipfile.ZipFile(io.BytesIO(made_after)).read("EPUB/nav.xhtml")
    assert (out / "kitchen-sink.epub").read_bytes() == made_after
