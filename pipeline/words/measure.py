"""Measuring text as a terminal or a gemtext client shows it."""

from __future__ import annotations

import unicodedata


def display_width(text: str) -> int:
    """Columns a line takes in a terminal (wide East Asian characters count twice, combining marks none)."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 0 if unicodedata.combining(c) else 1
               for c in text)


# The only capitals chapbook's own labels carry: the unit symbols of sizes, as SI writes them.
SIZE_UNITS = ("B", "kB", "MB")


def human_size(size: int) -> str:
    """A file size as a reader reads it: `512 B`, `9.5 kB`, `27 kB`, `1.2 MB` (SI units, 1 kB = 1000 B)."""
    if size < 1000:
        return f"{size} B"
    if size < 1_000_000:
        kilobytes = size / 1000
        return f"{kilobytes:.1f} kB" if kilobytes < 10 else f"{kilobytes:.0f} kB"
    return f"{size / 1_000_000:.1f} MB"
