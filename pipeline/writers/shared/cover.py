"""The typographic cover drawn with Pillow (the author's own image is read in pipeline/files/resources.py).

Stores, library views and the Kindle home screen show the image the package declares `cover-image`;
Kindle and Kobo recommend 1600 × 2560 px (1:1.6). The drawn cover sets the title, subtitle and authors
exactly as the metadata writes them (never re-cased) in the book's face, Charis SIL; the same text
always gives the same PNG bytes. Its lines are broken by the same balancing as the PDF's title page
(balance.py), and the title block hangs in the upper third, placed by its letters' ink.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from pipeline.errors import ChapbookError
from pipeline.files.resources import COVER_HEIGHT, COVER_WIDTH, CoverImage, user_cover
from pipeline.writers.shared.balance import balanced_lines

WIDTH, HEIGHT = COVER_WIDTH, COVER_HEIGHT
MARGIN = 170
MEASURE = WIDTH - 2 * MARGIN
# The title's ink begins a sixth of the way down: the title block sits in the upper third.
TITLE_TOP = HEIGHT // 6
LEADING, DESCENT = 1.2, 0.25  # baseline to baseline, and the depth kept below the last baseline, in ems
GAP, RULE_HEIGHT, RULE_HALF_WIDTH = 90, 6, 120  # the gap between title, rule, subtitle and authors; the rule
BALANCE_STEP_DOWN = 0.8
PAPER, INK, RULE = (246, 242, 233), (28, 28, 28), (120, 112, 100)
FALLBACK_FAMILY = "DejaVu Sans"  # for characters Charis SIL lacks, so none is drawn as a missing-glyph box
_FALLBACK_FILE = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


@lru_cache(maxsize=1)
def _faces() -> tuple[str, str, str | None, frozenset[int] | None]:
    """Charis SIL regular and italic files, the fallback face's file, and the code points Charis covers."""
    from pipeline.writers.shared import fonts

    files = {path.name: path for path in fonts.font_files(fonts.TEXT_FAMILY)}
    regular, italic = files.get("CharisSIL-Regular.ttf"), files.get("CharisSIL-Italic.ttf")
    if regular is None or italic is None:
        raise ChapbookError(None, "the cover needs the Charis SIL font, which is not installed",
                            "install it: sudo apt-get install -y fonts-sil-charis")
    fallback = next(iter(fonts.font_files(FALLBACK_FAMILY)), None) or (
        _FALLBACK_FILE if _FALLBACK_FILE.is_file() else None)
    return str(regular), str(italic), str(fallback) if fallback else None, fonts.covered_characters(fonts.TEXT_FAMILY)


@dataclass(frozen=True)
class _Style:
    italic: bool
    size: int

    def fonts(self):
        """The Pillow fonts for this style: the book face, and the fallback face (or None)."""
        return _fonts(self.italic, self.size)


@lru_cache(maxsize=64)
def _fonts(italic: bool, size: int):
    from PIL import ImageFont

    regular, italic_file, fallback, _covered = _faces()
    main = ImageFont.truetype(italic_file if italic else regular, size)
    return main, (ImageFont.truetype(fallback, size) if fallback else None)


def _runs(text: str) -> list[tuple[str, bool]]:
    """`text` split into runs the book face can set (False) and runs for the fallback face (True)."""
    from pipeline.writers.shared.fonts import needs_glyph

    covered = _faces()[3]
    runs: list[tuple[str, bool]] = []
    for character in text:
        fallback = covered is not None and needs_glyph(character) and ord(character) not in covered
        if runs and runs[-1][1] == fallback:
            runs[-1] = (runs[-1][0] + character, fallback)
        else:
            runs.append((character, fallback))
    return runs


def _width(text: str, style: _Style) -> float:
    main, fallback = style.fonts()
    return sum((fallback if use_fallback and fallback else main).getlength(run) for run, use_fallback in _runs(text))


def _break_word(word: str, style: _Style, width: int) -> list[str]:
    """A word too long for a line, cut into pieces that fit (only ever at the smallest size)."""
    pieces, current = [], ""
    for character in word:
        if current and _width(current + character, style) > width:
            pieces.append(current)
            current = ""
        current += character
    return pieces + ([current] if current else [])


def _words(text: str, style: _Style) -> list[str]:
    """The words of `text`, a word too long for the measure cut into pieces that fit."""
    return [piece for word in text.split()
            for piece in (_break_word(word, style, MEASURE) if _width(word, style) > MEASURE else [word])]


