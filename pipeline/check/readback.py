"""Reading editions back, as a reader's software would, into text and list items with their depth."""

from __future__ import annotations

import re
import shutil
import subprocess
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree

from pipeline.writers.shared.gemtext_marks import gemtext_list_item

XHTML = "{http://www.w3.org/1999/xhtml}"
TEXT_LIST_LINE = re.compile(r"^( *)([-+o~]|\(?[0-9a-zA-Z]+[.)])(?: (\S.*))?$")


@dataclass
class Reading:
    """What an edition shows: its text, and (when recoverable) each list item's depth and text."""

    text: str
    list_items: list[tuple[int, str]] | None = None
    notes: list[str] = field(default_factory=list)


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
    return Reading(text, items)


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
    return Reading("\n".join(texts), items)


def _xhtml_list_items(element: ElementTree.Element, depth: int) -> list[tuple[int, str]]:
    items = []
    for child in element:
        if child.tag in (f"{XHTML}ul", f"{XHTML}ol"):
            for item in child:
                if item.tag == f"{XHTML}li":
                    own = [t for part in _own_text(item) for t in [part]]
                    items.append((depth + 1, " ".join(" ".join(own).split())))
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


def _join_lines(text: str) -> str:
    text = re.sub(r"(\w)[\u2010\u00ad]\n\s*(\w)", r"\1\2", text)  # hyphenation added by the layout
    return re.sub(r"(\w-)\n\s*(\w)", r"\1\2", text)  # a typed hyphen at a line end stays a hyphen


def read_pdf(path: Path) -> Reading:
    """The PDF's text as poppler's pdftotext extracts it, hyphenated line ends joined; list items from its tags."""
    # -raw: the default mode joins a typed hyphen at a line end ("common-" + "sense" -> "commonsense").
    result = subprocess.run(["pdftotext", "-raw", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True)
    return Reading(_join_lines(result.stdout.decode("utf-8")).replace("\f", "\n"), read_pdf_list_items(path))


# The PDF prints a link's address after its text for paper readers (print.css); a reader of the
# item's words skips it.
_PRINTED_URL = re.compile(r" ?\(https?://[^)\s]*\)")
_STRUCT_LINE = re.compile(r'^( *)(?:"(.*)"|(\w+) \((?:block|inline)\)|Object \d+ \d+)$')


def read_pdf_list_items(path: Path) -> list[tuple[int, str]] | None:
    """Each list item of a tagged PDF, with its depth (how many L elements hold it) and its text.

    Read from the structure tree as poppler prints it (`pdfinfo -struct-text`), which is what a
    screen reader follows; None for an untagged PDF or a poppler without -struct-text. The contents'
    entries are list items too, before the essay's; an item broken across pages shows as two.
    """
    if shutil.which("pdfinfo") is None:
        return None
    result = subprocess.run(["pdfinfo", "-struct-text", str(path)], capture_output=True, check=False)
    lines = result.stdout.decode("utf-8", errors="replace").splitlines()
    if result.returncode != 0 or not lines or lines[0].strip() != "Document":
        return None
    items: list[tuple[int, list[str]]] = []
    open_elements: list[tuple[int, str, int | None]] = []  # indent, role, index of its list item
    for line in lines:
        match = _STRUCT_LINE.match(line)
        if not match:
            continue
        indent = len(match.group(1))
        while open_elements and open_elements[-1][0] >= indent:
            open_elements.pop()
        roles = [role for _indent, role, _item in open_elements]
        if match.group(3) == "LI":
            items.append((roles.count("L"), []))
            open_elements.append((indent, "LI", len(items) - 1))
        elif match.group(3):
            open_elements.append((indent, match.group(3), None))
        elif match.group(2) is not None and "LI" in roles:
            # The nearest LI's text, from its LBody or (loose items) its P elements; never its marker.
            nearest = len(roles) - 1 - roles[::-1].index("LI")
            if "Lbl" not in roles[nearest:]:
                items[open_elements[nearest][2]][1].append(match.group(2))
    return [(depth, " ".join(_PRINTED_URL.sub("", _join_lines("\n".join(parts))).split())) for depth, parts in items]


def read_gemtext(text: str) -> Reading:
    """A gemtext page's text; list depth follows chapbook's gemtext depth marks (see docs/editions.md)."""
    items = [gemtext_list_item(line) for line in text.split("\n") if line.startswith("* ")]
    return Reading(text, items)
