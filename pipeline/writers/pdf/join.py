"""Tagged PDFs of one book's parts joined into one, with pikepdf (qpdf).

No library joins tagged PDFs whole (qpdf issue 490, PyMuPDF issue 2469): their pages are easy, but
each part has its own structure tree, and the marked content of every page finds its structure
elements through the part's ParentTree, under the numbers its pages (/StructParents) and link
annotations (/StructParent) carry. Those numbers restart at 0 in every part. So each later part's
numbers are moved past the earlier parts', its ParentTree entries follow them, and the children of
its Document element become children of the first part's, all through one foreign-object copier, so
every /Pg, /Obj and page reference lands on the copied page or annotation. Bookmarks are chained
after the first part's, named destinations merged, and the catalog (language, metadata, viewer
preferences) is the first part's. Fonts: a program several parts embed byte for byte (the print file
embeds whole fonts) is kept once; a part's subset whose glyphs another part's subset of the same font
holds is drawn from that one; the other subsets of a font each get a tag of their own (_share_fonts).
"""

from __future__ import annotations

import functools
import hashlib
import io
import re
import struct
import warnings

from pipeline.writers.pdf.engine.artifacts import mark_furniture_and_notes

# A subset's name: six capital letters, a plus sign, the font's (ISO 32000-1, 9.6.4).
_TAGGED = re.compile(r"/[A-Z]{6}\+.+")


def join_pdfs(parts: list[bytes], owners: list[set[str]], drop_last: list[bool] | None = None) -> bytes:
    """One PDF of `parts`' pages in order, with every part's bookmarks, links, destinations and structure.

    A destination named in several parts is taken from the part whose `owners` entry holds the name
    (the others hold placeholders, so that WeasyPrint kept the links to it). A part whose `drop_last`
    is true loses its last page, which must show nothing (ValueError otherwise).
    """
    import pikepdf

    drops = drop_last or [False] * len(parts)
    joined = _opened(parts[0], drops[0])
    tree = joined.Root.get("/StructTreeRoot")  # none in the print file
    numbers = list(tree.ParentTree.Nums) if tree is not None else []
    destinations = _destinations(joined, owners[0], owners)
    for data, own, drop in zip(parts[1:], owners[1:], drops[1:], strict=True):
        other = _opened(data, drop)
        offset = max((int(numbers[index]) for index in range(0, len(numbers), 2)), default=-1) + 1
        if tree is not None:
            _renumber(other, offset)
        with warnings.catch_warnings():  # its destinations are merged below, which pikepdf warns it does not do
            warnings.simplefilter("ignore", pikepdf.PageCopyWarning)
            joined.pages.extend(other.pages)  # copies each page through the copier used below
        if tree is not None:
            numbers += _adopt_structure(joined, other, offset)
        for name, destination in _destinations(other, own, owners).items():
            if name in own or name not in destinations:
                destinations[name] = _copy(joined, other, destination)
        _chain_outlines(joined, other)
    if tree is not None:
        tree.ParentTree = pikepdf.Dictionary(Nums=pikepdf.Array(numbers))
    if destinations:
        flat = []
        for name in sorted(destinations, key=lambda text: text.encode("utf-8")):
            flat += [pikepdf.String(name), destinations[name]]
        names = joined.Root.get("/Names") or pikepdf.Dictionary()
        names.Dests = joined.make_indirect(pikepdf.Dictionary(Names=pikepdf.Array(flat)))
        joined.Root.Names = names
    # Running heads and folios as pagination artifacts; each note's ID, numbered across the parts.
    mark_furniture_and_notes(joined)
    _share_fonts(joined)
    output = io.BytesIO()
    joined.save(output, deterministic_id=True, fix_metadata_version=False,
                object_stream_mode=pikepdf.ObjectStreamMode.generate)
    return output.getvalue()


def _opened(data: bytes, drop_last: bool):
    import pikepdf

    pdf = pikepdf.open(io.BytesIO(data))
    if drop_last:
        _drop_last_page(pdf)
    return pdf


