"""The gemlog as one book (`chapbook build --collect`): many posts bound into one Document, oldest first.

Each post becomes a chapter: a level-1 heading with its title as written, its date under it, and its
own sections one level down. Every id a post carries (headings, asterisk notes, the author's own) is
prefixed with the chapter's anchor, and the post's links to its own ids follow, so two posts' "notes"
or `asterisk-note-1` never meet. The writers then render it as they render any source: the same
voice guarantees, one contents.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from pipeline.ast import Node
from pipeline.document import Document, Metadata
from pipeline.errors import ChapbookError
from pipeline.settings import Settings
from pipeline.transforms.identifiers import ATTR_FIRST, make_ids_unique
from pipeline.words.naming import slug, unique_name

STEM = "gemlog"  # the collection's files: gemlog.epub, gemlog.pdf, gemlog.txt
DEFAULT_TITLE = "gemlog"
# The editions a collection is made in: the books, not the sites.
EDITIONS = ("epub", "pdf", "txt")


def post_day(document: Document) -> date:
    """The day a post is filed under: its own date, else the edition's date."""
    return document.meta.day() or document.modified.date()


def in_range(document: Document, settings: Settings) -> bool:
    """Whether a post falls within `[collection] from` and `until` (YYYY-MM-DD, either may be empty)."""
    day = post_day(document).isoformat()
    return (not settings.collection_from or day >= settings.collection_from) and \
        (not settings.collection_until or day <= settings.collection_until)


def _words(text: str) -> list[Node]:
    """Inline nodes for plain text, as pandoc reads it: words and single spaces (no letter changed)."""
    nodes: list[Node] = []
    for word in text.split():
        nodes += [{"t": "Space"}, {"t": "Str", "c": word}] if nodes else [{"t": "Str", "c": word}]
    return nodes


def _prefixed(value: Any, prefix: str, own: set[str]) -> Any:
    """`value` with each id prefixed `prefix-`, and each link to one of the post's `own` ids following it."""
    if isinstance(value, list):
        return [_prefixed(item, prefix, own) for item in value]
    if not isinstance(value, dict) or "c" not in value:
        return value
    kind, content = value["t"], _prefixed(value["c"], prefix, own)
    where = 1 if kind == "Header" else 0 if kind in ATTR_FIRST else None
    if where is not None:
        identifier, classes, pairs = content[where]
        # An attribute naming one of the post's ids (an asterisk marker's `note`) follows it too.
        pairs = [[key, f"{prefix}-{item}" if item in own else item] for key, item in pairs]
        content[where] = [f"{prefix}-{identifier}" if identifier else "", classes, pairs]
    if kind == "Link" and content[2][0].startswith("#") and content[2][0][1:] in own:
        content[2] = [f"#{prefix}-{content[2][0][1:]}", content[2][1]]
    return {"t": kind, "c": content}


def _ids(value: Any, found: set[str]) -> set[str]:
    """Every id in `value` (headings at c[1], the others at c[0])."""
    if isinstance(value, list):
        for item in value:
            _ids(item, found)
    elif isinstance(value, dict) and "c" in value:
        where = 1 if value["t"] == "Header" else 0 if value["t"] in ATTR_FIRST else None
        if where is not None and value["c"][where][0]:
            found.add(value["c"][where][0])
        _ids(value["c"], found)
    return found


def _deeper(value: Any) -> Any:
    """Every heading one level down (a post's sections become the chapter's), at most level 6."""
    if isinstance(value, list):
        return [_deeper(item) for item in value]
    if not isinstance(value, dict) or "c" not in value:
        return value
    if value["t"] == "Header":
        level, attribute, inlines = value["c"]
        return {"t": "Header", "c": [min(level + 1, 6), attribute, _deeper(inlines)]}
    return {"t": value["t"], "c": _deeper(value["c"])}


def collect(documents: list[Document], settings: Settings) -> Document:
    """The posts within the date range, oldest first, as one Document: a chapter per post, titled and dated."""
    posts = sorted((d for d in documents if in_range(d, settings)), key=lambda d: (post_day(d), d.modified, d.stem))
    if not posts:
        raise ChapbookError(None, f"no post falls between the collection's dates ({settings.collection_from or '…'}"
                            f" to {settings.collection_until or '…'})", "change from and until in [collection]")
    blocks: list[Node] = []
    taken: set[str] = set()
    for post in posts:
        anchor = unique_name(slug(post.meta.title, fallback=slug(post.stem, fallback="post")), taken)
        body = _prefixed(_deeper(post.blocks), anchor, _ids(post.blocks, set()))
        day = post.meta.date or post_day(post).isoformat()
        blocks += [{"t": "Header", "c": [1, [anchor, [], []], _words(post.meta.title)]},
                   {"t": "Div", "c": [["", ["post-date"], []], [{"t": "Para", "c": _words(day)}]]}, *body]
    newest = posts[-1]
    languages = {post.meta.lang for post in posts}
    authors = (" ".join(settings.site_author.split()),) if settings.site_author.strip() else \
        tuple(dict.fromkeys(name for post in posts for name in post.meta.authors))
    first, last = post_day(posts[0]).isoformat(), post_day(newest).isoformat()
    meta = Metadata(title=" ".join(settings.site_title.split()) or DEFAULT_TITLE,
                    lang=languages.pop() if len(languages) == 1 else newest.meta.lang,
                    date=newest.meta.date or last, subtitle="" if first == last else f"{first} – {last}",
                    authors=authors, description=" ".join(settings.site_description.split()))
    book = Document(source=newest.source.with_name(f"{STEM}.md"), meta=meta, blocks=blocks, settings=settings,
                    modified=max(post.modified for post in posts),
                    resources=tuple(dict.fromkeys(r for post in posts for r in post.resources)))
    return make_ids_unique(book)
