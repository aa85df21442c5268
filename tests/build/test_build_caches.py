"""The document cache, the page cache and the digest memo: fewer reads and renders, never a different output."""

from __future__ import annotations

import hashlib
import json
import logging
import multiprocessing
import os
import shutil
import time
from pathlib import Path

import pytest

from pipeline import reader
from pipeline.build import document_cache as document_cache_module
from pipeline.build import open_document_cache, prepare
from pipeline.build.cache import DigestMemo
from pipeline.build.document_cache import StoredBlocks
from pipeline.errors import ChapbookError
from pipeline.files.atomic import atomic_write
from tests.benchmarks.sources import make_posts
from tests.conftest import run_chapbook, write_post

SOURCE = "---\ntitle: a post\n---\n\n- one\n    - two\n\n![a picture](picture.png)\n"
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082")


@pytest.fixture
def reads(monkeypatch, tmp_path):
    """Each time a source is really read (pandoc, from its cache or not, then the transforms), counted."""
    monkeypatch.setenv("CHAPBOOK_CACHE_DIR", str(tmp_path / "cache"))
    calls = []
    real = reader.read_document

    def counting(path, *arguments, **options):
        calls.append(path)
        return real(path, *arguments, **options)
    monkeypatch.setattr("pipeline.build.read_document", counting)
    return calls


def _source(tmp_path, text=SOURCE):
    return write_post(tmp_path, text)


def _prepared(path, overrides=None):
    """The document as a build prepares it, with a document cache of its own (as each build makes)."""
    return prepare(path, overrides, documents=open_document_cache())


def _entries(tmp_path):
    return sorted(p for p in (tmp_path / "cache" / "documents").rglob("*") if p.is_file())


def _same(first, second):
    assert list(first.blocks) == list(second.blocks)
    assert (first.meta, first.settings, first.resources) == (second.meta, second.settings, second.resources)


def test_an_unchanged_source_is_not_read_again_and_gives_the_same_document(reads, tmp_path):
    source = _source(tmp_path)
    _prepared(source)
    second = _prepared(source)
    assert len(reads) == 1
    assert isinstance(second.blocks, StoredBlocks)
    _same(second, prepare(source))  # as read without any cache


def test_a_changed_source_settings_or_another_chapbook_is_read_again(reads, tmp_path, monkeypatch):
    source = _source(tmp_path)
    _prepared(source)
    _source(tmp_path, SOURCE + "\nan added line.\n")
    assert '"added"' in json.dumps(list(_prepared(source).blocks))
    assert _prepared(source, {"wrap": 40}).settings.wrap == 40
    assert _prepared(source, {"wrap": 50}).settings.wrap == 50
    monkeypatch.setattr(document_cache_module, "__version__", "0.0-other")
    _prepared(source, {"wrap": 50})
    assert len(reads) == 5


def test_another_pandoc_reads_the_source_again(reads, tmp_path, monkeypatch):
    source = _source(tmp_path)
    _prepared(source)
    other = tmp_path / "pandoc"
    shutil.copy(reader.pandoc_path(), other)
    monkeypatch.setenv("PYPANDOC_PANDOC", str(other))
    _prepared(source)
    assert len(reads) == 2


def test_an_image_added_replaced_or_removed_reads_the_source_again(reads, tmp_path):
    source = _source(tmp_path)
    assert _prepared(source).resources == ()  # refused: no such file
    (tmp_path / "picture.png").write_bytes(PNG)
    found = _prepared(source)
    assert [resource.name for resource in found.resources] == ["images/picture.png"]
    assert _prepared(source).resources == found.resources and len(reads) == 2
    (tmp_path / "picture.png").unlink()
    (tmp_path / "picture.png").mkdir()  # a folder of that name is no image
    assert _prepared(source).resources == ()
    assert len(reads) == 3


def test_a_changed_cover_reads_the_source_again(reads, tmp_path):
    from PIL import Image

    Image.new("RGB", (1600, 2560), "white").save(tmp_path / "cover.png")
    source = _source(tmp_path, "---\ntitle: a post\ncover: cover.png\n---\n\ntext\n")
    _prepared(source)
    _prepared(source)
    assert len(reads) == 1
    (tmp_path / "cover.png").write_bytes(b"not an image")  # the reader checks the cover: now an error
    with pytest.raises(ChapbookError, match="cover"):
        _prepared(source)
    assert len(reads) == 2


def test_the_warnings_of_a_read_are_given_again_from_the_cache(reads, tmp_path, caplog):
    source = _source(tmp_path)
    with caplog.at_level(logging.WARNING, logger="chapbook"):
        _prepared(source)
        first = [record.getMessage() for record in caplog.records]
        caplog.clear()
        _prepared(source)
        again = [record.getMessage() for record in caplog.records]
    assert len(reads) == 1
    assert any("picture.png refused" in message for message in first) and again == first


