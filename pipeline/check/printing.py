"""Judging the print files: the booklet's sheets and page order, the print-shop PDF's boxes, intent and fonts."""

from __future__ import annotations

import subprocess
import xml.etree.ElementTree as ElementTree
from pathlib import Path

from pipeline.check import readback
from pipeline.check.findings import Finding
from pipeline.check.pdf import NO_POPPLER, font_rows
from pipeline.check.voice import voice_findings
from pipeline.document import Document
from pipeline.paper import PAGE_FORMATS, length_in_points
from pipeline.writers.pdf.impose import plan_sheets

XHTML = "{http://www.w3.org/1999/xhtml}"
TOLERANCE = 0.5  # points
BLEED = 3 * 72 / 25.4
WHOLE_FONT = 0.9  # share of its glyphs a font embedded whole draws


def _close(size, expected) -> bool:
    return all(abs(float(a) - float(b)) <= TOLERANCE for a, b in zip(size, expected, strict=True))


def _shown(size) -> str:
    return " x ".join(f"{float(value):.1f}" for value in size) + " pt"


def check_booklet(document: Document, path: Path) -> list[Finding]:
    """Booklet: sheets twice a trim chapbook sets, and each page number on the half-sheet the fold needs.

    The paper and the signature are read from the file, not from the settings, so a booklet built
    with `--paper` or `--signature` is judged as it was made.
    """
    from pypdf import PdfReader

    label = str(path)
    sizes = [(float(page.mediabox.width), float(page.mediabox.height)) for page in PdfReader(path).pages]
    papers = [name for name, paper in PAGE_FORMATS.items() if sizes and _close(sizes[0], paper.sheet)]
    wrong = [number for number, size in enumerate(sizes, start=1) if not papers or size != sizes[0]]
    if wrong or not papers:
        return [Finding("fail", label, "sheet size", f"{_shown(sizes[0])} is not two pages of a chapbook paper size"
                        if sizes and not papers else f"sides {', '.join(map(str, wrong[:8]))} differ from side 1")]
    paper = PAGE_FORMATS[papers[0]]
    findings = [Finding("ok", label, "sheet size", f"{len(sizes)} sides of {_shown(paper.sheet)}: "
                        f"{papers[0]} pages two-up")]
    if not readback.pdftotext_available():
        return findings + [Finding("skipped", label, "page order", NO_POPPLER)]
    folios = _half_sheet_folios(path, paper)
    read = sum(folio is not None for side in folios for folio in side)
    if not read:
        return findings + [Finding("skipped", label, "saddle-stitch page order", "no page numbers to read")]
    for signature in (None, *range(4, 2 * len(sizes) + 1, 4)):
        if not _misplaced(folios, signature):
            gatherings = f"in signatures of {signature} pages" if signature else "as one booklet"
            return findings + [Finding("ok", label, "saddle-stitch page order",
                                       f"{read} page numbers where the fold needs them, {gatherings}")]
    return findings + [Finding("fail", label, "saddle-stitch page order",
                               ", ".join(_misplaced(folios, None)[:6]) + " (for one booklet or any signature)")]


def _misplaced(folios: list[tuple[int | None, int | None]], signature: int | None) -> list[str]:
    """Page numbers not where folding sheets of `signature` pages needs them."""
    plan = [side for sheet in plan_sheets(2 * len(folios), signature) for side in (sheet.front, sheet.back)]
    return [f"page {folio} on side {number}" for number, (side, printed) in enumerate(zip(plan, folios, strict=True), 1)
            for slot, folio in zip((side.left, side.right), printed, strict=True)
            if folio is not None and slot != folio - 1]


def _half_sheet_folios(path: Path, paper) -> list[tuple[int | None, int | None]]:
    """The page number printed at the foot of the left and right half of every side (None where there is none)."""
    html = subprocess.run(["pdftotext", "-bbox", str(path), "-"], capture_output=True, check=True).stdout
    html = html[html.index(b"<body>"):html.index(b"</body>") + 7]
    width, height = paper.trim
    bottom = length_in_points(paper.bottom)
    sides = []
    for page in ElementTree.fromstring(html).iter("page"):
        fold, foot = float(page.get("width")) / 2, (float(page.get("height")) + height) / 2 - bottom
        halves: dict[str, int] = {}
        for word in page.iter("word"):
            if (word.text or "").isdigit() and float(word.get("yMin")) >= foot:
                halves["left" if float(word.get("xMax")) <= fold else "right"] = int(word.text)
        sides.append((halves.get("left"), halves.get("right")))
    return sides


