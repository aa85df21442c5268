"""Page furniture (running heads, folios) marked as /Artifact in WeasyPrint's tagged PDF, out of the structure tree.

PDF/UA-1 (ISO 14289-1, 7.8) and ISO 32000-1 (14.8.2.2) want running heads and page numbers to be
pagination artifacts, so that a screen reader does not read "my thoughts on generated images 6" in
the middle of a sentence. WeasyPrint 70 (weasyprint/pdf/tags.py, `_build_box_tree`) tags the text of
`@page` margin boxes as ordinary `/Span <</MCID n>> BDC` marked content and gives each a structure
element whose parent is the Document element, but does not link that element into the tree: "It could
be included in tree as Artifact, but that's only allowed in PDF 2.0" (its comment). So every margin
box's text is an MCID whose ParentTree element cannot be reached from the StructTreeRoot.

`margin_boxes_as_artifacts` reads the PDF WeasyPrint wrote (no private API: pikepdf on the output)
and turns exactly those MCIDs into `/Artifact <</Type /Pagination>> BDC`, drops their ParentTree
entries (the orphan elements then go with the save), and leaves everything else as it was. It checks
itself: the content streams must name each orphan MCID once, as WeasyPrint writes it; otherwise it
returns the PDF untouched (tests/writers/pdf/test_pdf_tags.py reads the result back with pikepdf).
"""

from __future__ import annotations

import io
import logging
import re

log = logging.getLogger("chapbook")

# How WeasyPrint (through pydyf) opens the marked content of a text box: "/Span\n<</MCID 3>>\nBDC".
_MARKED_SPAN = re.compile(rb"/Span\s*<<\s*/MCID\s+(\d+)\s*>>\s*BDC")
PAGINATION_ARTIFACT = b"/Artifact\n<</Type /Pagination>>\nBDC"


def margin_boxes_as_artifacts(data: bytes) -> bytes:
    """`data` (a PDF from WeasyPrint) with its margin boxes' text as pagination artifacts and its notes and
    disclaimers named (see mark_furniture_and_notes)."""
    import pikepdf

    pdf = pikepdf.open(io.BytesIO(data))
    if not mark_furniture_and_notes(pdf):
        return data
    output = io.BytesIO()
    pdf.save(output, deterministic_id=True, fix_metadata_version=False,
             object_stream_mode=pikepdf.ObjectStreamMode.generate)
    return output.getvalue()


def mark_furniture_and_notes(pdf) -> bool:
    """The margin boxes of `pdf` (open in pikepdf) as artifacts (mark_margin_boxes) and its notes and asides
    named (structure_roles.name_notes_and_asides), its structure tree walked once for both; whether
    anything changed. An untagged PDF is left as it was."""
    from pipeline.writers.pdf.engine.structure_roles import name_notes_and_asides, structure_elements

    tree = pdf.Root.get("/StructTreeRoot")
    if tree is None:
        return False
    elements = structure_elements(tree)
    marked = mark_margin_boxes(pdf, elements)
    named = name_notes_and_asides(pdf, elements)
    return marked or named


def mark_margin_boxes(pdf, elements: list) -> bool:
    """Turn the margin boxes' text of `pdf` (open in pikepdf) into pagination artifacts; whether anything changed.

    `elements` are its structure elements (structure_roles.structure_elements).

    An untagged PDF, or one without such text, is left as it was; so is one whose content streams
    are not written as expected (logged with -v).
    """
    import pikepdf

    tree = pdf.Root.get("/StructTreeRoot")
    if tree is None:
        return False
    linked = {element.objgen for element in elements if element.is_indirect}  # what a screen reader reaches
    pages = {int(page.obj.StructParents): page for page in pdf.pages if "/StructParents" in page.obj}
    numbers = tree.ParentTree.Nums
    rewrites = []
    for index in range(0, len(numbers), 2):
        page = pages.get(int(numbers[index]))
        mapping = numbers[index + 1]
        if page is None or not isinstance(mapping, pikepdf.Array):
            continue
        orphans = {mcid for mcid, element in enumerate(mapping)
                   if isinstance(element, pikepdf.Dictionary) and element.objgen not in linked}
        if not orphans:
            continue
        rewritten = _artifacts_in(_content(page), orphans)
        if rewritten is None:
            log.debug("WeasyPrint's margin boxes are not marked as expected; left as they are")
            return False
        kept = [None if mcid in orphans else element for mcid, element in enumerate(mapping)]
        while kept and kept[-1] is None:  # WeasyPrint draws the margin boxes last: their MCIDs end the list
            kept.pop()
        rewrites.append((index + 1, page, rewritten, kept))
    for position, page, rewritten, kept in rewrites:
        page.obj.Contents = pdf.make_stream(rewritten)
        numbers[position] = pikepdf.Array(kept)
    return bool(rewrites)


def _content(page) -> bytes:
    import pikepdf

    contents = page.obj.Contents
    if isinstance(contents, pikepdf.Array):
        return b"\n".join(part.read_bytes() for part in contents)
    return contents.read_bytes()


def _artifacts_in(content: bytes, orphans: set[int]) -> bytes | None:
    """`content` with the marked spans of `orphans` opened as pagination artifacts; None unless each is found once."""
    found: list[int] = []

    def replace(match: re.Match) -> bytes:
        mcid = int(match.group(1))
        if mcid not in orphans:
            return match.group(0)
        found.append(mcid)
        return PAGINATION_ARTIFACT

    rewritten = _MARKED_SPAN.sub(replace, content)
    return rewritten if sorted(found) == sorted(orphans) else None
