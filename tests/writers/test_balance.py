"""Balanced display lines: as many lines as greedy filling needs, the widest as narrow as possible."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.writers.shared.balance import balanced_lines, text_width
from pipeline.writers.shared.fonts import font_files


def width_in_letters(text: str) -> float:
    return float(len(text))


def test_a_word_left_alone_on_the_last_line_is_joined_by_others():
    words = ["my", "thoughts", "on", "generated", "images"]
    # Greedy filling of 24 letters gives "my thoughts on generated" / "images".
    assert balanced_lines(words, width_in_letters, 24) == [["my", "thoughts", "on"], ["generated", "images"]]


def test_text_that_fits_stays_on_one_line_and_nothing_gives_nothing():
    assert balanced_lines(["short", "title"], width_in_letters, 40) == [["short", "title"]]
    assert balanced_lines([], width_in_letters, 40) == []


def test_three_lines_stay_three_and_keep_every_word_in_order():
    words = ["a", "rather", "long", "title", "that", "will", "need", "three", "lines", "to", "set"]
    lines = balanced_lines(words, width_in_letters, 22)
    assert len(lines) == 3
    assert [word for line in lines for word in line] == words
    widths = [width_in_letters(" ".join(line)) for line in lines]
    assert max(widths) - min(widths) <= 6


def test_widths_come_from_the_fonts_advances():
    bold = next(path for path in font_files("Charis SIL") if Path(path).stem.endswith("-Bold"))
    # Measured in the essay's PDF with pdftotext -bbox: "my thoughts on generated" at 20 pt is 250.03 pt wide.
    assert text_width("my thoughts on generated", bold, 20) == pytest.approx(250.03, abs=0.5)
