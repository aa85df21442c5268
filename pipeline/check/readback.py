"""Reading editions back, as a reader's software would, into text and list items with their depth."""

from __future__ import annotations

import re
import shutil
import subprocess
import zipfile
from dataclasses import dataclass, field
from itertools import groupby
from pathlib import Path
from xml.etree import ElementTree

from pipeline.check.installs import POPPLER_INSTALL
from pipeline.writers.shared.gemtext_marks import gemtext_list_item
from pipeline.writers.shared.list_markers import BULLETS

XHTML = "{http://www.w3.org/1999/xhtml}"
TEXT_LIST_LINE = re.compile(r"^( *)([-+o~]|\(?[0-9a-zA-Z]+[.)])(?: (\S.*))?$")


@dataclass
class Reading:
    """What an edition shows: its text, and (when recoverable) each list item's depth and text."""

    text: str
    list_items: list[tuple[int, str]] | None = None
    notes: list[str] = field(default_factory=list)
    math: str = "tex"  # how the edition sets math: "tex" (its source) or "mathml" (see check/words.py)
    lists_in_tables: bool = True  # False where a table is a grid of text and its lists are the cell's lines
    # Why list_items is None: the check says it skipped list depth "because …" (never a pass, never a fail).
    lists_unread: str = "because this reading of the edition holds no list structure"


def read_text_edition(path: Path) -> Reading:
    """The plain-text edition; list depth recovered from indentation (deeper items are indented more)."""
    text = path.read_bytes().decode("utf-8")
    items: list[tuple[int, str]] = []
    indents: list[int] = []
    text_column = -1  # where the last item's text starts; its wrapped lines continue there
    for line in text.splitlines():
        if line.lstrip().startswith(">"):
            continue  # lists inside block quotes are not part of the depth check (see check.py)
        match = TEXT_LIST_LINE.match(line)
        indent = len(line) - len(line.lstrip(" "))
        if match:
            while indents and indents[-1] > indent:
                indents.pop()
            if not indents or indents[-1] < indent:
                indents.append(indent)
            items.append((len(indents), _without_link_numbers(match.group(3) or "")))
            # Only a paragraph that starts on the marker's line wraps onto the next ones.
            text_column = indent + len(match.group(2)) + 1 if match.group(3) else -1
        elif line.strip() and indent == text_column and items:
            depth, item_text = items[-1]
            items[-1] = (depth, f"{item_text} {_without_link_numbers(line.strip())}".strip())
        elif line.strip():
            text_column = -1
            if indent == 0:
                indents = []
        else:
            text_column = -1
    return Reading(text, items, lists_in_tables=False)


def _without_link_numbers(text: str) -> str:
    return re.sub(r" ?\[\^?\d+\]", "", text)


def read_epub(path: Path) -> Reading:
    """The EPUB's XHTML documents in reading order; list depth from nested ul/ol elements."""
    with zipfile.ZipFile(path) as book:
        container = ElementTree.fromstring(book.read("META-INF/container.xml"))
        rootfile = next(e for e in container.iter() if e.tag.endswith("rootfile")).get("full-path")
        package = ElementTree.fromstring(book.read(rootfile))
        base = rootfile.rsplit("/", 1)[0] + "/" if "/" in rootfile else ""
        manifest = {item.get("id"): item for item in package.iter() if item.tag.endswith("}item")}
        spine = [manifest[ref.get("idref")] for ref in package.iter() if ref.tag.endswith("itemref")]
        navs = [item for item in manifest.values() if "nav" in (item.get("properties") or "").split()]
        texts, items = [], []
        for item in navs + [i for i in spine if i not in navs]:
            root = ElementTree.fromstring(book.read(base + item.get("href")))
            body = root.find(f"{XHTML}body")
            if body is None:
                continue
            texts.append(" ".join("".join(body.itertext()).split()))
            if item not in navs:
                items += _xhtml_list_items(body, 0)
    return Reading("\n".join(texts), items, math="mathml")


