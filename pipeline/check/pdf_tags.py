"""Reading a PDF back as a screen reader and a printer do: marked content, the structure tree, font programs.

PDF/UA-1 (ISO 14289-1, 7.1) wants every piece of page content either tagged (marked content whose
MCID a structure element reached from the StructTreeRoot owns) or an artifact; ISO 32000-1 (14.8.2.2)
names running heads and folios pagination artifacts. `tag_coverage` walks every content stream's
marked-content operators (BDC, BMC, EMC) with pikepdf and the structure tree, `font_programs` hashes
the embedded font streams.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import dataclass, field

# Operators that put marks on the page (ISO 32000-1, tables 51, 59, 87, 107): text, paths, images, shadings.
_PAINTING = {"Tj", "TJ", "'", '"', "S", "s", "f", "F", "f*", "B", "B*", "b", "b*", "Do", "sh", "BI"}


@dataclass
class TagCoverage:
    """What a tagged PDF's pages hold: tagged marked content, artifacts, and what is neither."""

    tagged: int = 0  # marked-content sequences whose MCID a structure element in the tree owns
    artifacts: Counter = field(default_factory=Counter)  # artifact sequences by /Type ("" when it has none)
    orphans: int = 0  # MCIDs no structure element in the tree owns (a screen reader's tree skips them)
    untagged_marks: int = 0  # painting operators outside any marked content
    pages: int = 0
    tree_tags: Counter = field(default_factory=Counter)  # structure types in reading order, counted
    reading_order: list[str] = field(default_factory=list)  # structure types, depth first

    @property
    def complete(self) -> bool:
        """Whether every mark on every page is tagged content or an artifact."""
        return self.pages > 0 and not self.orphans and not self.untagged_marks and self.tagged > 0


def tag_coverage(pdf) -> TagCoverage:
    """The marked content of every page of `pdf` (open in pikepdf) against its structure tree."""
    import pikepdf

    coverage = TagCoverage(pages=len(pdf.pages))
    tree = pdf.Root.get("/StructTreeRoot")
    owned = _owned_mcids(tree, coverage) if tree is not None else {}
    for page in pdf.pages:
        mine = owned.get(page.obj.objgen, set())
        depth = 0
        for instruction in pikepdf.parse_content_stream(page):
            operator = str(instruction.operator)
            if operator in ("BDC", "BMC"):
                depth += 1
                tag = str(instruction.operands[0])
                properties = instruction.operands[1] if operator == "BDC" else None
                if tag == "/Artifact":
                    kind = properties.get("/Type") if isinstance(properties, pikepdf.Dictionary) else None
                    coverage.artifacts[str(kind)[1:] if kind is not None else ""] += 1
                elif isinstance(properties, pikepdf.Dictionary) and "/MCID" in properties:
                    if int(properties.MCID) in mine:
                        coverage.tagged += 1
                    else:
                        coverage.orphans += 1
            elif operator == "EMC":
                depth -= 1
            elif operator in _PAINTING and depth == 0:
                coverage.untagged_marks += 1
    return coverage


def _owned_mcids(tree, coverage: TagCoverage) -> dict[tuple[int, int], set[int]]:
    """The MCIDs, by page, that structure elements reached from `tree` own; fills the tree's reading order."""
    import pikepdf

    owned: dict[tuple[int, int], set[int]] = {}
    seen: set[tuple[int, int]] = set()

    def walk(node, page) -> None:
        if isinstance(node, pikepdf.Array):
            for kid in node:
                walk(kid, page)
        elif isinstance(node, int):
            if page is not None:
                owned.setdefault(page.objgen, set()).add(int(node))
        elif isinstance(node, pikepdf.Dictionary):
            if node.is_indirect:
                if node.objgen in seen:
                    return
                seen.add(node.objgen)
            kind = node.get("/Type")
            if kind == pikepdf.Name.MCR:
                walk(int(node.MCID), node.get("/Pg", page))
                return
            if kind == pikepdf.Name.OBJR:
                return
            if "/S" in node:
                coverage.tree_tags[str(node.S)[1:]] += 1
                coverage.reading_order.append(str(node.S)[1:])
            kids = node.get("/K")
            if kids is not None:
                walk(kids, node.get("/Pg", page))

    walk(tree.get("/K"), None)
    return owned


# PDF 1.7's standard structure types (ISO 32000-1, 14.8.4, tables 333-340): what a role map must lead to, since
# a screen reader knows only these (Matterhorn 02-001).
STANDARD_TYPES = frozenset({
    "Document", "Part", "Art", "Sect", "Div", "BlockQuote", "Caption", "TOC", "TOCI", "Index", "NonStruct",
    "Private", "P", "H", "H1", "H2", "H3", "H4", "H5", "H6", "L", "LI", "Lbl", "LBody", "Table", "TR", "TH", "TD",
    "THead", "TBody", "TFoot", "Span", "Quote", "Note", "Reference", "BibEntry", "Code", "Link", "Annot", "Ruby",
    "RB", "RT", "RP", "Warichu", "WT", "WP", "Figure", "Formula", "Form"})


@dataclass(frozen=True)
class NoteTags:
    """The notes and asides a PDF's structure tree holds, and what makes them valid PDF/UA-1."""

    notes: int  # /Note elements (a note split over two pages is two)
    unique_ids: int  # distinct /ID strings among them (PDF/UA-1 7.9: one per Note)
    asides: int  # /Aside elements
    aside_maps_to: str | None  # the standard type /RoleMap gives Aside (PDF 1.7 has no Aside of its own)

    @property
    def valid(self) -> bool:
        """Whether every Note has an ID of its own and Aside is role-mapped to a standard type (or absent)."""
        return self.unique_ids == self.notes and (not self.asides or self.aside_maps_to in STANDARD_TYPES)