def check_print(document: Document, path: Path) -> list[Finding]:
    """Print-shop PDF: trim and bleed boxes, PDF/X-4 with an output intent, whole fonts, no annotations; the voice.

    The trim is read from the file: any size chapbook sets passes, with a 3 mm bleed around it.
    """
    from pypdf import PdfReader

    label = str(path)
    reader = PdfReader(path)
    trims = {name: paper.trim for name, paper in PAGE_FORMATS.items()}
    first = reader.pages[0].trimbox
    name = next((name for name, trim in trims.items() if _close((first.width, first.height), trim)), None)
    trim = trims.get(name, (float(first.width), float(first.height)))
    bleed = (trim[0] + 2 * BLEED, trim[1] + 2 * BLEED)
    bad_boxes = [number for number, page in enumerate(reader.pages, start=1)
                 if not (_close((page.trimbox.width, page.trimbox.height), trim)
                         and _close((page.bleedbox.width, page.bleedbox.height), bleed)
                         and page.mediabox.width >= page.bleedbox.width - TOLERANCE)]
    findings = [Finding("fail" if bad_boxes or name is None else "ok", label, "trim and bleed boxes",
                        f"pages {', '.join(map(str, bad_boxes[:8]))} differ" if bad_boxes
                        else f"TrimBox {_shown(trim)} is no trim size chapbook sets" if name is None
                        else f"TrimBox {_shown(trim)} ({name}), BleedBox 3 mm beyond it on {len(reader.pages)} pages")]
    root = reader.trailer["/Root"]
    intents = [intent.get_object() for intent in root.get("/OutputIntents", [])]
    profile = next((intent["/DestOutputProfile"].get_object() for intent in intents
                    if intent.get("/S") == "/GTS_PDFX" and "/DestOutputProfile" in intent), None)
    xmp = root["/Metadata"].get_object().get_data() if "/Metadata" in root else b""
    is_x4 = b"<pdfxid:GTS_PDFXVersion>PDF/X-4</pdfxid:GTS_PDFXVersion>" in xmp
    findings.append(Finding("ok" if profile is not None and is_x4 else "fail", label, "PDF/X-4 with an output intent",
                            f"ICC profile of {len(profile.get_data())} bytes" if profile is not None and is_x4
                            else "no GTS_PDFX output intent with a profile" if profile is None
                            else "XMP does not declare PDF/X-4"))
    annotated = [number for number, page in enumerate(reader.pages, start=1) if page.get("/Annots")]
    findings.append(Finding("fail" if annotated or "/Outlines" in root else "ok", label,
                            "no links, annotations or bookmarks",
                            f"annotations on pages {', '.join(map(str, annotated[:8]))}" if annotated
                            else "bookmarks present" if "/Outlines" in root else ""))
    if not readback.pdftotext_available():
        return findings + [Finding("skipped", label, "fonts and text", NO_POPPLER)]
    rows = font_rows(path)
    partial = [name for name, embedded, subset in rows if not embedded or subset]
    partial += [name for name, (glyphs, drawn) in font_programs(path).items() if drawn < WHOLE_FONT * glyphs]
    findings.append(Finding("fail" if partial or not rows else "ok", label, "every font embedded whole",
                            ", ".join(partial) if partial else f"{len(rows)} fonts"))
    return findings + voice_findings(document, readback.read_pdf(path), label)


def font_programs(path: Path) -> dict[str, tuple[int, int]]:
    """Each embedded TrueType program by font name: (glyphs it numbers, glyphs it draws).

    A subset keeps the full glyph numbering (HarfBuzz retains the glyph ids) but draws only the
    glyphs the text uses; a font embedded whole draws nearly all it numbers (Charis SIL 3542 of 3609).
    """
    import io

    from fontTools.ttLib import TTFont
    from pypdf import PdfReader

    programs = {}
    for page in PdfReader(path).pages:
        for font in page["/Resources"].get("/Font", {}).values():
            for descendant in font.get_object().get("/DescendantFonts", []):
                descriptor = descendant.get_object()["/FontDescriptor"].get_object()
                name = str(descriptor["/FontName"]).lstrip("/")
                if "/FontFile2" in descriptor and name not in programs:
                    program = TTFont(io.BytesIO(descriptor["/FontFile2"].get_object().get_data()))
                    offsets = program["loca"]
                    drawn = sum(1 for index in range(len(offsets) - 1) if offsets[index + 1] > offsets[index])
                    programs[name] = (program["maxp"].numGlyphs, drawn)
    return programs
