"""The shared AST -> XHTML renderer used by the EPUB and PDF editions (rendering only, no packaging).

Text is emitted exactly as it is in the AST: escaped, never re-cased, never made typographic.
"""

from __future__ import annotations

import logging
import re
import xml.etree.ElementTree as ElementTree
from collections.abc import Callable
from dataclasses import dataclass, replace
from html import escape

from pipeline.ast import Node, attr_value, ordered_marker, stringify
from pipeline.document import Document, Resource
from pipeline.transforms.asterisk_notes import NOTE_CLASS, REF_CLASS
from pipeline.transforms.disclaimers import DISCLAIMER_CLASS
from pipeline.transforms.images import REFUSED_CLASS
from pipeline.words.langtag import language_or_empty
from pipeline.writers.shared.math import mathml

log = logging.getLogger("chapbook")

XHTML_NS = "http://www.w3.org/1999/xhtml"
EPUB_NS = "http://www.idpf.org/2007/ops"
_SCHEMES = ("http:", "https:", "mailto:", "gemini:")
_OL_TYPES = {"LowerAlpha": "a", "UpperAlpha": "A", "LowerRoman": "i", "UpperRoman": "I"}
_ALIGN = {"AlignLeft": "left", "AlignRight": "right", "AlignCenter": "center"}
_INLINE_TAGS = {"Emph": "em", "Strong": "strong", "Strikeout": "del", "Underline": "u", "Superscript": "sup",
                "Subscript": "sub"}
_VOID_TAGS = re.compile(r"<(br|hr|wbr)(\s[^<>]*?)?\s*/?>", re.I)
# U+FE0E asks for the text glyph: without it some readers draw the back arrow as a coloured emoji.
BACKLINK_TEXT = "\u21a9\ufe0e"


@dataclass(frozen=True)
class HtmlOptions:
    """How one edition wants its XHTML: where notes go, epub:type, where anchors and images live."""

    notes: str = "endnotes"  # "endnotes" (collected, see RenderedHtml.notes) or "inline" (span.footnote)
    epub: bool = False  # emit epub:type attributes
    # Where an anchor lives; "" when it has no target in the edition (the link text is kept, unlinked).
    href_for_id: Callable[[str], str] = lambda identifier: f"#{identifier}"
    image_src: Callable[[Resource], str] = lambda resource: resource.name
    first_note: int = 1  # number of the first pandoc footnote, so numbering runs on across split files
    # Given, each inline style becomes a class named by this function (the edition writes the rules into a
    # stylesheet): Send to Kindle rejects books with many `style` attributes (error E999).
    style_class: Callable[[str], str] | None = None
    # "mathml" where the edition's readers render MathML (EPUB, web), else "tex": the TeX source as code.
    math: str = "tex"
    # A link from each asterisk note back to its reference; not on a page that may be printed (the PDF).
    backlinks: bool = True


@dataclass(frozen=True)
class RenderedHtml:
    """An XHTML fragment and, in endnotes mode, the notes it refers to (to follow it in the same file)."""

    body: str
    notes: str = ""
    note_count: int = 0


# Ordered-list markers longer than this (in characters) get an indent as wide as they are; the
# stylesheets' indent (1.3 em in print.css) holds `10.` or `iv)`, and those lists keep it unchanged.
WIDE_MARKER = 4
# A paragraph that goes on with a list item of a tight list (its first paragraph is the item's bare text):
# the stylesheets space it as one item from the next, so the list stays as tight as the author wrote it.
CONTINUED_CLASS = "continued"


def _marker_style(marker: str) -> str:
    return f"list-style-type: '{marker}\\2002'"  # the marker, then an en space


def parse_fragment(xhtml: str) -> ElementTree.Element:
    """A fragment parsed as XML inside an XHTML <div> (raises ElementTree.ParseError if malformed)."""
    return ElementTree.fromstring(f'<div xmlns="{XHTML_NS}" xmlns:epub="{EPUB_NS}">{xhtml}</div>')


def _attributes(pairs: list[tuple[str, str]]) -> str:
    return "".join(f' {name}="{escape(value)}"' for name, value in pairs if value)


def _common(attribute: list, *extra_classes: str) -> list[tuple[str, str]]:
    """Id, classes and lang of a pandoc Attr; its other key-value pairs never reach an edition."""
    identifier, classes, _pairs = attribute
    lang = attr_value(attribute, "lang")
    return [("id", identifier), ("class", " ".join([*classes, *extra_classes])),
            ("lang", language_or_empty(lang))]


def _with_backlink(body: str, href: str) -> str:
    """A note's rendered blocks with a link back to its reference at the end of its last paragraph."""
    back = (f' <a href="{escape(href)}" class="backlink" role="doc-backlink" '
            f'aria-label="back to the text">{BACKLINK_TEXT}</a>')
    return body[:-4] + back + "</p>" if body.endswith("</p>") else f"{body}\n<p>{back.strip()}</p>"


