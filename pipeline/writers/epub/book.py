"""The EPUB 3 edition: a cover image, a title page, one XHTML file per section, nav + NCX, accessibility metadata.

Rendering is xhtml.py's; this module decides which files exist and packs them with ebooklib. The book is
made Kindle-safe by construction (Send to Kindle rejects, with its unexplained error E999, books with
inline `style` attributes, CSS custom properties, `--` in XML comments, no language, no UTF-8 XML
declaration, or contents entries that do not resolve): the test_kindle_* tests assert each is absent.
"""

from __future__ import annotations

import io
import logging
import re
from dataclasses import dataclass, replace
from datetime import UTC
from html import escape
from urllib.parse import quote

from pipeline.ast import Node, inlines_of_kinds, stringify
from pipeline.document import Document, Resource
from pipeline.editions import PREPARED
from pipeline.files.resources import STYLES
from pipeline.writers.epub import package
from pipeline.writers.epub.package import LABELS, NavEntry
from pipeline.writers.epub.page_list import WordIndex, mark_pages, word_index
from pipeline.writers.shared.cover import cover_image
from pipeline.writers.shared.list_markers import bullet_rules
from pipeline.writers.shared.xhtml import HtmlOptions, render_blocks

log = logging.getLogger("chapbook")
_SAFE_NAME = re.compile(r"\Aimages/[A-Za-z0-9][A-Za-z0-9._-]*\Z")
_EXTENSIONS = {"image/png": (".png",), "image/jpeg": (".jpg", ".jpeg"), "image/gif": (".gif",),
               "image/webp": (".webp",)}
_ATTR_NODES = {"Div", "Span", "CodeBlock", "Code", "Link", "Image", "Table", "Figure"}
SUMMARY = ("one essay, in reading order, with a table of contents, a heading for every section and "
           "subsection, and notes linked to and from the text.")


@dataclass(frozen=True)
class Section:
    """One XHTML file of the book: the blocks of a top-level section (or of the opening before it)."""

    file_name: str
    title: str
    blocks: list[Node]
    heading_id: str = ""  # empty for the opening, which has no heading of its own


def split_sections(document: Document) -> list[Section]:
    """The opening (blocks before the first section heading) and one Section per level-1 heading."""
    sections: list[Section] = []
    current: list[Node] = []
    for block in document.blocks:
        if block.get("t") == "Header" and block["c"][0] == 1:
            sections.append(_section(len(sections), current, document))
            current = []
        current.append(block)
    sections.append(_section(len(sections), current, document))
    opening = sections[0]
    return sections[1:] if not opening.blocks and len(sections) > 1 else sections


def _section(number: int, blocks: list[Node], document: Document) -> Section:
    first = blocks[0] if blocks else {}
    if first.get("t") == "Header" and first["c"][0] == 1:
        title = stringify(first["c"][2]) or f"section {number}"
        return Section(f"section-{number:02d}.xhtml", title, blocks, first["c"][1][0])
    return Section("opening.xhtml", document.meta.title, blocks)


def anchor_ids(node) -> list[str]:
    """Every id a rendered node will carry (headings, divs, spans, figures …), in document order."""
    found: list[str] = []
    if isinstance(node, list):
        for child in node:
            found += anchor_ids(child)
    elif isinstance(node, dict) and "t" in node:
        content = node.get("c")
        if node["t"] == "Header":
            found.append(content[1][0])
        elif node["t"] in _ATTR_NODES:
            found.append(content[0][0])
        found += anchor_ids(content)
    return [identifier for identifier in found if identifier]


@dataclass(frozen=True)
class ImageFile:
    """An image as the book carries it: its name inside the book, its real media type, its bytes."""

    name: str
    media_type: str
    data: bytes


def image_files(resources: tuple[Resource, ...]) -> dict[str, ImageFile]:
    """Each local image by source URL, renamed when its name is unsafe in a URL, taken, or has the wrong extension."""
    files: dict[str, ImageFile] = {}
    for number, resource in enumerate(resources, start=1):
        data = resource.path.read_bytes()
        media_type = package.sniffed_media_type(data, resource.media_type)
        extensions = _EXTENSIONS[media_type]
        name = resource.name
        taken = {file.name for file in files.values()}
        # Spaces and odd characters (EPUBCheck PKG-010) or an extension that lies about the type (PKG-022).
        if not _SAFE_NAME.match(name) or name in taken or not name.lower().endswith(extensions):
            name = f"images/image-{number}{extensions[0]}"
        files[resource.url] = ImageFile(name, media_type, data)
    return files


