"""The build cache: skip an edition whose inputs did not change.

Inputs: source, images, styles, settings, chapbook version and code.

It lives outside the output folder (`$CHAPBOOK_CACHE_DIR`, else `$XDG_CACHE_HOME/chapbook`, else
`~/.cache/chapbook`). A missing or corrupt cache only means a full rebuild.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import stat
import time
from pathlib import Path

from pipeline import __version__
from pipeline.files.atomic import atomic_write
from pipeline.files.bounded import read_regular_file, regular_file_sha256
from pipeline.files.resources import STYLES

PACKAGE = Path(__file__).resolve().parents[1]
# The cache holds a few hundred bytes per output; anything near this size is not chapbook's.
MAX_CACHE_BYTES = 64 * 1024 * 1024


@functools.cache
def code_digest() -> str:
    """A digest of chapbook's own code, so an edited writer never serves a stale edition."""
    digest = hashlib.sha256()
    for path in sorted(PACKAGE.rglob("*.py")):
        digest.update(f"{path.relative_to(PACKAGE)}={regular_file_sha256(path)}\0".encode())
    return digest.hexdigest()


# A file whose modification time is this close to the moment it was hashed may change again within
# the same tick of the file system's clock (Linux stamps files with a clock of a few milliseconds):
# its digest is taken again next time, as git does for its "racily clean" entries.
RACY_NS = 100_000_000


def json_of_kind(data: bytes, kind: type):
    """`data` parsed as JSON if it is a value of `kind` (a list, a dict), else None: a cache entry that
    decodes to anything else, or not at all, is a miss, never a wrong answer."""
    try:
        value = json.loads(data)
    except (ValueError, RecursionError):  # RecursionError: JSON nested thousands deep
        return None
    return value if isinstance(value, kind) else None


class DigestMemo:
    """Each file's SHA-256 remembered with its size, modification time and inode, so an unchanged file is
    hashed once, not at every build and for every edition that depends on it.

    An entry is used only while the file's size, mtime_ns and inode are those it was hashed with, and
    only if it was hashed (or written by chapbook) at least RACY_NS after its last modification. The
    entries are kept in the cache folder (`digests.json`) between builds; a lost or damaged file only
    means hashing again.
    """

    def __init__(self, folder: Path | None = None) -> None:
        """The memo kept in the cache `folder`, read from there; without a folder, an empty one kept nowhere."""
        self.entries: dict[str, list] = {}
        self.path: Path | None = None
        self.changed = False
        if folder is not None:
            self._load(folder / "digests.json")

    def _load(self, path: Path) -> None:
        self.path = path
        try:
            entries = json.loads(read_regular_file(self.path, MAX_CACHE_BYTES, follow_links=False).decode("utf-8"))
        except (OSError, ValueError, RecursionError):
            entries = {}
        self.entries = entries if isinstance(entries, dict) else {}
        self.changed = False

    def digest(self, path: Path | str, status: os.stat_result | None = None) -> str:
        """The SHA-256 of a regular file (OSError or NotRegularFile otherwise), from the memo when it is unchanged.

        `status` is the file's os.stat, when the caller has just taken it.
        """
        status = status or os.stat(path)
        name = os.fspath(path)
        name = name if name.startswith("/") and "/." not in name and "//" not in name else os.path.abspath(name)
        identity = [status.st_size, status.st_mtime_ns, status.st_ino]
        entry = self.entries.get(name)
        if isinstance(entry, list) and len(entry) == 2 and entry[0] == identity and stat.S_ISREG(status.st_mode):
            return entry[1]
        digest = regular_file_sha256(path)  # a FIFO or a device is no input: "missing", without waiting on it
        if time.time_ns() - status.st_mtime_ns > RACY_NS:
            self.entries[name], self.changed = [identity, digest], True
        return digest

    def written(self, path: Path, data: bytes) -> None:
        """Remember the digest of `data`, which chapbook has just written to `path` itself (renamed into place)."""
        try:
            status = os.stat(path)
        except OSError:
            return
        identity = [status.st_size, status.st_mtime_ns, status.st_ino]
        self.entries[os.path.abspath(path)], self.changed = [identity, hashlib.sha256(data).hexdigest()], True

    def save(self) -> None:
        """Keep the memo for the next build; entries of files that are gone are dropped."""
        if self.path is None or not self.changed:
            return
        kept = {name: entry for name, entry in self.entries.items() if os.path.lexists(name)}
        with contextlib.suppress(OSError):
            atomic_write(self.path, json.dumps(kept, separators=(",", ":")).encode("utf-8"), sync=False)
        self.changed = False


