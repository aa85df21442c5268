"""Local resources (images) a source may use: only files inside the source's folder, never the network."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import unquote, urlsplit

from pipeline.ast import Node, attr, map_inlines, stringify, walk_blocks
from pipeline.document import Document

log = logging.getLogger("chapbook")

MEDIA_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif",
               ".webp": "image/webp"}
REFUSED_CLASS = "refused-image"
# The project's stylesheets: with the source's folder, the only place a build reads resources from.
STYLES = Path(__file__).resolve().parent.parent / "styles"


@dataclass(frozen=True)
class Resource:
    """A local file an edition may embed: where it is, what it is, its name inside an edition."""

    url: str
    path: Path
    media_type: str
    name: str


def resolve_local(url: str, folder: Path) -> tuple[Path | None, str]:
    """The file `url` names inside `folder`, or None and the reason it is refused."""
    parts = urlsplit(url)
    if parts.scheme or parts.netloc or url.startswith("//"):
        return None, "remote and file: URLs are never fetched"
    relative = unquote(parts.path)
    if not relative or relative.startswith("/"):
        return None, "absolute paths are outside the source's folder"
    candidate = (folder / relative).resolve()
    if not candidate.is_relative_to(folder.resolve()):
        return None, "it is outside the source's folder"
    if not candidate.is_file():
        return None, "no such file"
    return candidate, ""


def _edition_name(path: Path, folder: Path) -> str:
    relative = path.relative_to(folder.resolve()).as_posix()
    return "images/" + "-".join(part for part in relative.split("/") if part)


def collect_images(document: Document) -> Document:
    """Record each usable local image; replace refused ones by their alt text, with a warning."""
    found: dict[str, Resource] = {}

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
                    name = _edition_name(path, document.resource_folder)
                    found.setdefault(url, Resource(url, path, media_type, name))
                else:
                    log.warning("%s: image %s refused: %s; its alt text is kept", document.source, url, reason)
                    node = {"t": "Span", "c": [attr("", [REFUSED_CLASS]), node["c"][1]]}
            elif node.get("t") in ("Link", "Span", "Emph", "Strong", "Quoted"):
                content = list(node["c"])
                position = 1 if node["t"] in ("Link", "Quoted") else (-1 if node["t"] == "Span" else None)
                if position is None:
                    node = {"t": node["t"], "c": change(content)}
                else:
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


def alt_text(image: Node) -> str:
    """The alt text of an Image node."""
    return stringify(image["c"][1])
