"""Kobo's span markup (pipeline/writers/epub/kobo.py): markup added, nothing else changed, read back with lxml."""

from __future__ import annotations

import io
import re
import zipfile

import pytest
from conftest import ESSAY, FIXTURES, run_chapbook
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree

from pipeline.writers.epub import kobo as kepub

X = "{http://www.w3.org/1999/xhtml}"
KOBO_ID = re.compile(r"\Akobo\.(\d+)\.(\d+)\Z")
PAGE = """<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE html>
<html xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops" lang="en" xml:lang="en">
<head><meta charset="utf-8"/><title>a page</title></head>
<body epub:type="bodymatter">
<section>
<h1 id="h">a Heading. with Two sentences</h1>
<!-- a comment that stays -->
<p>first sentence. second one? third: <em>emphasis. inside</em> and a <a href="#h">link</a> after.</p>
<ul><li>one<ul><li>two <span class="x">kept span</span><ul><li>three</li></ul></li></ul></li></ul>
<pre>  code. keeps   its spacing.
  line two</pre>
<p>before <img src="a.png" alt="an image"/> after the image.</p>
</section>
</body>
</html>
"""


def _parse(data: bytes):
    return etree.fromstring(data)


def _without_kobo(data: bytes) -> bytes:
    """The document with Kobo's spans and wrapper divs taken out and blank text ignored, canonicalised."""
    root = _parse(data)
    for element in root.iter():
        is_span = element.tag == X + "span" and element.get("class") == "koboSpan"
        if is_span or (element.tag == X + "div" and element.get("id") in kepub.WRAPPERS):
            element.tag = "{urn:test}unwrap"
    etree.strip_tags(root, "{urn:test}unwrap")
    etree.cleanup_namespaces(root)
    for element in root.iter():
        if element.text is not None and not element.text.strip():
            element.text = None
        if element.tail is not None and not element.tail.strip():
            element.tail = None
    return etree.tostring(root, method="c14n")


def _kobo_spans(root) -> list:
    return [s for s in root.iter(X + "span") if s.get("class") == "koboSpan"]


@given(st.text(alphabet=st.sampled_from("ab .!?:…\"”)'\n\t é"), max_size=60))
def test_segments_give_the_text_back_exactly(text):
    pieces = kepub.segments(text)
    assert "".join(pieces) == text
    assert all(piece for piece in pieces)


def test_segments_end_after_sentence_punctuation():
    assert kepub.segments('one. "two?" three: four… five') == ["one. ", '"two?" ', "three: ", "four… ", "five"]
    assert kepub.segments("3.14 and e.g. this") == ["3.14 and e.g. ", "this"]


def test_only_markup_is_added():
    converted = kepub.kepub_document(PAGE.encode())
    assert _without_kobo(converted) == _without_kobo(PAGE.encode())
    assert converted.startswith(b'<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE html>\n')
    assert b"<!-- a comment that stays -->" in converted


def test_spans_are_numbered_by_paragraph_then_segment():
    root = _parse(kepub.kepub_document(PAGE.encode()))
    spans = _kobo_spans(root)
    ids = [tuple(map(int, KOBO_ID.match(span.get("id")).groups())) for span in spans]
    assert len(set(ids)) == len(ids) and ids == sorted(ids)
    by_text = {"".join(span.itertext()): span.get("id") for span in spans}
    assert by_text["a Heading. "] == "kobo.1.1" and by_text["with Two sentences"] == "kobo.1.2"
    assert [by_text[t] for t in ("first sentence. ", "second one? ", "third: ", "emphasis. ", "inside", "link")] == [
        "kobo.2.1", "kobo.2.2", "kobo.2.3", "kobo.2.4", "kobo.2.5", "kobo.2.7"]
    # Each list item is a paragraph of its own; the image too, between the text around it.
    assert [by_text[t].split(".")[1] for t in ("one", "two ", "kept span", "three")] == ["3", "4", "4", "5"]
    image_span = root.find(f".//{X}img").getparent()
    assert image_span.get("class") == "koboSpan" and image_span.get("id") == "kobo.7.1"
    assert by_text["before "] == "kobo.6.1" and by_text[" after the image."] == "kobo.8.1"


def test_preformatted_text_is_left_alone_and_body_is_wrapped():
    root = _parse(kepub.kepub_document(PAGE.encode()))
    pre = root.find(f".//{X}pre")
    assert len(pre) == 0 and pre.text == "  code. keeps   its spacing.\n  line two"
    body = root.find(f"{X}body")
    assert [(child.tag, child.get("id")) for child in body] == [(X + "div", "book-columns")]
    assert body[0][0].get("id") == "book-inner"


def test_a_document_with_spans_already_is_not_changed_again():
    once = kepub.kepub_document(PAGE.encode())
    assert kepub.kepub_document(once) == once


def test_wrapper_ids_never_duplicate_an_author_id():
    page = PAGE.replace('id="h"', 'id="book-inner"').replace('href="#h"', 'href="#book-inner"')
    root = _parse(kepub.kepub_document(page.encode()))
    ids = root.xpath("//@id")
    assert len(ids) == len(set(ids))


@pytest.fixture(scope="module")
def essay_books(tmp_path_factory):
    out = tmp_path_factory.mktemp("kepub")
    result = run_chapbook("build", "-f", "epub", "-q", "-o", str(out), str(ESSAY), str(FIXTURES / "table-image.md"),
                          env={"SOURCE_DATE_EPOCH": "1722470400"})
    assert result.returncode == 0, result.stderr
    return [out / "essay.epub", out / "table-image.epub"]


def test_kepub_of_a_book_changes_only_content_documents(essay_books):
    for book in essay_books:
        data = book.read_bytes()
        converted = kepub.kepub(data)
        assert kepub.kepub(data) == converted  # reproducible
        before, after = zipfile.ZipFile(io.BytesIO(data)), zipfile.ZipFile(io.BytesIO(converted))
        assert after.namelist() == before.namelist() and after.namelist()[0] == "mimetype"
        assert after.getinfo("mimetype").compress_type == zipfile.ZIP_STORED
        changed = [name for name in before.namelist() if before.read(name) != after.read(name)]
        assert changed and all(name.endswith(".xhtml") and "nav" not in name for name in changed)
        for name in changed:
            assert _without_kobo(after.read(name)) == _without_kobo(before.read(name))
            # The cover page holds only an SVG, which kobo.py leaves as it is (_UNTOUCHED): wrapped, no spans.
            assert _kobo_spans(_parse(after.read(name))) or name.endswith("/cover.xhtml"), name
