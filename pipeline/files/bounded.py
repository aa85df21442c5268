"""Bounded reads: a regular file's bytes up to a size limit; never a FIFO, a device or an endless stream.

`Path.read_bytes()` on a FIFO waits for a writer forever, and on a link to /dev/zero reads until
memory runs out. Sources, the build cache and the PDF's resources are read through here instead.
"""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

_CHUNK = 1 << 20
_KINDS = ((stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"), (stat.S_ISDIR, "a folder"))


class NotRegularFile(OSError):
    """The path names something that is not a regular file: a FIFO, a device, a socket, a folder."""

    def __init__(self, path: Path, kind: str) -> None:
        super().__init__(f"{path} is {kind}, not a regular file")
        self.path, self.kind = path, kind


class FileTooLarge(OSError):
    """The file holds more bytes than the caller's limit (`size` is at least limit + 1)."""

    def __init__(self, path: Path, size: int, limit: int) -> None:
        super().__init__(f"{path} is {size:,} bytes, more than the limit of {limit:,}")
        self.path, self.size, self.limit = path, size, limit


def file_kind(mode: int) -> str:
    """What a file of this `st_mode` is, in words ("a named pipe (FIFO)"), or "a regular file"."""
    return next((kind for test, kind in _KINDS if test(mode)), "a regular file" if stat.S_ISREG(mode) else
                "a special file")


def open_regular_file(path: Path, *, follow_links: bool = True) -> int:
    """A descriptor open for reading on the regular file at `path`; NotRegularFile for anything else.

    Never blocks on a FIFO. With `follow_links=False`, a symbolic link gives OSError (ELOOP).
    """
    flags = os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC  # O_NONBLOCK: opening a FIFO without a writer returns at once
    if not follow_links:
        flags |= os.O_NOFOLLOW
    descriptor = os.open(path, flags)
    mode = os.fstat(descriptor).st_mode  # of what was opened, so a swap after a check cannot fool it
    if not stat.S_ISREG(mode):
        os.close(descriptor)
        raise NotRegularFile(Path(path), file_kind(mode))
    return descriptor


def read_regular_file(path: Path, limit: int, *, follow_links: bool = True) -> bytes:
    """The bytes of the regular file at `path`, refusing anything else and anything over `limit` bytes.

    Raises NotRegularFile, FileTooLarge, or the OSError of opening it. Never blocks on a FIFO and
    never reads more than `limit + 1` bytes, even from a file that grows while it is read.
    """
    descriptor = open_regular_file(path, follow_links=follow_links)
    try:
        size = os.fstat(descriptor).st_size
        if size > limit:
            raise FileTooLarge(Path(path), size, limit)
        chunks, total = [], 0
        while total <= limit:
            chunk = os.read(descriptor, min(_CHUNK, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
        if total > limit:
            raise FileTooLarge(Path(path), total, limit)
        return b"".join(chunks)
    finally:
        os.close(descriptor)


def regular_file_sha256(path: Path) -> str:
    """The SHA-256 of a regular file's bytes, read in chunks; NotRegularFile or OSError otherwise."""
    descriptor = open_regular_file(path)
    with os.fdopen(descriptor, "rb") as stream:
        return hashlib.file_digest(stream, "sha256").hexdigest()