def title_page_body(document: Document) -> str:
    """The title page: title, subtitle, authors and date, exactly as the source writes them."""
    meta = document.meta
    lines = [f'<h1 class="title">{escape(meta.title, quote=False)}</h1>']
    for css_class, text in meta.title_page():
        lines.append(f'<p class="{css_class}">{escape(text, quote=False)}</p>')
    return '<section class="titlepage" epub:type="titlepage">\n' + "\n".join(lines) + "\n</section>"


def cover_alt(document: Document) -> str:
    """The cover image's alt text: what the drawn cover shows, or what a user's cover is the cover of."""
    meta = document.meta
    if meta.cover:
        return f"cover: {meta.title}"
    shown = [meta.title, meta.subtitle] + ([f"by {', '.join(meta.authors)}"] if meta.authors else [])
    return "cover: " + "; ".join(text for text in shown if text)


def cover_body(document: Document, image_name: str, width: int, height: int) -> str:
    """The cover page: the cover image alone, whole on any screen, with its alt text.

    An SVG wrapper as calibre writes one (src/calibre/ebooks/oeb/transforms/cover.py, CoverManager's
    SVG_TEMPLATE: width and height 100 %, a viewBox of the image's size, preserveAspectRatio
    "xMidYMid meet"): the image is scaled to fit the page both ways and centred, where an <img> with
    `max-height: 100%` overflowed a landscape screen (its parent had no height to be 100 % of). The alt
    text is the SVG's <title>, its accessible name as role="img" (SVG-AAM; axe's svg-img-alt): the Nu
    checker refuses aria-label and aria-labelledby on <svg>.
    epub.css gives the page, its body and its divs the screen's height. The package declares the
    page's `svg` property (EPUB 3.3, manifest item properties).
    """
    alt = escape(cover_alt(document))
    return (f'<div class="cover" epub:type="cover">\n'
            f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" class="cover" '
            f'version="1.1" width="100%" height="100%" viewBox="0 0 {width} {height}" '
            f'preserveAspectRatio="xMidYMid meet" role="img">\n'
            f'<title>{alt}</title>\n'
            f'<image width="{width}" height="{height}" xlink:href="{escape(image_name)}"/>\n'
            f'</svg>\n</div>')


def _add_metadata(book, document: Document, page_source: str, missing_alt: int) -> None:
    meta = document.meta
    book.set_identifier(package.book_identifier(meta))
    book.set_title(meta.title)
    book.set_language(meta.lang)
    for number, author in enumerate(meta.authors, start=1):
        book.add_author(author, uid=f"creator-{number}")
    if meta.date and package.is_w3cdtf(meta.date):
        book.add_metadata("DC", "date", meta.date)
    elif meta.date:  # EPUBCheck OPF-053/OPF-054 would flag it
        log.warning("%s: date %r is not YYYY-MM-DD; the EPUB carries no dc:date", document.source, meta.date)
    for name, value in (("description", meta.description), ("rights", meta.rights)):
        if value:
            book.add_metadata("DC", name, value)
    if page_source:
        # The edition the page break markers come from: dc:source refined by source-of "pagination" (EPUB 3.3
        # meta properties vocabulary). The newer a11y:pageBreakSource (w3c.github.io/publ-a11y/drafts/
        # page-source-id) is not known to EPUBCheck 5.3, which calls it an error (OPF-027).
        book.add_metadata("DC", "source", page_source, {"id": "page-source"})
        book.add_metadata(None, "meta", "pagination", {"refines": "#page-source", "property": "source-of"})
    for prop, value in accessibility_metadata(document, bool(page_source), missing_alt):
        book.add_metadata(None, "meta", value, {"property": prop})
    book.set_unique_metadata("OPF", "generator", "", {"name": "generator", "content": "chapbook"})  # not "Ebook-lib"