def note_tags(pdf) -> NoteTags:
    """The /Note and /Aside elements of `pdf`'s structure tree (open in pikepdf), their IDs and role map."""
    from pipeline.writers.pdf.engine.structure_roles import structure_elements

    tree = pdf.Root.get("/StructTreeRoot")
    if tree is None:
        return NoteTags(0, 0, 0, None)
    elements = structure_elements(tree)
    notes = [element for element in elements if element.get("/S") == "/Note"]
    ids = {bytes(element.ID) for element in notes if "/ID" in element}
    role_map = tree.get("/RoleMap")
    mapped = role_map.get("/Aside") if role_map is not None else None
    return NoteTags(len(notes), len(ids), sum(element.get("/S") == "/Aside" for element in elements),
                    str(mapped)[1:] if mapped is not None else None)


@dataclass(frozen=True)
class FontPrograms:
    """The font programs a PDF embeds: how many streams, how many distinct byte strings, and the faces."""

    streams: int
    distinct: int
    faces: tuple[str, ...]  # each face's name without its subset tag, once per stream that embeds it

    @property
    def each_once(self) -> bool:
        """Whether no font program is stored twice (a long book may hold two different subsets of a face)."""
        return self.streams == self.distinct


def font_programs(pdf) -> FontPrograms:
    """Every embedded font program of `pdf` (open in pikepdf), hashed (FontFile, FontFile2, FontFile3 streams)."""
    import pikepdf

    hashes, faces = [], []
    for item in pdf.objects:
        if isinstance(item, pikepdf.Dictionary) and item.get("/Type") == pikepdf.Name.FontDescriptor:
            for key in ("/FontFile", "/FontFile2", "/FontFile3"):
                if key in item:
                    hashes.append((item[key].objgen, hashlib.sha256(item[key].read_bytes()).hexdigest()))
                    faces.append((item[key].objgen, str(item.get("/FontName", "/?")).split("+", 1)[-1].lstrip("/")))
    streams = dict(hashes)
    face_of = dict(faces)
    return FontPrograms(len(streams), len(set(streams.values())), tuple(face_of[key] for key in streams))


def top_level_bookmarks(pdf) -> int:
    """How many bookmarks the outline's first level holds (its /First, then each /Next)."""
    outlines = pdf.Root.get("/Outlines")
    item = outlines.get("/First") if outlines is not None else None
    count, seen = 0, set()
    while item is not None and item.objgen not in seen:
        seen.add(item.objgen)
        count += 1
        item = item.get("/Next")
    return count


_BFCHAR = re.compile(rb"beginbfchar(.*?)endbfchar", re.S)
_BFRANGE = re.compile(rb"beginbfrange(.*?)endbfrange", re.S)
_HEX = re.compile(rb"<([0-9a-fA-F]*)>")


def _unicode_map(to_unicode: bytes) -> dict[int, str]:
    """A ToUnicode CMap's character codes and their text (ISO 32000-1, 9.10.3: bfchar and bfrange entries)."""
    def text(hex_digits: bytes) -> str:
        return bytes.fromhex(hex_digits.decode()).decode("utf-16-be", errors="replace")

    mapped: dict[int, str] = {}
    for section in _BFCHAR.findall(to_unicode):
        values = _HEX.findall(section)
        mapped.update((int(code, 16), text(value)) for code, value in zip(values[::2], values[1::2], strict=False))
    for section in _BFRANGE.findall(to_unicode):
        for line in section.splitlines():
            values = _HEX.findall(line)
            if len(values) < 3:
                continue
            first, last = int(values[0], 16), int(values[1], 16)
            if b"[" in line:  # one destination per code
                mapped.update((code, text(value)) for code, value in zip(range(first, last + 1), values[2:],
                                                                        strict=False))
            else:  # the destination's last byte counts up with the code
                start = bytes.fromhex(values[2].decode())
                for offset in range(last - first + 1):
                    mapped[first + offset] = (start[:-1] + bytes([(start[-1] + offset) % 256])).decode(
                        "utf-16-be", errors="replace")
    return mapped


def characters_without_glyphs(pdf) -> list[str]:
    """The characters a PDF (open in pikepdf) draws as .notdef, the box of a character no font has.

    WeasyPrint (70, weasyprint/pdf/fonts.py `Font.missing`) draws such a character under a glyph number
    past the font's last glyph and maps that number to the character in the font's ToUnicode map (for
    whole fonts chapbook adds it: pipeline/writers/pdf/engine/missing_glyphs.py). With an Identity
    CIDToGIDMap the number is the glyph id, and a glyph id the program does not have is drawn with its
    glyph 0, .notdef (ISO 32000-1, 9.7.4.2 and 9.7.6.3). So: the ToUnicode entries of each composite
    font whose number is not below the embedded TrueType program's glyph count (its maxp table).
    """
    import io

    import pikepdf
    from fontTools.ttLib import TTFont

    found: dict[str, None] = {}
    seen = set()
    for item in pdf.objects:
        if not (isinstance(item, pikepdf.Dictionary) and item.get("/Subtype") == "/Type0"
                and "/ToUnicode" in item and item.objgen not in seen):
            continue
        seen.add(item.objgen)
        descendant = item.DescendantFonts[0]
        program = descendant.get("/FontDescriptor", {}).get("/FontFile2")
        if program is None or str(descendant.get("/CIDToGIDMap", "/Identity")) != "/Identity":
            continue
        glyphs = TTFont(io.BytesIO(program.read_bytes()), lazy=True)["maxp"].numGlyphs
        for code, text in sorted(_unicode_map(item.ToUnicode.read_bytes()).items()):
            if code >= glyphs:
                found.setdefault(text)
    return list(found)

