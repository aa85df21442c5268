"""The ebook's cover image: a typographic cover drawn with Pillow, or the author's own image, checked.

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

WIDTH, HEIGHT = 1600, 2560
MARGIN = 170
PAPER, INK, RULE = (246, 242, 233), (28, 28, 28), (120, 112, 100)
FALLBACK_FAMILY = "DejaVu Sans"  # for characters Charis SIL lacks, so none is drawn as a missing-glyph box
_FALLBACK_FILE = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
# A user's cover: what Kindle Direct Publishing and Kobo accept (KDP: at least 625 × 1000 px, at most
# 10 000 px a side; JPEG or PNG), and a size that keeps the book small enough to mail to a Kindle.
COVER_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg"}
MIN_WIDTH, MIN_HEIGHT, MAX_SIDE = 625, 1000, 10_000
MAX_BYTES = 10 * 1024 * 1024


@dataclass(frozen=True)
class CoverImage:
    """A cover as the book carries it: its bytes, media type, file extension and size in pixels."""

    data: bytes
    media_type: str
    extension: str
    width: int
    height: int


@lru_cache(maxsize=1)
def _faces() -> tuple[str, str, str | None, frozenset[int] | None]:
    """Charis SIL regular and italic files, the fallback face's file, and the code points Charis covers."""
    from pipeline import fonts

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
    from pipeline.fonts import needs_glyph

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


def user_cover(url: str, folder: Path, source: Path, line: int | None = None) -> CoverImage:
    """The image a source's `cover:` metadata names, checked: a local JPEG or PNG, not too big or small.

    Anything else raises ChapbookError (naming `source` and the metadata's `line`) with one line saying
    what is wrong and what to do.
    """
    try:
        return _user_cover(url, folder, source)
    except ChapbookError as error:
        error.line = line
        raise


def _user_cover(url: str, folder: Path, source: Path) -> CoverImage:
    from PIL import Image, UnidentifiedImageError

    from pipeline.resources import resolve_local

    path, reason = resolve_local(url, folder)
    if path is None:
        raise ChapbookError(source, f"cover image {url!r} refused: {reason}",
                            "name a JPEG or PNG file inside the source's folder, or remove `cover:`")
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise ChapbookError(source, f"cover image {url} is {size:,} bytes, more than {MAX_BYTES:,}",
                            "save it smaller (1600 × 2560 px as JPEG is plenty)")
    data = path.read_bytes()
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.verify()
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            kind, width, height = image.format, image.width, image.height
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        raise ChapbookError(source, f"cover image {url} is not a readable image ({error})",
                            "use a JPEG or PNG file") from None
    if kind not in COVER_TYPES:
        raise ChapbookError(source, f"cover image {url} is {kind}, not JPEG or PNG", "convert it to JPEG or PNG")
    if width < MIN_WIDTH or height < MIN_HEIGHT or max(width, height) > MAX_SIDE:
        raise ChapbookError(source, f"cover image {url} is {width} × {height} px; stores need at least "
                            f"{MIN_WIDTH} × {MIN_HEIGHT} and at most {MAX_SIDE:,} px a side",
                            f"use an image of about {WIDTH} × {HEIGHT} px")
    media_type = COVER_TYPES[kind]
    return CoverImage(data, media_type, ".png" if kind == "PNG" else ".jpg", width, height)
