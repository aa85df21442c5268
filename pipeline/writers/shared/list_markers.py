"""The bullet of each list depth, declared once for the EPUB, the web site and the PDF.

A depth is counted over every list around a bullet list, numbered or not: a bullet list inside an
ordered list inside a bullet list is at depth three. Each depth has a shape of its own, all glyphs of
Charis SIL and of common screen fonts, never `*`, which belongs to the author's notes. (A `›` under
the `‣` read as the same arrow; a `·` as a small `•`.) Past the sixth depth the sixth marker repeats.

Each writer adds `bullet_rules()` to its stylesheet (styles/epub.css, web.css, print.css hold none).
"""

from __future__ import annotations

from itertools import product

BULLETS = ("•", "–", "‣", "◊", "+", "×")  # depth one to six
# For readers without CSS string markers (CSS Counter Styles 3, `list-style-type: "…"`), the keyword
# declared first stays: it repeats from depth four, which is the most an older reader can show.
_FALLBACKS = ("disc", "circle", "square", "disc", "circle", "square")


def _depth_selectors(depth: int) -> list[str]:
    # Every ul/ol combination spelled out rather than `:is(ul, ol)`: a reader that does not know `:is`
    # drops the whole rule (Selectors 4's forgiving lists are recent).
    return [" ".join((*outer, "ul")) for outer in product(("ul", "ol"), repeat=depth - 1)]


def bullet_rules() -> str:
    """CSS rules giving the bullet lists at each depth their marker, followed by an en space."""
    rules = []
    for depth, (bullet, fallback) in enumerate(zip(BULLETS, _FALLBACKS, strict=True), start=1):
        selectors = ", ".join(_depth_selectors(depth))
        rules.append(f'{selectors} {{ list-style-type: {fallback}; list-style-type: "{bullet}\\2002"; }}')
    return "/* List markers by depth: pipeline/writers/shared/list_markers.py */\n" + "\n".join(rules) + "\n"
