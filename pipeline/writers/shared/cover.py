"""The typographic cover drawn with Pillow (the author's own image is read in pipeline/files/resources.py).

Stores, library views and the Kindle home screen show the image the package declares `cover-image`;
Kindle and Kobo recommend 1600 × 2560 px (1:1.6). The drawn cover sets the title, subtitle and authors
exactly as the metadata writes them (never re-cased) in the book's face, Charis SIL; the same text
always gives the same PNG bytes.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from pipeline.errors import ChapbookError
from pipeline.files.resources import COVER_HEIGHT, COVER_WIDTH, CoverImage, user_cover

WIDTH, HEIGHT = COVER_WIDTH, COVER_HEIGHT
MARGIN = 170
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


def _wrap(text: str, style: _Style, width: int) -> list[str]:
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}" if current else word
        if _width(candidate, style) <= width:
            current = candidate
            continue
        if current:
            lines.append(current)
        if _width(word, style) <= width:
            current = word
        else:
            *whole, current = _break_word(word, style, width)
            lines += whole
    return lines + ([current] if current else [])


def _fit(text: str, italic: bool, largest: int, smallest: int, max_lines: int) -> tuple[_Style, list[str]]:
    """The largest size (stepping down) at which `text` wraps into at most `max_lines` lines, no word cut."""
    size = largest
    while True:
        style = _Style(italic, size)
        words_fit = all(_width(word, style) <= WIDTH - 2 * MARGIN for word in text.split())
        lines = _wrap(text, style, WIDTH - 2 * MARGIN)
        if (words_fit and len(lines) <= max_lines) or size <= smallest:
            return style, lines
        size = max(smallest, int(size * 0.9))


def _draw_line(draw, text: str, style: _Style, top: int) -> None:
    main, fallback = style.fonts()
    x = (WIDTH - _width(text, style)) / 2
    for run, use_fallback in _runs(text):
        font = fallback if use_fallback and fallback else main
        draw.text((x, top), run, font=font, fill=_INK_INDEX)
        x += font.getlength(run)


def _block_height(lines: list[str], style: _Style) -> int:
    return round(len(lines) * style.size * 1.25)


def _draw_block(draw, lines: list[str], style: _Style, top: int) -> int:
    """Draw centred lines from `top`; returns the y below the block."""
    for number, line in enumerate(lines):
        _draw_line(draw, line, style, top + round(number * style.size * 1.25))
    return top + _block_height(lines, style)


def draw_cover(title: str, subtitle: str = "", authors: Sequence[str] = ()) -> bytes:
    """A 1600 × 2560 PNG cover: title, subtitle and authors exactly as given, in Charis SIL, centred.

    Long titles step down in size until every word fits the width (a word longer than the width at the
    smallest size is cut across lines). The same arguments always give the same bytes.
    """
    from PIL import Image, ImageDraw

    # Drawn as ink coverage (0 paper .. 254 ink, anti-aliased) with the rule at 255, stored as a
    # palette PNG: one byte a pixel instead of three, and a third of the data to compress.
    image = Image.new("L", (WIDTH, HEIGHT), 0)
    draw = ImageDraw.Draw(image)
    title_style, title_lines = _fit(title, False, 180, 64, 6)
    bottom = _draw_block(draw, title_lines, title_style, 520)
    rule_top = bottom + 70
    draw.rectangle((WIDTH // 2 - 120, rule_top, WIDTH // 2 + 120, rule_top + 5), fill=_RULE_INDEX)
    if subtitle.strip():
        subtitle_style, subtitle_lines = _fit(subtitle, True, 96, 48, 5)
        _draw_block(draw, subtitle_lines, subtitle_style, rule_top + 85)
    names = ", ".join(author for author in authors if author.strip())
    if names:
        author_style, author_lines = _fit(names, False, 84, 44, 4)
        _draw_block(draw, author_lines, author_style, HEIGHT - 300 - _block_height(author_lines, author_style))
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
