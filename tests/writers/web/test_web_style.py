"""styles/web.css: the web edition's stylesheet fetches nothing and never re-cases a letter."""

from __future__ import annotations

import re

from conftest import ROOT

CSS = (ROOT / "styles" / "web.css").read_text(encoding="utf-8")


def test_the_stylesheet_fetches_nothing_from_anywhere():
    assert "@import" not in CSS
    assert "url(" not in CSS
    assert "@font-face" not in CSS


def test_the_stylesheet_never_changes_the_case_of_a_letter():
    assert not re.search(r"text-transform|small-caps|font-variant|::?first-letter|initial-letter", CSS)


def test_the_stylesheet_never_draws_an_asterisk_marker():
    assert "*" not in "".join(re.findall(r"list-style-type:\s*([^;]+);", CSS))
    assert not re.search(r"content:\s*\"\*", CSS)


def test_the_stylesheet_has_a_dark_scheme_and_a_print_stylesheet():
    assert "@media (prefers-color-scheme: dark)" in CSS
    assert "@media print" in CSS
