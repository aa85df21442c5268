"""The EPUB's page markers land before the words each PDF page begins with (pipeline/writers/epub/page_list.py)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from pipeline.writers.epub.page_list import mark_pages, word_index
from pipeline.writers.shared.print_pages import PageStart

H = "{http://www.w3.org/1999/xhtml}"
PAGE = ('<?xml version="1.0" encoding="utf-8"?>\n<html xmlns="http://www.w3.org/1999/xhtml" '
        'xmlns:epub="http://www.idpf.org/2007/ops"><head><title>t</title></head><body>{}</body></html>')
NAV = PAGE.format('<nav epub:type="toc"><h1>contents</h1><ol><li><a href="a.xhtml">one</a></li></ol></nav>')


def _marked(body: str, starts: list[PageStart]) -> tuple[str, ET.Element]:
    documents = [("nav.xhtml", NAV.encode()), ("a.xhtml", PAGE.format(body).encode())]
    marked = mark_pages(word_index(documents), starts, "nav.xhtml")
    return marked["a.xhtml"].decode(), ET.fromstring(marked["nav.xhtml"])


def _words_after(xhtml: str, label: str) -> list[str]:
    """The words after the marker of page `label`, tags taken out."""
    after = xhtml.split(f'id="page-{label}"', 1)[1].split("/>", 1)[1].split("</body>")[0]
    return re.sub(r"</?[a-z][^>]*>", " ", after).split()


def test_each_page_marker_is_before_the_first_word_of_its_page():
    xhtml, nav = _marked("<p>one two three four. five six <em>seven</em> eight nine.</p><p>ten eleven twelve</p>",
                         [PageStart("1", ("one", "two", "three")), PageStart("2", ("six", "seven", "eight")),
                          PageStart("3", ("ten", "eleven"))])
    assert _words_after(xhtml, "1")[:3] == ["one", "two", "three"]
    assert _words_after(xhtml, "2")[:3] == ["six", "seven", "eight"]
    assert _words_after(xhtml, "3") == ["ten", "eleven", "twelve"]
    page_list = nav.find(f".//{H}nav[@id='page-list']")
    assert [a.text for a in page_list.iter(f"{H}a")] == ["1", "2", "3"]
    assert [a.get("href") for a in page_list.iter(f"{H}a")] == [f"a.xhtml#page-{n}" for n in (1, 2, 3)]


def test_a_page_beginning_inside_a_hyphenated_word_is_marked_after_that_word():
    xhtml, _nav = _marked("<p>computers are generating images at scale today</p>",
                          [PageStart("1", ("computers", "are", "gener‐")), PageStart("2", ("ating", "images", "at"))])
    assert _words_after(xhtml, "2")[:3] == ["images", "at", "scale"]


def test_a_leading_asterisk_stays_after_the_marker_and_a_blank_page_marks_the_next_start():
    xhtml, _nav = _marked("<p>before it.</p><p>* i tend to avoid the word</p>",
                          [PageStart("1", ("before", "it.")), PageStart("2", ()), PageStart("3", ("*", "i", "tend"))])
    assert _words_after(xhtml, "3")[:3] == ["*", "i", "tend"]
    assert xhtml.index('id="page-2"') < xhtml.index('id="page-3"') < xhtml.index("* i tend")
