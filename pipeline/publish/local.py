"""Publishing to a folder on this machine (`file:///srv/gemini/`, or a mounted share)."""

from __future__ import annotations

import errno
import hashlib
import stat
from pathlib import Path

from pipeline.errors import ChapbookError
from pipeline.files.atomic import atomic_write, remove_stale_parts
from pipeline.files.bounded import FileTooLarge, NotRegularFile, read_regular_file
from pipeline.files.paths import is_inside
from pipeline.publish.destination import Destination
from pipeline.publish.plan import MANIFEST, MAX_MANIFEST_BYTES, NOT_A_FILE, TOO_LARGE


class FolderTransport:
    """Files written with pipeline.files.atomic (temporary file, then rename), so a reader never sees half a page."""

    remote_manifest = True

    def __init__(self, destination: Destination) -> None:
        self.destination = destination
        self.root = Path(destination.path)
        if self.root.exists() and not self.root.is_dir():
            raise ChapbookError(str(destination), f"{destination.setting}: this is a file, and chapbook publishes "
                                "into a folder", f"name a folder ({destination.setting})")
        self._prepared = False

    def _prepare(self) -> None:
        """Before the first change (never in a dry run): the folder made, with any missing parents (as SFTP's
        makedirs and rclone do), and a killed publish's leftovers removed."""
        if self._prepared:
            return
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise os_failure(self.destination, error, "the folder") from None
        remove_stale_parts(self.root)
        self._prepared = True

    def _path(self, relative: str) -> Path:
        path = self.root / relative
        if not is_inside(path.parent, self.root):
            raise ChapbookError(str(self.destination), f"{relative} lies behind a symbolic link out of the folder",
                                "replace the link with a folder, or publish elsewhere")
        return path

    def accepts(self, relative: str) -> bool:
        """Whether this destination takes the file (a folder takes everything)."""
        return True

    def read(self, relative: str, limit: int) -> bytes | str | None:
        """The file's bytes at the destination (at most `limit`), None when it is not there, NOT_A_FILE for a
        link, a FIFO or a device (never opened, never followed) and TOO_LARGE past `limit`."""
        try:
            return read_regular_file(self._path(relative), limit, follow_links=False)
        except FileNotFoundError:
            return None
        except FileTooLarge:
            return TOO_LARGE
        except NotRegularFile:
            return NOT_A_FILE
        except OSError as error:
            if error.errno == errno.ELOOP:  # O_NOFOLLOW met a symbolic link
                return NOT_A_FILE
            raise os_failure(self.destination, error, relative) from None

    def sizes(self, paths: list[str]) -> dict[str, int]:
        """The size of each of `paths` that exists at the destination as a regular file."""
        found = {}
        for relative in paths:
            path = self._path(relative)
            if path.is_file() and not path.is_symlink():
                found[relative] = path.stat().st_size
        return found

    def sha256(self, relative: str, limit: int) -> str | None:
        """The digest of the file at the destination now (None: gone; NOT_A_FILE, TOO_LARGE: changed, as chapbook
        published a regular file of at most `limit` bytes)."""
        data = self.read(relative, limit)
        return data if data is None or isinstance(data, str) else hashlib.sha256(data).hexdigest()

    def put(self, relative: str, data: bytes, mime: str) -> None:
        """Write one file atomically."""
        path = self._path(relative)
        try:
            mode = path.lstat().st_mode
        except FileNotFoundError:
            mode = stat.S_IFREG
        if not stat.S_ISREG(mode):
            raise ChapbookError(str(self.destination), f"{relative} is a link, a folder or a special file there, "
                                "not a file chapbook replaces", "move it away and publish again")
        self._prepare()
        try:
            atomic_write(path, data)
        except OSError as error:
            raise os_failure(self.destination, error, relative) from None

    def remove_leftovers(self) -> list[str]:
        """Remove the temporary files an interrupted publish left in the folder; the paths removed."""
        if not self.root.is_dir():
            return []
        before = set(self.root.rglob(".*.part"))
        remove_stale_parts(self.root)
        return sorted(path.relative_to(self.root).as_posix() for path in before if not path.exists())

    def delete(self, relative: str) -> None:
        """Remove one file chapbook published."""
        self._prepare()
        try:
            self._path(relative).unlink(missing_ok=True)
        except OSError as error:
            raise os_failure(self.destination, error, relative) from None

    def load_manifest(self) -> bytes | None:
        """The manifest's bytes, or None when there is none that is a regular file of a sane size."""
        data = self.read(MANIFEST, MAX_MANIFEST_BYTES)
        return data if isinstance(data, bytes) else None

    def save_manifest(self, data: bytes) -> None:
        self.put(MANIFEST, data, "application/json")

    def close(self) -> None:
        """Nothing to close for a folder."""


def os_failure(destination: Destination, error: OSError, what: str) -> ChapbookError:
    """One line for a failed file operation: permission, disk full, no such path, or the system's words."""
    reasons = {errno.EACCES: "permission denied", errno.EPERM: "permission denied", errno.ENOSPC: "disk full",
               errno.EDQUOT: "disk quota exceeded", errno.EROFS: "read-only file system",
               errno.ENOENT: "no such file or folder"}
    reason = reasons.get(error.errno, error.strerror or str(error))
    return ChapbookError(str(destination), f"{what}: {reason}",
                         "fix it and publish again (files already sent are complete)")
