"""The parse cache: an unchanged source is never read by pandoc again, and the cache never gives a wrong document."""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil

import pytest

from pipeline import reader
from pipeline.build import parse_cache as parse_cache_module
from pipeline.build import prepare
from pipeline.build.parse_cache import ParseCache
from tests.conftest import FIXTURES, write_post

SOURCE = "---\ntitle: a post\n---\n\n- one\n    - two\n\n[disclaimer: it is *only* a test]\n"


@pytest.fixture
def counted(monkeypatch, tmp_path):
    """pandoc's runs, counted, with a cache folder of this test's own."""
    monkeypatch.setenv("CHAPBOOK_CACHE_DIR", str(tmp_path / "cache"))
    calls = []
    real = reader.pandoc_json

    def counting(path, text):
        calls.append(path)
        return real(path, text)
    monkeypatch.setattr("pipeline.build.pandoc_json", counting)
    return calls


def _source(tmp_path, text=SOURCE):
    return write_post(tmp_path, text)


def _entries(tmp_path):
    return sorted(p for p in (tmp_path / "cache" / "parsed").rglob("*") if p.is_file())


def test_an_unchanged_source_is_read_by_pandoc_once_and_gives_the_same_document(counted, tmp_path):
    source = _source(tmp_path)
    first, second = prepare(source), prepare(source)
    assert len(counted) == 1
    assert second.blocks == first.blocks and second.meta == first.meta
    assert first.blocks == reader.read_document(source).blocks  # the same as pandoc read without a cache


def test_a_changed_source_is_read_again(counted, tmp_path):
    source = _source(tmp_path)
    prepare(source)
    _source(tmp_path, SOURCE + "\nan added line.\n")
    document = prepare(source)
    assert len(counted) == 2
    assert '"added"' in json.dumps(document.blocks)


def test_changed_settings_change_the_document_though_the_parse_is_reused(counted, tmp_path):
    source = _source(tmp_path)
    assert prepare(source, {"wrap": 40}).settings.wrap == 40
    assert prepare(source, {"wrap": 50}).settings.wrap == 50
    assert len(counted) == 1


def test_another_pandoc_misses_the_cache(counted, tmp_path, monkeypatch):
    source = _source(tmp_path)
    prepare(source)
    other = tmp_path / "pandoc"
    shutil.copy(reader.pandoc_path(), other)  # the same program, another binary as far as the key knows
    monkeypatch.setenv("PYPANDOC_PANDOC", str(other))
    prepare(source)
    os.utime(other, ns=(0, 0))  # upgraded in place: the same path, another modification time
    prepare(source)
    assert len(counted) == 3


def test_another_chapbook_version_misses_the_cache(counted, tmp_path, monkeypatch):
    source = _source(tmp_path)
    prepare(source)
    monkeypatch.setattr(parse_cache_module, "__version__", "0.0-other")
    prepare(source)
    assert len(counted) == 2


@pytest.mark.parametrize("damage", ["truncated", "flipped", "garbage", "empty", "fifo", "link"])
def test_a_damaged_entry_is_a_miss_never_a_wrong_document(counted, tmp_path, damage):
    source = _source(tmp_path)
    good = prepare(source).blocks
    (entry,) = _entries(tmp_path)
    data = entry.read_bytes()
    entry.unlink()
    if damage == "truncated":
        entry.write_bytes(data[: len(data) // 2])
    elif damage == "flipped":
        entry.write_bytes(data.replace(b'"two"', b'"tvo"'))
    elif damage == "garbage":
        entry.write_bytes(b"\x00\xff" * 100)
    elif damage == "empty":
        entry.write_bytes(b"")
    elif damage == "fifo":
        os.mkfifo(entry)
    else:
        (tmp_path / "elsewhere").write_bytes(data)
        entry.symlink_to(tmp_path / "elsewhere")
    assert prepare(source).blocks == good
    assert len(counted) == 2


def _write_entries(folder, key, body, rounds):
    cache = ParseCache(folder, ["--to", "json"], "pandoc")
    for _ in range(rounds):
        cache.put(key, body)


def test_two_processes_sharing_a_cache_never_read_half_an_entry(tmp_path):
    cache = ParseCache(tmp_path, ["--to", "json"], "pandoc")
    key = cache.key("a text")
    tree = {"pandoc-api-version": [1, 23], "meta": {}, "blocks": [{"t": "Para", "c": "x" * 200_000}]}
    body = json.dumps(tree).encode()
    writer = multiprocessing.get_context("fork").Process(target=_write_entries, args=(tmp_path, key, body, 300))
    writer.start()
    seen = []
    while writer.is_alive() or not seen:
        found = cache.get(key)
        if found is not None:
            assert found == tree
            seen.append(True)
    writer.join(timeout=60)
    assert writer.exitcode == 0 and seen


def test_a_pandoc_error_is_not_cached(counted, tmp_path):
    source = _source(tmp_path, "---\ntitle: x\n---\n\n::: note\nnever closed\n")
    from pipeline.errors import ChapbookError

    for _ in range(2):
        with pytest.raises(ChapbookError):
            prepare(source)
    assert len(counted) == 2 and not _entries(tmp_path)


def test_the_essay_and_fixtures_read_from_the_cache_are_the_documents_pandoc_gives(tmp_path, monkeypatch):
    monkeypatch.setenv("CHAPBOOK_CACHE_DIR", str(tmp_path / "cache"))
    for source in sorted(FIXTURES.glob("*.md")):
        fresh = prepare(source)
        again = prepare(source)
        assert again.blocks == fresh.blocks and again.meta == fresh.meta, source.name
