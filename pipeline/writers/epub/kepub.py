"""The Kobo edition: the finished EPUB with Kobo's span markup, written as `<stem>.kepub.epub`.

Kobo readers use their better renderer only for files with that name and markup (pipeline/writers/epub/kobo.py).
"""

from __future__ import annotations

from pipeline.document import Document
from pipeline.writers.epub.kobo import kepub


def render(document: Document, companions: dict) -> bytes:
    """The kepub made from this source's EPUB (its companion): the same book, segmented for Kobo."""
    return kepub(companions["epub"].data)
