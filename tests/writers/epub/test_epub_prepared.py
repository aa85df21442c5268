"""The EPUB's prepare() (made while the PDF is laid out): render() writes the same bytes with it or without it."""

from __future__ import annotations

import io
import zipfile
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from conftest import ESSAY, read_fixture

from pipeline.editions import PREPARED, Companion
from pipeline.writers.epub import book as epub_writer
from pipeline.writers.pdf import book as pdf_writer

EPOCH = datetime.fromtimestamp(1722470400, tz=UTC)
NAMES = ["essay", "kitchen-sink", "footnotes", "table-image"]


@pytest.fixture(scope="module")
def books() -> dict:
    """Each source's document and its PDF as the pdf edition lays it out."""
    found = {}
    for name in NAMES:
        document = replace(read_fixture(str(ESSAY) if name == "essay" else f"{name}.md"), modified=EPOCH)
        found[name] = (document, Companion("pdf", f"{name}.pdf", pdf_writer.render(document, {}, 1)))
    return found


def _nav(epub: bytes) -> bytes:
    return zipfile.ZipFile(io.BytesIO(epub)).read("EPUB/nav.xhtml")


@pytest.mark.parametrize("name", NAMES)
def test_the_epub_is_the_same_with_a_prepared_book_or_without(books, name):
    document, pdf = books[name]
    fresh = epub_writer.render(document, {"pdf": pdf})
    assert b'epub:type="page-list"' in _nav(fresh)  # the page marks are in what is compared
    prepared = epub_writer.prepare(document)
    assert epub_writer.render(document, {"pdf": pdf, PREPARED: prepared}) == fresh
    # One prepared book, as watch uses it: the EPUB without the PDF first, then with it, then again.
    assert epub_writer.render(document, {PREPARED: prepared}) == epub_writer.render(document)
    assert epub_writer.render(document, {"pdf": pdf, PREPARED: prepared}) == fresh


def test_with_a_prepared_book_render_renders_no_page_and_finds_no_word_again(books, monkeypatch):
    document, pdf = books["essay"]
    fresh = epub_writer.render(document, {"pdf": pdf})
    prepared = epub_writer.prepare(document)

    def refused(*args, **kwargs):
        raise AssertionError("made again, although prepared")
    for name in ("render_blocks", "word_index", "images_without_alt", "anchor_ids", "cover_image", "image_files"):
        monkeypatch.setattr(epub_writer, name, refused)
    assert epub_writer.render(document, {"pdf": pdf, PREPARED: prepared}) == fresh