def _drop_last_page(pdf) -> None:
    """Remove the last page of `pdf` and the structure elements placed on it, which must all be empty."""
    import pikepdf

    page = pdf.pages[-1].obj
    if "/Annots" in page:
        raise ValueError("the page to drop has links")
    tree = pdf.Root.get("/StructTreeRoot")
    if tree is not None:
        for element in _elements_on(tree, page):
            kids = element.get("/K")
            if kids is not None and not (isinstance(kids, pikepdf.Array) and len(kids) == 0):
                raise ValueError("the page to drop shows something")
            siblings = element.P.K
            element.P.K = pikepdf.Array([kid for kid in (siblings if isinstance(siblings, pikepdf.Array)
                                                         else [siblings]) if kid.objgen != element.objgen])
        number = page.get("/StructParents")
        if number is not None:
            pairs = list(tree.ParentTree.Nums)
            kept = [item for index in range(0, len(pairs), 2) if int(pairs[index]) != int(number)
                    for item in pairs[index:index + 2]]
            tree.ParentTree = pikepdf.Dictionary(Nums=pikepdf.Array(kept))
    del pdf.pages[-1]


def _elements_on(tree, page) -> list:
    """The structure elements whose page (/Pg) is `page`."""
    import pikepdf

    found, stack = [], [tree]
    while stack:
        node = stack.pop()
        if not isinstance(node, pikepdf.Dictionary):
            continue
        if "/Pg" in node and node.Pg.objgen == page.objgen:
            found.append(node)
        kids = node.get("/K")
        stack.extend(kids if isinstance(kids, pikepdf.Array) else [kids] if kids is not None else [])
    return found


def _adopt_structure(joined, other, offset: int) -> list:
    """Move `other`'s structure under the joined Document element; its ParentTree entries, renumbered."""
    import pikepdf

    document_element = _document_element(joined.Root.StructTreeRoot)
    for kid in list(_document_element(other.Root.StructTreeRoot).K):
        if isinstance(kid, pikepdf.Dictionary):
            del kid["/P"]  # copied without the other part's tree above it
            copied = joined.copy_foreign(kid)
            copied.P = document_element
            document_element.K.append(copied)
    entries = other.Root.StructTreeRoot.ParentTree.Nums
    return [value for index in range(0, len(entries), 2)
            for value in (int(entries[index]) + offset, _copy(joined, other, entries[index + 1]))]


def _copy(joined, other, item):
    """`item` of `other` copied into `joined` (a direct array is made indirect first: qpdf copies only those)."""
    return joined.copy_foreign(item if item.is_indirect else other.make_indirect(item))


def _renumber(other, offset: int) -> None:
    """Move the ParentTree numbers of `other`'s pages and link annotations on by `offset`."""
    for page in other.pages:
        if "/StructParents" in page.obj:
            page.obj.StructParents = int(page.obj.StructParents) + offset
        for annotation in page.obj.get("/Annots", []):
            if "/StructParent" in annotation:
                annotation.StructParent = int(annotation.StructParent) + offset


def _share_fonts(joined) -> None:
    """Each font program stored once, a subset another of its name covers shared, and one tag per program.

    WeasyPrint tags a subset with a hash of the font's description, not of its glyphs, so every part's
    subset of a face carries the same tag, which ISO 32000-1 (9.6.4) forbids for different subsets. Its
    subsets keep glyph ids (HarfBuzz's RETAIN_GIDS, CIDToGIDMap /Identity: a CID is the glyph id), so
    a subset whose glyphs (the CIDs of its /W) another subset of the same name holds can draw from
    that program; every other program of that name gets a tag of its own.
    """
    import pikepdf

    programs: dict[bytes, object] = {}  # the first stream of each byte string
    names: dict[str, dict[tuple, _Program]] = {}
    tags: set[str] = set()
    for font in _fonts(joined):
        if _TAGGED.fullmatch(str(font.get("/BaseFont", ""))):
            tags.add(str(font.BaseFont)[1:7])
        for holder in (font, *font.get("/DescendantFonts", [])):
            descriptor = holder.get("/FontDescriptor")
            if descriptor is None:
                continue
            for key in ("/FontFile", "/FontFile2", "/FontFile3"):
                if key in descriptor:
                    data = descriptor[key].read_raw_bytes()
                    descriptor[key] = programs.setdefault(hashlib.sha256(data).digest(), descriptor[key])
        subset = _subset_font(font)
        if subset is not None:
            cid_font, descriptor = subset
            stream = descriptor.FontFile2
            program = names.setdefault(str(descriptor.FontName), {}).setdefault(stream.objgen, _Program(stream))
            program.members.append((font, cid_font, descriptor))
            if program.glyphs is not None:
                shareable = descriptor.get("/CIDSet") is None and cid_font.get("/CIDToGIDMap") == pikepdf.Name.Identity
                program.glyphs = program.glyphs | _cids(cid_font.get("/W", [])) if shareable else None
    for found in names.values():
        _share_subsets(list(found.values()), tags)


