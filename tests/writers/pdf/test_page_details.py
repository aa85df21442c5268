"""The last details a careful reader sees on the PDF's pages, read back with pdftotext -bbox-layout: no running
head over the title, contents and opening pages, dotted leaders in the contents, facing pages that end on the
same line, no heading left at a page's foot with fewer than two lines under it, no break at a hyphen the author
typed nor inside a word of the exceptions list."""

from __future__ import annotations

import re
import subprocess

import pytest

from pipeline.build import prepare
from tests.conftest import ESSAY
from tests.pagelines import HYPHENS, Line, body_lines, head_line, read_pages, runs_of_text
from tests.writers.pdf.test_pdf import BOTTOM, EPOCH, TOP, first_body_words, render_source

SPREAD_TOLERANCE = 1.0  # points between the last lines' bottoms on facing pages (measured: 0.0 on the essay)


@pytest.fixture(scope="module")
def essay_pages(tmp_path_factory):
    """The essay's document, its PDF's pages and the PDF's path."""
    document, path = render_source(ESSAY, tmp_path_factory.mktemp("page-details"), SOURCE_DATE_EPOCH=EPOCH)
    return document, read_pages(path), path


def _opening_page(document, pages) -> int:
    words = first_body_words(document)
    return next(page.number for page in pages if page.number > 2
                and words in " ".join(line.text for line in body_lines(page, TOP, BOTTOM)))


def _rows(page) -> list[Line]:
    """The page's body lines, those side by side (an entry and its page number, far apart) joined into one."""
    rows: list[Line] = []
    for line in sorted(body_lines(page, TOP, BOTTOM), key=lambda line: (round(line.y1), line.x0)):
        if rows and abs(rows[-1].y1 - line.y1) < 2:
            last = rows.pop()
            line = Line(line.page, last.x0, min(last.y0, line.y0), line.x1, max(last.y1, line.y1),
                        last.words + line.words, last.spans + line.spans)
        rows.append(line)
    return rows


def _contents_pages(pages) -> list[int]:
    """From the page labelled "contents" on, the pages whose every row ends with a page number."""
    label = next(page.number for page in pages if any(line.text == "contents" for line in page.lines))
    return [page.number for page in pages[label - 1:]
            if _rows(page) and all(row.words[-1].isdigit() or row.text == "contents" for row in _rows(page))]


def test_title_contents_and_opening_pages_have_no_running_head_but_other_pages_do(essay_pages):
    document, pages, _path = essay_pages
    contents = _contents_pages(pages)
    opening = _opening_page(document, pages)
    for number in (1, contents[0], opening):
        assert head_line(pages[number - 1], TOP) == "", number
    assert head_line(pages[opening], TOP) == document.meta.title  # the next page, a left one
    assert all(head_line(page, TOP) for page in pages[opening:] if body_lines(page, TOP, BOTTOM))


def _dark_runs(row: list[int]) -> list[tuple[int, int]]:
    """The runs of dark pixels in a row of grey values: (start, end) each."""
    runs, start = [], None
    for index, value in enumerate([*row, 255]):
        if value < 160 and start is None:
            start = index
        elif value >= 160 and start is not None:
            runs.append((start, index))
            start = None
    return runs


def test_contents_entries_have_dotted_leaders_to_a_flush_right_page_number(essay_pages, tmp_path):
    from PIL import Image

    document, pages, path = essay_pages
    entries = [heading.text for heading in document.outline() if heading.level <= 2]
    contents = _contents_pages(pages)
    lines = [row for number in contents for row in _rows(pages[number - 1]) if row.words[-1].isdigit()]
    assert len(lines) == len(entries)
    for number in contents:  # every number flush right, on the text block's right edge
        edges = {round(line.x1) for line in lines if line.page == number}
        folio_edge = round(pages[number - 1].lines[-1].x1)  # the folio, outside, flush with the text block
        assert len(edges) == 1 and (number % 2 == 0 or edges == {folio_edge}), (number, edges, folio_edge)
    # The dots are drawn, not text: read them off the page as a reader sees it, 4 pixels a point.
    scale = 4
    for number in contents:
        stem = tmp_path / f"contents-{number}"
        subprocess.run(["pdftoppm", "-f", str(number), "-l", str(number), "-r", str(72 * scale), "-gray",
                        "-singlefile", "-png", str(path), str(stem)], check=True)
        image = Image.open(f"{stem}.png").convert("L")
        for line in (line for line in lines if line.page == number):
            text_end, number_start = line.spans[-2][1], line.spans[-1][0]
            gap = number_start - text_end
            assert 8 < gap < line.x1 - line.x0, line.text  # the number is apart from the entry, on its line
            best = max((_dark_runs([image.getpixel((x, y)) for x in range(round(text_end * scale),
                                                                              round(number_start * scale))])
                        for y in range(round(line.y0 * scale), round(line.y1 * scale))), key=len)
            # A dot every 4.5 pt from the entry's end to its number, none wider than a dot.
            assert len(best) >= gap / 4.5 - 2, (line.text, len(best), gap)
            assert all(end - start <= 1.5 * scale for start, end in best), line.text
            # from within a dot spacing and the white margin (0.35 em) of the entry and of the number
            assert best[-1][1] / scale > gap - 8 and best[0][0] / scale < 8, line.text


def _last_line_bottom(page) -> float | None:
    lines = body_lines(page, TOP, BOTTOM)
    return max(line.y1 for line in lines) if lines else None


def test_facing_pages_of_the_essay_end_on_the_same_line(essay_pages):
    document, pages, _path = essay_pages
    opening = _opening_page(document, pages)
    differences = []
    # Each spread of text pages: a left (even) page and the right one after it, before the last page.
    for left in range(opening + 1, len(pages) - 1, 2):
        bottoms = [_last_line_bottom(pages[left - 1]), _last_line_bottom(pages[left])]
        differences.append((left, abs(bottoms[0] - bottoms[1])))
    assert len(differences) >= 8
    assert all(difference <= SPREAD_TOLERANCE for _page, difference in differences), differences


def test_no_heading_ends_a_page_with_fewer_than_two_lines_under_it(essay_pages):
    document, pages, _path = essay_pages
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

    _document, pages, _path = essay_pages
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
