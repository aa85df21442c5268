"""Tagged PDFs of one book's parts joined into one, with pikepdf (qpdf).

No library joins tagged PDFs whole (qpdf issue 490, PyMuPDF issue 2469): their pages are easy, but
each part has its own structure tree, and the marked content of every page finds its structure
elements through the part's ParentTree, under the numbers its pages (/StructParents) and link
annotations (/StructParent) carry. Those numbers restart at 0 in every part. So each later part's
numbers are moved past the earlier parts', its ParentTree entries follow them, and the children of
its Document element become children of the first part's, all through one foreign-object copier, so
every /Pg, /Obj and page reference lands on the copied page or annotation. Bookmarks are chained
after the first part's, named destinations merged, a font program embedded whole in every part (the
print file) is kept once, and the catalog (language, metadata, viewer preferences) is the first part's.
"""

from __future__ import annotations

import hashlib
import io
import warnings


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
    _share_font_programs(joined)
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


def _share_font_programs(joined) -> None:
    """One copy of each font program: the print file embeds whole fonts, the same in every part."""
    seen: dict[bytes, object] = {}
    done: set = set()
    for page in joined.pages:
        for font in page.obj.get("/Resources", {}).get("/Font", {}).values():
            for holder in (font, *font.get("/DescendantFonts", [])):
                descriptor = holder.get("/FontDescriptor")
                if descriptor is None or (descriptor.is_indirect and descriptor.objgen in done):
                    continue
                done.add(descriptor.objgen)
                for key in ("/FontFile", "/FontFile2", "/FontFile3"):
                    if key in descriptor:
                        digest = hashlib.sha256(descriptor[key].read_raw_bytes()).digest()
                        descriptor[key] = seen.setdefault(digest, descriptor[key])


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
