"""The parse cache: pandoc's JSON AST of each source, kept so an unchanged source is never read by pandoc again.

A gemlog's index pages need every post's document, so without it one edited post ran pandoc on all
of them (304 posts: 3.8 s of a 5.5 s rebuild). An entry is keyed by the source's text, the reader's
pandoc command, the pandoc binary (path, size and modification time: a new pypandoc_binary is a new
key) and chapbook's version and code; any change to those misses. An entry holds its key and the
SHA-256 of the AST's bytes before them, so a corrupt, truncated or foreign entry is a miss, never a
wrong document; entries are written to a temporary file and renamed, so a second process sharing
the cache folder never reads half of one.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pipeline import __version__
from pipeline.build.cache import code_digest, json_of_kind
from pipeline.files.atomic import atomic_write
from pipeline.files.bounded import read_regular_file

# pandoc's AST is a few times its source; MAX_SOURCE_BYTES (4 MB) read into JSON stays well under this.
MAX_ENTRY_BYTES = 256 * 1024 * 1024
FORMAT = "chapbook-parse-1"


def pandoc_identity(pandoc: str) -> str:
    """The pandoc binary as a cache key part: its path, size and modification time (not its bytes: 150 MB)."""
    try:
        status = os.stat(pandoc)
    except OSError:
        return f"{pandoc}:missing"
    return f"{pandoc}:{status.st_size}:{status.st_mtime_ns}"


class ParseCache:
    """Pandoc's AST per source text, in `folder`/parsed/; `cached(run_pandoc)` is a drop-in for run_pandoc."""

    def __init__(self, folder: Path, command: list[str], pandoc: str) -> None:
        self.folder = folder / "parsed"
        self.command, self.pandoc = command, pandoc

    def identity(self) -> str:
        """Everything an entry's key holds besides the text: the format, chapbook, pandoc's binary and command."""
        return "\0".join([FORMAT, __version__, code_digest(), pandoc_identity(self.pandoc), *self.command])

    def key(self, text: str) -> str:
        """The entry's name for a source's text (the binary looked at each time: it may be upgraded in place)."""
        digest = hashlib.sha256(self.identity().encode("utf-8") + b"\0")
        digest.update(text.encode("utf-8"))
        return digest.hexdigest()

    def get(self, key: str) -> dict[str, Any] | None:
        """The AST stored under `key`, or None when there is none or it is not whole and ours."""
        try:
            data = read_regular_file(self.folder / key[:2] / key, MAX_ENTRY_BYTES, follow_links=False)
        except OSError:
            return None
        header, _, body = data.partition(b"\n")
        if header != f"{FORMAT} {key} {hashlib.sha256(body).hexdigest()}".encode():
            return None
        return json_of_kind(body, dict)

    def put(self, key: str, tree_bytes: bytes) -> None:
        """Store pandoc's output under `key`; a cache that cannot be written only means pandoc runs next time."""
        header = f"{FORMAT} {key} {hashlib.sha256(tree_bytes).hexdigest()}\n".encode()
        with contextlib.suppress(OSError):
            atomic_write(self.folder / key[:2] / key, header + tree_bytes, sync=False)

    def cached(self, run: Callable[[Path, str], bytes]) -> Callable[[Path, str], dict[str, Any]]:
        """`run` (path, text) -> pandoc's JSON bytes, answered from the cache when the text was read before."""
        def parse(path: Path, text: str) -> dict[str, Any]:
            key = self.key(text)
            tree = self.get(key)
            if tree is None:
                output = run(path, text)
                tree = json.loads(output)
                self.put(key, output)
            return tree
        return parse
