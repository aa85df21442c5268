"""Reading a PDF's text back as pdftotext -raw gives it: words the layout hyphenated are read whole."""

from __future__ import annotations

from pipeline.check.readback import _join_lines


def test_a_word_hyphenated_across_two_pages_is_read_whole_without_the_furniture_between():
    # As pdftotext -raw gave the paperback (KDP) of the essay: the page's last line ends on the hyphen
    # WeasyPrint set, then come its list markers, running head and folio, then the next page.
    raw = ("so it physic\u2010\nmy thoughts on generated images\n16\n\fally cannot use more\n"
           "\"cartoony mus\u2010\n\u2022\n\u2022\nmy thoughts on generated images\n12\n\ftached plumber\n")
    joined = _join_lines(raw)
    assert "physically cannot" in joined and "mustached plumber" in joined
    assert "physicmy" not in joined


def test_a_hyphen_inside_a_page_joins_its_lines_and_a_typed_one_stays():
    joined = _join_lines("a com\u2010\nmon word and a common-\nsense one\n")
    assert joined == "a common word and a common-sense one\n"