CONFORMANCE = "EPUB Accessibility 1.1 - WCAG 2.2 Level AA"


def images_without_alt(document: Document) -> int:
    """How many of the source's images (notes included) have no alternative text written by the author."""
    return sum(not stringify(image["c"][1]).strip()
               for image in inlines_of_kinds(document.blocks, frozenset({"Image"})))


def accessibility_metadata(document: Document, page_list: bool = False,
                           missing_alt: int | None = None) -> list[tuple[str, str]]:
    """EPUB Accessibility 1.1 discovery metadata (schema.org properties), true of this book.

    A conformance claim (dcterms:conformsTo) only when someone evaluated the book (`certified_by`) or
    when nothing in it needs a judgement the build cannot make: every image carries alt text the author
    wrote. The author's exemption (a11y:exemption) replaces the claim. `missing_alt` is
    images_without_alt(document), if already counted.
    """
    meta = document.meta
    has_images = bool(document.resources)
    features = ["structuralNavigation", "tableOfContents", "readingOrder"]
    features += ["alternativeText"] if has_images else []
    features += ["pageBreakMarkers", "pageNavigation"] if page_list else []
    found = ([("schema:accessMode", "textual")] + ([("schema:accessMode", "visual")] if has_images else [])
             + [("schema:accessModeSufficient", "textual")]
             + [("schema:accessibilityFeature", feature) for feature in features]
             + [("schema:accessibilityHazard", "none"),
                ("schema:accessibilitySummary", meta.accessibility_summary or SUMMARY)])
    if meta.exemption:
        found.append(("a11y:exemption", meta.exemption))
    elif meta.certified_by or not (images_without_alt(document) if missing_alt is None else missing_alt):
        found.append(("dcterms:conformsTo", CONFORMANCE))
        if meta.certified_by:
            found.append(("a11y:certifiedBy", meta.certified_by))
    else:
        log.info("%s: an image has no alt text: the EPUB claims no WCAG conformance", document.source)
    return found


@dataclass(frozen=True)
class _Page:
    """An XHTML file of the book as prepare() leaves it: render() makes a fresh ebooklib item of it each time."""

    uid: str
    file_name: str
    content: bytes
    properties: tuple[str, ...] = ()

    def item(self, epub, content: bytes | None = None):
        """The ebooklib item, holding `content` if given (the page with its page markers) else its own."""
        # A plain EpubItem, not EpubHtml: EpubHtml re-parses pages with an HTML parser and rebuilds <head>.
        item = epub.EpubItem(uid=self.uid, file_name=self.file_name, media_type="application/xhtml+xml",
                             content=self.content if content is None else content)
        item.properties = list(self.properties)  # ebooklib writes manifest properties for any item that has them
        return item


def _pages(document: Document, sections: list[Section], options: HtmlOptions,
           stylesheets: tuple[str, ...]) -> list[_Page]:
    """One XHTML page per section, footnotes numbered on from page to page and set after each page's text."""
    pages, note_number = [], 1
    for number, section in enumerate(sections):
        rendered = render_blocks(section.blocks, document, replace(options, first_note=note_number))
        note_number += rendered.note_count
        # The opening has no heading of its own: a <div>, as a <section> without a heading is a Nu warning.
        wrapper = "section" if section.heading_id else 'div class="opening"'
        body = (f"<{wrapper}>\n{rendered.body}\n</{wrapper.split()[0]}>"
                + (f"\n{rendered.notes}" if rendered.notes else ""))
        content = package.xhtml_page(section.title, body, document.meta.lang, "bodymatter", stylesheets)
        # EPUB 3.3 requires the `mathml` property on every page holding MathML (EPUBCheck OPF-014).
        properties = ("mathml",) if "<math " in body else ()
        pages.append(_Page(f"text-{number:02d}", section.file_name, content, properties))
    return pages


def table_of_contents(document: Document, sections: list[Section], href_for_id) -> list[NavEntry]:
    """The nested contents: the opening (under the essay's title), then every heading at its level."""
    starts = {section.heading_id: section.file_name for section in sections if section.heading_id}
    # A section's own entry opens its file at the top; other headings point at their anchor.
    entries = [NavEntry(heading.level, heading.text or f"section {number}",
                        starts.get(heading.identifier) or href_for_id(heading.identifier))
               for number, heading in enumerate(document.outline(), start=1)]
    if sections[0].file_name == "opening.xhtml":
        entries.insert(0, NavEntry(1, document.meta.title, "opening.xhtml"))
    return package.nest(entries)


