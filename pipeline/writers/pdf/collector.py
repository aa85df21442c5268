"""The cyclic garbage collector paused while WeasyPrint lays a book out."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """Freeze every object alive now and stop automatic collections; restore both afterwards, even on error.

    Laying out allocates boxes by the hundred thousand and frees almost none of them until the end,
    so each automatic full collection walks every box again for nothing: a 438-page book went through
    17 of them. Reference counting still frees what is not in a cycle; the cycles left over wait for an
    explicit `gc.collect()` (which skips the frozen objects) or for the collector to run again.
    """
    enabled = gc.isenabled()
    gc.freeze()  # what existed before (WeasyPrint's modules, fonts, the document) is never scanned
    gc.disable()
    try:
        yield
    finally:
        gc.unfreeze()
        if enabled:
            gc.enable()
