"""Atomic writes: every output goes to a temporary file beside it, then is renamed into place.

Temporary files and the write-test probe are created with O_CREAT | O_EXCL | O_NOFOLLOW (that is
what `tempfile.mkstemp` does), so a symbolic link planted under a predictable name in a shared
output folder is never followed and never truncates the file it points at.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from pathlib import Path

# `.essay.pdf.<pid>.<random>.part`: the pid lets a later build tell a dead build's leftovers from a live one's.
_PART = re.compile(r"^\..+\.(\d+)\.[^.]+\.part$")


def atomic_write(path: Path, data: bytes, *, sync: bool = True) -> None:
    """Write `data` to `path` so that a reader (or a crash) sees the old file or the new one, never half.

    `sync=False` skips flushing to the disk before the rename, for files that check their own
    integrity when read (the parse cache): a crash may leave them torn, never a reader half-way.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.{os.getpid()}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            if sync:
                os.fsync(stream.fileno())
            os.fchmod(stream.fileno(), 0o644)  # the file we made, not whatever now has its name
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def probe_writable(folder: Path) -> None:
    """Prove that files can be created in `folder` by making and removing a fresh one; raises OSError.

    The probe is a new file with a random name made with O_EXCL | O_NOFOLLOW, so a planted
    `.chapbook-write-test-<pid>` link cannot make the probe write through it.
    """
    handle, probe = tempfile.mkstemp(prefix=f".chapbook-write-test-{os.getpid()}.", dir=folder)
    os.close(handle)
    os.unlink(probe)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_parts(folder: Path) -> None:
    """Delete temporary files left by builds that were killed (their process is gone)."""
    if not folder.is_dir():
        return
    for path in folder.rglob(".*.part"):
        match = _PART.match(path.name)
        if match and not _alive(int(match.group(1))):
            with contextlib.suppress(OSError):
                path.unlink()
