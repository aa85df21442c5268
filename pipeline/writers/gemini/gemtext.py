"""Gemtext rendering: one Document becomes the lines of one text/gemini page (spec v0.24.1).

Gemtext recognises a line's type only at column 0 and has no escape, so two rules keep the author's
text from turning into markup:

- A text line whose text starts like markup (`=>`, `#`, `>`, `*`, ```` ``` ````) gets an invisible
  U+200B ZERO WIDTH SPACE in front. `*` without a space is included because lenient clients list `*x`.
  U+200B is not whitespace to Python or Go, so clients that trim lines keep it; amfora drops it from
  the screen. (U+2060 WORD JOINER, tried first, left stray cells behind when amfora scrolled.)
- Gemtext has one list level, so a nested item shows its depth after the bullet, one `↳ ` per level
  below the first: `* ↳ ↳ third level`. Item text that itself starts with `↳` (or U+200B) gets the
  same zero width space, so the marks always end where the text begins.

A program recovers both with `^\\* ((?:↳ )*)\\u200b?(.*)$` on list lines
(`pipeline.writers.shared.gemtext_marks.gemtext_list_item`) and by dropping one leading U+200B from text lines.
"""

from __future__ import annotations

from urllib.parse import quote

from pipeline.ast import Node, has_class, ordered_marker, stringify
from pipeline.document import Document
from pipeline.transforms.disclaimers import DISCLAIMER_CLASS
from pipeline.writers.shared.gemtext_marks import DEPTH_MARK, ESCAPE
from pipeline.writers.shared.plain_inlines import PlainInlines
from pipeline.writers.shared.tables import cell_texts, text_grid
from pipeline.writers.shared.wrapping import words_of

MARKUP_STARTS = ("=>", "#", ">", "*", "```", ESCAPE)
NOTES_HEADING = "notes"


def text_line(text: str) -> str:
    """`text` as a gemtext text line that no client reads as markup."""
    return ESCAPE + text if text.startswith(MARKUP_STARTS) else text


def list_line(text: str, depth: int) -> str:
    """A list item line at `depth` (1 = top): the bullet, one depth mark per deeper level, the text."""
    if text.startswith((DEPTH_MARK, ESCAPE)):
        text = ESCAPE + text
    return "* " + f"{DEPTH_MARK} " * (depth - 1) + text


def heading_line(text: str, level: int) -> str:
    """A section heading below the page's `# title`: sections `##`, subsections `###`, deeper ones `###` with
    one depth mark per level beyond (gemtext has three heading levels, and the title takes the first)."""
    text = " ".join(text.split())
    if level <= 2:
        return "#" * (level + 1) + " " + text
    return "### " + f"{DEPTH_MARK} " * (level - 2) + text


def link_line(url: str, label: str = "") -> str:
    """A `=>` line; whitespace inside the URL is percent-encoded so the label cannot swallow it."""
    url = "".join(quote(c) if c.isspace() else c for c in url)
    label = " ".join(label.split())
    return f"=> {url} {label}" if label and label != url else f"=> {url}"


