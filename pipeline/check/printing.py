"""Judging the print files: the booklet's sheets and page order, the print-shop PDF's boxes, intent and fonts."""

from __future__ import annotations

import re
import subprocess
import xml.etree.ElementTree as ElementTree
from pathlib import Path

from pipeline.check import readback
from pipeline.check.findings import Finding
from pipeline.check.pdf import NO_POPPLER, font_rows, fonts_finding, unset_character_warnings
from pipeline.check.voice import voice_findings
from pipeline.document import Document
from pipeline.paper import MM, PAGE_FORMATS, length_in_points
from pipeline.printers import Printer, cover_sheet, printer
from pipeline.writers.pdf.impose import plan_sheets

XHTML = "{http://www.w3.org/1999/xhtml}"
TOLERANCE = 0.5  # points
ICC_CHANNELS = {"GRAY": 1, "RGB ": 3, "CMYK": 4, "Lab ": 3, "XYZ ": 3}
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
        return findings + [Finding("skipped", label, "saddle-stitch page order",
                                   "because no page number is printed where it can be read")]
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
    """Paperback interior: boxes and bleed edge by edge for the `printer` setting, the PDF/X-4 rules, the
    safe zone, whole fonts, no annotations; the voice.

    The trim is read from the file: any size chapbook sets passes, with the printer's bleed around it.
    """
    import pikepdf

    label = str(path)
    shop = printer(document.settings.printer)
    with pikepdf.open(path) as pdf:
        findings = [_boxes_finding(pdf, shop, label, document.settings.marks)]
        findings += pdfx4_findings(pdf, label) + unset_character_warnings(document, pdf, path)
        annotated = [number for number, page in enumerate(pdf.pages, start=1) if page.get("/Annots")]
        findings.append(Finding("fail" if annotated or "/Outlines" in pdf.Root else "ok", label,
                                "no links, annotations or bookmarks",
                                f"annotations on pages {', '.join(map(str, annotated[:8]))}" if annotated
                                else "bookmarks present" if "/Outlines" in pdf.Root else ""))
    if not readback.pdftotext_available():
        return findings + [Finding("skipped", label, "fonts and text", NO_POPPLER)]
    findings.append(safe_zone_finding(path, shop, label))
    rows = font_rows(path)
    partial = [name for name, embedded, subset in rows if not embedded or subset]
    partial += [name for name, (glyphs, drawn) in font_programs(path).items() if drawn < WHOLE_FONT * glyphs]
    findings.append(fonts_finding(label, "every font embedded whole", rows, partial))
    return findings + voice_findings(document, readback.read_pdf(path), label)


def _box(page, name: str) -> tuple[float, float, float, float]:
    box = page.obj.get(name, page.obj.get("/MediaBox"))
    return tuple(float(value) for value in box)


def _boxes_finding(pdf, shop: Printer, label: str, marks: bool) -> Finding:
    """TrimBox a trim the printer prints on every page, BleedBox its bleed edge by edge (recto and verso)."""
    trims = {name: PAGE_FORMATS[name].trim for name in shop.trims}
    left, bottom, right, top = _box(pdf.pages[0], "/TrimBox")
    name = next((name for name, trim in trims.items() if _close((right - left, top - bottom), trim)), None)
    if name is None:
        return Finding("fail", label, "trim and bleed boxes",
                       f"TrimBox {_shown((right - left, top - bottom))} is no trim {shop.title} prints")
    wrong = []
    for number, page in enumerate(pdf.pages, start=1):
        trim, bleed, media = _box(page, "/TrimBox"), _box(page, "/BleedBox"), _box(page, "/MediaBox")
        edges = shop.bleeds(recto=number % 2 == 1)
        expected = (trim[0] - edges["left"], trim[1] - edges["bottom"],
                    trim[2] + edges["right"], trim[3] + edges["top"])
        inside = all(media[i] <= box[i] + TOLERANCE for box in (trim, bleed) for i in (0, 1)) and \
            all(media[i] >= box[i] - TOLERANCE for box in (trim, bleed) for i in (2, 3))
        if not (_close(trim[2:], (trim[0] + trims[name][0], trim[1] + trims[name][1])) and _close(bleed, expected)
                and inside and (marks or _close(media, bleed))):
            wrong.append(number)
    edges = "every edge" if shop.spine_bleed else "none at the spine"
    if wrong:
        return Finding("fail", label, "trim and bleed boxes", f"pages {', '.join(map(str, wrong[:8]))} differ from "
                       f"{shop.title}'s bleed of 0.125 in ({edges}); built for another printer? the check "
                       f"reads the printer setting (printer = \"{shop.name}\")")
    return Finding("ok", label, "trim and bleed boxes",
                   f"TrimBox {name} and {shop.title}'s bleed of 0.125 in ({edges}) on {len(pdf.pages)} pages")