class DigestsOnce:
    """A memo's digests kept for one pass that asks for the same files many times (the plan's keys).

    Each file is looked at (stat) once in the pass instead of once per edition that depends on it; a
    file that cannot be read is asked for again each time.
    """

    def __init__(self, memo: DigestMemo | None) -> None:
        self.memo = memo
        self.seen: dict[str, str] = {}

    def digest(self, path: Path) -> str:
        """The file's SHA-256, as DigestMemo.digest (or the file read, without a memo), once per pass."""
        name = str(path)
        if name not in self.seen:
            self.seen[name] = self.memo.digest(path) if self.memo is not None else regular_file_sha256(path)
        return self.seen[name]


def _files_under(folder: str, prefix: str = "") -> list[tuple[str, str]]:
    """(path relative to the top folder, path) of every file under `folder`, links to files included."""
    found = []
    with os.scandir(folder) as entries:
        for entry in entries:
            name = prefix + entry.name
            if entry.is_dir():
                found += _files_under(entry.path, name + "/")
            elif entry.is_file():
                found.append((name, entry.path))
    return found


def file_digest(path: Path, digests: DigestMemo | DigestsOnce | None = None) -> str:
    """The SHA-256 of a file's bytes (of every file's name and bytes, for a folder), or "missing".

    With `digests` (the build's memo) an unchanged file is not read again.
    """
    try:
        status = os.stat(path)
        if stat.S_ISDIR(status.st_mode):
            return _folder_digest(_digests_under(path, digests))
        if isinstance(digests, DigestMemo):
            return digests.digest(path, status)  # one stat, not one to tell a folder and one for the memo
        return digests.digest(path) if digests is not None else regular_file_sha256(path)
    except OSError:
        return "missing"


def _digests_under(folder: Path, digests: DigestMemo | DigestsOnce | None) -> dict[str, str]:
    """Each file under `folder` (its path relative to it) and its digest, or "missing"."""
    return {name: _digest_or_missing(item, digests) for name, item in sorted(_files_under(str(folder)))}


def _folder_digest(digests: dict[str, str]) -> str:
    digest = hashlib.sha256()
    for name, item_digest in digests.items():
        digest.update(f"{name}={item_digest}\0".encode())
    return digest.hexdigest()


def relative_name(path: Path, folder: Path) -> str:
    """`path`'s name inside `folder` (a path made as folder / name), as the cache records it."""
    prefix = str(folder) + os.sep
    text = str(path)
    return text[len(prefix):] if text.startswith(prefix) and os.sep == "/" else path.relative_to(folder).as_posix()


def _digest_or_missing(path: str, digests: DigestMemo | DigestsOnce | None) -> str:
    try:
        return digests.digest(path) if digests is not None else regular_file_sha256(Path(path))
    except OSError:
        return "missing"


@functools.lru_cache(maxsize=65536)
def resolved(path: Path) -> str:
    """The path's real absolute form, as the cache records it (resolved once per build: see BuildCache).

    A name that is no symbolic link (nor . or ..) is its folder's real path and the name: one lstat,
    where resolving the whole path again takes one per part of it, for each of a thousand posts.
    """
    name = path.name
    if name in ("", ".", "..") or path.parent == path or os.path.islink(path):
        return str(path.resolve())
    return os.path.join(resolved(path.parent), name)


@functools.lru_cache(maxsize=64)
def _key_start(edition: str, settings: str, epoch: str):
    """The digest of what every key of an edition starts with (the settings' JSON is hashed once, not per post)."""
    digest = hashlib.sha256()
    for part in (__version__, code_digest(), edition, settings, epoch):
        digest.update(part.encode("utf-8") + b"\0")
    return digest