def _share_subsets(programs: list[_Program], tags: set[str]) -> None:
    """Programs of one name: each drawn from the largest that covers it, those left each under a tag of its own."""
    import pikepdf

    kept: list[_Program] = []
    for program in sorted(programs, key=lambda program: -len(program.glyphs or ())):
        host = next((other for other in kept if program.covered_by(other)), None)
        if host is None:
            kept.append(program)
            continue
        for _font, _cid_font, descriptor in program.members:
            descriptor.FontFile2 = host.stream
        host.members += program.members
    for program in kept[1:]:  # the largest keeps WeasyPrint's tag
        tag = _new_tag(program.stream.read_raw_bytes(), tags)
        for font, cid_font, descriptor in program.members:
            for holder, key in ((font, "/BaseFont"), (cid_font, "/BaseFont"), (descriptor, "/FontName")):
                holder[key] = pikepdf.Name(f"/{tag}{str(holder[key])[7:]}")


class _Program:
    """A subset font program and what draws with it: its glyphs (None if not to be shared) and its fonts."""

    def __init__(self, stream) -> None:
        self.stream = stream
        self.glyphs: set[int] | None = set()
        self.members: list[tuple] = []  # (Type0 font, CIDFont, descriptor)

    def covered_by(self, other: _Program) -> bool:
        """Whether `other`'s program draws every glyph this one's fonts use, with the same outlines."""
        return (self.glyphs is not None and other.glyphs is not None and self.glyphs <= other.glyphs
                and _same_outlines(self.outlines, other.outlines, self.glyphs))

    @functools.cached_property
    def outlines(self) -> tuple[bytes, tuple[int, ...]] | None:
        return _glyph_table(self.stream.read_bytes())


def _fonts(joined) -> list:
    """The font dictionaries the pages and their form XObjects name, each once, in page order."""
    import pikepdf

    fonts, seen, stack = {}, set(), [page.obj.get("/Resources") for page in reversed(joined.pages)]
    while stack:
        resources = stack.pop()
        if not isinstance(resources, pikepdf.Dictionary) or (resources.is_indirect and resources.objgen in seen):
            continue
        seen.add(resources.objgen)
        for font in resources.get("/Font", {}).values():
            fonts.setdefault(font.objgen if font.is_indirect else id(font), font)
        for xobject in resources.get("/XObject", {}).values():
            if xobject.get("/Subtype") == pikepdf.Name.Form:
                stack.append(xobject.get("/Resources"))
    return list(fonts.values())


def _subset_font(font) -> tuple | None:
    """The CIDFont and descriptor of a CID TrueType font embedded as a tagged subset; None for other fonts."""
    import pikepdf

    if font.get("/Subtype") != pikepdf.Name.Type0 or len(font.get("/DescendantFonts", [])) != 1:
        return None
    cid_font = font.DescendantFonts[0]
    descriptor = cid_font.get("/FontDescriptor")
    if cid_font.get("/Subtype") != pikepdf.Name.CIDFontType2 or descriptor is None or "/FontFile2" not in descriptor:
        return None
    names = (str(font.get("/BaseFont", "")), str(cid_font.get("/BaseFont", "")), str(descriptor.get("/FontName", "")))
    if not all(_TAGGED.fullmatch(name) for name in names):
        return None
    return cid_font, descriptor


