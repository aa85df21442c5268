"""What a publish does: the folder's files, the manifest of what was published, and the plan between them.

Pure functions: the transports only report what is at the destination; the decisions are made here.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

MANIFEST = ".chapbook-manifest.json"
FEED_NAMES = ("atom.xml", "feed.xml", "rss.xml", "feed.atom")
# A manifest names the site it records; one written before chapbook published web sites is the capsule's.
FIRST_SITE = "gemini"
# The manifest comes from the host: bounded before it is parsed (a real one is about 150 bytes a file and
# three levels deep), and anything past these bounds is no manifest at all.
MAX_MANIFEST_BYTES = 16 * 1024 * 1024
MAX_MANIFEST_DEPTH = 8
MAX_PUBLISHED_BYTES = 1 << 40  # a recorded size past a terabyte is no size chapbook published
MAX_NUMBER_DIGITS = 20  # a size fits in 2**63 with room to spare; floats, NaN and Infinity are never written
# What a transport reports instead of a digest when a file chapbook published is no longer a plain file there.
NOT_A_FILE = "not a regular file"
TOO_LARGE = "larger than chapbook published it"
_SHA256 = re.compile(r"[0-9a-f]{64}")
_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"')


@dataclass(frozen=True)
class Published:
    """One file as chapbook published it: what the manifest records (no content, no secret)."""

    sha256: str
    size: int


@dataclass(frozen=True)
class Action:
    """One step of a plan: `send` (new), `replace`, `delete`, `keep` (unchanged), `leave` (changed there by
    someone else: no longer chapbook's) or `unchecked` (could not be read back: kept, and checked next time)."""

    kind: str
    path: str
    size: int = 0
    reason: str = ""


def digest(data: bytes) -> Published:
    """The manifest entry for `data`."""
    return Published(hashlib.sha256(data).hexdigest(), len(data))


def folder_files(folder: Path) -> dict[str, Path]:
    """Every file under `folder` to publish, by POSIX path relative to it (a build's temporary files left out)."""
    files = {}
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder).as_posix()
        if path.is_file() and not path.is_symlink() and not path.name.endswith(".part") and relative != MANIFEST:
            files[relative] = path
    return files


def publish_rank(path: str) -> tuple[int, int, str]:
    """Sort key: pages and editions first, then section indexes (deepest first), then feeds, then the home page.

    So no index or feed ever links to a page that has not arrived yet.
    """
    parts = PurePosixPath(path).parts
    name = parts[-1]
    if name.startswith("index.") and len(parts) == 1:
        rank = 3
    elif name in FEED_NAMES:
        rank = 2
    elif name.startswith("index."):
        rank = 1
    else:
        rank = 0
    return rank, -len(parts), path


class _Unreadable(ValueError):
    """A number or constant no manifest chapbook wrote ever holds."""


def _refuse_number(text: str) -> object:
    raise _Unreadable(text)


def _bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_NUMBER_DIGITS:
        raise _Unreadable(text)
    return int(text)


def _nesting_depth(text: str) -> int:
    """How deep the arrays and objects of JSON `text` nest (strings left out), without parsing it."""
    depth = deepest = 0
    for bracket in re.sub(r"[^\[\]{}]", "", _STRINGS.sub("", text)):
        depth += 1 if bracket in "[{" else -1
        deepest = max(deepest, depth)
    return deepest


def parse_manifest(data: bytes | None) -> dict | None:
    """The manifest as a JSON object, or None when there is none or it is not one chapbook could have written:
    larger than MAX_MANIFEST_BYTES, not UTF-8, nested deeper than MAX_MANIFEST_DEPTH, holding floats,
    NaN, Infinity or integers of more than MAX_NUMBER_DIGITS digits, or not JSON at all."""
    if not data or len(data) > MAX_MANIFEST_BYTES:
        return None
    try:
        text = data.decode("utf-8")
        if _nesting_depth(text) > MAX_MANIFEST_DEPTH:
            return None
        recorded = json.loads(text, parse_float=_refuse_number, parse_int=_bounded_int,
                              parse_constant=_refuse_number)
    except (ValueError, RecursionError):  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        return None
    return recorded if isinstance(recorded, dict) else None


def _entry(entry: object) -> Published | None:
    if not isinstance(entry, dict):
        return None
    sha256, size = entry.get("sha256"), entry.get("size")
    if not isinstance(sha256, str) or not _SHA256.fullmatch(sha256):
        return None
    if not isinstance(size, int) or isinstance(size, bool) or not 0 <= size <= MAX_PUBLISHED_BYTES:
        return None
    return Published(sha256, size)


