"""Small helpers for pandoc's JSON AST: building nodes, reading text, walking trees."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

Node = dict[str, Any]


def attr(identifier: str = "", classes: list[str] | None = None, pairs: dict[str, str] | None = None) -> list:
    """A pandoc Attr triple: identifier, classes, key-value pairs."""
    return [identifier, list(classes or []), [[k, v] for k, v in (pairs or {}).items()]]


def attr_value(attribute: list, key: str, default: str = "") -> str:
    """The value of `key` in a pandoc Attr's key-value pairs."""
    for name, value in attribute[2]:
        if name == key:
            return value
    return default


def has_class(node: Node, name: str) -> bool:
    """Whether a Div or Span node carries the class `name`."""
    return node.get("t") in ("Div", "Span") and name in node["c"][0][1]


def inlines_of(block: Node) -> list[Node]:
    """The inline content of a Para or Plain block, else an empty list."""
    if block.get("t") in ("Para", "Plain"):
        return block["c"]
    return []


def stringify(nodes: list[Node] | Node) -> str:
    """The text of inline or block nodes, as a reader sees it, case untouched."""
    if isinstance(nodes, dict):
        nodes = [nodes]
    parts: list[str] = []
    for node in nodes:
        _stringify_into(node, parts)
    return "".join(parts)


def _stringify_into(node: Node, parts: list[str]) -> None:
    kind = node.get("t")
    content = node.get("c")
    if kind == "Str":
        parts.append(content)
    elif kind in ("Space", "SoftBreak"):
        parts.append(" ")
    elif kind == "LineBreak":
        parts.append("\n")
    elif kind in ("Code", "Math"):
        parts.append(content[1])
    elif kind in ("RawInline", "RawBlock", "Note"):
        return
    elif kind == "Quoted":
        mark = "“”" if content[0]["t"] == "DoubleQuote" else "‘’"
        parts.append(mark[0])
        for child in content[1]:
            _stringify_into(child, parts)
        parts.append(mark[1])
    elif kind in ("Link", "Image", "Span", "Cite", "Div", "Header"):
        for child in content[-2] if kind in ("Link", "Image") else content[-1]:
            _stringify_into(child, parts)
    elif kind in ("Emph", "Strong", "Strikeout", "Underline", "Superscript", "Subscript", "SmallCaps",
                  "Para", "Plain"):
        for child in content:
            _stringify_into(child, parts)
    elif kind == "CodeBlock":
        parts.append(content[1])
    elif kind == "LineBlock":
        for line in content:
            for child in line:
                _stringify_into(child, parts)
            parts.append("\n")
    elif kind == "Table":
        head, body, foot = table_rows(content)
        for row in head + body + foot:
            for cell in row[1]:
                for child in cell[4]:
                    _stringify_into(child, parts)
                parts.append(" ")
            parts.append("\n")
        for child in content[1][1]:
            _stringify_into(child, parts)
    elif kind == "Figure":
        for child in content[1][1] + content[2]:
            _stringify_into(child, parts)
            parts.append(" ")


# Every pandoc block type; a JSON list whose items are all of these is a list of blocks.
BLOCK_TYPES = frozenset({"Para", "Plain", "Header", "BulletList", "OrderedList", "BlockQuote", "CodeBlock", "Div",
                         "LineBlock", "DefinitionList", "HorizontalRule", "Table", "Figure", "RawBlock"})


def is_block_list(value: Any) -> bool:
    """Whether a JSON value is a (non-empty) list of pandoc blocks."""
    return isinstance(value, list) and bool(value) and all(
        isinstance(item, dict) and item.get("t") in BLOCK_TYPES for item in value)


def walk_blocks(blocks: list[Node]) -> Iterator[Node]:
    """Every block in document order, descending into containers (not notes)."""
    for block in blocks:
        yield block
        for children in child_block_lists(block):
            yield from walk_blocks(children)


def table_rows(content: list) -> tuple[list, list, list]:
    """A Table's rows as (head rows, body rows, foot rows); each row is [attr, cells], a cell's blocks at cell[4]."""
    _attr, _caption, _specs, head, bodies, foot = content
    return head[1], [row for body in bodies for row in body[2] + body[3]], foot[1]


