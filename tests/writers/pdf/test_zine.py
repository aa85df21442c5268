"""The one-sheet mini-zine: page order and rotation read back from the imposed sheet (pdftotext -bbox),
the sheet's size, and the refusal of a source longer than eight pages."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from pipeline.writers.pdf.impose import impose_zine
from tests.conftest import ESSAY, run_chapbook
from tests.writers.pdf.test_impose import book, labels

A4 = (841.89, 595.276)
PANEL = (A4[0] / 4, A4[1] / 2)


def small_book(page_count: int) -> bytes:
    """`page_count` pages an eighth of A4, page n labelled `pg<n>` near its top left corner."""
    return book(page_count, PANEL, at=(20, PANEL[1] - 40))


def panels(sheet: bytes) -> dict[str, tuple[int, int, bool]]:
    """Each label's panel (column, row from the top) and whether it is upside down (its label sits at the
    panel's bottom right instead of its top left)."""
    found = {}
    for text, x_min, y_min, _x_max, _y_max in labels(sheet)[0]:
        column, row = int(x_min // PANEL[0]), int(y_min // PANEL[1])  # pdftotext: y grows downwards
        inside_x, inside_y = x_min - column * PANEL[0], y_min - row * PANEL[1]
        found[text] = (column, row, inside_x > PANEL[0] / 2 and inside_y > PANEL[1] / 2)
    return found


def test_eight_pages_land_in_the_standard_fold_order_top_row_upside_down():
    sheet = impose_zine(small_book(8), A4)
    assert panels(sheet) == {
        "pg5": (0, 0, True), "pg4": (1, 0, True), "pg3": (2, 0, True), "pg2": (3, 0, True),
        "pg6": (0, 1, False), "pg7": (1, 1, False), "pg8": (2, 1, False), "pg1": (3, 1, False),
    }
    (page,) = PdfReader(io.BytesIO(sheet)).pages
    assert (float(page.mediabox.width), float(page.mediabox.height)) == pytest.approx(A4)


def test_a_shorter_source_leaves_the_last_panels_blank():
    assert set(panels(impose_zine(small_book(3), A4))) == {"pg1", "pg2", "pg3"}


def test_more_than_eight_pages_cannot_be_imposed():
    with pytest.raises(ValueError, match="8 pages"):
        impose_zine(small_book(9), A4)


def test_a_short_post_builds_as_one_a4_or_letter_sheet_and_a_long_one_is_refused(tmp_path):
    source = tmp_path / "post.md"
    source.write_text("---\ntitle: a short post\n---\n\nthis is a short post for a zine.\n\n## one\n\nsome words.\n",
                      encoding="utf-8")
    for paper, size in (("a5", A4), ("half-letter", (792.0, 612.0))):
        result = run_chapbook("build", "-f", "zine", "--paper", paper, "-o", str(tmp_path / paper), str(source))
        assert result.returncode == 0, result.stderr
        (page,) = PdfReader(tmp_path / paper / "post-zine.pdf").pages
        assert (float(page.mediabox.width), float(page.mediabox.height)) == pytest.approx(size)
    long = run_chapbook("build", "-f", "zine", "-o", str(tmp_path / "long"), str(ESSAY))
    assert long.returncode == 1 and long.stderr.strip().count("\n") == 0
    assert "the zine holds 8 pages" in long.stderr and "-f booklet" in long.stderr


def test_all_leaves_out_the_editions_made_only_on_request():
    from pipeline.cli import _chosen_editions

    everything = _chosen_editions(("all",))
    assert "zine" not in everything and "cover" not in everything
    assert {"print", "booklet", "jpg"} <= set(everything)
    assert "zine" in _chosen_editions(("zine",)) and "cover" in _chosen_editions(("cover",))