def read_manifest(data: bytes | None) -> dict[str, Published]:
    """The files a previous publish recorded; an absent or unreadable manifest (see parse_manifest) means none,
    and an entry that is not a plain path with a SHA-256 and a size is left out."""
    files = (parse_manifest(data) or {}).get("files")
    if not isinstance(files, dict):
        return {}
    entries = {path: _entry(entry) for path, entry in files.items() if is_plain_path(path)}
    return {path: entry for path, entry in entries.items() if entry is not None}


def manifest_site(data: bytes | None) -> str | None:
    """Which site a previous publish left at the destination (`gemini`, `web`); None when there is no manifest
    (or none that can be read: then nothing there is counted as chapbook's either)."""
    recorded = parse_manifest(data)
    site = recorded.get("site", FIRST_SITE) if recorded is not None else None
    return site if isinstance(site, str) else None


def is_plain_path(path: object) -> bool:
    """Whether a manifest entry names a file inside the destination (the manifest lives there, so anyone who
    can write to it could otherwise point a deletion at `../../somewhere`)."""
    if not isinstance(path, str) or not path or "\\" in path or "\0" in path:
        return False
    parts = PurePosixPath(path).parts
    return not path.startswith("/") and all(part not in ("", ".", "..") for part in parts)


def render_manifest(files: dict[str, Published], site: str = FIRST_SITE) -> bytes:
    """The manifest kept at the destination: which site, and path -> digest and size of each file chapbook
    published."""
    entries = {path: {"sha256": entry.sha256, "size": entry.size} for path, entry in sorted(files.items())}
    return (json.dumps({"chapbook": 1, "site": site, "files": entries}, indent=1) + "\n").encode("utf-8")


def plan_publish(local: dict[str, Published], manifest: dict[str, Published], remote_sizes: dict[str, int] | None,
                 remote_digests: dict[str, str | None], same_there: set[str] = frozenset()) -> list[Action]:
    """The steps that bring the destination to `local`, in publish order, deletions last.

    `remote_sizes` holds the size of each local path found at the destination (None: the transport cannot
    tell, so the manifest is trusted). `remote_digests` holds, for each manifest path no longer made, the
    digest of the file at the destination now (None: it is gone; "?": it could not be read back).
    `same_there` holds the local paths whose file at the destination was read back and found identical (a
    publish interrupted before it wrote its manifest): they are kept, not sent again.
    """
    actions = []
    for path in sorted(local, key=publish_rank):
        entry, published = local[path], manifest.get(path)
        there = path in manifest if remote_sizes is None else path in remote_sizes
        if path in same_there or \
                published == entry and there and (remote_sizes is None or remote_sizes[path] == entry.size):
            actions.append(Action("keep", path, entry.size))
        elif there or published:
            actions.append(Action("replace", path, entry.size))
        else:
            actions.append(Action("send", path, entry.size))
    for path in sorted(set(manifest) - set(local), key=publish_rank):
        now = remote_digests.get(path)
        if now is None:
            continue  # already gone: nothing to do, and it leaves the manifest
        if now == manifest[path].sha256:
            actions.append(Action("delete", path, manifest[path].size))
        elif now == "?":
            actions.append(Action("unchecked", path, reason="could not be read back to check it is unchanged"))
        elif now == NOT_A_FILE:
            actions.append(Action("leave", path, reason="no longer a regular file at the destination"))
        else:
            actions.append(Action("leave", path, reason="changed at the destination since chapbook published it"))
    return actions


def unconfirmed(local: dict[str, Published], manifest: dict[str, Published],
                remote_sizes: dict[str, int] | None) -> list[str]:
    """The local paths worth reading back before sending: a file of the same size is at the destination, but
    the manifest does not record this content for it (missing or stale after an interrupted publish)."""
    if remote_sizes is None:
        return []
    return [path for path, entry in sorted(local.items())
            if remote_sizes.get(path) == entry.size and manifest.get(path) != entry]


def manifest_so_far(manifest: dict[str, Published], local: dict[str, Published],
                    done: list[Action]) -> dict[str, Published]:
    """What the destination holds when a publish stops after the actions `done`: the files sent, and the rest as
    the previous manifest recorded them (a file not yet replaced is still the old one). `done` holds the files
    kept and the changes made."""
    after = dict(manifest)
    for action in done:
        if action.kind == "delete":
            after.pop(action.path, None)
        else:
            after[action.path] = local[action.path]
    return after


def manifest_after(local: dict[str, Published], manifest: dict[str, Published],
                   actions: list[Action]) -> dict[str, Published]:
    """What the manifest records once every action is done: the files sent or kept, and those still to check.

    A file left behind because it changed at the destination is no longer chapbook's, so it is never deleted later.
    """
    after = {action.path: local[action.path] for action in actions if action.kind in ("send", "replace", "keep")}
    return after | {action.path: manifest[action.path] for action in actions if action.kind == "unchecked"}