class _GemtextRenderer(PlainInlines):
    """Renders blocks to lines; holds the links waiting for their line and the footnotes of one page."""

    def __init__(self, image_links: dict[str, str]) -> None:
        self.image_links = image_links
        self.pending_links: list[str] = []
        self.notes: list[list[Node]] = []

    # inlines: the shared walk (PlainInlines); links and images are queued as link lines
    def link(self, label: str, url: str) -> str:
        if url and not url.startswith("#"):  # gemtext has no anchors to point at
            self.pending_links.append(link_line(url, label))
        return label

    def image(self, content: list) -> str:
        alt = self.inline_text(content[1])
        if content[2][0] in self.image_links:
            self.pending_links.append(link_line(self.image_links[content[2][0]], alt))
        return alt

    def note(self, content: list[Node]) -> str:
        self.notes.append(content)
        return f"[{len(self.notes)}]"

    def take_links(self) -> list[str]:
        links, self.pending_links = self.pending_links, []
        return links

    def blocks(self, blocks: list[Node], depth: int = 0) -> list[str]:
        """Blocks as lines, one blank line between blocks."""
        out: list[str] = []
        for block in blocks:
            lines = self.block(block, depth)
            if lines:
                out += ([""] if out else []) + lines
        return out

    def block(self, block: Node, depth: int) -> list[str]:
        kind, content = block.get("t"), block.get("c")
        if kind in ("Para", "Plain"):
            return self.paragraph(self.inline_text(content))
        if kind == "Header":
            return [heading_line(self.inline_text(content[2]), content[0]), *self.take_links()]
        if kind == "BulletList":
            return self.list_items(content, [""] * len(content), depth + 1)
        if kind == "OrderedList":
            (start, style, delimiter), items = content
            markers = [ordered_marker(start + i, style["t"], delimiter["t"]) + " " for i in range(len(items))]
            return self.list_items(items, markers, depth + 1)
        if kind == "BlockQuote":
            return self.quote(self.blocks(content, depth))
        if kind == "CodeBlock":
            return self.preformatted(content[1].split("\n"), content[0][1][0] if content[0][1] else "")
        if kind == "Div":
            inner = self.blocks(content[1], depth)
            # A disclaimer is set apart the one way gemtext can: as quote lines, its text and brackets verbatim.
            return self.quote(inner) if has_class(block, DISCLAIMER_CLASS) else inner
        if kind == "LineBlock":
            return [line for inlines in content for line in self.paragraph(self.inline_text(inlines))]
        if kind == "HorizontalRule":
            return ["· · ·"]
        if kind == "DefinitionList":
            out: list[str] = []
            for term, definitions in content:
                out += ([""] if out else []) + self.paragraph(self.inline_text(term))
                for definition in definitions:
                    out += self.blocks(definition, depth)
            return out
        if kind == "Table":
            return self.table(content)
        if kind == "Figure":
            return self.figure(content)
        return []  # RawBlock and anything unknown: raw HTML has no place in gemtext

    def paragraph(self, text: str) -> list[str]:
        """A paragraph: one text line (more only where the author forced a line break), then its links."""
        # ASCII whitespace only: a no-break space (a line block's indentation) is the author's.
        return [text_line(" ".join(words_of(piece))) for piece in text.split("\n")] + self.take_links()

    def list_items(self, items: list[list[Node]], markers: list[str], depth: int) -> list[str]:
        out: list[str] = []
        gap = False  # a continuation paragraph stands between blank lines, as in the source
        for item, marker in zip(items, markers, strict=True):
            rest = item
            out += [""] if gap else []
            if item and item[0].get("t") in ("Para", "Plain"):
                first, *more = self.inline_text(item[0]["c"]).split("\n")
                rest = item[1:]
                out.append(list_line(marker + " ".join(first.split()), depth))
                out += [text_line(" ".join(piece.split())) for piece in more]
            else:
                out.append(list_line(marker, depth))
            out += self.take_links()
            gap = False
            for block in rest:
                if block.get("t") in ("Para", "Plain"):
                    out += self.continuation(block["c"], depth)
                    gap = False
                    continue
                lines = self.block(block, depth)
                nested = block.get("t") in ("BulletList", "OrderedList")
                out += [""] if lines and (gap or not nested) else []
                out += lines
                gap = bool(lines) and not nested
        return out

    def continuation(self, inlines: list[Node], depth: int) -> list[str]:
        """A further paragraph of a list item, right under it and indented to the item's text.

        Flush left between bullets it read as a stray paragraph that had lost its parent (amfora). The
        escape in front keeps clients that trim lines from dropping the indent.
        """
        text = self.inline_text(inlines)
        indent = " " * (2 * depth)  # under the text of `* ↳ … ` at this depth
        return [ESCAPE + indent + " ".join(piece.split()) for piece in text.split("\n")] + self.take_links()

    def quote(self, inner: list[str]) -> list[str]:
        """Quote lines; link lines found inside move after the quote, where clients can follow them."""
        quoted, links, preformatted = [], [], False
        for line in inner:
            if line.startswith("```"):
                preformatted = not preformatted
            if line.startswith("=>") and not preformatted:
                links.append(line)
            else:
                quoted.append(f"> {line}".rstrip())
        return quoted + links

    def preformatted(self, lines: list[str], alt: str) -> list[str]:
        # A line starting with ``` would close the block early.
        body = [ESCAPE + line if line.startswith("```") else line for line in lines]
        return ["```" + alt, *body, "```", *self.take_links()]

    def table(self, content: list) -> list[str]:
        def cell_text(blocks: list[Node]) -> str:
            return " ".join(" ".join(self.inline_text(b["c"]).split()) if b.get("t") in ("Plain", "Para")
                            else stringify(b) for b in blocks)
        cells, header_rows = cell_texts(content, cell_text)
        return self.preformatted(text_grid(cells, header_rows), " ".join(stringify(content[1][1]).split()) or "table")

    def figure(self, content: list) -> list[str]:
        _attr, caption, body = content
        lines: list[str] = []
        alts: set[str] = set()
        for block in body:
            inlines = block["c"] if block.get("t") in ("Plain", "Para") else []
            images = [node for node in inlines if node.get("t") == "Image"]
            if images and all(node.get("t") in ("Image", "Space", "SoftBreak") for node in inlines) and \
                    all(image["c"][2][0] in self.image_links for image in images):
                self.inline_text(images)  # queues one link line per image, its alt text as the label
                lines += self.take_links()
                alts |= {" ".join(stringify(image["c"][1]).split()) for image in images}
            else:
                lines += self.block(block, 0)
        caption_text = " ".join(stringify(caption[1]).split())
        if caption_text and caption_text not in alts:
            lines.append(text_line(caption_text))
        return lines

    def notes_section(self) -> list[str]:
        """The footnotes as a `# notes` section, each starting with its `[n]` marker."""
        if not self.notes:
            return []
        out = [heading_line(NOTES_HEADING, 1)]
        number = 0
        while number < len(self.notes):  # notes may themselves contain notes
            blocks = self.notes[number]
            number += 1
            first = (self.blocks(blocks[:1]) if blocks else []) or [""]  # a note left empty by the sanitiser
            if first[0].startswith(("```", "=>")):  # a preformat toggle or link line must stay at column 0
                first.insert(0, f"[{number}]")
            else:
                first[0] = f"[{number}] " + first[0].removeprefix(ESCAPE)
            out += ["", *first]
            for block in blocks[1:]:
                out += ["", *self.block(block, 0)]
        return out


def render_gemtext(document: Document, image_links: dict[str, str] | None = None) -> str:
    """The gemtext page of `document`: `# title`, subtitle/author/date lines, the body, then its notes.

    `image_links` maps an image's source URL to the link the page should use for the copy beside it;
    by default each usable local image links to its edition name (`images/pixel.png`).
    """
    links = image_links if image_links is not None else {r.url: quote(r.name) for r in document.resources}
    renderer = _GemtextRenderer(links)
    meta = document.meta
    out = ["# " + " ".join(meta.title.split())]
    details = [line for _kind, line in meta.title_page()]
    if details:
        out += ["", *(text_line(" ".join(line.split())) for line in details)]
    for lines in (renderer.blocks(document.blocks), renderer.notes_section()):
        if lines:
            out += ["", *lines]
    return "\n".join(out) + "\n"
