"""Page numbers decided after a part's pages are laid out, before its running heads and folios are.

The second part of a long book (pipeline/writers/pdf/parts.py) is laid out at the same time as the first,
so the number of its first page is not known while its text is paginated. Nothing in the flow of
its pages depends on that number (its first page's side is fixed: it opens on a right-hand page),
only the folios do, and WeasyPrint sets those last: once every page is laid out, it lays out each
page's margin boxes from the page counter it recorded for that page. `numbered_later` is laid out
with a stand-in first number and, at that moment, asks for the real one and moves every recorded
page counter by the difference. The PDF is then the one a layout started at the real number makes
(tests/writers/pdf/test_pdf_parts.py compares the bytes).

This reaches into WeasyPrint's layout (`weasyprint.layout.layout_fixed_boxes`, called first thing
for each page's margin boxes, and `LayoutContext.page_maker`); `hook_available()` says whether the
installed WeasyPrint still has them, and the two-part layout is not used when it does not: the
book is laid out whole, the same bytes. (Reach `late_folios`.)
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from pipeline.writers.pdf.engine import reach_on


def hook_available() -> bool:
    """Whether the installed WeasyPrint lays out margin boxes the way `numbered_later` relies on (and
    CHAPBOOK_ENGINE leaves the reach on)."""
    if not reach_on("late_folios"):
        return False
    import weasyprint.layout as layout

    return callable(getattr(layout, "layout_fixed_boxes", None)) and hasattr(layout, "LayoutContext")


@contextmanager
def numbered_later(stand_in: int, first_page: Callable[[], int]) -> Iterator[list[int]]:
    """Within the block, a layout whose first page is numbered `stand_in` gets `first_page()` instead.

    `first_page` is called once, when the pages are laid out and before their folios are; it may
    wait. The list yielded receives the shift applied (empty if no layout reached its folios).
    """
    import weasyprint.layout as layout

    original = layout.layout_fixed_boxes
    applied: list[int] = []

    def renumbering(context, pages, containing_page):
        if not applied:
            shift = first_page() - stand_in
            applied.append(shift)
            _shift_page_counters(context.page_maker, shift)
        return original(context, pages, containing_page)

    layout.layout_fixed_boxes = renumbering
    try:
        yield applied
    finally:
        layout.layout_fixed_boxes = original


def _shift_page_counters(page_maker: list, shift: int) -> None:
    seen: set[int] = set()
    for entry in page_maker:
        counters = entry[3][1]  # (resume_at, next_page, right_page, page_state, remake_state); page_state[1]
        if id(counters) in seen or "page" not in counters:
            continue
        seen.add(id(counters))
        counters["page"] = [value + shift for value in counters["page"]]
