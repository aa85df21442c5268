"""Where each page of a PDF begins (pipeline/writers/shared/print_pages.py), read from a PDF made here with pikepdf."""

from __future__ import annotations

import io
import shutil
import subprocess

import pikepdf
import pytest

from pipeline.writers.shared import print_pages
from pipeline.writers.shared.print_pages import page_starts

PAGES = 61  # a prime: no number of processes reads ranges of one size


def _book(pages: int = PAGES) -> bytes:
    """A PDF of `pages` pages of two lines each, page n beginning "page n of the book"; page 7 blank."""
    pdf = pikepdf.new()
    font = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1,
                                                BaseFont=pikepdf.Name.Helvetica))
    for number in range(1, pages + 1):
        lines = [] if number == 7 else [f"page {number} of the book", f"and its words go on {number}"]
        text = "".join(f"BT /F1 12 Tf 72 {720 - 20 * row} Td ({line}) Tj ET\n" for row, line in enumerate(lines))
        page = pikepdf.Page(pikepdf.Dictionary(Type=pikepdf.Name.Page, MediaBox=[0, 0, 612, 792],
                                               Resources=pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font)),
                                               Contents=pdf.make_stream(text.encode("ascii"))))
        pdf.pages.append(page)
    buffer = io.BytesIO()
    pdf.save(buffer)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def book() -> bytes:
    return _book()


def _one_call(pdf: bytes, tmp_path) -> list[str]:
    """Each page's text as one pdftotext call for the whole book reads it."""
    (tmp_path / "book.pdf").write_bytes(pdf)
    text = subprocess.run(["pdftotext", "-raw", "-enc", "UTF-8", str(tmp_path / "book.pdf"), "-"],
                          capture_output=True, check=True).stdout.decode()
    return text.split("\f")[:PAGES]


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler's pdftotext is not installed")
@pytest.mark.parametrize("processes", [2, 3, 4, 8])
def test_pages_read_in_ranges_at_once_have_the_text_of_one_call(book, tmp_path, processes):
    assert print_pages._poppler_texts(book, PAGES, processes) == _one_call(book, tmp_path)
    assert page_starts(book, processes=processes) == page_starts(book, processes=1)


def test_each_page_starts_with_its_own_words_and_a_blank_page_with_none(book):
    starts = page_starts(book, count=4)
    assert [start.label for start in starts] == [str(number) for number in range(1, PAGES + 1)]
    assert starts[0].words == ("page", "1", "of", "the")
    assert starts[6].words == ()
    assert starts[PAGES - 1].words == ("page", str(PAGES), "of", "the")


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler's pdftotext is not installed")
def test_a_long_book_is_read_by_one_pdftotext_process_per_core(book, monkeypatch):
    monkeypatch.setattr("pipeline.build.workers.cores", lambda: 3)
    launched = []
    real = subprocess.Popen
    monkeypatch.setattr(subprocess, "Popen", lambda command, **options: launched.append(command)
                        or real(command, **options))
    page_starts(book)
    ranges = sorted((int(command[command.index("-f") + 1]), int(command[command.index("-l") + 1]))
                    for command in launched)
    assert ranges == [(1, 21), (22, 42), (43, 61)]
    launched.clear()
    page_starts(_book(5))  # too short to share
    assert len(launched) == 1


def test_without_pdftotext_pypdf_reads_the_same_first_words(book, monkeypatch):
    with_poppler = page_starts(book)
    monkeypatch.setattr(shutil, "which", lambda name: None)
    assert page_starts(book) == with_poppler