def input_key(edition: str, sources: list[Path], settings: dict | str, environment: dict[str, str],
              stylesheets: tuple[str, ...], used_keys: list[str] = (),
              digests: DigestMemo | DigestsOnce | None = None) -> str:
    """A digest of everything an edition depends on that is known before reading the sources.

    `settings` are the project's settings with the command line's applied (a source's own are in its
    bytes), or their JSON (sorted keys); `used_keys` are the keys of the editions it is made from or links to.
    """
    settings = settings if isinstance(settings, str) else json.dumps(settings, sort_keys=True)
    digest = _key_start(edition, settings, environment.get("SOURCE_DATE_EPOCH", "")).copy()
    parts = [*used_keys, *(f"{resolved(source)}={file_digest(source, digests)}" for source in sources)]
    parts += [f"{name}={file_digest(STYLES / name, digests)}" for name in stylesheets]
    for part in parts:
        digest.update(part.encode("utf-8") + b"\0")
    return digest.hexdigest()


class BuildCache:
    """Records, per output file, the inputs it was built from and the digest of what was written."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / "outputs.json"
        self.digests = DigestMemo(folder)  # the build's memo of file digests, handed to what hashes files
        resolved.cache_clear()  # a folder may have become a link since the last build (watch)
        try:
            # chapbook writes this file itself: a link, a FIFO, a device or a giant in its place is damage.
            data = read_regular_file(self.path, MAX_CACHE_BYTES, follow_links=False)
            entries = json.loads(data.decode("utf-8"))
            self.entries = entries if isinstance(entries, dict) else {}
        except (OSError, ValueError, RecursionError):  # RecursionError: JSON nested thousands deep
            self.entries = {}

    def is_fresh(self, outputs: list[Path], key: str) -> bool:
        """Whether every output exists as written from inputs with this key, and no image changed since."""
        for output in outputs:
            entry = self.entries.get(resolved(output))
            if not isinstance(entry, dict) or entry.get("key") != key:
                return False
            if file_digest(output, self.digests) != entry.get("digest"):
                return False
            resources = entry.get("resources", {})
            if not isinstance(resources, dict) or any(file_digest(Path(p), self.digests) != d
                                                      for p, d in resources.items()):
                return False
        return bool(outputs)

    def record(self, output: Path, key: str, resources: list[Path], files: list[Path] = ()) -> None:
        """Remember that `output` (a file or a folder) as it is now was built from `key` and these resources.

        For a folder, `files` are the files chapbook wrote into it, recorded relative to it, so the
        next build can remove those it no longer makes.
        """
        try:
            under = _digests_under(output, self.digests) if files and output.is_dir() else {}  # one walk
        except OSError:
            under = {}
        entry = {"key": key, "digest": _folder_digest(under) if under else file_digest(output, self.digests),
                 "resources": {str(p): file_digest(p, self.digests) for p in resources}}
        if files:
            names = [relative_name(path, output) for path in files]
            entry["files"] = {name: under.get(name) or _digest_or_missing(str(path), self.digests)
                              for name, path in zip(names, files, strict=True)}
        self.entries[resolved(output)] = entry

    def written_files(self, output: Path) -> dict[str, str]:
        """The files chapbook last wrote into the folder `output` (paths relative to it), with their digests."""
        entry = self.entries.get(resolved(output))
        files = entry.get("files") if isinstance(entry, dict) else None
        return files if isinstance(files, dict) else {}

    def save(self) -> None:
        """Write the cache; failing to do so never fails a build."""
        with contextlib.suppress(OSError):
            atomic_write(self.path, json.dumps(self.entries, indent=1, sort_keys=True).encode("utf-8"))
        self.digests.save()


def environment_snapshot() -> dict[str, str]:
    """The environment variables a build depends on."""
    return {key: os.environ[key] for key in ("CHAPBOOK_CACHE_DIR", "XDG_CACHE_HOME", "SOURCE_DATE_EPOCH")
            if key in os.environ}
