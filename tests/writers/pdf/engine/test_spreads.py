"""The spread-balancing reach steps aside when WeasyPrint's pages are not shaped as it expects."""

from __future__ import annotations

from types import SimpleNamespace

from pipeline.writers.pdf.engine.spreads import balance_spreads


def test_pages_of_another_shape_are_left_as_they_were():
    pages = [SimpleNamespace(width=420), SimpleNamespace(width=420)]  # no _page_box: a WeasyPrint that changed
    rendering = SimpleNamespace(pages=list(pages))
    assert balance_spreads(rendering) == []
    assert rendering.pages == pages
