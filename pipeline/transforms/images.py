"""Images: each usable local image is recorded as a Resource; a refused one is replaced by its alt text."""

from __future__ import annotations

import logging
from dataclasses import replace
from operator import itemgetter
from pathlib import Path, PurePosixPath

from pipeline.ast import Node, attr, child_block_lists, map_blocks, map_inlines, same_or_new, stringify
from pipeline.document import Document, Resource
from pipeline.files.resources import MEDIA_TYPES, resolve_local

log = logging.getLogger("chapbook")

REFUSED_CLASS = "refused-image"
# Where an inline's own inlines are, for the inline kinds that hold some (an image may sit in any of them).
_INLINE_CHILDREN = {"Emph": None, "Strong": None, "Strikeout": None, "Underline": None, "Superscript": None,
                    "Subscript": None, "SmallCaps": None, "Link": 1, "Span": 1, "Quoted": 1, "Cite": 1}
_HOLDING_IMAGES = frozenset(_INLINE_CHILDREN) | {"Image"}


def _edition_name(path: Path, folder: Path, taken: dict[str, Path]) -> str:
    """`images/a-b.png` for `a/b.png`: folders flattened into the name, so every edition keeps images in one
    folder. Flattening can make two images one name (`a/b.png` and `a-b.png`; `A.png` and `a.png` on a
    case-insensitive disk): the later one is numbered (`a-b-2.png`), so no edition ever merges two images."""
    relative = path.relative_to(folder.resolve()).as_posix()
    name = "images/" + "-".join(part for part in relative.split("/") if part)
    stem, dot, suffix = name.rpartition(".") if "." in PurePosixPath(name).name else (name, "", "")
    number = 1
    while taken.get(name.casefold(), path) != path:
        number += 1
        name = f"{stem}-{number}{dot}{suffix}"
    taken[name.casefold()] = path
    return name


def collect_images(document: Document) -> Document:
    """Record each usable local image; replace refused ones by their alt text, with a warning."""
    found: dict[str, Resource] = {}
    taken: dict[str, Path] = {}  # edition names given so far (case-folded) and the file each names

    def change(inlines: list[Node]) -> list[Node]:
        if _HOLDING_IMAGES.isdisjoint(map(itemgetter("t"), inlines)):  # most paragraphs: words only
            return inlines
        result = []
        for node in inlines:
            if node.get("t") == "Image":
                url = node["c"][2][0]
                path, reason = resolve_local(url, document.resource_folder)
                media_type = MEDIA_TYPES.get(path.suffix.lower()) if path else None
                if path and not media_type:
                    reason = f"{path.suffix or 'files without an extension'} is not an image type editions carry"
                if path and media_type:
                    if url not in found:
                        found[url] = Resource(url, path, media_type, _edition_name(path, document.resource_folder,
                                                                                   taken))
                else:
                    log.warning("%s: image %s refused: %s; its alt text is kept", document.source, url, reason)
                    node = {"t": "Span", "c": [attr("", [REFUSED_CLASS]), node["c"][1]]}
            elif node.get("t") in _INLINE_CHILDREN:
                node = _with_inlines_changed(node, change)
            result.append(node)
        return result

    blocks = map_inlines(document.blocks, change)
    repeating = _figures_repeating_refused_images(blocks, set())
    if repeating:
        blocks = map_blocks(blocks, lambda block: {"t": "Figure", "c": [block["c"][0], [None, []], block["c"][2]]}
                            if id(block) in repeating else block)
    return replace(document.with_blocks(blocks), resources=tuple(found.values()))


def _with_inlines_changed(node: Node, change) -> Node:
    """An inline that holds inlines (emphasis, a link, a span...) with `change` applied to them; itself if unchanged."""
    position = _INLINE_CHILDREN[node["t"]]
    inlines = node["c"] if position is None else node["c"][position]
    changed = same_or_new(inlines, change(inlines))
    if changed is inlines:
        return node
    if position is None:
        return {"t": node["t"], "c": changed}
    return {"t": node["t"], "c": [*node["c"][:position], changed, *node["c"][position + 1:]]}


def _figures_repeating_refused_images(blocks: list[Node], found: set[int]) -> set[int]:
    """The figures (their id()) whose caption goes, met as walk_blocks meets them (notes left out). A caption
    that goes is not searched (whatever it holds goes with it), and such a figure's body holds only paragraphs."""
    for block in blocks:
        if block.get("t") == "Figure" and _caption_repeats_refused_image(block):
            found.add(id(block))
        else:
            for children in child_block_lists(block):
                _figures_repeating_refused_images(children, found)
    return found


def _caption_repeats_refused_image(figure: Node) -> bool:
    """Whether a figure holds only refused images whose alt text, now shown, is also its caption."""
    _attr, (_short, caption), body = figure["c"]
    inlines = [node for block in body for node in (block["c"] if block.get("t") in ("Plain", "Para") else [block])]
    refused = [node for node in inlines if node.get("t") == "Span" and REFUSED_CLASS in node["c"][0][1]]
    rest = [node for node in inlines if node not in refused and node.get("t") not in ("Space", "SoftBreak")]
    return bool(caption and refused) and not rest and " ".join(stringify(refused).split()) == " ".join(
        stringify(caption).split())