def _lines(text: str, style: _Style) -> list[str]:
    """`text` in balanced lines at `style` (the title page's line balancing: pipeline/writers/shared/balance.py)."""
    words = _words(text, style)
    widths, space = {word: _width(word, style) for word in set(words)}, _width(" ", style)

    def width_of(part: str) -> float:
        # Summed from each word's width: balancing measures every run of words, a long title's thousands.
        pieces = part.split(" ")
        return sum(map(widths.__getitem__, pieces)) + space * (len(pieces) - 1)
    return [" ".join(line) for line in balanced_lines(words, width_of, MEASURE)]


def _lone_word(lines: list[str], words: int) -> bool:
    """Whether one of several lines holds a single word (fewer lines would give it company)."""
    return len(lines) > 1 and words > len(lines) and any(len(line.split()) == 1 for line in lines)


def _fit(text: str, italic: bool, largest: int, smallest: int, max_lines: int) -> tuple[_Style, list[str]]:
    """The largest size (stepping down) at which `text` sets in at most `max_lines` balanced lines, no word cut.

    A designer would rather set "my thoughts on / generated images" a little smaller than leave "images"
    alone on a third line: a size whose lines leave a word alone gives way to a smaller one without,
    down to BALANCE_STEP_DOWN of the largest size that fits.
    """
    fitting: tuple[_Style, list[str]] | None = None
    size = largest
    while True:
        style = _Style(italic, size)
        lines = _lines(text, style)
        fits = len(_words(text, style)) == len(text.split()) and len(lines) <= max_lines
        if fits and fitting is None:
            fitting = (style, lines)
        if fits and not _lone_word(lines, len(text.split())):
            return (style, lines) if size >= fitting[0].size * BALANCE_STEP_DOWN else fitting
        if size <= smallest:
            return fitting or (style, lines)
        size = max(smallest, int(size * 0.95))


@dataclass(frozen=True)
class CoverLine:
    """One line of text on the drawn cover: its text, its style and its baseline (y, in pixels)."""

    text: str
    style: _Style
    baseline: int

    @property
    def width(self) -> float:
        return _width(self.text, self.style)


@dataclass(frozen=True)
class CoverLayout:
    """Where everything on the drawn cover goes: the lines of each part and the rule's top edge."""

    title: tuple[CoverLine, ...]
    subtitle: tuple[CoverLine, ...]
    authors: tuple[CoverLine, ...]
    rule_top: int


def _ink_top(line: str, style: _Style) -> int:
    """How far above its baseline the line's ink begins (its tallest letter's top), in pixels."""
    main, fallback = style.fonts()
    return max(-(fallback if use_fallback and fallback else main).getbbox(run, anchor="ls")[1]
               for run, use_fallback in _runs(line) if run.strip()) if line.strip() else 0


def _set(lines: list[str], style: _Style, ink_top: int) -> tuple[CoverLine, ...]:
    """Lines whose first line's ink begins at `ink_top` (placed by the letters, not the font's line box)."""
    first = ink_top + _ink_top(lines[0], style) if lines else ink_top
    return tuple(CoverLine(line, style, first + round(number * style.size * LEADING))
                 for number, line in enumerate(lines))


def _ink_bottom(lines: tuple[CoverLine, ...]) -> int:
    return lines[-1].baseline + round(lines[-1].style.size * DESCENT) if lines else 0


def cover_layout(title: str, subtitle: str = "", authors: Sequence[str] = ()) -> CoverLayout:
    """The drawn cover's layout: title, rule, subtitle and authors, one group hung from the upper third.

    The title's ink begins at TITLE_TOP (a sixth of the height down, so the title sits in the upper third,
    the place a reader's eye meets first); the rule, the subtitle and the authors follow below it at
    fixed gaps. A group too tall for that start is raised, so nothing passes the bottom margin.
    """
    title_style, title_lines = _fit(title, False, 180, 64, 6)
    subtitle_style, subtitle_lines = _fit(subtitle, True, 96, 48, 5) if subtitle.strip() else (None, [])
    names = ", ".join(author for author in authors if author.strip())
    author_style, author_lines = _fit(names, False, 84, 44, 4) if names else (None, [])

    def place(top: int) -> CoverLayout:
        title_set = _set(title_lines, title_style, top)
        rule_top = _ink_bottom(title_set) + GAP
        below = rule_top + RULE_HEIGHT + GAP
        subtitle_set = _set(subtitle_lines, subtitle_style, below) if subtitle_lines else ()
        below = _ink_bottom(subtitle_set) + GAP if subtitle_set else below
        return CoverLayout(title_set, subtitle_set, _set(author_lines, author_style, below) if author_lines else (),
                           rule_top)

    layout = place(TITLE_TOP)
    overflow = max(_ink_bottom(layout.authors or layout.subtitle or layout.title), layout.rule_top + RULE_HEIGHT) \
        - (HEIGHT - MARGIN)
    return place(max(MARGIN, TITLE_TOP - overflow)) if overflow > 0 else layout


