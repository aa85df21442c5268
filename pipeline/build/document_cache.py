"""The document cache: each source's Document after the reader and the transforms, kept between builds.

With it an unchanged post costs a build one small read (its metadata, settings and images: what
indexes and feeds need), and its blocks are read back only when an edition renders them; without
it a gemlog of 300 posts read and transformed all 300 to republish one. An entry is keyed by the
source's bytes, its path, the project's and the command line's settings, the parse cache's own key
(pandoc's command and binary, chapbook's version and code); the files the transforms and the reader
looked at (each image a source links, the cover) are checked again at every use: an image added,
removed or replaced by a folder, a cover changed, misses. The warnings the reading gave are kept and
given again, so a build says the same with and without the cache.

An entry is one file, `documents/<key[:2]>/<key>`: a header line (format, key, SHA-256 of each part),
the summary as one line of JSON, then the blocks as JSON (never pickle: a cache folder is not code).
Written to a temporary file and renamed, so a second process sharing the folder never reads half
of one; a damaged, truncated or foreign entry fails its digests and is a miss, never a wrong document.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict
from pathlib import Path

from pipeline import __version__
from pipeline.ast import Node, inlines_of_kinds
from pipeline.build.cache import DigestMemo, code_digest, file_digest, json_of_kind, resolved
from pipeline.document import Document, Metadata, Resource
from pipeline.errors import ChapbookError
from pipeline.files.atomic import atomic_write
from pipeline.files.bounded import open_regular_file
from pipeline.files.resources import resolve_local
from pipeline.settings import Settings, as_dict

log = logging.getLogger("chapbook")

FORMAT = "chapbook-document-1"
MAX_SUMMARY_BYTES = 1024 * 1024


def image_urls(blocks: list[Node]) -> list[str]:
    """The URL of every Image in pandoc's blocks, notes included, in order."""
    return [image["c"][2][0] for image in inlines_of_kinds(blocks, frozenset({"Image"}))]


def _probe(url: str, folder: Path) -> list:
    """What the transforms would find for an image URL now: the file (and that it is one) or the refusal."""
    path, reason = resolve_local(url, folder)
    return [str(path) if path else None, reason]


def _cover_probe(cover: str, folder: Path, digests: DigestMemo | None) -> list:
    """The cover the reader checked: its file and digest (the reader reads it), or its refusal."""
    if not cover:
        return []
    path, reason = resolve_local(cover, folder)
    return [str(path), file_digest(path, digests)] if path else [None, reason]


class StoredBlocks(Sequence):
    """A document's blocks, read from its cache entry when first used and dropped again by release().

    So a build can hold a thousand documents' metadata and only the blocks of those it is rendering.
    """

    def __init__(self, path: Path, key: str, digest: str, blocks: list | None = None) -> None:
        self.path, self.key, self.digest = path, key, digest
        self._blocks = blocks

    def _loaded(self) -> list:
        if self._blocks is None:
            blocks = _read_blocks(self.path, self.key, self.digest)
            if blocks is None:  # removed or damaged while the build ran: never render from a guess
                raise ChapbookError(self.path, "this cached document was removed or damaged while the build ran",
                                    "build again")
            self._blocks = blocks
        return self._blocks

    def release(self) -> None:
        """Forget the blocks (they are read again when next used)."""
        self._blocks = None

    def __getitem__(self, index):
        return self._loaded()[index]

    def __len__(self) -> int:
        return len(self._loaded())

    def __iter__(self) -> Iterator:
        return iter(self._loaded())

    def __eq__(self, other: object) -> bool:
        return list(self) == (list(other) if isinstance(other, Sequence) else other)

    __hash__ = None

    def __reduce__(self):  # a worker process reads the blocks itself, from the same entry
        return (StoredBlocks, (self.path, self.key, self.digest))


def release(document: Document) -> None:
    """Drop a document's blocks from memory if they can be read back from the cache."""
    if isinstance(document.blocks, StoredBlocks):
        document.blocks.release()


def _read_header(stream) -> tuple[str, str, str] | None:
    header = stream.readline(512).split()
    if len(header) != 4 or header[0] != FORMAT.encode():
        return None
    return header[1].decode(), header[2].decode(), header[3].decode()


def _read_blocks(path: Path, key: str, digest: str) -> list | None:
    try:
        with os.fdopen(open_regular_file(path, follow_links=False), "rb") as stream:
            header = _read_header(stream)
            if header is None or header[0] != key or header[2] != digest:
                return None
            stream.readline(MAX_SUMMARY_BYTES)
            data = stream.read()
    except OSError:
        return None
    return json_of_kind(data, list) if hashlib.sha256(data).hexdigest() == digest else None


