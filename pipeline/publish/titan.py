"""Publishing by Titan (transjovian.org/titan): each file is one request `titan://host/path;size=N;mime=T;token=X`.

A Titan host cannot list or stat files, so the manifest of what was published is kept in chapbook's state
folder, one per destination; a file is read back over Gemini (same host, same pinned certificate) before it
is deleted. Uploading zero bytes deletes a file, as the protocol says.
"""

from __future__ import annotations

import hashlib
import mimetypes
from pathlib import Path
from urllib.parse import quote

from pipeline.editions import media_types
from pipeline.errors import ChapbookError
from pipeline.files.atomic import atomic_write
from pipeline.publish.destination import Destination
from pipeline.publish.plan import MAX_MANIFEST_BYTES
from pipeline.publish.redact import redact
from pipeline.publish.tofu import TIMEOUT, Pins, gemini_request

TOKEN_ENV = "CHAPBOOK_TITAN_TOKEN"
TYPES = {**media_types(), ".gmi": "text/gemini; charset=utf-8", ".txt": "text/plain; charset=utf-8",
         ".xml": "application/atom+xml", ".json": "application/json"}


def file_type(relative: str) -> str:
    """The MIME type a file is sent with (a page's language is added by the caller)."""
    suffix = Path(relative).suffix.lower()
    return TYPES.get(suffix) or mimetypes.guess_type(relative)[0] or "application/octet-stream"


def read_token(environ: dict[str, str], token_file: str | Path | None) -> str:
    """The Titan token: CHAPBOOK_TITAN_TOKEN, else the first line of the settings' titan_token_file, else ""."""
    if environ.get(TOKEN_ENV):
        return environ[TOKEN_ENV].strip()
    if not token_file:
        return ""
    path = Path(token_file).expanduser()
    try:
        return path.read_text(encoding="utf-8").strip().splitlines()[0].strip() if path.stat().st_size else ""
    except (OSError, UnicodeDecodeError) as error:
        raise ChapbookError(path, f"cannot read the Titan token file ({getattr(error, 'strerror', None) or error})",
                            "check titan_token_file in chapbook.toml") from None


class TitanTransport:
    """Uploads over Titan; reads back over Gemini; keeps its manifest beside the certificate pins."""

    remote_manifest = False

    def __init__(self, destination: Destination, token: str, pins: Pins, manifest_path: Path,
                 timeout: float = TIMEOUT) -> None:
        self.destination = destination
        self.timeout = timeout
        self.token = token
        self.pins = pins
        self.manifest_path = manifest_path

    def _url(self, scheme: str, relative: str) -> str:
        host = f"[{self.destination.host}]" if ":" in self.destination.host else self.destination.host
        return f"{scheme}://{host}:{self.destination.port}{quote(self.destination.file_path(relative))}"

    def accepts(self, relative: str) -> bool:
        """Dot files (agate's `.meta`) stay home: a Titan upload carries the page's language in its type."""
        return not any(part.startswith(".") for part in relative.split("/"))

    def sizes(self, paths: list[str]) -> None:
        """A Titan host cannot say what it holds: the manifest is trusted."""
        return None

    def sha256(self, relative: str, limit: int) -> str | None:
        """The digest of the file as the capsule serves it now, None when it is gone, "?" when unreadable
        (a body past `limit`, the size chapbook published, differs: it is read no further)."""
        response = gemini_request(self.destination.host, self.destination.port, self._url("gemini", relative),
                                  self.pins, shown=str(self.destination), timeout=self.timeout, limit=limit,
                                  doing=f"reading back {relative}", named_by=self.destination.named_by)
        if response.status == 51:
            return None
        return hashlib.sha256(response.body).hexdigest() if response.status == 20 else "?"

    def _upload(self, relative: str, data: bytes, mime: str) -> None:
        parameters = f";size={len(data)}" + (f";mime={quote(mime, safe='/')}" if mime else "")
        if self.token:
            parameters += f";token={quote(self.token, safe='')}"
        shown = str(self.destination)  # never the request itself: it holds the token
        response = gemini_request(self.destination.host, self.destination.port,
                                  self._url("titan", relative) + parameters, self.pins, data, shown=shown,
                                  timeout=self.timeout, doing=f"sending {relative}" if data else f"deleting {relative}",
                                  named_by=self.destination.named_by)
        if response.status // 10 in (2, 3):
            return
        meta = redact(response.meta, [self.token])  # a host may echo the request, token and all
        if response.status // 10 == 6:
            remedy = (f"check the token in {TOKEN_ENV} or titan_token_file" if self.token else
                      f"set {TOKEN_ENV}, or titan_token_file in chapbook.toml")
            raise ChapbookError(shown, f"the host refused the upload: {response.status} {meta}".rstrip(), remedy)
        raise ChapbookError(shown, f"the host refused the upload: {response.status} {meta}".rstrip(),
                            "check the destination path and the host's limits")

    def put(self, relative: str, data: bytes, mime: str) -> None:
        """Upload one file; the Titan host replaces it only when the whole body has arrived."""
        if not data:
            raise ChapbookError(str(self.destination), "an empty file cannot be sent by Titan "
                                "(zero bytes means delete)", "give it some content")
        self._upload(relative, data, mime)

    def delete(self, relative: str) -> None:
        """Remove one file: a zero-byte upload."""
        self._upload(relative, b"", "")

    def load_manifest(self) -> bytes | None:
        """The manifest kept in chapbook's state folder, or None (read with the same bounds as a host's)."""
        from pipeline.files.bounded import read_regular_file

        try:
            return read_regular_file(self.manifest_path, MAX_MANIFEST_BYTES)
        except OSError:  # absent, not a regular file, too large: no manifest
            return None

    def save_manifest(self, data: bytes) -> None:
        atomic_write(self.manifest_path, data)

    def close(self) -> None:
        """Each request had its own connection."""
