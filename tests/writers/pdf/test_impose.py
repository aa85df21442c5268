"""Saddle-stitch imposition, read back sheet by sheet with pdftotext and folded on paper, in the test.

The books are drawn cheaply with pydyf (one label per page), not laid out by WeasyPrint. Each
booklet page is read with `pdftotext -bbox`; a word left of the sheet's centre line belongs to the
half-sheet on the left. The test then folds the sheets as a reader would (the stack of a signature
folded in half, signatures one after another) and reads the pages in that order.
"""

from __future__ import annotations

import io
import subprocess
import xml.etree.ElementTree as ElementTree

import pydyf
import pytest
from pypdf import PdfReader

from pipeline.writers.pdf.impose import impose

A5 = (419.528, 595.276)  # points
A4_LANDSCAPE = (841.89, 595.276)
LABEL_X, LABEL_Y = 60.0, 500.0  # where each page's label is drawn, from the page's bottom left


def book(page_count: int, size: tuple[float, float] = A5, at: tuple[float, float] = (LABEL_X, LABEL_Y)) -> bytes:
    """A PDF of `page_count` pages of `size`, page n labelled `pg<n>` (pg1, pg2, ...) at `at`."""
    document = pydyf.PDF()
    font = pydyf.Dictionary({"Type": "/Font", "Subtype": "/Type1", "BaseFont": "/Helvetica"})
    document.add_object(font)
    for number in range(1, page_count + 1):
        stream = pydyf.Stream()
        stream.begin_text()
        stream.set_font_size("F1", 14)
        stream.set_text_matrix(1, 0, 0, 1, *at)
        stream.show_text_string(f"pg{number}")
        stream.end_text()
        document.add_object(stream)
        page = pydyf.Dictionary({
            "Type": "/Page", "Parent": document.pages.reference,
            "MediaBox": pydyf.Array([0, 0, *size]), "Contents": stream.reference,
            "Resources": pydyf.Dictionary({"Font": pydyf.Dictionary({"F1": font.reference})}),
        })
        document.add_page(page)
    output = io.BytesIO()
    document.write(output)
    return output.getvalue()


def labels(pdf: bytes) -> list[list[tuple[str, float, float, float, float]]]:
    """Each page's words with their boxes (text, xMin, yMin, xMax, yMax), from pdftotext -bbox."""
    html = subprocess.run(["pdftotext", "-bbox", "-", "-"], input=pdf, capture_output=True, check=True).stdout
    html = html[html.index(b"<body>"):html.index(b"</body>") + 7]
    return [[(word.text, *(float(word.get(k)) for k in ("xMin", "yMin", "xMax", "yMax")))
             for word in page.iter("word")] for page in ElementTree.fromstring(html).iter("page")]


def half_sheets(booklet: bytes, fold: float) -> list[tuple[str | None, str | None]]:
    """(left, right) label of every booklet page; None for a blank half. Fails on a label across the fold."""
    sides = []
    for words in labels(booklet):
        halves: dict[str, str] = {}
        for text, x_min, _y_min, x_max, _y_max in words:
            assert x_max <= fold or x_min >= fold, f"{text} lies across the fold"
            half = "left" if x_max <= fold else "right"
            assert half not in halves, f"two pages on one half-sheet: {halves[half]} and {text}"
            halves[half] = text
        sides.append((halves.get("left"), halves.get("right")))
    return sides


def fold(sides: list[tuple], signature_sheets: list[int]) -> list[str | None]:
    """The pages in reading order after folding: each signature's sheets stacked and folded in half.

    Sheet i of a stack shows, front then back: (left, right) and (left, right). Folded, the reader
    meets the right half of each front from the outside in, with the left half of its back after
    it, then from the middle outwards the right half of each back and the left half of its front.
    """
    pages, start = [], 0
    for count in signature_sheets:
        stack = [(sides[2 * i], sides[2 * i + 1]) for i in range(start, start + count)]
        for front, back in stack:
            pages += [front[1], back[0]]
        for front, back in reversed(stack):
            pages += [back[1], front[0]]
        start += count
    return pages


