"""The plain-text edition: UTF-8, wrapped, headings underlined in the source's case, lists by depth."""

from __future__ import annotations

import re

from pipeline.ast import Node, ordered_marker, stringify
from pipeline.document import Document
from pipeline.words.measure import display_width
from pipeline.writers.shared.plain_inlines import PlainInlines
from pipeline.writers.shared.tables import cell_texts, text_grid
from pipeline.writers.shared.wrapping import wrap_words

# One marker per depth (then repeating), never `*`: asterisks belong to the author's notes.
BULLETS = ("-", "+", "o", "~")
UNDERLINES = {1: "=", 2: "-"}
INDENT = "  "


# A list marker, a quote, or a link number (`[4]` starts the lines that list URLs).
_LOOKS_LIKE_MARKER = re.compile(r"^([-+o~>]|\(?[0-9a-zA-Z]{1,4}[.)]|\[\^?\d+\])( |$)")


def wrap_without_markers(text: str, width: int, first: str, rest: str) -> list[str]:
    """`text` wrapped to `width` display columns, so that no continuation line starts with what reads
    as a list marker, a quote or a link number: such a word goes down with the word before it.

    Linear in the length of `text` (pipeline/writers/shared/wrapping.py); words are split at ASCII spaces only, so a
    no-break space holds, and wide characters (Korean, Chinese) count two columns.
    """
    return wrap_words(text, width, display_width, first, rest, lambda word: not _LOOKS_LIKE_MARKER.match(word))


class _TextRenderer(PlainInlines):
    """Renders blocks to lines; holds the link and note numbering of one document."""

    def __init__(self, width: int) -> None:
        self.width = width
        self.pending_links: list[tuple[int, str]] = []
        self.link_count = 0
        self.notes: list[list[Node]] = []

    # inlines: the shared walk (PlainInlines), with links numbered, notes marked [^n] ------------
    def link(self, label: str, url: str) -> str:
        if url and url not in (label, f"mailto:{label}") and not url.startswith("#"):
            self.link_count += 1
            self.pending_links.append((self.link_count, url))
            return f"{label} [{self.link_count}]"
        return label

    def image(self, content: list) -> str:
        return f"[image: {stringify(content[1])}]"

    def note(self, content: list[Node]) -> str:
        self.notes.append(content)
        return f"[^{len(self.notes)}]"

    # blocks --------------------------------------------------------------
    def wrap(self, text: str, first: str, rest: str) -> list[str]:
        lines: list[str] = []
        for piece in text.split("\n"):
            wrapped = wrap_without_markers(piece, max(self.width, len(first) + 20), first, rest)
            lines.extend(wrapped or [first.rstrip()])
            first = rest
        return lines

    def blocks(self, blocks: list[Node], indent: str = "", depth: int = 0) -> list[str]:
        """Blocks as lines, separated by blank lines, each prefixed by `indent`."""
        out: list[str] = []
        for block in blocks:
            lines = self.block(block, indent, depth)
            if lines:
                if out:
                    out.append("")
                out.extend(lines)
        return out

    def flush_links(self, indent: str) -> list[str]:
        links = [f"{indent}[{number}] {url}" for number, url in self.pending_links]
        self.pending_links = []
        return ([""] + links) if links else []

    def block(self, block: Node, indent: str, depth: int) -> list[str]:
        kind, content = block.get("t"), block.get("c")
        if kind in ("Para", "Plain"):
            return self.wrap(self.inline_text(content), indent, indent)
        if kind == "Header":
            return self.heading(content[0], self.inline_text(content[2]), indent)
        if kind == "BulletList":
            return self.list_items(content, [BULLETS[depth % len(BULLETS)]] * len(content), indent, depth)
        if kind == "OrderedList":
            (start, style, delimiter), items = content[0], content[1]
            markers = [ordered_marker(start + i, style["t"], delimiter["t"]) for i in range(len(items))]
            return self.list_items(items, markers, indent, depth)
        if kind == "BlockQuote":
            inner = self.blocks(content, "", depth)
            return [f"{indent}> {line}".rstrip() for line in inner]
        if kind == "CodeBlock":
            return [f"{indent}    {line}".rstrip() for line in content[1].split("\n")]
        if kind == "Div":
            return self.blocks(content[1], indent, depth)
        if kind == "LineBlock":
            return [wrapped for line in content
                    for wrapped in self.wrap(self.inline_text(line), indent, indent + INDENT)]
        if kind == "HorizontalRule":
            return [indent + "· · ·".center(self.width - len(indent)).rstrip()]
        if kind == "DefinitionList":
            out: list[str] = []
            for term, definitions in content:
                out.extend(([""] if out else []) + self.wrap(self.inline_text(term), indent, indent))
                for definition in definitions:
                    out.extend(self.blocks(definition, indent + "    ", depth))
            return out
        if kind == "Table":
            return self.table(content, indent)
        if kind == "Figure":
            caption = stringify(content[1][1])
            images = [self.inline_text(b["c"]) for b in content[2] if b.get("t") in ("Plain", "Para")]
            text = " ".join(images) if images else f"[image: {caption}]"
            return self.wrap(text, indent, indent)
        return []  # RawBlock and anything unknown: raw HTML never reaches plain text

    def heading(self, level: int, text: str, indent: str) -> list[str]:
        """A heading wrapped to the width, underlined as wide as its longest line."""
        lines = self.wrap(text, indent, indent)
        underline = UNDERLINES.get(level, "~") * max(max(display_width(line) for line in lines) - len(indent), 3)
        return ["", *lines, indent + underline]

    def list_items(self, items: list[list[Node]], markers: list[str], indent: str, depth: int) -> list[str]:
        out: list[str] = []
        loose = any(block.get("t") == "Para" for item in items for block in item[:1])
        for item, marker in zip(items, markers, strict=True):
            if out and loose:
                out.append("")
            child_indent = indent + " " * (len(marker) + 1)
            lines: list[str] = []
            if not item or item[0].get("t") not in ("Para", "Plain", "LineBlock"):
                lines.append(f"{indent}{marker}")  # the item's first block goes below its marker
            for position, block in enumerate(item):
                nested = block.get("t") in ("BulletList", "OrderedList")
                if position == 0 and block.get("t") in ("Para", "Plain"):
                    rendered = self.wrap(self.inline_text(block["c"]), f"{indent}{marker} ", child_indent)
                elif position == 0 and block.get("t") == "LineBlock":
                    rendered = self.block(block, child_indent, depth)
                    if rendered:
                        rendered[0] = f"{indent}{marker} " + rendered[0][len(child_indent):]
                else:
                    rendered = self.block(block, child_indent, depth + 1 if nested else depth)
                    while rendered and not rendered[0].strip():
                        rendered = rendered[1:]
                    if position > 0 and rendered and (loose or not nested):
                        lines.append("")
                lines.extend(rendered)
            out.extend(lines or [f"{indent}{marker}"])
        return out

    def table(self, content: list, indent: str) -> list[str]:
        def cell_text(blocks: list[Node]) -> str:
            return " ".join(self.inline_text(b["c"]) if b.get("t") in ("Plain", "Para") else stringify(b)
                            for b in blocks)
        cells, header_rows = cell_texts(content, cell_text)
        lines = [(indent + line).rstrip() for line in text_grid(cells, header_rows)]
        if any(display_width(line) > self.width for line in lines):
            # Too wide for the page as columns: each row becomes a wrapped paragraph, cells apart by " | ".
            lines = [line for row in cells for line in [*self.wrap(" | ".join(row), indent, indent + INDENT), ""]][:-1]
        caption_text = stringify(content[1][1])
        return lines + ([""] + self.wrap(caption_text, indent, indent) if caption_text else [])


