"""The page cache: each page a folder edition (the capsule, the web site) renders for one post, kept
between builds, so that one edited post re-renders its own page and the indexes, not every page.

A folder edition's writer asks for each post's page through `pages(document, depends_on, render)`:
`depends_on` is what the page shows besides the document and the settings (its address, its image
links, its other editions' names and sizes, its neighbours: the writer says, as text), `render` makes
the page. The key adds chapbook's version and code, the edition, the folder's settings and the
document's identity in the document cache (the digests of its summary and blocks, and the time it
is stamped with); a document that did not come from that cache is always rendered. Entries are files
`pages/<key[:2]>/<key>` holding a header (format, key, SHA-256 of the page) and the page, written by
rename; a damaged or foreign one is a miss.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Callable
from pathlib import Path

from pipeline import __version__
from pipeline.build.cache import code_digest
from pipeline.build.document_cache import DocumentCache, release
from pipeline.document import Document
from pipeline.files.atomic import atomic_write
from pipeline.files.bounded import read_regular_file
from pipeline.settings import Settings, as_dict
from pipeline.writers.shared.posts import PageRender

FORMAT = "chapbook-page-1"
MAX_PAGE_BYTES = 64 * 1024 * 1024



class PageCache:
    """Pages by what they depend on, in `folder`/pages/, for the documents `documents` has read."""

    def __init__(self, folder: Path, documents: DocumentCache) -> None:
        self.folder = folder / "pages"
        self.documents = documents

    def for_edition(self, edition: str, settings: Settings) -> PageRender:
        """The `cached_page` function a folder edition's render_site takes."""
        prefix = "\0".join([FORMAT, __version__, code_digest(), edition, json.dumps(as_dict(settings), sort_keys=True)])

        def page(document: Document, depends_on: str, render: Callable[[], bytes]) -> bytes:
            identity = self.documents.identities.get(document.source)
            if identity is None:
                return render()
            key = hashlib.sha256("\0".join([prefix, identity, document.modified.isoformat(),
                                            depends_on]).encode("utf-8")).hexdigest()
            data = self._get(key)
            if data is None:
                data = render()
                release(document)
                self._put(key, data)
            return data
        return page

    def _entry(self, key: str) -> Path:
        return self.folder / key[:2] / key

    def _get(self, key: str) -> bytes | None:
        try:
            data = read_regular_file(self._entry(key), MAX_PAGE_BYTES, follow_links=False)
        except OSError:
            return None
        header, _, page = data.partition(b"\n")
        return page if header == f"{FORMAT} {key} {hashlib.sha256(page).hexdigest()}".encode() else None

    def _put(self, key: str, page: bytes) -> None:
        header = f"{FORMAT} {key} {hashlib.sha256(page).hexdigest()}\n".encode()
        with contextlib.suppress(OSError):
            atomic_write(self._entry(key), header + page, sync=False)
