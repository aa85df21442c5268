"""The cover image, read back with Pillow: size, reproducible bytes, the title's case kept, a user's cover checked."""

from __future__ import annotations

import io
import subprocess
import sys

import pytest
from PIL import Image, ImageChops

from pipeline.errors import ChapbookError
from pipeline.files import resources
from pipeline.writers.shared import cover

TITLE = "my thoughts on generated images"


def _image(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def _ink_box(data: bytes) -> tuple[int, int, int, int]:
    """The bounding box of everything drawn on the paper."""
    image = _image(data).convert("RGB")
    return ImageChops.difference(image, Image.new("RGB", image.size, cover.PAPER)).getbbox()


def test_drawn_cover_is_a_1600_by_2560_png():
    image = _image(cover.draw_cover(TITLE, "a subtitle", ["an author"]))
    assert (image.format, image.size, image.mode) == ("PNG", (1600, 2560), "P")
    colours = {colour for _count, colour in image.convert("RGB").getcolors(256)}
    assert {cover.PAPER, cover.INK, cover.RULE} <= colours  # the palette keeps the design's exact colours
    assert set(image.info) <= {"dpi", "gamma", "srgb"}  # no dates or software names that would vary


def test_drawn_cover_bytes_are_reproducible_across_processes():
    here = cover.draw_cover(TITLE, "a subtitle", ["an author"])
    code = ("import sys; from pipeline.writers.shared.cover import draw_cover; "
            f"sys.stdout.buffer.write(draw_cover({TITLE!r}, 'a subtitle', ['an author']))")
    there = subprocess.run([sys.executable, "-c", code], capture_output=True, check=True).stdout
    assert here == there


def test_title_case_is_drawn_as_written():
    # Were the cover to re-case its text, these would draw the same image.
    assert cover.draw_cover("my title") != cover.draw_cover("My Title")
    assert cover.draw_cover("i") != cover.draw_cover("I")


def test_subtitle_and_authors_are_drawn_only_when_given():
    bare = _ink_box(cover.draw_cover(TITLE))
    with_authors = _ink_box(cover.draw_cover(TITLE, "", ["someone"]))
    assert with_authors[3] > bare[3] + 60  # the authors sit below the title and its rule
    assert cover.draw_cover(TITLE, "", ["", " "]) == cover.draw_cover(TITLE)


def _ink_bands(data: bytes) -> list[tuple[int, int, int, int]]:
    return ink_bands(_image(data).convert("RGB"), cover.PAPER)


def ink_bands(image: Image.Image, paper: tuple[int, int, int]) -> list[tuple[int, int, int, int]]:
    """Each horizontal band of rows holding ink, top to bottom, as (top, bottom, left, right) in pixels."""
    ink = ImageChops.difference(image, Image.new("RGB", image.size, paper)).convert("L").point(
        lambda level: 255 if level > 40 else 0)
    bands, top = [], None
    for row in range(image.height + 1):
        inked = row < image.height and ink.crop((0, row, image.width, row + 1)).getbbox() is not None
        if inked and top is None:
            top = row
        elif not inked and top is not None:
            left, _t, right, _b = ink.crop((0, top, image.width, row)).getbbox()
            bands.append((top, row, left, right))
            top = None
    return bands


@pytest.mark.parametrize(("title", "subtitle", "authors"), [
    (TITLE, "", ()),
    (TITLE, "a subtitle", ("an author",)),
    ("on the uses and abuses of history for life", "", ("someone",)),
    ("a title that runs rather longer than most essay titles ever do", "", ()),
])
def test_the_title_is_set_in_balanced_lines_as_the_image_shows(title, subtitle, authors):
    layout = cover.cover_layout(title, subtitle, authors)
    lines = [line.text for line in layout.title]
    assert " ".join(lines) == title and 1 < len(lines) <= 6
    assert all(len(line.split()) > 1 for line in lines), lines  # no word left alone on a line
    # Read back from the pixels: one band of ink per title line, then the rule; widths as even as the layout's.
    bands = _ink_bands(cover.draw_cover(title, subtitle, list(authors)))
    title_bands = bands[:len(lines)]
    rule = bands[len(lines)]
    assert rule[1] - rule[0] <= cover.RULE_HEIGHT + 1 and all(band[1] < rule[0] for band in title_bands)
    widths = [right - left for _top, _bottom, left, right in title_bands]
    assert min(widths) / max(widths) > 0.6, widths
    for width, line in zip(widths, layout.title, strict=True):
        assert abs(width - line.width) < 0.05 * line.width


def test_the_essays_title_is_no_longer_left_with_a_word_alone():
    # Filled greedily at the largest size it read "my thoughts on / generated / images".
    assert [line.text for line in cover.cover_layout(TITLE).title] == ["my thoughts on", "generated images"]


@pytest.mark.parametrize("authors", [(), ("an author",)])
def test_the_title_block_sits_in_the_upper_third(authors):
    bands = _ink_bands(cover.draw_cover(TITLE, "", list(authors)))
    title_top, title_bottom = bands[0][0], bands[1][1]
    assert cover.HEIGHT / 8 < title_top < cover.HEIGHT / 5
    assert (title_top + title_bottom) / 2 < cover.HEIGHT / 3
    assert bands[-1][1] < cover.HEIGHT / 2  # the authors follow the title, not the cover's foot


def test_long_titles_stay_inside_the_margins():
    title = "a title with aworddfarlongerthananycoverlinecouldeverholdatanyreasonablesize and many more words " * 2
    left, top, right, bottom = _ink_box(cover.draw_cover(title, "a subtitle " * 8, ["an author"] * 6))
    assert left >= cover.MARGIN - 10 and right <= cover.WIDTH - cover.MARGIN + 10
    assert top > 0 and bottom < cover.HEIGHT


def _png(path, size=(800, 1280), kind="PNG"):
    Image.new("RGB", size, (200, 30, 30)).save(path, format=kind)
    return path


def test_a_users_cover_is_taken_with_its_real_type(tmp_path):
    _png(tmp_path / "cover.png")
    _png(tmp_path / "photo.png", kind="JPEG")  # a JPEG named .png
    taken = resources.user_cover("cover.png", tmp_path, tmp_path / "book.md")
    assert (taken.media_type, taken.width, taken.height) == ("image/png", 800, 1280)
    assert taken.data == (tmp_path / "cover.png").read_bytes()
    jpeg = resources.user_cover("photo.png", tmp_path, tmp_path / "book.md")
    assert (jpeg.media_type, jpeg.extension) == ("image/jpeg", ".jpg")


@pytest.mark.parametrize(("name", "make", "says"), [
    ("tiny.png", lambda p: _png(p, (300, 480)), "300 × 480 px"),
    ("cover.gif", lambda p: _png(p, kind="GIF"), "GIF, not JPEG or PNG"),
    ("cover.png", lambda p: p.write_bytes(b"not an image at all"), "not a readable image"),
    ("huge.png", lambda p: p.write_bytes(b"\x89PNG" + bytes(resources.MAX_BYTES)), "more than"),
    ("missing.png", lambda p: None, "no such file"),
    ("../outside.png", lambda p: _png(p), "outside the source's folder"),
    ("https://example.org/cover.png", lambda p: None, "never fetched"),
])
def test_a_bad_cover_is_refused_with_one_clear_line(tmp_path, name, make, says):
    folder = tmp_path / "book"
    folder.mkdir()
    if not name.startswith("https:"):
        make(folder / name)
    with pytest.raises(ChapbookError) as caught:
        resources.user_cover(name, folder, folder / "book.md")
    message = str(caught.value)
    assert says in message and "\n" not in message
    assert message.startswith(str(folder / "book.md"))


def test_a_cover_replaced_under_the_same_name_rebuilds_the_book(tmp_path, monkeypatch):
    from pipeline.build import build

    monkeypatch.setenv("CHAPBOOK_CACHE_DIR", str(tmp_path / "cache"))
    source = tmp_path / "book.md"
    source.write_text("---\ntitle: t\ncover: cover.png\n---\n\ntext\n", encoding="utf-8")
    _png(tmp_path / "cover.png")
    out = tmp_path / "out"
    build([source], out, ["epub"])
    first = (out / "book.epub").read_bytes()
    assert build([source], out, ["epub"])[0].cached
    _png(tmp_path / "cover.png", size=(900, 1440))
    rebuilt = build([source], out, ["epub"])[0]
    assert not rebuilt.cached and (out / "book.epub").read_bytes() != first
