"""`chapbook check` on Markdown that exercises every construct pandoc's Markdown has: no false alarm.

The corpus (tests/fixtures/corpus/, written for this suite) holds sub- and superscripts, code against
words, math in lists, nine-digit list numbers, link titles, relative links, tables with headings, lists
and notes in their cells, empty header cells, definition lists with nested lists, quotes, divs, line
blocks, footnotes in lists and cells, citations, example and roman lists, links and spans in several
languages. All of it is built in every edition and checked in one run (EPUBCheck, Ace and the browser
are slow): the report must have no failure, the links the author wrote to nowhere and the characters
no font has are warnings naming the source line, and the only skip is list depth in the untagged print
files.
"""

from __future__ import annotations

import json

import pytest
from conftest import FIXTURES, run_chapbook

CORPUS = sorted((FIXTURES / "corpus").glob("*.md"))


@pytest.fixture(scope="module")
def corpus_report(tmp_path_factory):
    out = tmp_path_factory.mktemp("corpus") / "out"
    built = run_chapbook("build", *map(str, CORPUS), "-o", str(out), "--force", "-q", timeout=600)
    assert built.returncode == 0, built.stderr
    checked = run_chapbook("check", str(out), *sum((["-s", str(s)] for s in CORPUS), []), "--json", timeout=600)
    return json.loads(checked.stdout), out


def test_every_edition_of_the_corpus_passes_the_check(corpus_report):
    report, out = corpus_report
    failures = [f"{f['path']}: {f['check']}: {f['detail']}" for f in report["findings"] if f["status"] == "fail"]
    assert failures == [], failures
    # The one check no tool decides: list depth in the print files, which are untagged (PDF/X).
    skipped = [(f["path"], f["check"], f["detail"].split(" (")[0])
               for f in report["findings"] if f["status"] == "skipped"]
    assert sorted(skipped) == [(str(out / f"{source.stem}-print.pdf"), "every list item at its depth",
                                "because the PDF is untagged") for source in CORPUS], skipped
    checked = {finding["path"] for finding in report["findings"]}
    for source in CORPUS:
        for edition in (".epub", ".kepub.epub", ".pdf", "-print.pdf", ".txt"):
            assert str(out / (source.stem + edition)) in checked


def test_the_authors_links_and_characters_no_font_has_are_warnings_at_their_source_line(corpus_report):
    report, _out = corpus_report
    warnings = [f for f in report["findings"] if f["status"] == "warning"]
    links = {(f["path"], f["detail"].split()[0])
             for f in warnings if f["check"] == "link points nowhere in the capsule"}
    source = FIXTURES / "corpus" / "inline.md"
    line = next(n for n, text in enumerate(source.read_text(encoding="utf-8").splitlines(), 1) if "(/url)" in text)
    assert {(f"{source}:{line}", "/url"), (f"{source}:{line}", "other.html")} <= links
    languages = FIXTURES / "corpus" / "languages.md"
    line = next(n for n, text in enumerate(languages.read_text(encoding="utf-8").splitlines(), 1) if "𒀀" in text)
    boxes = sorted((f["path"], f["detail"].split(" drawn")[0], f["detail"].split("box in ")[1].split()[0])
                   for f in warnings if f["check"] == "a character no font has")
    assert boxes == sorted((f"{languages}:{line}", f"U+{ord(c):04X} {c!r}", pdf) for c in "𒀀ሰላም"
                           for pdf in ("languages.pdf", "languages-print.pdf")), boxes
    assert report["warnings"] == len(links) + len(boxes)


def test_text_of_characters_no_font_has_extracts_from_every_pdf(corpus_report):
    import subprocess

    _report, out = corpus_report
    for pdf in ("languages.pdf", "languages-print.pdf"):
        text = subprocess.run(["pdftotext", "-raw", str(out / pdf), "-"], capture_output=True, text=True).stdout
        assert "cuneiform 𒀀 sign and ሰላም" in " ".join(text.split()), pdf