def icc_header(profile: bytes) -> tuple[str, str, int]:
    """An ICC profile's class (bytes 12-15), colour space (16-19) and that space's channel count."""
    device_class, space = profile[12:16].decode("latin-1"), profile[16:20].decode("latin-1")
    return device_class, space, ICC_CHANNELS.get(space, 0)


def pdfx4_findings(pdf, label: str) -> list[Finding]:
    """The rules of PDF/X-4 (ISO 15930-7) a file can be read back for, one finding each."""
    import pikepdf

    rules: list[tuple[str, str]] = []  # (rule, what is wrong; empty when it holds)
    xmp = pdf.Root.Metadata.read_bytes().decode("utf-8", "replace") if "/Metadata" in pdf.Root else ""
    version = re.search(r"<pdfxid:GTS_PDFXVersion>([^<]*)<", xmp)
    rules.append(("GTS_PDFXVersion", "" if version and version.group(1) == "PDF/X-4"
                  else f"XMP says {version.group(1) if version else 'nothing'}, not PDF/X-4"))
    intents = [intent for intent in pdf.Root.get("/OutputIntents", []) if intent.get("/S") == "/GTS_PDFX"]
    profile_problem, process_channels = "no /GTS_PDFX output intent with a DestOutputProfile", 0
    if len(intents) == 1 and "/DestOutputProfile" in intents[0]:
        stream = intents[0].DestOutputProfile
        device_class, space, channels = icc_header(stream.read_bytes())
        declared = int(stream.get("/N", 0))
        process_channels = channels
        profile_problem = (f"the profile's /N is {declared} but its header says {space.strip()} ({channels})"
                           if declared != channels else
                           f"the profile's class is {device_class}, not prtr (a printer characterisation)"
                           if device_class != "prtr" else
                           f"the profile's colour space is {space.strip()}, not GRAY or CMYK"
                           if space not in ("GRAY", "CMYK") else "")
    rules.append(("output intent profile", profile_problem))
    trapped = pdf.docinfo.get("/Trapped")
    rules.append(("Trapped", "" if trapped in (pikepdf.Name.True_, pikepdf.Name("/True"), pikepdf.Name("/False"))
                  else f"/Trapped is {trapped}"))
    rules.append(("no encryption", "encrypted" if pdf.is_encrypted or "/Encrypt" in pdf.trailer else ""))
    unembedded = sorted({str(font.get("/BaseFont")) for font in _fonts(pdf) if not _embedded(font)})
    rules.append(("every font embedded", ", ".join(unembedded)))
    outside = [number for number, page in enumerate(pdf.pages, start=1)
               if not _within(_box(page, "/TrimBox"), _box(page, "/MediaBox"))
               or not _within(_box(page, "/BleedBox"), _box(page, "/MediaBox"))]
    rules.append(("TrimBox and BleedBox inside MediaBox",
                  f"pages {', '.join(map(str, outside[:8]))}" if outside else ""))
    rgb = rgb_uses(pdf)
    rules.append(("no RGB colour", "; ".join(rgb[:4]) if rgb else ""))
    device = sorted(set(_device_spaces(pdf)))
    mismatched = not process_channels or any(ICC_CHANNELS[space] > process_channels for space in device)
    rules.append(("device colour with a matching intent",
                  f"{', '.join(device)} with a {process_channels}-channel intent" if device and mismatched else ""))
    annotated = [number for number, page in enumerate(pdf.pages, start=1)
                 if any(_within(tuple(float(v) for v in annot.Rect), _box(page, "/TrimBox"), overlap=True)
                        for annot in page.get("/Annots", []) if annot.get("/Subtype") != "/PrinterMark")]
    rules.append(("no annotations inside the trim", f"pages {', '.join(map(str, annotated[:8]))}" if annotated else ""))
    info_title = str(pdf.docinfo.get("/Title", ""))
    xmp_title = re.search(r"<dc:title>.*?<rdf:li[^>]*>([^<]*)<", xmp, re.S)
    rules.append(("/Info and XMP agree", "" if xmp_title and xmp_title.group(1) == _xml_text(info_title)
                  else f"/Info title {info_title!r}, XMP {xmp_title.group(1) if xmp_title else 'none'!r}"))
    return [Finding("fail" if problem else "ok", label, f"PDF/X-4: {rule}", problem) for rule, problem in rules]


