"""The PDF edition's URL fetcher: local files from allowed folders only, never the network.

WeasyPrint fetches every stylesheet, image and font a page names through its URL fetcher; the
default one follows http(s), file: anywhere on disk and data: URLs. chapbook's fetcher serves
only files inside the source's folder and the project's styles/ folder, and refuses the rest
with a warning that names the resource, so a build never reads outside them or opens a socket.
"""

from __future__ import annotations

import logging
import mimetypes
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import unquote, urlsplit

from weasyprint.urls import URLFetcher, URLFetcherResponse

from pipeline.files.bounded import FileTooLarge, NotRegularFile, read_regular_file
from pipeline.files.paths import is_inside

log = logging.getLogger("chapbook")

# Types WeasyPrint needs to know (a stylesheet must say text/css); mimetypes guesses the others.
_MEDIA_TYPES = {".css": "text/css", ".svg": "image/svg+xml", ".woff2": "font/woff2", ".woff": "font/woff",
                ".ttf": "font/ttf", ".otf": "font/otf"}
# An image or font larger than this is refused: WeasyPrint holds every resource in memory.
MAX_RESOURCE_BYTES = 64 * 1024 * 1024


class RefusedResource(ValueError):
    """A URL the sandbox will not fetch; WeasyPrint catches it, skips the resource and goes on."""


class SandboxedFetcher(URLFetcher):
    """A WeasyPrint URLFetcher that serves files inside `allowed_folders` and refuses everything else."""

    def __init__(self, allowed_folders: Iterable[Path], source: str = "") -> None:
        # No redirects and a short timeout: belt and braces, since fetch() below never reaches urllib.
        super().__init__(timeout=1, allowed_protocols=("file",), allow_redirects=False, fail_on_errors=False)
        self.allowed_folders = tuple(Path(folder).resolve() for folder in allowed_folders)
        self.source = source
        self.refused: list[str] = []

    def local_path(self, url: str) -> tuple[Path | None, str]:
        """The file `url` names inside an allowed folder, or None and why it is refused."""
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme in ("http", "https", "ftp"):
            return None, "a build never makes network requests"
        if scheme != "file":
            return None, f"{scheme or 'relative'} URLs are not served (only files in the source's folder and styles/)"
        if parts.netloc not in ("", "localhost"):
            return None, "file: URLs on another host are never fetched"
        if "\x00" in unquote(parts.path):
            return None, "a file name never holds a NUL character (%00)"
        path = Path(unquote(parts.path)).resolve()  # resolve() follows symlinks, so none leads out
        if not any(is_inside(path, folder) for folder in self.allowed_folders):
            return None, "it is outside the source's folder and styles/"
        if not path.is_file():
            return None, "no such file"
        return path, ""

    def fetch(self, url: str, headers: dict | None = None) -> URLFetcherResponse:
        """The resource at `url` if the sandbox allows it; otherwise a warning and RefusedResource."""
        path, reason = self.local_path(url)
        body = b""
        if path is not None:
            try:
                body = read_regular_file(path, MAX_RESOURCE_BYTES)
            except (NotRegularFile, FileTooLarge) as error:
                path, reason = None, str(error).removeprefix(f"{path} ")
            except OSError as error:
                path, reason = None, f"it cannot be read ({error.strerror})"
        if path is None:
            self.refused.append(url)
            shown = url if len(url) <= 120 else url[:117] + "..."
            log.warning("%s: resource %s refused: %s", self.source or "pdf", shown, reason)
            raise RefusedResource(f"chapbook refused {shown}: {reason}")
        media_type = _MEDIA_TYPES.get(path.suffix.lower()) or mimetypes.guess_type(path.name)[0]
        headers = {"Content-Type": media_type or "application/octet-stream"}
        return URLFetcherResponse(path.as_uri(), body=body, headers=headers)