class _Warnings(logging.Handler):
    """The warnings given while a source is read, to keep with its entry."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[list] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append([record.levelno, record.getMessage()])


class DocumentCache:
    """Documents after the transforms, in `folder`/documents/; `prepared(...)` reads one or makes it."""

    def __init__(self, folder: Path, parse_identity: str, digests: DigestMemo | None = None) -> None:
        self.folder = folder / "documents"
        self.digests = digests  # the build's memo of file digests
        self.parse_identity = parse_identity  # what the parse cache keys on besides the text
        # Per source prepared in this build from or into the cache: what its document is (its entry's
        # digests), for the page cache's keys.
        self.identities: dict[Path, str] = {}
        self._settings: dict[int, tuple[Settings, str]] = {}
        self._stored: dict[str, Settings | None] = {}  # a summary's settings (JSON) -> Settings (_stored_settings)

    def key(self, path: Path, project: Settings, overrides: dict | None) -> str:
        """The entry's name: the source's bytes and place, the settings, pandoc's and chapbook's identity."""
        settings = self._settings.get(id(project))
        if settings is None or settings[0] is not project:  # as_dict is slow: once per build, not per source
            settings = self._settings[id(project)] = (project, json.dumps(as_dict(project), sort_keys=True))
        parts = [FORMAT, __version__, code_digest(), self.parse_identity, str(path), resolved(Path(path)),
                 file_digest(path, self.digests), settings[1], json.dumps(overrides or {}, sort_keys=True, default=str)]
        return hashlib.sha256("\0".join(parts).encode("utf-8")).hexdigest()

    def _entry(self, key: str) -> Path:
        return self.folder / key[:2] / key

    def prepared(self, path: Path, project: Settings, overrides: dict | None,
                 make: Callable[[Callable[[dict], None]], Document]) -> Document:
        """The document of `path` from its entry, or `make(seen_tree)` run, stored and returned.

        `make` reads and transforms the source, calling `seen_tree` with pandoc's tree, from which the
        images the transforms look at are found.
        """
        key = self.key(path, project, overrides)
        self.identities.pop(path, None)
        found = self._get(path, key)
        if found is not None:
            return found
        trees: list[dict] = []
        catcher = _Warnings()
        log.addHandler(catcher)
        try:
            document = make(trees.append)
        finally:
            log.removeHandler(catcher)
        if not trees or self.key(path, project, overrides) != key:  # changed while it was read: not kept
            return document
        folder = document.resource_folder
        summary = {"meta": asdict(document.meta), "settings": as_dict(document.settings),
                   "resources": [[r.url, str(r.path), r.media_type, r.name] for r in document.resources],
                   "probes": {url: _probe(url, folder) for url in image_urls(trees[0].get("blocks", []))},
                   "cover": _cover_probe(document.meta.cover, folder, self.digests), "warnings": catcher.messages}
        blocks = json.dumps(document.blocks, separators=(",", ":")).encode("utf-8")
        head = json.dumps(summary, separators=(",", ":"), ensure_ascii=True).encode("utf-8")
        digest = hashlib.sha256(blocks).hexdigest()
        head_digest = hashlib.sha256(head).hexdigest()
        header = f"{FORMAT} {key} {head_digest} {digest}\n".encode()
        try:
            atomic_write(self._entry(key), header + head + b"\n" + blocks, sync=False)
        except OSError:
            return document  # a cache that cannot be written only means reading again next time
        self.identities[path] = f"{head_digest}:{digest}"
        stored = StoredBlocks(self._entry(key), key, digest, document.blocks)
        return Document(source=document.source, meta=document.meta, blocks=stored, settings=document.settings,
                        modified=document.modified, resources=document.resources)

    def _get(self, path: Path, key: str) -> Document | None:
        entry = self._entry(key)
        try:  # the whole entry is checked (hashing is cheap); only the summary is decoded
            with os.fdopen(open_regular_file(entry, follow_links=False), "rb") as stream:
                header = _read_header(stream)
                line = stream.readline(MAX_SUMMARY_BYTES)
                blocks_digest = hashlib.file_digest(stream, "sha256").hexdigest()
        except OSError:
            return None
        if header is None or header[0] != key or hashlib.sha256(line.rstrip(b"\n")).hexdigest() != header[1]:
            return None
        if blocks_digest != header[2]:
            return None
        try:
            summary = json.loads(line)
            document = self._document(path, key, entry, header[2], summary)
        except (ValueError, TypeError, KeyError, RecursionError):
            return None
        if document is None:
            return None
        for level, message in summary.get("warnings", []):
            log.log(level, "%s", message)
        self.identities[path] = f"{header[1]}:{header[2]}"
        return document

    def _stored_settings(self, stored: dict) -> Settings | None:
        """The Settings a summary stored, or None when JSON could not carry one of them as it was.

        The posts of a gemlog mostly share their settings: each distinct set is made and checked once
        per build (dataclasses.asdict took a third of reading 300 unchanged posts' summaries).
        """
        text = json.dumps(stored, sort_keys=True)
        if text not in self._stored:
            settings = Settings(**stored)
            self._stored[text] = settings if as_dict(settings) == stored else None
        return self._stored[text]

    def _document(self, path: Path, key: str, entry: Path, digest: str, summary: dict) -> Document | None:
        """The Document a summary describes, or None if a file the transforms looked at is not as it was."""
        folder = Path(resolved(Path(path).parent))
        meta = Metadata(**{**summary["meta"], "authors": tuple(summary["meta"]["authors"])})
        if any(_probe(url, folder) != probe for url, probe in summary["probes"].items()):
            return None
        if _cover_probe(meta.cover, folder, self.digests) != summary["cover"]:
            return None
        settings = self._stored_settings(summary["settings"])
        if settings is None:
            return None
        resources = tuple(Resource(url, Path(file), media_type, name)
                          for url, file, media_type, name in summary["resources"])
        return Document(source=path, meta=meta, blocks=StoredBlocks(entry, key, digest), settings=settings,
                        resources=resources)

