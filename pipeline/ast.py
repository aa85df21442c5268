"""Small helpers for pandoc's JSON AST: building nodes, reading text, walking trees."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from operator import is_, itemgetter
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


# The walks below hand back what they did not change (the same list, the same node), as pandoc's own
# walks share the unchanged parts of a tree: on a book-length source most of every transform's tree is
# the tree it was given, and copying it all, seven times over, was most of the time the read took.

def map_block_lists(blocks: list[Node], change: Callable[[list[Node]], list[Node]]) -> list[Node]:
    """Apply `change` to every list of blocks in the tree, each list after the lists inside it.

    Like pandoc's Text.Pandoc.Walk, the walk reaches every container: list items, quotes, divs,
    notes, table cells and captions, definition lists and figures. The input is never modified:
    `change` returns a new list or the one it was given, and what did not change is handed back as
    the same object.
    """
    def walk(items: list[Node]) -> list[Node]:
        inner = same_or_new(items, [_rebuilt_block(block, walk, in_notes) for block in items])
        return same_or_new(items, change(inner))

    def in_notes(inlines: list[Node]) -> list[Node]:
        return _notes_walked(inlines, walk, in_notes)
    return walk(blocks)


def map_blocks(blocks: list[Node], change: Callable[[Node], Node | list[Node]]) -> list[Node]:
    """Apply `change` to every block in the tree, in document order, each block after the blocks inside it.

    `change` returns the block to keep in its place, or a list of blocks (empty to drop it). The
    input is never modified; a list whose blocks all came back as they were is handed back itself.
    """
    def walk(items: list[Node]) -> list[Node]:
        result: list[Node] = []
        for block in items:
            changed = change(_rebuilt_block(block, walk, in_notes))
            if isinstance(changed, list):
                result.extend(changed)
            else:
                result.append(changed)
        return same_or_new(items, result)

    def in_notes(inlines: list[Node]) -> list[Node]:
        return _notes_walked(inlines, walk, in_notes)
    return walk(blocks)


def map_inlines(blocks: list[Node], change: Callable[[list[Node]], list[Node]], headings: bool = True) -> list[Node]:
    """Apply `change` to the inline content of every block in the tree (paragraphs, headings unless not
    `headings`, line block lines, definition terms), wherever the block lives: lists, quotes, notes,
    table cells, figures. `change` returns a new list or the one it was given, never modifying it; a
    block whose inlines all came back as they were is handed back itself."""
    def changed(inlines: list[Node]) -> list[Node]:
        return same_or_new(inlines, change(inlines))

    def change_block(block: Node) -> Node:
        kind, content = block["t"], block.get("c")
        if kind in ("Para", "Plain"):
            new = changed(content)
        elif kind == "Header" and headings:
            new = same_or_new(content, [content[0], content[1], changed(content[2])])
        elif kind == "LineBlock":
            new = same_or_new(content, [changed(line) for line in content])
        elif kind == "DefinitionList":
            new = same_or_new(content, [same_or_new(item, [changed(item[0]), item[1]]) for item in content])
        else:
            return block
        return block if new is content else {"t": kind, "c": new}
    return map_blocks(blocks, change_block)


def map_nodes(blocks: list[Node], change: Callable[[Node], Node], kinds: frozenset[str]) -> list[Node]:
    """Apply `change` to every node (block or inline) of one of `kinds`, wherever it is, notes included,
    each after the nodes inside it, in the order of pandoc's JSON. The input is never modified; what
    did not change is handed back as the same object."""
    looked_into = kinds | _INLINE_HOLDERS

    def changed(node: Node) -> Node:
        return change(node) if node["t"] in kinds else node

    def in_blocks(items: list[Node]) -> list[Node]:
        return same_or_new(items, [changed(_rebuilt_block(block, in_blocks, in_inlines)) for block in items])

    def in_inlines(inlines: list[Node]) -> list[Node]:
        if looked_into.isdisjoint(map(_KIND, inlines)):
            return inlines
        return same_or_new(inlines, [changed(_rebuilt_inline(node, in_blocks, in_inlines)) for node in inlines])
    return in_blocks(blocks)


def inlines_of_kinds(blocks: list[Node], kinds: frozenset[str]) -> list[Node]:
    """Every inline of one of `kinds` in the tree, notes included, in the order of pandoc's JSON; the inlines
    inside one that is found are not searched."""
    found: list[Node] = []
    looked_into = kinds | _INLINE_HOLDERS

    def in_blocks(items: list[Node]) -> list[Node]:
        for block in items:
            _rebuilt_block(block, in_blocks, in_inlines)
        return items

    def in_inlines(inlines: list[Node]) -> list[Node]:
        if not looked_into.isdisjoint(map(_KIND, inlines)):
            for node in inlines:
                if node["t"] in kinds:
                    found.append(node)
                elif node["t"] in _INLINE_HOLDERS:
                    _rebuilt_inline(node, in_blocks, in_inlines)
        return inlines
    in_blocks(blocks)
    return found


def same_or_new(old: list, new: list) -> list:
    """`old` if `new` holds the very same items (nothing in it was changed), else `new`."""
    return old if len(old) == len(new) and all(map(is_, old, new)) else new


_KIND = itemgetter("t")
# Inline kinds that hold inlines: all their content (None) or the list at that index.
_INLINES_AT = {"Emph": None, "Strong": None, "Strikeout": None, "Underline": None, "Superscript": None,
               "Subscript": None, "SmallCaps": None, "Link": 1, "Image": 1, "Span": 1, "Quoted": 1, "Cite": 1}
# The inlines a walk looks inside: a paragraph's words hold blocks only in a note, at any depth of these.
_INLINE_HOLDERS = frozenset(_INLINES_AT) | {"Note"}
_INLINE_LEAVES = frozenset({"Str", "Space", "SoftBreak", "LineBreak", "Code", "Math", "RawInline"})
_BLOCK_LEAVES = frozenset({"CodeBlock", "RawBlock", "HorizontalRule"})
# Walks = (what to do with a list of blocks, what to do with a list of inlines), for the rebuilders below.
_Walk = Callable[[list[Node]], list[Node]]


def _notes_walked(inlines: list[Node], in_blocks: _Walk, in_inlines: _Walk) -> list[Node]:
    """`inlines` with `in_blocks` applied to the blocks of every note in them (the same list when none changed)."""
    if _INLINE_HOLDERS.isdisjoint(map(_KIND, inlines)):  # most lists of words: told without a Python loop
        return inlines
    return same_or_new(inlines, [_rebuilt_inline(node, in_blocks, in_inlines) if node["t"] in _INLINE_HOLDERS
                                 else node for node in inlines])


def _rebuilt_inline(node: Node, in_blocks: _Walk, in_inlines: _Walk) -> Node:
    """`node` (an inline) with `in_inlines` applied to the inlines it holds and `in_blocks` to a note's blocks;
    `node` itself when nothing changed."""
    kind = node["t"]
    if kind in _INLINE_LEAVES:
        return node
    content = node.get("c")
    if kind == "Note":
        new = _walked(content, in_blocks)
    elif kind in _INLINES_AT:
        at = _INLINES_AT[kind]
        new = in_inlines(content) if at is None else \
            same_or_new(content, [*content[:at], in_inlines(content[at]), *content[at + 1:]])
    else:
        new = _json_walked(content, in_blocks, in_inlines)
    return node if new is content else {"t": kind, "c": new}


def _rebuilt_block(block: Node, in_blocks: _Walk, in_inlines: _Walk) -> Node:
    """`block` with `in_blocks` applied to each non-empty list of blocks it holds and `in_inlines` to each list
    of inlines (paragraphs, headings, lines, terms, short captions), in the order of pandoc's JSON; `block`
    itself when nothing changed. Where each kind keeps them: pandoc's Text.Pandoc.Definition."""
    kind = block["t"]
    if kind in _BLOCK_LEAVES:
        return block
    content = block.get("c")
    if kind in ("Para", "Plain"):
        new = in_inlines(content)
    elif kind == "Header":
        new = same_or_new(content, [content[0], content[1], in_inlines(content[2])])
    elif kind == "BlockQuote":
        new = _walked(content, in_blocks)
    elif kind == "Div":
        new = same_or_new(content, [content[0], _walked(content[1], in_blocks)])
    elif kind == "BulletList":
        new = _items_walked(content, in_blocks)
    elif kind == "OrderedList":
        new = same_or_new(content, [content[0], _items_walked(content[1], in_blocks)])
    elif kind == "LineBlock":
        new = same_or_new(content, [in_inlines(line) for line in content])
    elif kind == "DefinitionList":
        new = same_or_new(content, [same_or_new(item, [in_inlines(item[0]), _items_walked(item[1], in_blocks)])
                                    for item in content])
    elif kind == "Figure":
        new = same_or_new(content, [content[0], _caption_walked(content[1], in_blocks, in_inlines),
                                    _walked(content[2], in_blocks)])
    elif kind == "Table":
        attribute, caption, specs, head, bodies, foot = content
        new = same_or_new(content, [
            attribute, _caption_walked(caption, in_blocks, in_inlines), specs,
            same_or_new(head, [head[0], _rows_walked(head[1], in_blocks)]),
            same_or_new(bodies, [same_or_new(body, [body[0], body[1], _rows_walked(body[2], in_blocks),
                                                    _rows_walked(body[3], in_blocks)]) for body in bodies]),
            same_or_new(foot, [foot[0], _rows_walked(foot[1], in_blocks)])])
    else:
        new = _json_walked(content, in_blocks, in_inlines)
    return block if new is content else {"t": kind, "c": new}


