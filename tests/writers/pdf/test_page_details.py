"""The last details a careful reader sees on the PDF's pages, read back with pdftotext -bbox-layout: no running
head over the title, contents and opening pages, dotted leaders in the contents, facing pages that end on the
same line, no heading left at a page's foot with fewer than two lines under it, no break at a hyphen the author
typed nor inside a word of the exceptions list."""

from __future__ import annotations

import re

import pytest

from pipeline.build import prepare
from tests.conftest import ESSAY
from tests.pagelines import HYPHENS, body_lines, head_line, read_pages, runs_of_text
from tests.writers.pdf.test_pdf import BOTTOM, EPOCH, TOP, first_body_words, render_source

SPREAD_TOLERANCE = 1.0  # points between the last lines' bottoms on facing pages (measured: 0.0 on the essay)


@pytest.fixture(scope="module")
def essay_pages(tmp_path_factory):
    """The essay's document and its PDF's pages."""
    document, path = render_source(ESSAY, tmp_path_factory.mktemp("page-details"), SOURCE_DATE_EPOCH=EPOCH)
    return document, read_pages(path)


def _opening_page(document, pages) -> int:
    words = first_body_words(document)
    return next(page.number for page in pages if page.number > 2
                and words in " ".join(line.text for line in body_lines(page, TOP, BOTTOM)))


def _contents_pages(pages) -> list[int]:
    return [page.number for page in pages if any(". . ." in line.text for line in page.lines)]


def test_title_contents_and_opening_pages_have_no_running_head_but_other_pages_do(essay_pages):
    document, pages = essay_pages
    contents = _contents_pages(pages)
    opening = _opening_page(document, pages)
    for number in (1, contents[0], opening):
        assert head_line(pages[number - 1], TOP) == "", number
    assert head_line(pages[opening], TOP) == document.meta.title  # the next page, a left one
    assert all(head_line(page, TOP) for page in pages[opening:] if body_lines(page, TOP, BOTTOM))


def test_contents_entries_have_dotted_leaders_to_a_flush_right_page_number(essay_pages):
    document, pages = essay_pages
    entries = [heading.text for heading in document.outline() if heading.level <= 2]
    lines = [line for number in _contents_pages(pages) for line in body_lines(pages[number - 1], TOP, BOTTOM)
             if line.words[-1].isdigit()]
    assert len(lines) == len(entries)
    for number in _contents_pages(pages):  # every number flush right, on the text block's right edge
        edges = {round(line.x1) for line in lines if line.page == number}
        folio_edge = round(pages[number - 1].lines[-1].x1)  # the folio, outside, flush with the text block
        assert len(edges) == 1 and (number % 2 == 0 or edges == {folio_edge}), (number, edges, folio_edge)
    for line in lines:
        dots = [index for index, word in enumerate(line.words) if word == "."]
        assert len(dots) >= 3, line.text
        assert dots[-1] == len(line.words) - 2, line.text  # the leader runs up to the number
        # and from the entry's text: no gap wider than a few dots' spacing anywhere on the line
        assert max(line.spaces) < 12, (line.text, max(line.spaces))


def _last_line_bottom(page) -> float | None:
    lines = body_lines(page, TOP, BOTTOM)
    return max(line.y1 for line in lines) if lines else None


def test_facing_pages_of_the_essay_end_on_the_same_line(essay_pages):
    document, pages = essay_pages
    opening = _opening_page(document, pages)
    differences = []
    # Each spread of text pages: a left (even) page and the right one after it, before the last page.
    for left in range(opening + 1, len(pages) - 1, 2):
        bottoms = [_last_line_bottom(pages[left - 1]), _last_line_bottom(pages[left])]
        differences.append((left, abs(bottoms[0] - bottoms[1])))
    assert len(differences) >= 8
    assert all(difference <= SPREAD_TOLERANCE for _page, difference in differences), differences


def test_no_heading_ends_a_page_with_fewer_than_two_lines_under_it(essay_pages):
    document, pages = essay_pages
    headings = {heading.text for heading in document.outline()}
    contents = set(_contents_pages(pages))
    checked = 0
    for page, following in zip(pages, pages[1:], strict=False):
        if page.number in contents:
            continue
        texts = [line.text for line in body_lines(page, TOP, BOTTOM)]
        positions = [index for index, text in enumerate(texts) if text in headings]
        next_lines = body_lines(following, TOP, BOTTOM)
        if not positions or not next_lines or next_lines[0].text in headings:
            continue  # no heading here, or its section ends on this page
        checked += 1
        assert len(texts) - positions[-1] - 1 >= 2, (page.number, texts[positions[-1]])
    assert checked >= 10


def test_page_details_hold_on_a_document_read_as_the_build_reads_it():
    document = prepare(ESSAY)
    assert document.outline()  # the essay has headings, so the tests above read something


def test_no_line_breaks_at_or_beside_an_authors_hyphen_nor_inside_an_exception_word(essay_pages):
    from pipeline.writers.pdf.whole_words import exception_words

    _document, pages = essay_pages
    source = ESSAY.read_text(encoding="utf-8")
    compounds = set(re.findall(r"\w+(?:-\w+)+", source.lower()))
    names = exception_words()
    assert len(compounds) >= 20 and names is not None and names.search(source)  # there is something to break
    broken = []
    for run in runs_of_text(pages, TOP, BOTTOM):
        for line, following in zip(run, run[1:], strict=False):
            last = line.words[-1]
            if not last.endswith(HYPHENS) or len(last) < 2:
                continue
            typed = last.endswith("-")  # the author's hyphen ends the line: a break at it, if the word goes on
            word = (last if typed else last[:-1]) + following.words[0]
            core = re.sub(r"^\W+|\W+$", "", word.lower())
            if (typed and core in compounds) or (not typed and ("-" in core or names.search(core))):
                broken.append(f"p{line.page}: {last} / {following.words[0]}")
    assert broken == []
