"""A very long word, address or code line in the PDF: every character kept, laid out in linear time.

WeasyPrint breaks a run without a break opportunity by laying out the rest of the run again for
every line, so a 30,000-character word took 51 s and a 1 MB one hours (issue 16). The PDF writer
gives such runs an invisible break opportunity (U+200B) every few dozen characters; text extraction
leaves it out, so a reader copying the word gets it whole.
"""

from __future__ import annotations

import random
import re
import string
import subprocess
from xml.etree import ElementTree

import pypdf
import pytest
from conftest import document_from_text, run_chapbook

from pipeline.writers.pdf.book_html import BREAK_EVERY, LONG_RUN, RUNNING_HEAD_LIMIT, breakable, page_html, running_head

ZWSP = "\u200b"
WORD = "".join(random.Random(16).choices(string.ascii_lowercase, k=3000))  # no repeating pattern
URL = "https://example.com/" + "".join(random.Random(17).choices(string.ascii_lowercase, k=3000))
SOURCE = f"""---
title: long runs
---

# a heading with a long word {WORD[:1500]} in it

before the word {WORD} after the word.

before the link <{URL}> after the link.

[named]({URL}) trailing words.

inline `{WORD}` after the code.

```
{WORD}
```

a note here[^1].

[^1]: the note holds {WORD} and its end.
"""


def test_short_runs_are_untouched_and_long_ones_get_a_break_opportunity_every_few_characters():
    assert breakable("a" * LONG_RUN + " ordinary words") == "a" * LONG_RUN + " ordinary words"
    broken = breakable("lead " + WORD + " tail")
    assert broken.replace(ZWSP, "") == "lead " + WORD + " tail"
    assert max(len(run) for run in re.split(rf"[\s{ZWSP}]", broken)) == BREAK_EVERY


def test_running_heads_shorten_a_long_title_after_a_word_and_leave_a_short_one_whole():
    assert running_head("please note") == "please note"
    long_title = "words " * 40
    head = running_head(long_title)
    assert head.endswith("…") and len(head) <= RUNNING_HEAD_LIMIT + 1
    assert long_title.startswith(head[:-1]) and head[-2] != " "


def test_no_text_in_the_book_has_a_run_longer_than_the_limit(tmp_path):
    html = page_html(document_from_text(tmp_path, SOURCE))
    root = ElementTree.fromstring(html.split("\n", 1)[1])
    text = "".join(root.itertext())
    assert max(len(run) for run in re.split(rf"[\s{ZWSP}]", text)) <= LONG_RUN
    namespace = "{http://www.w3.org/1999/xhtml}"
    for link in root.iter(f"{namespace}a"):
        href = link.get("href", "")
        if href.startswith("http") and len(href) > LONG_RUN:  # print.css would print it after the text
            assert "long-url" in link.get("class", "").split()


@pytest.fixture(scope="module")
def long_pdf(tmp_path_factory):
    folder = tmp_path_factory.mktemp("long")
    (folder / "long.md").write_text(SOURCE, encoding="utf-8")
    result = run_chapbook("build", "long.md", "-f", "pdf", "-o", "out", "-q", cwd=folder)
    assert result.returncode == 0, result.stderr
    return folder / "out" / "long.pdf"


def test_every_word_after_a_long_run_is_in_the_pdf_and_the_run_reads_back_whole(long_pdf):
    text = subprocess.run(["pdftotext", str(long_pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert ZWSP not in text
    for words in ("after the word.", "after the link.", "trailing words.", "after the code.", "and its end."):
        assert words in " ".join(text.split())
    # Read the runs back across lines and pages: the text block of each A5 page only (no running head,
    # no folio), hyphenated line ends joined.
    body = subprocess.run(["pdftotext", "-x", "0", "-y", "52", "-W", "420", "-H", "500", str(long_pdf), "-"],
                          capture_output=True, text=True, check=True).stdout
    joined = re.sub("[-\u2010]\n", "", body).replace("\n", "").replace("\f", "")
    assert joined.count(WORD) == 4  # paragraph, inline code, code block, note
    assert joined.count(URL) == 2  # the bare address, and printed after the named link


def test_a_long_link_is_one_annotation_not_one_per_line(long_pdf):
    uris = [annotation.get_object()["/A"]["/URI"] for page in pypdf.PdfReader(long_pdf).pages
            for annotation in page.get("/Annots", []) if "/A" in annotation.get_object()]
    # The bare address's live part may itself wrap (links break anywhere); before the fix, one per line: 128.
    assert 2 <= uris.count(URL) <= 3


def test_the_running_head_of_a_long_section_is_shortened_to_one_line(long_pdf):
    heads = subprocess.run(["pdftotext", "-x", "0", "-y", "0", "-W", "420", "-H", "52", str(long_pdf), "-"],
                           capture_output=True, text=True, check=True).stdout
    lines = {line for line in heads.replace("\f", "\n").split("\n") if line.strip()}
    # (the contents' first page has no running head, as the title page and the essay's opening page)
    assert lines == {"long runs", running_head(f"a heading with a long word {WORD[:1500]} in it")}
    assert running_head(f"a heading with a long word {WORD[:1500]} in it") == "a heading with a long word…"