class _Renderer:
    """Renders blocks and inlines; holds the footnotes collected while rendering."""

    def __init__(self, document: Document, options: HtmlOptions) -> None:
        self.options = options
        self.resources = {resource.url: resource for resource in document.resources}
        self.source = document.source
        self.notes: list[tuple[int, list[Node]]] = []
        self.in_header_cell = False  # HTML allows no heading inside a <th> (its content model)

    def style(self, declaration: str) -> list[tuple[str, str]]:
        """A `style` attribute, or the class standing for it when the edition wants no inline styles."""
        if self.options.style_class is None:
            return [("style", declaration)]
        return [("class", self.options.style_class(declaration))]

    def epub_type(self, value: str) -> list[tuple[str, str]]:
        return [("epub:type", value)] if self.options.epub else []

    # inlines -------------------------------------------------------------
    def inlines(self, nodes: list[Node]) -> str:
        return "".join(self.inline(node) for node in nodes)

    def inline(self, node: Node) -> str:
        kind, content = node.get("t"), node.get("c")
        if kind == "Str":
            return escape(content, quote=False)
        if kind == "Space":
            return " "
        if kind == "SoftBreak":
            return "\n"
        if kind == "LineBreak":
            return "<br/>\n"
        if kind in _INLINE_TAGS:
            tag = _INLINE_TAGS[kind]
            return f"<{tag}>{self.inlines(content)}</{tag}>"
        if kind == "SmallCaps":  # a class only: the letters stay as typed, no small-caps styling
            return f'<span class="smallcaps">{self.inlines(content)}</span>'
        if kind == "Quoted":  # only with `smart: true`; the same marks stringify shows
            marks = "“”" if content[0]["t"] == "DoubleQuote" else "‘’"
            return marks[0] + self.inlines(content[1]) + marks[1]
        if kind == "Cite":
            return self.inlines(content[1])
        if kind == "Code":
            return f"<code{_attributes(_common(content[0]))}>{escape(content[1], quote=False)}</code>"
        if kind == "Math":
            return self.math(content)
        if kind == "Link":
            return self.link(content)
        if kind == "Image":
            return self.image(content)
        if kind == "Note":
            return self.footnote(content)
        if kind == "Span":
            return self.span(content)
        return ""  # RawInline was removed by the raw_html transform

    def math(self, content: list) -> str:
        kind, tex = content[0]["t"], content[1]
        element = mathml(tex, kind) if self.options.math == "mathml" else None
        return element or f'<code class="math">{escape(tex, quote=False)}</code>'

    def href(self, url: str) -> str:
        """Where a link goes in this edition, or "" if it has no target here."""
        if url.startswith("#"):
            return self.options.href_for_id(url[1:])
        return url if url.lower().startswith(_SCHEMES) else ""

    def link(self, content: list) -> str:
        attribute, label, (url, title) = content
        href = self.href(url)
        text = self.inlines(label)
        if not href:
            return f"<span{_attributes(_common(attribute))}>{text}</span>"
        return f"<a{_attributes([*_common(attribute), ('href', href), ('title', title)])}>{text}</a>"

    def image(self, content: list) -> str:
        attribute, alt, (url, title) = content
        resource = self.resources.get(url)
        if resource is None:  # not collected as a usable local file: its alt text stands in
            return f'<span class="{REFUSED_CLASS}">{escape(stringify(alt), quote=False)}</span>'
        pairs = [*_common(attribute), ("src", self.options.image_src(resource)), ("title", title)]
        return f'<img{_attributes(pairs)} alt="{escape(stringify(alt))}"/>'

    def span(self, content: list) -> str:
        attribute, inlines = content
        if REF_CLASS in attribute[1]:
            href = self.options.href_for_id(attr_value(attribute, "note"))
            if href:
                return f'<a{_attributes([*_common(attribute), ("href", href)])}>{self.inlines(inlines)}</a>'
        return f"<span{_attributes(_common(attribute))}>{self.inlines(inlines)}</span>"

    def footnote(self, blocks: list[Node]) -> str:
        if self.options.notes == "inline":
            return f'<span class="footnote">{self.inlines(_note_inlines(blocks))}</span>'
        number = self.options.first_note + len(self.notes)
        self.notes.append((number, blocks))
        pairs = [*self.epub_type("noteref"), ("href", f"#note-{number}"), ("id", f"noteref-{number}"),
                 ("class", "noteref"), ("role", "doc-noteref")]
        return f"<a{_attributes(pairs)}>{number}</a>"

    # blocks --------------------------------------------------------------
    def blocks(self, blocks: list[Node]) -> str:
        return "\n".join(part for part in (self.block(block) for block in blocks) if part)

    def block(self, block: Node) -> str:
        kind, content = block.get("t"), block.get("c")
        if kind == "Para":
            return f"<p>{self.inlines(content)}</p>"
        if kind == "Plain":
            return self.inlines(content)
        if kind == "Header":
            level, attribute, inlines = content
            level = min(max(level, 1), 6)
            if self.in_header_cell:  # still a heading to a screen reader, as the author wrote it
                pairs = [*_common(attribute, "heading"), ("role", "heading"), ("aria-level", str(level))]
                return f"<p{_attributes(pairs)}>{self.inlines(inlines)}</p>"
            tag = f"h{level}"
            return f"<{tag}{_attributes(_common(attribute))}>{self.inlines(inlines)}</{tag}>"
        if kind == "BulletList":
            return "<ul>\n" + "\n".join(f"<li>{self.list_item(item)}</li>" for item in content) + "\n</ul>"
        if kind == "OrderedList":
            # Each item's marker is the one the source wrote (`3.`, `c)`, `(iv)`), as a string
            # list-style-type: CSS counters cannot write `(iv)`, and WeasyPrint ignores <ol type>.
            # start and type still give readers without CSS the right numbers.
            (start, style, delimiter), items = content
            pairs = [("start", str(start) if start != 1 else ""), ("type", _OL_TYPES.get(style["t"], ""))]
            markers = [ordered_marker(start + i, style["t"], delimiter["t"]) for i in range(len(items))]
            widest = max(map(len, markers), default=0)
            if widest > WIDE_MARKER:  # `12345678.` would hang out of the text block, into a printer's margin
                pairs += self.style(f"padding-left: {0.55 * widest + 0.6:.1f}em")
            rendered = [f"<li{_attributes(self.style(_marker_style(marker)))}>{self.list_item(item)}</li>"
                        for marker, item in zip(markers, items, strict=True)]
            return f"<ol{_attributes(pairs)}>\n" + "\n".join(rendered) + "\n</ol>"
        if kind == "BlockQuote":
            return f"<blockquote>\n{self.blocks(content)}\n</blockquote>"
        if kind == "CodeBlock":
            (identifier, classes, _pairs), text = content
            code_class = [("class", f"language-{classes[0]}")] if classes else []
            return (f"<pre{_attributes([('id', identifier)])}><code{_attributes(code_class)}>"
                    f"{escape(text, quote=False)}</code></pre>")
        if kind == "Div":
            return self.div(content)
        if kind == "LineBlock":
            return '<div class="line-block">' + "<br/>\n".join(self.inlines(line) for line in content) + "</div>"
        if kind == "DefinitionList":
            items = [f"<dt>{self.inlines(term)}</dt>\n" + "\n".join(f"<dd>{self.blocks(d)}</dd>" for d in definitions)
                     for term, definitions in content]
            return "<dl>\n" + "\n".join(items) + "\n</dl>"
        if kind == "HorizontalRule":
            return "<hr/>"
        if kind == "Table":
            return self.table(content)
        if kind == "Figure":
            attribute, (_short, caption), body = content
            caption_html = f"\n<figcaption>{self.blocks(caption)}</figcaption>" if caption else ""
            return f"<figure{_attributes(_common(attribute))}>\n{self.blocks(body)}{caption_html}\n</figure>"
        if kind == "RawBlock":
            return self.raw_block(*content)
        return ""

    def list_item(self, item: list[Node]) -> str:
        """A list item's blocks; in a tight item (bare text first), its later paragraphs marked as going on."""
        if not item or item[0].get("t") != "Plain":
            return self.blocks(item)
        return "\n".join(part for part in (
            f'<p class="{CONTINUED_CLASS}">{self.inlines(block["c"])}</p>' if block.get("t") == "Para"
            else self.block(block) for block in item) if part)

    def div(self, content: list) -> str:
        attribute, blocks = content
        inner = self.blocks(blocks)
        if DISCLAIMER_CLASS in attribute[1]:
            kind = attr_value(attribute, "kind") or "note"
            pairs = [*_common(attribute, f"{DISCLAIMER_CLASS}-{kind}"), ("role", "note")]
            return f"<aside{_attributes(pairs)}>\n{inner}\n</aside>"
        if NOTE_CLASS in attribute[1]:
            ref = attr_value(attribute, "ref")
            back = self.options.href_for_id(ref) if ref and self.options.backlinks else ""
            inner = _with_backlink(inner, back) if back else inner
            return f'<div{_attributes(_common(attribute))} role="note">\n{inner}\n</div>'
        return f"<div{_attributes(_common(attribute))}>\n{inner}\n</div>"

    def table(self, content: list) -> str:
        attribute, (_short, caption), specs, head, bodies, foot = content
        aligns = [_ALIGN.get(spec[0]["t"], "") for spec in specs]
        parts = [f"<table{_attributes(_common(attribute))}>"]
        if caption:
            parts.append(f"<caption>{self.blocks(caption)}</caption>")
        # A header row with no words is left out, as pandoc's HTML writer does: an empty <th> is a header
        # a screen reader cannot announce (axe's and Ace's empty-table-header).
        head_rows = [row for row in head[1] if any(blocks_have_text(cell[4]) for cell in row[1])]
        if head_rows:
            parts.append("<thead>\n" + self.rows(head_rows, "th", aligns) + "\n</thead>")
        for body in bodies:
            rows = self.rows(body[2], "th", aligns) + self.rows(body[3], "td", aligns)
            parts.append("<tbody>\n" + rows + "\n</tbody>")
        if foot[1]:
            parts.append("<tfoot>\n" + self.rows(foot[1], "td", aligns) + "\n</tfoot>")
        return "\n".join(parts) + "\n</table>"

    def rows(self, rows: list, tag: str, aligns: list[str]) -> str:
        lines = []
        for _attribute, cells in rows:
            rendered = []
            for column, (_cell_attr, alignment, rowspan, colspan, blocks) in enumerate(cells):
                align = _ALIGN.get(alignment["t"]) or (aligns[column] if column < len(aligns) else "")
                pairs = [("rowspan", str(rowspan) if rowspan > 1 else ""),
                         ("colspan", str(colspan) if colspan > 1 else ""),
                         *(self.style(f"text-align: {align}") if align else [])]
                # An empty cell of a header row names nothing: a data cell (axe's empty-table-header).
                cell_tag = "td" if tag == "th" and not blocks_have_text(blocks) else tag
                self.in_header_cell = cell_tag == "th"
                rendered.append(f"<{cell_tag}{_attributes(pairs)}>{self.blocks(blocks)}</{cell_tag}>")
                self.in_header_cell = False
            lines.append("<tr>\n" + "\n".join(rendered) + "\n</tr>")  # whitespace keeps cell words apart in text
        return "\n".join(lines)

    def raw_block(self, form: str, html: str) -> str:
        if form != "html" or not html.strip():
            return ""
        xhtml = _VOID_TAGS.sub(lambda m: f"<{m.group(1).lower()}{m.group(2) or ''}/>", html.strip())
        try:
            parse_fragment(xhtml)
        except ElementTree.ParseError as error:
            log.warning("%s: raw HTML block dropped: it is not well-formed XHTML (%s)", self.source, error)
            return ""
        return xhtml

    def rendered_notes(self) -> str:
        """Every collected footnote as an aside with a link back to its call (notes may hold notes)."""
        parts, done = [], 0
        while done < len(self.notes):
            number, blocks = self.notes[done]
            done += 1
            body = _with_backlink(self.blocks(blocks), f"#noteref-{number}")
            pairs = [*self.epub_type("footnote"), ("id", f"note-{number}"), ("class", "footnote"),
                     ("role", "doc-footnote")]
            parts.append(f'<aside{_attributes(pairs)}>\n<p class="note-number">{number}.</p>\n{body}\n</aside>')
        if not parts:
            return ""
        # A <div>: the notes have no heading of their own, and a <section> without one is a Nu warning.
        return (f'<div class="footnotes"{_attributes(self.epub_type("footnotes"))}>\n' + "\n".join(parts)
                + "\n</div>")


