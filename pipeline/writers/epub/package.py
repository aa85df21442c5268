"""EPUB packaging pieces that are not rendering: XHTML pages, the nav document, identifiers, a reproducible zip.

Each workaround for ebooklib or a reading system names the rule it satisfies.
"""

from __future__ import annotations

import io
import re
import uuid
import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from html import escape

from pipeline.document import Metadata
from pipeline.writers.shared.xhtml import EPUB_NS, XHTML_NS

STYLESHEET = "styles/epub.css"
# The rules standing for what the XHTML renderer would write as inline styles (ordered-list markers,
# table cell alignment): Send to Kindle rejects books with many `style` attributes.
GENERATED_STYLESHEET = "styles/classes.css"
_W3CDTF = re.compile(r"\A\d{4}(-\d{2}(-\d{2}(T\d{2}:\d{2}(:\d{2})?(Z|[+-]\d{2}:\d{2})?)?)?)?\Z")
_MAGIC = ((b"\x89PNG\r\n\x1a\n", "image/png"), (b"\xff\xd8\xff", "image/jpeg"), (b"GIF8", "image/gif"),
          (b"RIFF", "image/webp"))
# The labels chapbook adds itself, in the essay's lowercase voice.
LABELS = {"contents": "contents", "landmarks": "landmarks", "cover": "cover", "titlepage": "title page",
          "start": "start of content"}


@dataclass
class NavEntry:
    """One table-of-contents entry: its label, where it points, and the entries nested under it."""

    level: int
    label: str
    href: str
    children: list[NavEntry] = field(default_factory=list)


def book_identifier(meta: Metadata) -> str:
    """The source's own identifier, else a urn:uuid derived from title and date (stable, never random)."""
    if meta.identifier.strip():
        return meta.identifier.strip()
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'chapbook:{meta.title}:{meta.date}')}"


def is_w3cdtf(date: str) -> bool:
    """Whether `date` has the W3CDTF form EPUBCheck expects of dc:date (OPF-053 warns otherwise)."""
    return bool(_W3CDTF.match(date))


def sniffed_media_type(data: bytes, declared: str) -> str:
    """The image type the bytes really have, when they say (a .png that is a JPEG is EPUBCheck OPF-029)."""
    for magic, media_type in _MAGIC:
        if data.startswith(magic) and (media_type != "image/webp" or data[8:12] == b"WEBP"):
            return media_type
    return declared


def xhtml_page(title: str, body: str, lang: str, body_type: str = "", stylesheets: tuple[str, ...] = (STYLESHEET,),
               page_class: str = "") -> bytes:
    """A complete XHTML content document around `body`, with lang and xml:lang and the stylesheets.

    It starts with an XML declaration naming UTF-8: Send to Kindle rejects XHTML without one.
    `page_class` is set on <html>, for rules that must reach the root (the cover page's heights).
    """
    body_attributes = f' epub:type="{body_type}"' if body_type else ""
    html_class = f' class="{escape(page_class)}"' if page_class else ""
    links = "".join(f'<link rel="stylesheet" type="text/css" href="{escape(name)}"/>\n' for name in stylesheets)
    return (f'<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE html>\n'
            f'<html xmlns="{XHTML_NS}" xmlns:epub="{EPUB_NS}"{html_class} lang="{escape(lang)}" '
            f'xml:lang="{escape(lang)}">\n'
            f'<head>\n<meta charset="utf-8"/>\n<title>{escape(title, quote=False)}</title>\n'
            f"{links}</head>\n"
            f"<body{body_attributes}>\n{body}\n</body>\n</html>\n").encode()


def nest(entries: list[NavEntry]) -> list[NavEntry]:
    """Flat entries (in reading order) nested by level: each under the nearest shallower one before it."""
    roots: list[NavEntry] = []
    stack: list[NavEntry] = []
    for entry in entries:
        while stack and stack[-1].level >= entry.level:
            stack.pop()
        (stack[-1].children if stack else roots).append(entry)
        stack.append(entry)
    return roots


def _nav_list(entries: list[NavEntry]) -> str:
    items = []
    for entry in entries:
        nested = f"\n{_nav_list(entry.children)}" if entry.children else ""
        items.append(f'<li><a href="{escape(entry.href)}">{escape(entry.label, quote=False)}</a>{nested}</li>')
    return "<ol>\n" + "\n".join(items) + "\n</ol>"


