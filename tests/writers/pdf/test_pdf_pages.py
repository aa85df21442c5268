"""The PDF's page structure: contents page numbers taken from the previous PDF and checked after layout."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from pypdf import PdfReader

from pipeline.editions import PREVIOUS, Companion
from tests.pagelines import body_lines, read_pages
from tests.writers.pdf.test_pdf import BOTTOM, EPOCH, TOP, annotations, contents_lines, page_texts, render_source

HELD = "the contents' page numbers of the previous PDF still hold"
MOVED = "a section moved to another page since the previous PDF"


def render_with_previous(path: Path, previous: Path, tmp: Path, name: str) -> Path:
    """Read `path` as a build does and write its PDF, handing in `previous` as the build would."""
    from pipeline.build import prepare
    from pipeline.writers.pdf import book as pdf

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOURCE_DATE_EPOCH", EPOCH)
        document = prepare(path)
    output = tmp / f"{name}.pdf"
    output.write_bytes(pdf.render(document, {PREVIOUS: Companion("pdf", previous.name, previous.read_bytes())}))
    return output


def printed_contents(path: Path) -> dict[str, int]:
    """Each contents entry as pdftotext reads it from the contents pages: its text and the number after it.

    The contents pages are the run of pages from the "contents" label on that link to sections.
    """
    reader = PdfReader(path)
    linking = {page for page, annotation in annotations(reader) if "/Dest" in annotation}
    texts = page_texts(path, raw=True)
    number = next(number for number, text in enumerate(texts, start=1) if "contents" in text.split())
    entries = {}
    while number in linking:
        entries.update(contents_lines(texts[number - 1]))
        number += 1
    return entries


def heading_pages(path: Path, texts) -> dict[str, int]:
    """The page each heading starts on: its first line set larger than the text, read back by pdftotext."""
    lines = [line for page in read_pages(path)[2:] for line in body_lines(page, TOP, BOTTOM)]
    text_height = sorted(line.height for line in lines)[len(lines) // 2]
    headings: list[tuple[int, float, str]] = []  # page, bottom, text: a heading's lines joined
    for line in (line for line in lines if line.height > text_height + 1):
        if headings and headings[-1][0] == line.page and line.y0 - headings[-1][1] < line.height / 2:
            headings[-1] = (line.page, line.y1, f"{headings[-1][2]} {line.text}")
        else:
            headings.append((line.page, line.y1, line.text))
    return {text: next(page for page, _bottom, heading in headings if heading == text) for text in texts}


SECTIONS = "---\ntitle: moving sections\nlang: en\n---\n\n" + "".join(
    f"# part {number}\n\n{{filler}}a short section of text, number {number}.\n\n" for number in range(1, 5))
FILLER = "".join(f"filler paragraph {n} with enough words in it to take up a few lines of the page. " * 4 + "\n\n"
                 for n in range(14))


def test_the_previous_pdf_gives_the_same_bytes_with_less_layout(tmp_path, caplog):
    # A contents too short to be laid out apart from the body (the essay's is: tests/writers/pdf/test_pdf_parts.py).
    source = tmp_path / "sections.md"
    source.write_text(SECTIONS.replace("{filler}", FILLER), encoding="utf-8")
    _document, cold = render_source(source, tmp_path, "cold", SOURCE_DATE_EPOCH=EPOCH)
    with caplog.at_level(logging.DEBUG, logger="chapbook"):
        hinted = render_with_previous(source, cold, tmp_path, "hinted")
    assert HELD in caplog.text
    assert hinted.read_bytes() == cold.read_bytes()
    assert len(printed_contents(hinted)) == 4


def test_a_stale_previous_pdf_still_gives_each_sections_page(tmp_path, caplog):
    source = tmp_path / "moving.md"
    source.write_text(SECTIONS.replace("{filler}", ""), encoding="utf-8")
    _document, before = render_source(source, tmp_path, "before", SOURCE_DATE_EPOCH=EPOCH)
    # Pages of filler before the second part: parts 2 to 4 move on by several pages.
    source.write_text(SECTIONS.replace("{filler}", FILLER, 2).replace("{filler}", ""), encoding="utf-8")
    with caplog.at_level(logging.DEBUG, logger="chapbook"):
        after = render_with_previous(source, before, tmp_path, "after")
    assert MOVED in caplog.text
    printed = printed_contents(after)
    assert printed == heading_pages(after, printed)
    assert printed["part 4"] > printed_contents(before)["part 4"] + 2
    _document, cold = render_source(source, tmp_path, "cold", SOURCE_DATE_EPOCH=EPOCH)
    assert after.read_bytes() == cold.read_bytes()


def test_a_damaged_previous_pdf_is_only_no_help(tmp_path):
    from pipeline.writers.pdf.destinations import destination_pages

    source = tmp_path / "short.md"
    source.write_text(SECTIONS.replace("{filler}", ""), encoding="utf-8")
    _document, cold = render_source(source, tmp_path, "cold", SOURCE_DATE_EPOCH=EPOCH)
    assert destination_pages(cold.read_bytes()[:3000]) == {} and destination_pages(b"not a pdf") == {}
    damaged = tmp_path / "damaged.pdf"
    damaged.write_bytes(cold.read_bytes()[:3000])
    again = render_with_previous(source, damaged, tmp_path, "again")
    assert again.read_bytes() == cold.read_bytes()
    printed = printed_contents(again)
    assert len(printed) == 4 and printed == heading_pages(again, printed)


def test_the_build_hands_the_pdf_its_own_last_output_and_no_other_edition(tmp_path):
    from pipeline.build import companions_of, plan
    from pipeline.settings import Settings

    source = tmp_path / "short.md"
    source.write_text(SECTIONS.replace("{filler}", ""), encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    for name in ("short.pdf", "short.epub", "short.txt"):
        (out / name).write_bytes(b"last build's " + name.encode())
    jobs = {job.edition.name: job for job in plan([source], out, ["pdf", "epub", "txt"], Settings())}
    assert companions_of(jobs["pdf"])[PREVIOUS].data == b"last build's short.pdf"
    assert PREVIOUS not in companions_of(jobs["epub"]) and PREVIOUS not in companions_of(jobs["txt"])
    (out / "short.pdf").unlink()
    (out / "short.pdf").symlink_to(tmp_path / "short.md")  # never read through a link
    assert PREVIOUS not in companions_of(jobs["pdf"])
