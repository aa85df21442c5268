"""Names chapbook makes: slugs for anchors and file names, and names made unique among those taken."""

from __future__ import annotations

import re
import unicodedata

# Apostrophes inside a word (straight, typographic, modifier letter) join its parts: "it's" -> "its",
# as pandoc's own identifiers and most sites' slugs do.
_APOSTROPHES = re.compile(r"(?<=\w)['\u2019\u02bc](?=\w)")


def slug(text: str, fallback: str = "section") -> str:
    """A lowercase ASCII anchor or file-name slug: letters, digits and hyphens only; the one maker of both.

    Every heading's anchor (transforms/identifiers.py) and every post's file name (writers/shared/posts.py)
    comes from here, so "it's" is `its` in both.
    """
    ascii_text = unicodedata.normalize("NFKD", _APOSTROPHES.sub("", text)).encode("ascii", "ignore").decode("ascii")
    words = re.findall(r"[a-z0-9]+", ascii_text.lower())
    return "-".join(words)[:60].strip("-") or fallback


def unique_name(base: str, taken: set[str]) -> str:
    """`base`, or `base-2`, `base-3` … the first not in `taken`; the name returned is added to `taken`."""
    name, number = base, 1
    while name in taken:
        number += 1
        name = f"{base}-{number}"
    taken.add(name)
    return name