def _walked(blocks: list[Node], in_blocks: _Walk) -> list[Node]:
    """A list of blocks walked; an empty one is not a list of blocks to a walk (as before: nothing to change)."""
    return in_blocks(blocks) if blocks else blocks


def _items_walked(items: list[list[Node]], in_blocks: _Walk) -> list[list[Node]]:
    """List items (or definitions), each a list of blocks, walked."""
    return same_or_new(items, [_walked(item, in_blocks) for item in items])


def _caption_walked(caption: list, in_blocks: _Walk, in_inlines: _Walk) -> list:
    """A Caption, [short caption's inlines or null, blocks], walked."""
    short, blocks = caption
    return same_or_new(caption, [short if short is None else in_inlines(short), _walked(blocks, in_blocks)])


def _rows_walked(rows: list, in_blocks: _Walk) -> list:
    """Table rows, [attr, cells] each, with each cell's blocks (cell[4]) walked."""
    return same_or_new(rows, [same_or_new(row, [row[0], same_or_new(row[1], [
        same_or_new(cell, [*cell[:4], _walked(cell[4], in_blocks)]) for cell in row[1]])]) for row in rows])


# Every pandoc inline type, to tell a list of inlines inside a node of a kind the walks above do not know.
INLINE_TYPES = _INLINE_HOLDERS | _INLINE_LEAVES


def _json_walked(value: Any, in_blocks: _Walk, in_inlines: _Walk) -> Any:
    """A node of a kind the walks do not know (a newer pandoc's) searched as the JSON it is, at any depth."""
    if isinstance(value, list):
        if is_block_list(value):
            return in_blocks(value)
        if value and all(isinstance(item, dict) and item.get("t") in INLINE_TYPES for item in value):
            return in_inlines(value)
        return same_or_new(value, [_json_walked(item, in_blocks, in_inlines) for item in value])
    if isinstance(value, dict) and "c" in value:
        new = _json_walked(value["c"], in_blocks, in_inlines)
        return value if new is value["c"] else {"t": value["t"], "c": new}
    return value


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
