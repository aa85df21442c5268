"""Unique ids: every heading gets an anchor no other element has, and no two elements share an id."""

from __future__ import annotations

import re

from pipeline.ast import Node, map_blocks, map_nodes, stringify
from pipeline.document import Document
from pipeline.words.naming import slug

# The ids the XHTML writer gives footnotes and their calls; an author's id must not take one.
_WRITER_IDS = re.compile(r"(?:note|noteref)-\d+")
# Where a node keeps its [id, classes, pairs]: Header at c[1], these at c[0].
ATTR_FIRST = frozenset({"Div", "CodeBlock", "Table", "Figure", "Span", "Code", "Link", "Image"})


def _unique(base: str, taken: set[str], first: int = 2) -> str:
    name, number = base, first - 1
    while name in taken or _WRITER_IDS.fullmatch(name):
        number += 1
        name = f"{base}-{number}"
    taken.add(name)
    return name


def make_ids_unique(document: Document) -> Document:
    """Give every heading an id (words/naming.py's slug of its text, unless the author wrote one), and suffix
    -1, -2 … where two headings would share one (as pandoc numbered them, so an author's links keep
    working); then suffix -2, -3 … to the id of any other element (a span, a div, a code block…) that
    repeats one already given.

    Headings are named first, in document order wherever they live, so the contents' links keep
    their targets; a duplicate id is invalid XHTML, and EPUBCheck rejects the book.
    """
    taken: set[str] = set()

    def rename(block: Node) -> Node:
        if block.get("t") != "Header":
            return block
        level, (identifier, classes, pairs), inlines = block["c"]
        identifier = _unique(identifier, taken) if identifier else _unique(slug(stringify(inlines)), taken, first=1)
        return {"t": "Header", "c": [level, [identifier, classes, pairs], inlines]}

    return document.with_blocks(_renamed_others(map_blocks(document.blocks, rename), taken))


def _renamed_others(blocks: list[Node], taken: set[str]) -> list[Node]:
    """`blocks` with each non-heading id that repeats a taken one suffixed (the input is kept)."""
    def rename(node: Node) -> Node:
        content = node["c"]
        if not (content and content[0] and content[0][0]):
            return node
        identifier = content[0][0]
        if identifier in taken or _WRITER_IDS.fullmatch(identifier):
            return {"t": node["t"], "c": [[_unique(identifier, taken), *content[0][1:]], *content[1:]]}
        taken.add(identifier)
        return node
    return map_nodes(blocks, rename, ATTR_FIRST)