def render_text(document: Document) -> str:
    """The plain-text edition of `document` as a string (see `render` for bytes)."""
    renderer = _TextRenderer(document.settings.wrap)
    meta = document.meta
    title = renderer.wrap(meta.title, "", "")
    title_rule = "=" * max(max(display_width(line) for line in title), 3)
    out = [title_rule, *title, title_rule]
    for _kind, line in meta.title_page():
        out += ["", *renderer.wrap(line, "", "")]
    outline = document.outline()
    if outline:
        out += ["", "", "contents", ""]
        for heading in outline:
            prefix = INDENT * heading.level
            out += renderer.wrap(heading.text, prefix, prefix + INDENT)
    for block in document.blocks:
        lines = renderer.block(block, "", 0)
        if lines:
            out += ["", *lines, *renderer.flush_links("")]
    if renderer.notes:
        out += ["", "", "notes", "=" * 5]
        number = 0
        while number < len(renderer.notes):  # notes may themselves contain notes
            blocks = renderer.notes[number]
            number += 1
            lines = renderer.blocks(blocks, " " * (len(str(number)) + 4))
            marker = f"[^{number}] "
            first = lines[0][len(marker):] if lines else ""
            out += ["", marker + first, *lines[1:], *renderer.flush_links("")]
    return "\n".join(line.rstrip() for line in out).strip("\n") + "\n"


def render(document: Document, companions: dict | None = None) -> bytes:
    """The plain-text edition as UTF-8 bytes with LF line endings."""
    return render_text(document).encode("utf-8")
