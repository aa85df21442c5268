"""The PDF book laid out: WeasyPrint with styles/print.css and the paper's page rules, sandboxed.

Stylesheets are parsed once per process and reused for every book laid out in it (a worker lays out
many posts, and `watch` keeps its workers for the session); a changed print.css is parsed again.
"""

from __future__ import annotations

import gc
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from pipeline.document import Document
from pipeline.files.resources import STYLES
from pipeline.paper import PAGE_FORMATS
from pipeline.writers.pdf.collector import collector_paused
from pipeline.writers.pdf.engine.page_references import speed_up_pydyf
from pipeline.writers.pdf.engine.spreads import balance_spreads
from pipeline.writers.pdf.engine.structure_roles import tag_notes_and_asides
from pipeline.writers.pdf.engine.weasyprint_start import import_weasyprint
from pipeline.writers.shared.list_markers import bullet_rules

PRINT_CSS = STYLES / "print.css"
# Tagged PDF: structure, /Alt for images, /Lang and the title shown by viewers. Text extraction,
# embedded fonts and byte-identical rebuilds were checked with it on (tests/writers/pdf/test_pdf.py).
PDF_VARIANT = "pdf/ua-1"
# A longer book's layout leaves enough cycles (hundreds of MB at 400 pages) to collect before drawing;
# a shorter one's wait for the collector, which costs a 25-page essay 20 ms on its critical path.
COLLECT_ABOVE_PAGES = 100


@dataclass(frozen=True)
class BookOptions:
    """What differs between the books laid out from one frame: the screen PDF and the print file.

    `extra_css` comes after print.css and the paper's page rules; `extra_folders` are read besides
    the source's folder and styles/ (the print file's ICC profile).
    """

    variant: str = PDF_VARIANT
    extra_css: str = ""
    full_fonts: bool = False
    extra_folders: tuple[Path, ...] = ()


def page_css(paper: str) -> str:
    """The page size, binding-side margins and base type size for `paper` (a name in pipeline.paper)."""
    page = PAGE_FORMATS[paper]
    return (f"@page {{ size: {page.size}; margin-top: {page.top}; margin-bottom: {page.bottom} }}\n"
            f"@page :right {{ margin-left: {page.inner}; margin-right: {page.outer} }}\n"
            f"@page :left {{ margin-left: {page.outer}; margin-right: {page.inner} }}\n"
            f"html {{ font-size: {page.font_size} }}\n")


def stylesheets(fetcher, paper: str, extra_css: str = "", color_profiles: dict | None = None) -> list:
    """print.css, the page rules for `paper`, then `extra_css` (read with `fetcher`, which fills `color_profiles`).

    The first two are parsed once per process for each text they have (parsing print.css took 32 ms of
    each post's PDF); they name no file, so they are read with a fetcher confined to styles/.
    """
    weasyprint = import_weasyprint()

    sheets = [_parsed(PRINT_CSS.read_text(encoding="utf-8") + bullet_rules(), PRINT_CSS.as_uri()),
              _parsed(page_css(paper), PRINT_CSS.as_uri())]
    if extra_css:
        sheets.append(weasyprint.CSS(string=extra_css, url_fetcher=fetcher, color_profiles=color_profiles))
    return sheets


@lru_cache(maxsize=8)
def _parsed(css: str, base_url: str):
    # A WeasyPrint CSS object is only read by the layouts that use it, so one can serve every book.
    from pipeline.writers.pdf.fetcher import SandboxedFetcher

    return import_weasyprint().CSS(string=css, base_url=base_url, url_fetcher=SandboxedFetcher((STYLES,), base_url))


def lay_out(html: str, document: Document, options: BookOptions = BookOptions()):
    """Lay `html` out with print.css and the paper setting (a WeasyPrint Document, not yet a PDF).

    Only sandboxed local resources are read: the source's folder, styles/ and `options.extra_folders`.
    """
    import_weasyprint()  # before the fetcher's own import of it: through the door (a missing Pango is one line)
    from pipeline.writers.pdf.fetcher import SandboxedFetcher

    speed_up_pydyf()
    tag_notes_and_asides()
    fetcher = SandboxedFetcher((document.resource_folder, STYLES, *options.extra_folders), str(document.source))
    page = import_weasyprint().HTML(string=html, base_url=document.resource_folder.as_uri() + "/",
                                    url_fetcher=fetcher)
    profiles: dict = {}  # filled by an @color-profile rule in extra_css: the print file's output intent
    sheets = stylesheets(fetcher, document.settings.paper, options.extra_css, profiles)
    with collector_paused():
        rendering = page.render(stylesheets=sheets, pdf_variant=options.variant, full_fonts=options.full_fonts,
                                color_profiles=profiles)
        balance_spreads(rendering)  # facing pages end on the same line (before anything reads the pages)
        if len(rendering.pages) > COLLECT_ABOVE_PAGES:
            gc.collect()  # the layout's cycles, once, before drawing: the peak stays below an unpaused run's
    return rendering


def write_pdf(html: str, document: Document, options: BookOptions = BookOptions()) -> bytes:
    """`html` laid out (see lay_out) and written as a PDF."""
    return pdf_bytes(lay_out(html, document, options), options)


def pdf_bytes(rendering, options: BookOptions) -> bytes:
    """A laid-out WeasyPrint Document drawn and written as PDF bytes, as `options` say."""
    with collector_paused():
        return rendering.write_pdf(pdf_variant=options.variant, full_fonts=options.full_fonts)


def anchor_pages(rendering) -> dict[str, int]:
    """Each anchor (element id) of a laid-out WeasyPrint Document and the 1-based page it starts on."""
    pages: dict[str, int] = {}
    for number, page in enumerate(rendering.pages, start=1):
        for name in page.anchors:
            pages.setdefault(name, number)
    return pages