def blocks_have_text(blocks: list[Node]) -> bool:
    """Whether blocks hold anything a reader sees: a word or an image."""
    return bool(stringify(blocks).strip()) or _has_image(blocks)


def _has_image(node) -> bool:
    if isinstance(node, list):
        return any(_has_image(item) for item in node)
    return isinstance(node, dict) and (node.get("t") == "Image" or _has_image(node.get("c")))


def _note_inlines(blocks: list[Node]) -> list[Node]:
    """A note's paragraphs as one run of inlines, for a footnote set inside the text."""
    inlines: list[Node] = []
    for block in blocks:
        if inlines:
            inlines.append({"t": "Space"})
        inlines.extend(block["c"] if block.get("t") in ("Para", "Plain") else [{"t": "Str", "c": stringify(block)}])
    return inlines


def render_blocks(blocks: list[Node], document: Document, options: HtmlOptions) -> RenderedHtml:
    """Blocks as an XHTML fragment, plus (endnotes mode) the footnotes they call, numbered from first_note."""
    renderer = _Renderer(document, options)
    body = renderer.blocks(blocks)
    notes = renderer.rendered_notes()
    return RenderedHtml(body, notes, len(renderer.notes))


def render_inlines(inlines: list[Node], document: Document, options: HtmlOptions) -> str:
    """Inlines as an XHTML fragment (footnotes inside are rendered inline whatever the options say)."""
    renderer = _Renderer(document, replace(options, notes="inline"))
    return renderer.inlines(inlines)