def child_block_lists(block: Node) -> list[list[Node]]:
    """The lists of blocks a block contains directly: list items, quotes, divs, definitions, figure and table
    captions and table cells. Notes are not children: they are set apart from the text they are called in."""
    kind, content = block.get("t"), block.get("c")
    if kind in ("BlockQuote",):
        return [content]
    if kind == "Div":
        return [content[1]]
    if kind == "BulletList":
        return list(content)
    if kind == "OrderedList":
        return list(content[1])
    if kind == "DefinitionList":
        return [blocks for _term, definitions in content for blocks in definitions]
    if kind == "Figure":
        return [content[1][1], content[2]]
    if kind == "Table":
        head, body, foot = table_rows(content)
        return [content[1][1]] + [cell[4] for row in head + body + foot for cell in row[1]]
    return []


def map_block_lists(blocks: list[Node], change: Callable[[list[Node]], list[Node]]) -> list[Node]:
    """Apply `change` to every list of blocks in the tree, each list after the lists inside it.

    Like pandoc's Text.Pandoc.Walk, the walk reaches every container: list items, quotes, divs,
    notes, table cells and captions, definition lists and figures. The input is never modified.
    """
    return change([_map_children(block, lambda items: map_block_lists(items, change)) for block in blocks])


def map_blocks(blocks: list[Node], change: Callable[[Node], Node | list[Node]]) -> list[Node]:
    """Apply `change` to every block in the tree, in document order, each block after the blocks inside it.

    `change` returns the block to keep in its place, or a list of blocks (empty to drop it).
    """
    result: list[Node] = []
    for block in blocks:
        changed = change(_map_children(block, lambda items: map_blocks(items, change)))
        result.extend(changed if isinstance(changed, list) else [changed])
    return result


# Nodes that hold no blocks at any depth: a walk hands them on as they are (most of a tree is words).
_LEAVES = frozenset({"Str", "Code", "Math", "RawInline", "RawBlock", "CodeBlock"})


def _map_children(value: Any, walk: Callable[[list[Node]], list[Node]]) -> Any:
    """`value` rebuilt with `walk` applied to each list of blocks found inside it (at any depth)."""
    if isinstance(value, dict):
        if "c" not in value or value["t"] in _LEAVES:
            return value
        return {"t": value["t"], "c": _map_children(value["c"], walk)}
    if is_block_list(value):
        return walk(value)
    if isinstance(value, list):
        # Leaves are handed on here rather than in a call each: this loop visits every word of the book.
        return [_map_children(item, walk) if type(item) is list or (
                type(item) is dict and "c" in item and item["t"] not in _LEAVES) else item for item in value]
    return value


def map_inlines(blocks: list[Node], change: Callable[[list[Node]], list[Node]], headings: bool = True) -> list[Node]:
    """Apply `change` to the inline content of every block in the tree (paragraphs, headings unless not
    `headings`, line block lines, definition terms), wherever the block lives: lists, quotes, notes,
    table cells, figures."""
    def change_block(block: Node) -> Node:
        kind, content = block.get("t"), block.get("c")
        if kind in ("Para", "Plain"):
            return {"t": kind, "c": change(content)}
        if kind == "Header" and headings:
            return {"t": kind, "c": [content[0], content[1], change(content[2])]}
        if kind == "LineBlock":
            return {"t": kind, "c": [change(line) for line in content]}
        if kind == "DefinitionList":
            return {"t": kind, "c": [[change(term), definitions] for term, definitions in content]}
        return block
    return map_blocks(blocks, change_block)


def ordered_marker(number: int, style: str, delimiter: str) -> str:
    """The marker of an ordered-list item as the source numbered it (`3.`, `c)`, `(iv)`)."""
    if style == "LowerAlpha":
        label = _alpha(number)
    elif style == "UpperAlpha":
        label = _alpha(number).upper()
    elif style == "LowerRoman":
        label = _roman(number).lower()
    elif style == "UpperRoman":
        label = _roman(number)
    else:
        label = str(number)
    if delimiter == "OneParen":
        return f"{label})"
    if delimiter == "TwoParens":
        return f"({label})"
    return f"{label}."


def _alpha(number: int) -> str:
    label = ""
    while number > 0:
        number, rest = divmod(number - 1, 26)
        label = chr(ord("a") + rest) + label
    return label or "0"


def _roman(number: int) -> str:
    numerals = [(1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"), (50, "L"),
                (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")]
    label = ""
    for value, numeral in numerals:
        while number >= value:
            label, number = label + numeral, number - value
    return label or str(number)
