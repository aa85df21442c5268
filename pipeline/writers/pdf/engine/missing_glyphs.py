"""The text of characters no font has, kept in PDFs with whole fonts (the print edition).

WeasyPrint (70) draws a character no font has as .notdef under a glyph number of its own past the
font's last glyph (`Font.missing`, weasyprint/pdf/fonts.py) and, for a subset font, maps that number
back to the character in the font's ToUnicode map, so that the text extracts. With whole fonts
(`full_fonts`, the print file), `build_fonts_dictionary` writes ToUnicode from the font's own cmap
alone, where those numbers are not: the character is drawn as a box and lost to pdftotext, a search,
a screen reader. This adds the missing numbers to that map after WeasyPrint wrote it.

Verified against WeasyPrint 68-70 (`build_fonts_dictionary(pdf, fonts, compress, subset, options)`
imported by name into weasyprint.pdf; the ToUnicode stream ends with `endcmap`); if those change,
the hook steps aside and the PDF is as WeasyPrint makes it.
"""

from __future__ import annotations

import logging

log = logging.getLogger("chapbook")

_END = b"endcmap"


def keep_missing_glyph_text() -> None:
    """Wrap WeasyPrint's font dictionary builder so whole fonts keep their missing glyphs' text (once)."""
    import weasyprint.pdf as weasyprint_pdf

    original = getattr(weasyprint_pdf, "build_fonts_dictionary", None)
    if original is None or getattr(original, "_chapbook_missing_glyphs", False):
        return

    def build_fonts_dictionary(pdf, fonts, compress, subset, options):
        pdf_fonts = original(pdf, fonts, compress, subset, options)
        try:
            _add_missing(pdf, fonts, pdf_fonts)
        except (AttributeError, KeyError, IndexError, TypeError, ValueError) as error:
            log.debug("missing glyphs' text not added: %s", error)
        return pdf_fonts

    build_fonts_dictionary._chapbook_missing_glyphs = True
    weasyprint_pdf.build_fonts_dictionary = build_fonts_dictionary


def _object(pdf, reference: bytes):
    return pdf.objects[int(reference.split()[0])]


def _add_missing(pdf, fonts: dict, pdf_fonts) -> None:
    missing_by_hash: dict[str, dict[int, int]] = {}
    for font in fonts.values():
        if getattr(font, "missing", None):
            missing_by_hash.setdefault(font.hash, {}).update(font.missing)
    for file_hash, missing in missing_by_hash.items():
        if file_hash not in pdf_fonts:
            continue
        stream = _object(pdf, _object(pdf, pdf_fonts[file_hash])["ToUnicode"]).stream
        mapped = b"".join(line for line in stream if isinstance(line, bytes))
        entries = [f"<{glyph:04x}> <{chr(codepoint).encode('utf-16-be').hex()}>".encode()
                   for codepoint, glyph in sorted(missing.items(), key=lambda pair: pair[1])
                   if f"<{glyph:04x}> ".encode() not in mapped]  # a subset font has them already
        if entries:
            at = stream.index(_END)
            stream[at:at] = [f"{len(entries)} beginbfchar".encode(), *entries, b"endbfchar"]