def _cids(widths) -> set[int]:
    """The CIDs a CIDFont's /W array gives widths for (`c [w ...]` and `first last w` entries)."""
    import pikepdf

    cids, index = set(), 0
    while index + 1 < len(widths):
        first, then = int(widths[index]), widths[index + 1]
        if isinstance(then, pikepdf.Array):
            cids.update(range(first, first + len(then)))
            index += 2
        else:
            cids.update(range(first, int(then) + 1))
            index += 3
    return cids


def _same_outlines(small: tuple | None, large: tuple | None, drawn: set[int]) -> bool:
    """Whether the glyphs of one TrueType program (its `_glyph_table`) are the other's, byte for byte, at their
    ids: every glyph it holds (components too), and every glyph its fonts draw (`drawn`), even an empty one."""
    if small is None or large is None:
        return False
    (small_glyf, small_loca), (large_glyf, large_loca) = small, large
    for glyph in range(len(small_loca) - 1):
        start, end = small_loca[glyph], small_loca[glyph + 1]
        if end == start and glyph not in drawn:
            continue
        if glyph + 1 >= len(large_loca) or \
                small_glyf[start:end] != large_glyf[large_loca[glyph]:large_loca[glyph + 1]]:
            return False
    return True


def _glyph_table(program: bytes) -> tuple[bytes, tuple[int, ...]] | None:
    """A TrueType program's glyf table and its glyphs' offsets (from loca); None if it has none."""
    try:
        count = struct.unpack_from(">H", program, 4)[0]
        tables = {program[12 + 16 * index:16 + 16 * index]: struct.unpack_from(">II", program, 20 + 16 * index)
                  for index in range(count)}
        (head, _), (loca, loca_length), (glyf, glyf_length) = tables[b"head"], tables[b"loca"], tables[b"glyf"]
        long_offsets = struct.unpack_from(">h", program, head + 50)[0] == 1
        offsets = struct.unpack_from(f">{loca_length // (4 if long_offsets else 2)}{'I' if long_offsets else 'H'}",
                                     program, loca)
    except (KeyError, struct.error):
        return None
    return program[glyf:glyf + glyf_length], offsets if long_offsets else tuple(2 * offset for offset in offsets)


def _new_tag(program: bytes, taken: set[str]) -> str:
    """Six capital letters from a hash of `program`, not among `taken` (then added to it)."""
    salt = 0
    while True:
        digest = hashlib.sha256(program + salt.to_bytes(4, "big")).digest()
        tag = "".join(chr(65 + byte % 26) for byte in digest[:6])
        if tag not in taken:
            taken.add(tag)
            return tag
        salt += 1


def _document_element(tree):
    kids = tree.K
    return kids[0] if isinstance(kids, type(tree.ParentTree.Nums)) else kids


def _destinations(pdf, own: set[str], owners: list[set[str]]) -> dict:
    """The named destinations of `pdf` that are its own or that no part claims."""
    import pikepdf

    names = pdf.Root.get("/Names", {}).get("/Dests")
    if names is None:
        return {}
    claimed = set().union(*owners)
    return {str(name): destination for name, destination in pikepdf.NameTree(names).items()
            if str(name) in own or str(name) not in claimed}


def _chain_outlines(joined, other) -> None:
    """The other part's top-level bookmarks appended after the joined ones, with their counts."""
    if "/Outlines" not in other.Root or "/First" not in other.Root.Outlines:
        return
    copied = joined.copy_foreign(other.Root.Outlines)
    if "/Outlines" not in joined.Root or "/First" not in joined.Root.Outlines:
        joined.Root.Outlines = copied
        return
    outlines = joined.Root.Outlines
    item = copied.First
    item.Prev = outlines.Last
    outlines.Last.Next = item
    while True:
        item.Parent = outlines
        if "/Next" not in item:
            break
        item = item.Next
    outlines.Last = copied.Last
    outlines.Count = int(outlines.get("/Count", 0)) + int(copied.get("/Count", 0))