def nav_document(toc: list[NavEntry], landmarks: list[tuple[str, str, str]], lang: str) -> bytes:
    """The EPUB 3 navigation document: the nested table of contents and the (hidden) landmarks.

    Written here rather than by ebooklib, whose nav uses the book title as its heading and "Guide" for the
    landmarks; every label here is lowercase like the essay.
    """
    landmark_items = "\n".join(f'<li><a epub:type="{kind}" href="{escape(href)}">{escape(label, quote=False)}</a></li>'
                               for kind, href, label in landmarks)
    body = (f'<nav epub:type="toc" id="toc" role="doc-toc">\n<h1>{LABELS["contents"]}</h1>\n{_nav_list(toc)}\n'
            f'</nav>\n<nav epub:type="landmarks" id="landmarks" hidden="">\n<h2>{LABELS["landmarks"]}</h2>\n'
            f"<ol>\n{landmark_items}\n</ol>\n</nav>")
    return xhtml_page(LABELS["contents"], body, lang)


def ebooklib_toc(entries: list[NavEntry], counter: list[int] | None = None) -> list:
    """The same table of contents as ebooklib Links, for the toc.ncx ebooklib writes."""
    from ebooklib import epub

    counter = counter if counter is not None else [0]
    result = []
    for entry in entries:
        counter[0] += 1
        link = epub.Link(entry.href, entry.label, f"navpoint-{counter[0]}")
        result.append((link, ebooklib_toc(entry.children, counter)) if entry.children else link)
    return result


def class_rules(styles: dict[str, str]) -> bytes:
    """A stylesheet with one rule per class the renderer used instead of an inline style."""
    rules = [f".{name} {{ {declaration}; }}" for declaration, name in styles.items()]
    return ('@charset "utf-8";\n' + "\n".join(rules) + "\n").encode()


def with_package_language(opf: bytes, lang: str) -> bytes:
    """The package document with `xml:lang` on <package>, which ebooklib does not write (Ace: epub-lang)."""
    if re.search(rb"<package\b[^>]*\sxml:lang=", opf):
        return opf
    return re.sub(rb"<package\b", b'<package xml:lang="' + escape(lang).encode() + b'"', opf, count=1)


def with_ncx_depth(ncx: bytes) -> bytes:
    """toc.ncx with `dtb:depth` the navMap's true nesting depth; ebooklib 0.20 always writes 0.

    NCX (ANSI/NISO Z39.86-2005, 8.4.1): dtb:depth is "the depth of the structure of the publication",
    the deepest navPoint level; Adobe's RMSDK and older Kindles read the NCX, not the EPUB 3 nav.
    """
    from lxml import etree

    tree = etree.parse(io.BytesIO(ncx), etree.XMLParser(resolve_entities=False, no_network=True))
    ns = {"n": "http://www.daisy.org/z3986/2005/ncx/"}
    depth = max((len(point.xpath("ancestor-or-self::n:navPoint", namespaces=ns))
                 for point in tree.iterfind(".//n:navPoint", ns)), default=0)
    for meta in tree.getroot().iterfind("n:head/n:meta[@name='dtb:depth']", ns):
        meta.set("content", str(depth))
    return etree.tostring(tree, xml_declaration=True, encoding="utf-8")


def reproducible_zip(data: bytes, when: datetime, lang: str) -> bytes:
    """The same EPUB with fixed entry dates, `mimetype` first and stored, other entries in their written order.

    ebooklib stamps each ZIP entry with the wall clock, so two builds of one source would differ; OCF wants
    `mimetype` as the first entry, uncompressed (EPUBCheck PKG-006, PKG-007). The package document gets its
    `xml:lang` here too, and toc.ncx its true depth.
    """
    # A ZIP entry's date runs from 1980 to 2107 (7 bits of years); the package's own dates are not limited.
    stamp = min(max(when.timetuple()[:6], (1980, 1, 1, 0, 0, 0)), (2107, 12, 31, 23, 59, 58))
    output = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(output, "w") as target:
        names = source.namelist()
        for name in ["mimetype", *(n for n in names if n != "mimetype")]:
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.create_system = 3  # the same bytes whatever system builds it
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_STORED if name == "mimetype" else zipfile.ZIP_DEFLATED
            content = source.read(name)
            if name.endswith(".opf"):
                content = with_package_language(content, lang)
            elif name.endswith(".ncx"):
                content = with_ncx_depth(content)
            target.writestr(info, content, compresslevel=9)
    return output.getvalue()