def _xhtml_list_items(element: ElementTree.Element, depth: int) -> list[tuple[int, str]]:
    items = []
    for child in element:
        if child.tag in (f"{XHTML}ul", f"{XHTML}ol"):
            for item in child:
                if item.tag == f"{XHTML}li":
                    # Parts joined as set: "a <math>p</math>-Tree" reads "a p-Tree"; blocks are apart by their newlines.
                    items.append((depth + 1, " ".join("".join(_own_text(item)).split())))
                    items += _xhtml_list_items(item, depth + 1)
        elif child.tag != f"{XHTML}blockquote":  # quoted lists are left out, as in check.expected_list_items
            items += _xhtml_list_items(child, depth)
    return items


def _own_text(item: ElementTree.Element) -> list[str]:
    """The text of a list item without the text of the lists nested inside it."""
    parts = [item.text or ""]
    for child in item:
        if child.tag not in (f"{XHTML}ul", f"{XHTML}ol"):
            parts.append("".join(child.itertext()))
        parts.append(child.tail or "")
    return parts


def pdftotext_available() -> bool:
    """Whether poppler's pdftotext is installed."""
    return shutil.which("pdftotext") is not None


# A word the layout hyphenated across two pages: pdftotext -raw gives the page's text, then its furniture
# (drawn last: list markers, the running head, the folio), then a form feed and the next page's text.
_ACROSS_PAGES = re.compile(rf"(\w)[\u2010\u00ad]\n(?:[{''.join(BULLETS)}]\n)*(?:[^\n\f]+\n)?\d+\n\f\s*(\w)")


def _join_lines(text: str) -> str:
    text = _ACROSS_PAGES.sub(r"\1\2", text)  # before the lines are joined: the head's next line is furniture
    text = re.sub(r"(\w)[\u2010\u00ad]\n\s*(\w)", r"\1\2", text)  # hyphenation added by the layout
    return re.sub(r"(\w-)\n\s*(\w)", r"\1\2", text)  # a typed hyphen at a line end stays a hyphen


def read_pdf(path: Path) -> Reading:
    """The PDF's text as poppler's pdftotext extracts it, hyphenated line ends joined; list items from its tags."""
    # -raw: the default mode joins a typed hyphen at a line end ("common-" + "sense" -> "commonsense").
    raw = _pdftotext(path, "-raw")
    text = _rejoin_raised_runs(_join_lines(raw), _pdftotext(path))
    items, unread = _pdf_list_items(path)
    return Reading(text.replace("\f", "\n"), items, lists_unread=unread)


