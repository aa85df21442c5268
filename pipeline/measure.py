"""Measuring text as a terminal or a gemtext client shows it."""

from __future__ import annotations

import unicodedata


def display_width(text: str) -> int:
    """Columns a line takes in a terminal (wide East Asian characters count twice, combining marks none)."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 0 if unicodedata.combining(c) else 1
               for c in text)