def _xml_text(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _within(inner, outer, overlap: bool = False) -> bool:
    if overlap:
        return inner[0] < outer[2] and inner[2] > outer[0] and inner[1] < outer[3] and inner[3] > outer[1]
    return (inner[0] >= outer[0] - TOLERANCE and inner[1] >= outer[1] - TOLERANCE
            and inner[2] <= outer[2] + TOLERANCE and inner[3] <= outer[3] + TOLERANCE)


def _holders(pdf):
    """Every page and every form XObject or tiling pattern (each once), which hold content streams."""
    seen, stack = set(), [page.obj for page in pdf.pages]
    while stack:
        holder = stack.pop()
        if holder.objgen in seen and holder.objgen != (0, 0):
            continue
        seen.add(holder.objgen)
        yield holder
        resources = holder.get("/Resources", {})
        for kind in ("/XObject", "/Pattern"):
            for item in resources.get(kind, {}).values():
                if item.get("/Subtype") == "/Form" or item.get("/PatternType") == 1:
                    stack.append(item)


def _fonts(pdf):
    for holder in _holders(pdf):
        for font in holder.get("/Resources", {}).get("/Font", {}).values():
            yield font
            yield from font.get("/DescendantFonts", [])


def _embedded(font) -> bool:
    if font.get("/Subtype") in ("/Type0", "/Type3"):
        return True  # a composite font's program is in its descendant; a Type 3 font draws itself
    descriptor = font.get("/FontDescriptor", {})
    return any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3"))


def rgb_uses(pdf) -> list[str]:
    """Where a PDF sets an RGB colour: rg/RG operators, RGB colour spaces set by cs/CS, RGB images and groups.

    Every content stream is walked with pikepdf.parse_content_stream.
    """
    import pikepdf

    from pipeline.writers.pdf.greyscale import is_rgb_space

    found = []
    for holder in _holders(pdf):
        where = "a page" if holder.get("/Type") == "/Page" else "a form"
        resources = holder.get("/Resources", pikepdf.Dictionary())
        spaces = resources.get("/ColorSpace", pikepdf.Dictionary())
        stream = holder if isinstance(holder, pikepdf.Stream) else pikepdf.Page(holder)
        for operands, operator in pikepdf.parse_content_stream(stream):
            name = str(operator)
            if name in ("rg", "RG"):
                found.append(f"{name} on {where}")
            elif name in ("cs", "CS") and operands and is_rgb_space(spaces.get(str(operands[0]), operands[0])):
                found.append(f"{name} {operands[0]} on {where}")
        for item in resources.get("/XObject", pikepdf.Dictionary()).values():
            if item.get("/Subtype") == "/Image" and is_rgb_space(item.get("/ColorSpace")):
                found.append("an RGB image")
        if "/Group" in holder and is_rgb_space(holder.Group.get("/CS")):
            found.append(f"an RGB transparency group on {where}")
    return sorted(set(found))


def _device_spaces(pdf):
    """The device colour spaces a PDF's content sets (DeviceGray by g/G, DeviceCMYK by k/K or cs)."""
    import pikepdf

    for holder in _holders(pdf):
        stream = holder if isinstance(holder, pikepdf.Stream) else pikepdf.Page(holder)
        for operands, operator in pikepdf.parse_content_stream(stream):
            name = str(operator)
            if name in ("g", "G"):
                yield "GRAY"
            elif name in ("k", "K") or (name in ("cs", "CS") and operands and operands[0] == "/DeviceCMYK"):
                yield "CMYK"


def safe_zone_finding(path: Path, shop: Printer, label: str) -> Finding:
    """Every word (text, running heads, folios) at least the printer's distance inside the trim, and past its
    gutter on the binding side, read with pdftotext -bbox."""
    from pypdf import PdfReader

    pages = PdfReader(path).pages
    gutter = shop.gutter_for(len(pages))
    closest = {"outside": float("inf"), "top": float("inf"), "bottom": float("inf"), "gutter": float("inf")}
    offenders = []
    for number, (page, words) in enumerate(zip(pages, page_words(path), strict=True), start=1):
        media, trim = page.mediabox, page.trimbox
        # pdftotext measures from the MediaBox's top left corner, y downwards
        left, right = float(trim.left) - float(media.left), float(trim.right) - float(media.left)
        top, bottom = float(media.top) - float(trim.top), float(media.top) - float(trim.bottom)
        recto = number % 2 == 1
        for x_min, y_min, x_max, y_max, text in words:
            distances = {"top": y_min - top, "bottom": bottom - y_max,
                         "outside": right - x_max if recto else x_min - left,
                         "gutter": x_min - left if recto else right - x_max}
            for edge, distance in distances.items():
                closest[edge] = min(closest[edge], distance)
            least = {"gutter": gutter}.get
            if any(distance < least(edge, shop.outside) - TOLERANCE for edge, distance in distances.items()):
                offenders.append(f"{text!r} on page {number}")
    shown = ", ".join(f"{edge} {value * 25.4 / 72:.1f} mm" for edge, value in closest.items())
    if offenders:
        return Finding("fail", label, f"text inside {shop.title}'s safe zone",
                       f"{len(offenders)} words too near the trim ({', '.join(offenders[:4])}); closest: {shown}")
    return Finding("ok", label, f"text inside {shop.title}'s safe zone",
                   f"every word at least {shop.outside * 25.4 / 72:.1f} mm from the trim and "
                   f"{gutter * 25.4 / 72:.1f} mm from the spine; closest: {shown}")


def page_words(path: Path) -> list[list[tuple[float, float, float, float, str]]]:
    """Each page's words with their boxes (xMin, yMin, xMax, yMax in points from the MediaBox's top left)."""
    html = subprocess.run(["pdftotext", "-bbox", str(path), "-"], capture_output=True, check=True).stdout
    html = html[html.index(b"<body>"):html.index(b"</body>") + 7]
    return [[(float(word.get("xMin")), float(word.get("yMin")), float(word.get("xMax")), float(word.get("yMax")),
              word.text or "") for word in page.iter("word")]
            for page in ElementTree.fromstring(html).iter("page")]


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


def check_cover(document: Document, path: Path) -> list[Finding]:
    """Wraparound cover: the sheet the printer's formula gives for the print edition's page count and the
    paper stock, its boxes, the PDF/X-4 rules, spine text only where allowed, and the barcode zone clear."""
    import pikepdf

    label = str(path)
    interior = path.with_name(path.name.replace("-cover.pdf", "-print.pdf"))
    if not interior.is_file():
        return [Finding("skipped", label, "cover size",
                        f"because there is no print edition {interior.name} to count pages in")]
    shop = printer(document.settings.printer)
    with pikepdf.open(interior) as pdf:
        pages = len(pdf.pages)
    sheet = cover_sheet(shop, PAGE_FORMATS[document.settings.paper].trim, pages, document.settings.paper_stock)
    with pikepdf.open(path) as pdf:
        page = pdf.pages[0]
        media, trim, bleed = _box(page, "/MediaBox"), _box(page, "/TrimBox"), _box(page, "/BleedBox")
        size = (media[2] - media[0], media[3] - media[1])
        right = _close(size, (sheet.width, sheet.height)) and _close(bleed, media) and _close(
            trim, (media[0] + sheet.bleed, media[1] + sheet.bleed, media[2] - sheet.bleed, media[3] - sheet.bleed))
        findings = [Finding("ok" if right and len(pdf.pages) == 1 else "fail", label, f"cover size for {shop.title}",
                            f"{size[0] / 72:.4f} x {size[1] / 72:.4f} in; {shop.title}'s formula for "
                            f"{sheet.pages} pages on {document.settings.paper_stock} paper: {sheet.width / 72:.4f} x "
                            f"{sheet.height / 72:.4f} in (spine {sheet.spine / 72:.4f} in)")]
        findings += pdfx4_findings(pdf, label) + unset_character_warnings(document, pdf, path)
    if not readback.pdftotext_available():
        return findings + [Finding("skipped", label, "spine and barcode zone", NO_POPPLER)]
    words = page_words(path)[0]
    left = media[2] - media[0] - sheet.bleed - sheet.trim[0] - sheet.spine  # from the MediaBox's left
    on_spine = [text for x_min, _, x_max, _, text in words if left - 0.5 <= x_min and x_max <= left + sheet.spine + 0.5]
    findings.append(Finding("ok" if bool(on_spine) == sheet.spine_text else "fail", label, "spine text",
                            f"{len(on_spine)} words on the spine; {shop.title} allows spine text from "
                            f"{shop.spine_text_from} pages, the book has {sheet.pages}"))
    zone_right = sheet.bleed + sheet.trim[0] - shop.barcode_inset
    zone_bottom = sheet.bleed + sheet.trim[1] - shop.barcode_inset
    zone = (zone_right - shop.barcode[0], zone_bottom - shop.barcode[1], zone_right, zone_bottom)
    inside = [text for x_min, y_min, x_max, y_max, text in words
              if x_min < zone[2] and x_max > zone[0] and y_min < zone[3] and y_max > zone[1]]
    findings.append(Finding("fail" if inside else "ok", label, "barcode zone clear",
                            f"words in it: {' '.join(inside[:6])}" if inside else
                            f"{shop.barcode[0] / 72:.1f} x {shop.barcode[1] / 72:.1f} in at the back's bottom right"))
    return findings


def check_store_cover(document: Document, path: Path) -> list[Finding]:
    """The store cover: a JPEG a store takes (KDP: JPEG or TIFF), of the ebook cover's size."""
    from PIL import Image

    label = str(path)
    with Image.open(path) as picture:
        kind, size, mode = picture.format, picture.size, picture.mode
    return [Finding("ok" if kind == "JPEG" and mode == "RGB" else "fail", label, "store cover",
                    f"{kind} {mode} {size[0]} x {size[1]} px")]


def check_zine(document: Document, path: Path) -> list[Finding]:
    """Zine: one side of an A4 or letter sheet, landscape, holding the eight panels."""
    import pikepdf

    from pipeline.writers.pdf.zine import SHEETS

    label = str(path)
    with pikepdf.open(path) as pdf:
        sizes = [(box[2] - box[0], box[3] - box[1]) for box in (_box(page, "/MediaBox") for page in pdf.pages)]
    names = [name for name, sheet in SHEETS.items() if len(sizes) == 1 and _close(sizes[0], sheet)]
    return [Finding("ok" if names else "fail", label, "zine sheet",
                    f"one {names[0]} sheet, landscape, eight panels of {sizes[0][0] / 4 / MM:.2f} x "
                    f"{sizes[0][1] / 2 / MM:.2f} mm" if names else
                    f"{len(sizes)} pages of {_shown(sizes[0]) if sizes else 'nothing'}: not one A4 or letter sheet")]
