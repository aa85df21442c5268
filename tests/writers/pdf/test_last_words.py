"""A paragraph's last word kept whole in the PDF: a span only where WeasyPrint could hyphenate it.

The span is an inline box WeasyPrint lays out again on its line, so a word too short to be
hyphenated and a heading (never hyphenated) get none. That the PDF still ends no paragraph on a
word's tail is checked on the printed pages in test_pdf.py.
"""

from __future__ import annotations

import re

from conftest import document_from_text

from pipeline.files.resources import STYLES
from pipeline.writers.pdf.book_html import HYPHENATE_MIN_CHARS, LAST_WORD_CLASS, page_html

SPAN = f'<span class="{LAST_WORD_CLASS}">'


def _wrapped(tmp_path, markdown: str) -> list[str]:
    html = page_html(document_from_text(tmp_path, markdown))
    return re.findall(re.escape(SPAN) + r"(.*?)</span>", html)


def test_print_css_hyphenates_no_word_shorter_than_the_html_assumes():
    css = (STYLES / "print.css").read_text(encoding="utf-8")
    limits = re.findall(r"hyphenate-limit-chars:\s*(\d+)", css)
    assert limits and {int(value) for value in limits} == {HYPHENATE_MIN_CHARS}


def test_a_long_last_word_is_wrapped_and_a_short_one_is_not(tmp_path):
    assert _wrapped(tmp_path, "the sea was calm.\n\nwe watched the horizon.\n") == ["horizon."]


def test_a_word_is_counted_with_its_punctuation_so_a_span_is_never_missing(tmp_path):
    # WeasyPrint counts "xxxxx" (5: never hyphenated); counting "xxxxx." (6) only adds a span it did not need
    counted = "x" * (HYPHENATE_MIN_CHARS - 1) + "."
    assert _wrapped(tmp_path, f"one {counted}\n\ntwo {'x' * (HYPHENATE_MIN_CHARS - 1)}\n") == [counted]


def test_headings_get_no_span_and_their_words_stay_as_written(tmp_path):
    html = page_html(document_from_text(tmp_path, "# arguments i don't find convincing\n\nthe argument, restated.\n"))
    assert "arguments i don&#x27;t find convincing" in html or "arguments i don't find convincing" in html
    assert re.findall(re.escape(SPAN) + r"(.*?)</span>", html) == ["restated."]


def test_a_last_word_inside_emphasis_or_a_link_is_found_and_a_note_is_skipped_over(tmp_path):
    assert _wrapped(tmp_path, "words in *emphasised* and *remembered*\n") == ["remembered"]
    assert _wrapped(tmp_path, "see [the documentation](https://example.com)\n") == ["documentation"]
    # the note called at the end is skipped over; its own paragraph ends on a word of its own
    assert _wrapped(tmp_path, "a claim, unverified[^1]\n\n[^1]: said elsewhere.\n") == ["unverified", "elsewhere."]


def test_a_short_word_joined_to_the_text_before_it_counts_as_one_run(tmp_path):
    # pandoc keeps one Str for "co₂-emissions" and for "pfp·s"; the voice keeps every character
    assert _wrapped(tmp_path, "all the co₂-emissions\n\ntheir pfp·s\n") == ["co₂-emissions"]


def test_punctuation_after_emphasis_leaves_the_word_before_it_whole(tmp_path):
    assert _wrapped(tmp_path, "words in *remembered*.\n") == ["remembered"]
    assert _wrapped(tmp_path, "as *said* (remembered) --\n") == ["(remembered)"]


def test_a_citation_runs_on_into_the_words_after_it_and_is_kept_whole_with_them(tmp_path):
    # pandoc reads @johnson as a citation, set as plain text: "@johnson's." is one run of text
    assert _wrapped(tmp_path, "as argued by @johnson's.\n") == ["@johnson's."]
    assert _wrapped(tmp_path, "as argued by @johnsonian\n") == ["@johnsonian"]