def print_source(document: Document, pdf_name: str) -> str:
    """What names the print edition the page list follows: the PDF's file name, with the book's identifier."""
    return f"{pdf_name} ({package.book_identifier(document.meta)}, pdf edition)"


def warm_up() -> None:
    """Import what rendering and the page list need; the build calls this while a worker lays out the PDF.

    The EPUB waits for that PDF (its page list), so these imports (ebooklib, lxml, pikepdf: about 0.1 s)
    would otherwise follow the layout instead of running beside it.
    """
    import pikepdf  # noqa: F401
    from ebooklib import epub  # noqa: F401
    from lxml import etree  # noqa: F401


def precheck(document: Document) -> None:
    """Warn when the book names no author: every store asks for a contributor (the build calls this)."""
    if not document.meta.authors:
        log.warning("%s: no author; stores ask for one: add author: your name to the metadata block",
                    document.source)


@dataclass(frozen=True)
class PreparedBook:
    """Everything of the book that does not depend on the PDF: its files' bytes, its contents, its word index.

    render() reads it and changes nothing in it: one prepared book serves any number of renders
    (`watch` writes the EPUB without the PDF, then with it).
    """

    stylesheet: bytes
    generated_stylesheet: bytes
    images: tuple[ImageFile, ...]
    cover: ImageFile
    cover_page: _Page
    title_page: _Page
    nav: _Page
    pages: tuple[_Page, ...]
    toc: list[NavEntry]
    missing_alt: int  # images_without_alt: 0.1 s for a 450-page book
    words: WordIndex | None  # the words of the title page, nav and pages (mark_pages), if found


def _prepared(document: Document, with_words: bool) -> PreparedBook:
    """The book without the PDF's page marks; with the word index the marks are placed by, if `with_words`."""
    lang = document.meta.lang
    sections = split_sections(document)
    file_of = {identifier: section.file_name for section in sections for identifier in anchor_ids(section.blocks)}
    images = image_files(document.resources)
    cover = cover_image(document)
    cover_name = f"cover{cover.extension}"  # beside, never among, images/: no source image can take its name
    styles: dict[str, str] = {}  # declaration -> class, for what would otherwise be inline styles

    def href_for_id(identifier: str) -> str:
        return f"{file_of[identifier]}#{identifier}" if identifier in file_of else ""

    def style_class(declaration: str) -> str:
        return styles.setdefault(declaration, f"style-{len(styles) + 1}")

    options = HtmlOptions(epub=True, href_for_id=href_for_id, style_class=style_class, math="mathml",
                          image_src=lambda resource: quote(images[resource.url].name))
    pages = _pages(document, sections, options, (package.STYLESHEET, package.GENERATED_STYLESHEET))
    cover_page = _Page("cover", "cover.xhtml",
                       package.xhtml_page(LABELS["cover"], cover_body(document, cover_name, cover.width, cover.height),
                                          lang, page_class="cover"), ("svg",))
    title_page = _Page("titlepage", "titlepage.xhtml",
                       package.xhtml_page(document.meta.title, title_page_body(document), lang))
    toc = table_of_contents(document, sections, href_for_id)
    landmarks = [("cover", "cover.xhtml", LABELS["cover"]), ("titlepage", "titlepage.xhtml", LABELS["titlepage"]),
                 ("toc", "nav.xhtml#toc", LABELS["contents"]), ("bodymatter", sections[0].file_name, LABELS["start"])]
    nav = _Page("nav", "nav.xhtml", package.nav_document(toc, landmarks, lang), ("nav",))
    words = _word_index(title_page, nav, pages) if with_words else None
    return PreparedBook(stylesheet=(STYLES / "epub.css").read_bytes() + bullet_rules().encode("utf-8"),
                        generated_stylesheet=package.class_rules(styles),
                        images=tuple(images.values()), cover=ImageFile(cover_name, cover.media_type, cover.data),
                        cover_page=cover_page, title_page=title_page, nav=nav,
                        pages=tuple(pages), toc=toc, missing_alt=images_without_alt(document), words=words)


