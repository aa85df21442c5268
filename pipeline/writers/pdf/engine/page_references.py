"""pydyf's list of page references kept, instead of rebuilt for every structure element WeasyPrint tags.

pydyf's `PDF.page_references` ("N 0 R" of every page) is a property that builds a new tuple on
every access, and WeasyPrint's PDF/UA tagging reads it once per structure element, so the time grew
with pages x elements: a 440-page book spent 7.5 s of its 40 s there. `speed_up_pydyf()` makes it
a property that rebuilds the tuple only when a page was added. Pages are only ever appended
(`PDF.add_page`), so their count and the last page's number key the cache. The self-check: pydyf's
attribute is still a property over `pages["Kids"]`; otherwise pydyf's own is left in place.
"""

from __future__ import annotations

from pipeline.writers.pdf.engine import reach_on


def _cached_page_references(pdf) -> tuple[bytes, ...]:
    """pydyf's PDF.page_references, rebuilt only when a page was added."""
    kids = pdf.pages["Kids"]
    key = (len(kids), kids[-3] if kids else None)
    cached = pdf.__dict__.get("_chapbook_page_references")
    if cached is None or cached[0] != key:
        cached = (key, tuple(f"{number} 0 R".encode("ascii") for number in kids[::3]))
        pdf._chapbook_page_references = cached
    return cached[1]


def speed_up_pydyf() -> None:
    """Make pydyf's PDF.page_references a cached property (see the module's docstring), if it is still a property."""
    if not reach_on("page_references"):
        return
    import pydyf

    original = getattr(pydyf.PDF, "page_references", None)
    if isinstance(original, property) and original.fget is not _cached_page_references:
        pydyf.PDF.page_references = property(_cached_page_references)