@pytest.mark.parametrize("damage", ["summary", "blocks", "truncated", "garbage", "empty", "link"])
def test_a_damaged_entry_is_a_miss_never_a_wrong_document(reads, tmp_path, damage):
    source = _source(tmp_path)
    good = list(_prepared(source).blocks)
    (entry,) = _entries(tmp_path)
    data = entry.read_bytes()
    entry.unlink()
    if damage == "summary":
        entry.write_bytes(data.replace(b'"a post"', b'"a pest"'))
    elif damage == "blocks":
        entry.write_bytes(data.replace(b'"two"', b'"tvo"'))
    elif damage == "truncated":
        entry.write_bytes(data[: len(data) - 10])
    elif damage == "garbage":
        entry.write_bytes(b"\x00\xff" * 100)
    elif damage == "empty":
        entry.write_bytes(b"")
    else:
        (tmp_path / "elsewhere").write_bytes(data)
        entry.symlink_to(tmp_path / "elsewhere")
    again = _prepared(source)
    assert again.meta.title == "a post" and list(again.blocks) == good
    assert len(reads) == 2


def _write_entry(entry, data, rounds):
    for _ in range(rounds):
        atomic_write(entry, data, sync=False)  # as a second build writing the same document does


def test_two_processes_sharing_a_cache_never_read_half_an_entry(reads, tmp_path):
    source = _source(tmp_path, SOURCE + "\n" + "a long paragraph. " * 20_000 + "\n")
    good = list(_prepared(source).blocks)
    (entry,) = _entries(tmp_path)
    writer = multiprocessing.get_context("fork").Process(target=_write_entry, args=(entry, entry.read_bytes(), 300))
    writer.start()
    seen = 0
    while writer.is_alive() or not seen:
        assert list(_prepared(source).blocks) == good
        seen += 1
    writer.join(timeout=120)
    assert writer.exitcode == 0 and seen and len(reads) == 1


def test_the_digest_memo_hashes_an_unchanged_file_once_and_a_changed_one_again(tmp_path, monkeypatch):
    hashed = []
    from pipeline.build import cache as cache_module

    real = cache_module.regular_file_sha256
    monkeypatch.setattr(cache_module, "regular_file_sha256", lambda path: hashed.append(path) or real(path))
    path = tmp_path / "post.md"
    path.write_text("one", encoding="utf-8")
    os.utime(path, ns=(time.time_ns() - 10**9,) * 2)  # older than the racy window
    memo = DigestMemo(tmp_path / "cache")
    assert memo.digest(path) == hashlib.sha256(b"one").hexdigest()
    assert memo.digest(path) == hashlib.sha256(b"one").hexdigest() and len(hashed) == 1
    memo.save()
    later = DigestMemo(tmp_path / "cache")  # the next build, from digests.json
    later.digest(path)
    assert len(hashed) == 1
    path.write_text("two", encoding="utf-8")  # same size, a new mtime
    assert later.digest(path) == hashlib.sha256(b"two").hexdigest() and len(hashed) == 2
    path.write_text("six", encoding="utf-8")  # written just now: within the racy window, hashed every time
    later.digest(path)
    later.digest(path)
    assert len(hashed) == 4


# whole builds ---------------------------------------------------------------------------------------------

FOUR = ["-f", "epub", "-f", "txt", "-f", "gemini", "-f", "web"]


def _sums(folder: Path) -> dict[str, str]:
    return {path.relative_to(folder).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(folder.rglob("*")) if path.is_file()}


def _build(sources, out, cache, project):
    result = run_chapbook("build", *map(str, sources), "-o", str(out), "-q", *FOUR, cwd=project,
                          env={"SOURCE_DATE_EPOCH": "1700000000", "CHAPBOOK_CACHE_DIR": str(cache)})
    assert result.returncode == 0, result.stderr
    return _sums(out)


def test_a_gemlog_built_over_warm_caches_is_byte_identical_to_a_fresh_build(tmp_path):
    """30 posts: cold, then with every cache warm (into a new folder), then one post edited and a setting
    changed over the last build: each time every file equals a build from nothing with a fresh cache."""
    posts = make_posts(tmp_path / "source")
    cold = _build(posts, tmp_path / "cold", tmp_path / "cache", tmp_path)
    assert len(cold) > 4 * 30
    assert _build(posts, tmp_path / "warm", tmp_path / "cache", tmp_path) == cold
    edited = posts[14]
    edited.write_text(edited.read_text(encoding="utf-8").replace("\n---\n", "\n---\n\nan added word\n", 1)
                      .replace("title: '", "title: 'retitled ", 1), encoding="utf-8")
    (tmp_path / "chapbook.toml").write_text('web_base_url = "https://example.org/"\n', encoding="utf-8")
    again = _build(posts, tmp_path / "cold", tmp_path / "cache", tmp_path)
    fresh = _build(posts, tmp_path / "fresh", tmp_path / "fresh-cache", tmp_path)
    assert again == fresh and again != cold


def test_paths_resolved_once_are_those_path_resolve_gives_through_links(tmp_path):
    from pipeline.build.cache import resolved

    (tmp_path / "real").mkdir()
    (tmp_path / "real" / "post.md").write_text("x", encoding="utf-8")
    (tmp_path / "folder-link").symlink_to("real")
    (tmp_path / "file-link.md").symlink_to("real/post.md")
    for path in ("folder-link/post.md", "file-link.md", "folder-link/../real/post.md", "folder-link/missing.md",
                 "real/./post.md"):
        assert resolved(tmp_path / path) == str((tmp_path / path).resolve()), path
