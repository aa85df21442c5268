"""Local resources (images, the cover) a source may use: only files inside the source's folder, never the network."""

from __future__ import annotations

import io
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from urllib.parse import unquote, urlsplit

from pipeline.errors import ChapbookError
from pipeline.files.paths import is_inside

MEDIA_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif",
               ".webp": "image/webp"}
# chapbook's stylesheets: with the source's folder, the only place a build reads resources from. They
# are package data (pyproject.toml): in a checkout pipeline/styles links to the repository's styles/,
# and the wheel carries them, so an installed chapbook finds them wherever it runs.
STYLES = Path(str(files("pipeline") / "styles")).resolve()
# A user's cover: what Kindle Direct Publishing and Kobo accept (KDP: at least 625 × 1000 px, at most
# 10 000 px a side; JPEG or PNG), and a size that keeps the book small enough to mail to a Kindle.
COVER_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg"}
MIN_WIDTH, MIN_HEIGHT, MAX_SIDE = 625, 1000, 10_000
MAX_BYTES = 10 * 1024 * 1024
# Kindle and Kobo recommend 1600 × 2560 px (1:1.6), the size of chapbook's drawn cover.
COVER_WIDTH, COVER_HEIGHT = 1600, 2560


def resolve_local(url: str, folder: Path) -> tuple[Path | None, str]:
    """The file `url` names inside `folder`, or None and the reason it is refused."""
    parts = urlsplit(url)
    if parts.scheme or parts.netloc or url.startswith("//"):
        return None, "remote and file: URLs are never fetched"
    relative = unquote(parts.path)
    if not relative or relative.startswith("/"):
        return None, "absolute paths are outside the source's folder"
    if "\x00" in relative:
        return None, "a file name never holds a NUL character (%00)"
    candidate = (folder / relative).resolve()
    if not is_inside(candidate, folder):
        return None, "it is outside the source's folder"
    if not candidate.is_file():
        return None, "no such file"
    return candidate, ""


@dataclass(frozen=True)
class CoverImage:
    """A cover as the book carries it: its bytes, media type, file extension and size in pixels."""

    data: bytes
    media_type: str
    extension: str
    width: int
    height: int


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
                            f"use an image of about {COVER_WIDTH} × {COVER_HEIGHT} px")
    media_type = COVER_TYPES[kind]
    return CoverImage(data, media_type, ".png" if kind == "PNG" else ".jpg", width, height)
