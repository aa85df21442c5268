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
        _attr, caption, _specs, head, bodies, foot = content
        rows = head[1] + [row for body in bodies for row in body[2] + body[3]] + foot[1]
        for row in rows:
            for cell in row[1]:
                for child in cell[4]:
                    _stringify_into(child, parts)
                parts.append(" ")
            parts.append("\n")
        for child in caption[1]:
            _stringify_into(child, parts)
    elif kind == "Figure":
        for child in content[1][1] + content[2]:
            _stringify_into(child, parts)
            parts.append(" ")


def walk_blocks(blocks: list[Node]) -> Iterator[Node]:
    """Every block in document order, descending into containers (not notes)."""
    for block in blocks:
        yield block
        for children in child_block_lists(block):
            yield from walk_blocks(children)


def child_block_lists(block: Node) -> list[list[Node]]:
    """The lists of blocks a block contains directly (list items, div bodies, quotes)."""
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
        return [content[2]]
    return []


def map_inlines(blocks: list[Node], change: Callable[[list[Node]], list[Node]]) -> list[Node]:
    """Apply `change` to every inline list in paragraphs, headings and plain blocks, recursively."""
    result = []
    for block in blocks:
        kind, content = block.get("t"), block.get("c")
        if kind in ("Para", "Plain"):
            block = {"t": kind, "c": change(content)}
        elif kind == "Header":
            block = {"t": kind, "c": [content[0], content[1], change(content[2])]}
        elif kind in ("BlockQuote",):
            block = {"t": kind, "c": map_inlines(content, change)}
        elif kind == "Div":
            block = {"t": kind, "c": [content[0], map_inlines(content[1], change)]}
        elif kind == "BulletList":
            block = {"t": kind, "c": [map_inlines(item, change) for item in content]}
        elif kind == "OrderedList":
            block = {"t": kind, "c": [content[0], [map_inlines(item, change) for item in content[1]]]}
        elif kind == "Figure":
            block = {"t": kind, "c": [content[0], content[1], map_inlines(content[2], change)]}
        elif kind == "LineBlock":
            block = {"t": kind, "c": [change(line) for line in content]}
        elif kind == "DefinitionList":
            block = {"t": kind, "c": [[change(term), [map_inlines(d, change) for d in definitions]]
                                      for term, definitions in content]}
        result.append(block)
    return result


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