def signature_sheets(page_count: int, signature: int | None) -> list[int]:
    """Sheets per signature, counted here from the request: pages padded to 4, `signature` per gathering."""
    padded = (page_count + 3) // 4 * 4
    if signature is None:
        return [padded // 4]
    sheets, most = padded // 4, signature // 4
    gatherings = -(-sheets // most)  # as few gatherings as the signature allows, their sheets near-equal
    return [sheets // gatherings + (index < sheets % gatherings) for index in range(gatherings)]


@pytest.mark.parametrize("page_count", [1, 4, 5, 25, 28, 438])
@pytest.mark.parametrize("signature", [None, 8, 16])
def test_folded_booklet_reads_in_order_with_blanks_only_at_the_end(page_count, signature):
    booklet = impose(book(page_count), signature=signature)
    sides = half_sheets(booklet, fold=A5[0])
    sheets = signature_sheets(page_count, signature)
    assert len(sides) == 2 * sum(sheets), "one front and one back per sheet"
    read = fold(sides, sheets)
    padded = (page_count + 3) // 4 * 4
    assert read == [f"pg{n}" for n in range(1, page_count + 1)] + [None] * (padded - page_count)


def test_known_small_booklets_sheet_by_sheet():
    # Written out by hand: 4 pages on one sheet; 5 pages padded to 8 on two; 25 pages on 7 sheets.
    assert half_sheets(impose(book(4)), A5[0]) == [("pg4", "pg1"), ("pg2", "pg3")]
    assert half_sheets(impose(book(5)), A5[0]) == [(None, "pg1"), ("pg2", None), (None, "pg3"), ("pg4", "pg5")]
    sides = half_sheets(impose(book(25)), A5[0])
    assert len(sides) == 14
    assert sides[0] == (None, "pg1") and sides[1] == ("pg2", None) and sides[-1] == ("pg14", "pg15")


def test_back_pages_stay_last_after_the_blanks():
    sides = half_sheets(impose(book(5), back_pages=1), A5[0])
    assert fold(sides, [2]) == ["pg1", "pg2", "pg3", "pg4", None, None, None, "pg5"]


def test_signatures_are_gatherings_folded_on_their_own():
    sides = half_sheets(impose(book(20), signature=8), A5[0])
    # 20 pages: two 8-page signatures and one of 4; the first sheet holds 1, 2, 7, 8.
    assert sides[:2] == [("pg8", "pg1"), ("pg2", "pg7")]
    assert sides[4:6] == [("pg16", "pg9"), ("pg10", "pg15")]
    assert sides[8:] == [("pg20", "pg17"), ("pg18", "pg19")]


def test_sheets_are_twice_a_page_and_pages_are_not_scaled():
    source, booklet = book(6), impose(book(6))
    for page in PdfReader(io.BytesIO(booklet)).pages:
        assert (float(page.mediabox.width), float(page.mediabox.height)) == pytest.approx((2 * A5[0], A5[1]))
    placed = {text: box for words in labels(booklet) for text, *box in words}
    for words in labels(source):
        (text, *box), = words
        x_min, y_min, x_max, y_max = placed[text]
        assert (x_max - x_min, y_max - y_min) == pytest.approx((box[2] - box[0], box[3] - box[1]), abs=0.01)
        assert y_min == pytest.approx(box[1], abs=0.01)
        assert x_min - box[0] == pytest.approx(0, abs=0.01) or x_min - box[0] == pytest.approx(A5[0], abs=0.01)


def test_a5_pages_on_a4_paper_meet_at_its_centre_unscaled():
    booklet = impose(book(4), sheet=A4_LANDSCAPE)
    page = PdfReader(io.BytesIO(booklet)).pages[0]
    assert (float(page.mediabox.width), float(page.mediabox.height)) == pytest.approx(A4_LANDSCAPE)
    fold_x = A4_LANDSCAPE[0] / 2
    x_min = {text: x for text, x, *_ in labels(booklet)[0]}
    source_x = labels(book(1))[0][0][1]
    assert x_min["pg4"] == pytest.approx(fold_x - A5[0] + source_x, abs=0.01)
    assert x_min["pg1"] == pytest.approx(fold_x + source_x, abs=0.01)
    with pytest.raises(ValueError, match="cannot hold"):
        impose(book(4), sheet=(600, 595.276))


def test_creep_moves_inner_sheets_towards_the_fold():
    creep = 2.0  # points per sheet, large enough to measure
    flat, crept = labels(impose(book(16))), labels(impose(book(16), creep=creep))
    for side, (plain_words, crept_words) in enumerate(zip(flat, crept, strict=True)):
        depth = side // 2  # one sheet per front and back; the outermost sheet first
        plain = {text: x_min for text, x_min, *_ in plain_words}
        for text, x_min, *_ in crept_words:
            towards_fold = 1 if plain[text] < A5[0] else -1
            assert x_min - plain[text] == pytest.approx(towards_fold * creep * depth, abs=0.01), text


def test_a_signature_that_is_not_a_multiple_of_four_is_refused():
    with pytest.raises(ValueError, match="multiple of 4"):
        impose(book(8), signature=6)


def test_imposing_twice_gives_the_same_bytes():
    source = book(9)
    assert impose(source, signature=8) == impose(source, signature=8)