def prepare(document: Document) -> PreparedBook:
    """What render() makes before it reads the PDF (the build calls this while a worker lays the PDF out).

    Everything but the PDF's page marks, and the word index they are placed by: once the PDF is
    there, render() only reads where its pages begin, places the markers and writes the zip.
    """
    return _prepared(document, with_words=True)


def _word_index(title_page: _Page, nav: _Page, pages) -> WordIndex:
    """The words of the files the page markers may go in, in reading order."""
    return word_index([(page.file_name, page.content) for page in (title_page, nav, *pages)])


def _marked_pages(prepared: PreparedBook, pdf: bytes) -> dict[str, bytes]:
    """The title page, nav and pages that change with a marker where each page of `pdf` begins, by file name."""
    from pipeline.writers.shared.print_pages import page_starts

    words = prepared.words or _word_index(prepared.title_page, prepared.nav, prepared.pages)
    return mark_pages(words, page_starts(pdf), prepared.nav.file_name)


def render(document: Document, companions: dict | None = None) -> bytes:
    """The EPUB 3 edition of `document` as bytes; the same document always gives the same bytes.

    companions[PREPARED], if there, is prepare(document)'s book, which render() then need not make.
    """
    from ebooklib import epub

    lang, modified = document.meta.lang, document.modified.astimezone(UTC)
    companions = companions or {}
    pdf = companions.get("pdf")
    prepared = companions.get(PREPARED) or _prepared(document, with_words=pdf is not None)
    book = epub.EpubBook()
    _add_metadata(book, document, print_source(document, pdf.name) if pdf else "", prepared.missing_alt)
    # Media types are set explicitly, never guessed by ebooklib from the name (EPUBCheck OPF-029, RSC-032).
    book.add_item(epub.EpubItem(uid="style", file_name=package.STYLESHEET, media_type="text/css",
                                content=prepared.stylesheet))
    book.add_item(epub.EpubItem(uid="generated-style", file_name=package.GENERATED_STYLESHEET, media_type="text/css",
                                content=prepared.generated_stylesheet))
    for number, image in enumerate(prepared.images, start=1):
        book.add_item(epub.EpubImage(uid=f"image-{number}", file_name=image.name, media_type=image.media_type,
                                     content=image.data))
    cover = prepared.cover
    cover_item = epub.EpubImage(uid="cover-image", file_name=cover.name, media_type=cover.media_type,
                                content=cover.data)
    cover_item.properties = ["cover-image"]  # EPUB 3's cover; the <meta name="cover"> below is for older readers
    book.add_item(cover_item)
    book.add_metadata(None, "meta", "", {"name": "cover", "content": "cover-image"})
    marked = _marked_pages(prepared, pdf.data) if pdf is not None else {}
    pages = [page.item(epub, marked.get(page.file_name))
             for page in (prepared.cover_page, prepared.title_page, prepared.nav, *prepared.pages)]
    for item in (*pages, epub.EpubNcx()):
        book.add_item(item)
    book.toc = package.ebooklib_toc(prepared.toc)  # never empty: an empty navMap/ol is EPUBCheck RSC-005 (twice)
    book.spine = pages

    buffer = io.BytesIO()
    # dcterms:modified must be UTC, CCYY-MM-DDThh:mm:ssZ (EPUB 3.3 package metadata); ebooklib 0.20 stamps the
    # local wall clock with a "Z" unless given `mtime`. Its own nav, guide and page list are replaced by ours.
    # playOrder on every navPoint: the NCX's reading order, which readers of EPUB 2's NCX expect (NCX 8.4.2).
    # Its zip is read once by reproducible_zip, which compresses every entry itself: not compressed twice.
    options = {"mtime": modified, "epub3_pages": False, "epub2_guide": False, "epub3_landmark": False,
               "raise_exceptions": True, "play_order": {"enabled": True, "start_from": 1}, "compresslevel": 0}
    writer = epub.EpubWriter(buffer, book, options)
    writer.process()
    writer.write()
    return package.reproducible_zip(buffer.getvalue(), modified, lang)
