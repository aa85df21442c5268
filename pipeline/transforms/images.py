"""Images: each usable local image is recorded as a Resource; a refused one is replaced by its alt text."""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path, PurePosixPath

from pipeline.ast import Node, attr, map_inlines, stringify, walk_blocks
from pipeline.document import Document, Resource
from pipeline.files.resources import MEDIA_TYPES, resolve_local

log = logging.getLogger("chapbook")

REFUSED_CLASS = "refused-image"
# Where an inline's own inlines are, for the inline kinds that hold some (an image may sit in any of them).
_INLINE_CHILDREN = {"Emph": None, "Strong": None, "Strikeout": None, "Underline": None, "Superscript": None,
                    "Subscript": None, "SmallCaps": None, "Link": 1, "Span": 1, "Quoted": 1, "Cite": 1}


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
                position = _INLINE_CHILDREN[node["t"]]
                if position is None:
                    node = {"t": node["t"], "c": change(node["c"])}
                else:
                    content = list(node["c"])
                    content[position] = change(content[position])
                    node = {"t": node["t"], "c": content}
            result.append(node)
        return result

    blocks = map_inlines(document.blocks, change)
    for block in walk_blocks(blocks):
        if block.get("t") == "Figure" and _caption_repeats_refused_image(block):
            block["c"][1] = [None, []]  # map_inlines made this figure's list afresh; the original is untouched
    return replace(document.with_blocks(blocks), resources=tuple(found.values()))


def _caption_repeats_refused_image(figure: Node) -> bool:
    """Whether a figure holds only refused images whose alt text, now shown, is also its caption."""
    _attr, (_short, caption), body = figure["c"]
    inlines = [node for block in body for node in (block["c"] if block.get("t") in ("Plain", "Para") else [block])]
    refused = [node for node in inlines if node.get("t") == "Span" and REFUSED_CLASS in node["c"][0][1]]
    rest = [node for node in inlines if node not in refused and node.get("t") not in ("Space", "SoftBreak")]
    return bool(caption and refused) and not rest and " ".join(stringify(refused).split()) == " ".join(
        stringify(caption).split())
