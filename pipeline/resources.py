"""Local resources (images) a source may use: only files inside the source's folder, never the network."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

from pipeline.paths import is_inside

MEDIA_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif",
               ".webp": "image/webp"}
# The project's stylesheets: with the source's folder, the only place a build reads resources from.
STYLES = Path(__file__).resolve().parent.parent / "styles"


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