def _draw_line(draw, line: CoverLine) -> None:
    main, fallback = line.style.fonts()
    x = (WIDTH - line.width) / 2
    for run, use_fallback in _runs(line.text):
        font = fallback if use_fallback and fallback else main
        draw.text((x, line.baseline), run, font=font, fill=_INK_INDEX, anchor="ls")
        x += font.getlength(run)


def draw_cover(title: str, subtitle: str = "", authors: Sequence[str] = ()) -> bytes:
    """A 1600 × 2560 PNG cover: title, subtitle and authors exactly as given, in Charis SIL, centred.

    Laid out by cover_layout: balanced lines, in the upper third. Long titles step down in size until
    every word fits the width (a word longer than the width at the smallest size is cut across lines).
    The same arguments always give the same bytes.
    """
    from PIL import Image, ImageDraw

    # Drawn as ink coverage (0 paper .. 254 ink, anti-aliased) with the rule at 255, stored as a
    # palette PNG: one byte a pixel instead of three, and a third of the data to compress.
    image = Image.new("L", (WIDTH, HEIGHT), 0)
    draw = ImageDraw.Draw(image)
    layout = cover_layout(title, subtitle, authors)
    for line in (*layout.title, *layout.subtitle, *layout.authors):
        _draw_line(draw, line)
    draw.rectangle((WIDTH // 2 - RULE_HALF_WIDTH, layout.rule_top, WIDTH // 2 + RULE_HALF_WIDTH,
                    layout.rule_top + RULE_HEIGHT - 1),
                   fill=_RULE_INDEX)
    image.putpalette(_PALETTE)  # an "L" image becomes a "P" one, its levels now palette indices
    output = io.BytesIO()
    # No time or text chunks: same bytes. zlib level 3 encodes in 9 ms against 17 at 6 (70 kB against
    # 52): a gemlog of 30 posts draws 30 covers.
    image.save(output, format="PNG", optimize=False, compress_level=3)
    return output.getvalue()


_INK_INDEX, _RULE_INDEX = 254, 255
# Palette index i <= 254: paper blended with ink at i/254 (the anti-aliasing's levels); 255: the rule.
_PALETTE = [round(paper + (ink - paper) * index / _INK_INDEX)
            for index in range(_INK_INDEX + 1) for paper, ink in zip(PAPER, INK, strict=True)] + list(RULE)


def drawn_cover(title: str, subtitle: str = "", authors: Sequence[str] = ()) -> CoverImage:
    """The typographic cover as a CoverImage."""
    return CoverImage(_drawn_once(title, subtitle, tuple(authors)), "image/png", ".png", WIDTH, HEIGHT)


@lru_cache(maxsize=16)
def _drawn_once(title: str, subtitle: str, authors: tuple[str, ...]) -> bytes:
    # Encoding the PNG takes most of an EPUB's time; `watch` rebuilds it on every save with the same title.
    return draw_cover(title, subtitle, authors)


def cover_image(document) -> CoverImage:
    """The source's own `cover:` image (checked), else the typographic cover drawn from the metadata."""
    meta = document.meta
    if meta.cover:
        return user_cover(meta.cover, document.resource_folder, document.source)
    return drawn_cover(meta.title, meta.subtitle, meta.authors)


def cover_icon(title: str) -> bytes:
    """A 64 × 64 SVG icon drawn like the cover: the title's first letter as written, over a rule, on its paper.

    A site's favicon: no font file, no request anywhere (the reader's serif face draws the letter).
    """
    from xml.sax.saxutils import escape

    letter = next((character for character in title if not character.isspace()), "")
    paper, ink, rule = ("#" + "".join(f"{level:02x}" for level in colour) for colour in (PAPER, INK, RULE))
    glyph = (f'<text x="32" y="40" font-family="Charis SIL, serif" font-size="40" text-anchor="middle" '
             f'fill="{ink}">{escape(letter)}</text>') if letter else ""
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64" width="64" height="64">'
            f'<rect width="64" height="64" rx="8" fill="{paper}"/>{glyph}'
            f'<rect x="20" y="48" width="24" height="2" fill="{rule}"/></svg>\n').encode()
