"""The one door to other libraries' private parts, used by the PDF editions.

Each reach below checks at start that the installed library still has the shape it relies on and
otherwise goes the library's public way: slower, never a different book. `CHAPBOOK_ENGINE=plain`
switches every reach off (`plain:NAME,NAME` only those), read here and nowhere else; the test
tests/writers/pdf/engine/test_engine_plain.py builds the PDF editions both ways and compares the bytes, and
`BENCH_ONLY=engine make bench` measures what each reach buys (docs/architecture.md, the engine room).

Versions each reach was verified against (pyproject.toml's upper bounds let in nothing newer); the
table with what each buys is in docs/architecture.md, the engine room:

- compiled_ffi (weasyprint_start.py): cffi's `FFI` swapped while weasyprint/text/ffi.py runs, its
  `cdef` text read from that file's source; WeasyPrint 70.0, cffi 2.1.1.
- lazy_fonttools (weasyprint_start.py): `fontTools.subset` loaded lazily, `fontTools.varLib.instancer`
  deferred; WeasyPrint 70.0, fontTools 4.69.1.
- hyphenation (hyphenation.py): Pyphen's `hdcache`, `HyphDict.__new__`, `cache`, `maxlen`, `patterns`;
  Pyphen 0.18.1.
- late_folios (late_folios.py): WeasyPrint's `layout.layout_fixed_boxes` patched, `LayoutContext.page_maker`
  entries read by position; WeasyPrint 70.0.
- page_references (page_references.py): pydyf's `PDF.page_references` made a cached property; pydyf 0.13.0.
- pypdf_forms (pypdf_forms.py): pypdf's `PdfWriter._add_object` for the booklet's page forms; pypdf 7.1.1.

Four reaches are not for speed but for a correct file, so `CHAPBOOK_ENGINE` leaves them on (each
steps aside, and the PDF is as WeasyPrint makes it, when its check fails):
- missing_glyphs (missing_glyphs.py): `weasyprint.pdf.build_fonts_dictionary` wrapped so whole fonts
  keep the text of characters no font has; WeasyPrint 68-70.
- artifacts (artifacts.py): no private part; reads the written PDF with pikepdf and marks the page
  furniture WeasyPrint tags as content as `/Artifact /Pagination`; WeasyPrint 70.0, pikepdf 10.
- structure_roles (structure_roles.py): `weasyprint.pdf.tags._build_box_tree` wrapped so notes are
  `/Note` and disclaimers `/Aside` (role-mapped to `/Div`); its
  signature and `_get_pdf_tag`'s answers checked first; WeasyPrint 70.0.
- spreads (spreads.py): the laid-out pages' boxes (`Page._page_box`, `page_type.side`,
  `Box.translate`) moved so facing pages end on the same line, `Page(page_box)` to gather links and
  anchors again; WeasyPrint 70.0.

The generated data two reaches read (WeasyPrint's C declarations compiled, Pyphen's patterns
parsed) is written into chapbook's cache folder (`CHAPBOOK_CACHE_DIR`, else
`$XDG_CACHE_HOME/chapbook`, else `~/.cache/chapbook`), under `engine/`, at first use; `make` warms it.
"""

from __future__ import annotations

import functools
import logging
import os
from pathlib import Path

log = logging.getLogger("chapbook")

SWITCH = "CHAPBOOK_ENGINE"
PLAIN = "plain"
REACHES = ("compiled_ffi", "lazy_fonttools", "hyphenation", "late_folios", "page_references", "pypdf_forms")


@functools.cache
def switched_off() -> frozenset[str]:
    """The reaches `CHAPBOOK_ENGINE` switches off, read once per process: `plain` is every one,
    `plain:NAME,NAME` those named; unset or empty, none."""
    value = os.environ.get(SWITCH, "").strip()
    if not value:
        return frozenset()
    word, _, names = value.partition(":")
    if word != PLAIN:
        log.warning("%s=%s: not understood; write %s or %s:NAME,NAME (names: %s); every reach stays on",
                    SWITCH, value, PLAIN, PLAIN, ", ".join(REACHES))
        return frozenset()
    if not names:
        return frozenset(REACHES)
    chosen = {name.strip() for name in names.split(",") if name.strip()}
    for unknown in sorted(chosen - set(REACHES)):
        log.warning("%s: no reach is called %s (names: %s)", SWITCH, unknown, ", ".join(REACHES))
    return frozenset(chosen & set(REACHES))


def reach_on(name: str) -> bool:
    """Whether reach `name` (one of REACHES) may be used: `CHAPBOOK_ENGINE` does not switch it off."""
    return name not in switched_off()


def data_folder() -> Path:
    """Where the reaches keep the data they generate: `engine/` in chapbook's cache folder."""
    from pipeline.files.paths import cache_folder

    return cache_folder(dict(os.environ)) / "engine"