def _pdftotext(path: Path, *options: str) -> str:
    result = subprocess.run(["pdftotext", *options, "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True)
    return result.stdout.decode("utf-8")


def _rejoin_raised_runs(raw: str, reading_order: str) -> str:
    """`raw` without the line breaks -raw puts inside a word after a superscript or subscript.

    In raw (content stream) order, poppler starts a new line when the next word's baseline is at least
    half the current word's size away (TextOutputDev.cc, TextPage::dump: maxIntraLineDelta, 0.5): after
    a superscript ("a^bc^d" drawn as "a", a raised "bc", "d") the letter back on the baseline is that far
    from the small raised one, and "abc" / "d" come out as two lines, though the PDF sets them side by
    side (pdftotext -bbox: one line; the default, reading-order mode: "abcd"). A break is taken out
    where the reading-order text has the two pieces as one word.
    """
    whole = set(reading_order.split())

    def rejoined(match: re.Match) -> str:  # the lookahead leaves the next line's word for the next match
        return match.group(1) if match.group(1) + match.group(2) in whole else match.group(0)
    return re.sub(r"(\S+)\n(?=(\S+))", rejoined, raw)


# The PDF prints a link's address after its text for paper readers (print.css); a reader of the
# item's words skips it.
_PRINTED_URL = re.compile(r" ?\(https?://[^)\s]*\)")
_STRUCT_LINE = re.compile(r'^( *)(?:"(.*)"|(\w+) \((block|inline)\)|(NonStruct)|Object \d+ \d+)$')


@dataclass
class _StructElement:
    """An element of a PDF's structure tree as poppler prints it, or (role "") one of its texts."""

    role: str
    block: bool = False
    text: str = ""
    children: list[_StructElement] = field(default_factory=list)


def _struct_tree(lines: list[str]) -> _StructElement:
    root = _StructElement("Document", block=True)
    open_elements: list[tuple[int, _StructElement]] = [(-1, root)]
    for line in lines[1:]:
        match = _STRUCT_LINE.match(line)
        if not match or match.group(0).lstrip().startswith("Object"):
            continue
        indent = len(match.group(1))
        while open_elements[-1][0] >= indent:
            open_elements.pop()
        if match.group(2) is not None:
            element = _StructElement("", text=match.group(2))
        else:
            element = _StructElement(match.group(3) or match.group(5), block=match.group(4) == "block")
        open_elements[-1][1].children.append(element)
        open_elements.append((indent, element))
    return root


def _item_text(element: _StructElement) -> str:
    """A list item's own text: texts in one block run on as set, blocks apart; never its marker or sublists."""
    texts: list[tuple[int, str]] = []  # (the nearest block holding it, the text)

    def collect(node: _StructElement, block: int) -> None:
        for child in node.children:
            if child.role in ("Lbl", "L"):
                continue
            if child.role:
                collect(child, id(child) if child.block else block)
            else:
                texts.append((block, child.text))
    collect(element, id(element))
    blocks = [[text for _block, text in run] for _key, run in groupby(texts, key=lambda pair: pair[0])]
    return " ".join(_PRINTED_URL.sub("", _join_lines("\n".join("".join(b) for b in blocks))).split())


def _tagged_items(element: _StructElement, depth: int) -> list[tuple[int, str]]:
    """Items of every list at or under `element`, with their depth.

    WeasyPrint tags a definition list as an L too, its terms and definitions as LIs without a label
    (weasyprint/pdf/tags.py, "dt should be different"): that L is not a level of the author's lists,
    as a <dl> is none in the EPUB's or the web's nesting of <ul> and <ol>. So is a list whose items
    have no label at all (the contents). An LI a page break leaves empty still makes its L a level.
    """
    items: list[tuple[int, str]] = []
    for child in element.children:
        if child.role == "L":
            # Not the LIs a page break leaves empty: they continue a labelled item from the page before.
            entries = [item for item in child.children if item.role == "LI"]
            labelled = not entries or not all([part.role for part in item.children] == ["LBody"] for item in entries)
            level = depth + 1 if labelled else depth
            for part in child.children:
                if part.role == "LI" and labelled:
                    items.append((level, _item_text(part)))
                items += _tagged_items(part if part.role == "LI" else _StructElement("", children=[part]), level)
        elif child.role:
            items += _tagged_items(child, depth)
    return items


def _pdf_list_items(path: Path) -> tuple[list[tuple[int, str]] | None, str]:
    """Each list item of a tagged PDF, with its depth (how many lists hold it) and its text, or None and why
    they cannot be read.

    Read from the structure tree as poppler prints it (`pdfinfo -struct-text`), which is what a
    screen reader follows. An item broken across pages shows as two.
    """
    if shutil.which("pdfinfo") is None:
        return None, f"poppler's pdfinfo is missing; install it: {POPPLER_INSTALL}"
    result = subprocess.run(["pdfinfo", "-struct-text", str(path)], capture_output=True, check=False)
    lines = result.stdout.decode("utf-8", errors="replace").splitlines()
    if result.returncode != 0:
        return None, (f"because this pdfinfo cannot print the structure tree (-struct-text); install a "
                      f"newer poppler: {POPPLER_INSTALL}")
    if not lines or lines[0].strip() != "Document":
        return None, ("because the PDF is untagged (no structure tree, as a PDF/X print file is made): list depth "
                      "is read from the tags a screen reader follows, and the text alone does not show it")
    return struct_list_items(lines), ""


def struct_list_items(lines: list[str]) -> list[tuple[int, str]]:
    """Each list item, with its depth and text, of a structure tree printed by `pdfinfo -struct-text`."""
    return _tagged_items(_struct_tree(lines), 0)


def read_gemtext(text: str) -> Reading:
    """A gemtext page's text; list depth follows chapbook's gemtext depth marks (see docs/editions.md)."""
    items = [gemtext_list_item(line) for line in text.split("\n") if line.startswith("* ")]
    return Reading(text, items, lists_in_tables=False)
